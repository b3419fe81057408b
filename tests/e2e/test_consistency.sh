#!/usr/bin/env bash
# One answer for the same mistake on every route, through the gateway of a real stack
# (ingestion, trainer, forecast, simulation): a region that is not known is 404
# unknown_region, a malformed region code 400 (one limit everywhere: 16 characters, libs/core
# core/region.h, so a 16-character code is unknown and a 17-character one malformed), `to` not after `from` 400 bad_range, a model
# that does not exist 404; the simulation maps the forecast service's real answers (no model:
# 503 forecast_unavailable); a CSV row that does not fit its header is rejected with its
# line and nothing of it is stored.
E2E_SERVICES="ingestion trainer forecast simulation"
source "$(dirname "$0")/lib.sh"

json_post() { # url body
    reqk POST "$1" -H 'Content-Type: application/json' --data-binary "$2"
}

# PJM gets two days of demand (a known region without a model); HST stays without data.
t_setup_pjm_has_history() {
    awk 'BEGIN { print "timestamp,region,demand_mw"
                 for (h = 0; h < 48; h++) printf "2018-06-%02dT%02d:00:00Z,PJM,%d\n", 1 + int(h / 24), h % 24, 90000 + h }' >"$T/pjm.csv"
    reqk POST "$GW/api/ingestion/demand" -H 'Content-Type: text/csv' --data-binary "@$T/pjm.csv"
    expect_status 200
    expect_json .accepted 48
}

# method | url (after $GW) | body ('' = none) | status | error code
TABLE='
GET|/api/ingestion/demand?region=NOPE||404|unknown_region
GET|/api/ingestion/demand?region=P%7BJ||400|invalid_region
GET|/api/ingestion/demand||400|missing_parameter
GET|/api/ingestion/demand?region=PJM&from=2018-06-02T00:00:00Z&to=2018-06-01T00:00:00Z||400|bad_range
GET|/api/ingestion/demand?region=PJM&from=2018-06-01&to=2018-06-01||400|bad_range
GET|/api/ingestion/anomalies?region=NOPE||404|unknown_region
GET|/api/ingestion/anomalies?region=nope!||400|invalid_region
GET|/api/ingestion/anomalies?from=2018-06-02T00:00:00Z&to=2018-06-01T00:00:00Z||400|bad_range
GET|/api/ingestion/anomalies?since=2018-06-02T00:00:00Z&to=2018-06-02T00:00:00Z||400|bad_range
GET|/api/ingestion/demand?region=PJM&from=yesterday||400|invalid_parameter
GET|/api/forecast/forecast?region=NOPE||404|unknown_region
GET|/api/forecast/forecast?region=P%7BJ||400|invalid_region
GET|/api/forecast/forecast||400|missing_parameter
GET|/api/forecast/forecast?region=PJM&start=2018-06-02T00:30:00Z||400|invalid_parameter
GET|/api/forecast/forecast?region=PJM||503|no_model
POST|/api/forecast/predict|{"model":"load:NOPE","instances":[{"hour":1}]}|404|unknown_model
POST|/api/forecast/predict|{"model":"load:PJM","instances":[{"hour":1}]}|404|unknown_model
GET|/api/trainer/models/load:NOPE||404|unknown_model
POST|/api/trainer/jobs|{"regions":["NOPE"]}|404|unknown_region
POST|/api/trainer/jobs|{"regions":["P{J"]}|400|invalid_regions
POST|/api/simulation/schedule|{"case":"case9","region":"NOPE","start":"2018-06-03T00:00:00Z"}|404|unknown_region
POST|/api/simulation/schedule|{"case":"case9","region":"HST","start":"2018-06-03T00:00:00Z"}|404|unknown_region
POST|/api/simulation/schedule|{"case":"case9","region":"P{J","start":"2018-06-03T00:00:00Z"}|400|invalid_region
POST|/api/simulation/schedule|{"case":"case9","region":"PJM"}|400|missing_field
POST|/api/simulation/schedule|{"case":"case9","region":"PJM","start":"2018-06-03T00:30:00Z"}|400|invalid_field
POST|/api/simulation/opf|{"case":"case9","load":{"forecast":{"region":"NOPE","at":"2018-06-03T00:00:00Z"}}}|404|unknown_region
POST|/api/simulation/opf|{"case":"case9","load":{"forecast":{"region":"PJM","at":"2018-06-03T00:00:00Z"}}}|503|forecast_unavailable
GET|/api/ingestion/demand?region=ABCDEFGHIJKLMNOP||404|unknown_region
GET|/api/ingestion/demand?region=ABCDEFGHIJKLMNOPQ||400|invalid_region
GET|/api/ingestion/anomalies?region=ABCDEFGHIJKLMNOPQ||400|invalid_region
GET|/api/forecast/forecast?region=ABCDEFGHIJKLMNOP||404|unknown_region
GET|/api/forecast/forecast?region=ABCDEFGHIJKLMNOPQ||400|invalid_region
POST|/api/trainer/jobs|{"regions":["ABCDEFGHIJKLMNOP"]}|404|unknown_region
POST|/api/trainer/jobs|{"regions":["ABCDEFGHIJKLMNOPQ"]}|400|invalid_regions
POST|/api/simulation/schedule|{"case":"case9","region":"ABCDEFGHIJKLMNOP","start":"2018-06-03T00:00:00Z"}|404|unknown_region
POST|/api/simulation/schedule|{"case":"case9","region":"ABCDEFGHIJKLMNOPQ","start":"2018-06-03T00:00:00Z"}|400|invalid_region
POST|/api/simulation/opf|{"case":"case9","load":{"forecast":{"region":"ABCDEFGHIJKLMNOPQ","at":"2018-06-03T00:00:00Z"}}}|400|invalid_region
'

