#!/usr/bin/env bash
# Ingestion end to end: readings/s accepted (new readings, not duplicates) for batches of
# 1,000 through the gateway (and straight to the service) with wrk, Redis with AOF everysec;
# then the EIA-930 history (1.42 M rows, 43 MB) imported through the API; the service's RSS
# under load. Starts its own Redis, gf-ingestion and nginx on free loopback ports (the e2e
# harness) and prints a markdown table.
#   tests/bench/bench_ingest.sh [seconds] [connections]
# Every request body is built by the wrk Lua script from one 1,000-reading template with a
# timestamp no other request uses (a millisecond counter interleaved across wrk threads), so
# every reading is new: duplicates are much cheaper and would flatter the figure.
set -u
DUR=${1:-15}
CONN=${2:-8}
THREADS=2
E2E_SERVICES=ingestion
# The gateway limits every request per API key (reads zone, 200 r/s by default) and writes on
# /api/ingestion/ (2000 r/s): lift both, a load test comes from one key.
export GF_GATEWAY_INGEST_RATE=100000r/s GF_GATEWAY_READ_RATE=1000000r/s GF_GATEWAY_READ_BURST=100000
source "$(dirname "$0")/../e2e/lib.sh"
chmod 711 "$T" # nginx workers buffer large bodies under $T/nginx
start_redis >/dev/null
GF_LOG_LEVEL=${BENCH_LOG_LEVEL:-warn} start_service ingestion GF_LOG_LEVEL=info
start_gateway
wait_ready ingestion 30
PID=${PID_OF[ingestion]}

rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, clock ticks
TCK=$(getconf CLK_TCK)
cat >"$T/post.lua" <<'LUA'
local nthreads, threads = tonumber(os.getenv("BENCH_THREADS")), {}
local base_ms = tonumber(os.getenv("BENCH_BASE_MS"))
local key = os.getenv("BENCH_API_KEY")
local path = os.getenv("BENCH_PATH")
counter, accepted, dup, bad, pieces = 0, 0, 0, 0, {} -- globals: done() reads them with thread:get
local regions = {"CISO", "ERCO", "ISNE", "MISO", "NYIS", "PJM", "SWPP"}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  local parts, cur = {}, "["
  for i = 0, 999 do
    if i > 0 then cur = cur .. "," end
    cur = cur .. string.format('{"meter_id":"bench-%04d","ts":"', i)
    table.insert(parts, cur)
    cur = string.format('","region":"%s","kwh":0.0%03d,"kw":%d.25,"voltage_v":231.5}',
                        regions[i % 7 + 1], i % 1000, i % 9)
  end
  table.insert(parts, cur .. "]")
  pieces = parts
end
function request()
  local k = tid + nthreads * counter
  counter = counter + 1
  local ms = base_ms + k
  local ts = os.date("!%Y-%m-%dT%H:%M:%S", math.floor(ms / 1000)) .. string.format(".%03dZ", ms % 1000)
  return wrk.format("POST", path, {["Content-Type"] = "application/json", ["X-API-Key"] = key},
                    table.concat(pieces, ts))
end
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if bad == 1 then io.stderr:write("first non-200: " .. status .. " " .. string.sub(body, 1, 200) .. "\n") end
    return
  end
  accepted = accepted + tonumber(string.match(body, '"accepted":(%d+)'))
  dup = dup + tonumber(string.match(body, '"duplicate":(%d+)'))
end
function done(summary, latency, requests)
  local a, d, b = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted"); d = d + t:get("dup"); b = b + t:get("bad")
  end
  local s = summary.duration / 1e6
  io.write(string.format("RESULT %.0f %.0f %d %d %.1f %.1f %.3f\n", a / s, summary.requests / s,
    d, b, latency:percentile(50) / 1000, latency:percentile(99) / 1000, s))
end
LUA

