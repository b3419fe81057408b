#!/usr/bin/env bash
# make fuzz: run every libFuzzer target for N seconds (default 30) on its corpus. The binaries
# are built by the Makefile (`make fuzz` builds them first with FUZZ=1: clang, libFuzzer, ASan
# and UBSan under build/fuzz, linked with the Makefile's one LDLIBS). tests/fuzz/<name>.dict is
# the dictionary of target fuzz_<name>; a dictionary without its target is an error. New inputs
# go to build/fuzz/corpus/<name>/ so the committed seed corpus stays small; crashers are
# written to tests/fuzz/artifacts/ (add the input to tests/fuzz/corpus/<name>/ with the fix).
#   tests/fuzz/run.sh [seconds] [target-substring]
set -u
cd "$(dirname "$0")/../.."
SECS=${1:-30}
ONLY=${2:-}
BIN=${FUZZ_BUILD:-build/fuzz}/tests/fuzz
OUT=build/fuzz
mkdir -p "$OUT" tests/fuzz/artifacts
fail=0
for d in tests/fuzz/*.dict; do
    [ -e "$d" ] || continue
    name=$(basename "$d" .dict)
    [ -f "tests/fuzz/fuzz_$name.c" ] || { echo "FAIL dictionary $d has no target tests/fuzz/fuzz_$name.c"; fail=1; }
done
ran=0
for f in tests/fuzz/fuzz_*.c; do
    name=$(basename "$f" .c)
    name=${name#fuzz_}
    [ -n "$ONLY" ] && [[ "$name" != *$ONLY* ]] && continue
    if [ ! -x "$BIN/fuzz_$name" ]; then
        echo "FAIL $BIN/fuzz_$name is not built (run make fuzz)"; fail=1; continue
    fi
    mkdir -p "$OUT/corpus/$name"
    dict=()
    [ -f "tests/fuzz/$name.dict" ] && dict=("-dict=tests/fuzz/$name.dict")
    echo "== fuzz $name (${SECS}s${dict:+, dictionary tests/fuzz/$name.dict})"
    OMP_WAIT_POLICY=passive "$BIN/fuzz_$name" -max_total_time="$SECS" -print_final_stats=1 \
        -artifact_prefix=tests/fuzz/artifacts/ "${dict[@]}" "$OUT/corpus/$name" \
        "tests/fuzz/corpus/$name" >"$OUT/$name.log" 2>&1
    rc=$?
    grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|Dictionary:|ERROR|SUMMARY|Test unit written" "$OUT/$name.log" | tail -5
    if [ $rc -ne 0 ]; then
        echo "FAIL fuzz $name (exit $rc; log $OUT/$name.log)"; fail=1
    fi
    ran=$((ran + 1))
done
[ $ran -gt 0 ] || { echo "no fuzz target matches '$ONLY'"; fail=1; }
exit $fail
