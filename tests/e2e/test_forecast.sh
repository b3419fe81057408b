#!/usr/bin/env bash
# Forecast service: real Redis with ~400 days of PJM demand (bundled EIA-930 data), a model
# trained and registered inside the test (build/bin/fc-seed: XGBoost + libs/features, the
# trainer's spec), and the public API through the gateway: the CONTRIBUTING contract, forecast
# == /v1/predict on rows built independently, interval coverage on held-back days, cache,
# hot promotion under load, a corrupted blob refused, bad parameters, 422 naming features.
E2E_SERVICES="forecast"
E2E_ENV="GF_FORECAST_RECHECK_SECONDS=0"
source "$(dirname "$0")/lib.sh"

SEED="$BUILD/bin/fc-seed"
seed() { GF_REDIS_PORT=$REDIS_PORT "$SEED" "$@"; }
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
fc() { req GET "$GW/api/forecast/forecast?$1"; }
loaded_version() { curl -fsS "http://127.0.0.1:${PORT_OF[forecast]}/v1/models/loaded" | jq -r '.models[]|select(.region=="PJM")|.version'; }

# Held-back slice: fc-seed trains on data before LAST - 28 days (its default).
TRAIN_TO=2018-06-04T00:00:00Z

t_no_model_is_503_unknown_region_404() {
    load_region PJM 400
    [ "$(rcli hget 'gf:region:{PJM}' last)" = 1530486000 ] || fail "data not loaded"
    fc "region=PJM&horizon=24"
    expect_status 503
    expect_error_shape no_model
    fc "region=XX&horizon=24"
    expect_status 404
    expect_error_shape unknown_region
}

t_seeded_model_is_loaded_from_the_registry_event() {
    local out
    out=$(seed train --region PJM --seed 1 --rounds 80) || fail "fc-seed train failed"
    echo "    seed: $out"
    [ "$(jq -r .train_to <<<"$out")" = "$TRAIN_TO" ] || fail "unexpected train_to"
    for _ in $(seq 50); do [ "$(loaded_version)" = 1 ] && break; sleep 0.1; done
    [ "$(loaded_version)" = 1 ] || fail "version 1 not loaded within 5 s"
    req GET "$GW/api/forecast/models/loaded"
    expect_status 200
    expect_json '.models[0].name' load:PJM
    expect_json '.models[0].spec_hash|length' 16
    expect_json '.models[0].loaded_at|test("Z$")' true
    expect_json '.subscribed' true
    expect_json '.models[0]|has("feature_names")' false
}

t_loaded_model_feature_names_are_discoverable_and_predict_takes_them() {
    req GET "$GW/api/forecast/models/loaded?features=true"
    expect_status 200
    expect_json '(.models[0].feature_names|length) == .models[0].features' true
    expect_json '.models[0].feature_names|index("lag_24") != null' true
    # the listed names are exactly the columns a predict row needs: rows built by name from
    # them are taken (an independently built row, by fc-seed, supplies the values)
    cp "$BODY_FILE" "$T/loaded.json"
    local cols inst
    cols=$(seed rows --region PJM --start 2018-06-12T00:00:00Z --horizon 1 | jq -c .body)
    [ "$(jq -c '.columns|sort' <<<"$cols")" = "$(jq -c '.models[0].feature_names|sort' "$T/loaded.json")" ] ||
        fail "feature_names differ from the model's columns"
    inst=$(jq -c --slurpfile l "$T/loaded.json" '. as $c | {model: $l[0].models[0].name,
        instances: [$l[0].models[0].feature_names | map({key: ., value: $c.rows[0][$c.columns|index(.)]}) | from_entries]}' <<<"$cols")
    reqk POST "$GW/api/forecast/predict" -H 'Content-Type: application/json' --data-binary "$inst"
    expect_status 200
    expect_json .rows 1
    req GET "$GW/api/forecast/models/loaded?features=maybe"
    expect_status 400
    expect_error_shape
    req GET "$GW/api/forecast/models/loaded?feature=true"
    expect_status 400
    expect_error_shape unknown_parameter
}

