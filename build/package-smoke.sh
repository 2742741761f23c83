#!/usr/bin/env bash
# Packs RatificationLedger and RatificationLedger.Projections into a folder feed, checks what each package carries
# (README, XML docs, license, repository), then restores and builds a fresh app outside the repository that
# references them from that feed, registers the ledger on Marten and sends a command through Mediator.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/ledger-package-smoke.XXXXXX)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
app="$work/app"
mkdir -p "$feed" "$app"

for project in src/Ledger/Ledger.csproj src/Ledger.Projections/Ledger.Projections.csproj; do
  dotnet pack "$repo/$project" -c Release -o "$feed" --nologo -v quiet
done

version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n1)"
for id in RatificationLedger RatificationLedger.Projections; do
  package="$feed/$id.$version.nupkg"
  [ -f "$package" ] || { echo "package-smoke: $package was not produced" >&2; exit 1; }
  listing="$(unzip -l "$package")"
  dll="${id/RatificationLedger/Ledger}"
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

mediator="$(sed -n 's:.*Include="Mediator.SourceGenerator" Version="\([^"]*\)".*:\1:p' "$repo/Directory.Packages.props")"
hosting="$(sed -n 's:.*Include="Microsoft.Extensions.Hosting" Version="\([^"]*\)".*:\1:p' "$repo/Directory.Packages.props")"
cat >"$app/SmokeApp.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <!-- Mediator warns about the ledger's notifications this app does not subscribe to (README, "Mediator"). -->
    <NoWarn>\$(NoWarn);MSG0005</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="RatificationLedger" Version="$version" />
    <PackageReference Include="RatificationLedger.Projections" Version="$version" />
    <PackageReference Include="Mediator.SourceGenerator" Version="$mediator" PrivateAssets="all" />
    <PackageReference Include="Microsoft.Extensions.Hosting" Version="$hosting" />
  </ItemGroup>
</Project>
EOF

cat >"$app/Program.cs" <<'EOF'
using Ledger.Domain;
using Ledger.Projections;
using Ledger.Recording;
using Ledger.Storage;
using Marten;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

var connection = Environment.GetEnvironmentVariable("LEDGER_CONNECTION") ?? "Host=localhost;Database=ledger";
var services = new ServiceCollection();
services.AddMarten(connection).UseLightweightSessions().AddRatificationLedger(ledger => ledger.AddReadModels());
services.AddMediator(o => o.Assemblies = [typeof(LedgerRecorder), typeof(Program)]);
await using var provider = services.BuildServiceProvider();

if (args.Length > 0 && args[0] == "run")
{
    var sender = provider.GetRequiredService<ISender>();
    var result = await sender.Send(new SubmitApplicationRequest(new SubmitApplication("nato/swe", "NATO", "SWE", new DateOnly(2022, 5, 18))));
    Console.WriteLine(result);
    var status = await provider.GetRequiredService<LedgerQueries>().StatusAsync("nato/swe", asOf: new DateOnly(2022, 9, 30));
    Console.WriteLine(status?.Stage);
}
EOF

(cd "$app" && dotnet build -c Release --nologo -v quiet)
echo "package-smoke: RatificationLedger $version and RatificationLedger.Projections $version restore and build in a fresh app"
