/*
 * h_anomaly.c - anomaly detection in real time, the stored anomaly index and
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
 * Storage (one Lua script, atomic): gf:anomalies (zset, score = event time, member = a
 * stable id "<type>:<region>:<source>:<t>[:<meter>]", so a re-detection adds nothing),
 * gf:anomaly:data (hash id -> JSON record), gf:anomalies:{R} (zset per region). Capped at
 * GF_INGEST_ANOMALY_MAX records: the oldest go first, from all three.
 */
#include "ing_app.h"

#include "core/log.h"
#include "core/metrics.h"
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
    "local cap, added = tonumber(ARGV[1]), 0\n"
    "for i = 2, #ARGV, 4 do\n"
    "  local id, score, region, js = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]\n"
    "  if redis.call('ZADD', 'gf:anomalies', 'NX', score, id) == 1 then\n"
    "    redis.call('HSET', 'gf:anomaly:data', id, js)\n"
    "    redis.call('ZADD', 'gf:anomalies:{' .. region .. '}', score, id)\n"
    "    added = added + 1\n"
    "  end\n"
    "end\n"
    "local n = redis.call('ZCARD', 'gf:anomalies')\n"
    "if n > cap then\n"
    "  local old = redis.call('ZRANGE', 'gf:anomalies', 0, n - cap - 1)\n"
    "  for _, id in ipairs(old) do\n"
    "    local region = string.match(id, '^[^:]+:([^:]+):')\n"
    "    if region then redis.call('ZREM', 'gf:anomalies:{' .. region .. '}', id) end\n"
    "    redis.call('HDEL', 'gf:anomaly:data', id)\n"
    "  end\n"
    "  redis.call('ZREMRANGEBYRANK', 'gf:anomalies', 0, n - cap - 1)\n"
    "end\n"
    "return added\n";

static const char query_src[] =
    "local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, ARGV[3])\n"
    "if #ids == 0 then return {} end\n"
    "return redis.call('HMGET', 'gf:anomaly:data', unpack(ids))\n";

