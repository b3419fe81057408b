#!/usr/bin/env bash
# GridFlow test runner: unit tests (cmocka), fuzz-corpus replays, end-to-end suites.
#
#   tests/run.sh unit|e2e|all     (BUILD=build by default; `make test` calls it)
#
# Every unit binary is run on its own; its cmocka summary is read for the counts (a binary
# that dies without a summary counts as one failure). Each fuzz target's corpus replays as
# one test. Each tests/e2e/test_*.sh runs in its own bash and prints `ok - NAME` or
# `not ok - NAME` per test (tests/e2e/lib.sh, local.sh). A skip is never silent: cmocka's
# `[  SKIPPED ] name`, an e2e `ok - NAME # skip: why` and a whole file's `# skip: why` are
# counted as skipped (not passed) and listed with the failures. The run ends with
# `N passed, N failed, N skipped`; it fails when anything failed or nothing passed.
# VALGRIND=1 runs the unit binaries under valgrind (leaks and errors fail the test).
# E2E_ONLY=<pattern> restricts the e2e files; UNIT_ONLY=<pattern> the unit binaries;
# E2E_DIR (default tests/e2e) is where the e2e files are (tests/e2e/test_tooling.sh uses it).
# Each source-rule script scripts/check-*.sh (the allocation rule) runs as one test in unit/all.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
mode=${1:-all}
passed=0
failed=0
skipped=0
failures=()
skips=()

run_unit() {
    local bin out rc p f s
    for bin in $(find "$BUILD/tests/unit" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort); do
        [ -n "${UNIT_ONLY:-}" ] && [[ "$bin" != *${UNIT_ONLY}* ]] && continue
        local cmd=("$bin")
        if [ "${VALGRIND:-0}" = 1 ]; then
            cmd=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
                 "--suppressions=tests/valgrind.supp" "$bin")
        fi
        out=$(GF_TEST_ROOT="$PWD" "${cmd[@]}" 2>&1)
        rc=$?
        p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
        f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
        s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
        p=${p:-0}
        f=${f:-0}
        s=${s:-0}
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
        passed=$((passed + p))
        failed=$((failed + f))
        skipped=$((skipped + s))
        while IFS= read -r line; do skips+=("unit: $bin: $line"); done \
            < <(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([A-Za-z_][A-Za-z0-9_]*\)$/\1/p' | sort -u)
        if [ "$f" -gt 0 ]; then
            failures+=("unit: $bin")
            printf '%s\n' "$out" | tail -40
            echo "FAIL $bin (rc=$rc)"
        else
            echo "ok   $bin ($p tests$([ "$s" -gt 0 ] && echo ", $s skipped"))"
        fi
    done
}

run_replays() {
    local bin name dir out rc
    for bin in $(find "$BUILD/tests/fuzz" -type f -name 'replay_*' -perm -u+x 2>/dev/null | sort); do
        name=${bin##*/replay_}
        dir=tests/fuzz/corpus/$name
        if [ ! -d "$dir" ]; then
            failed=$((failed + 1)); failures+=("fuzz corpus missing: $dir"); continue
        fi
        out=$("$bin" "$dir" 2>&1)
        rc=$?
        if [ $rc -eq 0 ]; then
            passed=$((passed + 1)); echo "ok   replay $name ($(printf '%s' "$out" | tail -1))"
        else
            failed=$((failed + 1)); failures+=("fuzz replay: $name")
            printf '%s\n' "$out" | tail -20; echo "FAIL replay $name"
        fi
    done
}

# Source rules checked by a script (scripts/check-*.sh, e.g. the allocation rule): one test each.
run_checks() {
    local s out
    for s in scripts/check-*.sh; do
        [ -e "$s" ] || continue
        if out=$(bash "$s" 2>&1); then
            passed=$((passed + 1)); echo "ok   check ${s##*/} ($(printf '%s' "$out" | tail -1))"
        else
            failed=$((failed + 1)); failures+=("check: $s")
            printf '%s\n' "$out" | tail -40; echo "FAIL check $s"
        fi
    done
}

run_e2e() {
    local f rc p fl sk log
    log=$(mktemp)
    for f in "${E2E_DIR:-tests/e2e}"/test_*.sh; do
        [ -e "$f" ] || continue
        [ -n "${E2E_ONLY:-}" ] && [[ "$f" != *${E2E_ONLY}* ]] && continue
        echo "== $f"
        BUILD="$BUILD" bash "$f" >"$log" 2>&1
        rc=$?
        cat "$log"
        p=$(grep -c '^ok - ' "$log")
        fl=$(grep -c '^not ok - ' "$log")
        sk=$(grep -cE '^ok - .* # skip|^# skip' "$log")
        p=$((p - $(grep -c '^ok - .* # skip' "$log")))
        if [ "$rc" -ne 0 ] && [ "$fl" -eq 0 ]; then fl=1; failures+=("e2e: $f exited $rc"); fi
        passed=$((passed + p))
        failed=$((failed + fl))
        skipped=$((skipped + sk))
        while IFS= read -r line; do skips+=("e2e: $f: ${line#ok - }"); done \
            < <(grep -E '^ok - .* # skip|^# skip' "$log")
        while IFS= read -r line; do failures+=("e2e: $f: ${line#not ok - }"); done \
            < <(grep '^not ok - ' "$log")
    done
    rm -f "$log"
}

case "$mode" in
unit) run_unit; run_replays; run_checks ;;
e2e) run_e2e ;;
all) run_unit; run_replays; run_checks; run_e2e ;;
*) echo "usage: $0 unit|e2e|all" >&2; exit 2 ;;
esac

if [ ${#skips[@]} -gt 0 ]; then
    echo
    echo "skipped:"
    printf '  %s\n' "${skips[@]}"
fi
if [ ${#failures[@]} -gt 0 ]; then
    echo
    echo "failures:"
    printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
