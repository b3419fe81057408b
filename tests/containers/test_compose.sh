#!/usr/bin/env bash
# The container images and docker-compose.yml, for real (`make test-containers`; a CI step of
# .ci/run, not part of `make test`): builds every image (scripts/containers.sh, stand-ins where
# the registry cannot be reached), starts the compose stack on free ports under its own project
# name, each service only once the dependencies compose names are healthy by their own health
# check (podman-compose does not wait itself), runs the smoke flow through the gateway (the init
# job's import of the bundled history, a re-import, training one region, forecast, OPF on that
# forecast, a compliance question, the dashboard, Prometheus scraping), checks that health
# follows Redis, and tears down exactly its project (containers, volumes, network). Grafana is
# left out when its image cannot be pulled (no Debian package to stand in).
#
# Bounded: the image build by GF_CONTAINERS_BUILD_SECONDS (1500), every wait by its own limit.
# Output: `ok - NAME` / `not ok - NAME` lines like tests/e2e; exit status non-zero on a failure.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../e2e/lib.sh
source "$TOP/tests/e2e/lib.sh"   # $T, free_port, req/expect helpers, run_tests
cd "$TOP" || exit 1
# The CI machine's limits for podman (see the file); an ordinary host needs none of it.
export CONTAINERS_CONF=${CONTAINERS_CONF:-$TOP/tests/containers/containers.conf}
ENGINE=$(bash scripts/containers.sh engine) || exit 1
case $ENGINE in
podman) COMPOSE=(podman-compose) ;;
docker) COMPOSE=(docker compose) ;;
*) echo "not ok - unknown engine $ENGINE"; exit 1 ;;
esac
PROJECT=gfe2e$$
COMPOSE_FILE=$TOP/docker-compose.yml
SVCS="ingestion trainer forecast simulation compliance"

compose() { "${COMPOSE[@]}" -p "$PROJECT" -f "$COMPOSE_FILE" "$@" >>"$T/compose.log" 2>&1; }
cid() { "$ENGINE" ps -a -q --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1" | head -1; }
running() { [ "$("$ENGINE" inspect -f '{{.State.Running}}' "$(cid "$1")" 2>/dev/null)" = true ]; }
# The container's own health check, as compose defined it. Podman runs it on demand (it has no
# scheduler without systemd); Docker's last result is read.
healthy() {
    local c
    c=$(cid "$1")
    [ -n "$c" ] || return 1
    if [ "$ENGINE" = podman ]; then
        "$ENGINE" healthcheck run "$c" >/dev/null 2>&1
    else
        [ "$("$ENGINE" inspect -f '{{.State.Health.Status}}' "$c" 2>/dev/null)" = healthy ]
    fi
}
wait_for() { # seconds command...
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -lt $end ] || return 1
        sleep 1
    done
}

teardown() {
    [ -n "${STACK_UP:-}" ] || return 0
    local c
    if [ "${E2E_FAILED:-0}" -ne 0 ]; then
        for c in $("$ENGINE" ps -a -q --filter "label=com.docker.compose.project=$PROJECT"); do
            echo "---- $("$ENGINE" inspect -f '{{.Name}}' "$c") (last lines)"
            "$ENGINE" logs --tail 15 "$c" 2>&1
        done
    fi
    compose down -v -t 15 || true
    # Only this project's: whatever compose left (podman-compose keeps the network).
    for c in $("$ENGINE" ps -a -q --filter "label=com.docker.compose.project=$PROJECT"); do
        "$ENGINE" rm -f "$c" >/dev/null 2>&1 || true
    done
    for c in $("$ENGINE" volume ls -q --filter "label=com.docker.compose.project=$PROJECT"); do
        "$ENGINE" volume rm -f "$c" >/dev/null 2>&1 || true
    done
    "$ENGINE" network rm "${PROJECT}_default" >/dev/null 2>&1 || true
    if [ -n "$("$ENGINE" ps -a -q --filter "label=com.docker.compose.project=$PROJECT")" ]; then
        echo "not ok - teardown leaves no container of $PROJECT"
        return 1
    fi
    echo "ok - teardown leaves no container of $PROJECT"
}
trap 'rc=$?; teardown || rc=1; cleanup; exit $rc' EXIT

# ---------------------------------------------------------------- images
start=$SECONDS
if timeout "${GF_CONTAINERS_BUILD_SECONDS:-1500}" bash scripts/containers.sh build >"$T/build.log" 2>&1; then
    grep -E 'built from|present|pulled|imported|stand-in|not start|ready in' "$T/build.log" | sed 's/^/# /'
    echo "ok - images build ($((SECONDS - start)) s)"
