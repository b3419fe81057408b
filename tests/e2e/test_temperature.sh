#!/usr/bin/env bash
# Temperature through the gateway: observation imports (CSV with degF converted, JSON, NDJSON)
# read back exactly and stored under the {R}-tagged keys, idempotent re-posts, per-row
# rejections with line and element index, bodies refused as a whole that store nothing,
# forecasts with issue times and the as_of view the features use, the regions listing, the
# ingest scope; and the Open-Meteo puller against a local fake (a failed pull recovered by the
# next, values as the fake computes them, null hours skipped, a refused key that never
# appears in the status or the logs).
E2E_SERVICES="ingestion"
source "$(dirname "$0")/lib.sh"

NOW=$(date +%s)
DAY0=$((NOW / 86400 * 86400))
HOUR=$((NOW / 3600 * 3600))
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
ti() { echo "$GW/api/ingestion/temperature"; }
post() { # path-suffix query body content-type
    reqk POST "$(ti)$1$2" -H "Content-Type: ${4:-text/csv}" --data-binary "$3"
}
temp_keys() { rcli --scan --pattern 'gf:t*' | sort | tr '\n' ' '; }

start_fake_openmeteo() {
    local log="$T/fake-openmeteo.log" port=""
    : >"$log"
    env GF_PORT=0 "$BUILD/bin/ing-fake-openmeteo" >>"$log" 2>&1 &
    local pid=$!
    echo "fake-openmeteo $pid" >>"$T/pids"
    PIDS+=("fake-openmeteo:$pid")
    PID_OF[fake-openmeteo]=$pid
    for _ in $(seq 200); do
        port=$(grep -m1 -o '"evt":"start".*"port":[0-9]*' "$log" 2>/dev/null | grep -o '"port":[0-9]*$' | cut -d: -f2)
        [ -n "$port" ] && break
        sleep 0.05
    done
    [ -n "$port" ] || { echo "fake Open-Meteo did not start" >&2; return 1; }
    FAKE_WX_URL="http://127.0.0.1:$port/v1/forecast"
}

# ---------------------------------------------------------------- observations

t_observations_csv_are_stored_in_celsius_and_read_back() {
    post "" "?tz=America/New_York" $'Timestamp,REGION,temperature_f\n2016-06-30 20:00,NYC,77\n2016-06-30 21:00,NYC,68.9\n2016-06-30 22:00,NYC,\n2016-06-30 23:00,NYC,x\n2016-06-30 23:30,NYC,70\n'
    expect_status 200
    expect_json .kind observations
    expect_json .unit F
    expect_json .stored_unit C
    expect_json .rows 5
    expect_json .accepted 2
    expect_json .new 2
    expect_json .rejected 3
    expect_json '[.rejections[]|"\(.line):\(.code)"]|join(",")' "4:missing_field,5:bad_temperature,6:not_on_hour"
    # 20:00 EDT = 00:00Z; (77 - 32) * 5/9 = 25, (68.9 - 32) * 5/9 = 20.5
    [ "$(rcli HGET 'gf:tobs:{NYC}:201607' 1467331200)" = 25 ] || fail "stored: $(rcli HGETALL 'gf:tobs:{NYC}:201607')"
    [ "$(rcli HGET 'gf:tobs:{NYC}:201607' 1467334800)" = 20.5 ] || fail "stored 01:00Z"
    req GET "$(ti)?region=NYC&from=2016-07-01T00:00:00Z&to=2016-07-01T03:00:00Z"
    expect_status 200
    expect_json '[.points[]|"\(.ts)=\(.temperature_c)"]|join(",")' "2016-07-01T00:00:00Z=25,2016-07-01T01:00:00Z=20.5"
    expect_json .unit C
    # the same body again: nothing new
    post "" "?tz=America/New_York" $'Timestamp,REGION,temperature_f\n2016-06-30 20:00,NYC,77\n2016-06-30 21:00,NYC,68.9\n'
    expect_json .new 0
    expect_json .unchanged_or_updated 2
    [ "$(rcli HGET 'gf:temp:{NYC}' obs_rows)" = 2 ] || fail "obs_rows $(rcli HGET 'gf:temp:{NYC}' obs_rows)"
}

