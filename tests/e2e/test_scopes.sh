#!/usr/bin/env bash
# API key scopes at the gateway (gf-keycheck behind nginx's auth_request): every mutating route
# against a key of each scope, the JSON 403 naming the missing scope, hashed storage, and keys
# added and revoked with scripts/keys.sh while requests flow (no restart, no reload, no failure).
# The flow below is faster than the default write rate (50 r/s): the limit is not under test.
export GF_GATEWAY_WRITE_RATE=20000r/s GF_GATEWAY_WRITE_BURST=6000
source "$(dirname "$0")/lib.sh"

KEYS="$E2E_TOP/scripts/keys.sh"
declare -A SKEY=()

# method path scope-needed body
ROUTES=(
    "POST /api/ingestion/readings ingest []"
    "POST /api/ingestion/demand ingest x"
    "POST /api/ingestion/demand/flags ingest x"
    "POST /api/ingestion/temperature ingest x"
    "POST /api/ingestion/temperature/forecasts ingest x"
    "POST /api/trainer/jobs operate {}"
    "POST /api/trainer/models/demand-PJM/aliases operate {}"
    "PUT /api/trainer/schedule/PJM operate {}"
    "POST /api/simulation/powerflow operate {}"
    "POST /api/simulation/opf operate {}"
    "POST /api/simulation/contingencies operate {}"
    "POST /api/simulation/schedule operate {}"
    "POST /api/forecast/predict read {}"
    "POST /api/compliance/ask read {}"
)

make_keys() {
    local s
    for s in ingest read operate admin; do
        SKEY[$s]=$(bash "$KEYS" add --scope "$s" --name "only-$s" 2>/dev/null)
        [ -n "${SKEY[$s]}" ] || fail "keys.sh add --scope $s printed no key"
    done
}

t_each_scope_on_each_mutating_route() {
    make_keys
    local r m p need b s
    for r in "${ROUTES[@]}"; do
        read -r m p need b <<<"$r"
        for s in ingest read operate admin; do
            req "$m" "$GW$p" -H "X-API-Key: ${SKEY[$s]}" -H 'Content-Type: application/json' \
                -H 'Origin: http://localhost:5173' --data-binary "$b"
            if [ "$s" = "$need" ] || [ "$s" = admin ]; then
                # Past the gateway: the service answers (its own validation), never 401/403.
                case $STATUS in 401 | 403 | 429 | 5??) fail "$s key on $m $p: $STATUS, expected the service's answer" ;; esac
                [ "$(jq_body '.error.code // empty')" != forbidden ] || fail "$s key on $p: forbidden"
            else
                [ "$STATUS" = 403 ] || fail "$s key on $m $p: expected 403, got $STATUS"
                expect_error_shape forbidden
                expect_json '.error.details[0].scope' "$need"
                jq_body .error.message | grep -q "'$need'" || fail "403 message does not name '$need'"
                expect_header Access-Control-Allow-Origin 'http://localhost:5173'
                expect_header X-Content-Type-Options nosniff
            fi
        done
        # No key at all: 401.
        req "$m" "$GW$p" -H 'Content-Type: application/json' --data-binary "$b"
        expect_status 401
        expect_error_shape unauthorized
    done
}

t_openapi_names_the_scope_the_gateway_checks() {
    # proto/openapi.yaml's x-gridflow-scope of every operation equals the table above, which
    # the test before checked against the gateway.
    local r m p need b
    for r in "${ROUTES[@]}"; do
        read -r m p need b <<<"$r"
        p=${p/demand-PJM/\{name\}}
        p=${p/schedule\/PJM/schedule\/\{region\}}
        echo "$m $p $need"
    done | sort >"$T/scopes.table"
    yq -r '.paths | to_entries[] | .key as $p | .value | to_entries[]
           | select(.value["x-gridflow-scope"]?) | "\(.key|ascii_upcase) \($p) \(.value["x-gridflow-scope"])"' \
        "$E2E_TOP/proto/openapi.yaml" | sort >"$T/scopes.openapi"
    diff "$T/scopes.table" "$T/scopes.openapi" >&2 || fail "openapi.yaml's scopes differ from the gateway's"
    # Every operation that needs a key documents the 403.
    yq -e '[.paths[][] | select(.security?) | .responses["403"]] | all' "$E2E_TOP/proto/openapi.yaml" \
        >/dev/null || fail "an operation with security lacks its 403"
}

