#!/usr/bin/env bash
# Kit benchmark: wrk, 32 connections, 10 s, GET /v1/info directly and through the gateway.
# Starts its own Redis, forecast service and nginx on free loopback ports (the e2e harness),
# prints a markdown table (req/s, p50, p99) and the service's RSS idle and after the load.
#   tests/bench/bench_http.sh [seconds]
set -u
DUR=${1:-10}
E2E_SERVICES=forecast
# The gateway's per-client read limit would throttle a load test from one address.
export GF_GATEWAY_READ_RATE=1000000r/s GF_GATEWAY_READ_BURST=100000
source "$(dirname "$0")/../e2e/lib.sh"
start_redis >/dev/null
GF_LOG_LEVEL=${BENCH_LOG_LEVEL:-info} start_service forecast
start_gateway
wait_ready forecast 30

rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
run_wrk() { # url
    wrk -t2 -c32 -d"${DUR}s" --latency "$1" 2>&1 |
        awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} /Non-2xx/{bad=$NF}
             END{printf "%s | %s | %s | %s", rps, p50, p99, (bad==""?0:bad)}'
}
idle=$(rss_kb "${PID_OF[forecast]}")
echo "| target | req/s | p50 | p99 | non-2xx |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| direct GET /v1/info | $(run_wrk "http://127.0.0.1:${PORT_OF[forecast]}/v1/info") |"
echo "| gateway GET /api/forecast/info | $(run_wrk "$GW/api/forecast/info") |"
echo
echo "forecast service RSS: idle ${idle} kB, after load $(rss_kb "${PID_OF[forecast]}") kB"