t_observations_json_rejections_carry_line_and_index() {
    post "" "" '[{"timestamp":"2016-07-01T02:00:00Z","region":"NYC","temperature_c":21},
 {"timestamp":"2016-07-01T03:00:00Z","region":"NYC","temperature_c":21,"temperature_f":70},
 {"timestamp":"2016-07-01T04:00:00Z","region":"ZZZ","temperature_c":1},
 {"timestamp":"2016-07-01T05:00:00Z","region":"NYC","temperature_c":"21"}]' application/json
    expect_status 200
    expect_json .accepted 1
    expect_json '[.rejections[]|"\(.index)/\(.line):\(.code)"]|join(",")' "1/2:conflicting_units,2/3:unknown_region,3/4:bad_temperature"
    post "" "" $'{"timestamp":"2016-07-01T06:00:00Z","region":"NYC","temperature_c":19.25}\n' application/x-ndjson
    expect_json .new 1
    req GET "$(ti)?region=NYC&from=2016-07-01T02:00:00Z&to=2016-07-01T07:00:00Z"
    expect_json '[.points[].temperature_c]|join(",")' "21,19.25"
}

t_a_body_refused_as_a_whole_stores_nothing() {
    local before after
    before=$(temp_keys)
    local rows_before=$(rcli HGET 'gf:temp:{PJM}' obs_rows)
    # a good first row, then invalid JSON: 400 with line and column, the good row not stored
    post "" "" $'[{"timestamp":"2018-01-01T00:00:00Z","region":"PJM","temperature_c":1},\n {"timestamp":"2018-01-01T01:00:00Z","region":"PJM","temperature_c":NaN}]' application/json
    expect_status 400
    expect_error_shape malformed_json
    expect_json '.error.details[0].line' 2
    expect_json '.error.details[0].column' 69
    post "" "" $'timestamp,region,temperature_c,temperature_f\n2018-01-01T00:00:00Z,PJM,1,2\n'
    expect_status 400
    expect_error_shape bad_header
    post "" "" $'timestamp,region,temperatur_c\n2018-01-01T00:00:00Z,PJM,1\n'
    expect_error_shape bad_header
    post "/forecasts" "" $'timestamp,region,temperature_c\n2018-01-01T00:00:00Z,PJM,1\n'
    expect_error_shape missing_header
    post "" "?tz=Mars/Olympus" $'timestamp,region,temperature_c\n2018-01-01T00:00:00Z,PJM,1\n'
    expect_status 400
    expect_error_shape unknown_time_zone
    post "" "?color=red" $'timestamp,region,temperature_c\n2018-01-01T00:00:00Z,PJM,1\n'
    expect_error_shape unknown_parameter
    post "" "" ""
    expect_error_shape empty_body
    reqk POST "$(ti)" -H 'Content-Type: text/plain' --data-binary 'x'
    expect_status 415
    after=$(temp_keys)
    [ "$before" = "$after" ] || fail "keys changed: '$before' -> '$after'"
    [ "$(rcli HGET 'gf:temp:{PJM}' obs_rows)" = "$rows_before" ] || fail "PJM rows changed"
    [ "$(rcli EXISTS 'gf:tobs:{PJM}:201801')" = 0 ] || fail "PJM January written"
}

t_posts_need_the_ingest_scope() {
    req POST "$(ti)" -H 'Content-Type: text/csv' --data-binary $'timestamp,region,temperature_c\n'
    expect_status 401
    local k
    k=$(bash "$E2E_TOP/scripts/keys.sh" add --scope read --name reader 2>/dev/null)
    [ -n "$k" ] || fail "keys.sh add printed no key"
    local i
    for i in $(seq 50); do # the key checker picks the new key up on its next request
        req POST "$(ti)/forecasts" -H "X-API-Key: $k" -H 'Content-Type: text/csv' --data-binary 'x'
        [ "$STATUS" = 403 ] && break
        sleep 0.1
    done
    expect_status 403
    expect_json '.error.details[0].scope' ingest
}