run_wrk() { # url base_ms -> "readings/s | batches/s | p50 ms | p99 ms | duplicates | non-200 | peak RSS | CPU"
    local url=$1 peak=0 r t0 r0 s0 t1
    t0=$(date +%s.%N) r0=$(cpu_ticks "${PID_OF[redis]}") s0=$(cpu_ticks "$PID")
    (while sleep 1; do rss_kb "$PID"; done >"$T/rss") &
    local sampler=$!
    BENCH_THREADS=$THREADS BENCH_BASE_MS=$2 BENCH_API_KEY=$API_KEY BENCH_PATH=/${url#http://*/} \
        wrk -t$THREADS -c"$CONN" -d"${DUR}s" --latency -s "$T/post.lua" "$url" >"$T/wrk.out" 2>&1
    grep "^first non-200" "$T/wrk.out" >&2
    kill "$sampler" 2>/dev/null
    wait "$sampler" 2>/dev/null
    t1=$(date +%s.%N)
    local cpu
    cpu=$(awk -v a="$t0" -v b="$t1" -v r="$(($(cpu_ticks "${PID_OF[redis]}") - r0))" \
        -v s="$(($(cpu_ticks "$PID") - s0))" -v k="$TCK" \
        'BEGIN { printf "%.0f %% / %.0f %%", 100 * r / k / (b - a), 100 * s / k / (b - a) }')
    peak=$(sort -n "$T/rss" | tail -1)
    r=$(grep '^RESULT' "$T/wrk.out") || { cat "$T/wrk.out" >&2; return 1; }
    set -- $r
    printf '%s | %s | %s | %s | %s | %s | %s MB | %s' "$2" "$3" "$6" "$7" "$4" "$5" "$((peak / 1024))" "$cpu"
}

now_ms=$(($(date +%s) * 1000))
idle=$(rss_kb "$PID")
echo "| load | readings/s accepted (new) | batches/s | p50 ms | p99 ms | duplicates | non-200 | service RSS peak | CPU of a core: redis / service |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
# Two disjoint timestamp ranges (an hour apart) so the runs never overlap.
echo "| gateway POST /api/ingestion/readings, 1,000/batch, $CONN conns | $(run_wrk "$GW/api/ingestion/readings" $((now_ms - 3 * 3600 * 1000))) |"
echo "| direct POST /v1/readings, 1,000/batch, $CONN conns | $(run_wrk "http://127.0.0.1:${PORT_OF[ingestion]}/v1/readings" $((now_ms - 2 * 3600 * 1000))) |"
echo
redis-cli -p "$REDIS_PORT" INFO memory | awk -F: '/^used_memory_human/{print "Redis used memory after the readings runs: " $2}' | tr -d '\r'
echo "gf-ingestion RSS: idle ${idle} kB, after the readings runs $(rss_kb "$PID") kB"
echo

F="$E2E_TOP/services/ingestion/data/eia930_train.csv"
ROWS=$(($(wc -l <"$F") - 1))
echo "| import through the gateway | rows | seconds (client) | rows/s | new | service-side s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for pass in first re-import; do
    t0=$(date +%s.%N)
    st=$(curl -s -o "$T/imp.json" -w '%{http_code}' -X POST -H "X-API-Key: $API_KEY" \
        -H 'Content-Type: text/csv' --data-binary "@$F" "$GW/api/ingestion/demand?hour_ending=true")
    t1=$(date +%s.%N)
    [ "$st" = 200 ] || { echo "import failed: $st $(head -c 300 "$T/imp.json")"; break; }
    awk -v a="$t0" -v b="$t1" -v n="$ROWS" -v p="$pass" -v new="$(jq -r .new "$T/imp.json")" \
        -v s="$(jq -r .seconds "$T/imp.json")" \
        'BEGIN { printf "| EIA-930 history, %s | %d | %.2f | %.0f | %d | %.2f |\n", p, n, b - a, n / (b - a), new, s }'
done
echo
echo "gf-ingestion RSS after the imports: $(rss_kb "$PID") kB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