else
    tail -40 "$T/build.log"
    echo "not ok - images build"
    exit 1
fi

# ---------------------------------------------------------------- stack
GF_API_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
API_KEY=$GF_API_KEY   # lib.sh's reqk sends it
export GF_API_KEY
GW_PORT=$(free_port)
PROM_PORT=$(free_port)
GF_GRAFANA_PORT=$(free_port)
export GF_GATEWAY_PORT=$GW_PORT GF_PROMETHEUS_PORT=$PROM_PORT GF_GRAFANA_PORT
declare -A HOST_PORT=()
for s in $SVCS; do
    HOST_PORT[$s]=$(free_port)
    export "GF_${s^^}_PORT=${HOST_PORT[$s]}"
done
GW="http://127.0.0.1:$GW_PORT"

# Every compose service with its depends_on as "svc dep:condition ...", in file order.
yq -r '.services | to_entries[] | "\(.key) \((.value.depends_on // {}) | to_entries | map("\(.key):\(.value.condition)") | join(" "))"' \
    "$COMPOSE_FILE" >"$T/deps"
ENABLED=$(cut -d' ' -f1 "$T/deps")
if ! "$ENGINE" image inspect "$(yq -r '.services.grafana.image' "$COMPOSE_FILE")" >/dev/null 2>&1; then
    ENABLED=$(grep -vx grafana <<<"$ENABLED")
    echo "# grafana left out: its image is not present"
fi

# Start services in dependency order, each once compose's conditions hold for its dependencies.
start_stack() {
    local started=" " progress s deps d name cond
    STACK_UP=1
    while :; do
        progress=0
        while read -r s deps; do
            grep -qx "$s" <<<"$ENABLED" || continue
            [[ "$started" == *" $s "* ]] && continue
            local ok=1
            for d in $deps; do
                name=${d%%:*} cond=${d#*:}
                [[ "$started" == *" $name "* ]] || { ok=0; break; }
            done
            [ $ok = 1 ] || continue
            for d in $deps; do
                name=${d%%:*} cond=${d#*:}
                case $cond in
                service_healthy)
                    wait_for 180 healthy "$name" || { echo "    $name did not become healthy (for $s)" >&2; return 1; } ;;
                *) wait_for 60 running "$name" || { echo "    $name is not running (for $s)" >&2; return 1; } ;;
                esac
            done
            compose up -d --no-build --no-deps "$s" || { echo "    compose up $s failed" >&2; return 1; }
            started+="$s "
            progress=1
        done <"$T/deps"
        [ $progress = 1 ] || break
    done
    for s in $ENABLED; do
        [[ "$started" == *" $s "* ]] || { echo "    $s never started (a dependency left out?)" >&2; return 1; }
    done
}
start=$SECONDS
if start_stack; then
    echo "ok - compose stack starts in dependency order, each dependency healthy first ($((SECONDS - start)) s)"
else
    tail -30 "$T/compose.log"
    E2E_FAILED=1
    echo "not ok - compose stack starts in dependency order, each dependency healthy first"
    exit 1
fi

# ---------------------------------------------------------------- tests (in file order)
t_images_carry_a_readyz_health_check_and_run_as_non_root() {
    local s hc user
    for s in $SVCS; do
        hc=$("$ENGINE" image inspect -f '{{json .Config.Healthcheck}}' "gridflow/$s:${GF_IMAGE_TAG:-dev}")
        [[ "$hc" == *"/readyz"* ]] || fail "gridflow/$s has no /readyz HEALTHCHECK: $hc"
        user=$("$ENGINE" exec "$(cid "$s")" id -u) || fail "cannot exec in $s"
        [ "$user" = 10001 ] || fail "$s runs as uid $user"
    done
    user=$("$ENGINE" exec "$(cid gateway)" id -u)
    [ "$user" = 10001 ] || fail "gateway runs as uid $user"
}

t_init_job_imports_the_bundled_history_through_the_gateway() {
    local c code want
    c=$(cid init)
    wait_for 600 sh -c "[ \"\$($ENGINE inspect -f '{{.State.Running}}' $c)\" = false ]" || fail "init still runs after 600 s"
    code=$("$ENGINE" inspect -f '{{.State.ExitCode}}' "$c")
    "$ENGINE" logs "$c" 2>&1 | grep -E 'rows|error' | sed 's/^/    /' >&2
    [ "$code" = 0 ] || fail "init exited $code"
    want=$(( $(wc -l <services/ingestion/data/eia930_train.csv) - 1 + $(wc -l <services/ingestion/data/nyc_train.csv) - 1 ))
    req GET "$GW/api/ingestion/regions"
    expect_status 200
    expect_json '[.regions[].rows]|add' "$want"
    expect_json '[.regions[].region]|index("NYC") != null' true
}

