#!/usr/bin/env bash
# Trainer service: training jobs on a worker thread with progress, registration in the model
# registry, champion/challenger promotion, manual promotion and rollback, pub/sub events, the
# --once mode, and jobs interrupted by a restart or a shutdown.
#
# Data: PJM and NYIS 2016-12..2018-06 from services/ingestion/data/eia930_train.csv, written to Redis
# with the ingestion key layout (CONTRIBUTING.md) by an awk -> redis-cli --pipe loader.
# Small test (14 days) and validation (28 days) windows and one XGBoost thread keep every job
# under half a minute.
E2E_SERVICES="trainer"
E2E_ENV="GF_TRAINER_THREADS=1 GF_TRAINER_TEST_DAYS=14 GF_TRAINER_VAL_DAYS=28 GF_TRAINER_STALE_SECONDS=5"
source "$(dirname "$0")/lib.sh"

DATA=${GF_DEMAND_DIR:-$E2E_TOP/services/ingestion/data}

rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

# load_regions CSV FROM TO TZMAP: rows of the regions named in TZMAP ("R=Zone,R2=Zone2") with
# FROM <= timestamp < TO, as gf:demand:{R}:YYYYMM hashes plus gf:region:{R} and gf:regions.
load_regions() {
    local csv=$1 from=$2 to=$3 tzmap=$4
    awk -F, -v FROM="$from" -v TO="$to" -v TZMAP="$tzmap" '
    function days(y, m, d,   era, yoe, mp, doy, doe) {
        y -= (m <= 2); era = int(y / 400); yoe = y - era * 400
        mp = (m + 9) % 12; doy = int((153 * mp + 2) / 5) + d - 1
        doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
        return era * 146097 + doe - 719468
    }
    function resp(n, a,   i, s) {
        s = "*" n "\r\n"
        for (i = 1; i <= n; i++) s = s "$" length(a[i]) "\r\n" a[i] "\r\n"
        printf "%s", s
    }
    BEGIN {
        n = split(TZMAP, parts, ",")
        for (i = 1; i <= n; i++) { split(parts[i], kv, "="); tz[kv[1]] = kv[2] }
    }
    NR > 1 && ($2 in tz) && $1 >= FROM && $1 < TO && $3 != "" {
        t = days(substr($1, 1, 4) + 0, substr($1, 6, 2) + 0, substr($1, 9, 2) + 0) * 86400 \
            + substr($1, 12, 2) * 3600
        v = $3; if (NF >= 4 && $4 != "") v = v "," $4
        a[1] = "HSET"; a[2] = "gf:demand:{" $2 "}:" substr($1, 1, 4) substr($1, 6, 2)
        a[3] = t; a[4] = v; resp(4, a)
        if (!($2 in first) || t < first[$2]) first[$2] = t
        if (!($2 in last) || t > last[$2]) last[$2] = t
        rows[$2]++
    }
    END {
        for (r in rows) {
            a[1] = "HSET"; a[2] = "gf:region:{" r "}"; a[3] = "code"; a[4] = r
            a[5] = "name"; a[6] = r; a[7] = "tz"; a[8] = tz[r]; a[9] = "first"; a[10] = first[r]
            a[11] = "last"; a[12] = last[r]; a[13] = "rows"; a[14] = rows[r]; resp(14, a)
            a[1] = "SADD"; a[2] = "gf:regions"; a[3] = r; resp(3, a)
        }
    }' "$csv" | rcli --pipe >/dev/null
}

post_job() { # json
    reqk POST "$GW/api/trainer/jobs" -H 'Content-Type: application/json' --data-binary "$1"
}

# wait_job ID [seconds]: poll until the job is final; the last document stays in $BODY_FILE.
# Records every progress stage seen in $T/stages.
wait_job() {
    local id=$1 secs=${2:-120} i st
    for ((i = 0; i < secs * 5; i++)); do
        req GET "$GW/api/trainer/jobs/$id"
        [ "$STATUS" = 200 ] || fail "GET job $id"
        st=$(jq_body .state)
        jq -r 'select(.state=="running") | "\(.progress.region_index)/\(.progress.regions) \(.progress.stage) \(.progress.candidate // "-") \(.progress.round // "-")"' \
            "$BODY_FILE" >>"$T/stages"
        case $st in succeeded | failed | partial) return 0 ;; esac
        sleep 0.2
    done
    fail "job $id did not finish in $secs s (state $st)"
}

