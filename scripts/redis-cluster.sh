#!/usr/bin/env bash
# A Redis Cluster of N masters (no replicas) on loopback ports, for tests, benchmarks and a
# native scale-out stack. Real redis-server processes with `cluster-enabled yes`, joined by
# `redis-cli --cluster create`; stopped by the PIDs this script recorded, never by name.
#
#   scripts/redis-cluster.sh start N PORT_BASE DIR   N masters on 127.0.0.1:PORT_BASE..+N-1
#   scripts/redis-cluster.sh stop DIR                 stop every node started in DIR (by PID)
#   scripts/redis-cluster.sh status DIR               per node: PID, state, slots, keys
#   scripts/redis-cluster.sh seeds DIR                the GF_REDIS_CLUSTER value (host:port,...)
#   scripts/redis-cluster.sh pids DIR                 "port pid" per running node
#   scripts/redis-cluster.sh node-stop DIR PORT [SIG] one node (default TERM; KILL = a crash)
#   scripts/redis-cluster.sh node-start DIR PORT      start a stopped node again (same id, data),
#                                                     wait until the cluster says ok again
#   scripts/redis-cluster.sh join HOST:PORT...        join running cluster-enabled nodes (started
#                       elsewhere: containers, pods) into a cluster of masters, once
#
# Each node lives in DIR/node-PORT (nodes.conf, AOF, redis.log, redis.pid); DIR/ports lists the
# ports. Cluster bus ports are PORT+GF_CLUSTER_BUS_OFFSET (default 10000). Settings, all optional:
#   GF_CLUSTER_BIND (127.0.0.1), GF_CLUSTER_BUS_OFFSET (10000), GF_CLUSTER_NODE_TIMEOUT (2000 ms),
#   GF_CLUSTER_APPENDONLY (yes; AOF everysec like `make up`), GF_CLUSTER_REDIS_ARGS (more
#   redis-server arguments, split on spaces), GF_CLUSTER_WAIT (30 s for every bounded wait).
# `cluster-require-full-coverage no`: when a master is down, the others keep serving their slots
# (the services answer 503 for the keys of the missing slots).
# `start` refuses ports in use and a DIR that already holds a running node; on any failure it
# stops what it started. `join` (the one-shot of docker-compose.cluster.yml and the Job of
# infra/k8s/overlays/cluster; `start` uses it too) waits until every node answers PONG, leaves
# an existing cluster alone (every node knows the others, e.g. after a restart from
# nodes.conf), joins nodes that are all still alone with `redis-cli --cluster create
# --cluster-replicas 0` (names resolved to IPs, as CLUSTER MEET needs), refuses anything in
# between (some joined, some alone: for an operator and `redis-cli --cluster check`, never
# "fixed" by resetting a node), and returns once every node says cluster_state:ok with all
# 16384 slots assigned. Exit status: 0, 1 (failed), 2 (usage).
set -u
BIND=${GF_CLUSTER_BIND:-127.0.0.1}
BUS_OFFSET=${GF_CLUSTER_BUS_OFFSET:-10000}
NODE_TIMEOUT=${GF_CLUSTER_NODE_TIMEOUT:-2000}
WAIT=${GF_CLUSTER_WAIT:-30}
REDIS_SERVER=${GF_REDIS_SERVER:-redis-server}
REDIS_CLI=${GF_REDIS_CLI:-redis-cli}

