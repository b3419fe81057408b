#!/usr/bin/env bash
# The developer tooling itself, without a stack: the Makefile's declared targets, the
# .clang-format check (make format-check), the test runner's summary (tests/run.sh), the
# unit test file names and the route handlers' names.
# No stack: local.sh's runner (each t_* in a subshell with set -e).
source "$(dirname "$0")/local.sh" tooling

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

# A real cmocka binary with a passing and a skipped test, and e2e files with a skipped test and
# a skipped file: the runner counts each skip as skipped (never passed) and lists it.
t_run_sh_counts_and_lists_skips() {
    mkdir -p "$T/build/tests/unit/x" "$T/e2e"
    cat >"$T/skips.c" <<'C'
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
static void test_passes(void **s)
{
    (void)s;
    assert_int_equal(1, 1);
}
static void test_cannot_run_here(void **s)
{
    (void)s;
    skip();
}
int main(void)
{
    const struct CMUnitTest t[] = {cmocka_unit_test(test_passes),
                                   cmocka_unit_test(test_cannot_run_here)};
    return cmocka_run_group_tests(t, NULL, NULL);
}
C
    cc -o "$T/build/tests/unit/x/test_skips" "$T/skips.c" -lcmocka || fail "cannot build the cmocka probe"
    printf 'echo "ok - runs"\necho "ok - needs_kubectl # skip: kubectl not installed"\n' >"$T/e2e/test_a.sh"
    printf 'echo "# skip: browser tests (GF_SKIP_BROWSER_TESTS=1)"\n' >"$T/e2e/test_b.sh"
    # the source-rule scripts (scripts/check-*.sh) run from make, before run.sh: not counted here
    local rc=0 nchecks=0
    env -u E2E_ONLY -u UNIT_ONLY -u E2E_TEST -u VALGRIND BUILD="$T/build" E2E_DIR="$T/e2e" bash tests/run.sh all >"$T/run.out" 2>&1 || rc=$?
    [ $rc -eq 0 ] || fail "exit $rc: $(tail -5 "$T/run.out")"
    grep -qx "$((2 + nchecks)) passed, 0 failed, 3 skipped" "$T/run.out" || fail "summary: $(tail -1 "$T/run.out")"
    grep -q "unit: .*/test_skips: test_cannot_run_here" "$T/run.out" || fail "unit skip not listed"
    grep -q "e2e: .*/test_a.sh: needs_kubectl # skip: kubectl not installed" "$T/run.out" || fail "e2e skip not listed"
    grep -q "e2e: .*/test_b.sh: # skip: browser tests" "$T/run.out" || fail "file skip not listed"
    # skips are never passes (with no check script, nothing passed: the run fails)
    rm "$T/build/tests/unit/x/test_skips"
    printf 'echo "ok - needs_kubectl # skip: kubectl not installed"\n' >"$T/e2e/test_a.sh"
    rc=0
    env -u E2E_ONLY -u UNIT_ONLY -u E2E_TEST -u VALGRIND BUILD="$T/build" E2E_DIR="$T/e2e" bash tests/run.sh all >"$T/run.out" 2>&1 || rc=$?
    [ $rc -eq $((nchecks > 0 ? 0 : 1)) ] || fail "a run of skips only: exit $rc"
    grep -qx "$nchecks passed, 0 failed, 2 skipped" "$T/run.out" || fail "summary: $(tail -1 "$T/run.out")"
}

# A command that fails before a test's last line fails the test, with the stack harness
# (lib.sh: run_tests) and without (local.sh: local_main). Called from a condition, the runner
# would make bash ignore every test's `set -e` and pass them all.
t_a_failing_line_fails_its_test() {
    local h out rc
    for h in lib local; do
        {
            if [ $h = lib ]; then echo "source '$PWD/tests/e2e/lib.sh'"; else echo "source '$PWD/tests/e2e/local.sh' probe"; fi
            echo 't_fails_early() { false; echo "    ran past a failure"; }'
            echo 't_passes() { true; }'
            if [ $h = lib ]; then echo 'run_tests; [ "$E2E_FAILED" -eq 0 ]'; else echo 'local_main'; fi
        } >"$T/probe_$h.sh"
        rc=0
        out=$(env -u E2E_TEST bash "$T/probe_$h.sh" 2>&1) || rc=$?
        [ $rc -eq 1 ] || fail "$h: exit $rc: $out"
        grep -qx 'not ok - fails_early' <<<"$out" || fail "$h: $out"
        grep -qx 'ok - passes' <<<"$out" || fail "$h: $out"
        ! grep -q 'ran past a failure' <<<"$out" || fail "$h: the test went on after a failing command"
    done
}

# CONTRIBUTING.md "Names": tests/unit/<dir>/test_<stem>[_<topic>].c tests libs/<dir>/src/<stem>.c
# or services/<dir>/<stem>.c.
t_unit_test_files_are_named_for_their_source_file() {
    local t d stem bad=""
    for t in tests/unit/*/test_*.c; do
        d=$(basename "$(dirname "$t")")
        stem=$(basename "$t" .c)
        stem=${stem#test_}
        while :; do
            [ -f "services/$d/$stem.c" ] || [ -f "libs/$d/src/$stem.c" ] && break
            [[ "$stem" == *_* ]] || { bad="$bad $t"; break; }
            stem=${stem%_*}
        done
    done
    [ -z "$bad" ] || fail "named for no source file:$bad"
}

# CONTRIBUTING.md "Names": every route of a service's table (and the kit's own) is handled by
# h_<literal segments after the version>_<method>, or _list for a GET of a collection whose
# members have routes of their own.
t_route_handlers_are_named_h_resource_verb() {
    local f line method path fn res want bad=""
    for f in services/*/main.c gateway/keycheck/main.c libs/core/src/svc.c; do
        while IFS= read -r line; do
            method=$(sed -E 's/.*\{"([A-Z]+)", *"([^"]*)", *(h_[a-z0-9_]+),.*/\1/' <<<"$line")
            path=$(sed -E 's/.*\{"([A-Z]+)", *"([^"]*)", *(h_[a-z0-9_]+),.*/\2/' <<<"$line")
            fn=$(sed -E 's/.*\{"([A-Z]+)", *"([^"]*)", *(h_[a-z0-9_]+),.*/\3/' <<<"$line")
            res=$(tr '/' '\n' <<<"$path" | grep -vE '^$|^\{|^v[0-9]+$' | tr '-' '_' | paste -sd_)
            want="h_${res}_${method,,}"
            [ "$fn" = "$want" ] && continue
            if [ "$method" = GET ] && [ "$fn" = "h_${res}_list" ] &&
                grep -qF "\"$path/{" "$f"; then
                continue
            fi
            bad="$bad $f:$path:$fn(want $want)"
        done < <(grep -E '\{"(GET|POST|PUT|DELETE|PATCH)", *"/[^"]*", *h_[a-z0-9_]+,' "$f")
    done
    [ -z "$bad" ] || fail "misnamed handlers:$bad"
}

local_main