t_regions_are_loaded() {
    load_regions "$DATA/eia930_train.csv" 2016-12-01 2018-07-01 \
        "PJM=America/New_York,NYIS=America/New_York"
    [ "$(rcli SCARD gf:regions)" = 2 ] || fail "gf:regions: $(rcli SMEMBERS gf:regions)"
    local rows
    rows=$(rcli HGET 'gf:region:{PJM}' rows)
    [ "$rows" -gt 13000 ] || fail "PJM rows $rows"
}

t_bad_bodies_are_400_naming_the_field() {
    post_job '{}'
    expect_status 400
    expect_error_shape missing_field
    expect_json '.error.details[0].field' regions
    post_job '{"regions":"everything"}'
    expect_status 400
    expect_error_shape invalid_regions
    post_job '{"regions":[]}'
    expect_status 400
    expect_error_shape invalid_regions
    post_job '{"regions":["PJM","PJM"]}'
    expect_status 400
    expect_error_shape invalid_regions
    post_job '{"regions":["PJM"],"test_days":0}'
    expect_status 400
    expect_error_shape invalid_test_days
    expect_json '.error.details[0].field' test_days
    post_job '{"regions":["PJM"],"max_rounds":"5"}'
    expect_status 400
    expect_error_shape invalid_max_rounds
    post_job '{"regions":["PJM"],"serach":false}'
    expect_status 400
    expect_error_shape unknown_field
    expect_json '.error.details[0].field' serach
    post_job '{"regions":'
    expect_status 400
    expect_error_shape invalid_json
    reqk POST "$GW/api/trainer/jobs" -H 'Content-Type: text/plain' --data-binary 'PJM'
    expect_status 415
}

t_unknown_region_is_404_up_front() {
    post_job '{"regions":["PJM","XX","ZZZ"]}'
    expect_status 404
    expect_error_shape unknown_region
    expect_json '[.error.details[].region]|join(",")' XX,ZZZ
    expect_json '.error.message|test("XX")' true
}

t_unknown_job_and_model_are_404() {
    req GET "$GW/api/trainer/jobs/20200101T000000-deadbeef"
    expect_status 404
    expect_error_shape unknown_job
    req GET "$GW/api/trainer/jobs/..%2F..%2Fetc"
    expect_status 404
    req GET "$GW/api/trainer/models/load:NOPE"
    expect_status 404
    expect_error_shape unknown_model
}

t_job_trains_registers_and_promotes() {
    (timeout 120 redis-cli -p "$REDIS_PORT" SUBSCRIBE gf:reg:events >"$T/events" 2>&1 &)
    sleep 0.3
    : >"$T/stages"
    post_job '{"regions":["PJM"]}'
    expect_status 202
    expect_header Location '.*/jobs/[0-9T]+-[0-9a-f]{8}'
    expect_json .state queued
    local id
    id=$(jq_body .id)
    echo "$id" >"$T/job1"
    # the service keeps answering while the job trains
    req GET "$GW/api/trainer/info"
    expect_status 200
    wait_job "$id" 150
    expect_json .state succeeded
    expect_json .error null
    expect_json '.results[0].region' PJM
    expect_json '.results[0].version' 1
    expect_json '.results[0].alias' production
    expect_json '.results[0].promoted' true
    expect_json '.results[0].champion_challenger.reason' 'no production version yet'
    expect_json '.results[0].mape < .results[0].metrics.same_hour_yesterday.mape' true
    expect_json '.results[0].mape < .results[0].metrics.same_hour_last_week.mape' true
    expect_json '.results[0].timings.train_seconds > 0' true
    expect_json '.timings.run_seconds > 0' true
    echo "    PJM job: $(jq -r '.results[0] | "MAPE \(.mape|.*100|round/100) %, yesterday \(.metrics.same_hour_yesterday.mape|.*100|round/100) %, last week \(.metrics.same_hour_last_week.mape|.*100|round/100) %, train \(.timings.train_seconds|.*10|round/10) s, total \(.timings.total_seconds|.*10|round/10) s"' "$BODY_FILE")"
    grep -q ' search ' "$T/stages" || fail "no search progress seen: $(sort -u "$T/stages" | head)"
    grep -Eq '^1/1 search [0-9]+ [0-9]+$' "$T/stages" || fail "no candidate/round progress: $(sort -u "$T/stages" | head)"
    # the registry carries what the forecast service needs
    req GET "$GW/api/trainer/models/load:PJM"
    expect_status 200
    expect_json .aliases.production 1
    expect_json '.versions[0].job' "$id"
    expect_json '.versions[0].metrics.residual_quantiles.units' model_output
    expect_json '.versions[0].metrics.residual_quantiles.by_horizon|length' 24
    expect_json '.versions[0].metrics.residual_quantiles.levels|length' 7
    expect_json '.versions[0].metrics.champion_challenger.promote' true
    expect_json '.versions[0].spec.tz' America/New_York
    expect_json '.versions[0].data_range.to > .versions[0].data_range.from' true
    expect_json '.history[0].to' 1
    req GET "$GW/api/trainer/models"
    expect_status 200
    expect_json '.models[0].name' load:PJM
    # the alias change was published
    grep -q '"alias":"production"' "$T/events" || fail "no pub/sub event: $(cat "$T/events")"
    grep -q '"name":"load:PJM"' "$T/events" || fail "event lacks the model name"
}

