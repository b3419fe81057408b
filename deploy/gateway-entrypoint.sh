#!/bin/bash
# Container entry point of the gateway image (deploy/gateway.Dockerfile): builds the hashed API
# keys store, starts gf-keycheck (the key and scope check nginx asks, on 127.0.0.1:8106),
# renders gateway/nginx.conf.in with scripts/render-gateway.sh (upstreams by service name) and
# runs nginx in the foreground.
#
# Keys: GF_KEYCHECK_KEYS_FILE names a mounted store written by scripts/keys.sh (hashes and
# scopes; edits to it take effect without a restart). Without it the store is built from
# GF_API_KEYS (whitespace separated) and/or the file GF_API_KEYS_FILE (a mounted Secret, one key
# a line): those keys get every scope (admin); a key is 16-128 characters of [A-Za-z0-9._-].
set -euo pipefail
top=${GF_TOP:-/opt/gridflow}
var=${GF_VAR_DIR:-/var/lib/gridflow}
mkdir -p "$var/gateway" "$var/logs"
# Logs to the container output (the image links them too, but a volume on $var hides that).
for l in gateway-access.log:stdout nginx-error.log:stderr; do
    [ -e "$var/logs/${l%%:*}" ] || ln -sf "/dev/${l#*:}" "$var/logs/${l%%:*}"
done
if [ -z "${GF_KEYCHECK_KEYS_FILE:-}" ]; then
    export GF_KEYCHECK_KEYS_FILE="$var/gateway/keys"
    rm -f "$GF_KEYCHECK_KEYS_FILE"
    n=0
    {
        if [ -n "${GF_API_KEYS_FILE:-}" ] && [ -r "$GF_API_KEYS_FILE" ]; then cat "$GF_API_KEYS_FILE"; fi
        for k in ${GF_API_KEYS:-}; do echo "$k"; done
    } | grep -E '^[A-Za-z0-9._-]{16,128}$' | sort -u >"$var/gateway/.import" || true
    while read -r k; do
        n=$((n + 1))
        echo "$k" | bash "$top/scripts/keys.sh" import --scope admin --name "deploy-$n" 2>/dev/null
    done <"$var/gateway/.import"
    rm -f "$var/gateway/.import"
    [ "$n" -gt 0 ] || echo "gateway: no valid API key (GF_API_KEYS, GF_API_KEYS_FILE or GF_KEYCHECK_KEYS_FILE); mutating routes answer 401" >&2
fi
export GF_KEYCHECK_ADDR=${GF_KEYCHECK_ADDR:-127.0.0.1:8106}
bash "$top/scripts/render-gateway.sh" "$var/nginx.conf" "$var" "${GF_GATEWAY_PORT:-8080}" \
    "${GF_INGESTION_ADDR:-ingestion:8101}" "${GF_TRAINER_ADDR:-trainer:8102}" \
    "${GF_FORECAST_ADDR:-forecast:8103}" "${GF_SIMULATION_ADDR:-simulation:8104}" \
    "${GF_COMPLIANCE_ADDR:-compliance:8105}" off
nginx -t -q -p "$var" -c "$var/nginx.conf" -e /dev/stderr
# --check: render and test the configuration only (tests/e2e/test_deploy.sh uses it).
[ "${1:-}" = --check ] && exit 0
# gf-keycheck runs beside nginx in this container; nginx answers 500 auth_unavailable to
# requests that need a key while it is down.
GF_BIND=127.0.0.1 GF_PORT=${GF_KEYCHECK_ADDR##*:} gf-keycheck &
exec nginx -p "$var" -c "$var/nginx.conf" -e /dev/stderr
