#!/usr/bin/env bash
# Readiness is the truth across a restart with a large data set. Redis holds real demand
# history of three regions with a production model each (fc-seed: XGBoost, the registry) plus
# synthetic hashes to an AOF of at least 50 MB, so Redis answers LOADING for a while after it
# starts. Then the whole stack stops (Redis, gateway, five services) and Redis and the services
# start again, and
# from the first moment each service's /readyz says ready, every request to it must succeed:
# a forecast for every region with a model, a reading, an AC OPF, a compliance ask, the job
# list of the trainer. A ready service that fails a request fails the test.
source "$(dirname "$0")/lib.sh"

REGIONS="PJM NYIS ERCO"
AOF_MIN_MB=${E2E_AOF_MIN_MB:-50}
PROBE_SECONDS=${E2E_PROBE_SECONDS:-3}

rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

# Synthetic hashes (many small fields: slow to replay, like the demand history) until the
# AOF holds at least AOF_MIN_MB.
pad_aof() {
    awk -v n="$1" 'BEGIN {
        for (k = 0; k < n; k++) {
            s = "*" 202 "\r\n$4\r\nHSET\r\n$" length("gf:e2e:pad:" k) "\r\ngf:e2e:pad:" k "\r\n"
            for (f = 0; f < 100; f++) s = s "$" length(f) "\r\n" f "\r\n$16\r\n0123456789abcdef\r\n"
            printf "%s", s
        }
    }' | rcli --pipe >/dev/null
}
aof_mb() { du -sm "$T/redis" | cut -f1; }

# Stop everything (services, gateway, Redis) by PID, then start Redis (same port and data)
# and the services again; the services come up while Redis is still loading.
restart_stack() {
    local s
    for s in $E2E_SERVICES gateway; do stop_one "$s" || true; done
    stop_one redis || true
    # Redis without waiting for it to serve (start_redis waits only for a connection), then
    # the services at once (on new ports). Requests go to the services directly: the
    # gateway is not what is tested here.
    E2E_REDIS_PORT=$REDIS_PORT start_redis $REDIS_ARGS
    local redis_answer
    redis_answer=$(redis-cli -p "$REDIS_PORT" ping 2>&1)
    echo "$redis_answer" >"$T/first-ping"
    for s in $E2E_SERVICES; do
        start_service "$s" || return 1
    done
}

# After the restart: poll /readyz of SERVICE every 20 ms; from the first 200, run its probe
# for PROBE_SECONDS and write every failed status to $T/probe-SERVICE.fail.
probe() { # service
    local s=$1 i
    : >"$T/probe-$s.fail"
    for ((i = 0; i < 3000; i++)); do
        curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:${PORT_OF[$s]}/readyz" 2>/dev/null && break
        sleep 0.02
    done
    [ $i -lt 3000 ] || { echo "never ready" >>"$T/probe-$s.fail"; return; }
    echo "$i" >"$T/probe-$s.ready-after"
    local end=$((SECONDS + PROBE_SECONDS)) n=0
    while [ $SECONDS -lt $end ]; do
        "probe_$s" || true
        n=$((n + 1))
    done
    echo "$n" >"$T/probe-$s.rounds"
}
# One probe request: direct to the service (the gateway is not what is tested here).
check() { # service label expected-status curl-args...
    local s=$1 label=$2 want=$3 st
    shift 3
    st=$(curl -sS -o "$T/probe-$s.body" -w '%{http_code}' --max-time 30 "$@") || st=000
    [ "$st" = "$want" ] ||
        echo "$label: $st $(head -c 200 "$T/probe-$s.body" 2>/dev/null)" >>"$T/probe-$s.fail"
}
svc() { echo "http://127.0.0.1:${PORT_OF[$1]}"; }
probe_forecast() {
    local r
    for r in $REGIONS; do check forecast "forecast $r" 200 "$(svc forecast)/v1/forecast?region=$r&horizon=24"; done
}
probe_ingestion() {
    local now
    now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    check ingestion readings 200 -X POST -H 'Content-Type: application/json' \
        --data-binary "[{\"meter_id\":\"rr-$RANDOM\",\"ts\":\"$now\",\"region\":\"PJM\",\"kw\":2}]" \
        "$(svc ingestion)/v1/readings"
    check ingestion regions 200 "$(svc ingestion)/v1/regions"
}
probe_simulation() {
    check simulation opf 200 -X POST -H 'Content-Type: application/json' \
        --data-binary '{"case":"case9","mode":"ac"}' "$(svc simulation)/v1/opf"
}
probe_compliance() {
    check compliance ask 200 -X POST -H 'Content-Type: application/json' \
        --data-binary '{"question":"energy audits for large enterprises","top_k":2}' "$(svc compliance)/v1/ask"
}
probe_trainer() {
    check trainer jobs 200 "$(svc trainer)/v1/jobs"
}

t_data_is_large_and_every_region_has_a_model() {
    [ "$(cat "$T/aof-mb")" -ge "$AOF_MIN_MB" ] || fail "AOF only $(cat "$T/aof-mb") MB"
    local r
    for r in $REGIONS; do
        [ -n "$(rcli HGET "gf:reg:{load:$r}:aliases" production)" ] || fail "no production model for $r"
    done
}

