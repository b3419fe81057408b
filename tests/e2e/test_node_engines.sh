#!/usr/bin/env bash
# The Node.js packages the project installs (gateway/dashboard, tests/browser, tests/contract)
# run on Debian 12's nodejs (18.20), which `make deps` installs on a fresh machine: every package
# in each package-lock.json declares an `engines.node` range (or none) that admits it. A newer
# Node on this machine would hide a dependency that needs Node 20. Needs node and npm (semver
# comes from npm's own copy); no stack, no network.
DEBIAN12_NODE=${DEBIAN12_NODE:-18.20.4}
top=$(cd "$(dirname "$0")/../.." && pwd)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
for dir in gateway/dashboard tests/browser tests/contract; do
    out=$(node --input-type=module - "$npm_dir" "$top/$dir/package-lock.json" "$DEBIAN12_NODE" <<'JS' 2>&1
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
const [npmDir, lockFile, version] = process.argv.slice(2);
const semver = createRequire(npmDir + "/")("semver");
const lock = JSON.parse(readFileSync(lockFile, "utf8"));
const bad = Object.entries(lock.packages ?? {})
  .filter(([, p]) => p.engines?.node && !semver.satisfies(version, p.engines.node))
  .map(([k, p]) => `${k || "(root)"} ${p.version ?? ""} needs node ${p.engines.node}`);
if (!Object.keys(lock.packages ?? {}).length) { console.log("no packages in the lockfile"); process.exit(1); }
bad.forEach((b) => console.log(b));
process.exit(bad.length ? 1 : 0);
JS
    ) && rc=0 || rc=$?
    if [ "$rc" = 0 ]; then
        echo "ok - $dir: every locked package runs on Node $DEBIAN12_NODE (Debian 12)"
    else
        printf '%s\n' "$out" | head -20 | sed 's/^/#   /'
        echo "not ok - $dir: every locked package runs on Node $DEBIAN12_NODE (Debian 12)"
    fi
done
