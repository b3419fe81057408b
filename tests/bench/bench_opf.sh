#!/usr/bin/env bash
# AC-OPF benchmark: build/bin/gf-opf --repeat N on every shipped case, printed as a markdown
# table (case, buses, median solve time, iterations, Ipopt solves and branch limits in the
# screened model, objective, reference, relative difference), then the same solves with every
# limit in the model from the start (--no-screen) and the ratio of the CPU medians, the DC
# OPF, and the N-1 screening time of case118 (186 outages, AC power flow).
#
#   tests/bench/bench_opf.sh [REPEAT]      (REPEAT defaults to 5; run `make` first)
#
# Times are medians of the solve (model build + Ipopt), not of the parse: wall clock, and the
# CPU time of the solving thread (robust when other jobs share the machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPEAT=${1:-5}
BIN=build/bin/gf-opf
CASES=services/simulation/cases
[ -x "$BIN" ] || { echo "build first: make -j2" >&2; exit 2; }

# reference AC objectives (services/simulation/cases/README.md)
declare -A REF=(
    [pglib_opf_case5_pjm]=1.7552e+04 [pglib_opf_case14_ieee]=2.1781e+03
    [pglib_opf_case30_ieee]=8.2085e+03 [pglib_opf_case57_ieee]=3.7589e+04
    [pglib_opf_case118_ieee]=9.7214e+04 [pglib_opf_case300_ieee]=5.6522e+05
    [pglib_opf_case1354_pegase]=1.2588e+06 [pglib_opf_case2869_pegase]=2.4628e+06
    [case9]=5296.69 [case30]=576.89
)
ORDER=(case9 case30 pglib_opf_case5_pjm pglib_opf_case14_ieee pglib_opf_case30_ieee
       pglib_opf_case57_ieee pglib_opf_case118_ieee pglib_opf_case300_ieee
       pglib_opf_case1354_pegase pglib_opf_case2869_pegase)

echo "| case | buses | AC-OPF time (median of $REPEAT) | CPU time (median) | iterations | solves, limits in model | objective (\$/h) | reference | rel. diff | status |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
declare -A CPU_S
for c in "${ORDER[@]}"; do
    out=$("$BIN" --repeat "$REPEAT" "$CASES/$c.m" 2>/dev/null || true)
    get() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k {print $2}'; }
    obj=$(get objective); ref=${REF[$c]}
    CPU_S[$c]=$(get cpu_ms)
    scr=$(printf '%s\n' "$out" | awk '$1 == "screening" {print $2 ", " $4 " of " $6}')
    rel=$(awk -v a="$obj" -v b="$ref" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; printf "%.1e", d }')
    printf "| %s | %s | %.1f ms | %.1f ms | %s | %s | %.2f | %s | %s | %s |\n" "$c" "$(get buses)" \
        "$(get time_ms)" "$(get cpu_ms)" "$(get iterations)" "$scr" "$obj" "$ref" "$rel" "$(get status)"
done
echo
echo "| full model (--no-screen) | time (median of $REPEAT) | CPU time (median) | iterations | objective (\$/h) | CPU full / screened |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for c in "${ORDER[@]}"; do
    out=$("$BIN" --no-screen --repeat "$REPEAT" "$CASES/$c.m" 2>/dev/null || true)
    get() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k {print $2}'; }
    ratio=$(awk -v a="$(get cpu_ms)" -v b="${CPU_S[$c]}" 'BEGIN { printf "%.2f", a / b }')
    printf "| %s | %.1f ms | %.1f ms | %s | %.2f | %s |\n" "$c" "$(get time_ms)" "$(get cpu_ms)" \
        "$(get iterations)" "$(get objective)" "$ratio"
done
echo
echo "| DC OPF | buses | time (median of $REPEAT) | iterations | objective (\$/h) |"
echo "| --- | ---: | ---: | ---: | ---: |"
for c in pglib_opf_case118_ieee pglib_opf_case1354_pegase pglib_opf_case2869_pegase; do
    out=$("$BIN" --dc --repeat "$REPEAT" "$CASES/$c.m" 2>/dev/null || true)
    get() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k {print $2}'; }
    printf '| %s | %s | %.1f ms | %s | %.2f |\n' "$c" "$(get buses)" "$(get time_ms)" \
        "$(get iterations)" "$(get objective)"
done
echo
n1=$("$BIN" --n1 --repeat "$REPEAT" "$CASES/pglib_opf_case118_ieee.m" 2>/dev/null || true)
printf 'N-1 case118, AC power flow, 2 threads: %s ms median over %s runs (%s outages)\n' \
    "$(printf '%s\n' "$n1" | awk '$1 == "time_ms" {print $2}')" "$REPEAT" \
    "$(printf '%s\n' "$n1" | awk '$1 == "contingencies" {print $2}')"
