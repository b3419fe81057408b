#!/usr/bin/env bash
# Foundation: the service kit and the gateway, on the real stack (Redis, five services, nginx).
source "$(dirname "$0")/lib.sh"

t_info_of_every_service_through_gateway() {
    for s in ingestion trainer forecast simulation compliance; do
        req GET "$GW/api/$s/info"
        expect_status 200
        expect_json .name "$s"
        expect_json '.uptime_seconds >= 0' true
        expect_header Content-Type 'application/json'
    done
}

t_health_and_readiness_through_gateway() {
    for s in ingestion trainer forecast simulation compliance; do
        req GET "$GW/api/$s/healthz"
        expect_status 200
        expect_json .status ok
        req GET "$GW/api/$s/readyz"
        expect_status 200
        expect_json .ready true
    done
    req GET "$GW/api/trainer/readyz"
    expect_json .checks.redis.ok true
}

t_request_id_is_echoed_and_logged() {
    req GET "$GW/api/forecast/info" -H 'X-Request-Id: e2e-req-42'
    expect_status 200
    expect_header X-Request-Id 'e2e-req-42'
    sleep 0.2
    grep -q '"req_id":"e2e-req-42"' "$T/forecast.log" || fail "service log lacks the request id"
    grep -q '"req_id":"e2e-req-42"' "$T/logs/gateway-access.log" || fail "gateway log lacks it"
    # Without one, the gateway makes one and the service sees the same.
    req GET "$GW/api/forecast/info"
    local id
    id=$(grep -i '^X-Request-Id:' "$HDR_FILE" | tr -d '\r' | awk '{print $2}')
    [ ${#id} -ge 16 ] || fail "no generated request id"
    sleep 0.2
    grep -q "\"req_id\":\"$id\"" "$T/forecast.log" || fail "generated id not passed to service"
}

t_unknown_route_is_404_json() {
    req GET "$GW/api/forecast/no/such/route"
    expect_status 404
    expect_error_shape route_not_found
    req GET "$GW/api/nosuchservice/info"
    expect_status 404
    expect_error_shape not_found
}

t_wrong_method_is_405_json_with_allow() {
    reqk DELETE "$GW/api/forecast/info"
    expect_status 405
    expect_error_shape method_not_allowed
    expect_header Allow 'GET'
}

t_bad_query_parameter_is_400_naming_it() {
    req GET "$GW/api/trainer/jobs?limit=abc"
    expect_status 400
    expect_error_shape invalid_parameter
    expect_json '.error.details[0].field' limit
    body | grep -q "limit" || fail "message does not name the parameter"
    req GET "$GW/api/trainer/jobs?limit=5000"
    expect_status 400
    req GET "$GW/api/trainer/jobs?bogus=1"
    expect_status 400
    expect_error_shape unknown_parameter
    req GET "$GW/api/trainer/jobs?limit=3"
    expect_status 200
    expect_json '.jobs|type' array
}

t_twenty_megabyte_body_is_413_json_and_service_keeps_serving() {
    head -c $((20 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$T/big.json"
    # Through the gateway: nginx's limit, answered in the JSON shape.
    reqk POST "$GW/api/forecast/info" -H 'Content-Type: application/json' --data-binary "@$T/big.json"
    expect_status 413
    expect_error_shape payload_too_large
    # Directly: the service's router answers (not evhttp's HTML page).
    req POST "http://127.0.0.1:${PORT_OF[forecast]}/v1/info" -H 'Content-Type: application/json' \
        --data-binary "@$T/big.json"
    expect_status 413
    expect_error_shape payload_too_large
    req GET "$GW/api/forecast/info"
    expect_status 200
}

t_metrics_exposition() {
    req GET "$GW/api/forecast/info"
    req GET "http://127.0.0.1:${PORT_OF[forecast]}/metrics"
    expect_status 200
    expect_header Content-Type 'text/plain; version=0.0.4'
    grep -q '^http_requests_total{route="/v1/info",method="GET",code="200"} [1-9]' "$BODY_FILE" ||
        fail "no request counter for /v1/info"
    grep -q '^http_request_duration_seconds_bucket{route="/v1/info",le="+Inf"} [1-9]' "$BODY_FILE" ||
        fail "no latency histogram"
    for m in process_cpu_seconds_total process_resident_memory_bytes process_start_time_seconds \
        process_open_fds; do
        grep -q "^# TYPE $m " "$BODY_FILE" || fail "missing $m"
    done
    # Raw paths never become labels: a 404 is counted under the route "unmatched".
    req GET "$GW/api/forecast/some/random/path"
    req GET "http://127.0.0.1:${PORT_OF[forecast]}/metrics"
    grep -q 'some/random' "$BODY_FILE" && fail "raw path leaked into labels"
    grep -q '^http_requests_total{route="unmatched",method="GET",code="404"}' "$BODY_FILE" ||
        fail "unmatched not counted"
}

t_config_errors_exit_2_and_help_prints_table() {
    local out rc
    out=$(GF_PORT=abc "$BUILD/bin/gf-forecast" 2>&1) && rc=0 || rc=$?
    [ "$rc" = 2 ] || fail "exit status $rc, expected 2"
    echo "$out" | grep -q 'GF_PORT' || fail "message does not name GF_PORT: $out"
    out=$(GF_REDIS_PORT=70000 "$BUILD/bin/gf-trainer" 2>&1) && rc=0 || rc=$?
    [ "$rc" = 2 ] || fail "exit status $rc for out-of-range port"
    "$BUILD/bin/gf-simulation" --help | grep -q 'GF_DRAIN_SECONDS' || fail "--help lacks the table"
}

t_readiness_follows_redis_and_recovers_without_restart() {
    kill -STOP "${PID_OF[redis]}"
    # Two unanswered pings (2 s apart) turn the service not ready.
    local i
    for i in $(seq 60); do
        req GET "$GW/api/trainer/readyz"
        [ "$STATUS" = 503 ] && break
        sleep 0.2
    done
    kill -CONT "${PID_OF[redis]}"
    expect_status 503
    expect_error_shape not_ready
    expect_json .checks.redis.ok false
    # Writes are refused cleanly while Redis is gone: a crash and a restart on the same port.
    restart_redis KILL
    for i in $(seq 100); do
        req GET "$GW/api/trainer/readyz"
        [ "$STATUS" = 200 ] && break
        sleep 0.1
    done
    expect_status 200
    req GET "$GW/api/trainer/jobs?limit=1"
    expect_status 200
}

t_gateway_502_is_json_when_a_service_is_down() {
    stop_one compliance
    req GET "$GW/api/compliance/info"
    expect_status 502
    expect_error_shape bad_gateway
    # The others are unaffected.
    req GET "$GW/api/forecast/info"
    expect_status 200
}

e2e_main
