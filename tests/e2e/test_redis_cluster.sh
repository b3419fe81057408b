#!/usr/bin/env bash
# scripts/redis-cluster.sh: a real 3-master Redis Cluster on loopback ports (cluster-enabled,
# redis-cli --cluster create), its status, a crashed master (kill -9) while the others keep
# serving their slots, the same node started again with its data, and a stop that ends exactly
# the processes the script started (by PID). No GridFlow service is involved.
source "$(dirname "$0")/lib.sh"

RC="$E2E_TOP/scripts/redis-cluster.sh"

t_start_creates_a_cluster_of_three_masters() {
    [ ${#CLUSTER_PORTS[@]} = 3 ] || fail "ports: ${CLUSTER_PORTS[*]}"
    [ "$GF_REDIS_CLUSTER" = "127.0.0.1:${CLUSTER_PORTS[0]},127.0.0.1:${CLUSTER_PORTS[1]},127.0.0.1:${CLUSTER_PORTS[2]}" ] ||
        fail "seeds $GF_REDIS_CLUSTER"
    local p
    for p in "${CLUSTER_PORTS[@]}"; do
        redis-cli -p "$p" CLUSTER INFO | tr -d '\r' | grep -qx 'cluster_state:ok' || fail "node $p not ok"
        redis-cli -p "$p" CLUSTER INFO | tr -d '\r' | grep -qx 'cluster_size:3' || fail "node $p: cluster_size"
        [ "$(redis-cli -p "$p" ROLE | head -1)" = master ] || fail "node $p is not a master"
    done
    bash "$RC" status "$CLUSTER_DIR" >"$T/status" || fail "status exits non-zero: $(cat "$T/status")"
    [ "$(awk 'NR > 1 && $3 == "master" && $4 == "ok"' "$T/status" | wc -l)" = 3 ] || fail "$(cat "$T/status")"
    [ "$(awk 'NR > 1 { s += $5 } END { print s }' "$T/status")" = 16384 ] || fail "slots: $(cat "$T/status")"
    # A second start in the same directory, or on ports in use, is refused.
    bash "$RC" start 3 "${CLUSTER_PORTS[0]}" "$CLUSTER_DIR" 2>"$T/err" && fail "second start accepted"
    grep -q 'already holds a running node' "$T/err" || fail "$(cat "$T/err")"
    bash "$RC" start 3 "${CLUSTER_PORTS[0]}" "$T/other" 2>"$T/err" && fail "start on used ports accepted"
    grep -q "port ${CLUSTER_PORTS[0]} is in use" "$T/err" || fail "$(cat "$T/err")"
    local rc=0
    bash "$RC" start 2 30000 "$T/other" 2>/dev/null || rc=$?
    [ $rc = 1 ] || fail "2 masters: status $rc"
    rc=0
    bash "$RC" start 3 30000 2>/dev/null || rc=$?
    [ $rc = 2 ] || fail "usage error: status $rc"
}

t_a_killed_master_leaves_the_other_slots_served_and_comes_back_with_its_data() {
    # 300 keys over every slot range, through any node (redis-cli -c follows MOVED).
    local i p victim
    for i in $(seq 300); do echo "SET k:$i $i"; done | ccli >/dev/null
    local total=0
    for p in "${CLUSTER_PORTS[@]}"; do
        [ "$(redis-cli -p "$p" DBSIZE)" -gt 50 ] || fail "node $p holds $(redis-cli -p "$p" DBSIZE) keys"
        total=$((total + $(redis-cli -p "$p" DBSIZE)))
    done
    [ $total = 300 ] || fail "$total keys over the nodes"
    victim=$(cluster_owner k:1)
    [ -n "$victim" ] || fail "no owner for k:1"
    local vpid=${PID_OF[redis-$victim]}
    cluster_node_kill "$victim"
    alive "$vpid" && fail "node $victim (pid $vpid) still runs"
    bash "$RC" status "$CLUSTER_DIR" >"$T/status" && fail "status says fine with a node down"
    grep -qE "^$victim +- +- +down" "$T/status" || fail "$(cat "$T/status")"
    # The others keep answering for their own keys (cluster-require-full-coverage no).
    local served=0 refused=0 owner
    for i in $(seq 300); do
        owner=$(redis-cli -p "$victim" ping >/dev/null 2>&1; cluster_owner "k:$i")
        if [ "$owner" = "$victim" ]; then
            refused=$((refused + 1))
        else
            [ "$(redis-cli -p "$owner" GET "k:$i")" = "$i" ] || fail "k:$i not served by $owner"
            served=$((served + 1))
        fi
    done
    [ $served -gt 150 ] && [ $refused -gt 50 ] || fail "served $served, on the dead node $refused"
    # The same node again: same id, its slots, its keys from the AOF.
    cluster_node_start "$victim" || fail "node-start: $(tail -3 "$T/cluster.log")"
    [ "${PID_OF[redis-$victim]}" != "$vpid" ] || fail "no new PID recorded"
    for i in $(seq 300); do echo "GET k:$i"; done | ccli | grep -v Redirected >"$T/got"
    [ "$(grep -c . "$T/got")" = 300 ] && [ "$(sort -n "$T/got" | tail -1)" = 300 ] ||
        fail "after the restart: $(sort -n "$T/got" | uniq -c | head -3)"
    bash "$RC" status "$CLUSTER_DIR" >/dev/null || fail "not ok after the restart"
}

t_stop_ends_exactly_the_nodes_it_started() {
    local p pids=()
    mapfile -t pids < <(bash "$RC" pids "$CLUSTER_DIR" | awk '{ print $2 }')
    [ ${#pids[@]} = 3 ] || fail "pids: ${pids[*]}"
    # A redis-server of ours that is not a node of the cluster is left alone.
    start_redis || fail "single redis"
    bash "$RC" stop "$CLUSTER_DIR" || fail "stop failed"
    for p in "${pids[@]}"; do alive "$p" && fail "node pid $p still runs"; done
    alive "${PID_OF[redis]}" || fail "stop ended a redis-server that was not a node"
    for p in "${CLUSTER_PORTS[@]}"; do
        redis-cli -p "$p" ping >/dev/null 2>&1 && fail "port $p still answers"
    done
    [ -z "$(bash "$RC" pids "$CLUSTER_DIR")" ] || fail "pids listed after stop"
}

# `join`: nodes started elsewhere (as compose's containers are), joined once; a second join
# leaves the cluster alone; a node without cluster mode is refused.
t_join_creates_once_and_leaves_an_existing_cluster_alone() {
    local i p ports=() addrs=()
    for i in 1 2 3; do
        p=$(free_port)
        while (echo >"/dev/tcp/127.0.0.1/$((p + 10000))") 2>/dev/null || [ $((p + 10000)) -ge 32768 ]; do p=$(free_port); done
        mkdir -p "$T/j$i"
        (cd "$T/j$i" && exec redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes \
            --cluster-config-file nodes.conf --dir "$T/j$i" --save "" --appendonly no \
            --logfile "$T/j$i/redis.log") &
        echo "join-$i $!" >>"$T/pids"
        ports+=("$p")
        addrs+=("127.0.0.1:$p")
    done
    bash "$RC" join "${addrs[@]}" >"$T/join1" 2>&1 || fail "join: $(tail -5 "$T/join1")"
    grep -q 'creating a cluster of 3 masters' "$T/join1" || fail "$(cat "$T/join1")"
    for p in "${ports[@]}"; do
        redis-cli -p "$p" CLUSTER INFO | tr -d '\r' | grep -qx 'cluster_state:ok' || fail "node $p not ok"
    done
    local epoch
    epoch=$(redis-cli -p "${ports[0]}" CLUSTER INFO | tr -d '\r' | sed -n 's/^cluster_current_epoch://p')
    bash "$RC" join "${addrs[@]}" >"$T/join2" 2>&1 || fail "second join: $(cat "$T/join2")"
    grep -q creating "$T/join2" && fail "second join created again"
    [ "$(redis-cli -p "${ports[0]}" CLUSTER INFO | tr -d '\r' | sed -n 's/^cluster_current_epoch://p')" = "$epoch" ] ||
        fail "the cluster changed on the second join"
    start_redis || fail "single redis"
    local rc=0
    bash "$RC" join "${addrs[0]}" "${addrs[1]}" "127.0.0.1:$REDIS_PORT" >"$T/join3" 2>&1 || rc=$?
    [ $rc = 1 ] && grep -q 'does not run with cluster-enabled yes' "$T/join3" || fail "status $rc: $(cat "$T/join3")"
}

start_redis_cluster 3 || { echo "not ok - the cluster starts: $(cat "$T/cluster.log")"; exit 1; }
run_tests
[ "$E2E_FAILED" -eq 0 ]
