#!/usr/bin/env bash
# The fleet benchmark: a utility's meters through the gateway, distinct meter ids from a fleet
# of 2,000,000 (services/ingestion/cmd/ing-fleet-load.c, one libevent loop). Starts its own
# Redis (AOF everysec), gf-ingestion and nginx on free loopback ports (the e2e harness), a
# fresh stack per scenario, with the gateway's per-key rate limits lifted (one key sends it
# all), and prints the load generator's per-minute table and totals.
#   tests/bench/bench_fleet.sh SCENARIO [seconds]      (default 600)
#     a  every meter every 15 min: 2,000,000 meters, ~2,222 readings/s, paced
#     b  200,000 meters every 10 s: 20,000 readings/s, paced
#     c  2,000,000 meters posting 1,000-reading batches as fast as the stack answers
#     d  catch-up: 1,000,000 meters each sending its last 4 hours (16 x 15 min) at once
# Every reading carries kwh, so "loss check" compares the readings acknowledged as new with
# the readings counted in Redis's hour aggregates.
set -u
SC=${1:?scenario a|b|c|d}
DUR=${2:-600}
E2E_SERVICES=ingestion
export GF_GATEWAY_INGEST_RATE=100000r/s GF_GATEWAY_READ_RATE=1000000r/s GF_GATEWAY_READ_BURST=100000
export GF_GATEWAY_WRITE_BURST=100000
source "$(dirname "$0")/../e2e/lib.sh"
chmod 711 "$T"
start_redis >/dev/null
GF_LOG_LEVEL=${BENCH_LOG_LEVEL:-warn} start_service ingestion
start_gateway
wait_ready ingestion 30
case "$SC" in
a) args=(--mode steady --active 2000000 --interval 900 --conns 8) ;;
b) args=(--mode steady --active 200000 --interval 10 --conns 8) ;;
c) args=(--mode steady --active 2000000 --interval 0 --rate 0 --conns ${BENCH_CONNS:-8}) ;;
d) args=(--mode backlog --active 1000000 --backlog 16 --step 900 --conns ${BENCH_CONNS:-8}) ;;
*) echo "unknown scenario $SC" >&2; exit 2 ;;
esac
# CPU seconds (user + system) used so far by the processes of the stack.
cpu_s() { # pid...
    local t=0 p
    for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
    awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }'
}
NGINX=$(pgrep -P "${PID_OF[gateway]}" | tr '\n' ' ')
KC=${PID_OF[keycheck]:-}
r0=$(cpu_s "${PID_OF[redis]}") i0=$(cpu_s "${PID_OF[ingestion]}") n0=$(cpu_s $NGINX) k0=$(cpu_s $KC)
echo "scenario $SC, $DUR s; load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%M:%SZ)"
TIMEFORMAT="load generator CPU: %U s user + %S s system, %R s wall"
time "$BUILD/bin/ing-fleet-load" --port "${PORT_OF[gateway]}" --api-key-file "$T/gateway/api-keys" \
    --fleet 2000000 --seconds "$DUR" --redis-port "$REDIS_PORT" --pids "${PID_OF[ingestion]}" \
    "${args[@]}"
rc=$?
echo "CPU seconds during the run: redis-server $(awk -v a="$(cpu_s "${PID_OF[redis]}")" -v b="$r0" 'BEGIN { print a - b }')," \
    "gf-ingestion $(awk -v a="$(cpu_s "${PID_OF[ingestion]}")" -v b="$i0" 'BEGIN { print a - b }')," \
    "nginx workers $(awk -v a="$(cpu_s $NGINX)" -v b="$n0" 'BEGIN { print a - b }')," \
    "gf-keycheck $(awk -v a="$(cpu_s $KC)" -v b="$k0" 'BEGIN { print a - b }')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
