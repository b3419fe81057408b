#!/usr/bin/env bash
# make fuzz: build every tests/fuzz/fuzz_*.c with clang's libFuzzer + ASan + UBSan (sources of
# all libs and of the service the target names are compiled in, instrumented) and run each for
# N seconds (default 30) on its corpus. New inputs go to build/fuzz/corpus/<name>/ so the
# committed seed corpus stays small; crashers are written to tests/fuzz/artifacts/.
#   tests/fuzz/run.sh [seconds] [target-substring]
set -u
cd "$(dirname "$0")/../.."
SECS=${1:-30}
ONLY=${2:-}
OUT=build/fuzz
mkdir -p "$OUT" tests/fuzz/artifacts
INC=$(for d in libs/*/include; do printf -- '-I%s ' "$d"; done)
IPOPT=$(pkg-config --cflags ipopt 2>/dev/null)
LIBS="-levent -levent_pthreads -levent_openssl -lssl -lcrypto -ljansson -lhiredis -lxgboost -lstemmer $(pkg-config --libs ipopt 2>/dev/null) -lscotch -lm -lpthread"
LIB_SRCS=$(ls libs/*/src/*.c)
fail=0
for f in tests/fuzz/fuzz_*.c; do
    name=$(basename "$f" .c)
    name=${name#fuzz_}
    [ -n "$ONLY" ] && [[ "$name" != *$ONLY* ]] && continue
    svc=${name%%_*}
    SVC_SRCS=""
    if [ -f "services/$svc/main.c" ]; then
        SVC_SRCS=$(ls services/$svc/*.c | grep -v '/main.c$')
        INC_SVC="-Iservices/$svc"
    else
        INC_SVC=""
    fi
    echo "== fuzz $name (${SECS}s)"
    if ! clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=undefined $INC $INC_SVC $IPOPT -o "$OUT/fuzz_$name" "$f" \
        $LIB_SRCS $SVC_SRCS $LIBS; then
        echo "build of $name failed"; fail=1; continue
    fi
    mkdir -p "$OUT/corpus/$name"
    dict=""
    [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
    OMP_WAIT_POLICY=passive "$OUT/fuzz_$name" -max_total_time="$SECS" -print_final_stats=1 \
        -artifact_prefix=tests/fuzz/artifacts/ $dict "$OUT/corpus/$name" \
        "tests/fuzz/corpus/$name" 2>&1 | grep -E "^#|stat::number_of_executed_units|ERROR|SUMMARY|crash" | tail -4
    [ "${PIPESTATUS[0]}" -eq 0 ] || fail=1
done
exit $fail