# ---------------------------------------------------------------- forecasts

t_forecasts_keep_every_issue_and_as_of_picks_the_latest_before() {
    post "/forecasts" "" $'issued_at,timestamp,region,temperature_c\n2016-06-30T06:00:00Z,2016-07-01T12:00:00Z,NYC,30\n2016-06-30T18:00:00Z,2016-07-01T12:00:00Z,NYC,28.5\n2016-07-01T00:00:00Z,2016-07-01T12:00:00Z,NYC,27\n2016-06-30T18:00:00Z,2016-07-02T00:00:00Z,NYC,22\n2099-01-01T00:00:00Z,2016-07-01T13:00:00Z,NYC,1\n'
    expect_status 200
    expect_json .kind forecasts
    expect_json .accepted 4
    expect_json .new 4
    expect_json '.rejections[0].code' issued_in_future
    expect_json '.rejections[0].line' 6
    [ "$(rcli HGET 'gf:tfc:{NYC}:20160701' 1467374400:1467309600)" = 28.5 ] || fail "stored: $(rcli HGETALL 'gf:tfc:{NYC}:20160701')"
    req GET "$(ti)/forecasts?region=NYC&from=2016-07-01T00:00:00Z&to=2016-07-03T00:00:00Z"
    expect_status 200
    expect_json .count 4
    # at an origin of 2016-07-01T00:00Z the issue of exactly 00:00Z is not known yet
    req GET "$(ti)/forecasts?region=NYC&from=2016-07-01T00:00:00Z&to=2016-07-03T00:00:00Z&as_of=2016-07-01T00:00:00Z"
    expect_json '[.forecasts[]|"\(.ts)@\(.issued_at)=\(.temperature_c)"]|join(",")' \
        "2016-07-01T12:00:00Z@2016-06-30T18:00:00Z=28.5,2016-07-02T00:00:00Z@2016-06-30T18:00:00Z=22"
    req GET "$(ti)/forecasts?region=NYC&from=2016-07-01T00:00:00Z&to=2016-07-03T00:00:00Z&as_of=2016-07-01T00:00:01Z"
    expect_json '.forecasts[0].temperature_c' 27
    # re-post: nothing new
    post "/forecasts" "" $'issued_at,timestamp,region,temperature_c\n2016-06-30T06:00:00Z,2016-07-01T12:00:00Z,NYC,30\n'
    expect_json .new 0
}

t_reads_answer_region_and_range_errors_like_every_route() {
    req GET "$(ti)?region=NOPE"
    expect_status 404
    expect_error_shape unknown_region
    req GET "$(ti)/forecasts?region=N%7BY"
    expect_status 400
    expect_error_shape invalid_region
    req GET "$(ti)?region=NYC&from=2016-07-02T00:00:00Z&to=2016-07-01T00:00:00Z"
    expect_status 400
    expect_error_shape bad_range
    req GET "$(ti)?region=NYC&from=2015-01-01T00:00:00Z&to=2016-07-01T00:00:00Z"
    expect_status 400
    expect_error_shape bad_range
    req GET "$(ti)"
    expect_error_shape missing_parameter
    req GET "$(ti)/forecasts?region=NYC&as_of=soon"
    expect_error_shape invalid_parameter
    # without a range: the last 7 days of stored observations
    req GET "$(ti)?region=NYC"
    expect_status 200
    expect_json .to "2016-07-01T07:00:00Z"
}

# ---------------------------------------------------------------- puller

