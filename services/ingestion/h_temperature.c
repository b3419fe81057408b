/*
 * h_temperature.c - hourly temperature per region: POST /v1/temperature (observations) and
 * POST /v1/temperature/forecasts, GET of both, GET /v1/temperature/regions.
 *
 * Every route runs its Redis work on the import pool (app->imports, the thread's blocking
 * connection) and replies on the loop: a POST parses the whole body there first
 * (ing_temp_parse; a body refused as a whole writes nothing), then writes it
 * (ing_temp_write_sync: one EVAL per region chunk, all keys in KEYS, one hash tag {R});
 * a GET reads with libs/features' gf_feat_temp_load, the reader the trainer and the
 * forecast service use.
 */
#include "ing_app.h"

#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"
#include "features/demand.h"
#include "features/weather.h"
#include "ing_source.h"
#include "ing_temp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GET_SPAN (366LL * 86400)

static gf_metric_t *m_rows;

void ing_temp_metrics_init(void)
{
    m_rows = gf_metric_counter("gf_ingestion_temperature_rows_total",
                               "Temperature rows of imports by kind and outcome.", "kind,outcome");
}

/* The pool thread's blocking handle (one Redis or a cluster), checked and rebuilt by the kit. */
static gf_rcluster_t *conn(gf_pool_worker_t *w, const ing_app_t *app, gf_err_t *err)
{
    return gf_rcluster_worker(w, &app->redis_conf, 5000, err);
}

static const char *kind_name(ing_temp_kind_t k)
{
    return k == ING_TEMP_FC ? "forecasts" : "observations";
}

/* ---------------------------------------------------------------- POST */

typedef struct post {
    ing_app_t *app;
    gf_req_t *r;
    ing_temp_opts_t opts;
    ing_source_t src;
    int rc;
    gf_err_t err;
    ing_temp_batch_t b;
    size_t new_rows, written;
    double seconds;
} post_t;

static void run_post(gf_pool_worker_t *w, void *arg)
{
    post_t *t = arg;
    double t0 = gf_now_mono();
    t->rc = ing_temp_parse(&t->opts, t->r->body, t->r->body_len, &t->b, &t->err);
    if (t->rc == 0 && t->b.n > 0) {
        gf_rcluster_t *c = conn(w, t->app, &t->err);
        if (c == NULL)
            t->rc = GF_EUNAVAIL;
        else
            t->rc = ing_temp_write_sync(c, t->opts.kind, &t->b, &t->new_rows, &t->written, &t->err);
    }
    t->seconds = gf_now_mono() - t0;
}

static void post_free(post_t *t)
{
    ing_source_cleanup(&t->src);
    ing_temp_batch_cleanup(&t->b);
    gf_err_cleanup(&t->err);
    free(t);
}

/* [{region, rows, first, last}] of rows[0..n) (sorted by region, then hour). */
static json_t *regions_json(const ing_temp_row_t *rows, size_t n)
{
    json_t *a = json_array();
    char buf[40];
    for (size_t i = 0; i < n;) {
        size_t j = i;
        int64_t lo = rows[i].hour, hi = rows[i].hour;
        while (j < n && strcmp(rows[j].region, rows[i].region) == 0) {
            lo = rows[j].hour < lo ? rows[j].hour : lo;
            hi = rows[j].hour > hi ? rows[j].hour : hi;
            j++;
        }
        json_t *o = json_object();
        json_object_set_new(o, "region", json_string(rows[i].region));
        json_object_set_new(o, "rows", json_integer((json_int_t)(j - i)));
        json_object_set_new(o, "first", json_string(gf_time_format(lo, buf, sizeof buf)));
        json_object_set_new(o, "last", json_string(gf_time_format(hi, buf, sizeof buf)));
        json_array_append_new(a, o);
        i = j;
    }
    return a;
}

