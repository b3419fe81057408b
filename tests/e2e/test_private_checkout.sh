#!/usr/bin/env bash
# A checkout in a private directory, run as root (Debian 12 homes are 0700; so is `mktemp -d`):
# nginx's workers (nobody) cannot enter it, yet they must write request bodies larger than
# client_body_buffer_size to temp files and read the files the gateway serves. The gateway's
# var dir here is this test's $T (0700, as mktemp made it), and the API reference is served
# from inside it too; scripts/render-gateway.sh gives the gateway a runtime directory of its
# own then (lib.sh opens $T to 0711 for the other tests; this one closes it again). As another
# user than root the workers are that user: nothing to test.
E2E_SERVICES="ingestion"
source "$(dirname "$0")/lib.sh"

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

t_var_dir_is_out_of_the_workers_reach() {
    [ "$(stat -c %a "$T")" = 700 ] || fail "$T has mode $(stat -c %a "$T")"
    ! as_nobody test -x "$T" 2>/dev/null || fail "nobody can enter $T"
    ! as_nobody test -r "$T/apidocs/index.html" 2>/dev/null || fail "nobody can read the docs copy"
}

t_large_import_through_the_gateway() {
    # About 8 MB of CSV: twice the ingestion location's client_body_buffer_size (4m), so nginx
    # writes the body to a temp file before passing it on.
    head -c 8000000 "$CSV" | head -n -1 >"$T/big.csv"
    local rows
    rows=$(($(wc -l <"$T/big.csv") - 1))
    [ "$(stat -c %s "$T/big.csv")" -gt $((4 * 1024 * 1024)) ] || fail "body not above the buffer"
    reqk POST "$GW/api/ingestion/demand?hour_ending=true" -H 'Content-Type: text/csv' \
        --data-binary "@$T/big.csv" --max-time 300
    expect_status 200
    expect_json .accepted "$rows"
    ! grep -q 'Permission denied' "$T/logs/nginx-error.log" ||
        fail "nginx: $(grep 'Permission denied' "$T/logs/nginx-error.log" | head -2)"
}

t_served_files_come_from_a_place_the_workers_reach() {
    req GET "$GW/api/docs/"
    expect_status 200
    grep -qi '<html' "$BODY_FILE" || fail "the API reference page is not HTML"
    req GET "$GW/api/openapi.yaml"
    expect_status 200
    grep -q '^openapi:' "$BODY_FILE" || fail "not the OpenAPI document"
    req GET "$GW/"
    expect_status 200
}

t_runtime_dir_is_private_to_the_gateway() {
    local rt
    rt=$(cat "$T/nginx.runtime") || fail "no runtime dir recorded"
    [ "$(stat -c '%U %a' "$rt")" = "root 711" ] || fail "$rt: $(stat -c '%U %a' "$rt")"
    [ "$(stat -c '%U %a' "$rt/temp")" = "nobody 700" ] || fail "$rt/temp: $(stat -c '%U %a' "$rt/temp")"
    [ "$(stat -c '%U' "$rt/static/apidocs/index.html")" = root ] || fail "static copy not root's"
    grep -q "client_body_temp_path $rt/temp/client_body;" "$T/nginx.conf" || fail "temp path not rendered"
}

t_a_reachable_var_dir_keeps_its_temp_files() {
    # 0711: nobody may enter but not list it. That is enough: no runtime dir, no copy.
    local d=$T/open
    mkdir -p "$d"
    chmod 711 "$T" "$d"
    bash "$E2E_TOP/scripts/render-gateway.sh" "$d/nginx.conf" "$d" 1 a b c d e off 2>"$d/render.err"
    chmod 700 "$T"
    [ ! -e "$d/nginx.runtime" ] || fail "a runtime dir for a reachable var dir: $(cat "$d/render.err")"
    grep -q "client_body_temp_path $d/nginx/client_body;" "$d/nginx.conf" || fail "temp path not in var"
    [ "$(stat -c '%U %a' "$d/nginx")" = "nobody 700" ] || fail "$d/nginx: $(stat -c '%U %a' "$d/nginx")"
}

chmod 700 "$T" # as mktemp made it (lib.sh opens it for the other tests)
if [ "$(id -u)" -ne 0 ]; then
    echo "ok - private_checkout # skip: not root, the workers run as this user"
    exit 0
fi
# The API reference from inside the private dir, as a checkout there would serve it.
mkdir -p "$T/apidocs"
if [ -f "$E2E_TOP/build/apidocs/index.html" ]; then
    cp -R "$E2E_TOP/build/apidocs/." "$T/apidocs/"
else
    echo '<html><body>API</body></html>' >"$T/apidocs/index.html"
fi
export GF_APIDOCS_DIR=$T/apidocs
e2e_main
