#!/usr/bin/env bash
# Build the API reference page that the gateway serves at /api/docs (the contract itself is
# served from proto/openapi.yaml at /api/openapi.yaml): proto/apidocs/* (our page, no inline
# script) plus Swagger UI's bundle from the npm package swagger-ui-dist (a dependency of
# tests/contract, pinned by its package-lock.json; no CDN at run time) into OUT
# (default build/apidocs, build output, not committed).
#   - `npm ci` in tests/contract only when node_modules is missing or package-lock.json
#     changed since the last install (hash in node_modules/.gridflow-lock.sha256);
#   - when npm or the registry is not available, OUT gets a plain page linking the contract,
#     so /api/docs still answers.
# Called by scripts/render-gateway.sh when OUT has no index.html (so `make up` and the e2e
# tests get it), and by tests/e2e/test_contract.sh. FORCE=1 rebuilds. Idempotent.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-${GF_APIDOCS_DIR:-$top/build/apidocs}}
pkg="$top/tests/contract"
ui="$pkg/node_modules/swagger-ui-dist"
say() { [ "${QUIET:-0}" = 1 ] || echo "apidocs: $*"; }

if [ "${FORCE:-0}" != 1 ] && [ -f "$out/index.html" ] && [ -f "$out/swagger-ui-bundle.js" ] &&
    [ -z "$(find "$top/proto/apidocs" "$pkg/package-lock.json" -newer "$out/index.html" -print -quit)" ]; then
    say "$out is up to date"
    exit 0
fi

if command -v npm >/dev/null 2>&1; then
    lock_hash=$(sha256sum "$pkg/package-lock.json" | cut -d' ' -f1)
    stamp="$pkg/node_modules/.gridflow-lock.sha256"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
        say "npm ci in tests/contract"
        if (cd "$pkg" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error) >&2; then
            echo "$lock_hash" >"$stamp"
        fi
    fi
fi

# Build next to OUT and move it in place, so a concurrent reader never sees half a directory.
tmp=$(mktemp -d "${out%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ -f "$ui/swagger-ui-bundle.js" ]; then
    cp "$ui/swagger-ui-bundle.js" "$ui/swagger-ui.css" "$ui/favicon-32x32.png" "$ui/LICENSE" "$tmp/"
    cp "$top/proto/apidocs/"* "$tmp/"
    say "Swagger UI $(sed -n 's/^ *"version": *"\(.*\)",*$/\1/p' "$ui/package.json" | head -1) -> $out"
else
    cat >"$tmp/index.html" <<'HTML'
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GridFlow API</title></head>
<body><h1>GridFlow API</h1>
<p>The interactive reference was not built (scripts/build-apidocs.sh needs npm once).
The contract is <a href="../openapi.yaml">/api/openapi.yaml</a> (OpenAPI 3.0).</p></body></html>
HTML
    say "swagger-ui-dist is not installed: plain page -> $out"
fi
chmod -R a+rX "$tmp"
mkdir -p "$(dirname "$out")"
rm -rf "$out.old"
[ -e "$out" ] && mv "$out" "$out.old"
mv "$tmp" "$out"
rm -rf "$out.old"
trap - EXIT
