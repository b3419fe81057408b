#!/usr/bin/env bash
# Faults of a Redis Cluster under ingestion load (three masters, no replicas, loopback only,
# bounded in batches and seconds), through the gateway:
#   - kill -9 of one master while a client posts: readings whose partitions (gf:…:{R:b}) that
#     master held get 503 with Retry-After and the JSON error shape; readings of partitions on
#     the other masters keep being accepted; the node is started again (its AOF) and the
#     refused batch, retried, stores each of its readings exactly once;
#   - a slot migration (`redis-cli --cluster reshard` of half a master's slots, partitions in
#     use among them) while a client posts: nothing is lost.
# Each client posts every batch until it is acknowledged (200); at the end every acknowledged
# reading is counted in Redis, over every master, exactly once (clean streams and hour
# aggregates).

export GF_GATEWAY_INGEST_RATE=5000r/s GF_GATEWAY_WRITE_BURST=1000
source "$(dirname "$0")/lib.sh"

NOW=$(date +%s)
REGIONS=(PJM ERCO MISO CISO NYIS ISNE SWPP TVA)
METERS=240 # per batch: meters <prefix>-000..239, every region 30 of them

# One batch: every meter once, at minute b of the last hour (distinct (meter, ts) per batch).
make_batch() { # prefix b file
    awk -v p="$1" -v b="$2" -v n="$METERS" -v t="$((NOW - 3600 + $2 * 10))" -v regs="${REGIONS[*]}" '
    BEGIN { split(regs, R, " "); nr = length(R); printf "["
        for (i = 0; i < n; i++)
            printf "%s{\"meter_id\":\"%s-%03d\",\"ts\":\"%s\",\"region\":\"%s\",\"kw\":1,\"kwh\":0.01}",
                (i ? "," : ""), p, i, strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), R[i % nr + 1]
        printf "]" }' >"$3"
}

# The client: batches $dir/b0.json..b<nb-1>.json in order, each posted until acknowledged (at most
# 300 attempts, 0.1 s apart). Per attempt a line "b status retry-after" in $dir/attempts; the
# acknowledgement in $dir/r<b>.json.
client() { # nb dir
    local nb=$1 d=$2 b st ra
    for ((b = 0; b < nb; b++)); do
        for _ in $(seq 300); do
            st=$(curl -sS -o "$d/r$b.json" -D "$d/h$b" -w '%{http_code}' --max-time 10 -X POST \
                -H "X-API-Key: $API_KEY" -H 'Content-Type: application/json' \
                --data-binary "@$d/b$b.json" "$GW/api/ingestion/readings" 2>/dev/null) || st=000
            ra=$(grep -i '^Retry-After:' "$d/h$b" 2>/dev/null | tr -d '\r' | awk '{ print $2 }')
            echo "$b $st ${ra:--}" >>"$d/attempts"
            [ "$st" = 200 ] && break
            [ "$st" = 503 ] && cp "$d/r$b.json" "$d/e503.json"
            sleep 0.1
        done
    done
}

# Readings of meters PREFIX-* in the clean streams and in the hour aggregates, every master.
stored_clean() { # prefix
    local k n=0
    for k in $(cscan 'gf:clean:*'); do
        n=$((n + $(ccli XRANGE "$k" - + | grep -c "^\[\"$1-" || true)))
    done
    echo "$n"
}
stored_agg() {
    local k n=0
    for k in $(cscan 'gf:agg:*:hour:*'); do
        n=$((n + $(ccli HGETALL "$k" | awk 'NR % 2 == 1 && /:n$/ { getline v; s += v } END { print s + 0 }')))
    done
    echo "$n"
}
# Every batch acknowledged with all its readings; prints "accepted duplicate" summed.
acks() { # dir nb
    local b acc=0 dup=0
    for ((b = 0; b < $2; b++)); do
        [ "$(jq -r .received "$1/r$b.json" 2>/dev/null)" = "$METERS" ] ||
            { echo "batch $b not acknowledged: $(head -c 300 "$1/r$b.json")" >&2; return 1; }
        [ "$(jq -r .rejected "$1/r$b.json")" = 0 ] || { echo "batch $b: rejections" >&2; return 1; }
        acc=$((acc + $(jq -r .accepted "$1/r$b.json")))
        dup=$((dup + $(jq -r .duplicate "$1/r$b.json")))
    done
    echo "$acc $dup"
}
# meter -> the master port holding its dedupe state (gf:meters:{R:b} partitions).
map_meters() { # prefix out
    local k port
    : >"$2"
    for k in $(cscan 'gf:meters:*'); do
        port=$(cluster_owner "$k")
        ccli HKEYS "$k" | grep "^$1-" | sed "s/\$/ $port/" >>"$2"
    done
}
# A batch of only the meters listed (meter region), at stamp t.
batch_of() { # meters-file t out
    awk -v t="$2" 'BEGIN { printf "[" } { printf "%s{\"meter_id\":\"%s\",\"ts\":\"%s\",\"region\":\"%s\",\"kw\":1,\"kwh\":0.01}",
        (NR > 1 ? "," : ""), $1, strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), $2 } END { printf "]" }' "$1" >"$3"
}

