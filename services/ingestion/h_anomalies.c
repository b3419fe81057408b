/*
 * h_anomalies.c - anomaly detection in real time, the stored anomaly index and
 * GET /v1/anomalies.
 *
 * Two sources:
 *  - meters: every readings batch runs ing_anomaly_meters over its rejected readings
 *    (physically implausible values) and stores the records at once (h_readings.c calls
 *    ing_anomaly_store_async; fire and forget on the async connection);
 *  - regions: a timer on the loop queues a scan every GF_INGEST_ANOMALY_INTERVAL_S (none
 *    while the last one is still going) on a one-thread kit pool (core/pool.h); the scan,
 *    with that thread's blocking Redis connection, runs ing_anomaly_series per catalog
 *    region over (a) the
 *    aggregated meter tier gf:agg:{R}:hour (energy of new readings per region-hour, complete
 *    hours only) and (b) the hourly demand series gf:demand:{R} (imports and the EIA
 *    puller), checking the last GF_INGEST_ANOMALY_LOOKBACK_H hours against the same hour of
 *    the week over the previous weeks.
 *
 * Storage, per region (one Lua script per region, atomic, every key tagged {R} and
 * declared in KEYS): gf:anomalies:{R} (zset, score = last seen, member = id),
 * gf:anomalies:{R}:<type> (the same per type), gf:anomaly:{R}:data (hash id -> JSON).
 * Regional spike/drop: a stable id "<type>:<region>:<source>:<t>", so a re-detection adds
 * nothing. Meter records are episodes: id "meter_implausible:<region>:meters:<meter>" is
 * the meter's open episode (first_seen, last_seen, count, the worst value); a reading more
 * than GF_INGEST_ANOMALY_CLEAR_S after its last_seen closes it (renamed to
 * "<id>:<last seen epoch>") and opens a new one. Caps: GF_INGEST_ANOMALY_MAX records per
 * region and type, least recently seen out first, so one noisy meter type cannot evict a
 * region's spikes and drops. Readers combine the regions (GET /v1/anomalies without a
 * region, the summary's open_anomalies).
 */
#include "ing_app.h"

#include "core/log.h"
#include "core/metrics.h"
#include "core/region.h"
#include "core/util.h"
#include "features/demand.h"
#include "ing_demand.h"
#include "ing_keys.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static gf_metric_t *m_anoms, *m_scans;

void ing_anomaly_metrics_init(void)
{
    m_anoms = gf_metric_counter("gf_ingestion_anomalies_total",
                                "Anomalies detected (and stored), by type and severity.",
                                "type,severity");
    m_scans = gf_metric_counter("gf_ingestion_anomaly_scans_total",
                                "Regional anomaly scans by result.", "result");
}

static const char store_src[] =
    "local cap, clear, added, touched = tonumber(ARGV[1]), tonumber(ARGV[2]), 0, {}\n"
    "local function put(tk, id, sc, js)\n"
    "  redis.call('HSET', KEYS[2], id, js)\n"
    "  redis.call('ZADD', tk, sc, id)\n"
    "  redis.call('ZADD', KEYS[1], sc, id)\n"
    "end\n"
    "for i = 3, #ARGV, 6 do\n"
    "  local id, k, t0, t1, ep, js = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), ARGV[i + 4], ARGV[i + 5]\n"
    "  local tk = KEYS[k]\n"
    "  touched[k] = true\n"
    "  if ep == '1' then\n"
    "    local last = redis.call('ZSCORE', tk, id)\n"
    "    local cur = last and redis.call('HGET', KEYS[2], id)\n"
    "    if last and (not cur or t0 - tonumber(last) > clear) then\n"
    "      redis.call('ZREM', tk, id)\n"
    "      redis.call('ZREM', KEYS[1], id)\n"
    "      redis.call('HDEL', KEYS[2], id)\n"
    "      if cur then\n"
    "        local o = cjson.decode(cur)\n"
    "        o.id = id .. ':' .. last\n"
    "        put(tk, o.id, last, cjson.encode(o))\n"
    "      end\n"
    "      last = nil\n"
    "    end\n"
    "    if last then\n"
    "      local o, n = cjson.decode(cur), cjson.decode(js)\n"
    "      if n.first_seen < o.first_seen then o.first_seen = n.first_seen; o.t = n.t end\n"
    "      if n.last_seen > o.last_seen then o.last_seen = n.last_seen end\n"
    "      o.count = o.count + n.count\n"
    "      if n.score > o.score then\n"
    "        o.score, o.actual, o.expected, o.field = n.score, n.actual, n.expected, n.field\n"
    "      end\n"
    "      if n.severity == 'critical' then o.severity = 'critical' end\n"
    "      put(tk, id, math.max(tonumber(last), t1), cjson.encode(o))\n"
    "    else\n"
    "      put(tk, id, t1, js)\n"
    "      added = added + 1\n"
    "    end\n"
    "  elseif redis.call('ZADD', tk, 'NX', t1, id) == 1 then\n"
    "    put(tk, id, t1, js)\n"
    "    added = added + 1\n"
    "  end\n"
    "end\n"
    "for k in pairs(touched) do\n"
    "  local n = redis.call('ZCARD', KEYS[k])\n"
    "  if n > cap then\n"
    "    local old = redis.call('ZRANGE', KEYS[k], 0, n - cap - 1)\n"
    "    for s = 1, #old, 1000 do\n"
    "      local e = math.min(s + 999, #old)\n"
    "      redis.call('ZREM', KEYS[1], unpack(old, s, e))\n"
    "      redis.call('HDEL', KEYS[2], unpack(old, s, e))\n"
    "    end\n"
    "    redis.call('ZREMRANGEBYRANK', KEYS[k], 0, n - cap - 1)\n"
    "  end\n"
    "end\n"
    "return added\n";

