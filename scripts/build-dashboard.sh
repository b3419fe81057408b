#!/usr/bin/env bash
# Build the dashboard (gateway/dashboard) into gateway/dashboard/dist, which the gateway serves
# at `/`. Idempotent and cheap when nothing changed:
#   - `npm ci` only when node_modules is missing or package-lock.json changed since the last
#     install (its hash is kept in node_modules/.gridflow-lock.sha256);
#   - `npm run build` only when dist/index.html is missing or older than any source file
#     (src/, index.html, package.json, package-lock.json, vite.config.ts, tsconfig.json).
# FORCE=1 rebuilds anyway. Needs node and npm (make deps); no network when node_modules is
# current. Called by scripts/stack.sh (make up) and tests/e2e/test_browser.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
app="$top/gateway/dashboard"
[ -f "$app/package.json" ] || { echo "dashboard: no gateway/dashboard/package.json; nothing to build"; exit 0; }
command -v npm >/dev/null 2>&1 || { echo "dashboard: npm is missing; run make deps" >&2; exit 1; }
cd "$app"

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.gridflow-lock.sha256
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
    echo "dashboard: npm ci (package-lock.json changed or node_modules missing)"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$lock_hash" >"$stamp"
fi

stale=0
if [ "${FORCE:-0}" = 1 ] || [ ! -f dist/index.html ]; then
    stale=1
elif [ -n "$(find src index.html package.json package-lock.json vite.config.ts tsconfig.json \
        "$top/proto/openapi.yaml" -newer dist/index.html -print -quit 2>/dev/null)" ]; then
    stale=1
fi
if [ $stale = 1 ]; then
    echo "dashboard: building dist/"
    npm run --silent build
else
    echo "dashboard: dist/ is up to date"
fi
