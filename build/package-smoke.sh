#!/usr/bin/env bash
# Packs the library packages into a folder feed, checks what each carries (README, XML docs, license, repository) and
# what each declares as dependencies (build/package-dependencies.txt), then builds and runs a consumer app outside the
# repository, from that feed, with warnings as errors and without Mediator: it has its own Guid-keyed event stream in
# the same database, registers the ledger on a store of its own, imports Finland's and Sweden's accessions through
# ILedger, reads status as of a date through ILedgerQueries, and checks that its own stream still works.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/ledger-package-smoke.XXXXXX)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
app="$work/app"
mkdir -p "$feed" "$app"

for project in src/Ledger/Ledger.csproj src/Ledger.Projections/Ledger.Projections.csproj src/Ledger.Testing/Ledger.Testing.csproj src/Ledger.Mediator/Ledger.Mediator.csproj; do
  dotnet pack "$repo/$project" -c Release -o "$feed" --nologo -v quiet
done

version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n1)"
for id in RatificationLedger RatificationLedger.Projections RatificationLedger.Testing RatificationLedger.Mediator; do
  package="$feed/$id.$version.nupkg"
  [ -f "$package" ] || { echo "package-smoke: $package was not produced" >&2; exit 1; }
  listing="$(unzip -l "$package")"
  dll="$id"
  for part in README.md "lib/net10.0/$dll.dll" "lib/net10.0/$dll.xml"; do
    grep -q " $part\$" <<<"$listing" || { echo "package-smoke: $id lacks $part" >&2; exit 1; }
  done
  nuspec="$(unzip -p "$package" "$id.nuspec")"
  # The dependencies a package declares are the ones its own code references, nothing promoted by central pinning:
  # every declared id must be on the package's line of build/package-dependencies.txt.
  allowed=" $(sed -n "s/^$id:[[:space:]]*//p" "$repo/build/package-dependencies.txt") "
  declared="$(sed -n 's/.*<dependency id="\([^"]*\)".*/\1/p' <<<"$nuspec" | sort -u)"
  for dep in $declared; do
    [[ "$allowed" == *" $dep "* ]] || { echo "package-smoke: $id declares $dep, which is not on its allow-list (build/package-dependencies.txt)" >&2; exit 1; }
  done
  for field in '<license type="expression">MIT</license>' '<readme>README.md</readme>' '<repository type="git"' '<description>'; do
    grep -qF "$field" <<<"$nuspec" || { echo "package-smoke: $id.nuspec lacks $field" >&2; exit 1; }
  done
done

# The app's own feed configuration: the public registry and the folder feed for our packages.
cat >"$app/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
    <add key="ledger" value="$feed" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
    <packageSource key="ledger"><package pattern="RatificationLedger*" /></packageSource>
  </packageSourceMapping>
</configuration>
EOF

cat >"$app/SmokeApp.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="RatificationLedger" Version="$version" />
    <PackageReference Include="RatificationLedger.Projections" Version="$version" />
    <PackageReference Include="RatificationLedger.Testing" Version="$version" />
  </ItemGroup>
</Project>
EOF
cp "$repo/build/smoke-app/Program.cs" "$app/Program.cs"

# A packages folder of the app's own: the global one may hold an earlier build of the same version.
export NUGET_PACKAGES="$work/packages"
(cd "$app" && dotnet build -c Release --nologo -v quiet)
if grep -qi '"mediator' "$app/obj/project.assets.json"; then
  echo "package-smoke: the consumer app restored a Mediator package without asking for one" >&2
  exit 1
fi
(cd "$app" && dotnet run -c Release --no-build -- "$repo/samples/NatoAccession/nato-2022-2024.json")
echo "package-smoke: the packages restore, build and run in a fresh app without Mediator"
