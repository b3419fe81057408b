#!/usr/bin/env bash
# Scheduled retraining on a real stack (Redis, trainer, forecast, gateway): new data arrives,
# the schedule starts a job by itself (data trigger, checked every second), the better
# challenger is promoted with "scheduled retrain: MAPE a → b …" in the alias history and is
# served refitted on all data up to the newest hour (data range, refit rounds, history), a worse
# one is not (the reason is in the schedule's last result), forecasts keep answering 200 while
# the scheduled job trains, and the schedule survives a trainer restart.
#
# Data: the last 500 days of PJM from the bundled history, loaded in three steps (all but the
# last 20 days, then 10 more, then the rest), each step more than GF_TRAINER_RETRAIN_AFTER_DAYS.
E2E_SERVICES="trainer forecast"
E2E_ENV="GF_TRAINER_THREADS=1 GF_TRAINER_TEST_DAYS=14 GF_TRAINER_VAL_DAYS=28 GF_TRAINER_RETRAIN_AFTER_DAYS=7 GF_TRAINER_RETRAIN_CHECK_SECONDS=1 GF_TRAINER_RETRAIN_MIN_GAIN_PCT=1"
source "$(dirname "$0")/lib.sh"

tr_url() { echo "http://127.0.0.1:${PORT_OF[trainer]}"; }

# load_pjm DAYS_CUT: the last 500 days of PJM except the newest DAYS_CUT days.
load_pjm() {
    local full=$CSV cut="$T/pjm-cut.csv"
    grep ",PJM," "$full" | tail -n $((500 * 24)) | head -n $(((500 - $1) * 24)) >"$cut"
    CSV=$cut load_region PJM $((500 - $1))
}

schedule_pjm() { # GET /v1/schedule; the PJM entry into $T/pjm.json
    req GET "$(tr_url)/v1/schedule"
    expect_status 200
    jq '.regions[] | select(.region=="PJM")' "$BODY_FILE" >"$T/pjm.json"
}
pjm() { jq -r "$1" "$T/pjm.json"; }

# wait_scheduled_result PREV_JOB [seconds]: until the schedule records a result of a job other
# than PREV_JOB; while the schedule shows its job unfinished, GET forecasts for PJM through the
# gateway and record every status (they must all be 200 while the scheduled job trains).
wait_scheduled_result() {
    local prev=$1 secs=${2:-240} i st
    for ((i = 0; i < secs * 2; i++)); do
        schedule_pjm
        if [ "$(pjm .last_result.job)" != null ] && [ "$(pjm .last_result.job)" != "$prev" ]; then
            return 0
        fi
        if [ "$(pjm .job)" != null ]; then # the scheduled job is queued or training
            st=$(curl -s -o /dev/null -w '%{http_code}' "$GW/api/forecast/forecast?region=PJM&horizon=24")
            echo "$st" >>"$T/forecast-statuses"
        fi
        sleep 0.5
    done
    fail "no scheduled result after $secs s: $(cat "$T/pjm.json")"
}

t_champion_is_trained_and_nothing_is_due() {
    load_pjm 20
    reqk POST "$GW/api/trainer/jobs" -H 'Content-Type: application/json' \
        --data-binary '{"regions":["PJM"],"search":false,"max_rounds":5}'
    expect_status 202
    wait_trainer_job "$(jq_body .id)"
    expect_json .results[0].promoted true
    schedule_pjm
    [ "$(pjm .enabled)" = true ] || fail "enabled: $(cat "$T/pjm.json")"
    [ "$(pjm .after_days)" = 7 ] || fail "after_days: $(cat "$T/pjm.json")"
    [ "$(pjm .every_hours)" = 0 ] || fail "every_hours: $(cat "$T/pjm.json")"
    [ "$(pjm .next_run)" = null ] || fail "next_run without a time trigger: $(cat "$T/pjm.json")"
    [ "$(pjm .model_seen_to)" != null ] || fail "model_seen_to: $(cat "$T/pjm.json")"
    [ "$(pjm .due)" = null ] || fail "due right after training: $(cat "$T/pjm.json")"
    sleep 3 # three checks: nothing starts
    schedule_pjm
    [ "$(pjm .job)" = null ] && [ "$(pjm .last_run)" = null ] || fail "a run started: $(cat "$T/pjm.json")"
}

