#!/usr/bin/env bash
# make format-check: which of the given C files (default: every tracked .c/.h) clang-format
# (.clang-format at the top) would change, and how many of their lines. Exit 0 when none,
# 1 when some would change, 2 when clang-format is missing (make deps installs it).
set -u
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format-check: clang-format not found: run make deps" >&2; exit 2; }
[ $# -gt 0 ] || set -- $(git ls-files '*.c' '*.h')
lines=0
files=0
for f in "$@"; do
    n=$(clang-format --style=file "$f" | diff "$f" - | grep -c '^<')
    if [ "$n" -gt 0 ]; then
        echo "$f: $n line(s)"
        lines=$((lines + n))
        files=$((files + 1))
    fi
done
echo "format-check: $lines line(s) in $files of $# file(s) would change"
[ "$files" -eq 0 ]
