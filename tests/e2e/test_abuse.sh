#!/usr/bin/env bash
# Hostile input through the gateway: every answer is a proper 4xx JSON, nothing crashes,
# nothing changes. Bounded in count and time; loopback only.
E2E_SERVICES="simulation compliance trainer"
source "$(dirname "$0")/lib.sh"

alive_all() {
    for s in $E2E_SERVICES; do
        alive "${PID_OF[$s]}" || fail "$s died"
    done
}

t_oversized_and_deeply_nested_bodies() {
    head -c $((70 * 1024 * 1024)) /dev/zero | tr '\0' '[' >"$T/huge"
    reqk POST "$GW/api/simulation/opf" -H 'Content-Type: application/json' --data-binary "@$T/huge"
    expect_status 413
    expect_error_shape payload_too_large
    # 100k nested arrays: jansson's depth limit refuses it, the service survives.
    head -c 100000 /dev/zero | tr '\0' '[' >"$T/deep"
    reqk POST "$GW/api/compliance/ask" -H 'Content-Type: application/json' --data-binary "@$T/deep"
    expect_status 413
    head -c 60000 /dev/zero | tr '\0' '[' >"$T/deep2"
    reqk POST "$GW/api/simulation/opf" -H 'Content-Type: application/json' --data-binary "@$T/deep2"
    expect_status 400
    expect_error_shape invalid_json
    alive_all
}

t_huge_numbers_and_invalid_utf8() {
    reqk POST "$GW/api/simulation/opf" -H 'Content-Type: application/json' \
        --data-binary '{"case":"case9","load":{"scale":1e309}}'
    expect_status 400
    reqk POST "$GW/api/simulation/opf" -H 'Content-Type: application/json' \
        --data-binary '{"case":"case9","outages":{"branches":[99999999999999999999]}}'
    expect_status 400
    printf '{"case":"case\xc3\x28"}' >"$T/utf"
    reqk POST "$GW/api/simulation/opf" -H 'Content-Type: application/json' --data-binary "@$T/utf"
    expect_status 400
    expect_error_shape invalid_json
    alive_all
}

t_path_traversal_in_names() {
    for p in "documents/..%2F..%2F..%2Fetc%2Fpasswd/articles/1" "documents/%2e%2e/articles/1" \
        "documents/32012L0027/articles/..%2F..%2Fx"; do
        req GET "$GW/api/compliance/$p"
        # nginx resolves the dots before routing: either a 4xx, or a path that left /api/
        # and got the dashboard page. Never a file of the machine, never a 5xx.
        [ "${STATUS:0:1}" = 4 ] || [ "$STATUS" = 200 ] || fail "$p answered $STATUS"
        body | grep -q 'root:' && fail "file content leaked"
    done
    reqk POST "$GW/api/simulation/opf" -H 'Content-Type: application/json' \
        --data-binary '{"case":"../../../../etc/passwd"}'
    expect_status 404
    expect_error_shape unknown_case
    req GET "$GW/api/simulation/jobs/..%2F..%2Fetc%2Fpasswd"
    [ "${STATUS:0:1}" = 4 ] || fail "job traversal answered $STATUS"
    alive_all
}

t_header_flood_and_long_uri() {
    local args=() i
    for i in $(seq 300); do args+=(-H "X-Flood-$i: $(head -c 200 /dev/zero | tr '\0' 'a')"); done
    req GET "$GW/api/compliance/documents" "${args[@]}"
    [ "${STATUS:0:1}" = 4 ] || [ "$STATUS" = 200 ] || fail "header flood gave $STATUS"
    req GET "$GW/api/compliance/documents?x=$(head -c 20000 /dev/zero | tr '\0' 'a')"
    [ "${STATUS:0:1}" = 4 ] || fail "long URI gave $STATUS"
    alive_all
}

t_methods_nobody_supports() {
    for m in PUT DELETE PATCH; do
        reqk "$m" "$GW/api/simulation/cases"
        expect_status 405
        expect_error_shape method_not_allowed
    done
    req TRACE "$GW/api/simulation/cases"
    [ "${STATUS:0:1}" = 4 ] || fail "TRACE gave $STATUS"
    alive_all
}

t_missing_or_wrong_keys_change_nothing() {
    local before after
    before=$(redis-cli -p "$REDIS_PORT" dbsize)
    req POST "$GW/api/simulation/opf" -H 'Content-Type: application/json' \
        --data-binary '{"case":"case9","async":true}'
    expect_status 401
    req POST "$GW/api/simulation/opf" -H 'X-API-Key: nope-nope-nope-nope' \
        -H 'Content-Type: application/json' --data-binary '{"case":"case9","async":true}'
    expect_status 401
    after=$(redis-cli -p "$REDIS_PORT" dbsize)
    [ "$before" = "$after" ] || fail "refused requests wrote to Redis ($before -> $after keys)"
}

t_slow_body_is_cut_off_without_harm() {
    # slowloris-style: headers promise a body that trickles; the gateway's body timeout ends it.
    local port=${PORT_OF[gateway]}
    timeout 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port
        printf 'POST /api/compliance/ask HTTP/1.1\r\nHost: x\r\nX-API-Key: $API_KEY\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{' >&3
        sleep 1; printf '\"q' >&3; sleep 1; exec 3>&-" || true
    req GET "$GW/api/compliance/documents"
    expect_status 200
    alive_all
}

t_rate_limit_burst_answers_429_json() {
    local i got=0
    for i in $(seq 60); do
        reqk POST "$GW/api/simulation/opf" -H 'Content-Type: application/json' \
            --data-binary '{"case":"nope"}'
        if [ "$STATUS" = 429 ]; then got=1; break; fi
    done
    [ $got = 1 ] || fail "no 429 in a burst of 60 expensive POSTs"
    expect_error_shape rate_limited
    expect_header Retry-After '[0-9]+'
    alive_all
}

e2e_main
