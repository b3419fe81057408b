#!/usr/bin/env bash
# Prometheus for the native stack (`make up` starts it when Debian's `prometheus` is installed).
#
#   scripts/prometheus.sh start    render var/prometheus.yml, start Prometheus (or reload it)
#   scripts/prometheus.sh stop     stop the one started here (pid file var/run/prometheus.pid)
#   scripts/prometheus.sh status   running or not, ready or not, its URL
#   scripts/prometheus.sh render [OUT]   only write the configuration (default var/prometheus.yml)
#
# The configuration is deploy/prometheus/prometheus.yml (the one docker-compose.yml mounts) with
# each "<service>:<default port>" target replaced by 127.0.0.1:<the real port> and the rule file
# by its absolute path; data in var/prometheus/, log in var/logs/prometheus.log. Ports come
# from the same variables as scripts/stack.sh: GF_INGESTION_PORT … GF_COMPLIANCE_PORT, and
# GF_PROMETHEUS_PORT (9090). Without the binary `start` says so and exits 0.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
VAR=${GF_VAR_DIR:-$top/var}
SERVICES=(ingestion trainer forecast simulation compliance)
declare -A DEFAULT=([ingestion]=8101 [trainer]=8102 [forecast]=8103 [simulation]=8104 [compliance]=8105)
declare -A PORT=(
    [ingestion]=${GF_INGESTION_PORT:-8101}
    [trainer]=${GF_TRAINER_PORT:-8102}
    [forecast]=${GF_FORECAST_PORT:-8103}
    [simulation]=${GF_SIMULATION_PORT:-8104}
    [compliance]=${GF_COMPLIANCE_PORT:-8105}
)
PROM_PORT=${GF_PROMETHEUS_PORT:-9090}
PID_FILE="$VAR/run/prometheus.pid"
URL="http://127.0.0.1:$PROM_PORT/"

say() { printf '%s\n' "$*"; }

render() { # out
    local out=$1 s args=()
    for s in "${SERVICES[@]}"; do
        args+=(-e "s|\"$s:${DEFAULT[$s]}\"|\"127.0.0.1:${PORT[$s]}\"|")
    done
    mkdir -p "$(dirname "$out")"
    sed "${args[@]}" -e "s|\"localhost:9090\"|\"127.0.0.1:$PROM_PORT\"|" \
        -e "s|^  - alerts.yml$|  - $top/deploy/prometheus/alerts.yml|" \
        "$top/deploy/prometheus/prometheus.yml" >"$out.tmp"
    mv "$out.tmp" "$out"
}

live_pid() {
    local pid
    [ -f "$PID_FILE" ] || return 1
    pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q prometheus || return 1
    echo "$pid"
}

ready() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PROM_PORT/-/ready" 2>/dev/null; }

cmd_start() {
    local bin pid
    bin=$(command -v prometheus || true)
    if [ -z "$bin" ]; then
        say "prometheus  not installed (Debian package prometheus; make deps); skipped"
        return 0
    fi
    mkdir -p "$VAR/run" "$VAR/logs" "$VAR/prometheus"
    render "$VAR/prometheus.yml"
    if command -v promtool >/dev/null && ! promtool check config "$VAR/prometheus.yml" >/dev/null 2>&1; then
        promtool check config "$VAR/prometheus.yml" >&2 || true
        say "error: $VAR/prometheus.yml is not valid" >&2
        return 1
    fi
    if pid=$(live_pid); then
        kill -HUP "$pid"
        say "prometheus  already running (pid $pid), configuration reloaded; $URL"
        return 0
    fi
    if (echo >"/dev/tcp/127.0.0.1/$PROM_PORT") 2>/dev/null; then
        say "error: port $PROM_PORT for prometheus is taken; set GF_PROMETHEUS_PORT" >&2
        return 1
    fi
    nohup "$bin" --config.file="$VAR/prometheus.yml" --storage.tsdb.path="$VAR/prometheus" \
        --storage.tsdb.retention.time="${GF_PROMETHEUS_RETENTION:-15d}" \
        --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-lifecycle \
        >>"$VAR/logs/prometheus.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PID_FILE"
    for _ in $(seq 150); do
        ready && break
        kill -0 "$pid" 2>/dev/null || { say "error: prometheus exited; see $VAR/logs/prometheus.log" >&2; return 1; }
        sleep 0.2
    done
    ready || say "warning: prometheus is not ready yet; see $VAR/logs/prometheus.log" >&2
    say "prometheus  started on $URL (pid $pid, data in $VAR/prometheus)"
}

cmd_stop() {
    local pid
    if pid=$(live_pid); then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            say "prometheus  killed after 10 s"
        else
            say "prometheus  stopped"
        fi
    fi
    rm -f "$PID_FILE"
}

cmd_status() {
    local pid state=stopped
    if pid=$(live_pid); then
        state="running (pid $pid)"
        if ready; then state="$state, ready, $URL"; else state="$state, NOT ready"; fi
    fi
    printf '%-11s port %-5s %s\n' prometheus "$PROM_PORT" "$state"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
render) render "${2:-$VAR/prometheus.yml}" ;;
*) say "usage: $0 start|stop|status|render [OUT]" >&2; exit 2 ;;
esac
