#!/usr/bin/env bash
# PGLib-OPF typical-case benchmark: AC OPF of every case in the PGLib v23.07 typical set
# (../shared/data/grids/pglib-typ, 51 cases, 3 to 10,480 buses) with build/bin/gf-opf, compared
# with PGLib's own baseline (BASELINE.csv: AC objective and solve time of PowerModels + Ipopt
# with HSL ma27 on a dual-socket server). Prints a markdown table (case, buses, iterations,
# status, our time, PGLib's time, ratio, objective gap, verdict), then the N-1 line for
# case2869 (AC power flow, every branch outage, 2 threads).
#
#   tests/bench/bench_pglib.sh [REPEAT] [CASE_FILTER]
#       REPEAT        solves per case, median reported (default 1; the big cases take seconds)
#       CASE_FILTER   grep -E pattern on case names (default: all)
#   PGLIB_DIR         the case folder (default ../shared/data/grids/pglib-typ from the repo)
#   TIME_LIMIT        time limit of one solve, s (default 600; it counts wall time across the
#                     screening solves, so a loaded machine needs room)
#
# Verdict per case: "ok" when Ipopt's status is solve_succeeded (optimal, not "acceptable"), the
# objective is within 1e-4 of PGLib's (or below it: a better local optimum, said so), at most
# 100 iterations, and - for cases PGLib needs >= 1 s for - at least 10x faster than PGLib;
# otherwise the targets missed. Times are medians of the solve (model build + Ipopt), not of
# the parse: wall clock, and the CPU time of the solving thread, which the ratio uses (on a
# shared machine the wall clock mostly measures the other jobs; the load average is printed).
set -uo pipefail
cd "$(dirname "$0")/../.."
REPEAT=${1:-1}
FILTER=${2:-.}
DIR=${PGLIB_DIR:-../shared/data/grids/pglib-typ}
TL=${TIME_LIMIT:-600}
BIN=build/bin/gf-opf
[ -x "$BIN" ] || { echo "build first: make -j2" >&2; exit 2; }
[ -f "$DIR/BASELINE.csv" ] || { echo "no PGLib cases at $DIR (set PGLIB_DIR)" >&2; exit 2; }

echo "| case | buses | iterations | status | our time (wall) | our CPU time | PGLib time | PGLib / our CPU | objective | PGLib objective | gap | verdict |"
echo "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
n=0 ok=0
while IFS=, read -r c buses branches dcobj acobj actime; do
    [ "$c" = case ] && continue
    printf '%s\n' "$c" | grep -Eq "$FILTER" || continue
    n=$((n + 1))
    out=$(nice "$BIN" --repeat "$REPEAT" --time-limit "$TL" "$DIR/$c.m" 2>/dev/null)
    get() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k {print $2}'; }
    obj=$(get objective); st=$(get status); it=$(get iterations); ms=$(get time_ms); cpu=$(get cpu_ms)
    [ -n "$st" ] || st=failed
    line=$(awk -v obj="${obj:-nan}" -v ref="$acobj" -v ms="${cpu:-0}" -v wall="${ms:-0}" -v pt="$actime" -v st="$st" -v it="${it:-0}" '
        BEGIN {
            gap = (obj - ref) / ref; agap = gap < 0 ? -gap : gap
            ours = ms / 1000
            if (pt == "<1") { ptxt = "< 1 s"; ratio = "-"; fast = 1 }
            else { ptxt = pt " s"; r = (ours > 0 ? pt / ours : 0); ratio = sprintf("%.1fx", r); fast = (r >= 10) }
            miss = ""
            if (st != "solve_succeeded") miss = miss " status"
            if (!(agap <= 1e-4) && !(gap < 0)) miss = miss " objective"
            if (it > 100) miss = miss " iterations"
            if (!fast) miss = miss " speed"
            verdict = miss == "" ? "ok" : "missed:" miss
            if (gap < -1e-4 && miss == "") verdict = "ok (better local optimum)"
            w = wall / 1000
            printf "%s s|%s s|%s|%s|%+.1e|%s", (w < 1 ? sprintf("%.3f", w) : sprintf("%.2f", w)), (ours < 1 ? sprintf("%.3f", ours) : sprintf("%.2f", ours)), ptxt, ratio, gap, verdict
        }')
    IFS='|' read -r t_wall t_ours t_pg ratio gap verdict <<<"$line"
    [[ $verdict == ok* ]] && ok=$((ok + 1))
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %.2f | %s | %s | %s |\n' "${c#pglib_opf_}" "$buses" \
        "${it:--}" "$st" "$t_wall" "$t_ours" "$t_pg" "$ratio" "${obj:-0}" "$acobj" "$gap" "$verdict"
done <"$DIR/BASELINE.csv"
echo
echo "$ok of $n cases meet every target (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
if printf '%s\n' pglib_opf_case2869_pegase | grep -Eq "$FILTER"; then
    n1=$(nice "$BIN" --n1 "$DIR/pglib_opf_case2869_pegase.m" 2>/dev/null)
    echo
    echo "N-1 case2869, AC power flow, every in-service branch, 2 threads:" \
        "$(printf '%s\n' "$n1" | awk '$1 == "time_ms" {printf "%.2f s", $2 / 1000}')," \
        "$(printf '%s\n' "$n1" | awk '$1 == "contingencies" {print $2}') outages;" \
        "$(printf '%s\n' "$n1" | awk '$1 == "outcomes" {$1 = ""; print substr($0, 2)}');" \
        "$(printf '%s\n' "$n1" | awk '$1 == "reused" {print $2}') on the reused base factorization pattern"
fi
