#!/usr/bin/env bash
# Render gateway/nginx.conf.in into a runnable config.
#   render-gateway.sh OUT VARDIR GW_PORT ING_ADDR TRN_ADDR FC_ADDR SIM_ADDR CMP_ADDR DAEMON(on|off)
# The dashboard root is gateway/dashboard/dist when it has been built, else a plain page.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$1 var=$2 port=$3 ing=$4 trn=$5 fc=$6 sim=$7 cmp=$8 daemon=$9
root="$top/gateway/placeholder"
[ -f "$top/gateway/dashboard/dist/index.html" ] && root="$top/gateway/dashboard/dist"
user_line=""
# As root, nginx's workers become "nobody", who must be able to write the temp dirs.
if [ "$(id -u)" -eq 0 ]; then user_line="user nobody nogroup;"; fi
mkdir -p "$var/logs" "$var/nginx/client_body" "$var/nginx/proxy" "$var/nginx/fastcgi" \
    "$var/nginx/uwsgi" "$var/nginx/scgi"
if [ "$(id -u)" -eq 0 ]; then chown -R nobody:nogroup "$var/nginx"; fi
# API keys: one per line in the keys file (0600); rendered into an nginx map (0600, read by the
# master process as root or as the owner). GF_API_KEYS_FILE overrides the location.
keys_file=${GF_API_KEYS_FILE:-$var/gateway/api-keys}
mkdir -p "$var/gateway"
keys_map="$var/gateway/keys.map"
( umask 077; : >"$keys_map"
  if [ -f "$keys_file" ]; then
      grep -E '^[A-Za-z0-9._-]{16,128}$' "$keys_file" | while read -r k; do printf '"%s" 1;\n' "$k"; done >"$keys_map"
  fi )
# The API reference page (/api/docs): built once from tests/contract's node_modules.
apidocs=${GF_APIDOCS_DIR:-$top/build/apidocs}
[ -f "$apidocs/index.html" ] || QUIET=1 bash "$top/scripts/build-apidocs.sh" "$apidocs" >&2 || true
cors=""
for o in ${GF_CORS_ORIGINS:-http://127.0.0.1:5173 http://localhost:5173}; do
    cors+="        \"$o\" \$http_origin;\n"
done
sed -e "s|@VAR@|$var|g" -e "s|@GW_PORT@|$port|g" -e "s|@GW_BIND@|${GF_GATEWAY_BIND:-127.0.0.1}|g" \
    -e "s|@INGESTION_ADDR@|$ing|g" -e "s|@TRAINER_ADDR@|$trn|g" -e "s|@FORECAST_ADDR@|$fc|g" \
    -e "s|@SIMULATION_ADDR@|$sim|g" -e "s|@COMPLIANCE_ADDR@|$cmp|g" -e "s|@DAEMON@|$daemon|g" \
    -e "s|@WORKERS@|${GF_GATEWAY_WORKERS:-2}|g" -e "s|@USER_LINE@|$user_line|g" \
    -e "s|@DASHBOARD_ROOT@|$root|g" -e "s|@KEYS_MAP@|$keys_map|g" \
    -e "s|@READ_AUTH@|${GF_GATEWAY_READ_AUTH:-0}|g" -e "s|@READ_RATE@|${GF_GATEWAY_READ_RATE:-200r/s}|g" \
    -e "s|@READ_BURST@|${GF_GATEWAY_READ_BURST:-400}|g" \
    -e "s|@WRITE_RATE@|${GF_GATEWAY_WRITE_RATE:-50r/s}|g" \
    -e "s|@WRITE_BURST@|${GF_GATEWAY_WRITE_BURST:-100}|g" \
    -e "s|@EXPENSIVE_RATE@|${GF_GATEWAY_EXPENSIVE_RATE:-100r/m}|g" \
    -e "s|@INGEST_RATE@|${GF_GATEWAY_INGEST_RATE:-2000r/s}|g" \
    -e "s|@READ_TIMEOUT@|${GF_GATEWAY_READ_TIMEOUT:-30s}|g" \
    -e "s|@LONG_READ_TIMEOUT@|${GF_GATEWAY_LONG_READ_TIMEOUT:-120s}|g" \
    -e "s|@PROTO_DIR@|$top/proto|g" -e "s|@APIDOCS_DIR@|$apidocs|g" \
    -e "s|@CORS_MAP@|$cors|g" "$top/gateway/nginx.conf.in" > "$out"
