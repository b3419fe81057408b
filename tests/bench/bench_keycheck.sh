#!/usr/bin/env bash
# Gateway key check: the cost of the auth_request subrequest to gf-keycheck. The same route
# (GET /api/forecast/info) through two gateways of one stack: one that lets reads pass without
# a key (no subrequest, GF_GATEWAY_READ_AUTH=0) and one that checks the key on reads
# (subrequest, GF_GATEWAY_READ_AUTH=1). wrk, 1 connection (added latency) and 32 connections
# (throughput), REPS runs of SECONDS each; prints the median of the runs.
#   tests/bench/bench_keycheck.sh [seconds] [reps]
set -u
DUR=${1:-5}
REPS=${2:-3}
E2E_SERVICES=forecast
export GF_GATEWAY_READ_RATE=1000000r/s GF_GATEWAY_READ_BURST=100000
source "$(dirname "$0")/../e2e/lib.sh"
start_redis >/dev/null
GF_LOG_LEVEL=warn start_service forecast
GF_LOG_LEVEL=warn GF_GATEWAY_READ_AUTH=0 start_gateway
OPEN=$GW
GF_GATEWAY_READ_AUTH=1 start_gateway
CHECKED=$GW
wait_ready forecast 30
curl -fsS -o /dev/null -H "X-API-Key: $API_KEY" "$CHECKED/api/forecast/info" || { echo "checked gateway refuses the key" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "$CHECKED/api/forecast/info")" = 401 ] || { echo "reads are not checked" >&2; exit 1; }

one() { # url conns -> "rps p50_ms"
    wrk -t1 -c"$2" -d"${DUR}s" --latency -H "X-API-Key: $API_KEY" "$1" 2>&1 |
        awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
             /Requests\/sec/{rps=$2} /^ +50%/{p50=ms($2)} /Non-2xx/{bad=$NF}
             END{ if (bad != "") { print "non-2xx " bad > "/dev/stderr"; exit 1 } printf "%.0f %.3f\n", rps, p50 }'
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
row() { # name url
    local c1_p50=() c32_rps=() i r
    for ((i = 0; i < REPS; i++)); do
        r=$(one "$2" 1) || exit 1
        c1_p50+=("${r#* }")
        r=$(one "$2" 32) || exit 1
        c32_rps+=("${r% *}")
    done
    echo "| $1 | $(printf '%s\n' "${c1_p50[@]}" | median) | $(printf '%s\n' "${c32_rps[@]}" | median) |"
}
echo "| GET /api/forecast/info through the gateway | p50 ms, 1 connection | req/s, 32 connections |"
echo "| --- | ---: | ---: |"
row "no key check (reads open)" "$OPEN/api/forecast/info"
row "key checked by gf-keycheck (auth_request)" "$CHECKED/api/forecast/info"