t_worse_model_is_staged_with_both_scores() {
    post_job '{"regions":["PJM"],"search":false,"max_rounds":5}'
    expect_status 202
    local id
    id=$(jq_body .id)
    wait_job "$id" 120
    expect_json .state succeeded
    expect_json '.results[0].version' 2
    expect_json '.results[0].alias' staging
    expect_json '.results[0].promoted' false
    expect_json '.results[0].champion_challenger.champion_version' 1
    expect_json '.results[0].champion_challenger.champion_scored' true
    expect_json '.results[0].champion_challenger.challenger_mape > .results[0].champion_challenger.champion_mape' true
    expect_json '.results[0].champion_challenger.reason|test("does not beat production v1")' true
    req GET "$GW/api/trainer/models/load:PJM"
    expect_status 200
    expect_json .aliases.production 1
    expect_json .aliases.staging 2
    expect_json '.versions[]|select(.version==2)|.metrics.champion_challenger.champion_mape|type' number
    expect_json '.versions[]|select(.version==2)|.params.options.max_rounds' 5
    # the MAPE gauge says which alias a figure belongs to: the poor challenger is staging's,
    # production keeps v1's
    local v1 v2
    v1=$(jq -r '.versions[]|select(.version==1)|.metrics.mape' "$BODY_FILE")
    v2=$(jq -r '.versions[]|select(.version==2)|.metrics.mape' "$BODY_FILE")
    req GET "http://127.0.0.1:$TRAINER_PORT/metrics"
    mape_gauge_is PJM production "$v1"
    mape_gauge_is PJM staging "$v2"
}

mape_gauge_is() { # region alias value (the last /metrics body)
    local got
    got=$(grep "^gf_trainer_model_mape_percent{region=\"$1\",alias=\"$2\"} " "$BODY_FILE" | awk '{print $2}')
    [ -n "$got" ] || fail "no MAPE gauge for $1/$2: $(grep mape_percent "$BODY_FILE")"
    awk -v a="$got" -v b="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 1e-6 * (b < 0 ? -b : b) + 1e-9) }' ||
        fail "MAPE gauge $1/$2 is $got, the version's MAPE is $3"
}

t_jobs_are_listed_newest_first() {
    req GET "$GW/api/trainer/jobs?limit=10"
    expect_status 200
    expect_json .count 2
    expect_json '.jobs[0].options.max_rounds' 5
    expect_json '.jobs[1].id' "$(cat "$T/job1")"
}

