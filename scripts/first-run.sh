#!/usr/bin/env bash
# First run of the native stack; `make up` (scripts/stack.sh) calls it once the services are
# ready, with GF_GATEWAY_URL, GF_REDIS_PORT (or GF_REDIS_CLUSTER=host:port[,...]: its first
# node, redirections followed) and GF_VAR_DIR in the environment.
#
#   1. regions catalog: the ingestion service saves it (services/ingestion/data) into Redis on
#      every connect; wait until it is there;
#   2. bundled demand history through the gateway API (POST /api/ingestion/demand), each file
#      once: EIA-930 (hour ending), its imputed-hours flags, NYC with temperature (hour
#      beginning). A file is skipped when Redis already holds its rows (gf:region:{R} rows,
#      gf:dflags:{R}), so a second `make up` imports nothing;
#   3. first models: `gf-trainer --once --regions ...` for the regions whose model has no
#      production alias per the trainer API (GET /api/trainer/models), when the trainer binary
#      supports --once;
#   4. a small meter simulator in the background (pid in $GF_VAR_DIR/run/meter-sim.pid;
#      `make down` stops it).
# Idempotent; a second run takes about a second. Exit status non-zero only when an import
# fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
GW=${GF_GATEWAY_URL:-http://127.0.0.1:8080}
RHOST=${GF_REDIS_HOST:-127.0.0.1}
RPORT=${GF_REDIS_PORT:-6379}
if [ -n "${GF_REDIS_CLUSTER:-}" ]; then # one node is enough: redis-cli -c follows MOVED/ASK
    seed=${GF_REDIS_CLUSTER%%,*}
    seed=${seed// /}
    RPORT=${seed##*:}
    RHOST=${seed%:*}
    RHOST=${RHOST#[}
    RHOST=${RHOST%]}
fi
VAR=${GF_VAR_DIR:-$top/var}
BIN=${GF_BIN_DIR:-$top/build/bin}
DATA=$top/services/ingestion/data
KEYS_FILE=${GF_API_KEYS_FILE:-$VAR/gateway/api-keys}
SIM_METERS=${GF_SIM_METERS:-500}
TRAIN_REGIONS=${GF_FIRST_RUN_REGIONS:-CISO,ERCO,ISNE,MISO,NYIS,PJM,SWPP,NYC}

say() { printf 'first-run   %s\n' "$*"; }
# A read that fails (Redis down, or answering LOADING/BUSY: redis-cli -e makes an error reply a
# failure) stops the run with the reason: a check that cannot read is never "no data".
shopt -s inherit_errexit
rcli() {
    local out
    if ! out=$(redis-cli -c -e -h "$RHOST" -p "$RPORT" --raw "$@" 2>&1); then
        say "error: cannot read Redis ($1 $2): ${out:-no answer}" >&2
        return 1
    fi
    printf '%s\n' "$out"
}
rnum() { # one integer reply (none = 0)
    local v
    v=$(rcli "$@")
    [[ "$v" =~ ^[0-9]*$ ]] || { say "error: Redis answered '$v' to $1 $2" >&2; return 1; }
    echo "${v:-0}"
}
API_KEY=$(head -1 "$KEYS_FILE")

# ---------------------------------------------------------------- 0. Redis serves
# After a restart Redis answers LOADING until its AOF is read (seconds for the full history).
pong=""
for _ in $(seq $((${GF_REDIS_LOAD_SECONDS:-300} * 10))); do
    pong=$(redis-cli -e -h "$RHOST" -p "$RPORT" ping 2>&1) && [ "$pong" = PONG ] && break
    sleep 0.1
done
[ "$pong" = PONG ] || { say "error: Redis does not serve: $pong" >&2; exit 1; }

# ---------------------------------------------------------------- 1. regions catalog
region=""
for _ in $(seq 100); do
    region=$(rcli HGET 'gf:region:{CISO}' name)
    [ -n "$region" ] && break
    sleep 0.1
done
[ -n "$region" ] || { say "error: the regions catalog is not in Redis (is gf-ingestion up?)" >&2; exit 1; }

# ---------------------------------------------------------------- 2. demand history
# Rows Redis holds for the regions of a catalog file (sum of gf:region:{R} rows).
catalog_codes() { tail -n +2 "$1" | cut -d, -f1; }
rows_of() { # codes...
    local sum=0 c v
    for c in "$@"; do
        v=$(rnum HGET "gf:region:{$c}" rows)
        sum=$((sum + v))
    done
    echo "$sum"
}
flags_held() {
    local sum=0 c v
    for c in $(catalog_codes "$DATA/eia930_regions.csv"); do
        v=$(rnum HLEN "gf:dflags:{$c}")
        sum=$((sum + v))
    done
    echo "$sum"
}
data_rows() { echo $(($(wc -l <"$1") - 1)); }

import() { # file query label
    local file=$1 query=$2 label=$3 out="$VAR/logs/first-run-import.json" st
    mkdir -p "$VAR/logs"
    say "importing $label ($(du -h "$file" | cut -f1), $(data_rows "$file") rows) ..."
    # curl's progress bar shows the upload; the service answers when every row is written.
    st=$(curl -# -o "$out" -w '%{http_code}' --max-time 600 -X POST -H "X-API-Key: $API_KEY" \
        -H 'Content-Type: text/csv' --data-binary "@$file" "$GW/api/ingestion/$query") || st=000
    if [ "$st" != 200 ]; then
        say "error: import of $label failed (HTTP $st): $(head -c 400 "$out" 2>/dev/null)" >&2
        return 1
    fi
    say "  $(jq -r '"\(.accepted) rows (\(.new) new, \(.rejected) rejected) in \(.seconds * 100 | round / 100) s"' "$out")"
}

eia_codes=$(catalog_codes "$DATA/eia930_regions.csv")
# Each count in a variable first: a failed read then stops the run (set -e), where inside
# [ ] it would compare as false and start an import.
# shellcheck disable=SC2086
held=$(rows_of $eia_codes)
if [ "$held" -ge "$(data_rows "$DATA/eia930_train.csv")" ]; then
    say "EIA-930 history already imported ($held rows); skipped"
else
    import "$DATA/eia930_train.csv" "demand?hour_ending=true" "EIA-930 hourly demand, 54 balancing authorities"
fi
held=$(flags_held)
if [ "$held" -ge "$(data_rows "$DATA/eia930_train_flags.csv")" ]; then
    say "EIA-930 imputed-hour flags already imported; skipped"
else
    import "$DATA/eia930_train_flags.csv" "demand/flags?hour_ending=true" "EIA-930 imputed-hour flags"
fi
held=$(rows_of NYC)
if [ "$held" -ge "$(data_rows "$DATA/nyc_train.csv")" ]; then
    say "NYC history already imported; skipped"
else
    import "$DATA/nyc_train.csv" "demand" "New York City demand with temperature"
fi

# ---------------------------------------------------------------- 3. first models
if [ -x "$BIN/gf-trainer" ] && "$BIN/gf-trainer" --help 2>&1 | grep -q -- '--once'; then
    # The registry through the trainer's API (never its Redis keys): the models that have a
    # production alias. A failed read stops the run, as a failed Redis read does.
    models="$VAR/logs/first-run-models.json"
    mkdir -p "$VAR/logs"
    st=$(curl -sS -o "$models" -w '%{http_code}' --max-time 30 -H "X-API-Key: $API_KEY" \
        "$GW/api/trainer/models" 2>&1) || st="000 ($st)"
    if [ "$st" != 200 ] || ! jq -e '.models|type == "array"' "$models" >/dev/null 2>&1; then
        say "error: cannot ask the trainer which models exist (GET /api/trainer/models: HTTP $st): $(head -c 300 "$models" 2>/dev/null)" >&2
        exit 1
    fi
    todo=()
    IFS=, read -r -a wanted <<<"$TRAIN_REGIONS"
    for r in "${wanted[@]}"; do
        jq -e --arg n "load:$r" '.models[]|select(.name == $n)|.aliases.production // empty' \
            "$models" >/dev/null || todo+=("$r")
    done
    if [ ${#todo[@]} -eq 0 ]; then
        say "every region already has a production model; training skipped"
    else
        say "training first models for ${todo[*]} (gf-trainer --once) ..."
        # Progress streams to the terminal as each region goes through its stages; JSON log
        # lines of the trainer stay out of it.
        set -o pipefail
        (IFS=,; GF_REDIS_HOST=$RHOST GF_REDIS_PORT=$RPORT OMP_WAIT_POLICY=passive "$BIN/gf-trainer" --once \
            --regions "${todo[*]}") 2>&1 | grep --line-buffered -v '^{' |
            sed -u 's/^/            /' ||
            say "warning: gf-trainer --once failed; train later with POST /api/trainer/jobs" >&2
        set +o pipefail
    fi
else
    say "note: gf-trainer has no --once yet; first models not trained (POST /api/trainer/jobs trains them)"
fi

# ---------------------------------------------------------------- 4. meter simulator
mkdir -p "$VAR/run" "$VAR/logs"
pidf="$VAR/run/meter-sim.pid"
if [ -f "$pidf" ] && pid=$(cat "$pidf") && [[ "$pid" =~ ^[0-9]+$ ]] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q gf-meter-sim; then
    say "meter simulator already running (pid $pid)"
elif [ -x "$BIN/gf-meter-sim" ]; then
    # The simulator is a meter head-end: it gets a key of its own with the ingest scope only,
    # when the gateway's keys store is on this machine (make up), else the operator's key.
    sim_keys=$KEYS_FILE
    store=${GF_KEYCHECK_KEYS_FILE:-$VAR/gateway/keys}
    if [ -f "$store" ]; then
        sim_keys="$VAR/gateway/meter-sim.key"
        if [ ! -s "$sim_keys" ] || ! GF_KEYCHECK_KEYS_FILE=$store bash "$top/scripts/keys.sh" list | grep -q '^meter-sim '; then
            GF_KEYCHECK_KEYS_FILE=$store bash "$top/scripts/keys.sh" revoke meter-sim 2>/dev/null || true
            (umask 077; GF_KEYCHECK_KEYS_FILE=$store bash "$top/scripts/keys.sh" add --scope ingest --name meter-sim >"$sim_keys" 2>/dev/null)
        fi
    fi
    nohup "$BIN/gf-meter-sim" --url "$GW" --api-key-file "$sim_keys" --meters "$SIM_METERS" \
        --quiet >>"$VAR/logs/meter-sim.log" 2>&1 </dev/null &
    echo $! >"$pidf"
    say "meter simulator started: $SIM_METERS meters posting every second (pid $!, log $VAR/logs/meter-sim.log)"
else
    say "note: $BIN/gf-meter-sim is not built; no simulated meters"
fi
