#!/usr/bin/env bash
# The runner of the e2e files that start no stack (test_deploy.sh, test_fresh_make.sh,
# test_tooling.sh); files with a stack use lib.sh. Source it with a name for the temp dir:
#     source "$(dirname "$0")/local.sh" deploy
#     t_thing() { ... || fail "why"; }     # skip "why"; return 0   marks the test skipped
#     local_main
# It sets TOP (the checkout, also the working directory) and T (a temp dir removed at exit);
# the tests run as in lib.sh (runner.sh).
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=$(mktemp -d "/tmp/gf-${1:-local}.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$TOP"

fail() { echo "    $*" >&2; return 1; }
source "$(dirname "${BASH_SOURCE[0]}")/runner.sh"

local_main() {
    run_t_functions
    exit $?
}