t_bad_schedule_bodies_are_400_and_change_nothing() {
    local before
    before=$(redis-cli -p "$REDIS_PORT" HGET 'gf:sched:{PJM}' json)
    local b
    for b in '{}' '{"every_hours":-1}' '{"after_days":"7"}' '{"enabled":1}' '{"bogus":1}' \
        '{"options":{"regions":["PJM"]}}' '{"options":{"min_gain_pct":80}}' '[1]'; do
        reqk PUT "$GW/api/trainer/schedule/PJM" -H 'Content-Type: application/json' --data-binary "$b"
        expect_status 400
        expect_error_shape
    done
    reqk PUT "$GW/api/trainer/schedule/NOPE" -H 'Content-Type: application/json' \
        --data-binary '{"after_days":3}'
    expect_status 404
    expect_error_shape unknown_region
    # a write needs the operate scope: no key is 401
    req PUT "$GW/api/trainer/schedule/PJM" -H 'Content-Type: application/json' \
        --data-binary '{"after_days":3}'
    expect_status 401
    [ "$(redis-cli -p "$REDIS_PORT" HGET 'gf:sched:{PJM}' json)" = "$before" ] ||
        fail "schedule changed by refused requests"
    # the scheduled runs skip the parameter search (fast); read back through the gateway
    reqk PUT "$GW/api/trainer/schedule/PJM" -H 'Content-Type: application/json' \
        --data-binary '{"options":{"search":false}}'
    expect_status 200
    expect_json .options.search false
    expect_json .min_gain_pct 1
    req GET "$GW/api/trainer/schedule"
    expect_status 200
    expect_json '.regions[0].options.search' false
}

t_new_data_starts_a_retrain_that_promotes_a_better_model() {
    load_pjm 10 # ten more days than the champion's run saw
    : >"$T/forecast-statuses"
    wait_scheduled_result null
    local job
    job=$(pjm .last_result.job)
    [ "$(pjm .last_result.trigger)" = data ] || fail "trigger: $(cat "$T/pjm.json")"
    [ "$(pjm .last_result.state)" = succeeded ] || fail "state: $(cat "$T/pjm.json")"
    [ "$(pjm .last_result.promoted)" = true ] || fail "not promoted: $(cat "$T/pjm.json")"
    pjm .last_result.reason | grep -q '^scheduled retrain: MAPE [0-9.]* → [0-9.]* on 14 days' ||
        fail "reason: $(pjm .last_result.reason)"
    [ "$(pjm .due)" = null ] || fail "still due after the run: $(cat "$T/pjm.json")"
    # the job is an ordinary job of the list, marked as the schedule's
    req GET "$GW/api/trainer/jobs/$job"
    expect_status 200
    expect_json .options.trigger schedule
    expect_json .options.search false
    req GET "$GW/api/trainer/jobs?limit=5"
    expect_json "[.jobs[].id] | index(\"$job\") != null" true
    # the alias history says why
    req GET "$GW/api/trainer/models/load:PJM"
    expect_status 200
    jq -r '[.history[] | select(.alias=="production")] | last | .reason' "$BODY_FILE" |
        grep -q '^scheduled retrain: MAPE' || fail "history: $(jq -c .history "$BODY_FILE")"
    expect_json '.aliases.production' "$(pjm .last_result.version)"
    # the served version is the winner refitted on all data up to the newest hour: its data
    # range ends there (not test_days before), with more rounds than the evaluated model had
    # on the same parameters, and the history says so
    local v newest
    v=$(pjm .last_result.version)
    newest=$(redis-cli -p "$REDIS_PORT" HGET 'gf:region:{PJM}' last)
    expect_json "(.versions[]|select(.version==$v)) as \$x | \$x.data_range.to" "$newest"
    expect_json "(.versions[]|select(.version==$v)) as \$x | \$x.metrics.refit.rounds > \$x.metrics.refit.evaluated_rounds and \$x.metrics.refit.rows > \$x.metrics.refit.evaluated_rows" true
    expect_json "(.versions[]|select(.version==$v)) as \$x | \$x.data_range.to > \$x.metrics.test_range.from_epoch" true
    jq -r '[.history[] | select(.alias=="production")] | last | .reason' "$BODY_FILE" |
        grep -q '; served refitted on all data to ' || fail "no refit in the history: $(jq -c .history "$BODY_FILE")"
    req GET "$GW/api/trainer/jobs/$job"
    expect_json '.results[0].refit.data_to | length > 0' true
    expect_json '.results[0].refit.rounds > .results[0].refit.evaluated_rounds' true
    # the version carries calibrated recursive leads (25..168 h), and the forecast service
    # uses them past the first day
    req GET "$GW/api/trainer/models/load:PJM"
    expect_json "(.versions[]|select(.version==$v)).metrics.residual_quantiles.recursive_by_lead|length" 144
    req GET "$GW/api/forecast/forecast?region=PJM&horizon=72"
    expect_status 200
    expect_json '.method.recursive|test("calibrated per lead hour")' true
    expect_json '[.points[24:][] | .p10 < .point and .point < .p90] | all' true
    expect_json '[.points[24:][] | .p90 - .p10] | min > 0' true
    # forecasts answered while it trained
    [ -s "$T/forecast-statuses" ] || fail "no forecast was asked during the run"
    if grep -qv '^200$' "$T/forecast-statuses"; then
        fail "forecast statuses during the retrain: $(sort "$T/forecast-statuses" | uniq -c | tr '\n' ' ')"
    fi
}

