#!/usr/bin/env bash
# check-alloc.sh - the allocation rule: in libs/ and services/, memory comes from the kit's
# gf_x* helpers (core/util.h), which abort on out-of-memory themselves. Refused:
#   1. a direct call of malloc, calloc, realloc, reallocarray, strdup, strndup, aligned_alloc,
#      posix_memalign, memalign or valloc outside libs/core/src/util.c (the helpers' home);
#   2. abort() right after a NULL test (`if (p == NULL) abort();`, `if (!p)` + `abort();`):
#      a hand-made gf_x* helper.
# Before the tree, the script checks itself on samples that break each rule and one that does
# not, so a broken pattern cannot pass silently. Prints file:line per finding; exit 1 if any.
#   scripts/check-alloc.sh [root]      (tests/run.sh runs it in `make unit` and `make test`)
set -u
ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
# Files converted on another branch go here until they are merged (empty: none left).
ALLOW=()

# check FILE... : print findings as path:line: what
check() {
    awk '
    FNR == 1 { prev = ""; helpers = (FILENAME ~ /(^|\/)libs\/core\/src\/util\.c$/) }
    {
        line = $0
        gsub(/"([^"\\]|\\.)*"/, "\"\"", line)   # string contents
        gsub(/\/\*.*\*\//, "", line)             # one-line comments
        sub(/\/\/.*/, "", line)
        if (line ~ /^[ \t]*(\*|\/\*)/)
            next                                 # inside a block comment
        if (!helpers && line ~ /(^|[^A-Za-z0-9_.>])(malloc|calloc|realloc|reallocarray|strdup|strndup|aligned_alloc|posix_memalign|memalign|valloc)[ \t]*\(/)
            printf "%s:%d: direct allocation (use gf_xmalloc and friends, core/util.h): %s\n", FILENAME, FNR, $0
        nulltest = "if[ \t]*\\(.*(==[ \t]*NULL|NULL[ \t]*==|![ \t]*[A-Za-z_(])"
        if (!helpers && line ~ /(^|[^A-Za-z0-9_])abort[ \t]*\([ \t]*\)/ && (line ~ nulltest || prev ~ nulltest))
            printf "%s:%d: abort() after a NULL test (the gf_x* helpers abort themselves): %s\n", FILENAME, FNR, $0
        if (line !~ /^[ \t]*$/)
            prev = line
    }' "$@"
}

# self-test
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/bad.c" <<'EOF'
static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL)
        abort();
    return q;
}
char *f(const char *s) { char *d = strdup(s); if (!d) abort(); return d; }
EOF
cat >"$tmp/good.c" <<'EOF'
/* malloc(3) is not called here; gf_xmalloc( is */
char *g(const char *s) { char *d = gf_xstrdup(s); json_t *a = json_array(); return d; }
static void die(void) { fprintf(stderr, "calloc( failed\n"); abort(); }
int h(gf_jscan_t *j) { return j->realloc(0) + gf_xrealloc(NULL, 1) != NULL; }
EOF
got=$(check "$tmp/bad.c" | sed 's/: .*//' | tr '\n' ' ')
want="$tmp/bad.c:3 $tmp/bad.c:5 $tmp/bad.c:8 $tmp/bad.c:8 "
if [ "$got" != "$want" ] || [ -n "$(check "$tmp/good.c")" ]; then
    echo "check-alloc.sh self-test failed: got '$got' want '$want'; clean sample:"
    check "$tmp/good.c"
    exit 1
fi

cd "$ROOT" || exit 1
files=()
while IFS= read -r f; do
    skip=0
    for a in ${ALLOW[@]+"${ALLOW[@]}"}; do [ "$f" = "$a" ] && skip=1; done
    [ $skip = 0 ] && files+=("$f")
done < <(find libs services -name '*.[ch]' | sort)
out=$(check "${files[@]}")
if [ -n "$out" ]; then
    printf '%s\n' "$out"
    echo "check-alloc: $(printf '%s\n' "$out" | wc -l) finding(s) (CONTRIBUTING.md, \"Allocation\")"
    exit 1
fi
echo "check-alloc: ${#files[@]} files, every allocation through the kit"
