#!/usr/bin/env bash
# The fleet benchmark: a utility's meters through the gateway, distinct meter ids from a fleet
# of 2,000,000 (services/ingestion/cmd/ing-fleet-load.c, one libevent loop). Starts its own
# Redis (AOF everysec), gf-ingestion and nginx on free loopback ports (the e2e harness), a
# fresh stack per scenario, with the gateway's per-key rate limits lifted (one key sends it
# all), and prints the load generator's per-minute table and totals.
#   tests/bench/bench_fleet.sh [--cluster N] SCENARIO [seconds]      (default 600)
#     --cluster N  Redis is a Redis Cluster of N masters (scripts/redis-cluster.sh, AOF everysec
#                  as the single Redis) and gf-ingestion gets GF_REDIS_CLUSTER; without it, one
#                  Redis. Either way the CPU of every redis-server is sampled every 5 s
#                  (/proc/PID/stat) and printed per minute and per master, with the loss check
#                  and memory summed over the masters.
#     a  every meter every 15 min: 2,000,000 meters, ~2,222 readings/s, paced
#     b  200,000 meters every 10 s: 20,000 readings/s, paced
#     c  2,000,000 meters posting 1,000-reading batches as fast as the stack answers
#     d  catch-up: 1,000,000 meters each sending its last 4 hours (16 x 15 min) at once
# Every reading carries kwh, so "loss check" compares the readings acknowledged as new with
# the readings counted in Redis's hour aggregates.
set -u
CLUSTER=0
if [ "${1:-}" = --cluster ]; then
    CLUSTER=${2:?--cluster N (masters)}
    shift 2
fi
SC=${1:?scenario a|b|c|d}
DUR=${2:-600}
E2E_SERVICES=ingestion
export GF_GATEWAY_INGEST_RATE=100000r/s GF_GATEWAY_READ_RATE=1000000r/s GF_GATEWAY_READ_BURST=100000
export GF_GATEWAY_WRITE_BURST=100000
source "$(dirname "$0")/../e2e/lib.sh"
chmod 711 "$T"
REDIS_PIDS=()
if [ "$CLUSTER" -gt 0 ]; then
    start_redis_cluster "$CLUSTER" || { echo "the cluster did not start: $(cat "$T/cluster.log")" >&2; exit 1; }
    for p in "${CLUSTER_PORTS[@]}"; do REDIS_PIDS+=("${PID_OF[redis-$p]}"); done
    REDIS_ARGS=() # ing-fleet-load reads one Redis; the checks over every master are below
else
    start_redis >/dev/null
    CLUSTER_PORTS=("$REDIS_PORT")
    REDIS_PIDS=("${PID_OF[redis]}")
    REDIS_ARGS=(--redis-port "$REDIS_PORT")
fi
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
# used_memory summed over the masters, in MB.
redis_used_mb() {
    local p t=0
    for p in "${CLUSTER_PORTS[@]}"; do
        t=$((t + $(redis-cli -p "$p" INFO memory | tr -d '\r' | sed -n 's/^used_memory://p')))
    done
    awk -v t="$t" 'BEGIN { printf "%.1f", t / 1048576 }'
}
# Every 5 s: seconds since the start, then the CPU ticks of each redis-server, gf-ingestion and
# the nginx workers (one line; ends with the run, at the latest DUR + 120 s).
sample_cpu() {
    local t0=$SECONDS p line
    while [ ! -e "$T/run-done" ] && [ $((SECONDS - t0)) -le $((DUR + 120)) ]; do
        line="$((SECONDS - t0))"
        for p in "${REDIS_PIDS[@]}" "${PID_OF[ingestion]}"; do
            line+=" $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)"
        done
        line+=" $(for p in $NGINX; do awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null; done | awk '{ s += $1 } END { print s + 0 }')"
        echo "$line" >>"$T/cpu-samples"
        sleep 5
    done
}
r0=$(cpu_s "${REDIS_PIDS[@]}") i0=$(cpu_s "${PID_OF[ingestion]}") n0=$(cpu_s $NGINX) k0=$(cpu_s $KC)
m0=$(redis_used_mb)
echo "scenario $SC, $DUR s, Redis: $([ "$CLUSTER" -gt 0 ] && echo "cluster of $CLUSTER masters (${CLUSTER_PORTS[*]})" || echo "one server");" \
    "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%M:%SZ)"
