#!/usr/bin/env bash
# Ingestion service through the gateway: reading batches (JSON array, NDJSON, 10,000 readings,
# per-reading rejections, duplicates, retries checked in Redis), demand imports (CSV slice of
# the real EIA data read back exactly, idempotent re-import, per-row rejections with line
# numbers, local-time conventions, flags), regions, summary, anomalies (implausible meters, a
# spike in the aggregated tier and in a demand series), the EIA puller against a local fake
# (paging, an error page, a refused key), bad input (400/413/415), metrics, and a crash test
# (kill -9 while a client posts; every acknowledged reading is in Redis exactly once).
E2E_SERVICES="ingestion"
source "$(dirname "$0")/lib.sh"

DATA="$E2E_TOP/services/ingestion/data"
NOW=$(date +%s)
HOUR=$((NOW / 3600 * 3600))
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
post_readings() { # body-or-@file [content-type]
    reqk POST "$GW/api/ingestion/readings" -H "Content-Type: ${2:-application/json}" --data-binary "$1"
}
post_demand() { # query @file-or-body [content-type]
    reqk POST "$GW/api/ingestion/demand$1" -H "Content-Type: ${3:-text/csv}" --data-binary "$2"
}
ym() { date -u -d "@$1" +%Y%m; }
# Readings are partitioned per region and meter bucket ({R:b}, GF_INGEST_BUCKETS = 4):
# readers add the buckets up.
BUCKETS="0 1 2 3"
agg_hour() { # region epoch field -> sum over the buckets of gf:agg:{R:b}:hour:YYYYMM field
    local b v s=0
    for b in $BUCKETS; do
        v=$(rcli HGET "gf:agg:{$1:$b}:hour:$(ym "$2")" "$3")
        s=$(awk -v a="$s" -v b="${v:-0}" 'BEGIN { printf "%.10g", a + b }')
    done
    echo "$s"
}
meters_in() { # region -> meters with a dedupe state (HLEN over the buckets)
    local b n=0
    for b in $BUCKETS; do n=$((n + $(rcli HLEN "gf:meters:{$1:$b}"))); done
    echo "$n"
}
has_meter() { # region meter -> 1 when the meter has a dedupe state
    local b n=0
    for b in $BUCKETS; do n=$((n + $(rcli HEXISTS "gf:meters:{$1:$b}" "$2"))); done
    echo "$n"
}
clean_lines() { # region meter-prefix -> readings of those meters in the clean streams
    local b n=0
    for b in $BUCKETS; do
        n=$((n + $(rcli XRANGE "gf:clean:{$1:$b}" - + | grep -c "^\[\"$2" || true)))
    done
    echo "$n"
}

# The fake EIA API the puller talks to (started before the service so its URL is known).
start_fake_eia() {
    local log="$T/fake-eia.log" port=""
    : >"$log"
    env GF_PORT=0 "$BUILD/bin/ing-fake-eia" >>"$log" 2>&1 &
    local pid=$!
    echo "fake-eia $pid" >>"$T/pids"
    PIDS+=("fake-eia:$pid")
    PID_OF[fake-eia]=$pid
    for _ in $(seq 200); do
        port=$(grep -m1 -o '"evt":"start".*"port":[0-9]*' "$log" 2>/dev/null | grep -o '"port":[0-9]*$' | cut -d: -f2)
        [ -n "$port" ] && break
        sleep 0.05
    done
    [ -n "$port" ] || { echo "fake EIA did not start" >&2; return 1; }
    FAKE_EIA_URL="http://127.0.0.1:$port/v2/electricity/rto/region-data/data"
}

# ---------------------------------------------------------------- readings

