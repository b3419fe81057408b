#!/usr/bin/env bash
# The runner of the e2e files that start no stack (test_deploy.sh, test_fresh_make.sh,
# test_tooling.sh); files with a stack use lib.sh. Source it with a name for the temp dir:
#     source "$(dirname "$0")/local.sh" deploy
#     t_thing() { ... || fail "why"; }     # skip "why"; return 0   marks the test skipped
#     local_main
# It sets TOP (the checkout, also the working directory) and T (a temp dir removed at exit).
# Each t_* runs in a subshell with `set -e` and prints `ok - name`, `ok - name # skip: why`
# or `not ok - name`, as lib.sh does; E2E_TEST=<part> picks tests. tests/run.sh counts them.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=$(mktemp -d "/tmp/gf-${1:-local}.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$TOP"

fail() { echo "    $*" >&2; return 1; }
# The running test is skipped (the caller returns 0 after it), with the reason in its line.
skip() { echo "$*" >"$T/.skip"; }

local_main() {
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
    exit $failed
}
