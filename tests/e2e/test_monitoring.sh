#!/usr/bin/env bash
# Monitoring: the Prometheus configuration and alert rules are valid (promtool), the Grafana
# dashboards are valid dashboard JSON on the provisioned datasource, and every metric name the
# dashboards and alert rules use is exported by a running service (scraped from /metrics after
# some traffic) or listed in deploy/prometheus/pending-metrics.txt. A real Prometheus, configured
# by scripts/prometheus.sh for the harness's ports, scrapes every service.
source "$(dirname "$0")/lib.sh"

D="$E2E_TOP/deploy"
SVCS=$(cd "$E2E_TOP/services" && for m in */main.c; do echo "${m%/main.c}"; done)

need_promtool() { command -v promtool >/dev/null || fail "promtool missing: make deps (Debian package prometheus)"; }

# Metric names used by the dashboards and the alert rules: tokens of their PromQL (expressions
# and variable queries) that start gf_, http_ or process_ (the project's families; `up` and
# recording-rule names with ':' are Prometheus's own).
used_metrics() {
    {
        jq -r '[.. | objects | (.expr?, .definition?)] | .[] | strings' "$D"/grafana/dashboards/*.json
        yq -r '.groups[].rules[].expr' "$D/prometheus/alerts.yml"
    } | grep -oE '[A-Za-z_:][A-Za-z0-9_:]*' | grep -E '^(gf|http|process)_' | sort -u
}

pending_metrics() { grep -vE '^\s*(#|$)' "$D/prometheus/pending-metrics.txt" | awk '{print $1}' | sort -u; }

# Families and series names the running services export, after traffic on every kit route
# (so label-bearing families have series) and one 404.
exported_metrics() {
    local s p
    for s in $SVCS; do
        p=${PORT_OF[$s]}
        for path in /healthz /readyz /v1/info /no/such/route; do
            curl -s -o /dev/null "http://127.0.0.1:$p$path"
        done
        curl -fsS "http://127.0.0.1:$p/metrics" >"$T/metrics.$s" || { echo "scrape of $s failed" >&2; return 1; }
    done
    for s in $SVCS; do
        awk '$1 == "#" && $2 == "TYPE" {
                 print $3
                 if ($4 == "histogram") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" }
                 if ($4 == "summary") { print $3 "_sum"; print $3 "_count" }
             }
             $1 !~ /^#/ && NF { n = $1; sub(/\{.*/, "", n); print n }' "$T/metrics.$s"
    done | sort -u
}

t_promtool_checks_config_and_rules() {
    need_promtool
    promtool check config "$D/prometheus/prometheus.yml" >"$T/promtool.out" 2>&1 || { cat "$T/promtool.out" >&2; fail "promtool check config"; }
    promtool check rules "$D/prometheus/alerts.yml" >"$T/promtool.out" 2>&1 || { cat "$T/promtool.out" >&2; fail "promtool check rules"; }
}

t_prometheus_scrapes_every_service_at_its_default_port() {
    local s port
    for s in $SVCS; do
        port=$(grep -oE '\.default_port *= *[0-9]+' "$E2E_TOP/services/$s/main.c" | grep -oE '[0-9]+$')
        yq -e --arg t "$s:$port" --arg s "$s" \
            '[.scrape_configs[] | select(.job_name == "gridflow") | .static_configs[]
              | select(.targets == [$t] and .labels.service == $s)] | length == 1' \
            "$D/prometheus/prometheus.yml" >/dev/null || fail "no gridflow target $s:$port with service=$s"
    done
}

t_alert_rules_cover_the_agreed_conditions() {
    local exprs
    exprs=$(yq -r '.groups[].rules[] | select(.alert) | .expr' "$D/prometheus/alerts.yml")
    for want in 'up{job="gridflow"} == 0' 'code=~"5.."' 'http_request_duration_seconds_bucket' \
        'gf_ingestion_readings_rejected_total' 'gf_ingestion_last_reading_timestamp_seconds' \
        'gf_forecast_model_created_timestamp_seconds' 'gf_forecast_live_mape_percent' 'gf_simulation_solves_total'; do
        grep -qF "$want" <<<"$exprs" || fail "no alert rule uses $want"
    done
    yq -e '[.groups[].rules[] | select(.alert) | (.labels.severity and .annotations.summary)] | all' \
        "$D/prometheus/alerts.yml" >/dev/null || fail "an alert lacks severity or summary"
}

