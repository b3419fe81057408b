/*
 * h_demand.c - hourly regional demand: POST /v1/demand (and /v1/demand/flags) imports on
 * worker threads, GET /v1/demand on the loop with async Redis (GET /v1/regions: h_regions.c).
 *
 * Imports: a 50 MB file takes seconds to parse and write, so the handler only checks the
 * query and queues a task on the kit's worker pool (app->imports, core/pool.h; a full queue
 * answers 503 import_queue_full); a pool thread feeds the request body (borrowed: libevent
 * keeps the request and its input buffer until the reply) to the streaming importer in 1 MiB
 * slices and writes the chunks it flushes with EVALSHA, one per region of the chunk, on its
 * own blocking handle (gf_rcluster_worker: one Redis or a cluster; ing_demand_writer_t);
 * the pool then hands the task back to the loop,
 * which replies. The loop keeps serving meanwhile. The same pool saves the regions catalog
 * into Redis after every (re)connect.
 *
 * Reads: one HGETALL per month touched (plus the region's flags hash) on the async
 * connection, filtered and sorted when the last reply is in.
 */
#include "ing_app.h"

#include "core/log.h"
#include "core/metrics.h"
#include "core/region.h"
#include "core/util.h"
#include "ing_demand.h"
#include "ing_keys.h"
#include "ing_source.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FEED_SLICE (1u << 20)
#define MAX_TASK_REGIONS 128

static gf_metric_t *m_rows, *m_mw, *m_import_rows, *m_imports, *m_import_s, *m_write;
static pthread_mutex_t acct_mu = PTHREAD_MUTEX_INITIALIZER;

/* Latest hour seen per region for the gauge (guarded by acct_mu). */
static struct {
    char code[GF_REGION_MAX + 1];
    int64_t hour;
} latest[256];
static size_t nlatest;