t_forecast_meets_the_simulation_contract() {
    fc "region=PJM&start=2018-06-10T00:00:00Z&horizon=24"
    expect_status 200
    expect_json .region PJM
    expect_json .model.name load:PJM
    expect_json .model.version 1
    expect_json '.points|length' 24
    expect_json '.points[0].ts' 2018-06-10T00:00:00Z
    expect_json '.points[23].ts' 2018-06-10T23:00:00Z
    expect_json '[.points[]|(.p10 <= .p50 and .p50 <= .p90 and .point > 0)]|all' true
    expect_json '[.points[]|has("ts","point","p10","p50","p90")]|all' true
    # peak over the 365 days before the origin (the data start ~400 days earlier)
    local peak
    peak=$(rcli --raw eval "local m=0 for _,k in ipairs(redis.call('keys','gf:demand:{PJM}:*')) do local h=redis.call('hgetall',k) for i=1,#h,2 do local t=tonumber(h[i]) if t>=1528588800-365*86400 and t<1528588800 then local v=tonumber(h[i+1]) if v>m then m=v end end end end return tostring(m)" 0)
    expect_json .peak_mw "$peak"
    # default origin: the hour after the data; history for charts
    fc "region=PJM&horizon=168&history=48"
    expect_status 200
    expect_json '.points[0].ts' 2018-07-02T00:00:00Z
    expect_json '.points|length' 168
    expect_json '[.points[:24][]|.recursive]|any' false
    expect_json '[.points[24:][]|.recursive]|all' true
    expect_json '[.points[]|(.p10 <= .p50 and .p50 <= .p90)]|all' true
    expect_json '.history|length' 48
    expect_json '.history[47].ts' 2018-07-01T23:00:00Z
    expect_json '.history[47].demand_mw' 138749
    # a start after the data: forecast from the data's end, return from start
    fc "region=PJM&start=2018-07-02T06:00:00Z&horizon=6"
    expect_status 200
    expect_json '.points[0].ts' 2018-07-02T06:00:00Z
    expect_json .origin 2018-07-02T00:00:00Z
    # other stored levels
    fc "region=PJM&start=2018-06-10T00:00:00Z&horizon=2&levels=0.05,0.95"
    expect_status 200
    expect_json '[.points[]|(.p05 < .p95)]|all' true
    expect_json '.points[0]|has("p10")' false
}

t_forecast_equals_predict_on_independently_built_rows() {
    local rows worst
    rows=$(seed rows --region PJM --start 2018-06-12T00:00:00Z --horizon 24) || fail "fc-seed rows"
    reqk POST "$GW/api/forecast/predict" -H 'Content-Type: application/json' \
        --data-binary "$(jq -c .body <<<"$rows")"
    expect_status 200
    expect_json .rows 24
    expect_json '.bounds|length' 24
    expect_json '[.bounds[]|(.[1] <= .[3] and .[3] <= .[5])]|all' true
    expect_json '.levels|length' 7
    cp "$BODY_FILE" "$T/pred.json"
    fc "region=PJM&start=2018-06-12T00:00:00Z&horizon=24"
    expect_status 200
    worst=$(jq -n --argjson r "$rows" --slurpfile p "$T/pred.json" --slurpfile f "$BODY_FILE" \
        '[range(0;24)|(($p[0].predictions[.] * $r.scale[.]) - $f[0].points[.].point) / $f[0].points[.].point|fabs]|max')
    echo "    forecast vs predict(rows by fc-seed) x scale: max relative difference $worst"
    awk -v w="$worst" 'BEGIN { exit !(w < 1e-6) }' || fail "forecast differs from predict: $worst"
}

# p10-p90 coverage of REGION's served forecasts on the 27 days after TRAIN_TO: prints
# "inside total coverage mean_width_mw".
coverage_after_training() {
    local region=$1 d t0 inside=0 total=0 width=0 n
    t0=$(date -u -d "$TRAIN_TO" +%s)
    for d in $(seq 0 26); do
        local s=$((t0 + d * 86400))
        local start end
        start=$(date -u -d "@$s" +%Y-%m-%dT%H:%M:%SZ)
        end=$(date -u -d "@$((s + 86400))" +%Y-%m-%dT%H:%M:%SZ)
        fc "region=$region&start=$start&horizon=24"
        expect_status 200
        cp "$BODY_FILE" "$T/f.json"
        fc "region=$region&start=$end&horizon=1&history=24"
        expect_status 200
        n=$(jq -n --slurpfile f "$T/f.json" --slurpfile a "$BODY_FILE" \
            '[range(0;24) as $i|$a[0].history[$i].demand_mw as $y|select($y != null)|
              {in: ($y >= $f[0].points[$i].p10 and $y <= $f[0].points[$i].p90),
               w: ($f[0].points[$i].p90 - $f[0].points[$i].p10)}]|
             "\(map(select(.in))|length) \(length) \(map(.w)|add)"' -r)
        read -r a b w <<<"$n"
        inside=$((inside + a))
        total=$((total + b))
        width=$(awk -v x="$width" -v y="$w" 'BEGIN{printf "%.1f", x + y}')
    done
    awk -v a=$inside -v b=$total -v w=$width 'BEGIN{printf "%d %d %.3f %.0f", a, b, a / b, w / b}'
}