t_the_same_mistake_gets_the_same_answer_everywhere() {
    local method url body status code n=0
    while IFS='|' read -r method url body status code; do
        [ -n "$method" ] || continue
        n=$((n + 1))
        if [ "$method" = GET ]; then
            req GET "$GW$url"
        else
            json_post "$GW$url" "$body"
        fi
        [ "$STATUS" = "$status" ] || fail "$method $url $body: expected $status, got $STATUS: $(body)"
        expect_error_shape "$code"
    done <<<"$TABLE"
    echo "    $n requests answered as the table says"
}

t_a_schedule_without_a_model_fails_with_forecast_unavailable() {
    json_post "$GW/api/simulation/schedule" '{"case":"case9","region":"PJM","start":"2018-06-03T00:00:00Z","hours":2}'
    expect_status 202
    local loc i
    loc=$(jq_body .id)
    for i in $(seq 100); do
        req GET "$GW/api/simulation/jobs/$loc"
        [ "$(jq_body .state)" = failed ] && break
        sleep 0.1
    done
    expect_json .state failed
    expect_json .error.code forecast_unavailable
    jq_body .error.message | grep -q no_model || fail "the reason is lost: $(jq_body .error.message)"
}

t_csv_rows_that_do_not_fit_the_header_are_rejected_and_not_stored() {
    printf 'timestamp,region,demand_mw\n2018-06-05T08:00:00Z,PJM,36,99,100,foo\n2018-06-05T09:00:00Z,PJM,1,234\n2018-06-05T10:00:00Z,PJM,"1,234"\n2018-06-05T11:00:00Z,PJM,36\n' >"$T/bad.csv"
    reqk POST "$GW/api/ingestion/demand" -H 'Content-Type: text/csv' --data-binary "@$T/bad.csv"
    expect_status 200
    expect_json .accepted 1
    expect_json '[.rejections[]|"\(.line):\(.code)"]|join(",")' '2:field_count,3:field_count,4:bad_demand'
    req GET "$GW/api/ingestion/demand?region=PJM&from=2018-06-05T00:00:00Z&to=2018-06-06T00:00:00Z"
    expect_status 200
    expect_json '[.points[]|"\(.ts)=\(.demand_mw)"]|join(",")' '2018-06-05T11:00:00Z=36'
    # a 4-column header and a row with one value too many: nothing is read from the wrong column
    reqk POST "$GW/api/ingestion/demand" -H 'Content-Type: text/csv' \
        --data-binary $'timestamp,region,demand_mw,temperature_c\n2018-06-05T12:00:00Z,PJM,1,2,3\n'
    expect_status 200
    expect_json .accepted 0
    expect_json '.rejections[0].line' 2
    # ';'-separated with decimal comma, header in another case
    reqk POST "$GW/api/ingestion/demand" -H 'Content-Type: text/csv' \
        --data-binary $'Timestamp;Region;Demand_MW;Temperature_C\n2018-06-05T13:00:00Z;PJM;90000,5;21,5\n2018-06-05T14:00:00Z;PJM;1.234;\n'
    expect_status 200
    expect_json .accepted 1
    expect_json '.rejections[0].code' bad_demand
    req GET "$GW/api/ingestion/demand?region=PJM&from=2018-06-05T13:00:00Z&to=2018-06-05T15:00:00Z"
    expect_json '[.points[]|"\(.ts)=\(.demand_mw)/\(.temperature_c)"]|join(",")' '2018-06-05T13:00:00Z=90000.5/21.5'
    # JSON rows: the rejection names the element
    reqk POST "$GW/api/ingestion/demand" -H 'Content-Type: application/json' \
        --data-binary '[{"timestamp":"2018-06-05T15:00:00Z","region":"PJM","demand_mw":1},{"timestamp":"2018-06-05T16:00:00Z","region":"PJM","demand_mw":1,"temprature_c":20}]'
    expect_status 200
    expect_json '.rejections[0].index' 1
    expect_json '.rejections[0].code' unknown_field
    # a stamp that is not even UTF-8: the rejection is in the (JSON) answer, quoted printably
    reqk POST "$GW/api/ingestion/demand" -H 'Content-Type: text/csv' \
        --data-binary $'timestamp,region,demand_mw\n2018-06-05T\xc6\xd2:00:00Z,PJM,5\n'
    expect_status 200
    expect_json '.rejections[0].line' 2
    expect_json '.rejections[0].reason' "timestamp '2018-06-05T??:00:00Z' is not a valid date-time"
    # an unknown column refuses the whole file before anything is stored
    reqk POST "$GW/api/ingestion/demand" -H 'Content-Type: text/csv' \
        --data-binary $'timestamp,region,demand_mw,temp\n2018-06-05T17:00:00Z,PJM,5,1\n'
    expect_status 400
    expect_error_shape bad_header
    req GET "$GW/api/ingestion/demand?region=PJM&from=2018-06-05T17:00:00Z&to=2018-06-05T18:00:00Z"
    expect_json .count 0
}

e2e_main
