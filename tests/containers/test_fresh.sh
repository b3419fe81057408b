#!/usr/bin/env bash
# The fresh-machine test (`make test-fresh`; a CI step of .ci/run): the README's two commands,
# `make up` then `make test`, on a machine that has never seen the project. The machine is a
# container of the minimal Debian 12 image (`debootstrap --variant=minbase bookworm`, imported
# by scripts/containers.sh and kept between runs), plus make, sudo and a user account; the
# checkout (tracked and untracked files, not build/ or var/) is copied into that user's home.
# tests/containers/fresh-machine.sh runs the commands there as the user; any package the
# commands fail to install makes them fail. The browser tests are left out inside the container
# (GF_SKIP_BROWSER_TESTS=1; they take minutes), and make compiles on every core (MAKEFLAGS=-jN).
#
#   GF_FRESH_SECONDS       limit for the whole container run (1800)
#   GF_FRESH_COMMANDS      the commands, `|` separated (default "make up|make test")
#   GF_FRESH_APT_CACHE     host directory kept as the container's apt archive between runs
#                          (/var/cache/gridflow-fresh/apt; empty: none). Only downloads are
#                          kept: apt still installs every package the commands ask for.
#
# Machine settings of the host that are not the project's are carried in: the podman limits of
# tests/containers/containers.conf, and the host's local CA certificates
# (/usr/local/share/ca-certificates) with NODE_EXTRA_CA_CERTS when the host sets it, for a
# network that inspects TLS. Output: `ok - …` / `not ok - …` lines; exit status non-zero on failure.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
export CONTAINERS_CONF=${CONTAINERS_CONF:-$TOP/tests/containers/containers.conf}
ENGINE=$(bash scripts/containers.sh engine) || exit 1
NAME=gf-fresh-$$
T=$(mktemp -d /tmp/gf-fresh-machine.XXXXXX)
LIMIT=${GF_FRESH_SECONDS:-1800}
COMMANDS=${GF_FRESH_COMMANDS:-make up|make test}
CACHE=${GF_FRESH_APT_CACHE-/var/cache/gridflow-fresh/apt}
cleanup() {
    "$ENGINE" rm -f "$NAME" >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$SECONDS
if bash scripts/containers.sh base >"$T/base.log" 2>&1; then
    sed 's/^/# /' "$T/base.log"
    echo "ok - minimal bookworm image ($((SECONDS - start)) s)"
else
    cat "$T/base.log"
    echo "not ok - minimal bookworm image"
    exit 1
fi

# The checkout as a clone would have it, with uncommitted work: tracked and untracked files.
git ls-files -z -c -o --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && printf '%s\0' "$f"
done | tar -c -f "$T/checkout.tar" --null -T - || { echo "not ok - checkout archived"; exit 1; }

args=(--name "$NAME" -e "FRESH_COMMANDS=$COMMANDS")
# Both cores for the compiles (the commands stay `make up`, `make test`).
fresh_env="GF_SKIP_BROWSER_TESTS=1 MAKEFLAGS=-j$(nproc)"
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then fresh_env+=" NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS"; fi
args+=(-e "FRESH_ENV=$fresh_env")
if [ -n "$CACHE" ]; then
    mkdir -p "$CACHE"
    args+=(-v "$CACHE:/var/cache/apt/archives")
fi
"$ENGINE" create "${args[@]}" docker.io/library/debian:bookworm \
    bash /tmp/fresh-machine.sh >/dev/null || { echo "not ok - fresh container created"; exit 1; }
"$ENGINE" cp "$T/checkout.tar" "$NAME:/tmp/checkout.tar" &&
    "$ENGINE" cp tests/containers/fresh-machine.sh "$NAME:/tmp/fresh-machine.sh" ||
    { echo "not ok - checkout copied into the container"; exit 1; }
mkdir -p "$T/ca"
for crt in /usr/local/share/ca-certificates/*.crt; do [ -f "$crt" ] && cp "$crt" "$T/ca/"; done
"$ENGINE" cp "$T/ca" "$NAME:/tmp/host-ca" || { echo "not ok - host CA certificates copied"; exit 1; }

echo "# fresh machine $NAME: $COMMANDS (limit $LIMIT s; log tail on failure)"
start=$SECONDS
# In the background, so an interrupt reaches the traps (which remove the container) at once.
timeout "$LIMIT" "$ENGINE" start -a "$NAME" >"$T/run.log" 2>&1 &
wait $!
rc=$?
secs=$((SECONDS - start))
grep -E '^fresh: |^deps: |passed, [0-9]+ failed' "$T/run.log" | sed 's/^/# /'
if [ $rc -eq 124 ]; then
    tail -60 "$T/run.log"
    echo "not ok - README commands on a fresh machine within $LIMIT s (timed out after $secs s)"
    exit 1
fi
failed=0
IFS='|' read -r -a commands <<<"$COMMANDS"
for c in "${commands[@]}"; do
    line=$(grep -E "^fresh: $c exited [0-9]+ after" "$T/run.log" | tail -1)
    if [ -n "$line" ] && [[ "$line" == *" exited 0 after "* ]]; then
        echo "ok - '$c' on a fresh machine (${line##* after })"
    else
        [ $failed = 1 ] || tail -80 "$T/run.log"
        echo "not ok - '$c' on a fresh machine${line:+ (${line#fresh: })}"
        failed=1
    fi
done
[ $rc -eq 0 ] && [ $failed = 0 ]