t_interval_coverage_on_held_back_days() {
    # fc-seed's quick model: calibrated on its 42 validation days only, one season (a loose check).
    local inside total cov width
    read -r inside total cov width <<<"$(coverage_after_training PJM)"
    echo "    fc-seed model: p10-p90 coverage on $total held-back hours $cov (nominal 0.80), mean width $width MW"
    awk -v c="$cov" -v b="$total" 'BEGIN { exit !(b > 600 && c >= 0.6 && c <= 0.95) }' ||
        fail "coverage $inside/$total too far from 0.8"
}

t_trainer_intervals_hold_nominal_coverage_on_held_back_days() {
    # The production path: PJMC = the same PJM history up to TRAIN_TO only, trained and
    # promoted by the trainer (gf-trainer --once: search, backtest, split-conformal
    # calibration on cross-fitted and validation residuals), served by the forecast service;
    # then the 27 days after TRAIN_TO arrive and the served p10-p90 must hold ~80 % of them.
    local all="$T/pjmc.csv"
    grep ",PJM," "$CSV" | tail -n $((400 * 24)) | sed 's/,PJM,/,PJMC,/' >"$all"
    awk -F, -v t="$TRAIN_TO" '$1 < t' "$all" >"$T/pjmc_a.csv"
    awk -F, -v t="$TRAIN_TO" '$1 >= t' "$all" >"$T/pjmc_b.csv"
    CSV="$T/pjmc_a.csv" load_region PJMC 400
    local first rows
    first=$(rcli hget 'gf:region:{PJMC}' first)
    GF_REDIS_PORT=$REDIS_PORT GF_TRAINER_THREADS=1 "$BUILD/bin/gf-trainer" --once --regions PJMC \
        >"$T/pjmc-train.log" 2>&1 || { tail -20 "$T/pjmc-train.log" >&2; fail "gf-trainer --once failed"; }
    rcli hget 'gf:reg:{load:PJMC}:v:1' metrics | jq -c '.intervals' | sed 's/^/    trainer: /'
    CSV="$T/pjmc_b.csv" load_region PJMC 400
    rows=$(($(wc -l <"$all")))
    rcli hset 'gf:region:{PJMC}' first "$first" rows "$rows" >/dev/null
    for _ in $(seq 100); do
        curl -fsS "http://127.0.0.1:${PORT_OF[forecast]}/v1/models/loaded" |
            jq -e '.models[]|select(.region=="PJMC")' >/dev/null && break
        sleep 0.1
    done
    local inside total cov width
    read -r inside total cov width <<<"$(coverage_after_training PJMC)"
    echo "    trainer model: p10-p90 coverage on $total held-back hours $cov (nominal 0.80), mean width $width MW"
    awk -v c="$cov" -v b="$total" 'BEGIN { exit !(b > 600 && c >= 0.74 && c <= 0.88) }' ||
        fail "coverage $inside/$total outside 0.74..0.88"
}

t_cache_hits_and_new_data_invalidates() {
    local url="http://127.0.0.1:${PORT_OF[forecast]}/v1/forecast?region=PJM&start=2018-06-15T00:00:00Z&horizon=24"
    req GET "$url"
    expect_status 200
    cp "$BODY_FILE" "$T/c1.json"
    req GET "$url"
    expect_header X-Cache hit
    cmp -s "$BODY_FILE" "$T/c1.json" || fail "cached body differs"
    local rows
    rows=$(rcli hget 'gf:region:{PJM}' rows)
    rcli hset 'gf:region:{PJM}' rows $((rows + 1)) >/dev/null
    req GET "$url"
    expect_header X-Cache miss
    rcli hset 'gf:region:{PJM}' rows "$rows" >/dev/null
    curl -fsS "http://127.0.0.1:${PORT_OF[forecast]}/metrics" >"$T/metrics"
    grep -q 'gf_forecast_forecasts_total{cache="hit"}' "$T/metrics" ||
        fail "no cache hit counted"
}