t_redis_was_still_loading_when_the_services_started() {
    # Otherwise the restart would not test the loading window at all.
    grep -q '^LOADING' "$T/first-ping" || fail "first PING after the restart: $(cat "$T/first-ping")"
}

t_every_request_succeeds_from_the_first_ready_moment() {
    local s bad=0
    for s in $E2E_SERVICES; do
        echo "    $s: ready after $(cat "$T/probe-$s.ready-after" 2>/dev/null || echo '?') polls, $(cat "$T/probe-$s.rounds" 2>/dev/null || echo 0) probe rounds"
        if [ -s "$T/probe-$s.fail" ]; then
            echo "    $s failed: $(sort "$T/probe-$s.fail" | uniq -c | head -5)" >&2
            bad=1
        fi
    done
    [ $bad = 0 ] || fail "a ready service failed requests"
}

t_readyz_names_what_it_waits_for() {
    # The checks each service reports (the names a not-ready answer explains).
    local got
    got=$(curl -sS "$(svc ingestion)/readyz" | jq -c '.checks|keys')
    [ "$got" = '["redis","regions","script"]' ] || fail "ingestion checks: $got"
    got=$(curl -sS "$(svc trainer)/readyz" | jq -c '.checks|keys')
    [ "$got" = '["recovered","redis","workers"]' ] || fail "trainer checks: $got"
}

t_first_run_never_takes_a_failed_read_for_no_data() {
    # A Redis that serves PING but refuses to read the row counts (an ACL: only the catalog
    # key): first-run must stop with the reason, not start importing. The gateway URL is a
    # closed port, so an import attempt would also show as "importing".
    local port pid out rc=0
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
        --logfile "$T/acl-redis.log" &
    pid=$!
    echo "acl-redis $pid" >>"$T/pids"
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    redis-cli -p "$port" HSET 'gf:region:{CISO}' name 'California ISO' >/dev/null
    redis-cli -p "$port" ACL SETUSER default on nopass resetkeys '~gf:region:{CISO}' +@all >/dev/null
    out=$(GF_GATEWAY_URL=http://127.0.0.1:1 GF_REDIS_PORT=$port GF_VAR_DIR=$T GF_BIN_DIR=$T/none \
        bash "$E2E_TOP/scripts/first-run.sh" 2>&1) || rc=$?
    kill "$pid"
    while alive "$pid"; do sleep 0.05; done
    [ $rc -ne 0 ] || fail "first-run succeeded: $out"
    grep -q 'error: cannot read Redis (HGET gf:region:{.*}): NOPERM' <<<"$out" || fail "no reason given: $out"
    ! grep -q 'importing' <<<"$out" || fail "first-run started an import: $out"
    # A Redis that does not serve at all: the same, after GF_REDIS_LOAD_SECONDS.
    rc=0
    out=$(GF_REDIS_LOAD_SECONDS=1 GF_GATEWAY_URL=http://127.0.0.1:1 GF_REDIS_PORT=$port GF_VAR_DIR=$T \
        bash "$E2E_TOP/scripts/first-run.sh" 2>&1) || rc=$?
    [ $rc -ne 0 ] && grep -q 'error: Redis does not serve' <<<"$out" || fail "closed port: $out"
}

# ---------------------------------------------------------------- main
# No AOF rewrite: the AOF stays a log of commands, replayed on start (the slow case).
REDIS_ARGS="--auto-aof-rewrite-percentage 0"
# shellcheck disable=SC2086
start_redis $REDIS_ARGS || { echo "not ok - stack starts (redis)"; exit 1; }
for s in $E2E_SERVICES; do
    start_service "$s" || { echo "not ok - stack starts ($s)"; E2E_FAILED=1; exit 1; }
done
start_gateway || { echo "not ok - stack starts (gateway)"; E2E_FAILED=1; exit 1; }
for s in $E2E_SERVICES; do wait_ready "$s" 120 || { echo "not ok - $s becomes ready"; E2E_FAILED=1; exit 1; }; done
t0=$SECONDS
for r in $REGIONS; do load_region "$r" 400; done
for r in $REGIONS; do
    GF_REDIS_PORT=$REDIS_PORT "$BUILD/bin/fc-seed" train --region "$r" --seed 1 --rounds 40 >/dev/null ||
        { echo "not ok - fc-seed trains $r"; E2E_FAILED=1; exit 1; }
done
# 100 fields of 16 bytes per hash, about 2.6 kB of AOF each.
pad_aof $(((AOF_MIN_MB + 4) * 1024 * 1024 / 2600))
aof_mb >"$T/aof-mb"
echo "    data: $(cat "$T/aof-mb") MB of AOF in $((SECONDS - t0)) s"
restart_stack || { echo "not ok - stack restarts"; E2E_FAILED=1; exit 1; }
probes=()
for s in $E2E_SERVICES; do
    probe "$s" &
    probes+=($!)
done
wait "${probes[@]}"
run_tests
[ "$E2E_FAILED" -eq 0 ]
