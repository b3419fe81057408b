#!/usr/bin/env bash
# The native GridFlow stack on one machine: `make up | down | status | logs`.
#
# up:     a project-local redis-server (AOF everysec, data in var/redis), the five services,
#         nginx with the gateway config rendered into var/ (its own prefix, never the system
#         config); waits until every /readyz answers, then prints the URLs. Safe to run twice:
#         whatever is already running (by its pid file) is left alone.
# down:   stops exactly what `up` started, by the pid files in var/run, nothing else.
# status: what runs, on which port, and whether it is ready.
# logs:   the last lines of every log (LINES=n), or follow them with FOLLOW=1.
#
# Ports (environment): GF_GATEWAY_PORT 8080, GF_REDIS_PORT 6379, GF_INGESTION_PORT 8101,
# GF_TRAINER_PORT 8102, GF_FORECAST_PORT 8103, GF_SIMULATION_PORT 8104, GF_COMPLIANCE_PORT 8105,
# GF_KEYCHECK_PORT 8106.
set -euo pipefail
# nginx is in /usr/sbin, which Debian leaves out of a normal user's PATH.
export PATH="$PATH:/usr/sbin:/sbin"
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
VAR=${GF_VAR_DIR:-$top/var}
BIN=${GF_BIN_DIR:-$top/build/bin}
# keycheck: the gateway's API key and scope check (gateway/keycheck), asked by nginx.
SERVICES=(ingestion trainer forecast simulation compliance keycheck)
declare -A PORT=(
    [redis]=${GF_REDIS_PORT:-6379}
    [gateway]=${GF_GATEWAY_PORT:-8080}
    [ingestion]=${GF_INGESTION_PORT:-8101}
    [trainer]=${GF_TRAINER_PORT:-8102}
    [forecast]=${GF_FORECAST_PORT:-8103}
    [simulation]=${GF_SIMULATION_PORT:-8104}
    [compliance]=${GF_COMPLIANCE_PORT:-8105}
    [keycheck]=${GF_KEYCHECK_PORT:-8106}
)
# The gateway's keys store: SHA-256 hashes and scopes (scripts/keys.sh).
export GF_KEYCHECK_KEYS_FILE=${GF_KEYCHECK_KEYS_FILE:-$VAR/gateway/keys}

say() { printf '%s\n' "$*"; }

# pid of a component if its pid file names a live process running the expected program.
live_pid() {
    local name=$1 file="$VAR/run/$1.pid" pid exe
    [ "$name" = gateway ] && file="$VAR/nginx.pid"
    [ -f "$file" ] || return 1
    pid=$(cat "$file" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [ -r "/proc/$pid/cmdline" ] || return 1
    exe=$(tr '\0' ' ' <"/proc/$pid/cmdline")
    case $name in
    redis) [[ "$exe" == *redis-server* ]] ;;
    gateway) [[ "$exe" == *nginx* ]] ;;
    *) [[ "$exe" == *gf-$name* ]] ;;
    esac || return 1
    echo "$pid"
}

port_busy() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_ready() { # url seconds [pid]: gives up early when the process has died
    local url=$1 deadline=$((SECONDS + $2)) pid=${3:-}
    while [ $SECONDS -lt $deadline ]; do
        if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
        sleep 0.2
    done
    return 1
}

# Until Redis answers PONG: while it loads its AOF it answers LOADING (redis-cli -e makes that
# a failure), and nothing may read it then. Up to GF_REDIS_LOAD_SECONDS (300).
wait_redis_serving() {
    local deadline=$((SECONDS + ${GF_REDIS_LOAD_SECONDS:-300})) said=0 out
    while :; do
        out=$(redis-cli -e -p "${PORT[redis]}" ping 2>&1) && [ "$out" = PONG ] && return 0
        if [ $SECONDS -ge $deadline ]; then
            say "error: Redis on port ${PORT[redis]} does not serve after ${GF_REDIS_LOAD_SECONDS:-300} s ($out); see $VAR/logs/redis.log" >&2
            exit 1
        fi
        if [[ "$out" == LOADING* ]] && [ $said = 0 ]; then
            say "redis       loading its data ($(du -sh "$VAR/redis" 2>/dev/null | cut -f1)) ..."
            said=1
        fi
        sleep 0.1
    done
}