/* KEYS: gf:anomalies:{R}, gf:anomaly:{R}:data. ARGV: max, min, limit. Returns
 * [json, score, json, score, ...] newest first (json "" for a record trimmed meanwhile,
 * which cannot happen: the script is atomic). */
static const char query_src[] =
    "local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES', 'LIMIT', 0, ARGV[3])\n"
    "if #ids == 0 then return {} end\n"
    "local names = {}\n"
    "for i = 1, #ids, 2 do names[#names + 1] = ids[i] end\n"
    "local js, out = redis.call('HMGET', KEYS[2], unpack(names)), {}\n"
    "for i = 1, #names do out[#out + 1] = js[i] or ''; out[#out + 1] = ids[2 * i] end\n"
    "return out\n";

/* KEYS index of a type's zset in the store script. */
static int type_key(int type)
{
    return type == ING_AN_SPIKE ? 3 : type == ING_AN_DROP ? 4 : 5;
}

/* The command storing records a[0..n) of ONE region (source "meters" or "demand"). */
static void build_store(ing_cmd_t *cmd, size_t cap, int clear_s, const ing_anomaly_t *a, size_t n,
                        const char *source)
{
    ing_cmd_reset(cmd);
    ing_cmd_adds(cmd, "EVAL");
    ing_cmd_adds(cmd, store_src);
    ing_cmd_adds(cmd, "5");
    char key[96];
    const char *region = n ? a[0].region : "";
    ing_cmd_adds(cmd, ing_key_anomalies(key, sizeof key, region, NULL));
    ing_cmd_adds(cmd, ing_key_anomaly_data(key, sizeof key, region));
    for (int t = ING_AN_SPIKE; t <= ING_AN_METER_IMPLAUSIBLE; t++)
        ing_cmd_adds(cmd, ing_key_anomalies(key, sizeof key, region, ing_anomaly_type_str(t)));
    ing_cmd_add_i64(cmd, (int64_t)cap);
    ing_cmd_add_i64(cmd, clear_s);
    json_t *arr = ing_anomalies_to_json(a, n);
    char now[40];
    gf_time_format_ms(gf_now_wall(), now, sizeof now);
    for (size_t i = 0; i < n; i++) {
        char id[192];
        int episode = a[i].type == ING_AN_METER_IMPLAUSIBLE;
        if (episode)
            snprintf(id, sizeof id, "%s:%s:%s:%s", ing_anomaly_type_str(a[i].type), a[i].region,
                     source, a[i].meter_id);
        else
            snprintf(id, sizeof id, "%s:%s:%s:%lld", ing_anomaly_type_str(a[i].type), a[i].region,
                     source, (long long)a[i].t);
        json_t *o = json_array_get(arr, i);
        json_object_set_new(o, "id", json_string(id));
        json_object_set_new(o, "source", json_string(source));
        json_object_set_new(o, "detected_at", json_string(now));
        char *js = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
        ing_cmd_adds(cmd, id);
        ing_cmd_add_i64(cmd, type_key(a[i].type));
        ing_cmd_add_i64(cmd, a[i].t);
        ing_cmd_add_i64(cmd, a[i].t_last > a[i].t ? a[i].t_last : a[i].t);
        ing_cmd_adds(cmd, episode ? "1" : "0");
        ing_cmd_adds(cmd, js ? js : "{}");
        free(js);
        gf_metric_add(m_anoms, (double)(a[i].count ? a[i].count : 1),
                      ing_anomaly_type_str(a[i].type), ing_severity_str(a[i].severity));
    }
    json_decref(arr);
    ing_cmd_finish(cmd);
}

