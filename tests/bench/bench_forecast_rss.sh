#!/usr/bin/env bash
# Forecast service memory with the eight production models `make up` trains: real Redis with
# the whole bundled history of CISO ERCO ISNE MISO NYIS PJM SWPP (EIA-930) and NYC (with
# temperature), models trained and promoted by `gf-trainer --once --regions all` exactly as
# scripts/first-run.sh does (parameter search included: ~5-10 min on 2 shared cores), then
# gf-forecast started on that Redis. Prints the models (trees, model bytes) and the service's
# VmRSS / VmHWM when ready and after 24-hour forecasts of every region.
#   tests/bench/bench_forecast_rss.sh            # trains, keeps the Redis data for reuse
#   BENCH_RDB=build/bench/forecast-models.rdb tests/bench/bench_forecast_rss.sh   # reuse
set -u
E2E_SERVICES=forecast
source "$(dirname "$0")/../e2e/lib.sh"
DATA=$E2E_TOP/../shared/data/demand
[ -d "$DATA" ] || DATA=/work/shared/data/demand
KEEP=$BUILD/bench/forecast-models.rdb
REGIONS="CISO ERCO ISNE MISO NYIS PJM SWPP NYC"

if [ -n "${BENCH_RDB:-}" ]; then
    mkdir -p "$T/redis"
    cp "$BENCH_RDB" "$T/redis/dump.rdb" || exit 1
    E2E_REDIS_AOF=no start_redis --dbfilename dump.rdb >/dev/null
else
    E2E_REDIS_AOF=no start_redis >/dev/null
    for r in $REGIONS; do
        CSV=$DATA/eia930_train.csv
        [ "$r" = NYC ] && CSV=$DATA/nyc_train.csv
        load_region "$r" 100000
    done
    echo "training the production models (gf-trainer --once --regions all) ..."
    GF_REDIS_PORT=$REDIS_PORT nice "$BUILD/bin/gf-trainer" --once --regions all 2>&1 |
        grep -v '^{' | grep -E ' v[0-9]+ MAPE|job ' || exit 1
    redis-cli -p "$REDIS_PORT" save >/dev/null && mkdir -p "$(dirname "$KEEP")" &&
        cp "$T/redis/dump.rdb" "$KEEP" && echo "Redis data kept in $KEEP (BENCH_RDB=$KEEP reuses it)"
fi
start_service forecast
wait_ready forecast 120 || exit 1
D="http://127.0.0.1:${PORT_OF[forecast]}"
pid=${PID_OF[forecast]}
status_kb() { awk -v k="$1:" '$1==k{print $2}' "/proc/$pid/status"; }
echo
echo "| model | version | features | model bytes (UBJSON) | trees | max depth |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for r in $REGIONS; do
    v=$(redis-cli -p "$REDIS_PORT" --raw hget "gf:reg:{load:$r}:aliases" production)
    p=$(redis-cli -p "$REDIS_PORT" --raw hget "gf:reg:{load:$r}:v:$v" params)
    echo "| load:$r | $v | $(redis-cli -p "$REDIS_PORT" --raw hget "gf:reg:{load:$r}:v:$v" spec | jq '.features|length') | $(redis-cli -p "$REDIS_PORT" strlen "gf:reg:{load:$r}:blob:$v") | $(jq .rounds <<<"$p") | $(jq .max_depth <<<"$p") |"
done
n=$(curl -fsS "$D/v1/models/loaded" | jq '.models|length')
ready_rss=$(status_kb VmRSS) ready_hwm=$(status_kb VmHWM)
for r in $REGIONS; do
    curl -fsS -o /dev/null "$D/v1/forecast?region=$r&horizon=24" || echo "forecast $r failed"
done
echo
echo "models serving: $n"
echo "gf-forecast VmRSS when ready: $ready_rss kB (peak during the loads, VmHWM: $ready_hwm kB)"
echo "gf-forecast VmRSS after a 24 h forecast of each region: $(status_kb VmRSS) kB (VmHWM $(status_kb VmHWM) kB)"