start_redis() {
    if pid=$(live_pid redis); then say "redis       already running (pid $pid)"; wait_redis_serving; return; fi
    if port_busy "${PORT[redis]}"; then
        say "error: port ${PORT[redis]} is taken by another program; set GF_REDIS_PORT" >&2
        exit 1
    fi
    mkdir -p "$VAR/redis"
    redis-server --port "${PORT[redis]}" --bind 127.0.0.1 --dir "$VAR/redis" \
        --appendonly yes --appendfsync everysec --save "" --daemonize yes \
        --pidfile "$VAR/run/redis.pid" --logfile "$VAR/logs/redis.log" >/dev/null
    wait_redis_serving
    say "redis       started on 127.0.0.1:${PORT[redis]} (data in $VAR/redis)"
}

start_service() {
    local s=$1 pid
    if pid=$(live_pid "$s"); then say "$(printf '%-11s' "$s") already running (pid $pid)"; return; fi
    if port_busy "${PORT[$s]}"; then
        say "error: port ${PORT[$s]} for $s is taken; set GF_${s^^}_PORT" >&2
        exit 1
    fi
    GF_PORT=${PORT[$s]} GF_REDIS_PORT=${PORT[redis]} OMP_WAIT_POLICY=passive \
        GF_FORECAST_URL="http://127.0.0.1:${PORT[forecast]}" \
        nohup "$BIN/gf-$s" >>"$VAR/logs/$s.log" 2>&1 </dev/null &
    echo $! >"$VAR/run/$s.pid"
    say "$(printf '%-11s' "$s") started on 127.0.0.1:${PORT[$s]} (pid $!)"
}

# The operator's key: an admin key made on the first `up`, kept in clear for the operator only
# in var/gateway/api-keys (0600); the gateway's store has its hash. More keys: scripts/keys.sh.
ensure_api_key() {
    local f=${GF_API_KEYS_FILE:-$VAR/gateway/api-keys}
    mkdir -p "$(dirname "$f")"
    if ! grep -q '^sha256:' "$GF_KEYCHECK_KEYS_FILE" 2>/dev/null; then
        if [ -s "$f" ]; then
            # A key from before scopes: it becomes the operator's admin key.
            head -1 "$f" | GF_VAR_DIR="$VAR" bash scripts/keys.sh import --scope admin --name operator
        else
            (umask 077; GF_VAR_DIR="$VAR" bash scripts/keys.sh add --scope admin --name operator >"$f" 2>/dev/null)
            say "api key     created: admin key in $f (hash in $GF_KEYCHECK_KEYS_FILE); more keys: scripts/keys.sh add --scope ingest|read|operate|admin"
        fi
    fi
    chmod 600 "$f"
    API_KEY=$(head -1 "$f")
}

start_gateway() {
    GF_KEYCHECK_ADDR="127.0.0.1:${PORT[keycheck]}" bash scripts/render-gateway.sh "$VAR/nginx.conf" "$VAR" "${PORT[gateway]}" \
        "127.0.0.1:${PORT[ingestion]}" "127.0.0.1:${PORT[trainer]}" "127.0.0.1:${PORT[forecast]}" \
        "127.0.0.1:${PORT[simulation]}" "127.0.0.1:${PORT[compliance]}" on
    if pid=$(live_pid gateway); then
        nginx -p "$VAR" -c "$VAR/nginx.conf" -e "$VAR/logs/nginx-error.log" -s reload
        say "gateway     already running (pid $pid), configuration reloaded"
        return
    fi
    if port_busy "${PORT[gateway]}"; then
        say "error: port ${PORT[gateway]} is taken; set GF_GATEWAY_PORT" >&2
        exit 1
    fi
    nginx -p "$VAR" -c "$VAR/nginx.conf" -e "$VAR/logs/nginx-error.log"
    say "gateway     started on 127.0.0.1:${PORT[gateway]}"
}

