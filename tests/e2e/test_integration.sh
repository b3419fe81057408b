#!/usr/bin/env bash
# The whole data flow of DESIGN.md through the gateway, on the real stack:
# demand CSV -> ingestion -> Redis -> trainer job -> registry (production) -> forecast service
# (hot load) -> simulation OPF and a day schedule driven by that forecast.
E2E_ENV="GF_TRAINER_THREADS=1"
source "$(dirname "$0")/lib.sh"

t_import_train_forecast_and_plan_a_day() {
    # 1. Twenty months of real PJM demand through the ingestion API.
    awk -F, 'NR == 1 || ($2 == "PJM" && $1 >= "2016-11-01")' \
        "$E2E_TOP/services/ingestion/data/eia930_train.csv" >"$T/pjm.csv"
    reqk POST "$GW/api/ingestion/demand?hour_ending=true" -H 'Content-Type: text/csv' \
        --data-binary "@$T/pjm.csv"
    expect_status 200
    expect_json .rejected 0
    local rows
    rows=$(jq_body .accepted)
    [ "$rows" -gt 14000 ] || fail "only $rows rows imported"

    # 2. A training job through the trainer API; it registers and promotes a version.
    reqk POST "$GW/api/trainer/jobs" -H 'Content-Type: application/json' \
        --data-binary '{"regions":["PJM"],"test_days":14,"search":false}'
    expect_status 202
    local job i
    job=$(jq_body .id)
    wait_trainer_job "$job" 150
    expect_json .state succeeded
    expect_json '.results[0].promoted // .results.PJM.promoted // true' true
    req GET "$GW/api/trainer/models/load:PJM"
    expect_status 200

    # 3. The forecast service picks the production model up without a restart.
    for i in $(seq 100); do
        req GET "$GW/api/forecast/forecast?region=PJM&horizon=24&history=24"
        [ "$STATUS" = 200 ] && break
        sleep 0.2
    done
    expect_status 200
    expect_json '.points|length' 24
    expect_json '[.points[]|.p10 <= .p50 and .p50 <= .p90]|all' true
    expect_json '.peak_mw > 100000' true
    local start
    start=$(jq_body '.points[0].ts')

    # 4. An OPF whose load is that forecast hour, scaled against the region's peak.
    opf_on_forecast PJM "$start"
    expect_json '.load_source.scale > 0.3 and .load_source.scale <= 1.2' true

    # 5. A 24-hour schedule on that forecast, as a job.
    reqk POST "$GW/api/simulation/schedule" -H 'Content-Type: application/json' --data-binary \
        "{\"case\":\"pglib_opf_case30_ieee\",\"region\":\"PJM\",\"start\":\"$start\",\"mode\":\"dc\"}"
    expect_status 202
    local loc
    loc=$(grep -i '^Location:' "$HDR_FILE" | tr -d '\r' | awk '{print $2}' | sed 's|^http://[^/]*||')
    for i in $(seq 300); do
        req GET "$GW$loc"
        state=$(jq_body .state)
        [ "$state" = done ] || [ "$state" = failed ] && break
        sleep 0.3
    done
    expect_json .state done
    expect_json '.result.hours|length' 24
    expect_json .result.failed_hours 0
    expect_json '.result.total_cost > 0' true
    # Hour to hour the load follows the forecast.
    expect_json '[.result.hours[].forecast_mw]|unique|length > 12' true
}

e2e_main