/* The command storing records a[0..n) (source "meters" or "demand"). */
static void build_store(ing_cmd_t *cmd, size_t cap, const ing_anomaly_t *a, size_t n,
                        const char *source)
{
    ing_cmd_reset(cmd);
    ing_cmd_adds(cmd, "EVAL");
    ing_cmd_adds(cmd, store_src);
    ing_cmd_adds(cmd, "0");
    ing_cmd_add_i64(cmd, (int64_t)cap);
    json_t *arr = ing_anomalies_to_json(a, n);
    char now[40];
    gf_time_format_ms(gf_now_wall(), now, sizeof now);
    for (size_t i = 0; i < n; i++) {
        char id[192];
        if (a[i].type == ING_AN_METER_IMPLAUSIBLE)
            snprintf(id, sizeof id, "%s:%s:%s:%lld:%s:%s", ing_anomaly_type_str(a[i].type),
                     a[i].region, source, (long long)a[i].t, a[i].field ? a[i].field : "",
                     a[i].meter_id);
        else
            snprintf(id, sizeof id, "%s:%s:%s:%lld", ing_anomaly_type_str(a[i].type),
                     a[i].region, source, (long long)a[i].t);
        json_t *o = json_array_get(arr, i);
        json_object_set_new(o, "id", json_string(id));
        json_object_set_new(o, "source", json_string(source));
        json_object_set_new(o, "detected_at", json_string(now));
        char *js = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
        ing_cmd_adds(cmd, id);
        ing_cmd_add_i64(cmd, a[i].t);
        ing_cmd_adds(cmd, a[i].region);
        ing_cmd_adds(cmd, js ? js : "{}");
        free(js);
        gf_metric_add(m_anoms, 1, ing_anomaly_type_str(a[i].type),
                      ing_severity_str(a[i].severity));
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
    ing_cmd_t cmd;
    ing_cmd_init(&cmd);
    build_store(&cmd, app->anomaly_max, a, n, "meters");
    gf_redis_cmd_argv(app->redis, on_stored, NULL, cmd.argc, cmd.argv, cmd.argvlen);
    ing_cmd_cleanup(&cmd);
}

/* ---------------------------------------------------------------- scanner */

struct ing_scanner {
    ing_app_t *app;
    ing_scanner_cfg_t cfg;
    gf_pool_t *pool;     /* one thread: one scan at a time */
    struct event *timer; /* loop: queues the scans */
    ing_cmd_t cmd;       /* scan thread only */
};

/* Hourly energy of new readings for [from, to) from gf:agg:{R}:hour:YYYYMM. */
static int load_agg(redisContext *c, const char *region, int64_t from, int64_t to,
                    gf_feat_demand_t *s)
{
    memset(s, 0, sizeof *s);
    size_t cap = 0;
    for (int64_t m = ing_time_month_start(from); m < to; m = ing_time_next_month(m)) {
        char key[96];
        ing_key_agg_hour(key, sizeof key, region, m);
        redisReply *rep = redisCommand(c, "HGETALL %s", key);
        if (rep == NULL)
            return GF_EUNAVAIL;
        if (rep->type == REDIS_REPLY_ARRAY) {
            for (size_t k = 0; k + 1 < rep->elements; k += 2) {
                const redisReply *f = rep->element[k], *v = rep->element[k + 1];
                if (f->type != REDIS_REPLY_STRING || memchr(f->str, ':', (size_t)f->len))
                    continue;
                int64_t h = strtoll(f->str, NULL, 10);
                if (h < from || h >= to)
                    continue;
                if (s->n == cap) {
                    cap = cap ? cap * 2 : 256;
                    s->hour = gf_xrealloc(s->hour, cap * sizeof *s->hour);
                    s->demand_mw = gf_xrealloc(s->demand_mw, cap * sizeof *s->demand_mw);
                }
                s->hour[s->n] = h;
                s->demand_mw[s->n++] = strtod(v->str, NULL);
            }
        }
        freeReplyObject(rep);
    }
    /* Sort by hour (insertion sort: months arrive in order, fields within are unordered). */
    for (size_t i = 1; i < s->n; i++) {
        int64_t h = s->hour[i];
        double v = s->demand_mw[i];
        size_t j = i;
        for (; j > 0 && s->hour[j - 1] > h; j--) {
            s->hour[j] = s->hour[j - 1];
            s->demand_mw[j] = s->demand_mw[j - 1];
        }
        s->hour[j] = h;
        s->demand_mw[j] = v;
    }
    return 0;
}

static size_t check(ing_scanner_t *sc, redisContext *c, const char *region, const char *source,
                    const gf_feat_demand_t *s, int64_t check_from)
{
    if (s->n == 0)
        return 0;
    size_t from = 0;
    while (from < s->n && s->hour[from] < check_from)
        from++;
    ing_anomaly_t out[64];
    size_t n = ing_anomaly_series(&sc->app->acfg, region, s->hour, s->demand_mw, s->n, from,
                                  out, 64);
    if (n == 0)
        return 0;
    if (n > 64)
        n = 64;
    build_store(&sc->cmd, sc->app->anomaly_max, out, n, source);
    redisReply *rep = redisCommandArgv(c, sc->cmd.argc, sc->cmd.argv, sc->cmd.argvlen);
    if (rep)
        freeReplyObject(rep);
    return n;
}

static int scan_region(ing_scanner_t *sc, redisContext *c, const char *region, int64_t now_hour)
{
    ing_app_t *app = sc->app;
    int64_t span = ((int64_t)app->acfg.weeks * 7 * 24 + sc->cfg.lookback_h + 1) * 3600;
    gf_feat_demand_t s;
    /* (a) meter aggregates: complete hours only. */
    if (load_agg(c, region, now_hour - span, now_hour, &s) != 0) {
        gf_feat_demand_cleanup(&s);
        return GF_EUNAVAIL;
    }
    check(sc, c, region, "meters", &s, now_hour - (int64_t)sc->cfg.lookback_h * 3600);
    gf_feat_demand_cleanup(&s);
    /* (b) the demand series, up to its newest hour. */
    char key[96];
    ing_key_region(key, sizeof key, region);
    redisReply *rep = redisCommand(c, "HGET %s last", key);
    if (rep == NULL)
        return GF_EUNAVAIL;
    int64_t last = rep->type == REDIS_REPLY_STRING ? strtoll(rep->str, NULL, 10) : 0;
    freeReplyObject(rep);
    if (last <= 0)
        return 0;
    gf_err_t err = {0};
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
    redisContext *c = gf_redis_worker_conn(w, sc->app->redis_host, sc->app->redis_port, 5000,
                                           &err);
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
    gf_pool_cfg_t pc = {.name = "anomaly_scan", .threads = 1, .queue_max = 1,
                        .local_free = gf_redis_local_free};
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

static void on_query(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    gf_req_t *r = priv;
    const redisReply *rep = reply;
    gf_err_t err = {0};
    if (gf_redis_reply_check(rep, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        const redisReply *e = rep->element[i];
        if (e->type != REDIS_REPLY_STRING)
            continue; /* trimmed between ZREVRANGEBYSCORE and HMGET cannot happen (atomic) */
        json_t *o = json_loadb(e->str, (size_t)e->len, 0, NULL);
        if (o)
            json_array_append_new(arr, o);
    }
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer((json_int_t)json_array_size(arr)));
    json_object_set_new(o, "anomalies", arr);
    gf_reply_json(r, 200, o);
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
        gf_query_time(r, "from", NAN, &from, &err) || gf_query_time(r, "to", NAN, &to, &err) ||
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
    if (region && !ing_region_code_valid(region, strlen(region))) {
        gf_err_set(&err, GF_EINVAL, "invalid_region", "region code is not valid");
        gf_err_add_field(&err, "region", "1-16 of [A-Za-z0-9_-]");
        goto bad;
    }
    char key[64], lo[32], hi[32], lim[16];
    if (region)
        snprintf(key, sizeof key, "gf:anomalies:{%s}", region);
    else
        snprintf(key, sizeof key, "gf:anomalies");
    if (isnan(to))
        snprintf(hi, sizeof hi, "+inf");
    else
        snprintf(hi, sizeof hi, "(%lld", (long long)floor(to));
    if (isnan(since))
        snprintf(lo, sizeof lo, "-inf");
    else
        snprintf(lo, sizeof lo, "%lld", (long long)ceil(since));
    snprintf(lim, sizeof lim, "%ld", limit);
    const char *argv[] = {"EVAL", query_src, "1", key, hi, lo, lim};
    if (gf_redis_cmd_argv(app->redis, on_query, r, 7, argv, NULL) != 0) {
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
        goto bad;
    }
    return;
bad:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
}
