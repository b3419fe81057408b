#!/usr/bin/env bash
# End-to-end harness: starts a REAL redis-server, the services and nginx on free loopback
# ports inside a temporary directory, runs the test functions of the sourcing file, and stops
# everything it started, by PID, even when a test fails or the run is interrupted.
#
# A test file:
#     source "$(dirname "$0")/lib.sh"
#     t_info_through_gateway() { req GET "$GW/api/forecast/info"; expect_status 200; ... }
#     e2e_main            # starts the stack (E2E_SERVICES, default all five) and runs t_*
#
# Each t_* function runs in a subshell with `set -e`; it prints `ok - name` or `not ok - name`
# (`ok - name # skip: why` after `skip "why"; return 0`).
# When any test fails, the tails of all logs are printed. Helpers:
#     req METHOD URL [curl args...]    -> $STATUS, body in $BODY_FILE, headers in $HDR_FILE
#     body                             -> prints the last body
#     jq_body FILTER                   -> jq -r FILTER on the last body
#     expect_status N | expect_json FILTER VALUE | expect_header NAME REGEX | fail MSG
set -u
# nginx is in /usr/sbin, which Debian leaves out of a normal user's PATH.
export PATH="$PATH:/usr/sbin:/sbin"
E2E_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$E2E_TOP/$BUILD"
T=$(mktemp -d /tmp/gf-e2e.XXXXXX)
# nginx's workers (nobody, when the tests run as root) may enter $T: its temp files stay in
# $T/nginx. A private $T works too (scripts/render-gateway.sh then makes a runtime dir under
# /var/tmp, removed by the cleanup below; test_private_checkout.sh tests that), but a run that
# is killed would leave that dir behind.
chmod 711 "$T"
PIDS=()        # "name:pid" of everything we started
declare -A PORT_OF=()
declare -A PID_OF=()
E2E_FAILED=0
E2E_SERVICES=${E2E_SERVICES:-"ingestion trainer forecast simulation compliance"}
export OMP_WAIT_POLICY=passive
# Sanitizer builds: make leaks and UB fatal with a clear report in the service log.
export ASAN_OPTIONS=${ASAN_OPTIONS:-"detect_leaks=1:abort_on_error=0:exitcode=23"}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-"print_stacktrace=1:halt_on_error=1:exitcode=24"}

