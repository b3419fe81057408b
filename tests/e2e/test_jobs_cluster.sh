#!/usr/bin/env bash
# The job records of the trainer (gf:jobs + gf:job:{ID}) and of the simulation
# (gf:simjob:{ID}) on a real 3-master Redis Cluster (scripts/redis-cluster.sh, GF_REDIS_CLUSTER
# for both services), through the gateway: jobs are saved, listed newest first and read back
# although the index and the documents sit on different masters; a simulation job is recorded
# by the loop, finished by a solver thread and read back by its id. Service level only: the
# whole suite on a cluster is tests/e2e/pending_cluster.sh.
E2E_SERVICES="trainer simulation"
E2E_ENV="GF_TRAINER_THREADS=1"
source "$(dirname "$0")/lib.sh"

master_of() { # key: the master's port
    cluster_owner "$1"
}

t_trainer_jobs_are_saved_listed_and_read_across_masters() {
    # A region the trainer knows (gf:regions) but without history: each job is saved, then
    # runs and fails on the missing data, and is saved again.
    ccli SADD gf:regions ZZZ >/dev/null
    local ids=() i id
    for i in 1 2 3 4 5 6; do
        reqk POST "$GW/api/trainer/jobs" -H 'Content-Type: application/json' \
            --data-binary '{"regions":["ZZZ"],"search":false}'
        expect_status 202
        ids+=("$(jq_body .id)")
    done
    # the documents sit on more than one master, and not all where the index is
    local owners
    owners=$(for id in "${ids[@]}"; do master_of "gf:job:{$id}"; done | sort -u | wc -l)
    [ "$owners" -ge 2 ] || fail "all six documents on one master"
    for id in "${ids[@]}"; do
        for i in $(seq 100); do
            req GET "$GW/api/trainer/jobs/$id"
            [ "$(jq_body .state)" = failed ] && break
            sleep 0.2
        done
        expect_status 200
        expect_json .id "$id"
        expect_json .state failed
        [ "$(ccli HEXISTS "gf:job:{$id}" json)" = 1 ] || fail "gf:job:{$id} not stored"
    done
    req GET "$GW/api/trainer/jobs?limit=6"
    expect_status 200
    expect_json .count 6
    local want got
    want=$(printf '%s\n' "${ids[@]}" | tac | paste -sd,)
    got=$(jq -r '[.jobs[].id]|join(",")' "$BODY_FILE")
    [ "$got" = "$want" ] || fail "listed $got, expected newest first $want"
    expect_json '[.jobs[]|.state == "failed"]|all' true
    [ "$(ccli ZCARD gf:jobs)" = 6 ] || fail "index: $(ccli ZRANGE gf:jobs 0 -1)"
}

t_simulation_job_is_recorded_finished_and_read_back() {
    reqk POST "$GW/api/simulation/opf" -H 'Content-Type: application/json' \
        --data-binary '{"case":"pglib_opf_case57_ieee","async":true}'
    expect_status 202
    local loc id state i
    loc=$(grep -i '^Location:' "$HDR_FILE" | tr -d '\r' | awk '{print $2}' | sed 's|^http://[^/]*||')
    id=${loc##*/}
    for i in $(seq 150); do
        req GET "$GW$loc"
        state=$(jq_body .state)
        [ "$state" = done ] || [ "$state" = failed ] && break
        sleep 0.2
    done
    expect_status 200
    expect_json .state done
    expect_json .id "$id"
    expect_json '.result.objective > 37000 and .result.objective < 38000' true
    # written by the solver thread's handle on the master of its own slot, with its expiry
    local ttl
    ttl=$(redis-cli -p "$(master_of "gf:simjob:{$id}")" TTL "gf:simjob:{$id}")
    [ "$ttl" -gt 86000 ] && [ "$ttl" -le 86400 ] || fail "gf:simjob:{$id} TTL $ttl"
    req GET "$GW/api/simulation/jobs/0123456789abcdef"
    expect_status 404
    expect_error_shape unknown_job
}

start_redis_cluster 3 || { echo "not ok - the cluster starts: $(cat "$T/cluster.log")"; E2E_FAILED=1; exit 1; }
for s in $E2E_SERVICES; do
    start_service "$s" $E2E_ENV || { echo "not ok - stack starts ($s)"; E2E_FAILED=1; exit 1; }
done
start_gateway || { echo "not ok - stack starts (gateway)"; E2E_FAILED=1; exit 1; }
for s in $E2E_SERVICES; do
    wait_ready "$s" 120 || { echo "not ok - $s becomes ready"; E2E_FAILED=1; exit 1; }
done
run_tests
[ "$E2E_FAILED" -eq 0 ]