cmd_up() {
    for s in "${SERVICES[@]}"; do
        [ -x "$BIN/gf-$s" ] || { say "error: $BIN/gf-$s is missing; run make" >&2; exit 1; }
    done
    mkdir -p "$VAR/run" "$VAR/logs"
    if [ -f gateway/dashboard/package.json ]; then bash scripts/build-dashboard.sh; fi
    start_redis
    ensure_api_key
    for s in "${SERVICES[@]}"; do start_service "$s"; done
    start_gateway
    local bad=0
    for s in "${SERVICES[@]}"; do
        if ! wait_ready "http://127.0.0.1:${PORT[$s]}/readyz" 120 "$(live_pid "$s" || echo 0)"; then
            say "warning: $s is not ready (or exited); see $VAR/logs/$s.log" >&2
            bad=1
        fi
    done
    wait_ready "http://127.0.0.1:${PORT[gateway]}/api/healthz" 10 || bad=1
    if command -v prometheus >/dev/null 2>&1; then
        GF_VAR_DIR="$VAR" bash scripts/prometheus.sh start ||
            say "warning: prometheus did not start; see $VAR/logs/prometheus.log" >&2
    fi
    if [ -x scripts/first-run.sh ]; then
        GF_GATEWAY_URL="http://127.0.0.1:${PORT[gateway]}" GF_REDIS_PORT=${PORT[redis]} \
            GF_VAR_DIR="$VAR" bash scripts/first-run.sh
    fi
    say ""
    say "GridFlow is up."
    say "  dashboard   http://127.0.0.1:${PORT[gateway]}/"
    say "  API         http://127.0.0.1:${PORT[gateway]}/api/<service>/...  (e.g. curl -s http://127.0.0.1:${PORT[gateway]}/api/forecast/info)"
    command -v prometheus >/dev/null 2>&1 &&
        say "  prometheus  http://127.0.0.1:${GF_PROMETHEUS_PORT:-9090}/"
    say "  API docs    http://127.0.0.1:${PORT[gateway]}/api/docs/  (spec: /api/openapi.yaml)"
    say "  API key     $API_KEY   (admin; header X-API-Key; file ${GF_API_KEYS_FILE:-$VAR/gateway/api-keys})"
    say "  more keys   scripts/keys.sh add --scope ingest|read|operate|admin [--name N]   (list, revoke N)"
    say "  logs        $VAR/logs/   (make logs)"
    say "  data        $VAR/redis/  (Redis AOF)"
    say "  stop        make down"
    return $bad
}

# The gateway's runtime dir outside a private var dir (scripts/render-gateway.sh), once
# nginx has stopped; only a dir of that name that root owns.
remove_gateway_runtime() { # var-dir
    local rt
    rt=$(cat "$1/nginx.runtime" 2>/dev/null) || return 0
    if [[ "$rt" == */gridflow-gateway.* ]] && [ -d "$rt" ] && [ ! -L "$rt" ] &&
        [ "$(stat -c %u "$rt")" = 0 ]; then
        rm -rf "$rt"
    fi
    rm -f "$1/nginx.runtime"
}

stop_pid() { # name pid
    local name=$1 pid=$2
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || { say "$(printf '%-11s' "$name") stopped"; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    say "$(printf '%-11s' "$name") killed after 10 s"
}

cmd_down() {
    local pid
    if pid=$(live_pid gateway); then stop_pid gateway "$pid"; fi
    for s in "${SERVICES[@]}"; do
        if pid=$(live_pid "$s"); then stop_pid "$s" "$pid"; fi
        rm -f "$VAR/run/$s.pid"
    done
    for extra in "$VAR"/run/*.pid; do # helpers started by first-run (meter simulator)
        [ -e "$extra" ] || continue
        name=$(basename "$extra" .pid)
        [ "$name" = redis ] && continue
        pid=$(cat "$extra")
        if [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "gf-\|$name"; then
            stop_pid "$name" "$pid"
        fi
        rm -f "$extra"
    done
    GF_VAR_DIR="$VAR" bash scripts/prometheus.sh stop 2>/dev/null || true
    remove_gateway_runtime "$VAR"
    if pid=$(live_pid redis); then stop_pid redis "$pid"; fi
    rm -f "$VAR/run/redis.pid"
}

cmd_status() {
    local pid state
    for name in redis "${SERVICES[@]}" gateway; do
        if pid=$(live_pid "$name"); then
            state="running (pid $pid)"
            case $name in
            redis) redis-cli -p "${PORT[redis]}" ping >/dev/null 2>&1 && state="$state, answering" ;;
            gateway) curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${PORT[gateway]}/api/healthz" && state="$state, answering" ;;
            *) if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${PORT[$name]}/readyz"; then
                   state="$state, ready"
               else
                   state="$state, NOT ready"
               fi ;;
            esac
        else
            state="stopped"
        fi
        printf '%-11s port %-5s %s\n' "$name" "${PORT[$name]}" "$state"
    done
    GF_VAR_DIR="$VAR" bash scripts/prometheus.sh status 2>/dev/null || true
}

cmd_logs() {
    mkdir -p "$VAR/logs"
    if [ "${FOLLOW:-0}" = 1 ]; then exec tail -F "$VAR"/logs/*.log; fi
    for f in "$VAR"/logs/*.log; do
        [ -e "$f" ] || continue
        say "==> $f <=="
        tail -n "${LINES:-20}" "$f"
    done
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
logs) cmd_logs ;;
*) say "usage: $0 up|down|status|logs" >&2; exit 2 ;;
esac
