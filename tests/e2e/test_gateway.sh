#!/usr/bin/env bash
# Gateway edge: API keys, rate limits, CORS, security headers, gzip, JSON errors of nginx itself.
export GF_GATEWAY_EXPENSIVE_RATE=10r/m
E2E_SERVICES="trainer forecast"
source "$(dirname "$0")/lib.sh"

t_mutating_route_without_key_is_401_json() {
    req POST "$GW/api/trainer/jobs" -H 'Content-Type: application/json' -d '{}'
    expect_status 401
    expect_error_shape unauthorized
    req POST "$GW/api/trainer/jobs" -H 'X-API-Key: wrong-key-wrong-key' -H 'Content-Type: application/json' -d '{}'
    expect_status 401
    # The key is accepted: the request reaches the service (whatever it answers, not 401).
    reqk DELETE "$GW/api/forecast/info"
    expect_status 405
}

t_reads_are_open_by_default() {
    req GET "$GW/api/forecast/info"
    expect_status 200
}

t_keys_file_is_private() {
    [ "$(stat -c %a "$T/gateway/api-keys")" = 600 ] || fail "keys file mode $(stat -c %a "$T/gateway/api-keys")"
    [ "$(stat -c %a "$T/gateway/keys.map")" = 600 ] || fail "keys map mode"
    grep -q "$API_KEY" "$T/logs/gateway-access.log" && fail "API key written to the access log"
    return 0
}

t_cors_for_dashboard_origin_only() {
    req OPTIONS "$GW/api/forecast/info" -H 'Origin: http://localhost:5173' \
        -H 'Access-Control-Request-Method: POST'
    expect_status 204
    expect_header Access-Control-Allow-Origin 'http://localhost:5173'
    expect_header Access-Control-Allow-Headers '.*X-API-Key'
    req GET "$GW/api/forecast/info" -H 'Origin: http://evil.example'
    expect_status 200
    grep -qi '^Access-Control-Allow-Origin' "$HDR_FILE" && fail "foreign origin allowed"
    return 0
}

t_security_headers_and_gzip() {
    req GET "$GW/api/forecast/metrics" -H 'Accept-Encoding: gzip'
    expect_status 200
    expect_header X-Content-Type-Options nosniff
    expect_header X-Frame-Options DENY
    expect_header Content-Encoding gzip
}

t_expensive_route_burst_is_429_json_with_retry_after() {
    local got429=0 i
    for i in $(seq 40); do
        reqk POST "$GW/api/trainer/jobs" -H 'Content-Type: application/json' -d '{}'
        if [ "$STATUS" = 429 ]; then got429=1; break; fi
    done
    [ $got429 = 1 ] || fail "no 429 after 40 fast POSTs"
    expect_error_shape rate_limited
    expect_header Retry-After '[0-9]+'
    # Reads are limited separately and still pass.
    req GET "$GW/api/forecast/info"
    expect_status 200
}

e2e_main