t_a_worse_challenger_is_not_promoted() {
    local prev prod
    schedule_pjm
    prev=$(pjm .last_result.job)
    req GET "$GW/api/trainer/models/load:PJM"
    prod=$(jq_body .aliases.production)
    # the next scheduled run is crippled on purpose (5 boosting rounds)
    reqk PUT "$GW/api/trainer/schedule/PJM" -H 'Content-Type: application/json' \
        --data-binary '{"options":{"search":false,"max_rounds":5}}'
    expect_status 200
    load_pjm 0
    wait_scheduled_result "$prev"
    [ "$(pjm .last_result.state)" = succeeded ] || fail "state: $(cat "$T/pjm.json")"
    [ "$(pjm .last_result.promoted)" = false ] || fail "promoted: $(cat "$T/pjm.json")"
    [ "$(pjm .last_result.alias)" = staging ] || fail "alias: $(cat "$T/pjm.json")"
    pjm .last_result.reason | grep -q 'does not beat production' ||
        fail "reason: $(pjm .last_result.reason)"
    req GET "$GW/api/trainer/models/load:PJM"
    expect_json .aliases.production "$prod"
    # the data that run judged is not judged again: no new run on the next checks
    local last
    last=$(pjm .last_run)
    sleep 3
    schedule_pjm
    [ "$(pjm .job)" = null ] && [ "$(pjm .last_run)" = "$last" ] && [ "$(pjm .due)" = null ] ||
        fail "retrained again on the same data: $(cat "$T/pjm.json")"
}

t_schedule_survives_a_trainer_restart() {
    reqk PUT "$GW/api/trainer/schedule/PJM" -H 'Content-Type: application/json' \
        --data-binary '{"every_hours":24}'
    expect_status 200
    local next job
    next=$(jq_body .next_run)
    [ "$next" != null ] || fail "no next_run: $(body)"
    schedule_pjm
    job=$(pjm .last_result.job)
    stop_one trainer || fail "trainer did not stop cleanly"
    start_service trainer $E2E_ENV || fail "trainer did not start again"
    wait_ready trainer || fail "trainer not ready after the restart"
    schedule_pjm
    [ "$(pjm .next_run)" = "$next" ] || fail "next_run $next became $(pjm .next_run)"
    [ "$(pjm .every_hours)" = 24 ] || fail "every_hours: $(cat "$T/pjm.json")"
    [ "$(pjm .last_result.job)" = "$job" ] || fail "last result lost: $(cat "$T/pjm.json")"
    [ "$(pjm .options.max_rounds)" = 5 ] || fail "options lost: $(cat "$T/pjm.json")"
}

e2e_main