t_puller_pulls_open_meteo_and_recovers_from_a_failure() {
    # Started with GF_INGEST_WX_API_KEY=flaky: the fake fails its 2nd request (one region's
    # pull of the first run); the next run pulls it again.
    local i
    for i in $(seq 100); do
        req GET "$(ti)/regions"
        [ "$(jq_body '.puller.pulls_ok')" -ge 3 ] 2>/dev/null && break
        sleep 0.1
    done
    expect_status 200
    expect_json '.puller.source' open-meteo
    expect_json '[.puller.regions[].region]|join(",")' "NYC,PJM"
    expect_json '.puller.pulls_ok >= 3' true
    expect_json '.puller.pulls_failed >= 1' true
    expect_json '.puller.last_error.code' openmeteo_error
    expect_json '[.regions[].region]|index("PJM") != null' true
    # PJM at 39.95 N: values round(39.95) + hour / 4 from the current hour on, 05:00 absent
    req GET "$(ti)/forecasts?region=PJM&from=$(iso "$HOUR")&to=$(iso $((DAY0 + 3 * 86400)))"
    expect_status 200
    local want=$(((DAY0 + 3 * 86400 - HOUR) / 3600))
    expect_json '[.forecasts[]|.ts]|unique|length <= '"$want" true
    expect_json '[.forecasts[]|.ts]|unique|length >= '"$((want - 4))" true
    expect_json '[.forecasts[]|select(.temperature_c != 40 + ((.ts|fromdateiso8601) / 3600 % 24) / 4)]|length' 0
    expect_json '[.forecasts[]|select((.ts|fromdateiso8601) / 3600 % 24 == 5)]|length' 0
    expect_json '[.forecasts[]|select((.issued_at|fromdateiso8601) > '"$(($(date +%s) + 1))"')]|length' 0
    req GET "$(ti)/forecasts?region=PJM&from=$(iso $((HOUR - 3 * 3600)))&to=$(iso "$HOUR")"
    expect_json .count 0 # hours before the pull are not stored as forecasts
    curl -fsS "http://127.0.0.1:$INGESTION_PORT/metrics" >"$T/m"
    grep -q '^gf_ingestion_wx_pulls_total{result="ok"} [1-9]' "$T/m" || fail "no ok pull counted"
    grep -q '^gf_ingestion_wx_rows_total [1-9]' "$T/m" || fail "rows: $(grep wx_rows "$T/m")"
}

t_puller_with_a_refused_key_keeps_the_key_secret() {
    local secret="bad-secret-7f3a9c"
    start_service ingestion GF_INGEST_WX_API_KEY=$secret GF_INGEST_WX_URL="$FAKE_WX_URL" \
        GF_INGEST_WX_REGIONS="NYC=40.71,-74.01" GF_INGEST_WX_INTERVAL_S=1
    local port=$INGESTION_PORT pid=${PID_OF[ingestion]} i
    for i in $(seq 50); do
        req GET "http://127.0.0.1:$port/v1/temperature/regions"
        [ "$(jq_body '.puller.pulls_failed')" -ge 1 ] 2>/dev/null && break
        sleep 0.1
    done
    expect_json '.puller.last_error.code' openmeteo_error
    expect_json '.puller.pulls_ok' 0
    grep -q "$secret" "$BODY_FILE" && fail "the key is in the status"
    jq_body '.puller.last_error.message' | grep -q 'API key \*\*\*' || fail "message: $(jq_body .puller.last_error.message)"
    curl -fsS "http://127.0.0.1:$port/metrics" | grep -q "$secret" && fail "the key is in the metrics"
    kill -TERM "$pid"
    wait "$pid" || fail "second instance did not exit cleanly ($?)"
    grep -q "$secret" "$T/ingestion.log" && fail "the key is in the log"
    # a bad coordinate config stops the start with one clear line
    start_service ingestion GF_INGEST_WX_REGIONS="NYC=91,0" 2>/dev/null && fail "started with a bad config"
    grep -q 'GF_INGEST_WX_REGIONS' "$T/ingestion.log" || fail "no config error in the log"
    return 0
}

start_fake_openmeteo || { echo "not ok - fake Open-Meteo starts"; exit 1; }
E2E_ENV="GF_INGEST_WX_API_KEY=flaky GF_INGEST_WX_URL=$FAKE_WX_URL
GF_INGEST_WX_REGIONS=NYC=40.71,-74.01;PJM=39.95,-75.16 GF_INGEST_WX_INTERVAL_S=1"
e2e_main