usage() {
    sed -n '5,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
die() {
    echo "redis-cluster: $*" >&2
    exit 1
}
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

port_in_use() { (echo >"/dev/tcp/$BIND/$1") 2>/dev/null; }

# The PID of the node on PORT in DIR, when that process is alive and is a redis-server of
# that port (a stale pid file whose number was reused by another process does not count).
node_pid() { # dir port
    local f="$1/node-$2/redis.pid" pid
    pid=$(cat "$f" 2>/dev/null) || return 1
    is_uint "$pid" || return 1
    local st
    st=$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) || return 1
    [ "$st" != Z ] && [ "$st" != X ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "redis-server.*:$2\b" || return 1
    echo "$pid"
}

ports_of() { # dir
    [ -s "$1/ports" ] || die "no cluster in $1 (no $1/ports)"
    cat "$1/ports"
}

start_node() { # dir port
    local d="$1/node-$2" extra=()
    mkdir -p "$d" || return 1
    # shellcheck disable=SC2206 # split on purpose: a list of redis-server arguments
    [ -n "${GF_CLUSTER_REDIS_ARGS:-}" ] && extra=($GF_CLUSTER_REDIS_ARGS)
    rm -f "$d/redis.pid"
    # --daemonize: the node outlives this script; its PID is in redis.pid.
    (cd "$d" && "$REDIS_SERVER" --port "$2" --bind "$BIND" --cluster-enabled yes \
        --cluster-config-file nodes.conf --cluster-port $(($2 + BUS_OFFSET)) \
        --cluster-node-timeout "$NODE_TIMEOUT" --cluster-require-full-coverage no \
        --dir "$d" --appendonly "${GF_CLUSTER_APPENDONLY:-yes}" --appendfsync everysec \
        --save "" --daemonize yes --pidfile "$d/redis.pid" --logfile "$d/redis.log" \
        "${extra[@]}") || return 1
    local i
    for ((i = 0; i < WAIT * 20; i++)); do
        # PONG, not LOADING: a restarted node answers once its AOF is read.
        [ "$("$REDIS_CLI" -h "$BIND" -p "$2" ping 2>/dev/null)" = PONG ] && node_pid "$1" "$2" >/dev/null && return 0
        sleep 0.05
    done
    echo "redis-cluster: node $2 did not answer in ${WAIT}s; log $d/redis.log:" >&2
    tail -5 "$d/redis.log" >&2
    return 1
}

stop_node() { # dir port [signal]
    local pid i
    pid=$(node_pid "$1" "$2") || return 0
    kill -"${3:-TERM}" "$pid" 2>/dev/null || return 0
    for ((i = 0; i < WAIT * 20; i++)); do
        node_pid "$1" "$2" >/dev/null || return 0
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null
    echo "redis-cluster: node $2 (pid $pid) did not stop in ${WAIT}s; killed" >&2
    return 0
}

cli_at() { # host:port args...
    local a=$1
    shift
    "$REDIS_CLI" -h "${a%:*}" -p "${a##*:}" "$@" 2>/dev/null | tr -d '\r'
}
cinfo() { cli_at "$1" CLUSTER INFO | sed -n "s/^$2://p"; }

# Every node says cluster_state:ok, knows all the nodes and sees all 16384 slots assigned.
settled() { # host:port...
    local a
    for a in "$@"; do
        [ "$(cinfo "$a" cluster_state)" = ok ] || return 1
        [ "$(cinfo "$a" cluster_known_nodes)" = $# ] || return 1
        [ "$(cinfo "$a" cluster_slots_assigned)" = 16384 ] || return 1
    done
    return 0
}
dir_addrs() { sed "s/^/$BIND:/" "$1/ports"; }

cmd_join() {
    [ $# -ge 3 ] || die "join needs at least 3 nodes (host:port ...), got $#"
    local a ip i alone=0 ips=()
    for a in "$@"; do
        [[ "$a" =~ ^[^:]+:[0-9]+$ ]] || die "not host:port: '$a'"
        for ((i = 0; ; i++)); do
            [ "$(cli_at "$a" PING)" = PONG ] && break
            [ $i -lt $((WAIT * 10)) ] || die "$a does not answer PONG after ${WAIT}s"
            sleep 0.1
        done
        [ "$(cli_at "$a" INFO cluster | sed -n 's/^cluster_enabled://p')" = 1 ] ||
            die "$a does not run with cluster-enabled yes"
        ip=${a%:*}
        [[ "$ip" =~ ^[0-9.]+$ ]] || ip=$(getent hosts "$ip" | awk '{ print $1; exit }')
        [ -n "$ip" ] || die "cannot resolve ${a%:*}"
        ips+=("$ip:${a##*:}")
        [ "$(cinfo "$a" cluster_known_nodes)" = 1 ] && [ "$(cinfo "$a" cluster_slots_assigned)" = 0 ] &&
            alone=$((alone + 1))
    done
    if [ $alone = $# ]; then
        echo "redis-cluster: creating a cluster of $# masters: ${ips[*]}"
        timeout "$((WAIT * 2))" "$REDIS_CLI" --cluster create "${ips[@]}" --cluster-replicas 0 \
            --cluster-yes || die "redis-cli --cluster create failed"
    elif [ $alone != 0 ]; then
        die "$alone of $# nodes are alone, the others already joined: see redis-cli --cluster check $1"
    fi
    for ((i = 0; i < WAIT * 20; i++)); do
        settled "$@" && { echo "redis-cluster: cluster_state:ok on all $# masters"; return 0; }
        sleep 0.05
    done
    die "the cluster did not reach cluster_state:ok in ${WAIT}s"
}

cmd_start() {
    [ $# -eq 3 ] || usage
    local n=$1 base=$2 dir=$3 p i
    is_uint "$n" && [ "$n" -ge 3 ] && [ "$n" -le 64 ] || die "N must be 3..64 (redis-cli --cluster create needs 3 masters), got '$n'"
    is_uint "$base" && [ "$base" -ge 1024 ] && [ $((base + n - 1 + BUS_OFFSET)) -le 65535 ] ||
        die "PORT_BASE must be 1024.. with PORT_BASE+N-1+$BUS_OFFSET <= 65535, got '$base'"
    mkdir -p "$dir" || die "cannot create $dir"
    dir=$(cd "$dir" && pwd)
    if [ -s "$dir/ports" ]; then
        for p in $(cat "$dir/ports"); do
            node_pid "$dir" "$p" >/dev/null && die "$dir already holds a running node (port $p): stop it first"
        done
    fi
    for ((i = 0; i < n; i++)); do
        p=$((base + i))
        port_in_use "$p" && die "port $p is in use"
        port_in_use $((p + BUS_OFFSET)) && die "cluster bus port $((p + BUS_OFFSET)) is in use"
        [ -e "$dir/node-$p/nodes.conf" ] && die "$dir/node-$p holds an old node (nodes.conf): use a fresh DIR"
    done
    : >"$dir/ports"
    local addrs=()
    for ((i = 0; i < n; i++)); do
        p=$((base + i))
        echo "$p" >>"$dir/ports"
        addrs+=("$BIND:$p")
        start_node "$dir" "$p" || { cmd_stop "$dir"; die "node $p did not start"; }
    done
    if ! (cmd_join "${addrs[@]}") >"$dir/create.log" 2>&1; then
        tail -5 "$dir/create.log" >&2
        cmd_stop "$dir"
        die "the cluster was not created (log $dir/create.log)"
    fi
    echo "redis-cluster: $n masters ready: $(cmd_seeds "$dir")"
}

cmd_stop() {
    [ $# -eq 1 ] || usage
    local p
    for p in $(ports_of "$1"); do stop_node "$1" "$p"; done
    return 0
}

cmd_seeds() {
    [ $# -eq 1 ] || usage
    ports_of "$1" | sed "s/^/$BIND:/" | paste -sd, -
}

cmd_pids() {
    [ $# -eq 1 ] || usage
    local p pid
    for p in $(ports_of "$1"); do
        pid=$(node_pid "$1" "$p") && echo "$p $pid"
    done
    return 0
}

cmd_status() {
    [ $# -eq 1 ] || usage
    local p pid state slots keys role bad=0
    printf '%-6s %-8s %-7s %-6s %-6s %s\n' port pid role state slots keys
    for p in $(ports_of "$1"); do
        if ! pid=$(node_pid "$1" "$p"); then
            printf '%-6s %-8s %-7s %-6s %-6s %s\n' "$p" - - down - -
            bad=1
            continue
        fi
        state=$("$REDIS_CLI" -h "$BIND" -p "$p" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p')
        role=$("$REDIS_CLI" -h "$BIND" -p "$p" role 2>/dev/null | head -1)
        # Slots this node serves: the ranges on its own line of CLUSTER NODES.
        slots=$("$REDIS_CLI" -h "$BIND" -p "$p" cluster nodes 2>/dev/null | awk '$3 ~ /myself/ {
            for (i = 9; i <= NF; i++) if ($i !~ /^\[/) { n = split($i, r, "-"); s += (n == 2 ? r[2] - r[1] + 1 : 1) }
            print s + 0 }')
        keys=$("$REDIS_CLI" -h "$BIND" -p "$p" dbsize 2>/dev/null)
        printf '%-6s %-8s %-7s %-6s %-6s %s\n' "$p" "$pid" "${role:-?}" "${state:-?}" "${slots:-?}" "${keys:-?}"
        [ "$state" = ok ] || bad=1
    done
    return $bad
}

cmd_node_stop() {
    [ $# -ge 2 ] && [ $# -le 3 ] || usage
    grep -qx "$2" <(ports_of "$1") || die "port $2 is not a node of $1"
    stop_node "$1" "$2" "${3:-TERM}"
}

cmd_node_start() {
    [ $# -eq 2 ] || usage
    local dir
    dir=$(cd "$1" && pwd) || die "no directory $1"
    grep -qx "$2" <(ports_of "$dir") || die "port $2 is not a node of $dir"
    node_pid "$dir" "$2" >/dev/null && die "node $2 is running"
    port_in_use "$2" && die "port $2 is in use"
    start_node "$dir" "$2" || die "node $2 did not start"
    # Back in the cluster once it (and every other node) says cluster_state:ok again.
    local i addrs
    mapfile -t addrs < <(dir_addrs "$dir")
    for ((i = 0; i < WAIT * 20; i++)); do
        settled "${addrs[@]}" && return 0
        sleep 0.05
    done
    die "node $2 runs but the cluster did not reach cluster_state:ok in ${WAIT}s"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
status) cmd_status "$@" ;;
seeds) cmd_seeds "$@" ;;
pids) cmd_pids "$@" ;;
node-stop) cmd_node_stop "$@" ;;
node-start) cmd_node_start "$@" ;;
join) cmd_join "$@" ;;
*) usage ;;
esac
