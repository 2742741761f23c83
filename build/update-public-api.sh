#!/usr/bin/env bash
# Rewrites each library package's PublicAPI.Unshipped.txt from what the build reports as public (RS0016) and drops
# entries that are no longer public (RS0017): run it after a deliberate change of the public API, read the diff, and
# move the lines to PublicAPI.Shipped.txt when a version is released.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
for project in src/Ledger src/Ledger.Projections src/Ledger.Testing src/Ledger.Mediator; do
  printf '#nullable enable\n' > "$project/PublicAPI.Unshipped.txt"
done
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet build Ledger.sln -c Release --no-incremental -p:TreatWarningsAsErrors=false >"$log" 2>&1 || true
python3 - "$log" <<'PY'
import collections, re, sys
symbols = collections.defaultdict(set)
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.search(r"warning RS0016: Symbol '(.*)' is not part of the declared public API.*\[(.*?)\]\s*$", line)
    if m:
        symbols[m.group(2).rsplit("/", 1)[0]].add(m.group(1))
for directory, names in symbols.items():
    shipped = {l.strip() for l in open(f"{directory}/PublicAPI.Shipped.txt", encoding="utf-8")}
    with open(f"{directory}/PublicAPI.Unshipped.txt", "w", encoding="utf-8") as f:
        f.write("#nullable enable\n")
        for name in sorted(names - shipped, key=lambda s: s.replace("~", "")):
            f.write(name + "\n")
    print(f"{directory}: {len(names - shipped)} unshipped public symbols")
PY