static void on_stored(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    (void)priv;
    gf_err_t err = {0};
    if (gf_redis_reply_check(reply, &err) != 0)
        GF_LOG(GF_LOG_WARN, "anomaly_store_failed", "%s", err.message);
    gf_err_cleanup(&err);
}

void ing_anomaly_store_async(ing_app_t *app, const ing_anomaly_t *a, size_t n)
{
    /* one command per region: records of other regions wait for their own pass */
    ing_anomaly_t *rest = gf_xmalloc((n + 1) * sizeof *rest),
                  *one = gf_xmalloc((n + 1) * sizeof *one);
    memcpy(rest, a, n * sizeof *a);
    ing_cmd_t cmd;
    ing_cmd_init(&cmd);
    while (n > 0) {
        size_t k = 0, m = 0;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(rest[i].region, rest[0].region) == 0)
                one[k++] = rest[i];
            else
                rest[m++] = rest[i];
        }
        build_store(&cmd, app->anomaly_max, app->anomaly_clear_s, one, k, "meters");
        gf_redis_cmd_argv(app->redis, on_stored, NULL, cmd.argc, cmd.argv, cmd.argvlen);
        n = m;
    }
    ing_cmd_cleanup(&cmd);
    free(one);
    free(rest);
}

/* ---------------------------------------------------------------- scanner */

struct ing_scanner {
    ing_app_t *app;
    ing_scanner_cfg_t cfg;
    gf_pool_t *pool;     /* one thread: one scan at a time */
    struct event *timer; /* loop: queues the scans */
    ing_cmd_t cmd;       /* scan thread only */
};

/* Hourly energy of new readings for [from, to): the sum over the region's meter buckets
 * of gf:agg:{R:b}:hour:YYYYMM (hours no bucket has are gaps). */
static int load_agg(gf_rcluster_t *c, const char *region, unsigned buckets, int64_t from,
                    int64_t to, gf_feat_demand_t *s)
{
    memset(s, 0, sizeof *s);
    from = ing_floor_div(from, 3600) * 3600;
    size_t nh = to > from ? (size_t)((to - from + 3599) / 3600) : 0;
    double *sum = gf_xmalloc((nh + 1) * sizeof *sum);
    for (size_t i = 0; i < nh; i++)
        sum[i] = NAN;
    int rc = 0;
    for (int64_t m = ing_time_month_start(from); m < to && rc == 0; m = ing_time_next_month(m)) {
        for (unsigned bk = 0; bk < buckets; bk++) {
            char key[96];
            ing_key_agg_hour(key, sizeof key, region, bk, m);
            gf_err_t err = {0};
            redisReply *rep = gf_rcluster_cmd(c, &err, "HGETALL %s", key);
            gf_err_cleanup(&err);
            if (rep == NULL) {
                rc = GF_EUNAVAIL;
                break;
            }
            for (size_t k = 0; rep->type == REDIS_REPLY_ARRAY && k + 1 < rep->elements; k += 2) {
                const redisReply *f = rep->element[k], *v = rep->element[k + 1];
                if (f->type != REDIS_REPLY_STRING || memchr(f->str, ':', (size_t)f->len))
                    continue;
                int64_t h = strtoll(f->str, NULL, 10);
                if (h < from || h >= to || h % 3600 != 0)
                    continue;
                size_t i = (size_t)((h - from) / 3600);
                sum[i] = (isnan(sum[i]) ? 0 : sum[i]) + strtod(v->str, NULL);
            }
            freeReplyObject(rep);
        }
    }
    if (rc == 0) {
        s->hour = gf_xmalloc((nh + 1) * sizeof *s->hour);
        s->demand_mw = gf_xmalloc((nh + 1) * sizeof *s->demand_mw);
        for (size_t i = 0; i < nh; i++) {
            if (isnan(sum[i]))
                continue;
            s->hour[s->n] = from + (int64_t)i * 3600;
            s->demand_mw[s->n++] = sum[i];
        }
    }
    free(sum);
    return rc;
}

