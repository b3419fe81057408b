#!/usr/bin/env bash
# Forecast service benchmark: wrk, 32 connections, DUR s each, direct and through the gateway:
#   POST /v1/predict with 1 row and with 100 rows (compact body; wrk -s Lua script),
#   GET /v1/forecast horizon 24 (a fixed start, so the cache answers after the first request).
# Starts its own Redis (PJM, ~400 days of the bundled EIA-930 data), a model from fc-seed, the
# forecast service and nginx (the e2e harness). Prints a markdown table (req/s, p50, p99,
# non-2xx) and the service's RSS; with --append, appends it to tests/bench/results/forecast.md.
#   tests/bench/bench_forecast.sh [seconds] [--append]
set -u
DUR=${1:-10}
APPEND=0
[ "${2:-}" = --append ] && APPEND=1
E2E_SERVICES=forecast
# The gateway's per-client read limit would throttle a load test from one address.
export GF_GATEWAY_READ_RATE=1000000r/s GF_GATEWAY_READ_BURST=100000
source "$(dirname "$0")/../e2e/lib.sh"
# The loader of the e2e suite (no test function runs: only the helpers are defined).
eval "$(sed -n '/^load_region()/,/^}/p' "$E2E_TOP/tests/e2e/test_forecast.sh")"
CSV=/work/shared/data/demand/eia930_train.csv
[ -f "$E2E_TOP/../shared/data/demand/eia930_train.csv" ] && CSV="$E2E_TOP/../shared/data/demand/eia930_train.csv"

start_redis >/dev/null
load_region PJM 400
GF_REDIS_PORT=$REDIS_PORT "$BUILD/bin/fc-seed" train --region PJM >"$T/seed.json" || exit 1
GF_LOG_LEVEL=${BENCH_LOG_LEVEL:-info} start_service forecast
start_gateway
wait_ready forecast 30
for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:${PORT_OF[forecast]}/v1/models/loaded" | jq -e '.models|length==1' >/dev/null && break
    sleep 0.1
done

GF_REDIS_PORT=$REDIS_PORT "$BUILD/bin/fc-seed" rows --region PJM --start 2018-06-12T00:00:00Z --horizon 24 >"$T/rows.json"
jq -c '.body | .rows = [.rows[0]]' "$T/rows.json" >"$T/body1.json"
jq -c '.body | .rows = [range(100) as $i | .rows[$i % 24]]' "$T/rows.json" >"$T/body100.json"
lua_script() { # body-file key -> a wrk script that POSTs the file
    local f="$T/post_$(basename "$1" .json).lua"
    {
        echo 'wrk.method = "POST"'
        echo "local f = io.open(\"$1\", \"r\"); wrk.body = f:read(\"*a\"); f:close()"
        echo 'wrk.headers["Content-Type"] = "application/json"'
        [ -n "${2:-}" ] && echo "wrk.headers[\"X-API-Key\"] = \"$2\""
    } >"$f"
    echo "$f"
}
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
run_wrk() { # url [script]
    local s=()
    [ -n "${2:-}" ] && s=(-s "$2")
    wrk -t2 -c32 -d"${DUR}s" --latency "${s[@]}" "$1" 2>&1 |
        awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} /Non-2xx/{bad=$NF}
             END{printf "%s | %s | %s | %s", rps, p50, p99, (bad==""?0:bad)}'
}
D="http://127.0.0.1:${PORT_OF[forecast]}"
FQ="forecast?region=PJM&start=2018-06-12T00:00:00Z&horizon=24"
pid=${PID_OF[forecast]}
idle=$(rss_kb "$pid")
out="$T/table.md"
{
    echo "| target | req/s | p50 | p99 | non-2xx |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    echo "| direct POST /v1/predict, 1 row | $(run_wrk "$D/v1/predict" "$(lua_script "$T/body1.json")") |"
    echo "| gateway POST /api/forecast/predict, 1 row | $(run_wrk "$GW/api/forecast/predict" "$(lua_script "$T/body1.json" "$API_KEY")") |"
    echo "| direct POST /v1/predict, 100 rows | $(run_wrk "$D/v1/predict" "$(lua_script "$T/body100.json")") |"
    echo "| gateway POST /api/forecast/predict, 100 rows | $(run_wrk "$GW/api/forecast/predict" "$(lua_script "$T/body100.json" "$API_KEY")") |"
    echo "| direct GET /v1/$FQ | $(run_wrk "$D/v1/$FQ") |"
    echo "| gateway GET /api/forecast/$FQ | $(run_wrk "$GW/api/forecast/$FQ") |"
    echo
    echo "forecast service RSS: idle ${idle} kB, after the runs $(rss_kb "$pid") kB."
    curl -fsS "$D/metrics" | grep -E '^gf_forecast_(forecasts_total|predictions_total|rows_predicted_total)' | sed 's/^/    /'
} >"$out"
cat "$out"
if [ "$APPEND" = 1 ]; then
    {
        echo
        echo "## Forecast service"
        echo
        echo "\`tests/bench/bench_forecast.sh $DUR --append\` on $(date -u +%Y-%m-%d), $(nproc) cores shared with"
        echo "other engineers' builds (load average at start: $(cut -d' ' -f1-3 /proc/loadavg)); wrk -t2 -c32 -d${DUR}s."
        echo "Model: fc-seed on PJM (53 features, 80 trees, depth 6); bodies in the compact form."
        echo
        cat "$out"
    } >>"$E2E_TOP/tests/bench/results/forecast.md"
fi
