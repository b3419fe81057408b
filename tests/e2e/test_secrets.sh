#!/usr/bin/env bash
# No secret leaves the suite: recognisable secrets are set wherever the suite accepts one (the EIA
# API key, the Open-Meteo API key, the LLM bearer key, a password and a token in the LLM URL, the gateway's API keys);
# every route is exercised, the EIA and Open-Meteo pullers and the LLM call fail (unreachable); then every
# response body and header, every log file, the Redis data (job documents included) and every
# other file of the run is searched for them. Also: the EIA puller over https:// against a local
# TLS terminator in front of the fake EIA API (certificate checked; refused when untrusted).
EIA_KEY=badEIAKEY-7Q3Z9X1W5V      # "bad…": the fake EIA quotes a refused key in its error
LLM_KEY=LLMSECRET-4K8M2N6P
WX_KEY=WXSECRET-5H1J7L3C
LLM_PASS=LLMPASS-9R7T5Y3U
LLM_TOKEN=LLMQUERY-2B4D6F8H
# The ingestion of the stack pulls from closed ports (EIA and Open-Meteo unreachable), the compliance service
# calls an LLM at a closed port with a password and a token in its URL.
E2E_ENV="GF_INGEST_EIA_API_KEY=$EIA_KEY GF_INGEST_EIA_URL=http://127.0.0.1:1/v2/electricity/rto/region-data/data/
GF_INGEST_EIA_INTERVAL_S=1 GF_COMPLIANCE_LLM_API_KEY=$LLM_KEY
GF_INGEST_WX_REGIONS=NYC=40.71,-74.01 GF_INGEST_WX_API_KEY=$WX_KEY
GF_INGEST_WX_URL=http://127.0.0.1:1/v1/forecast GF_INGEST_WX_INTERVAL_S=1
GF_COMPLIANCE_LLM_URL=http://llm:$LLM_PASS@127.0.0.1:1/v1?token=$LLM_TOKEN"
source "$(dirname "$0")/lib.sh"

mkdir -p "$T/responses"
# Keep every response (body and headers) for the search at the end.
keep() {
    local n
    n=$(mktemp -u "$T/responses/XXXXXXXX")
    cp "$BODY_FILE" "$n.body"
    cp "$HDR_FILE" "$n.headers"
}

t_eia_error_is_reported_without_the_key() {
    local i
    for i in $(seq 100); do
        req GET "$GW/api/ingestion/summary"
        keep
        [ "$(jq_body '.eia.pulls_failed')" -ge 1 ] 2>/dev/null && break
        sleep 0.1
    done
    expect_json '.eia.last_error.code' upstream_unavailable
    # The message still says where it failed (the redacted URL), without the key.
    jq_body .eia.last_error.message | grep -q 'http://127.0.0.1:1/v2/electricity/rto/region-data/data/?api_key=\*\*\*&' ||
        fail "message: $(jq_body .eia.last_error.message)"
    grep -q "eia_pull_failed.*api_key=\*\*\*" "$T/ingestion.log" || fail "no redacted eia_pull_failed log line"
}

t_eia_key_quoted_back_by_eia_is_removed() {
    # A second instance against the fake EIA, which quotes the refused key in its error text.
    start_service ing-fake-eia || fail "fake EIA did not start"
    local fake="http://127.0.0.1:${PORT_OF[ing-fake-eia]}/v2/electricity/rto/region-data/data"
    mv "$T/ingestion.log" "$T/ingestion-stack.log"
    start_service ingestion GF_INGEST_EIA_API_KEY="$EIA_KEY" GF_INGEST_EIA_URL="$fake" \
        GF_INGEST_EIA_RESPONDENTS=ERCO GF_INGEST_EIA_INTERVAL_S=1
    local port=$INGESTION_PORT pid=${PID_OF[ingestion]} i
    for i in $(seq 50); do
        req GET "http://127.0.0.1:$port/v1/summary"
        keep
        [ "$(jq_body '.eia.pulls_failed')" -ge 1 ] 2>/dev/null && break
        sleep 0.1
    done
    expect_json '.eia.last_error.code' eia_api_key
    jq_body .eia.last_error.message | grep -q 'supplied: \*\*\*' || fail "message: $(jq_body .eia.last_error.message)"
    kill -TERM "$pid"
    wait "$pid" || fail "second instance did not exit cleanly"
    mv "$T/ingestion.log" "$T/ingestion-fake.log"
}

t_every_route_answers() {
    local s p
    for s in ingestion trainer forecast simulation compliance; do
        for p in info healthz readyz metrics; do
            req GET "$GW/api/$s/$p"
            keep
            [ "$STATUS" = 200 ] || [ "$STATUS" = 503 ] || fail "GET /api/$s/$p: $STATUS"
        done
    done
    for p in ingestion/regions ingestion/anomalies "ingestion/demand?region=PJM" trainer/jobs \
        trainer/models forecast/models/loaded "forecast/forecast?region=PJM&horizon=2" \
        simulation/cases compliance/documents; do
        req GET "$GW/api/$p"
        keep
    done
    # The LLM call fails (closed port): the answer falls back, naming no URL, key or password.
    reqk POST "$GW/api/compliance/ask" -H 'Content-Type: application/json' \
        -d '{"question":"What must a transmission system operator publish?"}'
    keep
    expect_status 200
    reqk POST "$GW/api/trainer/jobs" -H 'Content-Type: application/json' -d '{"regions":["PJM"]}'
    keep
    reqk POST "$GW/api/ingestion/readings" -H 'Content-Type: application/json' -d '[]'
    keep
    # Keys made and used through the gateway.
    local k
    k=$(bash "$E2E_TOP/scripts/keys.sh" add --scope ingest --name secrets-test 2>/dev/null)
    echo "$k" >>"$T/.gateway-keys-made" # not a log: removed before the search below
    req POST "$GW/api/trainer/jobs" -H "X-API-Key: $k" -H 'Content-Type: application/json' -d '{}'
    keep
    expect_status 403
    req GET "$GW/api/nope" -H "X-API-Key: $k"
    keep
    # The start line's configuration shows the LLM URL without password or token.
    grep -m1 '"evt":"start"' "$T/compliance.log" | grep -q 'http://127.0.0.1:1/v1?token=\*\*\*' ||
        fail "start line: $(grep -m1 '"evt":"start"' "$T/compliance.log" | head -c 600)"
}