void ing_demand_metrics_init(void)
{
    m_rows = gf_metric_counter("gf_ingestion_demand_rows_total",
                               "Hourly demand rows upserted (imports and the EIA puller).",
                               "region");
    m_mw = gf_metric_gauge("gf_ingestion_demand_mw",
                           "Demand of the latest hour received for a region, MW.", "region");
    m_import_rows = gf_metric_counter("gf_ingestion_import_rows_total",
                                      "Rows of demand/flags imports by outcome.", "kind,outcome");
    m_imports = gf_metric_counter("gf_ingestion_imports_total", "Imports by kind and result.",
                                  "kind,result");
    static const double b[] = {0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120};
    m_import_s = gf_metric_histogram("gf_ingestion_import_seconds", "Wall time of one import.",
                                     "kind", b, sizeof b / sizeof b[0]);
    static const double wb[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    m_write = gf_metric_histogram("gf_ingestion_redis_write_seconds",
                                  "Latency of one write command to Redis (send to reply).", "kind",
                                  wb, sizeof wb / sizeof wb[0]);
}

void ing_demand_account(const char *region, size_t rows, int64_t last_hour, double last_mw)
{
    gf_metric_add(m_rows, (double)rows, region);
    if (isnan(last_mw))
        return;
    pthread_mutex_lock(&acct_mu);
    size_t i = 0;
    while (i < nlatest && strcmp(latest[i].code, region) != 0)
        i++;
    if (i == nlatest && nlatest < 256) {
        snprintf(latest[i].code, sizeof latest[i].code, "%s", region);
        latest[i].hour = INT64_MIN;
        nlatest++;
    }
    if (i < nlatest && last_hour >= latest[i].hour) {
        latest[i].hour = last_hour;
        gf_metric_set(m_mw, last_mw, region);
    }
    pthread_mutex_unlock(&acct_mu);
}

/* ---------------------------------------------------------------- import task */

/* An import on a pool thread, replied by reply_import on the loop. */
typedef struct task {
    ing_app_t *app;
    gf_req_t *r;
    ing_demand_opts_t opts;
    ing_source_t src;
    /* results */
    int rc;
    gf_err_t err;
    ing_demand_stats_t st;
    json_t *rejections;
    double seconds;
    struct {
        char code[GF_REGION_MAX + 1];
        size_t rows;
        int64_t first, last;
        double last_mw;
    } reg[MAX_TASK_REGIONS];
    size_t nreg;
} task_t;

/* The pool thread's blocking handle (one Redis or a cluster), rebuilt after failures. */
static gf_rcluster_t *conn(gf_pool_worker_t *w, const ing_app_t *app, gf_err_t *err)
{
    return gf_rcluster_worker(w, &app->redis_conf, 5000, err);
}

typedef struct writer {
    ing_demand_writer_t dw;
    task_t *t;
} writer_t;

static void track_regions(task_t *t, const ing_demand_row_t *rows, size_t n)
{
    size_t hit = 0;
    for (size_t i = 0; i < n; i++) {
        const ing_demand_row_t *row = &rows[i];
        if (hit >= t->nreg || strcmp(t->reg[hit].code, row->region) != 0) {
            for (hit = 0; hit < t->nreg && strcmp(t->reg[hit].code, row->region) != 0; hit++)
                ;
            if (hit == t->nreg) {
                if (t->nreg == MAX_TASK_REGIONS)
                    continue;
                snprintf(t->reg[hit].code, sizeof t->reg[hit].code, "%s", row->region);
                t->reg[hit].first = INT64_MAX;
                t->reg[hit].last = INT64_MIN;
                t->nreg++;
            }
        }
        t->reg[hit].rows++;
        if (row->hour < t->reg[hit].first)
            t->reg[hit].first = row->hour;
        if (row->hour >= t->reg[hit].last) {
            t->reg[hit].last = row->hour;
            t->reg[hit].last_mw = row->demand_mw;
        }
    }
}

static int flush_rows(void *ud, const ing_demand_row_t *rows, size_t n, gf_err_t *err)
{
    writer_t *w = ud;
    track_regions(w->t, rows, n);
    double t0 = gf_now_mono();
    int rc = ing_demand_write(&w->dw, rows, n, err);
    gf_metric_observe(m_write, gf_now_mono() - t0, "demand");
    return rc;
}

static void run_import(gf_pool_worker_t *worker, void *arg)
{
    task_t *t = arg;
    double t0 = gf_now_mono();
    writer_t w = {.t = t};
    ing_demand_import_t *imp = NULL;
    gf_rcluster_t *c = conn(worker, t->app, &t->err);
    if (c == NULL) {
        t->rc = GF_EUNAVAIL;
        memset(&w.dw, 0, sizeof w.dw);
        goto out;
    }
    t->rc = ing_demand_writer_init(&w.dw, c, t->opts.kind, &t->err);
    if (t->rc != 0)
        goto out;
    imp = ing_demand_import_new(&t->opts, flush_rows, &w);
    const char *body = t->r->body;
    size_t len = t->r->body_len;
    for (size_t off = 0; t->rc == 0 && off < len; off += FEED_SLICE)
        t->rc = ing_demand_import_feed(imp, body + off,
                                       len - off < FEED_SLICE ? len - off : FEED_SLICE, &t->err);
    if (t->rc == 0)
        t->rc = ing_demand_import_finish(imp, &t->err);
    t->st = *ing_demand_import_stats(imp);
    t->st.rows_new = w.dw.new_rows;
    t->rejections = ing_demand_import_rejections_json(imp);
out:
    ing_demand_import_free(imp);
    ing_demand_writer_cleanup(&w.dw);
    t->seconds = gf_now_mono() - t0;
}

static void task_free(task_t *t)
{
    ing_source_cleanup(&t->src);
    json_decref(t->rejections);
    gf_err_cleanup(&t->err);
    free(t);
}

static void reply_import(void *arg)
{
    task_t *t = arg;
    const char *kind = t->opts.kind == ING_IMPORT_FLAGS ? "flags" : "demand";
    char buf[40];
    json_t *regs = json_array();
    /* Rows handed to the writer were only confirmed when the import got through. */
    for (size_t i = 0; i < t->nreg; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "region", json_string(t->reg[i].code));
        json_object_set_new(o, "rows", json_integer((json_int_t)t->reg[i].rows));
        json_object_set_new(o, "first",
                            json_string(gf_time_format(t->reg[i].first, buf, sizeof buf)));
        json_object_set_new(o, "last",
                            json_string(gf_time_format(t->reg[i].last, buf, sizeof buf)));
        json_array_append_new(regs, o);
        if (t->rc == 0 && t->opts.kind == ING_IMPORT_DEMAND)
            ing_demand_account(t->reg[i].code, t->reg[i].rows, t->reg[i].last, t->reg[i].last_mw);
    }
    gf_metric_add(m_imports, 1, kind, t->rc == 0 ? "ok" : t->err.code);
    gf_metric_observe(m_import_s, t->seconds, kind);
    gf_metric_add(m_import_rows, (double)t->st.rows_ok, kind, "ok");
    gf_metric_add(m_import_rows, (double)t->st.rows_rejected, kind, "rejected");
    GF_LOG(GF_LOG_INFO, "import", "%s import: %zu rows, %zu new, %zu rejected, %.2f s, %s", kind,
           t->st.rows_total, t->st.rows_new, t->st.rows_rejected, t->seconds,
           t->rc == 0 ? "ok" : t->err.code);
    if (t->rc == 0) {
        json_t *o = json_object();
        json_object_set_new(o, "kind", json_string(kind));
        json_object_set_new(o, "format", json_string(t->src.fmt_name));
        json_object_set_new(o, "rows", json_integer((json_int_t)t->st.rows_total));
        json_object_set_new(o, "accepted", json_integer((json_int_t)t->st.rows_ok));
        json_object_set_new(o, "new", json_integer((json_int_t)t->st.rows_new));
        json_object_set_new(o, "unchanged_or_updated",
                            json_integer((json_int_t)(t->st.rows_ok - t->st.rows_new)));
        json_object_set_new(o, "rejected", json_integer((json_int_t)t->st.rows_rejected));
        json_object_set_new(o, "rejections", t->rejections);
        t->rejections = NULL;
        json_object_set_new(o, "regions", regs);
        json_object_set_new(o, "seconds", json_real(t->seconds));
        gf_reply_json(t->r, 200, o);
    } else {
        json_t *d = json_object();
        json_object_set_new(d, "rows_before_error", json_integer((json_int_t)t->st.rows_total));
        json_object_set_new(d, "rows_written_before_error",
                            json_integer((json_int_t)t->st.rows_ok));
        json_object_set_new(d, "note",
                            json_string("rows flushed before the error stay written; "
                                        "re-importing the corrected file is "
                                        "idempotent"));
        json_decref(regs);
        gf_err_add_detail(&t->err, d);
        gf_reply_error(t->r, &t->err);
    }
    task_free(t);
}