t_bad_parameters() {
    local q
    for q in "horizon=0" "horizon=169" "horizon=abc" "start=yesterday" "start=2018-06-10T00:30:00Z" \
        "levels=1.5" "bogus=1"; do
        fc "region=PJM&$q"
        expect_status 400 || fail "query $q"
        expect_error_shape
    done
    fc "horizon=24"
    expect_status 400
    fc "region=NOPE&horizon=24"
    expect_status 404
    expect_error_shape unknown_region
    fc "region=PJM&start=2017-06-05T00:00:00Z&horizon=24"
    expect_status 422
    expect_error_shape insufficient_history
    expect_json '.error.message|test("672 hours")' true
    fc "region=PJM&start=2018-07-20T00:00:00Z&horizon=24"
    expect_status 422
    expect_error_shape start_beyond_data
    fc "region=PJM&horizon=24&levels=0.33"
    expect_status 422
    expect_error_shape unknown_level
}

t_predict_refuses_unknown_and_missing_features_naming_them() {
    local cols
    cols=$(seed rows --region PJM --start 2018-06-12T00:00:00Z --horizon 1 | jq -c .body)
    reqk POST "$GW/api/forecast/predict" -H 'Content-Type: application/json' \
        --data-binary "$(jq -c '.columns += ["wind_speed"] | .rows[0] += [3]' <<<"$cols")"
    expect_status 422
    expect_error_shape unknown_features
    expect_json '.error.message|test("wind_speed")' true
    reqk POST "$GW/api/forecast/predict" -H 'Content-Type: application/json' \
        --data-binary '{"model":"load:PJM","instances":[{"hour":3,"dow":2}]}'
    expect_status 422
    expect_error_shape missing_features
    expect_json '.error.details|map(.field)|index("lag_24") != null' true
    # a model the registry does not have is 404 (a retry cannot help), on both paths
    reqk POST "$GW/api/forecast/predict" -H 'Content-Type: application/json' \
        --data-binary '{"model":"load:XX","instances":[{"hour":3}]}'
    expect_status 404
    expect_error_shape unknown_model
    expect_json '.error.details[0].field' model
    reqk POST "$GW/api/forecast/predict" -H 'Content-Type: application/json' \
        --data-binary '{"model":"weather:PJM","instances":[{"hour":3}]}'
    expect_status 404
    expect_error_shape unknown_model
    jq -c '.model = "load:XX" | .rows = [range(10000) as $i | .rows[0]]' <<<"$cols" >"$T/big_xx.json"
    req POST "http://127.0.0.1:${PORT_OF[forecast]}/v1/predict" -H 'Content-Type: application/json' \
        --data-binary "@$T/big_xx.json"
    expect_status 404
    expect_error_shape unknown_model
    # one with a published version but none in production here is 503 (retry once promoted)
    rcli ZADD 'gf:reg:{load:ERCO}:versions' 1 1 >/dev/null
    reqk POST "$GW/api/forecast/predict" -H 'Content-Type: application/json' \
        --data-binary '{"model":"load:ERCO","instances":[{"hour":3}]}'
    expect_status 503
    expect_error_shape no_model
    rcli DEL 'gf:reg:{load:ERCO}:versions' >/dev/null
    # a 10,000-row batch (compact form, 17 MB: over the gateway's 16 MB body cap, so sent
    # directly) takes the worker path
    jq -c '.rows = [range(10000) as $i | .rows[0]]' <<<"$cols" >"$T/big.json"
    req POST "http://127.0.0.1:${PORT_OF[forecast]}/v1/predict" -H 'Content-Type: application/json' \
        --data-binary "@$T/big.json"
    expect_status 200
    expect_json .rows 10000
    expect_json '.predictions|unique|length' 1
}

