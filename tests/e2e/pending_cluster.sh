#!/usr/bin/env bash
# The suite on a Redis Cluster: three masters on loopback ports (scripts/redis-cluster.sh,
# cluster-enabled, no replicas), every service started with GF_REDIS_CLUSTER, and the main
# flows through the gateway: readings with duplicates (each stored once, spread over the
# masters), a demand import read back, training, hot reload on promotion (the registry's
# event published on one master reaches the forecast subscribed on another), a forecast, an
# OPF whose load is that forecast, anomalies (a faulty meter and a spike in a demand series),
# and the summary. Two ingestion and two forecast instances run behind the gateway (nginx
# upstreams with two servers): dedupe stays exact and both forecasts reload the promotion.
# Redis is read back across every master (SCAN per node, redis-cli -c).
# E2E_REDIS=single runs the same flows on one Redis (a baseline when the cluster run fails;
# the cross-master checks are left out there).
E2E_ENV="GF_TRAINER_THREADS=1 GF_INGEST_MAX_AGE_S=3000000 GF_INGEST_ANOMALY_INTERVAL_S=1 GF_FORECAST_RECHECK_SECONDS=0"
source "$(dirname "$0")/lib.sh"

NOW=$(date +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
post_readings() { # body-or-@file
    reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' --data-binary "$1"
}
# Readings of meters with ids starting PREFIX held in the clean streams, over every partition
# (gf:clean:{R:b}) of every master.
clean_count() { # prefix
    local k n=0
    for k in $(cscan 'gf:clean:*'); do
        n=$((n + $(ccli XRANGE "$k" - + | grep -c "^$1" || true)))
    done
    echo "$n"
}
# Readings counted in the hour aggregates of every partition.
agg_count() {
    local k n=0
    for k in $(cscan 'gf:agg:*:hour:*'); do
        n=$((n + $(ccli HGETALL "$k" | awk 'NR % 2 == 1 && /:n$/ { getline v; s += v } END { print s + 0 }')))
    done
    echo "$n"
}
loaded_version() { # region [port]: the version a forecast instance serves (default: the first)
    curl -fsS "http://127.0.0.1:${2:-$FC_A}/v1/models/loaded" |
        jq -r --arg r "$1" '.models[]|select(.region==$r)|.version'
}
# PUBLISH calls each master has executed so far ("port calls" lines).
publish_calls() {
    local p
    for p in "${CLUSTER_PORTS[@]}"; do
        echo "$p $(redis-cli -p "$p" INFO commandstats | tr -d '\r' |
            sed -n 's/^cmdstat_publish:calls=\([0-9]*\),.*/\1/p' | grep . || echo 0)"
    done
}
# The master(s) holding a connection in subscribe mode.
subscriber_nodes() {
    local p
    for p in "${CLUSTER_PORTS[@]}"; do
        redis-cli -p "$p" CLIENT LIST | grep -qE ' (sub|psub)=[1-9]' && echo "$p"
    done
}