t_every_mutating_route_of_every_service_has_a_scope() {
    # A key with every scope but admin passes each route a service registers: a route missing
    # from the scope table would need admin (deny by default) and be refused here.
    local key s line m p
    key=$(bash "$KEYS" add --scope ingest,read,operate --name all-but-admin 2>/dev/null)
    for s in ingestion trainer forecast simulation compliance; do
        while read -r m p; do
            [ "$m" = GET ] && continue
            p=${p#/v1/}
            p=${p//\{name\}/demand-PJM}
            p=${p//\{region\}/PJM}
            req "$m" "$GW/api/$s/$p" -H "X-API-Key: $key" -H 'Content-Type: application/json' -d '{}'
            case $STATUS in 401 | 403) fail "$m /api/$s/$p: $STATUS for ingest,read,operate" ;; esac
        done < <("$BUILD/bin/gf-$s" --routes)
    done
    # An unknown mutating route needs admin: refused for that key, answered (404) for admin.
    req DELETE "$GW/api/trainer/models/demand-PJM" -H "X-API-Key: $key"
    expect_status 403
    expect_json '.error.details[0].scope' admin
    reqk DELETE "$GW/api/trainer/models/demand-PJM"
    [ "$STATUS" != 403 ] && [ "$STATUS" != 401 ] || fail "admin refused: $STATUS"
}

t_keys_are_stored_hashed_and_never_logged() {
    local k
    k=$(bash "$KEYS" add --scope ingest --name hashed-check 2>/dev/null)
    req POST "$GW/api/ingestion/readings" -H "X-API-Key: $k" -H 'Content-Type: application/json' -d '[]'
    [ "$STATUS" != 401 ] || fail "new key refused"
    req POST "$GW/api/trainer/jobs" -H "X-API-Key: $k" -H 'Content-Type: application/json' -d '{}'
    expect_status 403
    [ "$(stat -c %a "$T/gateway/keys")" = 600 ] || fail "keys store mode $(stat -c %a "$T/gateway/keys")"
    grep -q "$k" "$T/gateway/keys" && fail "key stored in clear"
    grep -q "^sha256:$(printf '%s' "$k" | sha256sum | cut -d' ' -f1) ingest hashed-check$" "$T/gateway/keys" ||
        fail "hash not in the store"
    grep -rqF "$k" "$T/logs" "$T"/*.log && fail "key in a log"
    # The access log names the key instead.
    grep -q '"key":"hashed-check"' "$T/logs/gateway-access.log" || fail "access log lacks the key name"
}

t_add_and_revoke_without_restart_while_requests_flow() {
    local nginx_pid kc_pid
    nginx_pid=$(cat "$T/nginx.pid")
    kc_pid=${PID_OF[keycheck]}
    # A steady flow with the admin key: 5000 requests on one keep-alive connection.
    local urls=() i
    for i in $(seq 5000); do urls+=(-o /dev/null "$GW/api/forecast/predict"); done
    curl -s -w '%{http_code}\n' -X POST -H "X-API-Key: $API_KEY" \
        -H 'Content-Type: application/json' -d '{}' "${urls[@]}" >"$T/flow.codes" &
    local flow=$!
    local rounds=0 k
    while alive "$flow" || [ $rounds -lt 3 ]; do
        k=$(bash "$KEYS" add --scope read --name "rotating-$rounds" 2>/dev/null)
        req POST "$GW/api/forecast/predict" -H "X-API-Key: $k" -H 'Content-Type: application/json' -d '{}'
        case $STATUS in 401 | 403) fail "round $rounds: a key just added is refused ($STATUS)" ;; esac
        bash "$KEYS" revoke "rotating-$rounds" 2>/dev/null
        req POST "$GW/api/forecast/predict" -H "X-API-Key: $k" -H 'Content-Type: application/json' -d '{}'
        [ "$STATUS" = 401 ] || fail "round $rounds: a revoked key still passes ($STATUS)"
        rounds=$((rounds + 1))
        [ $rounds -lt 200 ] || break
    done
    wait "$flow" || true
    [ "$(wc -l <"$T/flow.codes")" = 5000 ] || fail "flow: $(wc -l <"$T/flow.codes") answers of 5000"
    local bad
    bad=$(grep -cvE '^(400|422)$' "$T/flow.codes" || true)
    [ "$bad" = 0 ] || fail "flow: $bad requests failed of 5000: $(sort "$T/flow.codes" | uniq -c | tr '\n' ' ')"
    [ "$(cat "$T/nginx.pid")" = "$nginx_pid" ] && alive "$nginx_pid" || fail "nginx restarted"
    alive "$kc_pid" || fail "gf-keycheck restarted"
    echo "    $rounds add/revoke rounds during 5000 requests, none failed" >&2
}

t_a_broken_keys_file_keeps_the_keys_loaded_before() {
    cp "$T/gateway/keys" "$T/keys.good"
    echo "sha256:nothex ingest broken" >>"$T/gateway/keys"
    reqk POST "$GW/api/forecast/predict" -H 'Content-Type: application/json' -d '{}'
    case $STATUS in 401 | 403 | 5??) fail "a bad line dropped the loaded keys ($STATUS)" ;; esac
    grep -q '"evt":"keys_file_invalid".*line' "$T/keycheck.log" || fail "no keys_file_invalid log line"
    req GET "http://127.0.0.1:${PORT_OF[keycheck]}/readyz"
    expect_status 503
    cp "$T/keys.good" "$T/gateway/keys"
    reqk POST "$GW/api/forecast/predict" -H 'Content-Type: application/json' -d '{}'
    case $STATUS in 401 | 403 | 5??) fail "restored file: $STATUS" ;; esac
    req GET "http://127.0.0.1:${PORT_OF[keycheck]}/readyz"
    expect_status 200
}

e2e_main
