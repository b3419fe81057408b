#!/usr/bin/env bash
# Render gateway/nginx.conf.in into a runnable config.
#   render-gateway.sh OUT VARDIR GW_PORT ING_ADDR TRN_ADDR FC_ADDR SIM_ADDR CMP_ADDR DAEMON(on|off)
# (an ADDR may be host:port,host:port,... for several instances of a service)
# The dashboard root is gateway/dashboard/dist when it has been built, else a plain page.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$1 var=$2 port=$3 ing=$4 trn=$5 fc=$6 sim=$7 cmp=$8 daemon=$9
# An address may be a comma-separated list: one upstream server each (several instances).
ing=${ing//,/; server } trn=${trn//,/; server } fc=${fc//,/; server }
sim=${sim//,/; server } cmp=${cmp//,/; server }
root="$top/gateway/placeholder"
[ -f "$top/gateway/dashboard/dist/index.html" ] && root="$top/gateway/dashboard/dist"
proto="$top/proto"
# The API reference page (/api/docs): built once from tests/contract's node_modules.
apidocs=${GF_APIDOCS_DIR:-$top/build/apidocs}
[ -f "$apidocs/index.html" ] || QUIET=1 bash "$top/scripts/build-apidocs.sh" "$apidocs" >&2 || true
user_line=""
temp="$var/nginx"
if [ "$(id -u)" -eq 0 ]; then
    # As root, nginx's workers run as "nobody" (never as root: they parse what clients send).
    # They write request bodies above client_body_buffer_size to temp files and read the
    # files they serve. A checkout or var dir inside a private directory (a 0700 home, a
    # `mktemp -d`) is out of their reach, and loosening its mode is not ours to do: then the
    # gateway gets a runtime directory of its own under /var/tmp (GF_GATEWAY_RUNTIME_BASE):
    # root-owned and traversable (0711), its temp/ owned by nobody (0700), static/ a copy of
    # what it serves, refreshed at every render. Its path is kept in $var/nginx.runtime, and
    # `make down` removes it.
    user_line="user nobody nogroup;"
    reach() { # path: nobody can enter it (a directory) or read it (a file)
        setpriv --reuid=nobody --regid=nogroup --clear-groups \
            sh -c 'if [ -d "$1" ]; then test -x "$1"; else test -r "$1"; fi' _ "$1" 2>/dev/null
    }
    mkdir -p "$var"
    private=0
    for p in "$var" "$root" "$root/index.html" "$proto/openapi.yaml" "$apidocs/index.html"; do
        [ -e "$p" ] || continue
        reach "$p" || private=1
    done
    if [ $private = 1 ]; then
        rt=$(cat "$var/nginx.runtime" 2>/dev/null || true)
        if [[ "$rt" != */gridflow-gateway.* ]] || [ ! -d "$rt" ] || [ -L "$rt" ] ||
            [ "$(stat -c %u "$rt")" != 0 ]; then
            rt=$(mktemp -d "${GF_GATEWAY_RUNTIME_BASE:-/var/tmp}/gridflow-gateway.XXXXXX")
            echo "$rt" >"$var/nginx.runtime"
        fi
        chmod 711 "$rt"
        rm -rf "$rt/static"
        mkdir -p "$rt/static/proto"
        cp -R "$root" "$rt/static/dashboard"
        cp "$proto/openapi.yaml" "$rt/static/proto/"
        if [ -d "$apidocs" ]; then cp -R "$apidocs" "$rt/static/apidocs"; fi
        chmod -R u=rwX,go=rX "$rt/static"
        root="$rt/static/dashboard" proto="$rt/static/proto" apidocs="$rt/static/apidocs"
        temp="$rt/temp"
        echo "gateway     $var is private: temp files and served files in $rt" >&2
    fi
fi
mkdir -p "$var/logs" "$temp/client_body" "$temp/proxy" "$temp/fastcgi" "$temp/uwsgi" "$temp/scgi"
if [ "$(id -u)" -eq 0 ]; then chown -R nobody:nogroup "$temp"; chmod 700 "$temp"; fi
# API keys: nginx asks gf-keycheck (GF_KEYCHECK_ADDR, 127.0.0.1:8106) about each request that
# needs a key; gf-keycheck reads the hashed keys file (GF_KEYCHECK_KEYS_FILE; scripts/keys.sh).
keycheck=${GF_KEYCHECK_ADDR:-127.0.0.1:8106}
keys_file=${GF_KEYCHECK_KEYS_FILE:-$var/gateway/keys}
# Seconds a limit_req zone takes to refill one request ("200r/s" -> 1, "10r/m" -> 6): the
# Retry-After of its 429s, at least 1.
refill_s() {
    awk -v r="$1" 'BEGIN { n = r + 0; per = (r ~ /r\/m$/) ? 60 : 1;
        if (n <= 0) { print 60; exit } s = per / n; c = int(s); if (c < s) c++; if (c < 1) c = 1; print c }'
}
read_rate=${GF_GATEWAY_READ_RATE:-200r/s}
write_rate=${GF_GATEWAY_WRITE_RATE:-50r/s}
expensive_rate=${GF_GATEWAY_EXPENSIVE_RATE:-100r/m}
ingest_rate=${GF_GATEWAY_INGEST_RATE:-2000r/s}
cors=""
for o in ${GF_CORS_ORIGINS:-http://127.0.0.1:5173 http://localhost:5173}; do
    cors+="        \"$o\" \$http_origin;\n"
done
sed -e "s|@VAR@|$var|g" -e "s|@GW_PORT@|$port|g" -e "s|@GW_BIND@|${GF_GATEWAY_BIND:-127.0.0.1}|g" \
    -e "s|@INGESTION_ADDR@|$ing|g" -e "s|@TRAINER_ADDR@|$trn|g" -e "s|@FORECAST_ADDR@|$fc|g" \
    -e "s|@SIMULATION_ADDR@|$sim|g" -e "s|@COMPLIANCE_ADDR@|$cmp|g" -e "s|@DAEMON@|$daemon|g" \
    -e "s|@WORKERS@|${GF_GATEWAY_WORKERS:-2}|g" -e "s|@USER_LINE@|$user_line|g" \
    -e "s|@DASHBOARD_ROOT@|$root|g" -e "s|@KEYCHECK_ADDR@|$keycheck|g" -e "s|@KEYS_FILE@|$keys_file|g" \
    -e "s|@READ_AUTH@|${GF_GATEWAY_READ_AUTH:-0}|g" -e "s|@READ_RATE@|$read_rate|g" \
    -e "s|@READ_RETRY@|$(refill_s "$read_rate")|g" -e "s|@WRITE_RETRY@|$(refill_s "$write_rate")|g" \
    -e "s|@EXPENSIVE_RETRY@|$(refill_s "$expensive_rate")|g" \
    -e "s|@INGEST_RETRY@|$(refill_s "$ingest_rate")|g" \
    -e "s|@READ_BURST@|${GF_GATEWAY_READ_BURST:-400}|g" \
    -e "s|@WRITE_RATE@|$write_rate|g" \
    -e "s|@WRITE_BURST@|${GF_GATEWAY_WRITE_BURST:-100}|g" \
    -e "s|@EXPENSIVE_RATE@|$expensive_rate|g" \
    -e "s|@INGEST_RATE@|$ingest_rate|g" \
    -e "s|@READ_TIMEOUT@|${GF_GATEWAY_READ_TIMEOUT:-30s}|g" \
    -e "s|@LONG_READ_TIMEOUT@|${GF_GATEWAY_LONG_READ_TIMEOUT:-120s}|g" \
    -e "s|@PROTO_DIR@|$proto|g" -e "s|@TEMP_DIR@|$temp|g" -e "s|@APIDOCS_DIR@|$apidocs|g" \
    -e "s|@CORS_MAP@|$cors|g" "$top/gateway/nginx.conf.in" > "$out"