static size_t check(ing_scanner_t *sc, gf_rcluster_t *c, const char *region, const char *source,
                    const gf_feat_demand_t *s, int64_t check_from)
{
    if (s->n == 0)
        return 0;
    size_t from = 0;
    while (from < s->n && s->hour[from] < check_from)
        from++;
    ing_anomaly_t out[64];
    size_t n = ing_anomaly_series(&sc->app->acfg, region, s->hour, s->demand_mw, s->n, from, out,
                                  64);
    if (n == 0)
        return 0;
    if (n > 64)
        n = 64;
    build_store(&sc->cmd, sc->app->anomaly_max, sc->app->anomaly_clear_s, out, n, source);
    gf_err_t err = {0};
    redisReply *rep = gf_rcluster_cmd_argv(c, sc->cmd.argc, sc->cmd.argv, sc->cmd.argvlen, &err);
    if (rep == NULL || gf_redis_reply_check(rep, &err) != 0)
        GF_LOG(GF_LOG_WARN, "anomaly_store_failed", "%s: %s", region, err.message);
    gf_err_cleanup(&err);
    if (rep)
        freeReplyObject(rep);
    return n;
}

static int scan_region(ing_scanner_t *sc, gf_rcluster_t *c, const char *region, int64_t now_hour)
{
    ing_app_t *app = sc->app;
    int64_t span = ((int64_t)app->acfg.weeks * 7 * 24 + sc->cfg.lookback_h + 1) * 3600;
    gf_feat_demand_t s;
    /* (a) meter aggregates: complete hours only. */
    if (load_agg(c, region, app->scfg.buckets ? app->scfg.buckets : 1, now_hour - span, now_hour,
                 &s) != 0) {
        gf_feat_demand_cleanup(&s);
        return GF_EUNAVAIL;
    }
    check(sc, c, region, "meters", &s, now_hour - (int64_t)sc->cfg.lookback_h * 3600);
    gf_feat_demand_cleanup(&s);
    /* (b) the demand series, up to its newest hour. */
    char key[96];
    ing_key_region(key, sizeof key, region);
    gf_err_t err = {0};
    redisReply *rep = gf_rcluster_cmd(c, &err, "HGET %s last", key);
    gf_err_cleanup(&err);
    if (rep == NULL)
        return GF_EUNAVAIL;
    int64_t last = rep->type == REDIS_REPLY_STRING ? strtoll(rep->str, NULL, 10) : 0;
    freeReplyObject(rep);
    if (last <= 0)
        return 0;
    int rc = gf_feat_demand_load(c, region, last + 3600 - span, last + 3600, 0, &s, &err);
    if (rc == 0)
        check(sc, c, region, "demand", &s, last + 3600 - (int64_t)sc->cfg.lookback_h * 3600);
    gf_err_cleanup(&err);
    gf_feat_demand_cleanup(&s);
    return rc == GF_EUNAVAIL ? rc : 0;
}

/* Pool work: one pass over the catalog; stops early when the service stops. */
static void scan(gf_pool_worker_t *w, void *arg)
{
    ing_scanner_t *sc = arg;
    gf_err_t err = {0};
    gf_rcluster_t *c = gf_rcluster_worker(w, &sc->app->redis_conf, 5000, &err);
    gf_err_cleanup(&err);
    if (c == NULL) {
        gf_metric_add(m_scans, 1, "redis_unavailable");
        return;
    }
    int64_t now_hour = ((int64_t)gf_now_wall() / 3600) * 3600;
    const ing_regions_t *t = &sc->app->regions;
    for (size_t i = 0; i < t->n; i++) {
        if (gf_pool_stopping(w))
            return;
        if (scan_region(sc, c, t->v[i].code, now_hour) != 0) {
            gf_metric_add(m_scans, 1, "redis_unavailable");
            return;
        }
    }
    gf_metric_add(m_scans, 1, "ok");
}

/* Loop timer: queue a scan unless the previous one is still queued or running. */
static void on_scan_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ing_scanner_t *sc = arg;
    size_t queued = 0, running = 0;
    gf_pool_counts(sc->pool, &queued, &running);
    if (queued + running > 0)
        return;
    gf_err_t err = {0};
    if (gf_pool_submit(sc->pool, scan, NULL, sc, 0, &err) != 0)
        GF_LOG(GF_LOG_WARN, "anomaly_scan_skipped", "%s", err.message);
    gf_err_cleanup(&err);
}