t_killed_master_is_503_for_its_slots_only_and_a_retry_stores_once() {
    local d="$T/kill" nb=40 b
    mkdir -p "$d"
    for ((b = 0; b < nb; b++)); do make_batch k "$b" "$d/b$b.json"; done
    # Where each meter's partition lives (learned from a first write of every meter).
    make_batch k 300 "$d/probe.json"
    reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' --data-binary "@$d/probe.json"
    expect_status 200
    expect_json .accepted "$METERS"
    map_meters k "$d/where"
    [ "$(wc -l <"$d/where")" = "$METERS" ] || fail "meters located: $(wc -l <"$d/where")"
    local victim
    victim=$(awk '{ print $2 }' "$d/where" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
    awk -v v="$victim" -v regs="${REGIONS[*]}" 'BEGIN { split(regs, R, " ") }
        { i = substr($1, 3) + 0; print $1, R[i % length(R) + 1] > ($2 == v ? "'"$d"'/dead" : "'"$d"'/live") }' "$d/where"
    echo "    master $victim holds $(wc -l <"$d/dead") of $METERS meters' partitions"
    [ -s "$d/live" ] && [ -s "$d/dead" ] || fail "partitions not spread over masters"
    batch_of "$d/dead" $((NOW - 7)) "$d/dead.json"
    batch_of "$d/live" $((NOW - 7)) "$d/live.json"
    # The load, then the crash in the middle of it.
    client $nb "$d" &
    local cpid=$!
    for _ in $(seq 300); do [ -s "$d/r5.json" ] && break; sleep 0.02; done
    cluster_node_kill "$victim"
    # Down: the dead partitions' readings are refused (503, Retry-After, nothing acknowledged);
    # the others' are served.
    local i
    for i in $(seq 100); do
        reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' --data-binary "@$d/dead.json"
        [ "$STATUS" = 503 ] && break
        sleep 0.1
    done
    expect_status 503
    expect_error_shape redis_unavailable
    expect_header Retry-After '[0-9]+'
    reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' --data-binary "@$d/live.json"
    expect_status 200
    expect_json .accepted "$(wc -l <"$d/live")"
    req GET "$GW/api/ingestion/summary"
    expect_status 200
    sleep 1
    # The node back (same id, slots and AOF); the client's refused batches go through.
    cluster_node_start "$victim" || fail "node-start: $(tail -3 "$T/cluster.log")"
    wait_ready ingestion 30 || fail "ingestion not ready after the node came back"
    for i in $(seq 100); do
        reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' --data-binary "@$d/dead.json"
        [ "$STATUS" = 200 ] && break
        sleep 0.1
    done
    expect_status 200
    expect_json .accepted "$(wc -l <"$d/dead")"
    expect_json .duplicate 0
    reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' --data-binary "@$d/dead.json"
    expect_json .accepted 0
    expect_json .duplicate "$(wc -l <"$d/dead")"
    wait "$cpid"
    local a n503 bad_ra
    a=$(acks "$d" $nb) || fail "client: $a"
    n503=$(awk '$2 == 503' "$d/attempts" | wc -l)
    bad_ra=$(awk '$2 == 503 && $3 !~ /^[0-9]+$/' "$d/attempts" | wc -l)
    echo "    client: $nb batches acknowledged (accepted, duplicate: $a) after $n503 answers 503 during the outage"
    [ "$n503" -ge 1 ] || fail "the client never saw the outage"
    [ "$bad_ra" = 0 ] || fail "$bad_ra answers 503 without Retry-After"
    jq -e '.error.code == "redis_unavailable"' "$d/e503.json" >/dev/null || fail "503 body: $(cat "$d/e503.json")"
    # Exactly once: probe + load + the two single batches.
    local want=$((METERS + nb * METERS + METERS))
    [ "$(stored_clean k)" = "$want" ] || fail "clean streams hold $(stored_clean k) readings, expected $want"
    [ "$(stored_agg)" = "$want" ] || fail "aggregates count $(stored_agg), expected $want"
    # Accepted over all acknowledgements never exceeds what is stored (a reading acknowledged
    # as new twice would).
    [ "${a% *}" -le $((nb * METERS)) ] || fail "accepted ${a% *} > $((nb * METERS))"
}

t_slot_migration_during_load_loses_nothing() {
    local d="$T/mig" nb=60 b
    mkdir -p "$d"
    for ((b = 0; b < nb; b++)); do make_batch m "$b" "$d/b$b.json"; done
    local before=0
    before=$(stored_agg)
    # Half the slots of the master holding the most partitions go to the next master.
    local from to from_id to_id
    from=$(for k in $(cscan 'gf:meters:*'); do cluster_owner "$k"; done | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
    to=$(printf '%s\n' "${CLUSTER_PORTS[@]}" | grep -vx "$from" | head -1)
    from_id=$(redis-cli -p "$from" CLUSTER MYID)
    to_id=$(redis-cli -p "$to" CLUSTER MYID)
    cscan 'gf:meters:*' | while read -r k; do echo "$k $(cluster_owner "$k")"; done >"$d/owners0"
    client $nb "$d" &
    local cpid=$!
    for _ in $(seq 300); do [ -s "$d/r3.json" ] && break; sleep 0.02; done
    local t0 t1
    t0=$(date +%s.%N)
    timeout 120 redis-cli --cluster reshard "127.0.0.1:$from" --cluster-from "$from_id" \
        --cluster-to "$to_id" --cluster-slots 2700 --cluster-yes >"$d/reshard.log" 2>&1 ||
        fail "reshard failed: $(tail -5 "$d/reshard.log")"
    t1=$(date +%s.%N)
    local done_at_end
    done_at_end=$(ls "$d"/r*.json 2>/dev/null | wc -l)
    wait "$cpid"
    cscan 'gf:meters:*' | while read -r k; do echo "$k $(cluster_owner "$k")"; done >"$d/owners1"
    local moved
    moved=$(join <(sort "$d/owners0") <(sort "$d/owners1") | awk '$2 != $3' | wc -l)
    echo "    reshard of 2700 slots $from -> $to took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s; $moved partitions moved; the client had $done_at_end of $nb batches answered when it ended"
    [ "$moved" -ge 1 ] || fail "no partition in use moved: the test proves nothing"
    [ "$done_at_end" -lt "$nb" ] || fail "the load ended before the migration did"
    local a n_other
    a=$(acks "$d" $nb) || fail "client: $a"
    n_other=$(awk '$2 != 200 && $2 != 503' "$d/attempts" | wc -l)
    echo "    client: accepted, duplicate $a; $(awk '$2 == 503' "$d/attempts" | wc -l) answers 503, $n_other other failures"
    [ "$n_other" = 0 ] || fail "answers other than 200/503: $(awk '$2 != 200 && $2 != 503' "$d/attempts" | head -3)"
    [ "$(stored_clean m)" = $((nb * METERS)) ] || fail "clean streams hold $(stored_clean m), expected $((nb * METERS))"
    [ "$(stored_agg)" = $((before + nb * METERS)) ] || fail "aggregates count $(stored_agg), expected $((before + nb * METERS))"
    [ "${a% *}" = $((nb * METERS)) ] || [ "$(awk '$2 == 503' "$d/attempts" | wc -l)" -gt 0 ] ||
        fail "accepted ${a% *} without a refusal, expected $((nb * METERS))"
    bash "$E2E_TOP/scripts/redis-cluster.sh" status "$CLUSTER_DIR" >"$d/status" || fail "$(cat "$d/status")"
}

start_redis_cluster 3 || { echo "not ok - the cluster starts: $(cat "$T/cluster.log")"; exit 1; }
start_service ingestion || { echo "not ok - stack starts (ingestion)"; exit 1; }
start_gateway || { echo "not ok - stack starts (gateway)"; exit 1; }
wait_ready ingestion 60 || { echo "not ok - ingestion becomes ready on the cluster"; exit 1; }
run_tests
[ "$E2E_FAILED" -eq 0 ]
