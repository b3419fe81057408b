#!/usr/bin/env bash
# Gateway edge: API keys, rate limits, CORS, security headers, gzip, JSON errors of nginx itself.
export GF_GATEWAY_EXPENSIVE_RATE=10r/m GF_GATEWAY_READ_TIMEOUT=2s
E2E_SERVICES="trainer forecast"
source "$(dirname "$0")/lib.sh"

# The compliance route points at a process that accepts connections and never answers (a
# stopped ing-fake-eia: the kernel still queues connections; a 504), the simulation route at
# a closed port (a 502): both are errors nginx makes itself.
start_service ing-fake-eia || exit 1
kill -STOP "${PID_OF[ing-fake-eia]}"
PORT_OF[compliance]=${PORT_OF[ing-fake-eia]}
ORIGIN=http://localhost:5173

# An error nginx made: the JSON error shape, CORS for the allowed origin, the security headers.
expect_gateway_error() { # status code
    expect_status "$1"
    expect_error_shape "$2"
    expect_header Access-Control-Allow-Origin "$ORIGIN"
    expect_header Access-Control-Expose-Headers '.*Retry-After'
    expect_header X-Content-Type-Options nosniff
    expect_header X-Frame-Options DENY
    expect_header Content-Security-Policy "default-src 'self'"
    expect_header X-Request-Id '[0-9a-f]+'
}

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
    [ "$(stat -c %a "$T/gateway/keys")" = 600 ] || fail "keys store mode"
    # The store holds the key's SHA-256, never the key.
    grep -q "$API_KEY" "$T/gateway/keys" && fail "API key stored in clear in the keys store"
    grep -q "^sha256:$(printf '%s' "$API_KEY" | sha256sum | cut -d' ' -f1) admin e2e$" "$T/gateway/keys" ||
        fail "the key's hash is not in the store"
    grep -rq "$API_KEY" "$T/logs" "$T"/*.log && fail "API key written to a log"
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
    # The trainer's write zone refills one request every 6 s at 10 r/m.
    expect_header Retry-After '6\s*$'
    reqk POST "$GW/api/trainer/jobs" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' -d '{}'
    expect_gateway_error 429 rate_limited
    expect_header Retry-After '6\s*$'
    # Reads are limited separately and still pass.
    req GET "$GW/api/forecast/info"
    expect_status 200
}

t_errors_nginx_makes_are_json_with_cors_and_security_headers() {
    # A key of its own: the burst test above used up the shared key's expensive zone.
    local k
    k=$(bash "$E2E_TOP/scripts/keys.sh" add --scope admin --name errors 2>/dev/null)
    req POST "$GW/api/trainer/jobs" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' -d '{}'
    expect_gateway_error 401 unauthorized
    req GET "$GW/api/nope" -H "Origin: $ORIGIN"
    expect_gateway_error 404 not_found
    req POST "$GW/api/simulation/opf" -H "X-API-Key: $k" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' -d '{}'
    expect_gateway_error 502 bad_gateway
    req POST "$GW/api/compliance/ask" -H "X-API-Key: $k" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' -d '{}'
    expect_gateway_error 504 gateway_timeout
    kill -CONT "${PID_OF[ing-fake-eia]}"
    head -c 100000 /dev/zero | tr '\0' a >"$T/big100k"
    req POST "$GW/api/compliance/ask" -H "X-API-Key: $k" -H "Origin: $ORIGIN" \
        -H 'Content-Type: application/json' --data-binary @"$T/big100k"
    expect_gateway_error 413 payload_too_large
    # A request line nginx cannot parse.
    STATUS=$(printf 'GET /api/forecast/info HTTP/1.1\r\nHost: x\r\nOrigin: %s\r\nContent-Length: -1\r\n\r\n' "$ORIGIN" |
        curl -s -o "$BODY_FILE" -D "$HDR_FILE" -w '%{http_code}' --max-time 5 "telnet://127.0.0.1:${PORT_OF[gateway]}" 2>/dev/null | tail -c 3) || true
    grep -q '"code":"bad_request"' "$BODY_FILE" || fail "400 body: $(head -c 300 "$BODY_FILE")"
    grep -qi '^X-Content-Type-Options: nosniff' "$BODY_FILE" || fail "400 lacks the security headers"
}

t_unauthenticated_large_post_is_json_401_not_html_413() {
    head -c 2000000 /dev/zero | tr '\0' a >"$T/big2m"
    # 2 MB is over the server's default 1 MB but under the ingestion route's limit.
    req POST "$GW/api/ingestion/demand" -H "Origin: $ORIGIN" -H 'Content-Type: text/csv' \
        --data-binary @"$T/big2m"
    expect_gateway_error 401 unauthorized
    # And over the route's own limit (compliance: 64 KiB), without a key: JSON 401 or 413.
    req POST "$GW/api/compliance/ask" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
        --data-binary @"$T/big2m"
    case $STATUS in
    401) expect_gateway_error 401 unauthorized ;;
    413) expect_gateway_error 413 payload_too_large ;;
    *) fail "expected a JSON 401 or 413, got $STATUS" ;;
    esac
}

t_api_without_slash_is_json_404() {
    local p
    for p in /api /api/ /api/forecast /api/simulation /api/unknown/x; do
        req GET "$GW$p" -H "Origin: $ORIGIN"
        [ "$STATUS" = 404 ] || fail "GET $p: $STATUS"
        expect_gateway_error 404 not_found
    done
}

t_key_check_down_is_json_500_never_another_status() {
    # Last: it stops gf-keycheck. Requests that need a key get a JSON 500 that says why (never
    # a 401/403 that would blame the caller's key); reads need no key and still pass.
    kill_component keycheck TERM
    reqk POST "$GW/api/forecast/predict" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' -d '{}'
    expect_gateway_error 500 auth_unavailable
    req GET "$GW/api/forecast/info"
    expect_status 200
}

e2e_main