t_manual_promotion_and_rollback_are_recorded() {
    local u="$GW/api/trainer/models/load:PJM/aliases"
    reqk POST "$u" -H 'Content-Type: application/json' \
        --data-binary '{"alias":"production","version":2,"who":"e2e","reason":"try the staged one"}'
    expect_status 200
    expect_json .from 1
    expect_json .to 2
    # the gauge follows the alias at once: production now reads v2's MAPE
    req GET "$GW/api/trainer/models/load:PJM"
    local v2
    v2=$(jq -r '.versions[]|select(.version==2)|.metrics.mape' "$BODY_FILE")
    req GET "http://127.0.0.1:$TRAINER_PORT/metrics"
    mape_gauge_is PJM production "$v2"
    reqk POST "$u" -H 'Content-Type: application/json' \
        --data-binary '{"alias":"production","rollback":true,"who":"e2e","reason":"worse in practice"}'
    expect_status 200
    expect_json .to 1
    req GET "$GW/api/trainer/models/load:PJM"
    expect_json .aliases.production 1
    expect_json '[.history[]|select(.alias=="production")|.to]|join(",")' 1,2,1
    expect_json '[.history[]|select(.who=="e2e")|.reason]|last' 'worse in practice'
    # after the manual change and the rollback, production's gauge is v1's MAPE again
    local v1
    v1=$(jq -r '.versions[]|select(.version==1)|.metrics.mape' "$BODY_FILE")
    req GET "http://127.0.0.1:$TRAINER_PORT/metrics"
    mape_gauge_is PJM production "$v1"
    # errors
    reqk POST "$u" -H 'Content-Type: application/json' \
        --data-binary '{"alias":"production","version":99,"who":"e2e"}'
    expect_status 404
    expect_error_shape unknown_version
    reqk POST "$u" -H 'Content-Type: application/json' --data-binary '{"alias":"production","version":1}'
    expect_status 400
    expect_error_shape missing_field
    expect_json '.error.details[0].field' who
    reqk POST "$u" -H 'Content-Type: application/json' \
        --data-binary '{"alias":"production","version":1,"who":"e2e","expect":2}'
    expect_status 409
    expect_error_shape alias_changed
    reqk POST "$GW/api/trainer/models/load:NOPE/aliases" -H 'Content-Type: application/json' \
        --data-binary '{"alias":"production","version":1,"who":"e2e"}'
    expect_status 404
    expect_error_shape unknown_model
    grep -q '"who":"e2e"' "$T/events" || fail "manual change not published"
}

t_metrics_count_jobs_and_regions() {
    req GET "http://127.0.0.1:$TRAINER_PORT/metrics"
    expect_status 200
    grep -q '^gf_trainer_jobs_total{outcome="succeeded"} 2' "$BODY_FILE" || fail "jobs_total"
    grep -q '^gf_trainer_regions_total{outcome="staged"} 1' "$BODY_FILE" || fail "regions_total"
    grep -q '^gf_trainer_training_seconds_count 2' "$BODY_FILE" || fail "training_seconds"
    grep -q '^gf_trainer_model_mape_percent{region="PJM",alias="production"}' "$BODY_FILE" || fail "mape gauge"
}

t_once_mode_trains_in_the_foreground() {
    local out="$T/once.out" rc=0
    env GF_REDIS_PORT="$REDIS_PORT" GF_TRAINER_THREADS=1 GF_TRAINER_VAL_DAYS=28 \
        "$BUILD/bin/gf-trainer" --once --regions NYIS --test-days 14 >"$out" 2>"$T/once.err" || rc=$?
    [ $rc -eq 0 ] || fail "--once exited $rc: $(tail -5 "$out" "$T/once.err")"
    grep -q '^\[1/1\] NYIS: search' "$out" || fail "no progress lines: $(head "$out")"
    grep -Eq '^\[1/1\] NYIS: v1 MAPE .* -> production' "$out" || fail "no result line: $(cat "$out")"
    echo "    $(grep -E '^\[1/1\] NYIS: v1' "$out")"
    req GET "$GW/api/trainer/models/load:NYIS"
    expect_json .aliases.production 1
    rc=0
    env GF_REDIS_PORT="$REDIS_PORT" "$BUILD/bin/gf-trainer" --once --regions NYIS,NOPE \
        >"$out" 2>&1 || rc=$?
    [ $rc -eq 1 ] || fail "unknown region: exit $rc"
    grep -q "NOPE" "$out" || fail "does not name the region: $(cat "$out")"
    rc=0
    "$BUILD/bin/gf-trainer" --once >/dev/null 2>&1 || rc=$?
    [ $rc -eq 2 ] || fail "usage error: exit $rc"
    "$BUILD/bin/gf-trainer" --routes | grep -q 'POST /v1/models/{name}/aliases' || fail "--routes"
}

