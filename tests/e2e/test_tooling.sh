#!/usr/bin/env bash
# The developer tooling itself, without a stack: the Makefile's declared targets, the
# .clang-format check (make format-check), and the test runner's summary (tests/run.sh).
# This file has its own runner (each t_* in a subshell with set -e), like test_deploy.sh.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/gf-tooling.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$TOP"

fail() { echo "    $*" >&2; return 1; }

t_every_phony_make_target_has_a_rule() {
    local t missing=""
    for t in $(sed -n 's/^\.PHONY: *//p' Makefile); do
        grep -qE "^$t:" Makefile || missing="$missing $t"
    done
    [ -z "$missing" ] || fail "declared .PHONY without a rule:$missing"
}

t_clang_format_is_the_style_guides() {
    local cfg
    cfg=$(clang-format --style=file --dump-config services/trainer/main.c)
    grep -qx 'ColumnLimit:     100' <<<"$cfg" || fail "ColumnLimit: $(grep ColumnLimit <<<"$cfg")"
    grep -qx 'IndentWidth:     4' <<<"$cfg" || fail "IndentWidth"
    grep -qx 'BreakBeforeBraces: Linux' <<<"$cfg" || fail "BreakBeforeBraces"
    grep -qx 'AllowShortFunctionsOnASingleLine: None' <<<"$cfg" || fail "one-line functions"
}

t_format_check_names_what_would_change() {
    cp .clang-format "$T/.clang-format"
    printf 'static int twice(int x)\n{\n    return 2 * x;\n}\n' >"$T/good.c"
    printf 'static int twice(int x) { return 2*x; }\n' >"$T/bad.c"
    bash scripts/format-check.sh "$T/good.c" >"$T/out" || fail "a formatted file fails: $(cat "$T/out")"
    grep -q '0 line(s) in 0 of 1 file(s)' "$T/out" || fail "summary: $(cat "$T/out")"
    local rc=0
    bash scripts/format-check.sh "$T/good.c" "$T/bad.c" >"$T/out" || rc=$?
    [ $rc -eq 1 ] || fail "an unformatted file: exit $rc"
    grep -q "^$T/bad.c: 1 line(s)" "$T/out" || fail "does not name the file: $(cat "$T/out")"
    grep -q '1 line(s) in 1 of 2 file(s) would change' "$T/out" || fail "summary: $(cat "$T/out")"
    cmp -s "$T/bad.c" <(printf 'static int twice(int x) { return 2*x; }\n') || fail "the check changed the file"
}

failed=0
for t in $(grep -oE '^t_[A-Za-z0-9_]+\(\)' "$0" | tr -d '()'); do
    if [ -n "${E2E_TEST:-}" ] && [[ "$t" != *${E2E_TEST}* ]]; then continue; fi
    (set -e; "$t")
    if [ $? -eq 0 ]; then echo "ok - ${t#t_}"; else echo "not ok - ${t#t_}"; failed=1; fi
done
exit $failed
