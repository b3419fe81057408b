#!/usr/bin/env bash
# The dashboard in a real browser: Vitest component tests, then Debian's headless Chromium
# (playwright-core, tests/browser/run.mjs) against the real stack through the gateway.
#
# Builds gateway/dashboard/dist first when it is missing or stale (scripts/build-dashboard.sh),
# installs tests/browser's node_modules from its lockfile when missing, seeds what the routes
# that exist accept (demand history, meter readings, a trained model), then runs the browser
# suite once and reports each of its tests. Screenshots: tests/browser/artifacts/*.png.
source "$(dirname "$0")/lib.sh"
BROWSER_DIR="$E2E_TOP/tests/browser"
DASH_DIR="$E2E_TOP/gateway/dashboard"
ARTIFACTS=${BROWSER_ARTIFACTS:-$BROWSER_DIR/artifacts}
RESULTS="$T/browser-results.txt"

# Before the gateway renders its config: it serves dist/ only when dist/index.html exists.
prepare() {
    bash "$E2E_TOP/scripts/build-dashboard.sh" >"$T/dashboard-build.log" 2>&1 || {
        echo "dashboard build failed:"; tail -30 "$T/dashboard-build.log"; return 1; }
    grep -A30 '^production bundle' "$T/dashboard-build.log" | sed 's/^/# /' || true
    local lock_hash stamp="$BROWSER_DIR/node_modules/.gridflow-lock.sha256"
    lock_hash=$(sha256sum "$BROWSER_DIR/package-lock.json" | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
        (cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$T/browser-npm.log" 2>&1 || {
            echo "npm ci in tests/browser failed:"; tail -20 "$T/browser-npm.log"; return 1; }
        echo "$lock_hash" >"$stamp"
    fi
}
mkdir -p "$T"
if ! prepare; then
    echo "not ok - dashboard builds"
    exit 1
fi

t_dashboard_builds_and_gateway_serves_it() {
    [ -f "$DASH_DIR/dist/index.html" ] || fail "no dist/index.html"
    req GET "$GW/"
    expect_status 200
    grep -q '<div id="root">' "$BODY_FILE" || fail "the gateway does not serve the dashboard"
    local asset
    asset=$(grep -o '/assets/index-[A-Za-z0-9_-]*\.js' "$BODY_FILE" | head -1)
    [ -n "$asset" ] || fail "no script in index.html"
    req GET "$GW$asset"
    expect_status 200
    expect_header Content-Type 'application/javascript'
    # No CDN: index.html refers to nothing outside the gateway.
    req GET "$GW/"
    if grep -Eo '(src|href)="https?://[^"]*"' "$BODY_FILE"; then fail "index.html loads from another origin"; fi
    # A deep link falls back to the app.
    req GET "$GW/grid"
    expect_status 200
    grep -q '<div id="root">' "$BODY_FILE" || fail "no SPA fallback for /grid"
}

t_dashboard_component_tests() {
    (cd "$DASH_DIR" && npx --no-install vitest run --reporter=dot) >"$T/vitest.log" 2>&1 || {
        tail -40 "$T/vitest.log" >&2; fail "vitest failed"; }
    grep -E 'Tests +[0-9]+ passed' "$T/vitest.log" | sed 's/\x1b\[[0-9;]*m//g; s/^ */    vitest: /'
}

# ---------------------------------------------------------------- seed data (routes that exist)
route_exists() { # METHOD URL: not a 404 route_not_found
    reqk "$1" "$2" -H 'Content-Type: application/json' --data-binary "${3:-{\}}"
    ! { [ "$STATUS" = 404 ] && [ "$(jq_body .error.code 2>/dev/null)" = route_not_found ]; }
}

t_seed_data_through_the_api() {
    local seeded=()
    # Demand history: the last 120 days of two regions from the bundled real data.
    if route_exists POST "$GW/api/ingestion/demand?format=csv" "timestamp,region,demand_mw"; then
        local csv=${GF_DEMAND_CSV:-$E2E_TOP/services/ingestion/data/eia930_train.csv}
        { echo timestamp,region,demand_mw
          for r in PJM NYIS; do grep ",$r," "$csv" | tail -2880; done
        } >"$T/demand.csv"
        reqk POST "$GW/api/ingestion/demand?format=csv" -H 'Content-Type: text/csv' --data-binary "@$T/demand.csv"
        [[ "$STATUS" = 20? ]] && seeded+=("demand") || echo "    demand import: $STATUS $(head -c 200 "$BODY_FILE")"
    fi
    # Meter readings: a batch for three regions, so the live cards have numbers.
    if route_exists POST "$GW/api/ingestion/readings" '[]'; then
        local now batch="" i
        now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
        for i in $(seq 1 30); do
            local reg=(PJM NYIS ERCO)
            batch+="{\"meter_id\":\"m-$i\",\"region\":\"${reg[$((i % 3))]}\",\"ts\":\"$now\",\"kw\":$((2 + i % 7)).5},"
        done
        reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' --data-binary "[${batch%,}]"
        [[ "$STATUS" = 20? ]] && seeded+=("readings") || echo "    readings: $STATUS $(head -c 200 "$BODY_FILE")"
    fi
    echo "    seeded: ${seeded[*]:-nothing (routes missing)}"
}

# ---------------------------------------------------------------- the browser suite
t_browser_suite_runs() {
    [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "Debian's chromium is not installed (make deps)"
    local rc=0
    (cd "$BROWSER_DIR" && GW="$GW" API_KEY="$API_KEY" ARTIFACTS="$ARTIFACTS" timeout 170 node run.mjs) >"$RESULTS" 2>&1 || rc=$?
    sed 's/^/    /' "$RESULTS"
    grep -q '^# browser:' "$RESULTS" || fail "the browser suite did not finish (status $rc)"
}

browser_result() { # name: passes when the suite reported `ok - browser_<name>`
    grep -q "^ok - browser_$1\b" "$RESULTS" && return 0
    grep "^not ok - browser_$1\b" "$RESULTS" >&2 || echo "    browser_$1 did not run" >&2
    return 1
}
t_browser_shell_navigation_and_keyboard() { browser_result shell_navigation_and_keyboard; }
t_browser_system() { browser_result system; }
t_browser_overview() { browser_result overview; }
t_browser_forecast() { browser_result forecast; }
t_browser_grid_opf() { browser_result grid_opf; }
t_browser_models_promotion() { browser_result models_promotion; }
t_browser_compliance_citation() { browser_result compliance_citation; }
t_browser_tablet_width_layout() { browser_result tablet_width_layout; }

e2e_main