t_readings_with_duplicates_are_stored_once_over_the_masters() {
    # 400 meters in 8 regions, 5 readings each (2,000 distinct), 100 of them twice in the batch.
    awk -v t0="$((NOW - 900))" 'BEGIN { split("PJM ERCO MISO CISO NYIS ISNE SWPP TVA", R, " ")
        printf "["; n = 0
        for (k = 0; k < 5; k++) for (i = 0; i < 400; i++) {
            r = sprintf("{\"meter_id\":\"cl-%03d\",\"ts\":\"%s\",\"region\":\"%s\",\"kw\":1.5,\"kwh\":0.25}",
                i, strftime("%Y-%m-%dT%H:%M:%SZ", t0 + k * 60, 1), R[i % 8 + 1])
            printf "%s%s", (n++ ? "," : ""), r
            if (k == 4 && i < 100) printf ",%s", r
        }
        printf "]" }' >"$T/batch.json"
    post_readings "@$T/batch.json"
    expect_status 200
    expect_json .received 2100
    expect_json .accepted 2000
    expect_json .duplicate 100
    expect_json .rejected 0
    # The same batch twice more at once (a client's retries; the gateway sends them to both
    # ingestion instances): nothing new.
    local j
    for j in 1 2; do
        curl -sS -o "$T/r$j" -w '%{http_code}' -X POST -H "X-API-Key: $API_KEY" \
            -H 'Content-Type: application/json' --data-binary "@$T/batch.json" \
            "$GW/api/ingestion/readings" >"$T/s$j" &
    done
    wait
    for j in 1 2; do
        [ "$(cat "$T/s$j")" = 200 ] || fail "retry $j: $(cat "$T/s$j") $(cat "$T/r$j")"
        [ "$(jq -r '.accepted, .duplicate' "$T/r$j" | paste -sd' ')" = "0 2100" ] || fail "retry $j: $(cat "$T/r$j")"
    done
    [ "$(clean_count '\["cl-')" = 2000 ] || fail "clean tier holds $(clean_count '\["cl-') readings, expected 2000"
    [ "$(agg_count)" = 2000 ] || fail "aggregates count $(agg_count), expected 2000"
    # Written on every master: the partitions spread the regions and meter buckets over them.
    local p k n
    for p in "${CLUSTER_PORTS[@]}"; do
        n=0
        for k in $(redis-cli -p "$p" --scan --pattern 'gf:clean:*'); do
            n=$((n + $(redis-cli -p "$p" XRANGE "$k" - + | grep -c '^\["cl-' || true)))
        done
        echo "    master $p: $n clean readings"
        [ "$n" -ge 100 ] || [ "${E2E_REDIS:-}" = single ] || fail "master $p holds only $n of the readings"
    done
}

t_demand_import_reads_back() {
    awk -F, 'NR == 1 || ($2 == "PJM" && $1 >= "2016-11-01")' \
        "$E2E_TOP/services/ingestion/data/eia930_train.csv" >"$T/pjm.csv"
    local rows
    rows=$(($(wc -l <"$T/pjm.csv") - 1))
    reqk POST "$GW/api/ingestion/demand?hour_ending=true" -H 'Content-Type: text/csv' \
        --data-binary "@$T/pjm.csv"
    expect_status 200
    expect_json .rejected 0
    expect_json .accepted "$rows"
    # Again: idempotent.
    reqk POST "$GW/api/ingestion/demand?hour_ending=true" -H 'Content-Type: text/csv' \
        --data-binary "@$T/pjm.csv"
    expect_status 200
    expect_json .new 0
    req GET "$GW/api/ingestion/regions"
    expect_status 200
    expect_json '.regions[]|select(.region=="PJM")|.rows' "$rows"
    # One month read back exactly (hour ending -> hour start).
    awk -F, '$1 >= "2017-03-01T01" && $1 <= "2017-03-08T00:00:00Z~"' "$T/pjm.csv" |
        jq -rR 'split(",") | "\((.[0] | fromdateiso8601) - 3600 | todate) \(.[2] | tonumber)"' >"$T/expected"
    req GET "$GW/api/ingestion/demand?region=PJM&from=2017-03-01T00:00:00Z&to=2017-03-08T00:00:00Z"
    expect_status 200
    jq -r '.points[] | "\(.ts) \(.demand_mw)"' "$BODY_FILE" >"$T/got"
    [ -s "$T/expected" ] || fail "no expected rows"
    diff -q "$T/expected" "$T/got" >/dev/null || fail "read-back differs: $(diff "$T/expected" "$T/got" | head -5)"
    [ "$(cscan 'gf:demand:{PJM}:*' | wc -l)" -ge 20 ] || fail "monthly demand hashes: $(cscan 'gf:demand:{PJM}:*' | wc -l)"
}

t_training_registers_a_production_model_and_the_forecast_serves_it() {
    reqk POST "$GW/api/trainer/jobs" -H 'Content-Type: application/json' \
        --data-binary '{"regions":["PJM"],"test_days":14,"search":false}'
    expect_status 202
    local job i
    job=$(jq_body .id)
    echo "$job" >"$T/job1"
    wait_trainer_job "$job" 240
    expect_json .state succeeded
    expect_json '.results[0].version' 1
    expect_json '.results[0].promoted' true
    req GET "$GW/api/trainer/models/load:PJM"
    expect_status 200
    expect_json .aliases.production 1
    # The job list (one sorted set per job index, wherever it lives) has it.
    req GET "$GW/api/trainer/jobs?limit=10"
    expect_status 200
    expect_json '.jobs[0].id' "$job"
    for i in $(seq 100); do [ "$(loaded_version PJM)" = 1 ] && [ "$(loaded_version PJM "$FC_B")" = 1 ] && break; sleep 0.2; done
    [ "$(loaded_version PJM)" = 1 ] || fail "forecast A did not load version 1"
    [ "$(loaded_version PJM "$FC_B")" = 1 ] || fail "forecast B did not load version 1"
    req GET "$GW/api/forecast/forecast?region=PJM&horizon=24&history=24"
    expect_status 200
    expect_json '.points|length' 24
    expect_json '.model.version' 1
    expect_json '[.points[]|.p10 <= .p50 and .p50 <= .p90]|all' true
    expect_json '.peak_mw > 100000' true
    jq_body '.points[0].ts' >"$T/start"
}

t_promotion_reloads_the_forecast_across_masters() {
    # A second, staged version (5 rounds: worse, not promoted), then a manual promotion.
    reqk POST "$GW/api/trainer/jobs" -H 'Content-Type: application/json' \
        --data-binary '{"regions":["PJM"],"test_days":14,"search":false,"max_rounds":5}'
    expect_status 202
    wait_trainer_job "$(jq_body .id)" 240
    expect_json .state succeeded
    expect_json '.results[0].version' 2
    expect_json '.results[0].promoted' false
    [ "$(loaded_version PJM)" = 1 ] && [ "$(loaded_version PJM "$FC_B")" = 1 ] || fail "staging changed what the forecast serves"
    local subs before after pub t0 t1 i
    subs=$(subscriber_nodes | paste -sd' ')
    [ -n "$subs" ] || fail "no subscriber on any master"
    before=$(publish_calls)
    t0=$(date +%s.%N)
    reqk POST "$GW/api/trainer/models/load:PJM/aliases" -H 'Content-Type: application/json' \
        --data-binary '{"alias":"production","version":2,"who":"e2e","reason":"cluster promotion"}'
    expect_status 200
    for i in $(seq 100); do [ "$(loaded_version PJM)" = 2 ] && [ "$(loaded_version PJM "$FC_B")" = 2 ] && break; sleep 0.05; done
    t1=$(date +%s.%N)
    [ "$(loaded_version PJM)" = 2 ] || fail "version 2 not loaded by forecast A after the promotion"
    [ "$(loaded_version PJM "$FC_B")" = 2 ] || fail "version 2 not loaded by forecast B after the promotion"
    after=$(publish_calls)
    pub=$(join <(echo "$before") <(echo "$after") | awk '$3 > $2 { print $1 }' | paste -sd' ')
    echo "    published on master $pub, forecast subscribed on $subs; reloaded after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
    [ -n "$pub" ] || fail "no master executed a PUBLISH"
    # Across nodes: the event went out on a master the forecast is not subscribed on.
    local s crossed=0
    for s in $subs; do [[ " $pub " == *" $s "* ]] || crossed=1; done
    [ $crossed = 1 ] || [ "${E2E_REDIS:-}" = single ] || fail "published on the subscriber's own master ($pub): not a cross-node delivery"
    req GET "$GW/api/forecast/forecast?region=PJM&horizon=24&history=24"
    expect_status 200
    expect_json '.model.version' 2
}

t_opf_with_forecast_load() {
    local start
    start=$(cat "$T/start")
    opf_on_forecast PJM "$start"
    expect_json '.load_source.scale > 0.3 and .load_source.scale <= 1.2' true
    expect_json '.load_source.model.version' 2
}

t_anomalies_from_meters_and_from_demand() {
    local ts i
    ts=$(iso $((NOW - 20)))
    # A meter far above plausible power: stored at once as an anomaly of its region.
    post_readings "[{\"meter_id\":\"an-1\",\"ts\":\"$ts\",\"region\":\"SWPP\",\"kw\":1500},{\"meter_id\":\"an-2\",\"ts\":\"$ts\",\"region\":\"ERCO\",\"kw\":-3}]"
    expect_status 200
    # A spike in a demand series: five weeks of a daily shape, the last hour three times higher.
    awk 'BEGIN { print "timestamp,region,demand_mw"; t0 = 1577836800
        for (i = 0; i < 5 * 168; i++) { v = 1000 + (i % 24) * 10; if (i == 5 * 168 - 1) v = 3000
            print strftime("%Y-%m-%dT%H:%M:%SZ", t0 + i * 3600, 1) ",BPAT," v } }' >"$T/bpat.csv"
    reqk POST "$GW/api/ingestion/demand" -H 'Content-Type: text/csv' --data-binary "@$T/bpat.csv"
    expect_status 200
    expect_json .accepted 840
    for i in $(seq 100); do
        req GET "$GW/api/ingestion/anomalies?region=BPAT&since=2020-01-01"
        [ "$(jq_body '.count')" -ge 1 ] && break
        sleep 0.2
    done
    expect_json '.anomalies[0].type' spike
    expect_json '.anomalies[0].source' demand
    expect_json '.anomalies[0].t' "2020-02-04T23:00:00Z"
    expect_json '.anomalies[0].actual' 3000
    req GET "$GW/api/ingestion/anomalies?region=SWPP"
    expect_status 200
    expect_json '[.anomalies[]|select(.type=="meter_implausible" and .meter_id=="an-1")]|length' 1
    # Without a region: the regions' anomalies combined (they sit on different masters).
    req GET "$GW/api/ingestion/anomalies?limit=1000"
    expect_status 200
    expect_json '[.anomalies[]|select(.meter_id=="an-1" or .meter_id=="an-2" or .region=="BPAT")]|length' 3
    local a b c
    a=$(cluster_owner 'gf:anomalies:{SWPP}') b=$(cluster_owner 'gf:anomalies:{ERCO}') c=$(cluster_owner 'gf:anomalies:{BPAT}')
    echo "    anomaly indexes on masters SWPP $a, ERCO $b, BPAT $c"
}

