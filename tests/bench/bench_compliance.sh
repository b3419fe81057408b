#!/usr/bin/env bash
# Compliance at the service: every question of the held-out test split (services/compliance/
# eval, split by article, see eval.h) POSTed to /v1/ask of a running gf-compliance, ROUNDS
# times, one at a time, directly (no gateway: the figure is the service's). Prints p50/p90/p99
# of curl's time_total, the service's RSS, and the engine's own figures for the same split
# (build/bin/cmp-bench -s test: quality and in-process latency).
#   tests/bench/bench_compliance.sh [rounds]
set -u
ROUNDS=${1:-5}
E2E_SERVICES=compliance
source "$(dirname "$0")/../e2e/lib.sh"
start_service compliance
wait_ready compliance 60
URL="http://127.0.0.1:${PORT_OF[compliance]}/v1/ask"
Q="$T/questions.jsonl"
# the test-split questions, as request bodies (cmp-bench -s test -v names them; the split is
# computed by the engine's own code, not here)
"$BUILD/bin/cmp-bench" -r 0 -s test -v | awk -F' \\| ' 'NF >= 3 && $1 ~ /^[a-z][0-9]+ / {print $NF}' |
    jq -R -c '{question: .}' >"$Q"
n=$(wc -l <"$Q")
: >"$T/lat"
for _ in $(seq "$ROUNDS"); do
    while IFS= read -r body; do
        curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
            --data-binary "$body" "$URL" >>"$T/lat"
    done <"$Q"
done
sort -g "$T/lat" | awk -v n="$(wc -l <"$T/lat")" -v q="$n" -v r="$ROUNDS" '
    {v[NR]=$1*1000}
    END{printf "| %d questions x %d rounds | p50 %.2f ms | p90 %.2f ms | p99 %.2f ms | max %.2f ms |\n",
        q, r, v[int(n*0.5)+1], v[int(n*0.9)+1], v[int(n*0.99)+1], v[n]}'
# the service's own timing of retrieval + ranking + answer (histogram buckets, cumulative)
curl -s "http://127.0.0.1:${PORT_OF[compliance]}/metrics" |
    awk '/^gf_compliance_retrieval_seconds_bucket/{match($0,/le="[^"]*"/); le=substr($0,RSTART+4,RLENGTH-5); b[++k]=le; c[k]=$NF}
         /^gf_compliance_retrieval_seconds_count/{n=$NF}
         END{printf "in-service cmp_ask time (gf_compliance_retrieval_seconds), share of %d asks at or under:", n;
             for(i=1;i<=k;i++) printf " %s s: %.3f", b[i], c[i]/n; printf "\n"}'
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "compliance service RSS after the run: $(awk '/VmRSS/{print $2}' "/proc/${PID_OF[compliance]}/status") kB"
echo
"$BUILD/bin/cmp-bench" -r "$ROUNDS" -s test
