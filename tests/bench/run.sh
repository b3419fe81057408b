#!/usr/bin/env bash
# Run every benchmark in tests/bench (bench_*.sh) and print their tables. Figures that go into
# BENCHMARKS.md are copied from this output together with the command.
set -u
cd "$(dirname "$0")/../.."
for b in tests/bench/bench_*.sh; do
    [ -e "$b" ] || continue
    [ -n "${BENCH_ONLY:-}" ] && [[ "$b" != *${BENCH_ONLY}* ]] && continue
    echo "## $b"
    bash "$b"
    echo
done