ing_scanner_t *ing_scanner_new(ing_app_t *app, const ing_scanner_cfg_t *cfg, gf_err_t *err)
{
    ing_scanner_t *sc = gf_xcalloc(1, sizeof *sc);
    sc->app = app;
    sc->cfg = *cfg;
    ing_cmd_init(&sc->cmd);
    gf_pool_cfg_t pc = {.name = "anomaly_scan",
                        .threads = 1,
                        .queue_max = 1,
                        .local_free = gf_rcluster_local_free};
    sc->pool = gf_pool_new(app->base, &pc, err);
    if (sc->pool == NULL)
        goto fail;
    struct timeval tv = {cfg->interval_s, 0};
    sc->timer = event_new(app->base, -1, EV_PERSIST, on_scan_timer, sc);
    if (sc->timer == NULL || event_add(sc->timer, &tv) != 0) {
        gf_err_set(err, GF_EINTERNAL, "timer", "cannot start the anomaly scan timer");
        goto fail;
    }
    return sc;
fail:
    ing_scanner_free(sc);
    return NULL;
}

void ing_scanner_free(ing_scanner_t *sc)
{
    if (sc == NULL)
        return;
    if (sc->timer)
        event_free(sc->timer);
    gf_pool_free(sc->pool, 0);
    ing_cmd_cleanup(&sc->cmd);
    free(sc);
}

/* ---------------------------------------------------------------- GET /v1/anomalies */

/* A query over one region or all of them: one query script per region, pipelined on the
 * async connection; the replies are merged (newest first) when the last has come. */
typedef struct aquery {
    gf_req_t *r;
    ing_app_t *app;
    size_t pending, limit;
    json_t *items; /* [[score, record], ...] */
    gf_err_t err;
} aquery_t;

static int cmp_item(const void *pa, const void *pb)
{
    double a = json_number_value(json_array_get(*(json_t *const *)pa, 0));
    double b = json_number_value(json_array_get(*(json_t *const *)pb, 0));
    return (a < b) - (a > b);
}

static void query_done(aquery_t *q)
{
    if (q->err.rc != 0) {
        gf_reply_error(q->r, &q->err);
    } else {
        size_t n = json_array_size(q->items);
        json_t **v = gf_xmalloc((n + 1) * sizeof *v);
        for (size_t i = 0; i < n; i++)
            v[i] = json_array_get(q->items, i);
        qsort(v, n, sizeof *v, cmp_item);
        double now = gf_now_wall();
        json_t *arr = json_array();
        for (size_t i = 0; i < n && i < q->limit; i++) {
            json_t *o = json_array_get(v[i], 1);
            const char *last = json_string_value(json_object_get(o, "last_seen"));
            double t;
            if (last && gf_time_parse(last, strlen(last), &t) == 0)
                json_object_set_new(o, "status",
                                    json_string(now - t <= q->app->anomaly_clear_s ? "open"
                                                                                   : "cleared"));
            json_array_append(arr, o);
        }
        free(v);
        json_t *o = json_object();
        json_object_set_new(o, "count", json_integer((json_int_t)json_array_size(arr)));
        json_object_set_new(o, "anomalies", arr);
        gf_reply_json(q->r, 200, o);
    }
    gf_err_cleanup(&q->err);
    json_decref(q->items);
    free(q);
}

static void on_query(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    aquery_t *q = priv;
    const redisReply *rep = reply;
    gf_err_t err = {0};
    if (gf_redis_reply_check(rep, &err) != 0) {
        if (q->err.rc == 0) {
            q->err = err;
            err.details = NULL;
        }
    } else {
        for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2) {
            const redisReply *e = rep->element[i], *sc = rep->element[i + 1];
            if (e->type != REDIS_REPLY_STRING || sc->type != REDIS_REPLY_STRING)
                continue;
            json_t *o = json_loadb(e->str, (size_t)e->len, 0, NULL);
            if (o)
                json_array_append_new(q->items, json_pack("[f,o]", strtod(sc->str, NULL), o));
        }
    }
    gf_err_cleanup(&err);
    if (--q->pending == 0)
        query_done(q);
}