free_port() {
    local p
    while :; do
        # Below the kernel's ephemeral range (32768+), where client sockets and the services'
        # GF_PORT=0 listeners take their ports: a port picked there can be taken before use.
        p=$((20000 + RANDOM % 12000))
        (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}

start_redis() { # [extra redis args...]; E2E_REDIS_PORT reuses a port (restart)
    local port=${E2E_REDIS_PORT:-}
    [ -n "$port" ] || port=$(free_port)
    mkdir -p "$T/redis"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$T/redis" --save "" \
        --appendonly "${E2E_REDIS_AOF:-yes}" --appendfsync everysec --daemonize no \
        --logfile "$T/redis.log" "$@" &
    local pid=$!
    echo "redis $pid" >>"$T/pids"
    PIDS+=("redis:$pid")
    PID_OF[redis]=$pid
    PORT_OF[redis]=$port
    for _ in $(seq 100); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && { REDIS_PORT=$port; return 0; }
        sleep 0.05
    done
    echo "redis did not start" >&2
    return 1
}

# A Redis Cluster of N masters (default 3, scripts/redis-cluster.sh) in $T/cluster instead of
# one Redis: GF_REDIS_CLUSTER is exported for the services started after it, REDIS_PORT is the
# first master's port, CLUSTER_PORTS the masters' ports. Stopped by PID in cleanup.
CLUSTER_DIR="$T/cluster"
CLUSTER_PORTS=()
start_redis_cluster() { # [N]
    local n=${1:-3} base attempt p ok
    for attempt in 1 2 3 4 5; do
        # Node ports and their bus ports (+10000) below the ephemeral range (32768+).
        base=$((20000 + RANDOM % (2700 - n)))
        ok=1
        for ((p = base; p < base + n; p++)); do
            (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ok=0
            (echo >"/dev/tcp/127.0.0.1/$((p + 10000))") 2>/dev/null && ok=0
        done
        [ $ok = 1 ] || continue
        rm -rf "$CLUSTER_DIR"
        if bash "$E2E_TOP/scripts/redis-cluster.sh" start "$n" "$base" "$CLUSTER_DIR" >"$T/cluster.log" 2>&1; then
            cluster_record_pids
            mapfile -t CLUSTER_PORTS <"$CLUSTER_DIR/ports"
            REDIS_PORT=${CLUSTER_PORTS[0]}
            GF_REDIS_CLUSTER=$(bash "$E2E_TOP/scripts/redis-cluster.sh" seeds "$CLUSTER_DIR")
            export GF_REDIS_CLUSTER
            return 0
        fi
        echo "cluster on $base.. did not start (attempt $attempt): $(tail -2 "$T/cluster.log")" >&2
        [ -s "$CLUSTER_DIR/ports" ] && bash "$E2E_TOP/scripts/redis-cluster.sh" stop "$CLUSTER_DIR"
    done
    return 1
}
cluster_record_pids() { # the nodes' PIDs into $T/pids (cleanup's safety net)
    local p pid
    while read -r p pid; do
        PID_OF[redis-$p]=$pid
        echo "redis-$p $pid" >>"$T/pids"
    done < <(bash "$E2E_TOP/scripts/redis-cluster.sh" pids "$CLUSTER_DIR")
}
cluster_node_kill() { # port [signal]: KILL by default (a crash)
    bash "$E2E_TOP/scripts/redis-cluster.sh" node-stop "$CLUSTER_DIR" "$1" "${2:-KILL}"
}
cluster_node_start() { # port: the same node again (its id, slots and AOF)
    bash "$E2E_TOP/scripts/redis-cluster.sh" node-start "$CLUSTER_DIR" "$1" >>"$T/cluster.log" 2>&1 &&
        cluster_record_pids
}
# redis-cli on the cluster, following MOVED/ASK (-c), through the first master that answers.
ccli() {
    local p
    for p in "${CLUSTER_PORTS[@]}"; do
        [ "$(redis-cli -p "$p" ping 2>/dev/null)" = PONG ] || continue
        redis-cli -c -p "$p" "$@"
        return
    done
    echo "no cluster node answers" >&2
    return 1
}
# Keys matching a pattern on every master (SCAN is per node).
cscan() { # pattern
    local p
    for p in "${CLUSTER_PORTS[@]}"; do redis-cli -p "$p" --scan --pattern "$1"; done
}
# The port of the master that serves the slot of KEY (from CLUSTER SLOTS of a live node).
cluster_owner() { # key
    local slot
    slot=$(ccli CLUSTER KEYSLOT "$1") || return 1
    ccli CLUSTER NODES | awk -v s="$slot" '$3 ~ /master/ {
        for (i = 9; i <= NF; i++) { if ($i ~ /^\[/) continue; n = split($i, r, "-"); if (n == 1) r[2] = r[1]
            if (r[1] <= s && s <= r[2]) { split($2, a, "[:@]"); print a[2]; exit } } }'
}

# start_service NAME [VAR=value...]: GF_PORT=0, the real port is read from its start line.
# NAME is gf-NAME in the build's bin/, or a kit-based tool of that name there (ing-fake-eia).
start_service() {
    local name=$1 bin="$BUILD/bin/gf-$1"
    [ -x "$bin" ] || bin="$BUILD/bin/$1"
    shift
    local log="$T/$name.log"
    : >"$log"
    # The simulation calls the forecast service of this stack, never a default port.
    local fc=()
    [ "$name" = simulation ] && [ -n "${PORT_OF[forecast]:-}" ] &&
        fc=("GF_FORECAST_URL=http://127.0.0.1:${PORT_OF[forecast]}")
    env GF_PORT=0 GF_REDIS_PORT="${REDIS_PORT:-6379}" GF_LOG_LEVEL=${GF_LOG_LEVEL:-info} "${fc[@]}" "$@" \
        "$bin" >>"$log" 2>&1 &
    local pid=$!
    echo "$name $pid" >>"$T/pids"
    PIDS+=("$name:$pid")
    PID_OF[$name]=$pid
    local port=""
    for _ in $(seq 600); do
        port=$(grep -m1 -o '"evt":"start".*"port":[0-9]*' "$log" 2>/dev/null | grep -o '"port":[0-9]*$' | cut -d: -f2)
        [ -n "$port" ] && break
        alive "$pid" || break
        sleep 0.05
    done
    if [ -z "$port" ]; then
        echo "service $name did not start; log:" >&2
        tail -20 "$log" >&2
        return 1
    fi
    PORT_OF[$name]=$port
    local var=${name^^}
    eval "${var//-/_}_PORT=$port"
}

start_gateway() {
    local port attempt
    API_KEY=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    mkdir -p "$T/gateway"
    # The tests' key has every scope (admin). api-keys keeps it in clear for the tests, as
    # make up keeps the operator's key; the gateway's store ($T/gateway/keys) has its hash only.
    (umask 077; echo "$API_KEY" >"$T/gateway/api-keys")
    export GF_KEYCHECK_KEYS_FILE="$T/gateway/keys"
    rm -f "$T/gateway/keys"
    echo "$API_KEY" | bash "$E2E_TOP/scripts/keys.sh" import --scope admin --name e2e 2>/dev/null
    if [ -z "${PORT_OF[keycheck]:-}" ]; then start_service keycheck || return 1; fi
    export GF_KEYCHECK_ADDR="127.0.0.1:${PORT_OF[keycheck]}"
    local a=()
    for s in ingestion trainer forecast simulation compliance; do
        # A service not started points at a closed port: the gateway answers 502 for it.
        a+=("127.0.0.1:${PORT_OF[$s]:-1}")
    done
    # A free port can still be taken between the check and nginx's bind: try another then.
    for attempt in 1 2 3; do
        port=$(free_port)
        bash "$E2E_TOP/scripts/render-gateway.sh" "$T/nginx.conf" "$T" "$port" "${a[@]}" off
        nginx -p "$T" -c "$T/nginx.conf" -e "$T/logs/nginx-error.log" &
        local pid=$!
        echo "gateway $pid" >>"$T/pids"
        PID_OF[gateway]=$pid
        PORT_OF[gateway]=$port
        GW="http://127.0.0.1:$port"
        for _ in $(seq 100); do
            if curl -fsS -o /dev/null "$GW/api/healthz" 2>/dev/null; then
                PIDS+=("gateway:$pid")
                return 0
            fi
            alive "$pid" || break
            sleep 0.05
        done
        alive "$pid" && break
        wait "$pid" 2>/dev/null || true
        echo "gateway could not bind port $port (attempt $attempt)" >&2
    done
    echo "gateway did not start" >&2
    tail -20 "$T/logs/nginx-error.log" >&2
    return 1
}

# Kill a component on purpose (a crash test): the clean-exit check at the end skips it.
kill_component() { # name [signal]
    local pid=${PID_OF[$1]}
    echo "$pid" >>"$T/killed"
    kill -"${2:-KILL}" "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.05; done
}

# Kill Redis (-9 by default, like a crash) and start it again on the same port and data dir.
restart_redis() { # [signal]
    local sig=${1:-KILL} pid=${PID_OF[redis]}
    kill -"$sig" "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.05; done
    wait "$pid" 2>/dev/null || true
    E2E_REDIS_PORT=${PORT_OF[redis]} start_redis
}

wait_ready() { # service [seconds]
    local s=$1 secs=${2:-60} i
    for ((i = 0; i < secs * 10; i++)); do
        curl -fsS -o /dev/null "http://127.0.0.1:${PORT_OF[$s]}/readyz" 2>/dev/null && return 0
        alive "${PID_OF[$s]}" || return 1
        sleep 0.1
    done
    return 1
}

# True while pid runs (a zombie, dead but not yet reaped by its parent shell, does not count).
alive() {
    local st
    st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Stop one component by PID (TERM, then KILL after 15 s). Returns its exit status.
stop_one() {
    local name=$1 pid=${PID_OF[$1]:-}
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    local i rc=0
    for ((i = 0; i < 150; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        echo "$name did not stop in 15 s; killed" >&2
        rc=137
    fi
    local wrc=0
    wait "$pid" 2>/dev/null || wrc=$?
    # 127: not a child of this shell (stopped from a test's subshell); status unknown.
    [ $wrc -eq 127 ] && wrc=0
    [ $rc -eq 0 ] && rc=$wrc
    unset "PID_OF[$name]"
    return $rc
}

dump_logs() {
    local f
    for f in "$T"/*.log "$T"/logs/*.log; do
        [ -e "$f" ] || continue
        echo "---- tail of $f"
        tail -n "${E2E_LOG_LINES:-25}" "$f"
    done
}

cleanup() {
    local name rc
    trap - EXIT INT TERM
    # Services first (a clean exit is part of the contract: status 0 after SIGTERM, and no
    # leak report under the sanitizers), then the gateway, then Redis.
    for entry in "${PIDS[@]}"; do
        name=${entry%%:*}
        case $name in redis | gateway) continue ;; esac
        [ -n "${PID_OF[$name]:-}" ] || continue
        rc=0
        if grep -qx "${PID_OF[$name]}" "$T/killed" 2>/dev/null; then
            stop_one "$name" || true
            continue
        fi
        stop_one "$name" || rc=$?
        if [ $rc -ne 0 ]; then
            echo "not ok - $name exits cleanly on SIGTERM (status $rc)"
            E2E_FAILED=1
        fi
    done
    stop_one gateway || true
    stop_one redis || true
    [ -s "$CLUSTER_DIR/ports" ] && bash "$E2E_TOP/scripts/redis-cluster.sh" stop "$CLUSTER_DIR"
    # Anything started from a test's subshell (a restarted Redis or service) is only in the file.
    local n p
    while read -r n p; do
        if alive "$p"; then
            kill -TERM "$p" 2>/dev/null
            for _ in $(seq 50); do alive "$p" || break; sleep 0.1; done
            alive "$p" && kill -KILL "$p" 2>/dev/null
        fi
    done < <(cat "$T/pids" 2>/dev/null)
    # A gateway runtime dir outside a private $T (scripts/render-gateway.sh).
    local rt
    rt=$(cat "$T/nginx.runtime" 2>/dev/null) && [[ "$rt" == */gridflow-gateway.* ]] && rm -rf "$rt"
    if [ "$E2E_FAILED" -ne 0 ]; then dump_logs; fi
    if [ "${E2E_KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- requests and assertions
BODY_FILE="$T/body"
HDR_FILE="$T/headers"
STATUS=0
req() {
    local method=$1 url=$2
    shift 2
    STATUS=$(curl -sS -o "$BODY_FILE" -D "$HDR_FILE" -w '%{http_code}' -X "$method" \
        --max-time "${REQ_TIMEOUT:-30}" "$@" "$url") || STATUS=000
}
# req with the gateway's API key.
reqk() {
    local method=$1 url=$2
    shift 2
    req "$method" "$url" -H "X-API-Key: $API_KEY" "$@"
}
body() { cat "$BODY_FILE"; }
jq_body() { jq -r "$1" "$BODY_FILE"; }
fail() {
    echo "    $*" >&2
    echo "    status $STATUS, body: $(head -c 600 "$BODY_FILE" 2>/dev/null)" >&2
    return 1
}
expect_status() { [ "$STATUS" = "$1" ] || fail "expected status $1, got $STATUS"; }
expect_json() { # filter expected
    local got
    got=$(jq -r "$1" "$BODY_FILE" 2>/dev/null) || fail "body is not JSON (filter $1)"
    [ "$got" = "$2" ] || fail "expected $1 == '$2', got '$got'"
}
expect_header() { # name regex
    grep -iE "^$1: $2" "$HDR_FILE" >/dev/null || fail "header $1 does not match $2: $(grep -i "^$1:" "$HDR_FILE")"
}
expect_error_shape() { # the project's JSON error shape with the given code (optional)
    jq -e '.error.code|type=="string"' "$BODY_FILE" >/dev/null 2>&1 || fail "not the JSON error shape"
    jq -e '.error.message|type=="string"' "$BODY_FILE" >/dev/null || fail "error.message missing"
    jq -e '.error.details|type=="array"' "$BODY_FILE" >/dev/null || fail "error.details missing"
    if [ -n "${1:-}" ]; then expect_json .error.code "$1"; fi
    expect_header Content-Type 'application/json'
}

# wait_trainer_job ID [seconds]: poll the training job until its state is final (succeeded,
# failed, partial); the last document stays in $BODY_FILE.
wait_trainer_job() {
    local id=$1 secs=${2:-150} i state=""
    for ((i = 0; i < secs * 2; i++)); do
        req GET "$GW/api/trainer/jobs/$id"
        state=$(jq_body .state)
        case $state in succeeded | failed | partial) return 0 ;; esac
        sleep 0.5
    done
    fail "training job $id not final after $secs s (state $state)"
}

# opf_on_forecast REGION TS: AC OPF of case118 whose load is REGION's forecast for the hour TS;
# checks it converged on that forecast from a registered model (the body stays in $BODY_FILE).
opf_on_forecast() {
    reqk POST "$GW/api/simulation/opf" -H 'Content-Type: application/json' --data-binary \
        "{\"case\":\"pglib_opf_case118_ieee\",\"load\":{\"forecast\":{\"region\":\"$1\",\"at\":\"$2\"}}}"
    expect_status 200
    expect_json .converged true
    expect_json .load_source.kind forecast
    expect_json '.load_source.model.version >= 1' true
}

# ---------------------------------------------------------------- data
# The bundled EIA-930 demand history (hour ending, 54 balancing authorities).
# The repository's own copy: a fresh clone has nothing beside it (tests/containers/test_fresh.sh).
CSV="$E2E_TOP/services/ingestion/data/eia930_train.csv"
# The last DAYS days of REGION from the CSV into Redis with the CONTRIBUTING layout
# (gf:demand:{R}:YYYYMM hashes, gf:region:{R}, gf:regions), one redis-cli --pipe.
load_region() { # region days
    grep ",$1," "$CSV" | tail -n $(($2 * 24)) | awk -F, -v R="$1" '
    function dfc(y, m, d,   era, yoe, doy) {
        y -= (m <= 2); era = int((y >= 0 ? y : y - 399) / 400); yoe = y - era * 400
        doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
        return era * 146097 + yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy - 719468
    }
    function resp(n, a,   s, i) { s = "*" n "\r\n"; for (i = 1; i <= n; i++) s = s "$" length(a[i]) "\r\n" a[i] "\r\n"; printf "%s", s }
    {
        y = substr($1, 1, 4) + 0; mo = substr($1, 6, 2) + 0
        t = dfc(y, mo, substr($1, 9, 2) + 0) * 86400 + substr($1, 12, 2) * 3600
        v = $3; if (NF >= 4 && $4 != "") v = v "," $4
        a[1] = "HSET"; a[2] = sprintf("gf:demand:{%s}:%04d%02d", R, y, mo); a[3] = t; a[4] = v; resp(4, a)
        if (first == "" || t < first) first = t
        if (last == "" || t > last) last = t
        n++
    }
    END {
        a[1] = "SADD"; a[2] = "gf:regions"; a[3] = R; resp(3, a)
        a[1] = "HSET"; a[2] = "gf:region:{" R "}"; a[3] = "code"; a[4] = R; a[5] = "name"; a[6] = R
        a[7] = "tz"; a[8] = "America/New_York"; a[9] = "first"; a[10] = first; a[11] = "last"
        a[12] = last; a[13] = "rows"; a[14] = n; resp(14, a)
    }' | redis-cli -p "$REDIS_PORT" --pipe >/dev/null
}

# ---------------------------------------------------------------- runner
source "$E2E_TOP/tests/e2e/runner.sh" # skip, run_t_functions

run_tests() {
    # Not in a condition (`run_t_functions || …`): bash would ignore the `set -e` of every
    # test's subshell below it, and a test would pass whatever failed before its last line.
    run_t_functions
    [ $? -eq 0 ] || E2E_FAILED=1
}

# Start the whole stack (E2E_SERVICES) and run the tests of the calling file.
e2e_main() {
    start_redis || { echo "not ok - stack starts (redis)"; E2E_FAILED=1; exit 1; }
    local s
    for s in $E2E_SERVICES; do
        start_service "$s" ${E2E_ENV:-} || { echo "not ok - stack starts ($s)"; E2E_FAILED=1; exit 1; }
    done
    start_gateway || { echo "not ok - stack starts (gateway)"; E2E_FAILED=1; exit 1; }
    for s in $E2E_SERVICES; do
        wait_ready "$s" 120 || { echo "not ok - $s becomes ready"; E2E_FAILED=1; exit 1; }
    done
    run_tests
    [ "$E2E_FAILED" -eq 0 ]
}
