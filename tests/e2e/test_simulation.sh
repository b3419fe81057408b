#!/usr/bin/env bash
# Simulation service through the gateway: shipped cases, AC/DC OPF against reference objectives,
# power flow, outages, N-1, jobs, uploaded cases, bad input.
E2E_SERVICES="simulation"
# more solves than the gateway's default 100/min budget for expensive routes allows in a burst
export GF_GATEWAY_EXPENSIVE_RATE=600r/m
source "$(dirname "$0")/lib.sh"

post() { # route json
    reqk POST "$GW/api/simulation/$1" -H 'Content-Type: application/json' --data-binary "$2"
}
close_to() { # value reference relative-tolerance
    awk -v v="$1" -v r="$2" -v t="$3" 'BEGIN { d = (v - r) / r; if (d < 0) d = -d; exit !(d <= t) }'
}

t_cases_are_listed_with_sizes() {
    req GET "$GW/api/simulation/cases"
    expect_status 200
    expect_json '.cases|length' 10
    expect_json '.cases[]|select(.name=="pglib_opf_case118_ieee")|.buses' 118
    expect_json '.cases[]|select(.name=="case9")|.has_costs' true
}

t_ac_opf_matches_reference_objectives() {
    local c ref
    for pair in case9:5296.69 case30:576.89 pglib_opf_case5_pjm:17551.9 pglib_opf_case14_ieee:2178.08 \
        pglib_opf_case30_ieee:8208.52; do
        c=${pair%%:*}
        ref=${pair##*:}
        post opf "{\"case\":\"$c\",\"mode\":\"ac\"}"
        expect_status 200
        expect_json .converged true
        close_to "$(jq_body .objective)" "$ref" 0.0001 || fail "$c objective $(jq_body .objective) vs $ref"
    done
    # Result shape grid engineers know: LMPs per bus, dispatch per generator, branch loading.
    post opf '{"case":"case9"}'
    expect_json '.bus|length' 9
    expect_json '[.bus[].lmp]|min > 0' true
    expect_json '.gen|length' 3
    expect_json '.branch[0]|has("loading_percent")' true
    expect_json .mode ac
}

t_branch_limit_screening_gives_the_full_model_answer() {
    # case118: the screened model carries a handful of its 372 limits, the full one all; the
    # answers agree (objective, binding flow limits).
    post opf '{"case":"pglib_opf_case118_ieee"}'
    expect_status 200
    expect_json .screening.enabled true
    expect_json .screening.limits_total 372
    expect_json '.screening.limits_in_model < 40' true
    local obj_s bind_s
    obj_s=$(jq_body .objective)
    bind_s=$(jq -c '[.binding[]|select(.type=="sf" or .type=="st")|[.type,.index]]|sort' "$BODY_FILE")
    post opf '{"case":"pglib_opf_case118_ieee","screen_limits":false}'
    expect_status 200
    expect_json .screening.enabled false
    expect_json .screening.limits_in_model 372
    close_to "$(jq_body .objective)" "$obj_s" 0.000001 || fail "full $(jq_body .objective) vs screened $obj_s"
    [ "$(jq -c '[.binding[]|select(.type=="sf" or .type=="st")|[.type,.index]]|sort' "$BODY_FILE")" = "$bind_s" ] ||
        fail "binding flow limits differ: $bind_s"
    [ "$bind_s" != "[]" ] || fail "case118 has binding flow limits"
    post opf '{"case":"case9","screen_limits":"no"}'
    expect_status 400
    expect_json .error.code invalid_field
}

t_dc_opf_and_power_flow() {
    post opf '{"case":"pglib_opf_case14_ieee","mode":"dc"}'
    expect_status 200
    expect_json .mode dc
    expect_json '.objective > 0' true
    post powerflow '{"case":"case9"}'
    expect_status 200
    expect_json .converged true
    expect_json '.bus|length' 9
    expect_json '.mode' pf
}

t_load_scaling_changes_cost() {
    post opf '{"case":"case9","load":{"scale":1.1}}'
    expect_status 200
    local scaled
    scaled=$(jq_body .objective)
    awk -v s="$scaled" 'BEGIN { exit !(s > 5296.69 * 1.05) }' || fail "scaled objective $scaled"
    expect_json .load_source.kind scaled
}

t_islanding_outage_and_infeasible_load_are_422() {
    # Branch 0 of case9 (bus 1 - bus 4) is the only line of generator bus 1.
    post opf '{"case":"case9","outages":{"branches":[0]}}'
    expect_status 422
    expect_error_shape network_islanded
    post opf '{"case":"case9","load":{"scale":3}}'
    expect_status 422
    expect_error_shape
    expect_json '.error.code|startswith("opf_")' true
    expect_json '.error.details[]|select(has("solver"))|.solver|has("status")' true
}

t_contingency_screening_ranks_outages() {
    post contingencies '{"case":"pglib_opf_case14_ieee","mode":"pf"}'
    expect_status 200
    expect_json '.contingencies|length > 15' true
    expect_json '[.contingencies[].severity]|. == (sort|reverse)' true
}

t_contingencies_report_base_violations_apart() {
    # case118's power flow at the case dispatch overloads 10 branches; they are the base's, not
    # each contingency's (counted against every outage they flagged 176 of 186).
    post contingencies '{"case":"pglib_opf_case118_ieee","mode":"pf"}'
    expect_status 200
    expect_json '.base.overloads|length' 10
    expect_json '.counts.contingencies' 186
    expect_json '.counts.secure > 80' true
    expect_json '[.contingencies[]|select(.outcome=="secure")|.n_overloads]|max' 0
    expect_json '[.contingencies[]|select(.outcome=="network_islanded")|.island|has("lost_load_mw") and (.buses|length > 0)]|all' true
    expect_json '.counts.reused_factorization > 150' true
    # refusals of issue 20 item 8
    post contingencies '{"case":"pglib_opf_case118_ieee","branches":[]}'
    expect_status 400
    expect_json '.error.details[0].field' branches
    post opf '{"case":"case9","load":{"scale":0}}'
    expect_status 400
    expect_json '.error.message' "'load.scale' is out of range: it must be > 0 and <= 10"
}

# Polls a job's Location until done/failed; leaves the last document in BODY_FILE.
wait_job() { # location
    local state i
    for i in $(seq 300); do
        req GET "$GW$1"
        state=$(jq_body .state)
        [ "$state" = done ] || [ "$state" = failed ] && return 0
        sleep 0.1
    done
}

t_large_n1_is_a_job_with_progress_and_pages() {
    # case1354 (> GF_SIMULATION_SYNC_MAX_BUS) runs as a job that reports outages done
    post contingencies '{"case":"pglib_opf_case1354_pegase"}'
    expect_status 202
    local loc
    loc=$(grep -i '^Location:' "$HDR_FILE" | tr -d '\r' | awk '{print $2}' | sed 's|^http://[^/]*||')
    wait_job "$loc"
    expect_json .state done
    expect_json .progress.unit outages
    expect_json '.progress.done == .progress.total and .progress.percent == 100' true
    expect_json '.result.counts.contingencies' "$(jq_body .progress.total)"
    local n
    n=$(jq_body .result.counts.contingencies)
    # paged: ?offset=&limit= slices the arrays and says what is left
    req GET "$GW$loc?limit=100"
    expect_status 200
    expect_json '.result.contingencies|length' 100
    expect_json .result.page.total.contingencies "$n"
    expect_json .result.page.next_offset 100
    req GET "$GW$loc?offset=$((n - 10))&limit=100"
    expect_json '.result.contingencies|length' 10
    expect_json .result.page.next_offset null
    req GET "$GW$loc?limit=0"
    expect_status 400
    expect_error_shape invalid_parameter
    req GET "$GW$loc?page=2"
    expect_status 400
    expect_error_shape unknown_parameter
    # an N-1 result has no network view
    req GET "$GW$loc/network"
    expect_status 409
    expect_error_shape no_network_result
}

t_network_views_for_drawing() {
    req GET "$GW/api/simulation/cases/pglib_opf_case118_ieee/network?limit=50"
    expect_status 200
    expect_json '.buses|length' 50
    expect_json '.branches|length' 50
    expect_json .page.total.buses 118
    expect_json .page.total.branches 186
    expect_json .page.next_offset 50
    expect_json '.buses[0]|has("id") and has("type")' true
    expect_json '.branches[0]|has("fbus") and has("tbus") and has("rate_a_mva")' true
    req GET "$GW/api/simulation/cases/pglib_opf_case118_ieee/network?offset=100&limit=50"
    expect_json '.buses|length' 18
    expect_json '.branches|length' 50
    expect_json .page.next_offset 150
    req GET "$GW/api/simulation/cases/nope/network"
    expect_status 404
    expect_error_shape unknown_case
    post opf '{"case":"pglib_opf_case57_ieee","async":true}'
    expect_status 202
    local loc
    loc=$(grep -i '^Location:' "$HDR_FILE" | tr -d '\r' | awk '{print $2}' | sed 's|^http://[^/]*||')
    wait_job "$loc"
    expect_json .state done
    expect_json '.progress.unit' iterations
    req GET "$GW$loc/network"
    expect_status 200
    expect_json '.buses|length' 57
    expect_json '[.buses[]|.vm_pu > 0.9 and .vm_pu < 1.1]|all' true
    expect_json '[.buses[]|select(.type=="ref")]|length' 1
    expect_json '.branches|length' 80
    expect_json '.branches[0]|has("loading_percent") and .row == 0' true
    expect_json .page null
}

t_async_job_with_location() {
    post opf '{"case":"pglib_opf_case57_ieee","async":true}'
    expect_status 202
    expect_header Location '(http://[^/]+)?/api/simulation/jobs/[0-9a-f]+'
    local loc state i
    loc=$(grep -i '^Location:' "$HDR_FILE" | tr -d '\r' | awk '{print $2}' | sed 's|^http://[^/]*||')
    for i in $(seq 100); do
        req GET "$GW$loc"
        state=$(jq_body .state)
        [ "$state" = done ] || [ "$state" = failed ] && break
        sleep 0.2
    done
    expect_status 200
    expect_json .state done
    close_to "$(jq_body .result.objective)" 37589.3 0.0001 || fail "objective $(jq_body .result.objective)"
    req GET "$GW/api/simulation/jobs/0123456789abcdef"
    expect_status 404
    expect_error_shape unknown_job
}

t_uploaded_case_text() {
    jq -Rs '{case_text: ., mode: "ac"}' "$E2E_TOP/services/simulation/cases/case9.m" >"$T/up.json"
    reqk POST "$GW/api/simulation/opf" -H 'Content-Type: application/json' --data-binary "@$T/up.json"
    expect_status 200
    expect_json .case.uploaded true
    close_to "$(jq_body .objective)" 5296.69 0.0001 || fail "objective"
    post opf '{"case_text":"function mpc = broken\nmpc.baseMVA = 100;\nmpc.bus = [1 3 0 0;\n"}'
    expect_status 400
    expect_error_shape
    expect_json '.error.code|startswith("case_")' true
}

t_bad_requests_name_the_problem() {
    post opf '{"case":"nope"}'
    expect_status 404
    expect_error_shape unknown_case
    post opf '{}'
    expect_status 400
    expect_error_shape missing_case
    post opf '{"case":"case9","outages":{"branches":[999]}}'
    expect_status 400
    expect_error_shape unknown_element
    post opf '{"case":"case9","mode":"quantum"}'
    expect_status 400
    expect_json '.error.details[0].field' mode
    post opf '{"case":"case9","frobnicate":1}'
    expect_status 400
    expect_error_shape unknown_field
    post opf '{"case":"case9","load":{"scale":1,"buses":[]}}'
    expect_status 400
    post opf '{"case":'
    expect_status 400
    expect_error_shape invalid_json
    post opf '{"case":"../../etc/passwd"}'
    expect_status 404
}

t_misspelt_members_are_refused_not_ignored() {
    # an outage under a wrong name would otherwise be solved as if there were none
    post opf '{"case":"case9","outages":{"lines":[1]}}'
    expect_status 400
    expect_error_shape unknown_field
    expect_json '.error.details[0].field' outages.lines
    post opf '{"case":"case9","load":{"scale":1.1,"factor":2}}'
    expect_status 400
    expect_error_shape unknown_field
    req GET "$GW/api/simulation/cases?bus=9"
    expect_status 400
    expect_error_shape unknown_parameter
}

t_forecast_driven_load_without_forecast_is_503() {
    # Nothing listens at the configured forecast URL in this suite; PJM has demand history.
    redis-cli -p "$REDIS_PORT" HSET 'gf:region:{PJM}' code PJM first 1420070400 last 1530403200 >/dev/null
    post opf '{"case":"case9","load":{"forecast":{"region":"PJM","at":"2018-06-30T17:00:00Z"}}}'
    expect_status 503
    expect_error_shape forecast_unavailable
}

t_forecast_region_and_start_are_checked_at_submission() {
    redis-cli -p "$REDIS_PORT" HSET 'gf:region:{PJM}' code PJM first 1420070400 last 1530403200 >/dev/null
    # a catalog entry without demand history is not a known region either
    redis-cli -p "$REDIS_PORT" HSET 'gf:region:{HST}' code HST name Hawaii >/dev/null
    local body
    for body in '{"case":"case9","load":{"forecast":{"region":"NOPE","at":"2018-06-30T17:00:00Z"}}}' \
        '{"case":"case9","load":{"forecast":{"region":"HST","at":"2018-06-30T17:00:00Z"}}}'; do
        post opf "$body"
        expect_status 404
        expect_error_shape unknown_region
        expect_json '.error.details[0].field' load.forecast.region
    done
    post opf '{"case":"case9","load":{"forecast":{"region":"P{J","at":"2018-06-30T17:00:00Z"}}}'
    expect_status 400
    expect_error_shape invalid_region
    expect_json '.error.details[0].field' load.forecast.region
    # a schedule is refused at submission, not accepted as a job that fails later
    post schedule '{"case":"case9","region":"NOPE","start":"2018-06-30T00:00:00Z"}'
    expect_status 404
    expect_error_shape unknown_region
    expect_json '.error.details[0].field' region
    post schedule '{"case":"case9","region":"PJM"}'
    expect_status 400
    expect_error_shape missing_field
    expect_json '.error.details[0].field' start
    jq_body .error.message | grep -q missing || fail "the message does not say missing: $(jq_body .error.message)"
    post schedule '{"case":"case9","region":"PJM","start":"2018-06-30T00:30:00Z"}'
    expect_status 400
    expect_error_shape invalid_field
    jq_body .error.message | grep -q 'whole UTC hour' || fail "$(jq_body .error.message)"
    # a known region with a whole-hour start is a job (which fails later: no forecast here)
    post schedule '{"case":"case9","region":"PJM","start":"2018-06-30T00:00:00Z","hours":2}'
    expect_status 202
}

t_solver_metrics() {
    req GET "http://127.0.0.1:${PORT_OF[simulation]}/metrics"
    grep -q '^gf_simulation_solves_total{kind="opf",status="ok"} [1-9]' "$BODY_FILE" || fail "no solve counter"
    grep -q '^gf_simulation_solve_seconds_count{kind="opf"} [1-9]' "$BODY_FILE" || fail "no histogram"
}

E2E_ENV="GF_FORECAST_URL=http://127.0.0.1:9 GF_FORECAST_TIMEOUT=1"
e2e_main