t_no_secret_anywhere_in_the_run() {
    # Everything this run wrote: responses, logs, Redis (AOF: job documents, anomalies...),
    # nginx's files. Not: the operator's own clear copy of the test key (api-keys), which is the
    # one place make up keeps a key on purpose, and the list of keys this file made.
    redis-cli -p "$REDIS_PORT" BGREWRITEAOF >/dev/null 2>&1 || true
    sleep 1
    local secrets=("$EIA_KEY" "$WX_KEY" "$LLM_KEY" "$LLM_PASS" "$LLM_TOKEN" "$API_KEY")
    local k
    while read -r k; do secrets+=("$k"); done <"$T/.gateway-keys-made"
    local s hits=""
    for s in "${secrets[@]}"; do
        hits+=$(grep -rlaF --exclude=api-keys --exclude=.gateway-keys-made --exclude=pids -- "$s" "$T" 2>/dev/null | sed "s|^|  ${s:0:6}… in |")
    done
    [ -z "$hits" ] || fail "secrets found:"$'\n'"$hits"
    local n
    n=$(find "$T/responses" -name '*.body' | wc -l)
    # 20 probes + 9 reads + 5 writes + at least one summary poll in each EIA test.
    [ "$n" -ge 36 ] || fail "only $n responses kept"
    ls "$T"/*.log "$T"/logs/*.log >/dev/null || fail "no logs searched"
}

t_eia_over_https_with_certificate_check() {
    # A TLS terminator (nginx) on loopback in front of the fake EIA API, with a certificate for
    # localhost/127.0.0.1 from a throw-away CA-less self-signed pair.
    local d="$T/tls" port fake_port=${PORT_OF[ing-fake-eia]:-}
    [ -n "$fake_port" ] || { start_service ing-fake-eia || fail "fake EIA"; fake_port=${PORT_OF[ing-fake-eia]}; }
    mkdir -p "$d/logs"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/key.pem" -out "$d/cert.pem" -days 1 \
        -subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' 2>/dev/null ||
        fail "openssl could not make a certificate"
    port=$(free_port)
    cat >"$d/nginx.conf" <<EOF
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
daemon off;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $d/body; proxy_temp_path $d/proxy; fastcgi_temp_path $d/fcgi;
    uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $d/cert.pem;
        ssl_certificate_key $d/key.pem;
        location / { proxy_pass http://127.0.0.1:$fake_port; }
    }
}
EOF
    nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" &
    echo "tls-nginx $!" >>"$T/pids"
    for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    local url="https://localhost:$port/v2/electricity/rto/region-data/data" host i pid
    [ -f "$T/ingestion.log" ] && mv "$T/ingestion.log" "$T/ingestion-prev.log"
    # Trusted (SSL_CERT_FILE, as OpenSSL's default verify paths read it): rows arrive.
    for host in 127.0.0.1 localhost; do
        start_service ingestion GF_INGEST_EIA_API_KEY=goodkey-0123456789 \
            GF_INGEST_EIA_URL="https://$host:$port/v2/electricity/rto/region-data/data" \
            GF_INGEST_EIA_RESPONDENTS=ERCO GF_INGEST_EIA_LOOKBACK_H=4 SSL_CERT_FILE="$d/cert.pem"
        pid=${PID_OF[ingestion]}
        for i in $(seq 100); do
            req GET "http://127.0.0.1:$INGESTION_PORT/v1/summary"
            [ "$(jq_body '.eia.pulls_ok + .eia.pulls_failed')" -ge 1 ] 2>/dev/null && break
            sleep 0.1
        done
        expect_json '.eia.pulls_ok >= 1' true || fail "https://$host: $(cat "$d/logs/error.log")"
        expect_json '.eia.rows >= 4' true
        kill -TERM "$pid"
        wait "$pid" || fail "https instance did not exit cleanly"
        mv "$T/ingestion.log" "$T/ingestion-https-$host.log"
    done
    # Untrusted certificate (no SSL_CERT_FILE): refused, with the TLS reason, no rows.
    start_service ingestion GF_INGEST_EIA_API_KEY=goodkey-0123456789 GF_INGEST_EIA_URL="$url" \
        GF_INGEST_EIA_RESPONDENTS=ERCO GF_INGEST_EIA_LOOKBACK_H=4
    pid=${PID_OF[ingestion]}
    for i in $(seq 100); do
        req GET "http://127.0.0.1:$INGESTION_PORT/v1/summary"
        [ "$(jq_body '.eia.pulls_failed')" -ge 1 ] 2>/dev/null && break
        sleep 0.1
    done
    expect_json '.eia.pulls_ok' 0
    expect_json '.eia.last_error.code' upstream_unavailable
    jq_body .eia.last_error.message | grep -q 'certificate verify failed' ||
        fail "message: $(jq_body .eia.last_error.message)"
    kill -TERM "$pid"
    wait "$pid" || fail "untrusted instance did not exit cleanly"
    mv "$T/ingestion.log" "$T/ingestion-https-untrusted.log"
}

e2e_main
