#!/usr/bin/env bash
# Durability: everything acknowledged survives a kill -9 of Redis (AOF everysec, restarted from
# its own directory), and a Redis at its memory limit refuses writes without losing any.
E2E_SERVICES="ingestion trainer"
source "$(dirname "$0")/lib.sh"

rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

# A batch of n readings (JSON array) at minute offset m before now, meters m0..m(n-1).
batch() { # n minutes-ago
    awk -v n="$1" -v now="$(date -u +%s)" -v ago="$2" 'BEGIN {
        t = now - ago * 60; t = t - t % 60
        printf "["
        for (i = 0; i < n; i++) {
            printf "%s{\"meter_id\":\"dur-m%d\",\"ts\":\"%s\",\"region\":\"PJM\",\"kwh\":%.3f,\"kw\":%.3f,\"voltage_v\":231.5}",
                (i ? "," : ""), i, strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), 0.1 + i % 7 / 10, 0.5 + i % 5
        }
        printf "]"
    }'
}

# Readings stored: lines of the dur-m meters in PJM's clean streams (one per meter bucket).
seen_total() {
    local total=0 k
    for k in $(rcli --scan --pattern 'gf:clean:{PJM:*}'); do
        total=$((total + $(rcli XRANGE "$k" - + | grep -c '^\["dur-m' || true)))
    done
    echo "$total"
}

t_acknowledged_data_survives_redis_kill_9() {
    awk -F, 'NR == 1 || ($2 == "PJM" && $1 >= "2016-11-01")' \
        "$E2E_TOP/services/ingestion/data/eia930_train.csv" >"$T/pjm.csv"
    reqk POST "$GW/api/ingestion/demand" -H 'Content-Type: text/csv' --data-binary "@$T/pjm.csv"
    expect_status 200
    local acc=0 m
    for m in 1 2 3 4 5; do
        batch 1000 "$m" >"$T/b$m.json"
        reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' \
            --data-binary "@$T/b$m.json"
        expect_status 200
        acc=$((acc + $(jq_body .accepted)))
    done
    [ "$acc" = 5000 ] || fail "accepted $acc of 5000"
    GF_REDIS_PORT=$REDIS_PORT GF_TRAINER_THREADS=1 "$BUILD/bin/gf-trainer" --once --regions PJM \
        --test-days 14 >"$T/once.log" 2>&1 || fail "training failed: $(tail -3 "$T/once.log")"
    reqk POST "$GW/api/trainer/models/load:PJM/aliases" -H 'Content-Type: application/json' \
        --data-binary '{"alias":"staging","version":1,"who":"durability-test"}'
    expect_status 200

    local rows readings versions prod staging hist
    rows=$(rcli HGET 'gf:region:{PJM}' rows)
    readings=$(seen_total)
    req GET "$GW/api/trainer/models/load:PJM"
    versions=$(jq -c '[.versions[].version]' "$BODY_FILE")
    prod=$(jq -r '.aliases.production // (.aliases[]?|select(.alias=="production")|.version)' "$BODY_FILE")
    hist=$(jq -c '.history|length' "$BODY_FILE")
    [ "$readings" = 5000 ] || fail "Redis holds $readings readings before the crash"

    restart_redis KILL
    wait_ready ingestion 30
    wait_ready trainer 30
    [ "$(rcli HGET 'gf:region:{PJM}' rows)" = "$rows" ] || fail "demand rows $rows -> $(rcli HGET 'gf:region:{PJM}' rows)"
    [ "$(seen_total)" = "$readings" ] || fail "readings $readings -> $(seen_total)"
    req GET "$GW/api/trainer/models/load:PJM"
    expect_status 200
    [ "$(jq -c '[.versions[].version]' "$BODY_FILE")" = "$versions" ] || fail "versions changed"
    [ "$(jq -r '.aliases.production // (.aliases[]?|select(.alias=="production")|.version)' "$BODY_FILE")" = "$prod" ] ||
        fail "production alias changed"
    [ "$(jq -c '.history|length' "$BODY_FILE")" = "$hist" ] || fail "alias history changed"
    # Worker connections made before the crash must not fail the first request after it.
    reqk POST "$GW/api/ingestion/demand" -H 'Content-Type: text/csv' --data-binary "@$T/pjm.csv"
    expect_status 200
    expect_json .new 0
    # The same batch again: all duplicates, nothing double counted after the restart.
    reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' --data-binary "@$T/b1.json"
    expect_status 200
    expect_json .duplicate 1000
    [ "$(seen_total)" = "$readings" ] || fail "a retry after the restart added readings"
}

t_memory_pressure_refuses_writes_and_loses_nothing() {
    local before after
    batch 500 20 >"$T/oom.json"
    before=$(seen_total)
    rcli CONFIG SET maxmemory 1 >/dev/null
    reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' --data-binary "@$T/oom.json"
    rcli CONFIG SET maxmemory 0 >/dev/null
    expect_status 503
    expect_error_shape
    after=$(seen_total)
    [ "$before" = "$after" ] || fail "readings changed under OOM: $before -> $after"
    reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' --data-binary "@$T/oom.json"
    expect_status 200
    expect_json .accepted 500
    [ "$(seen_total)" = $((before + 500)) ] || fail "retry after OOM stored $(( $(seen_total) - before ))"
}

e2e_main
