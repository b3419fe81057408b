#!/usr/bin/env bash
# The dashboard in a real browser: Vitest component tests, then Debian's headless Chromium
# (playwright-core, tests/browser/run.mjs) against the real stack through the gateway.
#
# Builds gateway/dashboard/dist first when it is missing or stale (scripts/build-dashboard.sh),
# installs tests/browser's node_modules from its lockfile when missing, seeds real data through
# the API (EIA-930 demand of PJM and NYIS, a PJM model in production and a worse one staged,
# simulated meters), then runs the browser suite once, with the meter simulator posting, and
# reports each of its tests. Screenshots: tests/browser/artifacts/*.png.
# GF_SKIP_BROWSER_TESTS=1 leaves this file out, saying so (tests/containers/test_fresh.sh sets
# it: the fresh-machine test runs `make test` in a container and does not test the browser there).
if [ "${GF_SKIP_BROWSER_TESTS:-0}" = 1 ]; then echo "# skip: browser tests (GF_SKIP_BROWSER_TESTS=1)"; exit 0; fi
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
# The Grid page is tested on the largest PGLib case too (10,000 buses): the simulation service
# gets the shipped cases plus that one (GF_PGLIB_DIR: a folder of PGLib cases, by default
# tests/data/pglib, which holds this case).
LARGE_CASE=pglib_opf_case10000_goc
PGLIB_DIR=${GF_PGLIB_DIR:-$E2E_TOP/tests/data/pglib}
mkdir -p "$T/cases"
ln -s "$E2E_TOP"/services/simulation/cases/*.m "$T/cases/"
if [ -f "$PGLIB_DIR/$LARGE_CASE.m" ] && [ ! -e "$T/cases/$LARGE_CASE.m" ]; then
    ln -s "$PGLIB_DIR/$LARGE_CASE.m" "$T/cases/"
fi
E2E_ENV="${E2E_ENV:-} GF_SIMULATION_CASES_DIR=$T/cases"
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
    sed 's/\x1b\[[0-9;]*m//g' "$T/vitest.log" | grep -E 'Tests +[0-9]+ passed' | sed 's/^ */    vitest: /'
}

# ---------------------------------------------------------------- seed data
# Real data through the API, so the browser tests compare real numbers: EIA-930 demand of two
# regions, PJM and NYIS models trained on it (v1, production; two regions with a model for the
# Grid page's schedule), a deliberately worse PJM v2 (staging, for the promotion test), and
# meters (one of them faulty: rejections and anomalies).
# Two holes on purpose: PJM's hour GAP_HOUR is left out (the Forecast page must say that the
# forecast reads a gap), and NYIS's last month is kept back in demand-late.csv, which the
# browser suite imports after training NYIS (the Models page must flag the model as stale).
GAP_HOUR=2018-06-28T14:00:00Z
LATE_FROM=2018-06-01
t_seed_demand() {
    local csv=${GF_DEMAND_CSV:-$E2E_TOP/services/ingestion/data/eia930_train.csv}
    awk -F, -v gap="$GAP_HOUR" -v late="$LATE_FROM" \
        'NR == 1 || (($2 == "PJM" || ($2 == "NYIS" && $1 < late)) && $1 >= "2016-11-01" && !($2 == "PJM" && $1 == gap))' \
        "$csv" >"$T/demand.csv"
    awk -F, -v late="$LATE_FROM" 'NR == 1 || ($2 == "NYIS" && $1 >= late)' "$csv" >"$T/demand-late.csv"
    local rows=$(($(wc -l <"$T/demand.csv") - 1)) late_rows=$(($(wc -l <"$T/demand-late.csv") - 1))
    [ "$rows" -gt 20000 ] && [ "$late_rows" -gt 500 ] || fail "the demand slices have $rows and $late_rows rows"
    reqk POST "$GW/api/ingestion/demand" -H 'Content-Type: text/csv' --data-binary "@$T/demand.csv"
    expect_status 200
    expect_json .accepted "$rows"
    echo "    demand: $rows hours of PJM and NYIS imported (PJM without $GAP_HOUR; NYIS's last $late_rows hours kept back)"
}