sample_cpu &
SAMPLER=$!
TIMEFORMAT="load generator CPU: %U s user + %S s system, %R s wall"
time "$BUILD/bin/ing-fleet-load" --port "${PORT_OF[gateway]}" --api-key-file "$T/gateway/api-keys" \
    --fleet 2000000 --seconds "$DUR" "${REDIS_ARGS[@]}" --pids "${PID_OF[ingestion]}" \
    "${args[@]}" | tee "$T/load.out"
rc=${PIPESTATUS[0]}
touch "$T/run-done"
wait "$SAMPLER"
# CPU per minute, as % of one core: each redis-server (the master's port), gf-ingestion, nginx.
hz=$(getconf CLK_TCK)
echo
printf '| minute |'
for p in "${CLUSTER_PORTS[@]}"; do printf ' redis %s %% |' "$p"; done
printf ' redis total %% | gf-ingestion %% | nginx %% |\n| ---: |'
for p in "${CLUSTER_PORTS[@]}"; do printf ' ---: |'; done
printf ' ---: | ---: | ---: |\n'
awk -v hz="$hz" -v nr="${#REDIS_PIDS[@]}" '
    NR == 1 { for (i = 1; i <= NF; i++) first[i] = $i; prev_t = $1; for (i = 1; i <= NF; i++) last[i] = $i; next }
    { m = int(($1 - 1) / 60); if (!(m in t0)) { t0[m] = prev_t; for (i = 2; i <= NF; i++) a[m, i] = last[i] }
      t1[m] = $1; for (i = 2; i <= NF; i++) b[m, i] = $i; for (i = 1; i <= NF; i++) last[i] = $i; prev_t = $1; nf = NF; if (m > mm) mm = m }
    END { for (m = 0; m <= mm; m++) { if (!(m in t0) || t1[m] <= t0[m]) continue; dt = t1[m] - t0[m]; tot = 0
            printf "| %d |", m + 1
            for (i = 2; i <= nf; i++) { v = 100 * (b[m, i] - a[m, i]) / hz / dt; if (i <= nr + 1) tot += v
                printf " %.0f |", v; if (i == nr + 1) printf " %.0f |", tot }
            printf "\n" } }' "$T/cpu-samples"
echo
for i in "${!CLUSTER_PORTS[@]}"; do
    echo "redis-server :${CLUSTER_PORTS[$i]} (pid ${REDIS_PIDS[$i]}): $(awk -v a="$(cpu_s "${REDIS_PIDS[$i]}")" -v d="$DUR" 'BEGIN { printf "%.1f CPU s, %.0f%% of one core over the run", a, 100 * a / d }')"
done
# With a cluster, the checks ing-fleet-load makes on one Redis, over every master: the readings
# counted in the hour aggregates against those acknowledged as new, and memory per meter.
if [ "$CLUSTER" -gt 0 ]; then
    new=$(sed -n 's/.*accepted (new) \([0-9]*\),.*/\1/p' "$T/load.out")
    agg=0 meters=0
    for p in "${CLUSTER_PORTS[@]}"; do
        for k in $(redis-cli -p "$p" --scan --pattern 'gf:agg:*:hour:*'); do
            agg=$((agg + $(redis-cli -p "$p" HGETALL "$k" | awk 'NR % 2 == 1 && /:n$/ { getline v; s += v } END { print s + 0 }')))
        done
        for k in $(redis-cli -p "$p" --scan --pattern 'gf:meters:*'); do
            meters=$((meters + $(redis-cli -p "$p" HLEN "$k")))
        done
        echo "master :$p: used_memory $(redis-cli -p "$p" INFO memory | tr -d '\r' | sed -n 's/^used_memory_human://p'), $(redis-cli -p "$p" DBSIZE) keys"
    done
    echo "loss check over $CLUSTER masters: ${new:-?} readings acknowledged as new, $agg counted in the hour aggregates: $([ "${new:-x}" = "$agg" ] && echo equal || echo DIFFERENT)"
    [ "${new:-x}" = "$agg" ] || rc=1
    m1=$(redis_used_mb)
    echo "Redis used_memory over the masters: $m0 MB at the start, $m1 MB at the end; meters with a dedupe state $meters"
fi
echo "CPU seconds during the run: redis-server $(awk -v a="$(cpu_s "${REDIS_PIDS[@]}")" -v b="$r0" 'BEGIN { print a - b }')," \
    "gf-ingestion $(awk -v a="$(cpu_s "${PID_OF[ingestion]}")" -v b="$i0" 'BEGIN { print a - b }')," \
    "nginx workers $(awk -v a="$(cpu_s $NGINX)" -v b="$n0" 'BEGIN { print a - b }')," \
    "gf-keycheck $(awk -v a="$(cpu_s $KC)" -v b="$k0" 'BEGIN { print a - b }')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