static void demand_post(gf_req_t *r, int force_flags)
{
    ing_app_t *app = r->app;
    gf_err_t err = {0};
    static const char *const allowed[] = {"kind", ING_SOURCE_PARAMS, NULL};
    const char *kind = NULL;
    task_t *t = gf_xcalloc(1, sizeof *t);
    t->app = app;
    t->r = r;
    ing_demand_opts_default(&t->opts);
    t->opts.regions = &app->regions;
    if (gf_query_only(r, allowed, &err) != 0 ||
        gf_query_str(r, "kind", force_flags ? "flags" : "demand", &kind, &err) ||
        ing_source_query(r, &t->src, &err) != 0)
        goto bad;
    if (r->body_len == 0) {
        gf_err_set(&err, GF_EINVAL, "empty_body", "the request has no body");
        goto bad;
    }
    t->opts.format = t->src.json ? ING_FMT_JSON : ING_FMT_CSV;
    if (!strcmp(kind, "demand"))
        t->opts.kind = ING_IMPORT_DEMAND;
    else if (!strcmp(kind, "flags"))
        t->opts.kind = ING_IMPORT_FLAGS;
    else {
        gf_err_set(&err, GF_EINVAL, "invalid_parameter", "kind must be demand or flags");
        gf_err_add_field(&err, "kind", "demand|flags");
        goto bad;
    }
    if (force_flags && t->opts.kind != ING_IMPORT_FLAGS) {
        gf_err_set(&err, GF_EINVAL, "invalid_parameter", "this route imports flags only");
        gf_err_add_field(&err, "kind", "flags");
        goto bad;
    }
    t->opts.label = t->src.label;
    t->opts.tz = t->src.has_tz ? &t->src.tz : NULL;
    if (!gf_redis_usable(app->redis)) {
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
        goto bad;
    }
    if (ing_source_submit(r, app->imports, run_import, reply_import, t, &err) != 0)
        goto bad;
    return;
bad:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
    task_free(t);
}

void h_demand_post(gf_req_t *r)
{
    demand_post(r, 0);
}

void h_demand_flags_post(gf_req_t *r)
{
    demand_post(r, 1);
}

/* Regions catalog into Redis (gf:region:{R} code/name/tz), queued after every connect. */
static void regions_saved(void *arg) /* loop */
{
    ing_app_t *app = arg;
    app->regions_saved = true;
    gf_redis_retry_reset(app->regions_retry);
}

static void run_save_regions(gf_pool_worker_t *w, void *arg)
{
    ing_app_t *app = arg;
    gf_err_t err = {0};
    gf_rcluster_t *c = conn(w, app, &err);
    if (c == NULL || ing_regions_save(c, &app->regions, &err) != 0) {
        GF_LOG(GF_LOG_WARN, "regions_save_failed", "%s; retrying", err.message);
        if (gf_loop_call(app->base, gf_redis_retry_later_cb, app->regions_retry) != 0)
            GF_LOG(GF_LOG_ERROR, "regions_save_failed", "cannot schedule the retry");
    } else {
        GF_LOG(GF_LOG_INFO, "regions_saved", "%zu regions in the catalog", app->regions.n);
        if (gf_loop_call(app->base, regions_saved, app) != 0)
            GF_LOG(GF_LOG_ERROR, "regions_save_failed", "cannot report the save");
    }
    gf_err_cleanup(&err);
}