t_dashboards_are_valid_grafana_json() {
    local f ds_uid n=0
    ds_uid=$(yq -r '.datasources[0].uid' "$D/grafana/provisioning/datasources/prometheus.yml")
    [ -n "$ds_uid" ] && [ "$ds_uid" != null ] || fail "the provisioned datasource has no uid"
    yq -e '.providers[0].options.path == "/var/lib/grafana/dashboards"' \
        "$D/grafana/provisioning/dashboards/gridflow.yml" >/dev/null || fail "dashboard provider path"
    for f in "$D"/grafana/dashboards/*.json; do
        n=$((n + 1))
        jq -e . "$f" >/dev/null || fail "$f is not JSON"
        jq -e '(.uid|type=="string") and (.title|type=="string") and .schemaVersion >= 36
               and (.panels|type=="array" and length > 0)' "$f" >/dev/null || fail "$f: uid/title/schemaVersion>=36/panels"
        jq -e '[.panels[].id] | length == (unique|length)' "$f" >/dev/null || fail "$f: duplicate panel ids"
        jq -e '[.panels[].gridPos | (.x >= 0 and .w > 0 and .x + .w <= 24 and .h > 0)] | all' "$f" >/dev/null \
            || fail "$f: a panel leaves the 24-column grid"
        jq -e --arg u "$ds_uid" '[.panels[] | select(.type != "row") | (.datasource.uid == $u)
               and ([.targets[] | (.expr|type=="string" and length > 0) and .datasource.uid == $u] | all)
               and (.targets|length > 0)] | all' "$f" >/dev/null \
            || fail "$f: a panel without a query or on another datasource than $ds_uid"
    done
    [ "$n" -ge 2 ] || fail "expected the services and operations dashboards"
    [ "$(jq -r '.uid' "$D"/grafana/dashboards/*.json | sort | uniq -d)" = "" ] || fail "duplicate dashboard uid"
    # The services dashboard repeats a RED row per service.
    jq -e '[.panels[] | select(.type == "row" and .repeat == "service")] | length == 1' \
        "$D/grafana/dashboards/gridflow-services.json" >/dev/null || fail "no row repeated per service"
}

t_every_metric_used_is_exported_or_pending() {
    used_metrics >"$T/used"
    exported_metrics >"$T/exported"
    pending_metrics >"$T/pending"
    [ -s "$T/used" ] || fail "no metric names found in dashboards and rules"
    grep -qx http_requests_total "$T/exported" || fail "scrape found no http_requests_total"
    local m bad=0
    while read -r m; do
        if grep -qx "$m" "$T/exported"; then continue; fi
        # A histogram's _bucket/_sum/_count is pending when its family is.
        if grep -qx "$m" "$T/pending" || grep -qx "$(sed -E 's/_(bucket|sum|count)$//' <<<"$m")" "$T/pending"; then
            echo "    pending (not exported yet): $m" >&2
            continue
        fi
        echo "    used but exported by no service and not pending: $m" >&2
        bad=1
    done <"$T/used"
    while read -r m; do
        if grep -qx "$m" "$T/exported"; then
            echo "    note: $m is exported now; remove it from deploy/prometheus/pending-metrics.txt" >&2
        fi
        grep -q "^$m" "$T/used" || echo "    note: pending $m is used nowhere" >&2
    done <"$T/pending"
    [ $bad -eq 0 ] || fail "metric names above are neither exported nor pending"
}

t_native_prometheus_scrapes_every_service() {
    command -v prometheus >/dev/null || fail "prometheus missing: make deps (Debian package prometheus)"
    local pport out="$T/prom/prometheus.yml" pid up=0 i n
    n=$(wc -w <<<"$SVCS")
    pport=$(free_port)
    env GF_VAR_DIR="$T/prom" GF_PROMETHEUS_PORT="$pport" GF_INGESTION_PORT="${PORT_OF[ingestion]}" \
        GF_TRAINER_PORT="${PORT_OF[trainer]}" GF_FORECAST_PORT="${PORT_OF[forecast]}" \
        GF_SIMULATION_PORT="${PORT_OF[simulation]}" GF_COMPLIANCE_PORT="${PORT_OF[compliance]}" \
        bash "$E2E_TOP/scripts/prometheus.sh" render "$out"
    promtool check config "$out" >/dev/null 2>&1 || fail "rendered config is invalid"
    sed -i -e 's/scrape_interval: 15s/scrape_interval: 1s/' -e 's/scrape_timeout: 5s/scrape_timeout: 1s/' "$out"
    prometheus --config.file="$out" --storage.tsdb.path="$T/prom/data" \
        --web.listen-address="127.0.0.1:$pport" >"$T/prometheus.log" 2>&1 &
    pid=$!
    echo "prometheus $pid" >>"$T/pids"
    for ((i = 0; i < 300; i++)); do
        up=$(curl -fsS "http://127.0.0.1:$pport/api/v1/query?query=sum(up%7Bjob%3D%22gridflow%22%7D)" 2>/dev/null \
             | jq -r '.data.result[0].value[1] // 0' 2>/dev/null) || up=0
        [ "$up" = "$n" ] && break
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null || true
    [ "$up" = "$n" ] || fail "Prometheus sees $up of $n services up"
    # The rule file loaded with the rendered config.
    grep -q "deploy/prometheus/alerts.yml" "$out" || fail "rule file path not absolute"
}

e2e_main
