#!/usr/bin/env bash
# Temperature forecasts from ingestion to a served forecast, on a real stack: ~400 days of the
# bundled NYC series (demand + temperature) and a day-ahead temperature forecast for each of
# those days posted through POST /api/ingestion/temperature/forecasts; the trainer sees the
# stored forecasts and trains NYC with the target-hour temperature columns (same library as
# the forecast service); the served forecast reads the latest issue before its origin, changes
# when a newer issue before the origin arrives, does not change for an issue after the origin
# (no look-ahead), and still answers where no forecast covers the hours.
E2E_SERVICES="ingestion trainer forecast"
E2E_ENV="GF_FORECAST_RECHECK_SECONDS=0"
source "$(dirname "$0")/lib.sh"

NYC_CSV="$E2E_TOP/services/ingestion/data/nyc_train.csv"
ORIGIN=1470787200 # 2016-08-10T00:00:00Z, the hour after the bundled NYC data
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
post_fc() { # JSON body
    reqk POST "$GW/api/ingestion/temperature/forecasts" -H 'Content-Type: application/json' \
        --data-binary "$1"
}
day_issue() { # issued_at target-day-start temperature -> 24 rows of one issue
    jq -cn --arg iss "$1" --argjson d "$2" --argjson t "$3" \
        '[range(0; 24) | {issued_at: $iss, timestamp: ($d + 3600 * . | todate), region: "NYC", temperature_c: $t}]'
}
fc24() { req GET "$GW/api/forecast/forecast?region=NYC&horizon=${1:-24}"; }
points() { jq -c '[.points[].point]' "$BODY_FILE"; }

t_history_and_a_forecast_per_day_are_stored() {
    CSV="$NYC_CSV" load_region NYC 400
    # one issue a day at 23:00 UTC for the next day: the observed temperature (a perfect
    # forecast keeps the test about the plumbing, not about forecast skill)
    grep ',NYC,' "$NYC_CSV" | tail -n $((400 * 24)) |
        jq -R -s -c '[split("\n")[] | select(length > 0) | split(",") | select(.[3] != "")
            | (.[0] | fromdateiso8601) as $t
            | {issued_at: ($t - $t % 86400 - 3600 | todate), timestamp: .[0], region: .[1],
               temperature_c: (.[3] | tonumber)}]' >"$T/fc.json"
    reqk POST "$GW/api/ingestion/temperature/forecasts" -H 'Content-Type: application/json' \
        --data-binary @"$T/fc.json"
    expect_status 200
    expect_json '.accepted > 9000' true
    expect_json .rejected 0
    # the day after the data: a hot day, issued two hours before the origin
    post_fc "$(day_issue "$(iso $((ORIGIN - 7200)))" "$ORIGIN" 33)"
    expect_json .new 24
}

t_trainer_trains_with_the_target_hour_temperature() {
    reqk POST "$GW/api/trainer/jobs" -H 'Content-Type: application/json' \
        --data-binary '{"regions":["NYC"],"test_days":14,"search":false}'
    expect_status 202
    wait_trainer_job "$(jq_body .id)" 300
    expect_json .state succeeded
    expect_json '.results[0].alias' production
    req GET "$GW/api/trainer/models/load:NYC"
    expect_status 200
    expect_json '[.versions[-1].spec|tostring|test("\"temp_fc\""), test("temp_fc_mean_24"), test("temp_lag_24")]|all' true
    local i
    for i in $(seq 100); do
        curl -fsS "http://127.0.0.1:${PORT_OF[forecast]}/v1/models/loaded" | jq -e '.models[]|select(.region=="NYC")' >/dev/null && break
        sleep 0.1
    done
}

t_served_forecast_reads_the_latest_issue_before_the_origin() {
    fc24
    expect_status 200
    expect_json .origin "$(iso $ORIGIN)"
    expect_json .temperature_forecast_hours 24
    points >"$T/hot"
    # a newer issue, still before the origin, says the day will be cold: the forecast changes
    post_fc "$(day_issue "$(iso $((ORIGIN - 3600)))" "$ORIGIN" 2)"
    fc24
    expect_status 200
    expect_header X-Cache miss
    points >"$T/cold"
    [ "$(cat "$T/hot")" != "$(cat "$T/cold")" ] || fail "the forecast ignores the newer issue"
    jq -n --slurpfile a "$T/hot" --slurpfile b "$T/cold" \
        '([$a[0][]] | add) != ([$b[0][]] | add)' | grep -q true || fail "same total"
    # an issue made after the origin (today) must not be used for a forecast from 2016
    post_fc "$(day_issue "$(iso $(($(date +%s) - 60)))" "$ORIGIN" 40)"
    expect_json .new 24
    fc24
    expect_status 200
    points >"$T/after"
    [ "$(cat "$T/after")" = "$(cat "$T/cold")" ] || fail "an issue after the origin changed the forecast"
}

t_hours_without_a_forecast_still_get_one() {
    fc24 48
    expect_status 200
    expect_json '.points|length' 48
    expect_json .temperature_forecast_hours 24
    expect_json '[.points[].point|select(. == null)]|length' 0
}

e2e_main