t_reimport_through_the_gateway_adds_nothing() {
    reqk POST "$GW/api/ingestion/demand" -H 'Content-Type: text/csv' \
        --data-binary @services/ingestion/data/nyc_train.csv
    expect_status 200
    expect_json .new 0
    expect_json .rejected 0
    expect_json .accepted "$(( $(wc -l <services/ingestion/data/nyc_train.csv) - 1 ))"
}

t_train_one_region_then_forecast_and_opf_on_it() {
    local url="$GW/api/forecast/forecast?region=PJM&horizon=24&history=24" start
    reqk POST "$GW/api/trainer/jobs" -H 'Content-Type: application/json' \
        --data-binary '{"regions":["PJM"],"test_days":14,"search":false}'
    expect_status 202
    wait_trainer_job "$(jq_body .id)" 300
    expect_json .state succeeded
    # The forecast container loads the new production model on the registry's notice.
    wait_for 30 curl -fsS -o /dev/null "$url" || fail "no PJM forecast 30 s after training"
    req GET "$url"
    expect_status 200
    expect_json '[.points | length, (map(.p10 <= .p50 and .p50 <= .p90) | all)]|@text' '[24,true]'
    start=$(jq_body '.points[0].ts')
    opf_on_forecast PJM "$start"
}

t_compliance_answers_with_citations() {
    reqk POST "$GW/api/compliance/ask" -H 'Content-Type: application/json' --data-binary \
        '{"question":"Landlords say it is pointless to insulate because tenants pocket the savings. Does EU efficiency law ask governments to tackle that?"}'
    expect_status 200
    expect_json .refused false
    expect_json '[.citations[].article]|index("Article 19") != null' true
}

t_gateway_serves_the_dashboard_built_on_the_host() {
    local asset
    req GET "$GW/"
    expect_status 200
    grep -q '<div id="root">' "$BODY_FILE" || fail "the gateway does not serve the dashboard build"
    asset=$(grep -oE '/assets/[^"]+\.js' "$BODY_FILE" | head -1)
    [ -n "$asset" ] || fail "no script asset in index.html"
    req GET "$GW$asset"
    expect_status 200
}

t_prometheus_scrapes_every_service() {
    local s
    grep -qx prometheus <<<"$ENABLED" || { echo "    skip: prometheus not started" >&2; return 0; }
    for _ in $(seq 60); do
        req GET "http://127.0.0.1:$PROM_PORT/api/v1/targets"
        [ "$STATUS" = 200 ] && [ "$(jq_body '[.data.activeTargets[] | select(.labels.service != null and .health == "up")] | length')" -ge 5 ] && break
        sleep 1
    done
    for s in $SVCS; do
        expect_json "[.data.activeTargets[] | select(.labels.service == \"$s\") | .health] == [\"up\"]" true
    done
}

t_health_follows_redis_and_the_data_survives_its_restart() {
    local rows
    req GET "$GW/api/ingestion/regions"
    rows=$(jq_body '[.regions[].rows]|add')
    "$ENGINE" stop -t 10 "$(cid redis)" >/dev/null 2>&1
    wait_for 30 sh -c "! $ENGINE healthcheck run $(cid ingestion) >/dev/null 2>&1 && ! curl -fsS -o /dev/null http://127.0.0.1:${HOST_PORT[ingestion]}/readyz 2>/dev/null" \
        || fail "ingestion still healthy 30 s after Redis stopped"
    ! healthy redis || fail "a stopped Redis is healthy"
    req GET "$GW/api/ingestion/readyz"
    expect_status 503
    "$ENGINE" start "$(cid redis)" >/dev/null 2>&1
    wait_for 60 healthy redis || fail "redis not healthy 60 s after its start"
    for s in $SVCS; do
        wait_for 60 healthy "$s" || fail "$s not healthy 60 s after Redis came back"
    done
    req GET "$GW/api/ingestion/regions"
    expect_status 200
    expect_json '[.regions[].rows]|add' "$rows"
}

run_tests
[ "$E2E_FAILED" -eq 0 ]