void ing_demand_save_regions(void *app_)
{
    ing_app_t *app = app_;
    /* upkeep, not a client's import: past the queue limit rather than lost */
    gf_err_t err = {0};
    app->regions_saved = false;
    if (gf_pool_submit(app->imports, run_save_regions, NULL, app, GF_POOL_NO_LIMIT, &err) != 0)
        GF_LOG(GF_LOG_WARN, "regions_save_failed", "%s", err.message);
    gf_err_cleanup(&err);
}

/* ---------------------------------------------------------------- GET /v1/demand */

typedef struct point {
    int64_t hour;
    double d, t;
} point_t;

typedef struct flag {
    int64_t hour;
    char cat[32];
} flag_t;

typedef struct dq {
    gf_req_t *r;
    char region[GF_REGION_MAX + 1];
    int64_t from, to;
    size_t pending;
    point_t *p;
    size_t np, cap;
    flag_t *f;
    size_t nf;
    gf_err_t err;
} dq_t;

static int cmp_point(const void *a, const void *b)
{
    int64_t x = ((const point_t *)a)->hour, y = ((const point_t *)b)->hour;
    return (x > y) - (x < y);
}

static int cmp_flag(const void *a, const void *b)
{
    int64_t x = ((const flag_t *)a)->hour, y = ((const flag_t *)b)->hour;
    return (x > y) - (x < y);
}

static void dq_finish(dq_t *q)
{
    if (q->err.rc) {
        gf_reply_error(q->r, &q->err);
    } else {
        if (q->np > 1)
            qsort(q->p, q->np, sizeof *q->p, cmp_point);
        if (q->nf > 1)
            qsort(q->f, q->nf, sizeof *q->f, cmp_flag);
        json_t *pts = json_array();
        char buf[40];
        size_t fi = 0;
        for (size_t i = 0; i < q->np; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "ts",
                                json_string(gf_time_format(q->p[i].hour, buf, sizeof buf)));
            json_object_set_new(o, "demand_mw", json_real(q->p[i].d));
            if (!isnan(q->p[i].t))
                json_object_set_new(o, "temperature_c", json_real(q->p[i].t));
            while (fi < q->nf && q->f[fi].hour < q->p[i].hour)
                fi++;
            if (fi < q->nf && q->f[fi].hour == q->p[i].hour)
                json_object_set_new(o, "flag", json_string(q->f[fi].cat));
            json_array_append_new(pts, o);
        }
        json_t *o = json_object();
        json_object_set_new(o, "region", json_string(q->region));
        json_object_set_new(o, "from", json_string(gf_time_format(q->from, buf, sizeof buf)));
        json_object_set_new(o, "to", json_string(gf_time_format(q->to, buf, sizeof buf)));
        json_object_set_new(o, "count", json_integer((json_int_t)q->np));
        json_object_set_new(o, "points", pts);
        gf_reply_json(q->r, 200, o);
    }
    gf_err_cleanup(&q->err);
    free(q->p);
    free(q->f);
    free(q);
}

static int reply_ok(dq_t *q, const redisReply *rep)
{
    if (q->err.rc)
        return 0;
    if (gf_redis_reply_check(rep, &q->err) != 0)
        return 0;
    return rep->type == REDIS_REPLY_ARRAY;
}

static void on_month(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    dq_t *q = priv;
    const redisReply *rep = reply;
    if (reply_ok(q, rep)) {
        for (size_t k = 0; k + 1 < rep->elements; k += 2) {
            /* libs/features decides what a stored hour is; a malformed one is left out */
            point_t p;
            if (gf_feat_demand_entry_parse(rep->element[k], rep->element[k + 1], &p.hour, &p.d,
                                           &p.t, NULL) != 0 ||
                p.hour < q->from || p.hour >= q->to)
                continue;
            if (q->np == q->cap) {
                q->cap = q->cap ? q->cap * 2 : 1024;
                q->p = gf_xrealloc(q->p, q->cap * sizeof *q->p);
            }
            q->p[q->np++] = p;
        }
    }
    if (--q->pending == 0)
        dq_finish(q);
}

