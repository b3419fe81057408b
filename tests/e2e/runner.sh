#!/usr/bin/env bash
# The one loop that runs an e2e file's t_* functions, for lib.sh (files with a stack) and
# local.sh (files without). Needs $T (the file's temp dir).
#
# In the order the file defines them, each t_* runs in a subshell with `set -e` and prints
# `ok - name`, `not ok - name`, or `ok - name # skip: why` after `skip "why"; return 0`.
# E2E_TEST=<part> picks tests. tests/run.sh counts the three kinds.

# The running test is skipped (the caller returns 0 after it): its line says so and why, and
# tests/run.sh counts it as skipped, not passed.
skip() { echo "$*" >"$T/.skip"; }

# Run the t_* functions of the calling file ($0): 0 when none failed, 1 otherwise.
run_t_functions() {
    local t failed=0
    for t in $(grep -oE '^t_[A-Za-z0-9_]+\(\)' "$0" | tr -d '()'); do
        if [ -n "${E2E_TEST:-}" ] && [[ "$t" != *${E2E_TEST}* ]]; then continue; fi
        rm -f "$T/.skip"
        # Not inside an `if`: bash ignores set -e in a condition, even in a subshell.
        (set -e; "$t")
        if [ $? -ne 0 ]; then
            echo "not ok - ${t#t_}"
            failed=1
        elif [ -s "$T/.skip" ]; then
            echo "ok - ${t#t_} # skip: $(cat "$T/.skip")"
        else
            echo "ok - ${t#t_}"
        fi
    done
    return $failed
}
