#!/usr/bin/env bash
# Mixed load and soak through the gateway, bounded in time, loopback only:
#   meter readings (gf-meter-sim), forecast reads (wrk), dashboard polling, an OPF job every
#   OPF_EVERY seconds, compliance questions. Prints throughput and p99 per route, errors, and
#   the RSS of every process at the start and the end.
#   SOAK_SECONDS=600 tests/bench/bench_soak.sh      (default 60 s)
set -u
SOAK=${SOAK_SECONDS:-60}
OPF_EVERY=${OPF_EVERY:-10}
export GF_GATEWAY_READ_RATE=1000000r/s GF_GATEWAY_READ_BURST=100000
export GF_GATEWAY_INGEST_RATE=1000000r/s GF_GATEWAY_EXPENSIVE_RATE=100000r/m
source "$(dirname "$0")/../e2e/lib.sh"

start_redis >/dev/null
for s in $E2E_SERVICES; do start_service "$s" GF_LOG_LEVEL=warn; done
start_gateway
for s in $E2E_SERVICES; do wait_ready "$s" 120; done

echo "# preparing: PJM history through the ingestion API, one model with gf-trainer --once"
awk -F, 'NR == 1 || ($2 == "PJM" && $1 >= "2016-11-01")' \
    "$E2E_TOP/services/ingestion/data/eia930_train.csv" >"$T/pjm.csv"
curl -s -o "$T/import.json" -X POST "$GW/api/ingestion/demand" -H "X-API-Key: $API_KEY" \
    -H 'Content-Type: text/csv' --data-binary "@$T/pjm.csv"
echo "#   import: $(jq -c '{accepted,rejected}' "$T/import.json" 2>/dev/null || head -c 200 "$T/import.json")"
GF_REDIS_PORT=$REDIS_PORT GF_TRAINER_THREADS=1 "$BUILD/bin/gf-trainer" --once --regions PJM \
    --test-days 14 >"$T/once.log" 2>&1 || { echo "training failed"; tail -5 "$T/once.log"; }
for _ in $(seq 100); do
    curl -fs -o /dev/null "$GW/api/forecast/forecast?region=PJM&horizon=24" && break
    sleep 0.2
done

rss() { awk '/VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null; }
declare -A RSS0
for s in redis $E2E_SERVICES gateway; do RSS0[$s]=$(rss "${PID_OF[$s]}"); done

echo "# mixed load for ${SOAK}s"
# 1. Meter readings: 2,000 meters every second.
"$BUILD/bin/gf-meter-sim" --url "$GW" --api-key "$API_KEY" --meters 2000 --seconds "$SOAK" \
    >"$T/sim.log" 2>&1 &
SIMPID=$!
# 2. Forecast reads (what the dashboard and Power Apps do most).
wrk -t1 -c8 -d"${SOAK}s" --latency "$GW/api/forecast/forecast?region=PJM&horizon=24" \
    >"$T/wrk_forecast.txt" 2>&1 &
WRKPID=$!
# 3. Dashboard polling, 4. compliance questions, 5. an OPF job every OPF_EVERY seconds.
poll() { # name url-or-command...
    local name=$1 ok=0 bad=0 code end=$((SECONDS + SOAK))
    shift
    while [ $SECONDS -lt $end ]; do
        code=$("$@")
        if [ "${code:0:1}" = 2 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); echo "$code" >>"$T/$name.codes"; fi
        sleep "${POLL_SLEEP:-0.5}"
    done
    echo "$name $ok $bad" >>"$T/loops"
}
get() { curl -s -o /dev/null -w '%{http_code}' "$GW$1"; }
ask() {
    curl -s -o /dev/null -w '%{http_code}' -X POST "$GW/api/compliance/ask" -H "X-API-Key: $API_KEY" \
        -H 'Content-Type: application/json' --data-binary '{"question":"Which energy audits must large enterprises carry out?"}'
}
opf() {
    curl -s -o /dev/null -w '%{http_code}' -X POST "$GW/api/simulation/opf" -H "X-API-Key: $API_KEY" \
        -H 'Content-Type: application/json' --data-binary '{"case":"pglib_opf_case118_ieee","async":true}'
}
LOOPS=()
poll summary get /api/ingestion/summary &
LOOPS+=($!)
poll models get /api/forecast/models/loaded &
LOOPS+=($!)
poll anomalies get /api/ingestion/anomalies &
LOOPS+=($!)
poll compliance ask &
LOOPS+=($!)
POLL_SLEEP=$OPF_EVERY poll opf_jobs opf &
LOOPS+=($!)
# Only the load generators: the services are children of this shell too.
wait "$WRKPID" "$SIMPID" "${LOOPS[@]}"

echo
echo "| load | requests | throughput | p99 | errors |"
echo "| --- | ---: | ---: | ---: | ---: |"
awk '/requests in/{n=$1} /Requests\/sec/{r=$2} /^ +99%/{p=$2} /Non-2xx/{e=$NF}
     END{printf "| forecast h=24 (wrk, 8 conn) | %s | %s req/s | %s | %s |\n", n, r, p, (e==""?0:e)}' \
    "$T/wrk_forecast.txt"
sim=$(grep 'done:' "$T/sim.log" | tail -1)
echo "| meter readings (gf-meter-sim, 2,000 meters every second) | $(echo "$sim" | grep -o '[0-9]* readings sent') | $(echo "$sim" | grep -o '[0-9]* accepted') | | $(echo "$sim" | grep -o '[0-9]* failed') batches |"
while read -r name ok bad; do
    echo "| $name (polling) | $((ok + bad)) | | | $bad |"
done <"$T/loops"
echo
echo "| process | RSS start (kB) | RSS end (kB) |"
echo "| --- | ---: | ---: |"
for s in redis $E2E_SERVICES gateway; do
    echo "| $s | ${RSS0[$s]} | $(rss "${PID_OF[$s]}") |"
done
