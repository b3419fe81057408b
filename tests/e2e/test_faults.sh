#!/usr/bin/env bash
# Faults on the real stack (loopback only, bounded): a stuck service behind the gateway, a
# stuck forecast under the simulation, a service killed under load and restarted, Redis gone.
export GF_GATEWAY_READ_TIMEOUT=2s GF_GATEWAY_LONG_READ_TIMEOUT=3s
E2E_SERVICES="simulation compliance trainer"
source "$(dirname "$0")/lib.sh"

t_stuck_service_gives_504_json_at_the_gateway() {
    kill -STOP "${PID_OF[compliance]}"
    req GET "$GW/api/compliance/documents"
    kill -CONT "${PID_OF[compliance]}"
    expect_status 504
    expect_error_shape gateway_timeout
    req GET "$GW/api/compliance/documents"
    expect_status 200
}

t_stuck_forecast_times_out_the_forecast_driven_opf() {
    # A forecast service that accepts connections and never answers: a stopped process.
    local log="$T/stuck-forecast.log" port pid
    GF_PORT=0 GF_REDIS_PORT=$REDIS_PORT "$BUILD/bin/gf-compliance" >"$log" 2>&1 &
    pid=$!
    echo "stuck $pid" >>"$T/pids"
    for _ in $(seq 100); do
        port=$(grep -m1 -o '"port":[0-9]*' "$log" | cut -d: -f2)
        [ -n "$port" ] && break
        sleep 0.05
    done
    kill -STOP "$pid"
    # PJM has demand history (the region is checked before the forecast is asked)
    redis-cli -p "$REDIS_PORT" HSET 'gf:region:{PJM}' code PJM first 1420070400 last 1530403200 >/dev/null
    start_service simulation GF_FORECAST_URL="http://127.0.0.1:$port" GF_FORECAST_TIMEOUT=1
    local t0=$SECONDS
    req POST "http://127.0.0.1:${PORT_OF[simulation]}/v1/opf" -H 'Content-Type: application/json' \
        --data-binary '{"case":"case9","load":{"forecast":{"region":"PJM","at":"2018-06-30T17:00:00Z"}}}'
    kill -CONT "$pid"
    expect_status 504
    expect_error_shape forecast_timeout
    [ $((SECONDS - t0)) -le 5 ] || fail "took $((SECONDS - t0)) s"
}

t_killed_service_is_502_then_serves_again_after_restart() {
    local i bad=0
    # Load on another service while one is killed: the others are unaffected.
    (for i in $(seq 200); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$GW/api/simulation/cases")
        [ "$code" = 200 ] || echo "bad $code"
    done) >"$T/load.out" &
    local loadpid=$!
    kill_component compliance KILL
    req GET "$GW/api/compliance/documents"
    expect_status 502
    expect_error_shape bad_gateway
    wait "$loadpid"
    bad=$(grep -c bad "$T/load.out" || true)
    [ "$bad" = 0 ] || fail "$bad failed requests on simulation while compliance was down"
    start_service compliance
    wait_ready compliance 30
    # nginx points at the old port; the restarted instance is checked directly.
    req POST "http://127.0.0.1:${PORT_OF[compliance]}/v1/ask" -H 'Content-Type: application/json' \
        --data-binary '{"question":"What is an energy audit?"}'
    expect_status 200
    expect_json .refused false
}

t_redis_gone_refuses_jobs_and_recovers() {
    kill -STOP "${PID_OF[redis]}"
    local i
    for i in $(seq 60); do
        req GET "$GW/api/simulation/readyz"
        [ "$STATUS" = 503 ] && break
        sleep 0.2
    done
    expect_status 503
    expect_error_shape not_ready
    kill -CONT "${PID_OF[redis]}"
    restart_redis KILL
    # A job needs Redis: refused cleanly while it is down, accepted once it is back.
    for i in $(seq 100); do
        req GET "$GW/api/simulation/readyz"
        [ "$STATUS" = 200 ] && break
        sleep 0.1
    done
    expect_status 200
    reqk POST "$GW/api/simulation/opf" -H 'Content-Type: application/json' \
        --data-binary '{"case":"case9","async":true}'
    expect_status 202
}

t_sigterm_drains_a_solve_in_flight() {
    # A 2869-bus AC OPF with every branch limit in the model takes 2-3 s; SIGTERM arrives during
    # it and the reply still comes.
    # A drain budget long enough for a sanitizer build, where the solve is several times slower.
    start_service simulation GF_SIMULATION_SYNC_MAX_BUS=100000 GF_DRAIN_SECONDS=120
    local port=${PORT_OF[simulation]} pid=${PID_OF[simulation]}
    curl -s -o "$T/drain.out" -w '%{http_code}' -X POST "http://127.0.0.1:$port/v1/opf" \
        -H 'Content-Type: application/json' \
        --data-binary '{"case":"pglib_opf_case2869_pegase","screen_limits":false}' >"$T/drain.code" &
    local cpid=$!
    sleep 0.5
    kill -TERM "$pid"
    wait "$cpid" || fail "the client saw the connection fail (curl status $?)"
    [ "$(cat "$T/drain.code")" = 200 ] || fail "in-flight solve got $(cat "$T/drain.code")"
    jq -e '.objective > 0' "$T/drain.out" >/dev/null || fail "no objective"
    for _ in $(seq 600); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && fail "did not exit after draining"
    grep -q '"evt":"drained","abandoned":0' "$T/simulation.log" || fail "no clean drain logged"
}

t_services_listen_on_loopback_only() {
    local pid
    for s in simulation compliance trainer; do
        pid=${PID_OF[$s]}
        ss -Hltnp 2>/dev/null | grep "pid=$pid," | awk '{print $4}' | grep -v '^127\.0\.0\.1:' &&
            fail "$s listens beyond loopback"
    done
    return 0
}

e2e_main