/* Send the query of one region. Returns 0 or GF_EUNAVAIL (callback not called). */
static int query_region(aquery_t *q, const char *region, const char *hi, const char *lo,
                        const char *lim)
{
    char k1[96], k2[96];
    ing_key_anomalies(k1, sizeof k1, region, NULL);
    ing_key_anomaly_data(k2, sizeof k2, region);
    const char *argv[] = {"EVAL", query_src, "2", k1, k2, hi, lo, lim};
    return gf_redis_cmd_argv(q->app->redis, on_query, q, 8, argv, NULL);
}

/* Open-anomaly count over every catalog region (the summary). */
typedef struct acount {
    size_t pending;
    long long n;
    int failed;
    void (*done)(long long n, int failed, void *ud);
    void *ud;
} acount_t;

static void on_count(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    acount_t *c = priv;
    const redisReply *rep = reply;
    if (rep && rep->type == REDIS_REPLY_INTEGER)
        c->n += rep->integer;
    else
        c->failed = 1;
    if (--c->pending == 0) {
        c->done(c->n, c->failed, c->ud);
        free(c);
    }
}

int ing_anomaly_count_since(ing_app_t *app, int64_t since,
                            void (*done)(long long n, int failed, void *ud), void *ud)
{
    acount_t *c = gf_xcalloc(1, sizeof *c);
    c->done = done;
    c->ud = ud;
    c->pending = 1; /* held until every command is sent */
    char lo[32];
    snprintf(lo, sizeof lo, "%lld", (long long)since);
    for (size_t i = 0; i < app->regions.n; i++) {
        char key[96];
        ing_key_anomalies(key, sizeof key, app->regions.v[i].code, NULL);
        const char *argv[] = {"ZCOUNT", key, lo, "+inf"};
        c->pending++;
        if (gf_redis_cmd_argv(app->redis, on_count, c, 4, argv, NULL) != 0) {
            c->pending--;
            c->failed = 1;
            break;
        }
    }
    if (--c->pending == 0) {
        c->done(c->n, c->failed, c->ud);
        free(c);
    }
    return 0;
}

void h_anomalies_get(gf_req_t *r)
{
    ing_app_t *app = r->app;
    gf_err_t err = {0};
    static const char *const allowed[] = {"since", "from", "to", "region", "limit", NULL};
    const char *region = NULL;
    double since = NAN, from = NAN, to = NAN;
    long limit = 100;
    if (gf_query_only(r, allowed, &err) != 0 || gf_query_time(r, "since", NAN, &since, &err) ||
        gf_query_range(r, "from", "to", &from, &to, &err) ||
        gf_query_str(r, "region", NULL, &region, &err) ||
        gf_query_long(r, "limit", 1, 1000, 100, &limit, &err))
        goto bad;
    if (!isnan(since) && !isnan(from)) {
        gf_err_set(&err, GF_EINVAL, "invalid_parameter", "since and from are the same; give one");
        gf_err_add_field(&err, "from", "alias of since");
        goto bad;
    }
    if (isnan(since))
        since = from;
    else if (!isnan(to) && to <= since) {
        gf_err_set(&err, GF_EINVAL, "bad_range", "to must be after since");
        gf_err_add_field(&err, "to", "not after since");
        goto bad;
    }
    if (region && ing_regions_check(&app->regions, region, &err) != 0)
        goto bad;
    char lo[32], hi[32], lim[16];
    if (isnan(to))
        snprintf(hi, sizeof hi, "+inf");
    else
        snprintf(hi, sizeof hi, "(%lld", (long long)floor(to));
    if (isnan(since))
        snprintf(lo, sizeof lo, "-inf");
    else
        snprintf(lo, sizeof lo, "%lld", (long long)ceil(since));
    snprintf(lim, sizeof lim, "%ld", limit);
    aquery_t *q = gf_xcalloc(1, sizeof *q);
    q->r = r;
    q->app = app;
    q->limit = (size_t)limit;
    q->items = json_array();
    q->pending = 1; /* held until every command is sent */
    size_t nreg = region ? 1 : app->regions.n;
    for (size_t i = 0; i < nreg; i++) {
        q->pending++;
        if (query_region(q, region ? region : app->regions.v[i].code, hi, lo, lim) != 0) {
            q->pending--;
            if (q->err.rc == 0)
                gf_err_set(&q->err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
            break;
        }
    }
    if (--q->pending == 0)
        query_done(q);
    return;
bad:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
}