t_seed_models() {
    local t0=$SECONDS
    GF_REDIS_PORT=$REDIS_PORT GF_TRAINER_THREADS=1 "$BUILD/bin/gf-trainer" --once --regions PJM,NYIS --test-days 14 \
        >"$T/trainer-once.log" 2>&1 || { tail -20 "$T/trainer-once.log" >&2; fail "gf-trainer --once failed"; }
    echo "    PJM and NYIS v1 trained in $((SECONDS - t0)) s: $(grep -o 'v1 MAPE.*' "$T/trainer-once.log" | head -2 | tr '\n' ' ')"
    # A second, worse version (5 boosting rounds): the trainer keeps v1 in production, stages v2.
    reqk POST "$GW/api/trainer/jobs" -H 'Content-Type: application/json' --data-binary '{"regions":["PJM"],"max_rounds":5}'
    expect_status 202
    local id i state=""
    id=$(jq_body .id)
    for i in $(seq 600); do
        req GET "$GW/api/trainer/jobs/$id"
        state=$(jq_body .state)
        case $state in succeeded | partial | failed) break ;; esac
        sleep 0.1
    done
    [ "$state" = succeeded ] || fail "training job $id: $state"
    expect_json '.results[0].alias' staging
    req GET "$GW/api/trainer/models/load:PJM"
    expect_json .aliases.production 1
    expect_json .aliases.staging 2
    # The forecast service serves v1 (it loads production when the alias appears).
    for i in $(seq 300); do
        req GET "$GW/api/forecast/models/loaded"
        [ "$(jq_body '.models[]? | select(.name == "load:PJM") | .version')" = 1 ] && break
        sleep 0.1
    done
    req GET "$GW/api/forecast/forecast?region=PJM&horizon=24"
    expect_status 200
    echo "    PJM v2 staged by job $id; models in $((SECONDS - t0)) s"
}

t_seed_readings() {
    "$BUILD/bin/gf-meter-sim" --url "$GW" --api-key "$API_KEY" --meters 200 --seconds 3 >"$T/meter-sim-seed.log" 2>&1 ||
        { cat "$T/meter-sim-seed.log" >&2; fail "gf-meter-sim failed"; }
    req GET "$GW/api/ingestion/summary"
    [ "$(jq_body .accepted)" -gt 0 ] || fail "no readings accepted"
    [ "$(jq_body .open_anomalies)" -gt 0 ] || fail "the faulty meter raised no anomaly"
    echo "    readings: $(grep -o 'done:.*' "$T/meter-sim-seed.log")"
}

# ---------------------------------------------------------------- the browser suite
t_browser_suite_runs() {
    [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "Debian's chromium is not installed (make deps)"
    local rc=0 sim
    # Meters keep posting while the browser looks: the Overview is live.
    "$BUILD/bin/gf-meter-sim" --url "$GW" --api-key "$API_KEY" --meters 200 --seconds 400 --quiet >"$T/meter-sim.log" 2>&1 &
    sim=$!
    echo "meter-sim $sim" >>"$T/pids"
    [ -e "$T/cases/$LARGE_CASE.m" ] || echo "    $LARGE_CASE.m is not in $PGLIB_DIR (set GF_PGLIB_DIR): the large-case test will fail"
    (cd "$BROWSER_DIR" && GW="$GW" API_KEY="$API_KEY" ARTIFACTS="$ARTIFACTS" LARGE_CASE="$LARGE_CASE" \
        GAP_HOUR="$GAP_HOUR" LATE_DEMAND_CSV="$T/demand-late.csv" timeout 400 node run.mjs) >"$RESULTS" 2>&1 || rc=$?
    kill "$sim" 2>/dev/null || true
    wait "$sim" 2>/dev/null || true
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
t_browser_grid_large_case() { browser_result grid_large_case; }
t_browser_models_promotion() { browser_result models_promotion; }
t_browser_models_training() { browser_result models_training; }
t_browser_models_stale() { browser_result models_stale; }
t_browser_compliance_citation() { browser_result compliance_citation; }
t_browser_tablet_width_layout() { browser_result tablet_width_layout; }

e2e_main