t_first_run_asks_the_trainer_api_which_regions_need_a_model() {
    # By now PJM (a job) and NYIS (--once) have production models. first-run's import checks
    # are satisfied by hand (catalog, row counts, a flags hash as long as the file), so it
    # goes straight to the models, which it must learn from GET /api/trainer/models: only
    # ERCO, which has none, is handed to gf-trainer --once (it fails: ERCO has no data here).
    local rc=0 out
    mkdir -p "$T/fr/bin" "$T/fr/gateway"
    ln -sf "$BUILD/bin/gf-trainer" "$T/fr/bin/gf-trainer"
    cp "$T/gateway/api-keys" "$T/fr/gateway/api-keys"
    rcli HSET 'gf:region:{CISO}' name 'California ISO' rows 99999999 >/dev/null
    rcli HSET 'gf:region:{NYC}' rows 99999999 >/dev/null
    rcli EVAL "for i = 1, tonumber(ARGV[1]) do redis.call('HSET', KEYS[1], i, 'X') end" 1 \
        'gf:dflags:{AEC}' 40000 >/dev/null
    out=$(GF_GATEWAY_URL=$GW GF_REDIS_PORT=$REDIS_PORT GF_VAR_DIR=$T/fr GF_BIN_DIR=$T/fr/bin \
        GF_FIRST_RUN_REGIONS=PJM,ERCO,NYIS bash "$E2E_TOP/scripts/first-run.sh" 2>&1) || rc=$?
    [ $rc -eq 0 ] || fail "first-run exited $rc: $out"
    [ "$(grep -c 'skipped' <<<"$out")" = 3 ] || fail "imports not skipped: $out"
    grep -q 'training first models for ERCO (gf-trainer --once)' <<<"$out" || fail "$out"
    grep -q 'warning: gf-trainer --once failed' <<<"$out" || fail "$out"
    # every region with a production model: nothing to train
    out=$(GF_GATEWAY_URL=$GW GF_REDIS_PORT=$REDIS_PORT GF_VAR_DIR=$T/fr GF_BIN_DIR=$T/fr/bin \
        GF_FIRST_RUN_REGIONS=NYIS,PJM bash "$E2E_TOP/scripts/first-run.sh" 2>&1) || fail "$out"
    grep -q 'every region already has a production model; training skipped' <<<"$out" || fail "$out"
    # the registry keys alone say nothing: with the trainer API out of reach, the run stops
    rc=0
    out=$(GF_GATEWAY_URL=http://127.0.0.1:1 GF_REDIS_PORT=$REDIS_PORT GF_VAR_DIR=$T/fr \
        GF_BIN_DIR=$T/fr/bin GF_FIRST_RUN_REGIONS=NYIS bash "$E2E_TOP/scripts/first-run.sh" 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "first-run succeeded without the trainer API: $out"
    grep -q 'error: cannot ask the trainer which models exist' <<<"$out" || fail "$out"
    ! grep -q 'training first models' <<<"$out" || fail "trained without knowing: $out"
    rcli DEL 'gf:region:{CISO}' 'gf:dflags:{AEC}' >/dev/null
    rcli HDEL 'gf:region:{NYC}' rows >/dev/null
}

t_job_indexed_without_its_document_is_left_out() {
    # The index entry is written before the document (two slots on a cluster): an entry
    # whose document never came is skipped by the list, which still answers.
    local ghost=20990101T000000-0000dead
    rcli ZADD gf:jobs 4102444800 "$ghost" >/dev/null
    req GET "$GW/api/trainer/jobs?limit=5"
    expect_status 200
    expect_json "[.jobs[].id]|index(\"$ghost\")" null
    expect_json '.count == (.jobs|length) and .count >= 1' true
    rcli ZREM gf:jobs "$ghost" >/dev/null
}

t_stale_job_of_a_vanished_host_is_marked_failed() {
    # a job another host left "running" and stopped saving progress for
    local id=20200101T000000-0000beef
    rcli HSET "gf:job:{$id}" json "{\"id\":\"$id\",\"state\":\"running\",\"owner\":\"gone-host\",\"instance\":\"x\",\"started_at\":\"2020-01-01T00:00:00.000Z\",\"heartbeat_at\":\"2020-01-01T00:05:00.000Z\",\"progress\":{\"regions\":1,\"regions_done\":0},\"results\":[],\"error\":null}" >/dev/null
    rcli ZADD gf:jobs 1577836800 "$id" >/dev/null
    local i
    for ((i = 0; i < 50; i++)); do
        req GET "$GW/api/trainer/jobs/$id"
        [ "$(jq_body .state)" = failed ] && break
        sleep 0.2
    done
    expect_json .state failed
    expect_json .error.code interrupted
    expect_json '.error.message|test("gone-host")' true
    rcli ZREM gf:jobs "$id" >/dev/null
}

# A second trainer (started and stopped here, reached directly): crash it with a job running,
# start a third, which marks the job interrupted; then SIGTERM the third with a job running.
start_extra() { # name [VAR=value...] -> sets EXTRA_PID, EXTRA_BASE
    local name=$1 log="$T/$1.log" port=""
    shift
    env GF_PORT=0 GF_REDIS_PORT="$REDIS_PORT" GF_TRAINER_THREADS=1 "$@" \
        "$BUILD/bin/gf-trainer" >>"$log" 2>&1 &
    EXTRA_PID=$!
    echo "$name $EXTRA_PID" >>"$T/pids"
    for _ in $(seq 600); do
        port=$(grep -m1 -o '"evt":"start".*"port":[0-9]*' "$log" 2>/dev/null | grep -o '"port":[0-9]*$' | cut -d: -f2)
        [ -n "$port" ] && break
        sleep 0.05
    done
    [ -n "$port" ] || fail "$name did not start: $(tail -5 "$log")"
    EXTRA_BASE="http://127.0.0.1:$port"
}

wait_running() { # base id
    local i
    for ((i = 0; i < 300; i++)); do
        req GET "$1/v1/jobs/$2"
        [ "$(jq_body .state)" = running ] && [ "$(jq_body .progress.stage)" = search ] && return 0
        sleep 0.1
    done
    fail "job $2 did not reach the search"
}

t_restart_and_shutdown_interrupt_running_jobs() {
    local id pid
    start_extra trainer2
    req POST "$EXTRA_BASE/v1/jobs" -H 'Content-Type: application/json' \
        --data-binary '{"regions":["PJM"],"max_rounds":5000}'
    expect_status 202
    id=$(jq_body .id)
    wait_running "$EXTRA_BASE" "$id"
    kill -KILL "$EXTRA_PID"
    wait "$EXTRA_PID" 2>/dev/null || true
    start_extra trainer3 GF_DRAIN_SECONDS=1
    req GET "$EXTRA_BASE/v1/jobs/$id"
    expect_json .state failed
    expect_json .error.message 'interrupted by restart'
    # SIGTERM while a job trains: the service exits promptly with 0 and the job says why
    req POST "$EXTRA_BASE/v1/jobs" -H 'Content-Type: application/json' \
        --data-binary '{"regions":["PJM"],"max_rounds":5000}'
    expect_status 202
    id=$(jq_body .id)
    wait_running "$EXTRA_BASE" "$id"
    local t0=$SECONDS rc=0
    kill -TERM "$EXTRA_PID"
    wait "$EXTRA_PID" || rc=$?
    [ $rc -eq 0 ] || fail "trainer exit status $rc after SIGTERM"
    [ $((SECONDS - t0)) -le 8 ] || fail "drain took $((SECONDS - t0)) s"
    local doc
    doc=$(rcli HGET "gf:job:{$id}" json)
    [ "$(jq -r .state <<<"$doc")" = failed ] || fail "state after shutdown: $doc"
    [ "$(jq -r .error.code <<<"$doc")" = interrupted ] || fail "error after shutdown: $doc"
    jq -r .error.message <<<"$doc" | grep -q 'shutdown' || fail "message: $doc"
}

e2e_main
