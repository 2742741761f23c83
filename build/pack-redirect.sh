#!/usr/bin/env bash
# Regenerates build/packages/Patched.DistributedLock.Postgres.1.3.3.nupkg (see the .csproj for why).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dotnet pack "$here/Patched.DistributedLock.Postgres/Patched.DistributedLock.Postgres.csproj" \
  -c Release -o "$here/packages" -p:ContinuousIntegrationBuild=true
