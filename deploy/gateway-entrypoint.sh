#!/bin/bash
# Container entry point of the gateway image (deploy/gateway.Dockerfile): writes the API keys
# file, renders gateway/nginx.conf.in with scripts/render-gateway.sh (upstreams by service name)
# and runs nginx in the foreground. Keys come from GF_API_KEYS (whitespace separated) and/or the
# file GF_API_KEYS_FILE (a mounted Secret); a key is 16-128 characters of [A-Za-z0-9._-].
set -euo pipefail
top=${GF_TOP:-/opt/gridflow}
var=${GF_VAR_DIR:-/var/lib/gridflow}
mkdir -p "$var/gateway" "$var/logs"
# Logs to the container output (the image links them too, but a volume on $var hides that).
for l in gateway-access.log:stdout nginx-error.log:stderr; do
    [ -e "$var/logs/${l%%:*}" ] || ln -sf "/dev/${l#*:}" "$var/logs/${l%%:*}"
done
keys="$var/gateway/api-keys"
(
    umask 077
    : >"$keys"
    if [ -n "${GF_API_KEYS_FILE:-}" ] && [ -r "$GF_API_KEYS_FILE" ]; then cat "$GF_API_KEYS_FILE" >>"$keys"; fi
    for k in ${GF_API_KEYS:-}; do echo "$k" >>"$keys"; done
)
if ! grep -qE '^[A-Za-z0-9._-]{16,128}$' "$keys"; then
    echo "gateway: no valid API key (GF_API_KEYS or GF_API_KEYS_FILE); mutating routes answer 401" >&2
fi
export GF_API_KEYS_FILE=$keys
bash "$top/scripts/render-gateway.sh" "$var/nginx.conf" "$var" "${GF_GATEWAY_PORT:-8080}" \
    "${GF_INGESTION_ADDR:-ingestion:8101}" "${GF_TRAINER_ADDR:-trainer:8102}" \
    "${GF_FORECAST_ADDR:-forecast:8103}" "${GF_SIMULATION_ADDR:-simulation:8104}" \
    "${GF_COMPLIANCE_ADDR:-compliance:8105}" off
nginx -t -q -p "$var" -c "$var/nginx.conf" -e /dev/stderr
# --check: render and test the configuration only (tests/e2e/test_deploy.sh uses it).
[ "${1:-}" = --check ] && exit 0
exec nginx -p "$var" -c "$var/nginx.conf" -e /dev/stderr
