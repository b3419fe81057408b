#!/usr/bin/env bash
# Two ingestion instances behind the gateway (an nginx upstream with two servers, one Redis):
# dedupe stays exact across instances. The same readings are posted to both instances at
# once, directly and through the gateway (which spreads requests over both), many times in
# parallel: every distinct reading is stored once and counted as accepted exactly once over
# all the answers; every other copy is a duplicate. Checked in the answers, in the clean
# tier and in the aggregates.
E2E_SERVICES="ingestion"
source "$(dirname "$0")/lib.sh"

rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
NOW=$(date +%s)

# A batch of readings of meters inst-0..inst-(n-1), `per` readings each at 10 s steps.
batch() { # n per
    awk -v n="$1" -v per="$2" -v t0="$((NOW - 600))" 'BEGIN { printf "["
        for (k = 0; k < per; k++) for (i = 0; i < n; i++)
            printf "%s{\"meter_id\":\"inst-%d\",\"ts\":\"%s\",\"region\":\"%s\",\"kw\":1,\"kwh\":0.25}",
                (k || i ? "," : ""), i, strftime("%Y-%m-%dT%H:%M:%SZ", t0 + k * 10, 1),
                (i % 2 ? "PJM" : "ERCO")
        printf "]" }'
}

t_two_instances_behind_the_gateway_dedupe_exactly() {
    local n=300 per=5 distinct=$((300 * 5)) j
    batch $n $per >"$T/b.json"
    # 12 posts of the same 1,500 readings at once: 4 to each instance directly, 4 through
    # the gateway (round robin over both).
    local urls=("http://127.0.0.1:$ING_A/v1/readings" "http://127.0.0.1:$ING_B/v1/readings"
        "$GW/api/ingestion/readings")
    for j in $(seq 0 11); do
        curl -sS -o "$T/r$j.json" -w '%{http_code}' --max-time 30 -X POST \
            -H "X-API-Key: $API_KEY" -H 'Content-Type: application/json' \
            --data-binary "@$T/b.json" "${urls[$((j % 3))]}" >"$T/s$j" &
    done
    wait
    local acc=0 dup=0
    for j in $(seq 0 11); do
        [ "$(cat "$T/s$j")" = 200 ] || fail "post $j: $(cat "$T/s$j") $(cat "$T/r$j.json")"
        acc=$((acc + $(jq -r .accepted "$T/r$j.json")))
        dup=$((dup + $(jq -r .duplicate "$T/r$j.json")))
    done
    echo "    12 posts x $distinct readings: accepted $acc, duplicate $dup"
    [ "$acc" = "$distinct" ] || fail "accepted $acc over all answers, expected $distinct"
    [ "$dup" = $((11 * distinct)) ] || fail "duplicates $dup, expected $((11 * distinct))"
    # Redis: each reading once in the clean tier and in the aggregates.
    local lines=0 cnt=0 k
    for k in $(rcli --scan --pattern 'gf:clean:*'); do
        lines=$((lines + $(rcli XRANGE "$k" - + | grep -c '^\["inst-' || true)))
    done
    for k in $(rcli --scan --pattern 'gf:agg:*:hour:*'); do
        cnt=$((cnt + $(rcli HGETALL "$k" | awk 'NR % 2 == 1 && /:n$/ { getline v; s += v } END { print s + 0 }')))
    done
    [ "$lines" = "$distinct" ] || fail "clean tier holds $lines readings, expected $distinct"
    [ "$cnt" = "$distinct" ] || fail "aggregates count $cnt readings, expected $distinct"
    # Both instances did write: each one's own counters show work.
    local a b
    a=$(curl -fsS "http://127.0.0.1:$ING_A/v1/summary" | jq '.accepted + .duplicate')
    b=$(curl -fsS "http://127.0.0.1:$ING_B/v1/summary" | jq '.accepted + .duplicate')
    [ "$a" -ge $((4 * distinct)) ] && [ "$b" -ge $((4 * distinct)) ] ||
        fail "instance A handled $a readings, B $b"
    [ $((a + b)) = $((12 * distinct)) ] || fail "A $a + B $b != $((12 * distinct))"
}

t_gateway_spreads_over_both_instances() {
    # Sequential gateway posts of fresh readings reach both instances (round robin).
    local a0 b0 a1 b1 j
    a0=$(curl -fsS "http://127.0.0.1:$ING_A/v1/summary" | jq .accepted)
    b0=$(curl -fsS "http://127.0.0.1:$ING_B/v1/summary" | jq .accepted)
    for j in $(seq 1 8); do
        reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' \
            --data-binary "[{\"meter_id\":\"rr-$j\",\"ts\":\"$(date -u -d "@$((NOW - 30))" +%Y-%m-%dT%H:%M:%SZ)\",\"region\":\"MISO\",\"kw\":1}]"
        expect_status 200
        expect_json .accepted 1
    done
    a1=$(curl -fsS "http://127.0.0.1:$ING_A/v1/summary" | jq .accepted)
    b1=$(curl -fsS "http://127.0.0.1:$ING_B/v1/summary" | jq .accepted)
    [ $((a1 - a0 + b1 - b0)) = 8 ] || fail "A +$((a1 - a0)), B +$((b1 - b0))"
    [ $((a1 - a0)) -ge 1 ] && [ $((b1 - b0)) -ge 1 ] || fail "A +$((a1 - a0)), B +$((b1 - b0))"
}

# Two instances of ingestion on one Redis, both in the gateway's upstream.
start_redis || { echo "not ok - stack starts (redis)"; exit 1; }
start_service ingestion || { echo "not ok - stack starts (ingestion A)"; exit 1; }
ING_A=${PORT_OF[ingestion]}
wait_ready ingestion 60 || { echo "not ok - ingestion A becomes ready"; exit 1; }
start_service ingestion || { echo "not ok - stack starts (ingestion B)"; exit 1; }
ING_B=${PORT_OF[ingestion]}
wait_ready ingestion 60 || { echo "not ok - ingestion B becomes ready"; exit 1; }
PORT_OF[ingestion]="$ING_A,127.0.0.1:$ING_B"
start_gateway || { echo "not ok - stack starts (gateway)"; exit 1; }
grep -q "server 127.0.0.1:$ING_A; server 127.0.0.1:$ING_B;" "$T/nginx.conf" ||
    { echo "not ok - gateway upstream has both instances"; exit 1; }
run_tests
[ "$E2E_FAILED" -eq 0 ]