static void reply_post(void *arg)
{
    post_t *t = arg;
    const char *kind = kind_name(t->opts.kind);
    GF_LOG(GF_LOG_INFO, "temperature_import",
           "%s: %zu rows, %zu accepted, %zu new, %zu rejected, %.3f s, %s", kind, t->b.rows_total,
           t->b.n, t->new_rows, t->b.rejected, t->seconds, t->rc == 0 ? "ok" : t->err.code);
    if (t->rc != 0) {
        if (t->written > 0 || t->b.n > 0) {
            /* a Redis failure after part of the rows was written: say how much */
            gf_err_add_detail(&t->err,
                              json_pack("{s:I,s:I,s:I,s:s}", "rows_accepted", (json_int_t)t->b.n,
                                        "rows_written", (json_int_t)t->written, "new",
                                        (json_int_t)t->new_rows, "note",
                                        "re-posting the same body is safe: written rows come "
                                        "back as unchanged"));
        }
        if (t->rc == GF_EUNAVAIL)
            gf_reply_header(t->r, "Retry-After", "1");
        gf_reply_error(t->r, &t->err);
        post_free(t);
        return;
    }
    gf_metric_add(m_rows, (double)t->b.n, kind, "accepted");
    gf_metric_add(m_rows, (double)t->b.rejected, kind, "rejected");
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(kind));
    json_object_set_new(o, "format", json_string(t->src.fmt_name));
    json_object_set_new(o, "unit", json_string(t->b.fahrenheit ? "F" : "C"));
    json_object_set_new(o, "stored_unit", json_string("C"));
    json_object_set_new(o, "rows", json_integer((json_int_t)t->b.rows_total));
    json_object_set_new(o, "accepted", json_integer((json_int_t)t->b.n));
    json_object_set_new(o, "new", json_integer((json_int_t)t->new_rows));
    json_object_set_new(o, "unchanged_or_updated",
                        json_integer((json_int_t)(t->b.n - t->new_rows)));
    json_object_set_new(o, "rejected", json_integer((json_int_t)t->b.rejected));
    json_object_set_new(o, "rejections", ing_temp_rejections_json(&t->b));
    json_object_set_new(o, "regions", regions_json(t->b.rows, t->b.n));
    json_object_set_new(o, "seconds", json_real(t->seconds));
    gf_reply_json(t->r, 200, o);
    post_free(t);
}

static void temp_post(gf_req_t *r, ing_temp_kind_t kind)
{
    ing_app_t *app = r->app;
    gf_err_t err = {0};
    static const char *const allowed[] = {ING_SOURCE_PARAMS, NULL};
    post_t *t = gf_xcalloc(1, sizeof *t);
    t->app = app;
    t->r = r;
    ing_temp_opts_default(&t->opts);
    t->opts.kind = kind;
    t->opts.regions = &app->regions;
    t->opts.now = (int64_t)gf_now_wall();
    if (gf_query_only(r, allowed, &err) != 0 || ing_source_query(r, &t->src, &err) != 0)
        goto bad;
    if (r->body_len == 0) {
        gf_err_set(&err, GF_EINVAL, "empty_body", "the request has no body");
        goto bad;
    }
    t->opts.format = t->src.json ? ING_TEMP_JSON : ING_TEMP_CSV;
    t->opts.label = t->src.label;
    t->opts.tz = t->src.has_tz ? &t->src.tz : NULL;
    if (!gf_redis_usable(app->redis)) {
        gf_reply_header(r, "Retry-After", "1");
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
        goto bad;
    }
    if (ing_source_submit(r, app->imports, run_post, reply_post, t, &err) != 0)
        goto bad;
    return;
bad:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
    post_free(t);
}

void h_temperature_post(gf_req_t *r)
{
    temp_post(r, ING_TEMP_OBS);
}

void h_temperature_forecasts_post(gf_req_t *r)
{
    temp_post(r, ING_TEMP_FC);
}

/* ---------------------------------------------------------------- GET */

typedef struct get {
    ing_app_t *app;
    gf_req_t *r;
    ing_temp_kind_t kind;
    char region[GF_REGION_MAX + 1];
    int64_t from, to; /* INT64_MIN: from the stored range */
    double as_of;     /* forecasts: NAN = every issue */
    int rc;
    gf_err_t err;
    gf_feat_temp_t t;
    /* regions */
    int list;
    json_t *regions;
} get_t;

/* "gf:temp:{R}" field as a stamp, or INT64_MIN. */
static int64_t meta_stamp(const redisReply *r, const char *name)
{
    for (size_t k = 0; r && r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2) {
        const redisReply *f = r->element[k], *v = r->element[k + 1];
        int64_t x;
        if (f->type == REDIS_REPLY_STRING && strcmp(f->str, name) == 0 &&
            v->type == REDIS_REPLY_STRING && gf_feat_demand_stamp_parse(v->str, v->len, &x) == 0)
            return x;
    }
    return INT64_MIN;
}

