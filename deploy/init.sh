#!/bin/bash
# The one-shot first-run job of the containerised stack (compose service "init", k8s Job
# gridflow-init). Waits for the gateway and the services behind it, puts the API key where the
# native scripts expect it ($GF_VAR_DIR/gateway/api-keys, from GF_API_KEY or GF_API_KEYS_FILE),
# then runs scripts/first-run.sh: import the bundled demand history through the gateway API
# (no gf-trainer binary here: models are trained through POST /api/trainer/jobs). Exits 0 when
# there is nothing to do (no first-run.sh yet).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
gw=${GF_GATEWAY_URL:-http://gateway:8080}
var=${GF_VAR_DIR:-/tmp/gridflow}
mkdir -p "$var/gateway"
keys="$var/gateway/api-keys"
(
    umask 077
    : >"$keys"
    if [ -n "${GF_API_KEYS_FILE:-}" ] && [ -r "$GF_API_KEYS_FILE" ]; then head -1 "$GF_API_KEYS_FILE" >>"$keys"; fi
    if [ -n "${GF_API_KEY:-}" ]; then echo "$GF_API_KEY" >>"$keys"; fi
)
export GF_API_KEYS_FILE=$keys GF_API_KEY=${GF_API_KEY:-$(head -1 "$keys" 2>/dev/null || true)}
export GF_GATEWAY_URL=$gw GF_VAR_DIR=$var

echo "init: waiting for Redis at ${GF_REDIS_HOST:-redis}:${GF_REDIS_PORT:-6379} and $gw"
deadline=$((SECONDS + ${GF_INIT_WAIT_SECONDS:-300}))
until redis-cli -h "${GF_REDIS_HOST:-redis}" -p "${GF_REDIS_PORT:-6379}" ping 2>/dev/null | grep -q PONG; do
    if [ $SECONDS -ge $deadline ]; then echo "init: Redis is not answering" >&2; exit 1; fi
    sleep 2
done
for s in ingestion trainer forecast; do
    until curl -fsS -o /dev/null --max-time 3 "$gw/api/$s/readyz"; do
        if [ $SECONDS -ge $deadline ]; then echo "init: $s is not ready through the gateway" >&2; exit 1; fi
        sleep 2
    done
done
if [ ! -f scripts/first-run.sh ]; then
    echo "init: scripts/first-run.sh is not in this image yet; nothing imported"
    exit 0
fi
exec bash scripts/first-run.sh
