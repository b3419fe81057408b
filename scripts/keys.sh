#!/usr/bin/env bash
# The gateway's API keys: add, revoke, list. The keys file holds SHA-256 hashes only (format in
# libs/gateway/include/gateway/apikeys.h); gf-keycheck re-reads it on the next request, so a
# change needs no restart and no reload. A new key is printed once, on stdout, and kept nowhere.
#
#   scripts/keys.sh add --scope ingest[,read,...] [--name NAME]   new key; prints it
#   scripts/keys.sh import --scope SCOPES --name NAME             hash a key read from stdin
#   scripts/keys.sh revoke NAME                                   remove the key called NAME
#   scripts/keys.sh list                                          name, scopes, hash prefix
#
# Scopes: ingest (meter readings, demand imports), read (GETs when the gateway checks reads,
# forecasts/predict, compliance/ask), operate (training, promote/roll back, simulation studies),
# admin (everything). The file: GF_KEYCHECK_KEYS_FILE, else $GF_VAR_DIR/gateway/keys
# (var/gateway/keys). Writers take a lock and replace the file by a rename (never half-written).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
VAR=${GF_VAR_DIR:-$top/var}
FILE=${GF_KEYCHECK_KEYS_FILE:-$VAR/gateway/keys}

die() { echo "keys.sh: $*" >&2; exit 2; }
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

check_scopes() {
    local s
    [ -n "$1" ] || die "--scope is required (ingest, read, operate, admin; comma-separated)"
    IFS=, read -ra parts <<<"$1"
    for s in "${parts[@]}"; do
        case $s in ingest | read | operate | admin) ;; *) die "unknown scope '$s' (ingest, read, operate, admin)" ;; esac
    done
    [[ "$1" != *, && "$1" != ,* && "$1" != *,,* ]] || die "empty scope in '$1'"
}
check_name() {
    [[ "$1" =~ ^[A-Za-z0-9._-]{1,64}$ ]] || die "name '$1' is not 1-64 characters of [A-Za-z0-9._-]"
}

# Run "$@" with the lock held; it writes the new file content to stdout from the old on stdin.
rewrite() {
    mkdir -p "$(dirname "$FILE")"
    (
        umask 077
        exec 9>"$FILE.lock"
        flock 9
        [ -f "$FILE" ] || printf '# GridFlow API keys (scripts/keys.sh): sha256:<hash> <scopes> <name>\n' >"$FILE"
        "$@" <"$FILE" >"$FILE.new.$$"
        chmod 600 "$FILE.new.$$"
        mv -f "$FILE.new.$$" "$FILE"
    )
}

append_line() { cat; printf '%s\n' "$1"; }
has_name() { [ -f "$FILE" ] && awk -v n="$1" '$1 ~ /^sha256:/ && $3 == n { f = 1 } END { exit !f }' "$FILE"; }

add_key() { # key scopes name
    local hash line
    hash=$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)
    line="sha256:$hash $2 $3"
    if [ -f "$FILE" ] && grep -q "^sha256:$hash " "$FILE"; then die "this key is already in $FILE"; fi
    has_name "$3" && die "a key named '$3' exists; revoke it first or pick another name"
    rewrite append_line "$line"
}

cmd=${1:-}
[ -n "$cmd" ] || usage
shift
scope="" name=""
case $cmd in
add | import)
    while [ $# -gt 0 ]; do
        case $1 in
        --scope) scope=${2:-}; shift 2 || usage ;;
        --scope=*) scope=${1#--scope=}; shift ;;
        --name) name=${2:-}; shift 2 || usage ;;
        --name=*) name=${1#--name=}; shift ;;
        *) usage ;;
        esac
    done
    check_scopes "$scope"
    if [ "$cmd" = add ]; then
        key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
        [ -n "$name" ] || name="key-$(date -u +%Y%m%d%H%M%S)-$RANDOM"
        check_name "$name"
        add_key "$key" "$scope" "$name"
        echo "keys.sh: added '$name' ($scope) to $FILE; the key (shown once):" >&2
        printf '%s\n' "$key"
    else
        [ -n "$name" ] || die "--name is required"
        check_name "$name"
        IFS= read -r key || true
        [[ "$key" =~ ^[A-Za-z0-9._-]{16,128}$ ]] || die "the key on stdin is not 16-128 characters of [A-Za-z0-9._-]"
        add_key "$key" "$scope" "$name"
        echo "keys.sh: imported '$name' ($scope) into $FILE" >&2
    fi
    ;;
revoke)
    [ $# -eq 1 ] || usage
    check_name "$1"
    has_name "$1" || die "no key named '$1' in $FILE"
    drop() { awk -v n="$1" '!($1 ~ /^sha256:/ && $3 == n)'; }
    rewrite drop "$1"
    echo "keys.sh: revoked '$1'" >&2
    ;;
list)
    [ -f "$FILE" ] || exit 0
    awk '$1 ~ /^sha256:/ { printf "%-24s %-28s %s...\n", $3, $2, substr($1, 1, 19) }' "$FILE"
    ;;
*) usage ;;
esac
