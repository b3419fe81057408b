#!/usr/bin/env bash
# The API contract (proto/openapi.yaml) against the real stack, through the gateway:
#   - the spec is valid OpenAPI 3.0 and follows the project's rules (tests/contract/contract.mjs);
#   - every route each service registers (gf-<svc> --routes) is documented, and every documented
#     operation is registered;
#   - every documented operation answers its x-contract example with the documented status and a
#     body that validates against its schema (Ajv); mutating ones are 401 without X-API-Key;
#   - the gateway serves the spec at /api/openapi.yaml and the API reference at /api/docs
#     (scripts/build-apidocs.sh, run by render-gateway.sh when missing);
#   - the Power Apps connector (proto/powerapps/) is valid Swagger 2.0, follows the connector
#     rules and equals a fresh generation from openapi.yaml.
# The Node tooling lives in tests/contract (package-lock.json committed); its node_modules are
# installed here with `npm ci` when missing or stale.
E2E_SERVICES="ingestion trainer forecast simulation compliance"
source "$(dirname "$0")/lib.sh"

CONTRACT_DIR="$E2E_TOP/tests/contract"

contract_deps() {
    command -v node >/dev/null 2>&1 || { echo "node is missing (make deps)" >&2; return 1; }
    local stamp="$CONTRACT_DIR/node_modules/.gridflow-lock.sha256" hash
    hash=$(sha256sum "$CONTRACT_DIR/package-lock.json" | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
        (cd "$CONTRACT_DIR" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund \
            --loglevel=error) >"$T/contract-npm.log" 2>&1 || {
            echo "npm ci in tests/contract failed:" >&2; tail -20 "$T/contract-npm.log" >&2; return 1; }
        echo "$hash" >"$stamp"
    fi
}

# Run one contract.mjs command; its ok/not ok lines are shown indented, the test fails on any.
contract() {
    local out rc=0
    out=$(node "$CONTRACT_DIR/contract.mjs" "$@" 2>&1) || rc=$?
    printf '%s\n' "$out" | sed 's/^/    /'
    return $rc
}

t_contract_tooling_installs() {
    contract_deps
}

t_spec_is_valid_openapi_and_follows_rules() {
    contract spec
}

t_every_registered_route_is_documented_and_nothing_else() {
    contract routes "$BUILD/bin" $E2E_SERVICES
}

t_every_operation_answers_with_its_documented_schema() {
    contract live "$GW" "$API_KEY"
}

t_powerapps_connector_is_valid_current_and_follows_the_rules() {
    local out rc=0
    out=$(node "$CONTRACT_DIR/powerapps.mjs" check 2>&1) || rc=$?
    printf '%s\n' "$out" | sed 's/^/    /'
    return $rc
}

t_gateway_serves_the_spec_and_the_reference_page() {
    req GET "$GW/api/openapi.yaml"
    expect_status 200
    expect_header Content-Type 'application/yaml'
    cmp -s "$BODY_FILE" "$E2E_TOP/proto/openapi.yaml" || fail "/api/openapi.yaml is not proto/openapi.yaml"
    req GET "$GW/api/docs"
    expect_status 301
    expect_header Location '.*/api/docs/'
    req GET "$GW/api/docs/"
    expect_status 200
    expect_header Content-Type 'text/html'
    # The page itself, not the plain fallback, with the gateway's security headers.
    grep -q 'swagger-ui-bundle.js' "$BODY_FILE" || fail "the reference page does not load Swagger UI"
    expect_header Content-Security-Policy "default-src 'self'"
    expect_header X-Content-Type-Options nosniff
    local f
    for f in swagger-ui-bundle.js:application/javascript swagger-ui.css:text/css gridflow-init.js:application/javascript; do
        req GET "$GW/api/docs/${f%%:*}"
        expect_status 200
        expect_header Content-Type "${f#*:}"
    done
    req GET "$GW/api/docs/no-such-file.js"
    expect_status 404
    expect_error_shape not_found
}

e2e_main