t_promotion_swaps_within_a_second_without_failed_requests() {
    local out v2 i t_alias t_seen
    out=$(seed train --region PJM --seed 7 --rounds 50 --depth 5 --no-promote) || fail "seed v2"
    v2=$(jq -r .version <<<"$out")
    [ "$v2" = 2 ] || fail "expected version 2, got $v2"
    local body
    body=$(seed rows --region PJM --start 2018-06-12T00:00:00Z --horizon 24 | jq -c .body)
    echo "$body" >"$T/body.json"
    local base="http://127.0.0.1:${PORT_OF[forecast]}"
    # Bounded concurrent load: 3 clients, keep-alive, forecast (cache misses: start varies) and predict.
    (for i in $(seq 0 399); do echo "url = \"$base/v1/forecast?region=PJM&horizon=24&start=$(date -u -d "@$((1528156800 + (i % 40) * 3600))" +%Y-%m-%dT%H:%M:%SZ)\""; echo 'output = "/dev/null"'; done) >"$T/urls1"
    curl -s -K "$T/urls1" -w '%{http_code}\n' >"$T/codes1" &
    local p1=$!
    # (curl -K: "next" separates requests, so each POST carries only its own body)
    (for i in $(seq 600); do
        [ "$i" = 1 ] || echo next
        printf 'url = "%s/v1/predict"\n-H "Content-Type: application/json"\n--data-binary "@%s"\n-o /dev/null\n-w "%%{http_code}\\n"\n' "$base" "$T/body.json"
    done) >"$T/urls2"
    curl -s -K "$T/urls2" >"$T/codes2" &
    local p2=$!
    curl -s -K "$T/urls1" -w '%{http_code}\n' >"$T/codes3" &
    local p3=$!
    sleep 0.3
    t_alias=$(date +%s.%N)
    seed alias --region PJM --version 2 >/dev/null || fail "alias move"
    for i in $(seq 100); do [ "$(loaded_version)" = 2 ] && break; sleep 0.02; done
    t_seen=$(date +%s.%N)
    wait $p1 $p2 $p3
    local secs total bad
    secs=$(awk -v a="$t_alias" -v b="$t_seen" 'BEGIN{printf "%.3f", b - a}')
    total=$(cat "$T"/codes1 "$T"/codes2 "$T"/codes3 | wc -l)
    bad=$(cat "$T"/codes1 "$T"/codes2 "$T"/codes3 | grep -vc '^200$' || true)
    echo "    promotion 1 -> 2 served after ${secs} s; $total requests during the swap, $bad not 200"
    [ "$(loaded_version)" = 2 ] || fail "version 2 not served"
    awk -v s="$secs" 'BEGIN { exit !(s < 1.0) }' || fail "swap took ${secs} s"
    [ "$total" = 1400 ] || fail "only $total requests completed"
    [ "$bad" = 0 ] || fail "$bad failed requests"
    fc "region=PJM&start=2018-06-12T00:00:00Z&horizon=24"
    expect_json .model.version 2
}

t_corrupted_blob_is_refused_and_the_old_model_kept() {
    local out
    out=$(seed train --region PJM --seed 9 --rounds 30 --no-promote) || fail "seed v3"
    [ "$(jq -r .version <<<"$out")" = 3 ] || fail "expected version 3"
    rcli set 'gf:reg:{load:PJM}:blob:3' "not a model" >/dev/null
    seed alias --region PJM --version 3 >/dev/null || fail "alias move"
    sleep 1
    [ "$(loaded_version)" = 2 ] || fail "serving $(loaded_version), expected 2 kept"
    req GET "$GW/api/forecast/models/loaded"
    expect_json '.load_failures >= 1' true
    curl -fsS "http://127.0.0.1:${PORT_OF[forecast]}/metrics" >"$T/metrics"
    grep -q 'gf_forecast_model_load_failures_total{region="PJM",code="checksum_mismatch"} 1' "$T/metrics" ||
        fail "failure not counted"
    grep -q '"evt":"model_refused".*checksum_mismatch' "$T/forecast.log" || fail "not logged"
    fc "region=PJM&start=2018-06-12T00:00:00Z&horizon=24"
    expect_status 200
    expect_json .model.version 2
}

t_resubscribes_and_rechecks_after_a_redis_restart() {
    restart_redis KILL
    # An alias change while the subscriber may still be down: only the re-check finds it.
    for _ in $(seq 50); do seed alias --region PJM --version 1 >/dev/null 2>&1 && break; sleep 0.1; done
    for _ in $(seq 100); do [ "$(loaded_version)" = 1 ] && break; sleep 0.1; done
    [ "$(loaded_version)" = 1 ] || fail "version 1 not served after the Redis restart"
    wait_ready forecast 10 || fail "not ready after the restart"
}

e2e_main