static redisReply *meta_read(gf_rcluster_t *c, const char *region, gf_err_t *err)
{
    char key[96];
    const char *argv[] = {"HGETALL", gf_feat_temp_meta_key(key, sizeof key, region)};
    size_t len[] = {7, strlen(key)};
    redisReply *r = gf_rcluster_cmd_argv(c, 2, argv, len, err);
    if (r == NULL)
        return NULL;
    if (r->type != REDIS_REPLY_ARRAY) {
        gf_err_set(err, GF_EUNAVAIL, "redis_error", "redis: %.200s",
                   r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

static json_t *meta_json(const char *region, const redisReply *r)
{
    static const char *const stamps[] = {"obs_first", "obs_last",        "fc_first",
                                         "fc_last",   "fc_issued_first", "fc_issued_last"};
    json_t *o = json_object();
    json_object_set_new(o, "region", json_string(region));
    long long obs = 0, fc = 0;
    for (size_t k = 0; k + 1 < r->elements; k += 2) {
        const redisReply *f = r->element[k], *v = r->element[k + 1];
        if (f->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING) {
            if (strcmp(f->str, "obs_rows") == 0)
                obs = strtoll(v->str, NULL, 10);
            else if (strcmp(f->str, "fc_rows") == 0)
                fc = strtoll(v->str, NULL, 10);
        }
    }
    json_object_set_new(o, "observations", json_integer(obs));
    json_object_set_new(o, "forecast_values", json_integer(fc));
    char buf[40];
    for (size_t i = 0; i < sizeof stamps / sizeof *stamps; i++) {
        int64_t x = meta_stamp(r, stamps[i]);
        json_object_set_new(o, stamps[i],
                            x == INT64_MIN ? json_null()
                                           : json_string(gf_time_format(x, buf, sizeof buf)));
    }
    return o;
}

static void run_get(gf_pool_worker_t *w, void *arg)
{
    get_t *q = arg;
    gf_rcluster_t *c = conn(w, q->app, &q->err);
    if (c == NULL) {
        q->rc = GF_EUNAVAIL;
        return;
    }
    if (q->list) {
        q->regions = json_array();
        const ing_regions_t *rs = &q->app->regions;
        for (size_t i = 0; i < rs->n && q->rc == 0; i++) {
            redisReply *r = meta_read(c, rs->v[i].code, &q->err);
            if (r == NULL) {
                q->rc = GF_EUNAVAIL;
                break;
            }
            if (r->elements > 0)
                json_array_append_new(q->regions, meta_json(rs->v[i].code, r));
            freeReplyObject(r);
        }
        return;
    }
    if (q->from == INT64_MIN || q->to == INT64_MIN) {
        redisReply *r = meta_read(c, q->region, &q->err);
        if (r == NULL) {
            q->rc = GF_EUNAVAIL;
            return;
        }
        int64_t last = meta_stamp(r, q->kind == ING_TEMP_FC ? "fc_last" : "obs_last");
        freeReplyObject(r);
        if (last == INT64_MIN)
            last = ing_floor_div((int64_t)gf_now_wall(), 3600) * 3600;
        if (q->to == INT64_MIN)
            q->to = last + 3600;
        if (q->from == INT64_MIN)
            q->from = q->to - 7 * 86400;
        if (q->to <= q->from || q->to - q->from > MAX_GET_SPAN) {
            q->rc = gf_err_set(&q->err, GF_EINVAL, "bad_range",
                               "need from < to and at most 366 days");
            return;
        }
    }
    q->rc = gf_feat_temp_load(c, q->region, q->from, q->to, 0, &q->t, &q->err);
}

static void get_free(get_t *q)
{
    gf_feat_temp_cleanup(&q->t);
    json_decref(q->regions);
    gf_err_cleanup(&q->err);
    free(q);
}

static void reply_get(void *arg)
{
    get_t *q = arg;
    if (q->rc != 0) {
        gf_reply_error(q->r, &q->err);
        get_free(q);
        return;
    }
    json_t *o = json_object();
    char buf[40];
    if (q->list) {
        json_object_set_new(o, "count", json_integer((json_int_t)json_array_size(q->regions)));
        json_object_set_new(o, "unit", json_string("C"));
        json_object_set_new(o, "regions", q->regions);
        q->regions = NULL;
        json_object_set_new(o, "puller", ing_wx_puller_status(q->app->wx_puller));
        gf_reply_json(q->r, 200, o);
        get_free(q);
        return;
    }
    json_object_set_new(o, "region", json_string(q->region));
    json_object_set_new(o, "from", json_string(gf_time_format(q->from, buf, sizeof buf)));
    json_object_set_new(o, "to", json_string(gf_time_format(q->to, buf, sizeof buf)));
    json_object_set_new(o, "unit", json_string("C"));
    json_t *pts = json_array();
    if (q->kind == ING_TEMP_OBS) {
        for (size_t i = 0; i < q->t.n; i++) {
            json_t *p = json_object();
            json_object_set_new(p, "ts",
                                json_string(gf_time_format(q->t.hour[i], buf, sizeof buf)));
            json_object_set_new(p, "temperature_c", json_real(q->t.temp_c[i]));
            json_array_append_new(pts, p);
        }
    } else {
        const gf_feat_tfc_t *f = &q->t.fc;
        if (!isnan(q->as_of))
            json_object_set_new(o, "as_of",
                                json_string(gf_time_format((int64_t)q->as_of, buf, sizeof buf)));
        for (size_t i = 0; i < f->n; i++) {
            /* as_of: only the value features see at that origin, the latest issue before it */
            if (!isnan(q->as_of)) {
                if (i + 1 < f->n && f->target[i + 1] == f->target[i] &&
                    (double)f->issued[i + 1] < q->as_of)
                    continue;
                if ((double)f->issued[i] >= q->as_of)
                    continue;
            }
            json_t *p = json_object();
            json_object_set_new(p, "ts",
                                json_string(gf_time_format(f->target[i], buf, sizeof buf)));
            json_object_set_new(p, "issued_at",
                                json_string(gf_time_format(f->issued[i], buf, sizeof buf)));
            json_object_set_new(p, "temperature_c", json_real(f->temp_c[i]));
            json_array_append_new(pts, p);
        }
    }
    json_object_set_new(o, "count", json_integer((json_int_t)json_array_size(pts)));
    json_object_set_new(o, q->kind == ING_TEMP_FC ? "forecasts" : "points", pts);
    gf_reply_json(q->r, 200, o);
    get_free(q);
}

static void submit_get(gf_req_t *r, get_t *q)
{
    gf_err_t err = {0};
    if (ing_source_submit(r, q->app->imports, run_get, reply_get, q, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        get_free(q);
    }
}

static void temp_get(gf_req_t *r, ing_temp_kind_t kind)
{
    ing_app_t *app = r->app;
    gf_err_t err = {0};
    static const char *const allowed_obs[] = {"region", "from", "to", NULL};
    static const char *const allowed_fc[] = {"region", "from", "to", "as_of", NULL};
    const char *region = NULL;
    double from = NAN, to = NAN, as_of = NAN;
    if (gf_query_only(r, kind == ING_TEMP_FC ? allowed_fc : allowed_obs, &err) != 0 ||
        gf_query_str(r, "region", NULL, &region, &err) ||
        gf_query_range(r, "from", "to", &from, &to, &err) ||
        (kind == ING_TEMP_FC && gf_query_time(r, "as_of", NAN, &as_of, &err)))
        goto bad;
    if (region == NULL) {
        gf_err_set(&err, GF_EINVAL, "missing_parameter", "region is required");
        gf_err_add_field(&err, "region", "required");
        goto bad;
    }
    if (ing_regions_check(&app->regions, region, &err) != 0)
        goto bad;
    get_t *q = gf_xcalloc(1, sizeof *q);
    q->app = app;
    q->r = r;
    q->kind = kind;
    q->as_of = as_of;
    snprintf(q->region, sizeof q->region, "%s", region);
    /* Whole hours: from rounds down, to rounds up. */
    q->from = isnan(from) ? INT64_MIN : ing_floor_div((int64_t)floor(from), 3600) * 3600;
    q->to = isnan(to) ? INT64_MIN : -ing_floor_div(-(int64_t)ceil(to), 3600) * 3600;
    if (q->from != INT64_MIN && q->to != INT64_MIN &&
        (q->to <= q->from || q->to - q->from > MAX_GET_SPAN)) {
        free(q);
        gf_err_set(&err, GF_EINVAL, "bad_range", "need from < to and at most 366 days");
        gf_err_add_field(&err, "to", "at most 366 days after from");
        goto bad;
    }
    submit_get(r, q);
    return;
bad:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
}

void h_temperature_get(gf_req_t *r)
{
    temp_get(r, ING_TEMP_OBS);
}

void h_temperature_forecasts_get(gf_req_t *r)
{
    temp_get(r, ING_TEMP_FC);
}

void h_temperature_regions_get(gf_req_t *r)
{
    gf_err_t err = {0};
    static const char *const allowed[] = {NULL};
    if (gf_query_only(r, allowed, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    get_t *q = gf_xcalloc(1, sizeof *q);
    q->app = r->app;
    q->r = r;
    q->list = 1;
    submit_get(r, q);
}