t_batch_keeps_good_readings_and_explains_bad_ones() {
    local ts=$(iso $((NOW - 120)))
    post_readings "[
 {\"meter_id\":\"good-1\",\"ts\":\"$ts\",\"region\":\"PJM\",\"kwh\":0.5,\"kw\":2.0,\"voltage_v\":230},
 {\"meter_id\":\"bad-nan\",\"ts\":\"$ts\",\"region\":\"PJM\",\"kw\":\"NaN\"},
 {\"meter_id\":\"bad-str\",\"ts\":\"$ts\",\"region\":\"PJM\",\"kw\":\"12\"},
 {\"meter_id\":\"bad-ts\",\"ts\":\"9999-01-01T00:00:00Z\",\"region\":\"PJM\",\"kw\":1},
 {\"meter_id\":\"bad-old\",\"ts\":\"2001-01-01T00:00:00Z\",\"region\":\"PJM\",\"kw\":1},
 {\"meter_id\":\"bad-inf\",\"ts\":\"$ts\",\"region\":\"PJM\",\"kwh\":1e400},
 {\"meter_id\":\"bad-region\",\"ts\":\"$ts\",\"region\":\"NOPE\",\"kw\":1},
 {\"meter_id\":\"bad-date\",\"ts\":\"2024-02-30T00:00:00Z\",\"region\":\"PJM\",\"kw\":1},
 {\"meter_id\":\"good-2\",\"ts\":\"$ts\",\"region\":\"PJM\",\"kw\":1.5}
]"
    expect_status 200
    expect_json .received 9
    expect_json .accepted 2
    expect_json .rejected 7
    expect_json .duplicate 0
    expect_json '[.rejections[].index]|join(",")' "1,2,3,4,5,6,7"
    expect_json '[.rejections[].code]|join(",")' \
        "not_finite,wrong_type,timestamp_in_future,timestamp_too_old,not_finite,unknown_region,invalid_timestamp"
    expect_json '[.rejections[]|select((.reason|length) > 5)]|length' 7
    # Nothing of the bad ones reached the clean tier; the good ones did.
    [ "$(has_meter PJM good-1)" = 1 ] || fail "good-1 has no dedupe state"
    [ "$(has_meter PJM bad-str)" = 0 ] || fail "bad-str stored"
    [ "$(clean_lines PJM good-)" = 2 ] || fail "clean tier: $(clean_lines PJM good-) good readings"
    [ "$(clean_lines PJM bad-)" = 0 ] || fail "a rejected reading reached the clean tier"
}

t_retried_batch_is_not_double_counted() {
    local t0=$((NOW - 300)) body="" i
    for i in 1 2 3 4 5; do
        body+="{\"meter_id\":\"dup-$i\",\"ts\":\"$(iso $t0)\",\"region\":\"ISNE\",\"kwh\":0.25,\"kw\":1}"$'\n'
    done
    post_readings "$body" application/x-ndjson
    expect_status 200
    expect_json .accepted 5
    local h=$((t0 / 3600 * 3600))
    local n1 s1 c1
    n1=$(agg_hour ISNE $t0 "$h:n")
    s1=$(agg_hour ISNE $t0 "$h")
    c1=$(meters_in ISNE)
    # The same batch again (a client retry): all duplicates, Redis unchanged.
    post_readings "$body" application/x-ndjson
    expect_status 200
    expect_json .accepted 0
    expect_json .duplicate 5
    # One more time with a new reading mixed in: only that one counts.
    post_readings "$body{\"meter_id\":\"dup-6\",\"ts\":\"$(iso $t0)\",\"region\":\"ISNE\",\"kwh\":0.25}" application/x-ndjson
    expect_json .accepted 1
    expect_json .duplicate 5
    [ "$(agg_hour ISNE $t0 "$h:n")" = $((n1 + 1)) ] || fail "hour count $(agg_hour ISNE $t0 "$h:n"), was $n1"
    awk -v a="$(agg_hour ISNE $t0 "$h")" -v b="$s1" 'BEGIN { exit !(a - b > 0.2499 && a - b < 0.2501) }' ||
        fail "hour energy $(agg_hour ISNE $t0 "$h") vs $s1"
    [ "$(meters_in ISNE)" = $((c1 + 1)) ] || fail "meters"
    # Duplicates inside one batch count once.
    post_readings "[{\"meter_id\":\"dup-7\",\"ts\":\"$(iso $t0)\",\"region\":\"ISNE\",\"kw\":1},{\"meter_id\":\"dup-7\",\"ts\":\"$(iso $t0)\",\"region\":\"ISNE\",\"kw\":1}]"
    expect_json .accepted 1
    expect_json .duplicate 1
}

t_ndjson_batch() {
    local ts=$(iso $((NOW - 60)))
    post_readings "{\"meter_id\":\"nd-1\",\"ts\":\"$ts\",\"region\":\"MISO\",\"kw\":3}
{\"meter_id\":\"nd-2\",\"ts\":\"$ts\",\"region\":\"MISO\",\"kw\":-3}

{\"meter_id\":\"nd-3\",\"ts\":\"$ts\",\"region\":\"MISO\",\"kwh\":0.1}
" application/x-ndjson
    expect_status 200
    expect_json .accepted 2
    expect_json '.rejections[0].code' negative_power
    expect_json '.rejections[0].line' 2
}

t_ten_thousand_readings_in_one_batch() {
    awk -v t=$(((NOW - 600) * 1000)) 'BEGIN {
        printf "["; for (i = 0; i < 10000; i++) {
            printf "%s{\"meter_id\":\"big-%05d\",\"ts\":\"%s\",\"region\":\"PJM\",\"kwh\":0.%03d,\"kw\":%d.5}",
                (i ? "," : ""), i, strftime("%Y-%m-%dT%H:%M:%S", int(t / 1000) - (i % 60), 1) ".123Z", i % 1000, i % 7
        } printf "]" }' >"$T/big.json"
    local t0=$(date +%s.%N)
    post_readings "@$T/big.json"
    expect_status 200
    expect_json .accepted 10000
    expect_json .rejected 0
    echo "    10,000 readings: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f s", b - a }') end to end"
    post_readings "@$T/big.json"
    expect_json .duplicate 10000
}

t_malformed_json_is_400_naming_the_position() {
    post_readings '[{"meter_id":"x","ts":"2024-01-01T00:00:00Z",
 "region":"PJM", "kw": 1,,}]'
    expect_status 400
    expect_error_shape malformed_json
    expect_json '.error.details[0].line' 2
    expect_json '.error.message|test("line 2")' true
    post_readings '[{"meter_id":"x","kw":NaN}]'
    expect_status 400
    expect_error_shape malformed_json
    post_readings ''
    expect_status 400
}

t_wrong_media_type_is_415_and_big_body_413() {
    reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: text/plain' --data-binary '[]'
    expect_status 415
    expect_error_shape unsupported_media_type
    post_demand "" '{"a":1}' application/xml
    expect_status 415
    # Over the 16 MiB route limit (straight to the service: the gateway's own 64m cap is
    # above it, and its body buffering is the gateway's business).
    head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T/huge.json"
    req POST "http://127.0.0.1:$INGESTION_PORT/v1/readings" -H 'Content-Type: application/json' \
        --data-binary "@$T/huge.json"
    expect_status 413
    expect_error_shape payload_too_large
}

# ---------------------------------------------------------------- demand

ciso_slice() { # the first 500 CISO rows of the real EIA-930 file
    { head -1 "$DATA/eia930_train.csv"; grep ',CISO,' "$DATA/eia930_train.csv" | head -500; } >"$T/ciso.csv"
}

t_csv_import_reads_back_exactly() {
    ciso_slice
    post_demand "?hour_ending=true" "@$T/ciso.csv"
    expect_status 200
    expect_json .rows 500
    expect_json .accepted 500
    expect_json .new 500
    expect_json .rejected 0
    # Expected: stamps label the hour END, stored under the hour start.
    tail -n +2 "$T/ciso.csv" | jq -rR 'split(",") | "\((.[0] | fromdateiso8601) - 3600 | todate) \(.[2] | tonumber)"' >"$T/expected"
    req GET "$GW/api/ingestion/demand?region=CISO&from=2015-07-01T00:00:00Z&to=2015-08-01T00:00:00Z"
    expect_status 200
    jq -r '.points[] | "\(.ts) \(.demand_mw)"' "$BODY_FILE" | head -500 >"$T/got"
    diff -q "$T/expected" "$T/got" >/dev/null || fail "read-back differs: $(diff "$T/expected" "$T/got" | head -5)"
    expect_json '.points[0].ts' "2015-07-01T23:00:00Z"
}

t_demand_read_skips_what_the_reader_refuses() {
    # GET /v1/demand decodes stored hours with libs/features' reader: a value or a stamp the
    # writer could not have written is left out, never read as a number.
    local k='gf:demand:{CISO}:201506' t=1433116800 # 2015-06-01T00Z
    rcli HSET "$k" $t 100.5 $((t + 3600)) 12abc $((t + 7200)) 0x10 $((t + 1)) 5 \
        $((t + 10800)) '7,21.5' $((t + 14400)) ' 8' >/dev/null
    req GET "$GW/api/ingestion/demand?region=CISO&from=2015-06-01T00:00:00Z&to=2015-06-02T00:00:00Z"
    expect_status 200
    expect_json .count 2
    expect_json '[.points[]|[.ts, .demand_mw, .temperature_c]]|tojson' \
        '[["2015-06-01T00:00:00Z",100.5,null],["2015-06-01T03:00:00Z",7,21.5]]'
    rcli DEL "$k" >/dev/null
}

t_reimport_is_idempotent_and_regions_list_counts() {
    ciso_slice
    post_demand "?hour_ending=true" "@$T/ciso.csv"
    expect_status 200
    expect_json .new 0
    expect_json .accepted 500
    req GET "$GW/api/ingestion/regions"
    expect_status 200
    expect_json '.regions[]|select(.region=="CISO")|.rows' 500
    expect_json '.regions[]|select(.region=="CISO")|.first' "2015-07-01T23:00:00Z"
    expect_json '.regions[]|select(.region=="CISO")|.tz' "America/Los_Angeles"
    expect_json '.regions[]|select(.region=="CISO")|.name|test("California")' true
    req GET "$GW/api/ingestion/regions?all=true"
    expect_json '.regions|length >= 55' true
}

t_per_row_rejections_carry_line_numbers() {
    printf 'region,timestamp,demand_mw,temperature_c\nNYC,2013-03-01T10:00:00Z,5000,3.5\nNYC,2013-03-01T11:00:00Z,abc,\nXX,2013-03-01T12:00:00Z,5000,\nNYC,yesterday,5000,\nNYC,2013-03-01T13:30:00Z,5000,\nNYC,2013-03-01T14:00:00Z,-5,\nNYC,2013-03-01T15:00:00Z,5100,99\nNYC,2013-03-01T16:00:00Z,5200,\n' >"$T/bad.csv"
    post_demand "" "@$T/bad.csv"
    expect_status 200
    expect_json .rows 8
    expect_json .accepted 2
    expect_json .rejected 6
    expect_json '[.rejections[]|"\(.line):\(.code)"]|join(",")' \
        "3:bad_demand,4:unknown_region,5:invalid_timestamp,6:not_on_hour,7:negative_demand,8:temperature_out_of_range"
    req GET "$GW/api/ingestion/demand?region=NYC&from=2013-03-01T10:00:00Z&to=2013-03-01T17:00:00Z"
    expect_json .count 2
    expect_json '.points[0].temperature_c' 3.5
    expect_json '.points[1]|has("temperature_c")' false
    # A CSV without the required columns is refused whole.
    post_demand "" $'when,where\n1,2\n'
    expect_status 400
    expect_error_shape
}

t_source_conventions_local_time_json_and_flags() {
    # Local wall time without zone, hour beginning, New York (EDT = UTC-4 in July).
    post_demand "?tz=America/New_York" $'timestamp,region,demand_mw\n2016-07-01 00:00,NYC,6000\n'
    expect_status 200
    expect_json .accepted 1
    req GET "$GW/api/ingestion/demand?region=NYC&from=2016-07-01T04:00:00Z&to=2016-07-01T05:00:00Z"
    expect_json '.points[0].demand_mw' 6000
    # Fixed offset, hour ending: 2016-07-02T01 at -05:00 ends 06:00Z, starts 05:00Z.
    post_demand "?utc_offset=-05:00&hour_ending=true" $'timestamp,region,demand_mw\n2016-07-02T01,NYC,6100\n'
    req GET "$GW/api/ingestion/demand?region=NYC&from=2016-07-02T05:00:00Z&to=2016-07-02T06:00:00Z"
    expect_json '.points[0].demand_mw' 6100
    post_demand "?tz=Mars/Olympus" $'timestamp,region,demand_mw\n2016-07-01 00:00,NYC,6000\n'
    expect_status 400
    # JSON rows (array) and NDJSON.
    post_demand "" '[{"timestamp":"2016-07-03T00:00:00Z","region":"NYC","demand_mw":6200,"temperature_c":25.5}]' application/json
    expect_status 200
    expect_json .format json
    expect_json .accepted 1
    post_demand "" '{"timestamp":"2016-07-03T01:00:00Z","region":"NYC","demand_mw":6300}' application/x-ndjson
    expect_json .accepted 1
    req GET "$GW/api/ingestion/demand?region=NYC&from=2016-07-03T00:00:00Z&to=2016-07-03T02:00:00Z"
    expect_json '.points[0].temperature_c' 25.5
    expect_json '.points[1].demand_mw' 6300
    post_demand "" '[{"timestamp":"2016-07-03T00:00:00Z",' application/json
    expect_status 400
    expect_error_shape malformed_json
    # Flags: the imputed-hours file on its own route.
    reqk POST "$GW/api/ingestion/demand/flags?hour_ending=true" -H 'Content-Type: text/csv' \
        --data-binary $'timestamp,region,category,raw_demand\n2015-07-02T01:00:00Z,CISO,IDENTICAL_RUN,382\n'
    expect_status 200
    expect_json .kind flags
    req GET "$GW/api/ingestion/demand?region=CISO&from=2015-07-02T00:00:00Z&to=2015-07-02T01:00:00Z"
    expect_json '.points[0].flag' IDENTICAL_RUN
    req GET "$GW/api/ingestion/demand?region=ZZZ9"
    expect_status 404
    req GET "$GW/api/ingestion/demand?region=CISO&from=2016-01-01&to=2015-01-01"
    expect_status 400
}

# ---------------------------------------------------------------- live figures and anomalies

t_summary_reports_live_figures() {
    # Live figures count readings stamped within the last minute (now, not the file's start).
    local ts=$(iso $(($(date +%s) - 5)))
    post_readings "[{\"meter_id\":\"sum-1\",\"ts\":\"$ts\",\"region\":\"SWPP\",\"kw\":1500},{\"meter_id\":\"sum-2\",\"ts\":\"$ts\",\"region\":\"SWPP\",\"kw\":700},{\"meter_id\":\"sum-3\",\"ts\":\"$ts\",\"region\":\"SWPP\",\"kw\":-1}]"
    expect_status 200
    req GET "$GW/api/ingestion/summary?rate_s=60"
    expect_status 200
    expect_json '.meters_reporting >= 1' true
    expect_json '.regions[]|select(.region=="SWPP")|.meters' 1
    expect_json '.regions[]|select(.region=="SWPP")|.load_mw' 0.7
    expect_json '.readings_per_second > 0' true
    expect_json '.rejected_by_reason.negative_power >= 1' true
    expect_json '.rejected_by_reason.power_out_of_range >= 1' true
    expect_json '.last_reading|type' string
    # A back-filled reading (three days old) is stored but is not the region's load "now".
    post_readings "[{\"meter_id\":\"late-1\",\"ts\":\"$(iso $((NOW - 3 * 86400)))\",\"region\":\"SPA\",\"kw\":900}]"
    expect_status 200
    expect_json .accepted 1
    [ "$(has_meter SPA late-1)" = 1 ] || fail "late-1 not stored"
    req GET "$GW/api/ingestion/summary?rate_s=60"
    expect_json '[.regions[]|select(.region=="SPA")]|length' 0
    expect_json '.regions[]|select(.region=="SWPP")|.load_mw' 0.7
}

t_anomalies_meters_and_spikes() {
    # The implausible meter of the previous test (1500 kW > 1000) was stored at once.
    req GET "$GW/api/ingestion/anomalies?region=SWPP"
    expect_status 200
    expect_json '[.anomalies[]|select(.type=="meter_implausible" and .meter_id=="sum-1")]|length' 1
    expect_json '.anomalies[]|select(.meter_id=="sum-1")|.actual' 1500
    expect_json '.anomalies[]|select(.meter_id=="sum-1")|.expected' 1000
    expect_json '.anomalies[]|select(.meter_id=="sum-1")|.score' 0.5
    expect_json '.anomalies[]|select(.meter_id=="sum-1")|.count' 1
    expect_json '.anomalies[]|select(.meter_id=="sum-1")|.status' open
    # A spike in the aggregated tier: one meter, the same hour of the week for four weeks at
    # 1 kWh, then 10 kWh in the last complete hour (the scanner runs every second here).
    local h=$((HOUR - 3600)) body="" w
    for w in 4 3 2 1 0; do
        local v=1.0
        [ $w = 0 ] && v=10.0
        body+="{\"meter_id\":\"spike-1\",\"ts\":\"$(iso $((h - w * 7 * 86400 + 60)))\",\"region\":\"AZPS\",\"kwh\":$v}"$'\n'
    done
    post_readings "$body" application/x-ndjson
    expect_status 200
    expect_json .accepted 5
    # A spike in a demand series: five weeks of a daily shape, the last hour three times higher.
    awk 'BEGIN { print "timestamp,region,demand_mw"; t0 = 1577836800
        for (i = 0; i < 5 * 168; i++) { v = 1000 + (i % 24) * 10; if (i == 5 * 168 - 1) v = 3000
            print strftime("%Y-%m-%dT%H:%M:%SZ", t0 + i * 3600, 1) ",BPAT," v } }' >"$T/bpat.csv"
    post_demand "" "@$T/bpat.csv"
    expect_json .accepted 840
    local i
    for i in $(seq 50); do
        req GET "$GW/api/ingestion/anomalies?region=AZPS"
        [ "$(jq_body '[.anomalies[]|select(.type=="spike")]|length')" -ge 1 ] && break
        sleep 0.2
    done
    expect_json '.anomalies[]|select(.type=="spike")|.source' meters
    expect_json '.anomalies[]|select(.type=="spike")|.expected' 1
    expect_json '.anomalies[]|select(.type=="spike")|.actual' 10
    expect_json '.anomalies[]|select(.type=="spike")|.severity' critical
    expect_json '.anomalies[]|select(.type=="spike")|.t' "$(iso $h)"
    for i in $(seq 50); do
        req GET "$GW/api/ingestion/anomalies?region=BPAT&since=2020-01-01"
        [ "$(jq_body '.count')" -ge 1 ] && break
        sleep 0.2
    done
    expect_json '.anomalies[0].type' spike
    expect_json '.anomalies[0].source' demand
    expect_json '.anomalies[0].t' "2020-02-04T23:00:00Z"
    expect_json '.anomalies[0].expected' 1230
    expect_json '.anomalies[0].actual' 3000
    # Stored once however often the scanner sees it; limit and since filter.
    sleep 1.2
    req GET "$GW/api/ingestion/anomalies?region=BPAT"
    expect_json .count 1
    req GET "$GW/api/ingestion/anomalies?limit=1"
    expect_json .count 1
    req GET "$GW/api/ingestion/anomalies?region=BPAT&since=2030-01-01"
    expect_json .count 0
    req GET "$GW/api/ingestion/summary"
    expect_json '.open_anomalies >= 2' true
}

t_meter_anomalies_are_episodes_and_capped_per_type() {
    # One faulty meter sending bad values again and again is ONE open episode.
    local i ts body
    for i in 1 2 3 4 5; do
        ts=$(iso $((NOW - 300 + i * 10)))
        post_readings "[{\"meter_id\":\"flood-1\",\"ts\":\"$ts\",\"region\":\"AZPS\",\"kw\":-$i},{\"meter_id\":\"flood-1\",\"ts\":\"$ts\",\"region\":\"AZPS\",\"voltage_v\":999,\"kwh\":1}]"
        expect_status 200
    done
    for i in $(seq 50); do
        req GET "$GW/api/ingestion/anomalies?region=AZPS&limit=1000"
        [ "$(jq_body '[.anomalies[]|select(.meter_id=="flood-1")][0].count // 0')" = 10 ] && break
        sleep 0.1
    done
    expect_json '[.anomalies[]|select(.meter_id=="flood-1")]|length' 1
    expect_json '.anomalies[]|select(.meter_id=="flood-1")|.count' 10
    expect_json '.anomalies[]|select(.meter_id=="flood-1")|.first_seen' "$(iso $((NOW - 290)))"
    expect_json '.anomalies[]|select(.meter_id=="flood-1")|.last_seen' "$(iso $((NOW - 250)))"
    # the worst value: voltage 999 against 300 is 2.33 out of range, kw -5 only 0.005
    expect_json '.anomalies[]|select(.meter_id=="flood-1")|.field' voltage_v
    expect_json '.anomalies[]|select(.meter_id=="flood-1")|.actual' 999
    expect_json '.anomalies[]|select(.meter_id=="flood-1")|.status' open
    # After GF_INGEST_ANOMALY_CLEAR_S (900 s) without one, a new episode starts; the old one
    # is kept, cleared.
    post_readings "[{\"meter_id\":\"flood-2\",\"ts\":\"$(iso $((NOW - 4000)))\",\"region\":\"AZPS\",\"kw\":-1}]"
    post_readings "[{\"meter_id\":\"flood-2\",\"ts\":\"$(iso $((NOW - 60)))\",\"region\":\"AZPS\",\"kw\":-2}]"
    for i in $(seq 50); do
        req GET "$GW/api/ingestion/anomalies?region=AZPS&limit=1000"
        [ "$(jq_body '[.anomalies[]|select(.meter_id=="flood-2")]|length')" = 2 ] && break
        sleep 0.1
    done
    expect_json '[.anomalies[]|select(.meter_id=="flood-2")|.status]|sort|join(",")' "cleared,open"
    expect_json '[.anomalies[]|select(.meter_id=="flood-2")|.count]|add' 2
    # Noise cannot evict the rare regional events: 3 x 64 faulty meters fill AZPS's
    # meter_implausible cap (GF_INGEST_ANOMALY_MAX=50 here); its spike stays.
    local b
    for b in 1 2 3; do
        body=$(awk -v b="$b" -v ts="$(iso $((NOW - 30)))" 'BEGIN { printf "["
            for (i = 0; i < 64; i++) printf "%s{\"meter_id\":\"noisy-%d-%d\",\"ts\":\"%s\",\"region\":\"AZPS\",\"kw\":-1}", (i ? "," : ""), b, i, ts
            printf "]" }')
        post_readings "$body"
        expect_status 200
    done
    for i in $(seq 50); do
        [ "$(rcli ZCARD 'gf:anomalies:{AZPS}:meter_implausible')" = 50 ] &&
            [ "$(rcli ZCARD 'gf:anomalies:{AZPS}')" = $((50 + $(rcli ZCARD 'gf:anomalies:{AZPS}:spike') + $(rcli ZCARD 'gf:anomalies:{AZPS}:drop'))) ] && break
        sleep 0.1
    done
    [ "$(rcli ZCARD 'gf:anomalies:{AZPS}:meter_implausible')" = 50 ] ||
        fail "meter records: $(rcli ZCARD 'gf:anomalies:{AZPS}:meter_implausible')"
    [ "$(rcli HLEN 'gf:anomaly:{AZPS}:data')" = "$(rcli ZCARD 'gf:anomalies:{AZPS}')" ] ||
        fail "data hash and index differ"
    req GET "$GW/api/ingestion/anomalies?region=AZPS&limit=1000"
    expect_json '[.anomalies[]|select(.type=="spike")]|length >= 1' true
    expect_json '[.anomalies[]|select(.type=="meter_implausible")]|length' 50
    # Without a region the regions are combined, newest first.
    req GET "$GW/api/ingestion/anomalies?limit=1000"
    expect_json '[.anomalies[].region]|unique|length >= 3' true
    expect_json '[.anomalies[]|select(.region=="BPAT")]|length' 1
}

# ---------------------------------------------------------------- EIA puller

t_eia_puller_pages_through_and_recovers_from_an_error() {
    # Started with GF_INGEST_EIA_API_KEY=flaky: the fake fails the 2nd request, the next run
    # completes. 48 hours x ERCO, PJM in pages of 10.
    local i
    for i in $(seq 100); do
        req GET "$GW/api/ingestion/summary"
        [ "$(jq_body '.eia.pulls_ok')" -ge 1 ] 2>/dev/null && break
        sleep 0.1
    done
    expect_json '.eia.pulls_ok >= 1' true
    expect_json '.eia.pulls_failed >= 1' true
    expect_json '.eia.last_error.code' eia_error
    req GET "$GW/api/ingestion/demand?region=ERCO&from=$(iso $((HOUR - 48 * 3600)))&to=$(iso $HOUR)"
    expect_status 200
    expect_json .count 48
    # Values as the fake computes them: 5000 + UTC hour of the hour start.
    expect_json '[.points[]|select(.demand_mw != 5000 + ((.ts|fromdateiso8601) / 3600 % 24))]|length' 0
    # PJM's 03:00 hour came back null: skipped, not stored as 0.
    req GET "$GW/api/ingestion/demand?region=PJM&from=$(iso $((HOUR - 48 * 3600)))&to=$(iso $HOUR)"
    expect_json .count 46
    curl -fsS "http://127.0.0.1:$INGESTION_PORT/metrics" >"$T/m"
    grep -q '^gf_ingestion_eia_pulls_total{result="eia_error"} [1-9]' "$T/m" || fail "no eia_error pull counted"
    grep -q '^gf_ingestion_eia_pages_total [1-9][0-9]' "$T/m" || fail "pages: $(grep eia_pages "$T/m")"
    grep -q '^gf_ingestion_demand_mw{region="ERCO"} 50' "$T/m" || fail "demand gauge: $(grep demand_mw "$T/m")"
}

t_eia_puller_reports_a_refused_key() {
    start_service ingestion GF_INGEST_EIA_API_KEY=bad GF_INGEST_EIA_URL="$FAKE_EIA_URL" \
        GF_INGEST_EIA_RESPONDENTS=ERCO GF_INGEST_EIA_INTERVAL_S=1
    local port=$INGESTION_PORT pid=${PID_OF[ingestion]} i
    for i in $(seq 50); do
        req GET "http://127.0.0.1:$port/v1/summary"
        [ "$(jq_body '.eia.pulls_failed')" -ge 1 ] 2>/dev/null && break
        sleep 0.1
    done
    expect_json '.eia.last_error.code' eia_api_key
    expect_json '.eia.pulls_ok' 0
    kill -TERM "$pid"
    wait "$pid" || fail "second instance did not exit cleanly ($?)"
}

# ---------------------------------------------------------------- metrics and crash

t_metrics_exported() {
    curl -fsS "http://127.0.0.1:$INGESTION_PORT/metrics" >"$T/m" || fail "no metrics"
    local n
    for n in gf_ingestion_readings_total gf_ingestion_readings_rejected_total \
        gf_ingestion_last_reading_timestamp_seconds gf_ingestion_demand_rows_total \
        gf_ingestion_demand_mw gf_ingestion_batch_readings_bucket gf_ingestion_redis_write_seconds_bucket \
        gf_ingestion_import_rows_total gf_ingestion_anomalies_total; do
        grep -q "^$n" "$T/m" || fail "metric $n missing"
    done
    grep -q '^gf_ingestion_readings_rejected_total{reason="not_finite"} [1-9]' "$T/m" || fail "reason label"
    grep -q '^gf_ingestion_demand_rows_total{region="CISO"} 1000' "$T/m" || fail "CISO rows: $(grep 'rows_total{region="CISO"' "$T/m")"
}

t_kill9_loses_no_acknowledged_reading() {
    # A second instance, addressed directly, is the one killed (the gateway's stays up).
    start_service ingestion
    local port=$INGESTION_PORT pid=${PID_OF[ingestion]} nb=24 per=2000 b
    mkdir -p "$T/crash"
    for ((b = 0; b < nb; b++)); do
        awk -v b=$b -v per=$per -v t=$((NOW - 900)) 'BEGIN { printf "["
            for (i = 0; i < per; i++) printf "%s{\"meter_id\":\"crash-%03d\",\"ts\":\"%s.%03dZ\",\"region\":\"TVA\",\"kw\":1.5,\"kwh\":0.001}",
                (i ? "," : ""), i % 50, strftime("%Y-%m-%dT%H:%M:%S", t + b * 40 + int(i / 50), 1), 0
            printf "]" }' >"$T/crash/b$b.json"
    done
    # The client: each batch until it is acknowledged (200), recording what the ack said.
    (
        for ((b = 0; b < nb; b++)); do
            for _ in $(seq 200); do
                st=$(curl -s -o "$T/crash/r$b.json" -w '%{http_code}' --max-time 5 -X POST \
                    -H 'Content-Type: application/json' --data-binary "@$T/crash/b$b.json" \
                    "http://127.0.0.1:$port/v1/readings") || st=000
                [ "$st" = 200 ] && break
                sleep 0.05
            done
        done
    ) &
    local client=$!
    # Kill -9 in the middle of the stream, restart on the same port. Redis is paused first, so
    # batch 7's write commands are sent and sit in Redis's socket when the service dies: Redis
    # then executes them with nobody left to acknowledge them (the worst case: stored but not
    # acknowledged; the client's retry must find them all as duplicates).
    for _ in $(seq 200); do [ -s "$T/crash/r6.json" ] && break; sleep 0.01; done
    kill -STOP "${PID_OF[redis]}"
    sleep 0.3
    kill -9 "$pid"
    while alive "$pid"; do sleep 0.02; done
    kill -CONT "${PID_OF[redis]}"
    sleep 0.3
    start_service ingestion GF_PORT="$port"
    pid=${PID_OF[ingestion]}
    wait "$client"
    local acked=0 dup=0
    for ((b = 0; b < nb; b++)); do
        [ "$(jq -r .received "$T/crash/r$b.json")" = $per ] || fail "batch $b not acknowledged"
        acked=$((acked + $(jq -r .accepted "$T/crash/r$b.json")))
        dup=$((dup + $(jq -r .duplicate "$T/crash/r$b.json")))
    done
    # Every reading acknowledged (as new or as already stored) is in Redis, and once only:
    # the aggregates count each (meter, ts) once, the clean tier holds each exactly once.
    [ $((acked + dup)) = $((nb * per)) ] || fail "acks cover $((acked + dup)) of $((nb * per))"
    local stored=0 members=0 k
    for k in $(rcli --scan --pattern 'gf:agg:{TVA:*}:hour:*'); do
        stored=$((stored + $(rcli HGETALL "$k" | awk 'NR % 2 == 1 && /:n$/ { getline v; s += v } END { print s + 0 }')))
    done
    members=$(clean_lines TVA crash-)
    echo "    crash: $acked new + $dup already stored (written before the kill, not acknowledged) = $((nb * per)); Redis holds $stored once each"
    [ "$dup" -gt 0 ] || fail "the kill did not catch a write in flight"
    [ "$stored" = $((nb * per)) ] || fail "aggregates count $stored readings, expected $((nb * per))"
    [ "$members" = $((nb * per)) ] || fail "the clean tier holds $members, expected $((nb * per))"
    kill -TERM "$pid"
    wait "$pid" || fail "restarted instance did not exit cleanly"
}

t_meter_simulator_posts_through_the_gateway() {
    "$BUILD/bin/gf-meter-sim" --url "$GW" --api-key "$API_KEY" --meters 400 --seconds 3 \
        --regions ERCO,MISO --faulty 0.01 >"$T/sim.out" 2>&1 || fail "simulator: $(cat "$T/sim.out")"
    grep -q 'done: 1200 readings sent, 11[0-9][0-9] accepted' "$T/sim.out" || fail "$(cat "$T/sim.out")"
    req GET "$GW/api/ingestion/summary?rate_s=60"
    expect_json '[.regions[]|select(.region=="ERCO" or .region=="MISO")|.meters]|add >= 390' true
    expect_json '.regions[]|select(.region=="ERCO")|.load_mw > 0.05' true
    expect_json '.rejected_by_reason.negative_power >= 3' true
}

t_first_run_imports_once_then_skips() {
    # The harness's layout is make up's: $T/gateway/api-keys. No trainer binary here.
    mkdir -p "$T/bin" "$T/run" "$T/logs"
    ln -sf "$BUILD/bin/gf-meter-sim" "$T/bin/gf-meter-sim"
    local t0=$SECONDS
    GF_GATEWAY_URL=$GW GF_REDIS_PORT=$REDIS_PORT GF_VAR_DIR=$T GF_BIN_DIR=$T/bin GF_SIM_METERS=50 \
        bash "$E2E_TOP/scripts/first-run.sh" >"$T/fr1.out" 2>&1 || fail "first run: $(tail -5 "$T/fr1.out")"
    echo "    first run: $((SECONDS - t0)) s"
    grep -q '1420416 rows' "$T/fr1.out" || fail "$(cat "$T/fr1.out")"
    grep -q 'no --once' "$T/fr1.out" || fail "trainer note missing"
    [ "$(rcli HGET 'gf:region:{PJM}' rows)" -ge 26304 ] || fail "PJM rows"
    [ "$(rcli HGET 'gf:region:{NYC}' rows)" -ge 40365 ] || fail "NYC rows"
    [ "$(rcli HLEN 'gf:dflags:{AEC}')" -ge 1 ] || fail "flags"
    local pid
    pid=$(cat "$T/run/meter-sim.pid")
    echo "meter-sim $pid" >>"$T/pids" # stopped at teardown even when a check below fails
    alive "$pid" || fail "meter simulator not running"
    # The simulator posts with a key of its own that may only ingest.
    grep -q "^sha256:$(tr -d '\n' <"$T/gateway/meter-sim.key" | sha256sum | cut -d' ' -f1) ingest meter-sim$" \
        "$T/gateway/keys" || fail "meter simulator key is not an ingest-only key"
    t0=$SECONDS
    GF_GATEWAY_URL=$GW GF_REDIS_PORT=$REDIS_PORT GF_VAR_DIR=$T GF_BIN_DIR=$T/bin \
        bash "$E2E_TOP/scripts/first-run.sh" >"$T/fr2.out" 2>&1 || fail "second run: $(tail -5 "$T/fr2.out")"
    [ $((SECONDS - t0)) -le 30 ] || fail "second run took $((SECONDS - t0)) s"
    [ "$(grep -c 'skipped' "$T/fr2.out")" = 3 ] || fail "second run imported: $(cat "$T/fr2.out")"
    grep -q "already running (pid $pid)" "$T/fr2.out" || fail "second simulator: $(cat "$T/fr2.out")"
    kill -TERM "$pid"
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && fail "simulator ignores SIGTERM"
    true
}

t_redis_down_is_503_then_writes_resume() {
    # Last: it replaces Redis (a crash and a restart from its AOF on the same port).
    local body="[{\"meter_id\":\"rd-1\",\"ts\":\"$(iso $((NOW - 30)))\",\"region\":\"NYIS\",\"kw\":2}]"
    kill -9 "${PID_OF[redis]}"
    while alive "${PID_OF[redis]}"; do sleep 0.05; done
    for _ in $(seq 50); do
        post_readings "$body"
        [ "$STATUS" = 503 ] && break
        sleep 0.1
    done
    expect_status 503
    expect_error_shape redis_unavailable
    E2E_REDIS_PORT=$REDIS_PORT start_redis
    wait_ready ingestion 30 || fail "not ready again after Redis came back"
    # While Redis loads its AOF it answers LOADING: 503 with Retry-After, nothing written.
    # Then the script cache is empty: the service reloads it (or EVALs).
    for _ in $(seq 300); do
        post_readings "$body"
        [ "$STATUS" = 200 ] && break
        [ "$STATUS" = 503 ] || fail "unexpected status while Redis loads"
        expect_header Retry-After 1
        sleep 0.1
    done
    expect_status 200
    expect_json .accepted 1
    post_readings "$body"
    expect_json .duplicate 1
}

start_fake_eia || { echo "not ok - fake EIA starts"; exit 1; }
E2E_ENV="GF_INGEST_MAX_AGE_S=3000000 GF_INGEST_ANOMALY_INTERVAL_S=1 GF_INGEST_ANOMALY_MAX=50 GF_INGEST_EIA_API_KEY=flaky
GF_INGEST_EIA_URL=$FAKE_EIA_URL GF_INGEST_EIA_RESPONDENTS=ERCO,PJM GF_INGEST_EIA_INTERVAL_S=1
GF_INGEST_EIA_PAGE_LENGTH=10 GF_INGEST_EIA_LOOKBACK_H=48"
e2e_main