t_summary_reports_live_figures() {
    # The live figures (readings per second, meters and load per region) are each instance's
    # own, kept in its memory: posted to and read from instance A directly. What comes from
    # Redis (open anomalies) is asked through the gateway.
    local ts
    ts=$(iso $(($(date +%s) - 5)))
    req POST "http://127.0.0.1:$ING_A/v1/readings" -H 'Content-Type: application/json' --data-binary \
        "[{\"meter_id\":\"sum-1\",\"ts\":\"$ts\",\"region\":\"SPA\",\"kw\":700},{\"meter_id\":\"sum-2\",\"ts\":\"$ts\",\"region\":\"SPA\",\"kw\":300},{\"meter_id\":\"sum-3\",\"ts\":\"$ts\",\"region\":\"NYIS\",\"kw\":-1}]"
    expect_status 200
    expect_json .accepted 2
    req GET "http://127.0.0.1:$ING_A/v1/summary?rate_s=60"
    expect_status 200
    expect_json '.regions[]|select(.region=="SPA")|.meters' 2
    expect_json '.regions[]|select(.region=="SPA")|.load_mw' 1
    expect_json '.accepted >= 2' true
    expect_json '.rejected_by_reason.negative_power >= 1' true
    req GET "$GW/api/ingestion/summary?rate_s=60"
    expect_status 200
    expect_json '.open_anomalies >= 2' true
    # Every service is ready on the cluster (each master answers).
    local s p
    for s in $E2E_SERVICES; do
        for p in ${PORT_OF[$s]//,127.0.0.1:/ }; do
            curl -fsS -o /dev/null "http://127.0.0.1:$p/readyz" || fail "$s on port $p not ready"
        done
    done
}

if [ "${E2E_REDIS:-}" = single ]; then
    start_redis || { echo "not ok - redis starts"; exit 1; }
    CLUSTER_PORTS=("$REDIS_PORT")
else
    start_redis_cluster 3 || { echo "not ok - the cluster starts: $(cat "$T/cluster.log")"; exit 1; }
fi
# The forecast subscribes to gf:reg:events on the first node of its seed list; the registry
# publishes from the master of its model's hash tag ({load:PJM}). Its list starts with another
# master, so a promotion must cross nodes to reach it.
FC_ENV=()
if [ "${E2E_REDIS:-}" != single ]; then
    reg_owner=$(cluster_owner 'gf:reg:{load:PJM}')
    FC_ENV=("GF_REDIS_CLUSTER=$(printf '127.0.0.1:%s\n' "${CLUSTER_PORTS[@]}" | grep -v ":$reg_owner\$" | paste -sd,),127.0.0.1:$reg_owner")
fi
for s in $E2E_SERVICES; do
    extra=()
    [ "$s" = forecast ] && extra=("${FC_ENV[@]}")
    start_service "$s" $E2E_ENV "${extra[@]}" || { echo "not ok - stack starts ($s)"; E2E_FAILED=1; exit 1; }
done
for s in $E2E_SERVICES; do
    wait_ready "$s" 120 || { echo "not ok - $s becomes ready on the cluster"; E2E_FAILED=1; exit 1; }
done
# Second instances of ingestion and forecast (the forecast B with the seed list as given).
ING_A=${PORT_OF[ingestion]} FC_A=${PORT_OF[forecast]}
for s in ingestion forecast; do
    start_service "$s" $E2E_ENV || { echo "not ok - stack starts ($s B)"; E2E_FAILED=1; exit 1; }
    wait_ready "$s" 120 || { echo "not ok - $s B becomes ready on the cluster"; E2E_FAILED=1; exit 1; }
done
ING_B=${PORT_OF[ingestion]} FC_B=${PORT_OF[forecast]}
PORT_OF[ingestion]="$ING_A,127.0.0.1:$ING_B"
PORT_OF[forecast]="$FC_A,127.0.0.1:$FC_B"
start_gateway || { echo "not ok - stack starts (gateway)"; E2E_FAILED=1; exit 1; }
grep -q "server 127.0.0.1:$ING_A; server 127.0.0.1:$ING_B;" "$T/nginx.conf" &&
    grep -q "server 127.0.0.1:$FC_A; server 127.0.0.1:$FC_B;" "$T/nginx.conf" ||
    { echo "not ok - the gateway's upstreams have both instances"; exit 1; }
run_tests
[ "$E2E_FAILED" -eq 0 ]