static void on_flags(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    dq_t *q = priv;
    const redisReply *rep = reply;
    if (reply_ok(q, rep) && rep->elements > 0) {
        q->f = gf_xmalloc(rep->elements / 2 * sizeof *q->f + 1);
        for (size_t k = 0; k + 1 < rep->elements; k += 2) {
            int64_t h;
            const redisReply *fk = rep->element[k], *v = rep->element[k + 1];
            if (fk->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
                gf_feat_demand_stamp_parse(fk->str, fk->len, &h) != 0 || h < q->from || h >= q->to)
                continue;
            flag_t *f = &q->f[q->nf++];
            f->hour = h;
            snprintf(f->cat, sizeof f->cat, "%.*s", (int)v->len, v->str);
        }
    }
    if (--q->pending == 0)
        dq_finish(q);
}

static void demand_send(dq_t *q, ing_app_t *app)
{
    q->pending = 1; /* held while sending */
    for (int64_t m = ing_time_month_start(q->from); m < q->to; m = ing_time_next_month(m)) {
        char key[96];
        ing_key_demand(key, sizeof key, q->region, m);
        const char *argv[] = {"HGETALL", key};
        q->pending++;
        if (gf_redis_cmd_argv(app->redis, on_month, q, 2, argv, NULL) != 0) {
            q->pending--;
            if (q->err.rc == 0)
                gf_err_set(&q->err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
            break;
        }
    }
    if (q->err.rc == 0) {
        char key[96];
        ing_key_dflags(key, sizeof key, q->region);
        const char *argv[] = {"HGETALL", key};
        q->pending++;
        if (gf_redis_cmd_argv(app->redis, on_flags, q, 2, argv, NULL) != 0)
            q->pending--;
    }
    if (--q->pending == 0)
        dq_finish(q);
}

/* Without from/to: the last 7 days of the region's data (gf:region:{R} last). */
static void on_region_last(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    dq_t *q = priv;
    const redisReply *rep = reply;
    if (gf_redis_reply_check(rep, &q->err) != 0) {
        dq_finish(q);
        return;
    }
    int64_t last = 0;
    if (rep->type == REDIS_REPLY_STRING && gf_feat_demand_stamp_parse(rep->str, rep->len, &last))
        last = 0;
    if (last <= 0)
        last = ((int64_t)gf_now_wall() / 3600) * 3600;
    if (q->to == INT64_MIN)
        q->to = last + 3600;
    if (q->from == INT64_MIN)
        q->from = q->to - 7 * 86400;
    if (q->to <= q->from) {
        gf_err_set(&q->err, GF_EINVAL, "bad_range", "from must be before to");
        dq_finish(q);
        return;
    }
    demand_send(q, q->r->app);
}

void h_demand_get(gf_req_t *r)
{
    ing_app_t *app = r->app;
    gf_err_t err = {0};
    static const char *const allowed[] = {"region", "from", "to", NULL};
    const char *region = NULL;
    double from = NAN, to = NAN;
    if (gf_query_only(r, allowed, &err) != 0 || gf_query_str(r, "region", NULL, &region, &err) ||
        gf_query_range(r, "from", "to", &from, &to, &err))
        goto bad;
    if (region == NULL) {
        gf_err_set(&err, GF_EINVAL, "missing_parameter", "region is required");
        gf_err_add_field(&err, "region", "required");
        goto bad;
    }
    if (ing_regions_check(&app->regions, region, &err) != 0)
        goto bad;
    /* Whole hours: from rounds down, to rounds up. */
    dq_t *q = gf_xcalloc(1, sizeof *q);
    q->r = r;
    snprintf(q->region, sizeof q->region, "%s", region);
    q->from = isnan(from) ? INT64_MIN : ing_floor_div((int64_t)floor(from), 3600) * 3600;
    q->to = isnan(to) ? INT64_MIN : -ing_floor_div(-(int64_t)ceil(to), 3600) * 3600;
    if (q->from != INT64_MIN && q->to != INT64_MIN &&
        (q->to <= q->from || q->to - q->from > 20LL * 366 * 86400)) {
        free(q);
        gf_err_set(&err, GF_EINVAL, "bad_range", "need from < to and at most 20 years");
        goto bad;
    }
    if (q->from == INT64_MIN || q->to == INT64_MIN) {
        char key[96];
        ing_key_region(key, sizeof key, region);
        const char *argv[] = {"HGET", key, "last"};
        if (gf_redis_cmd_argv(app->redis, on_region_last, q, 3, argv, NULL) != 0) {
            free(q);
            gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
            goto bad;
        }
        return;
    }
    demand_send(q, app);
    return;
bad:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
}
