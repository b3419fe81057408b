/*
 * h_forecast.c - forecast routes (see h_forecast.h and README.md).
 *
 * GET /v1/forecast, on the loop: parameters -> HMGET gf:region:{R} first last rows (region
 * known? data range, cache stamp) -> the serving model (retained until the reply) -> its
 * levels and the origin checked (fc_plan.c) -> cache hit: reply the stored bytes -> else one
 * HGETALL per month of history needed (a year for peak_mw, the features' lookback), pipelined
 * on the async connection -> fc_forecast_run -> JSON -> cache -> reply. Every path releases
 * the model and the series before replying.
 *
 * POST /v1/predict: small bodies on the loop with the app's grow-only scratch buffers (the
 * direct scanner, the native evaluator, a hand-written JSON writer: no per-request buffers
 * beyond the parser's own); large bodies on the worker pool.
 */
#include "h_forecast.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/redis.h"
#include "core/region.h"
#include "core/svc.h"
#include "core/util.h"
#include "fc_forecast.h"
#include "fc_plan.h"
#include "fc_predict.h"
#include "fc_series.h"
#include "fc_weather.h"
#include "features/demand.h"
#include "registry/registry.h"

#define YEAR_S (365 * 86400LL)
#define MAX_HISTORY 720

static gf_metric_t *m_forecasts, *m_predictions, *m_rows, *m_latency;
static fc_cache_t *cache_for_gauge;

static double cache_entries(void *arg)
{
    (void)arg;
    return cache_for_gauge ? (double)fc_cache_count(cache_for_gauge) : 0;
}

void fc_metrics_init(fc_cache_t *cache)
{
    cache_for_gauge = cache;
    m_forecasts = gf_metric_counter("gf_forecast_forecasts_total",
                                    "Forecasts served (200), by cache outcome (hit or miss).",
                                    "cache");
    m_predictions = gf_metric_counter("gf_forecast_predictions_total",
                                      "POST /v1/predict requests answered with predictions.", NULL);
    m_rows = gf_metric_counter("gf_forecast_rows_predicted_total",
                               "Feature rows run through a model, by route.", "route");
    static const double b[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                               0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
    m_latency = gf_metric_histogram("gf_forecast_prediction_seconds",
                                    "Time from request arrival to a successful forecast or "
                                    "prediction reply, by route.",
                                    "route", b, sizeof b / sizeof b[0]);
    gf_metric_gauge_fn("gf_forecast_cache_entries", "Forecast responses held in the cache.",
                       cache_entries, NULL);
}

/* ---------------------------------------------------------------- small writers */

static void out_reserve(fc_scratch_t *s, size_t more)
{
    if (s->out_len + more + 1 > s->out_cap) {
        size_t cap = s->out_cap ? s->out_cap : 4096;
        while (cap < s->out_len + more + 1)
            cap *= 2;
        s->out = gf_xrealloc(s->out, cap);
        s->out_cap = cap;
    }
}

static void out_str(fc_scratch_t *s, const char *t, size_t n)
{
    out_reserve(s, n);
    memcpy(s->out + s->out_len, t, n);
    s->out_len += n;
}

#define OUT_LIT(s, lit) out_str((s), (lit), sizeof(lit) - 1)

static void out_float(fc_scratch_t *s, float v)
{
    out_reserve(s, 32);
    if (isnan(v) || isinf(v)) {
        memcpy(s->out + s->out_len, "null", 4);
        s->out_len += 4;
        return;
    }
    s->out_len += (size_t)snprintf(s->out + s->out_len, 32, "%.9g", (double)v);
}

static void out_fmt(fc_scratch_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_fmt(fc_scratch_t *s, const char *fmt, ...)
{
    out_reserve(s, 256);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->out + s->out_len, 256, fmt, ap);
    va_end(ap);
    if (n > 0)
        s->out_len += (size_t)(n < 256 ? n : 255);
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    *cap = c;
    return gf_xrealloc(p, c * elem);
}

void fc_scratch_cleanup(fc_scratch_t *s)
{
    free(s->x);
    free(s->pt);
    free(s->bnd);
    free(s->out);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- predict core */

/* Parse, bind, predict and write the response into s->out. Returns 0 or an error; on
 * "no_model" the requested name is in model[GF_REG_NAME_MAX + 1] (see no_model_reply). */
static int predict_run(fc_life_t *life, const char *body, size_t len, size_t max_rows,
                       fc_scratch_t *s, size_t *rows, char *model, gf_err_t *err)
{
    fc_predict_req_t req;
    fc_predict_limits_t lim = {.max_rows = max_rows, .max_cols = 0};
    fc_model_t *m = NULL;
    int rc = fc_predict_parse(body, len, &lim, &req, err);
    if (rc != 0)
        goto out;
    m = fc_life_get_name(life, req.model, strlen(req.model));
    if (m == NULL) {
        snprintf(model, GF_REG_NAME_MAX + 1, "%s", req.model);
        rc = gf_err_set(err, GF_EUNAVAIL, "no_model",
                        "model '%s' is not served here: this instance serves the production "
                        "version of each load:<region> model, and none is loaded for it",
                        req.model);
        goto out;
    }
    if (req.ref[0] && strcmp(req.ref, "production") != 0) {
        char *end;
        long long v = strtoll(req.ref, &end, 10);
        if (*end != '\0' || v != fc_model_version(m)) {
            rc = gf_err_set(err, GF_ENOTFOUND, "model_ref_not_served",
                            "%s@%s is not served here; %s@production is version %lld", req.model,
                            req.ref, req.model, (long long)fc_model_version(m));
            goto out;
        }
    }
    size_t nf = fc_model_num_features(m), n = req.nrows;
    s->x = grow(s->x, &s->x_cap, n * nf, sizeof(float));
    s->pt = grow(s->pt, &s->pt_cap, n, sizeof(float));
    if ((rc = fc_predict_bind(&req, fc_model_feature_names(m), nf, s->x, err)) != 0)
        goto out;
    fc_model_predict(m, s->x, n, s->pt);
    const fc_quantiles_t *q = fc_model_quantiles(m);
    int with_iv = q != NULL &&
                  (req.horizons != NULL || fc_model_feature_index(m, "horizon", 7) >= 0);
    if (with_iv) {
        s->bnd = grow(s->bnd, &s->bnd_cap, n * q->nlevels, sizeof(float));
        if ((rc = fc_model_intervals(m, s->x, s->pt, req.horizons, n, s->bnd, err)) != 0)
            goto out;
    }
    s->out_len = 0;
    out_fmt(s, "{\"model\":{\"name\":\"%s\",\"version\":%lld},\"rows\":%zu,\"predictions\":[",
            fc_model_name(m), (long long)fc_model_version(m), n);
    out_reserve(s, n * 16);
    for (size_t i = 0; i < n; i++) {
        if (i)
            OUT_LIT(s, ",");
        out_float(s, s->pt[i]);
    }
    OUT_LIT(s, "]");
    if (with_iv) {
        OUT_LIT(s, ",\"levels\":[");
        for (size_t k = 0; k < q->nlevels; k++)
            out_fmt(s, "%s%g", k ? "," : "", q->levels[k]);
        OUT_LIT(s, "],\"bounds\":[");
        for (size_t i = 0; i < n; i++) {
            if (i)
                OUT_LIT(s, ",");
            OUT_LIT(s, "[");
            for (size_t k = 0; k < q->nlevels; k++) {
                if (k)
                    OUT_LIT(s, ",");
                out_float(s, s->bnd[i * q->nlevels + k]);
            }
            OUT_LIT(s, "]");
        }
        OUT_LIT(s, "]");
    }
    OUT_LIT(s, "}");
    *rows = n;
out:
    fc_model_release(m);
    fc_predict_req_cleanup(&req);
    return rc;
}

/* ---------------------------------------------------------------- unknown vs not loaded */

/* A model this instance does not serve is either unknown (not a load:<region> name, or no
 * published version in the registry: 404 unknown_model, a retry cannot help) or known but
 * without a production version loaded here (503 no_model, retryable). The registry is asked
 * only on this error path (ZCARD of the model's versions, on the loop). */
typedef struct nm_ctx {
    gf_req_t *r;
    gf_err_t err; /* the 503 no_model, replied when the model exists or Redis cannot say */
    char model[GF_REG_NAME_MAX + 1];
} nm_ctx_t;

static void reply_unknown_model(gf_req_t *r, const char *model, const char *why)
{
    gf_err_t err = {0};
    gf_err_set(&err, GF_ENOTFOUND, "unknown_model", "model '%s' %s", model, why);
    gf_err_add_field(&err, "model", "unknown");
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
}

static void on_model_versions(redisAsyncContext *ac, void *reply_, void *privdata)
{
    (void)ac;
    nm_ctx_t *c = privdata;
    redisReply *rep = reply_;
    if (rep != NULL && rep->type == REDIS_REPLY_INTEGER && rep->integer == 0)
        reply_unknown_model(c->r, c->model,
                            "is not in the registry (trainer GET /v1/models lists the models)");
    else
        gf_reply_error(c->r, &c->err);
    gf_err_cleanup(&c->err);
    free(c);
}

/* Reply to a predict that failed with no_model (*err, taken). Loop thread. */
static void no_model_reply(gf_req_t *r, fc_app_t *app, const char *model, gf_err_t *err)
{
    if (strncmp(model, "load:", 5) != 0 || !gf_region_valid(model + 5)) {
        reply_unknown_model(r, model, "is not served by this service (it serves load:<region>)");
        gf_err_cleanup(err);
        return;
    }
    nm_ctx_t *c = gf_xcalloc(1, sizeof *c);
    c->r = r;
    c->err = *err;
    memset(err, 0, sizeof *err);
    snprintf(c->model, sizeof c->model, "%s", model);
    char key[160];
    gf_reg_key(key, sizeof key, model, "versions", 0);
    const char *argv[] = {"ZCARD", key};
    if (gf_redis_cmd_argv(app->redis, on_model_versions, c, 2, argv, NULL) != 0) {
        gf_reply_error(r, &c->err);
        gf_err_cleanup(&c->err);
        free(c);
    }
}

/* ---------------------------------------------------------------- worker pool */

/* A large predict body on the kit's pool (app->pool); replied by ptask_reply on the loop. */
typedef struct ptask {
    gf_req_t *r;
    fc_app_t *app;
    fc_scratch_t s;
    gf_err_t err;
    int rc;
    size_t rows;
    char model[GF_REG_NAME_MAX + 1];
} ptask_t;

static void ptask_reply(void *arg)
{
    ptask_t *t = arg;
    if (t->rc != 0 && strcmp(t->err.code, "no_model") == 0) {
        no_model_reply(t->r, t->app, t->model, &t->err);
    } else if (t->rc != 0) {
        gf_reply_error(t->r, &t->err);
    } else {
        gf_metric_add(m_predictions, 1);
        gf_metric_add(m_rows, (double)t->rows, "predict");
        gf_metric_observe(m_latency, gf_now_mono() - t->r->t_start, "predict");
        gf_reply_raw(t->r, 200, "application/json", t->s.out, t->s.out_len);
    }
    gf_err_cleanup(&t->err);
    fc_scratch_cleanup(&t->s);
    free(t);
}

static void ptask_run(gf_pool_worker_t *w, void *arg)
{
    (void)w;
    ptask_t *t = arg;
    /* the body is borrowed: libevent keeps the request until the reply */
    t->rc = predict_run(t->app->life, t->r->body, t->r->body_len, t->app->max_rows, &t->s, &t->rows,
                        t->model, &t->err);
}

void h_predict_post(gf_req_t *r)
{
    fc_app_t *app = r->app;
    gf_err_t err = {0};
    if (r->body_len > app->inline_bytes) {
        ptask_t *t = gf_xcalloc(1, sizeof *t);
        t->r = r;
        t->app = app;
        if (gf_pool_submit(app->pool, ptask_run, ptask_reply, t, 0, NULL) != 0) {
            free(t);
            gf_reply_errorf(r, GF_EUNAVAIL, "busy",
                            "too many large prediction batches are queued; retry shortly");
        }
        return;
    }
    size_t rows = 0;
    char model[GF_REG_NAME_MAX + 1] = "";
    fc_scratch_t *s = &app->scratch;
    if (predict_run(app->life, r->body ? r->body : "", r->body_len, app->max_rows, s, &rows, model,
                    &err) != 0) {
        if (strcmp(err.code, "no_model") == 0) {
            no_model_reply(r, app, model, &err);
            return;
        }
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    gf_metric_add(m_predictions, 1);
    gf_metric_add(m_rows, (double)rows, "predict");
    gf_metric_observe(m_latency, gf_now_mono() - r->t_start, "predict");
    gf_reply_raw(r, 200, "application/json", s->out, s->out_len);
}

/* ---------------------------------------------------------------- GET /v1/models/loaded */

void h_models_loaded_get(gf_req_t *r)
{
    fc_app_t *app = r->app;
    static const char *const allowed[] = {"features", NULL};
    gf_err_t err = {0};
    bool features = false;
    if (gf_query_only(r, allowed, &err) != 0 ||
        gf_query_bool(r, "features", false, &features, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    gf_reply_json(r, 200, fc_life_loaded_json(app->life, features));
}

/* ---------------------------------------------------------------- GET /v1/forecast */

typedef struct fjob {
    gf_req_t *r;
    fc_app_t *app;
    fc_model_t *m;
    char region[32];
    long horizon, history;
    double start; /* < 0: absent */
    size_t nlev;
    double lev[FC_Q_MAX_LEVELS];
    int lev_explicit;
    int lidx[FC_Q_MAX_LEVELS];
    int64_t first, last, origin;
    int skip;
    char key[256], stamp[160];
    gf_feat_series_t s;
    int pending, failed, with_temp;
    int64_t rows;
    int lb;        /* hours of history the model's features read */
    int uses_temp; /* the model reads temperature: read gf:tobs / gf:tfc too */
    fc_wx_t wx;
} fjob_t;

static void fjob_fail(fjob_t *j, gf_err_t *err)
{
    gf_req_t *r = j->r;
    fc_model_release(j->m);
    gf_feat_series_cleanup(&j->s);
    fc_wx_cleanup(&j->wx);
    gf_reply_error(r, err);
    gf_err_cleanup(err);
}

static json_t *num_or_null(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static void fjob_finish(fjob_t *j)
{
    gf_err_t err = {0};
    fc_app_t *app = j->app;
    if (j->failed) {
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable",
                   "Redis failed while reading the "
                   "history of %s",
                   j->region);
        fjob_fail(j, &err);
        return;
    }
    if (!j->with_temp)
        fc_series_drop_temp(&j->s);
    if (j->uses_temp)
        fc_wx_apply(&j->wx, &j->s); /* observations on s->temp, forecasts as s->tfc */
    fc_forecast_t *fc = gf_xmalloc(sizeof *fc);
    if (fc_forecast_run(j->m, &j->s, j->origin, j->skip, (int)j->horizon, fc, &err) != 0) {
        if (strcmp(err.code, "insufficient_history") == 0)
            gf_err_add_field(&err, "start", "no demand in the 24 hours before the origin");
        free(fc);
        fjob_fail(j, &err);
        return;
    }
    char ts[40];
    json_t *o = json_object();
    json_object_set_new(o, "region", json_string(j->region));
    json_t *mo = json_object();
    json_object_set_new(mo, "name", json_string(fc_model_name(j->m)));
    json_object_set_new(mo, "version", json_integer(fc_model_version(j->m)));
    json_object_set_new(mo, "alias", json_string("production"));
    json_object_set_new(mo, "created_at", json_string(fc_model_created_at(j->m)));
    const gf_feat_spec_t *fs = fc_model_feat_spec(j->m);
    json_object_set_new(mo, "spec_hash", json_string(gf_feat_spec_hash(fs)));
    json_object_set_new(o, "model", mo);
    json_object_set_new(o, "origin", json_string(gf_time_format(j->origin, ts, sizeof ts)));
    json_object_set_new(o, "start", json_string(gf_time_format(fc->ts[0], ts, sizeof ts)));
    json_object_set_new(o, "horizon", json_integer(j->horizon));
    json_object_set_new(o, "last_data", json_string(gf_time_format(j->last, ts, sizeof ts)));
    json_object_set_new(o, "peak_mw",
                        num_or_null(fc_series_peak(&j->s, j->origin - YEAR_S, j->origin)));
    json_t *lv = json_array();
    for (size_t k = 0; k < j->nlev; k++)
        json_array_append_new(lv, json_real(j->lev[k]));
    json_object_set_new(o, "levels", lv);
    json_t *meth = json_object();
    json_object_set_new(meth, "direct_hours", json_integer(fc->direct_h));
    const fc_quantiles_t *mq = fc_model_quantiles(j->m);
    json_object_set_new(meth, "recursive",
                        json_string(mq && mq->nrec > 0
                                        ? "hours past direct_hours are forecast day block by day "
                                          "block, feeding earlier forecasts back as "
                                          "pseudo-actuals; their intervals are calibrated per "
                                          "lead hour on the trainer's out-of-sample recursive "
                                          "forecasts"
                                        : "hours past direct_hours are forecast day block by day "
                                          "block, feeding earlier forecasts back as "
                                          "pseudo-actuals; their intervals are the direct ones "
                                          "widened by sqrt(block + 1), an uncalibrated "
                                          "assumption"));
    json_object_set_new(o, "method", meth);
    if (gf_feat_spec_uses_temp_fc(fs)) {
        /* hours of this forecast whose temperature came from a stored forecast */
        size_t nfc = 0;
        for (size_t i = 0; i < fc->n; i++)
            nfc += !isnan(gf_feat_tfc_at(j->s.tfc, fc->ts[i], j->origin, NULL));
        json_object_set_new(o, "temperature_forecast_hours", json_integer((json_int_t)nfc));
    }
    json_t *pts = json_array();
    char nm[FC_Q_MAX_LEVELS][16];
    for (size_t k = 0; k < j->nlev; k++)
        fc_level_name(j->lev[k], nm[k], sizeof nm[k]);
    for (size_t i = 0; i < fc->n; i++) {
        json_t *p = json_object();
        json_object_set_new(p, "ts", json_string(gf_time_format(fc->ts[i], ts, sizeof ts)));
        json_object_set_new(p, "point", num_or_null(fc->point[i]));
        for (size_t k = 0; k < j->nlev; k++)
            if (j->lidx[k] >= 0)
                json_object_set_new(p, nm[k], num_or_null(fc->bound[i][j->lidx[k]]));
        json_object_set_new(p, "recursive", json_boolean(fc->recursive[i]));
        json_array_append_new(pts, p);
    }
    json_object_set_new(o, "points", pts);
    if (j->history > 0) {
        json_t *h = json_array();
        for (int64_t t = j->origin - 3600 * (int64_t)j->history; t < j->origin; t += 3600) {
            long k = gf_feat_series_index(&j->s, t);
            json_t *e = json_object();
            json_object_set_new(e, "ts", json_string(gf_time_format(t, ts, sizeof ts)));
            json_object_set_new(e, "demand_mw", k >= 0 ? num_or_null(j->s.demand[k]) : json_null());
            json_array_append_new(h, e);
        }
        json_object_set_new(o, "history", h);
    }
    size_t n = fc->n;
    free(fc);
    char *txt = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    size_t len = strlen(txt);
    fc_cache_put(app->cache, j->key, j->stamp, gf_now_mono(), txt, len);
    gf_metric_add(m_forecasts, 1, "miss");
    gf_metric_add(m_rows, (double)(n + (size_t)j->skip), "forecast");
    gf_req_t *r = j->r;
    gf_metric_observe(m_latency, gf_now_mono() - r->t_start, "forecast");
    fc_model_release(j->m);
    gf_feat_series_cleanup(&j->s);
    fc_wx_cleanup(&j->wx);
    gf_reply_header(r, "X-Cache", "miss");
    gf_reply_raw(r, 200, "application/json", txt, len);
    free(txt);
}

static void on_month(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    fjob_t *j = privdata;
    redisReply *rr = reply;
    if (rr == NULL || rr->type == REDIS_REPLY_ERROR)
        j->failed = 1;
    else
        fc_series_fill(&j->s, rr, &j->with_temp, NULL);
    if (--j->pending == 0)
        fjob_finish(j);
}

static void fjob_read(fjob_t *j, const char *temp_meta);
static void on_temp_meta(redisAsyncContext *ac, void *reply, void *privdata);

/* A temperature reply (observations or forecasts) into the job; the last reply finishes. */
static void wx_reply(fjob_t *j, const redisReply *rr, size_t (*fill)(fc_wx_t *, const redisReply *))
{
    if (rr == NULL || rr->type == REDIS_REPLY_ERROR)
        j->failed = 1;
    else
        fill(&j->wx, rr);
    if (--j->pending == 0)
        fjob_finish(j);
}

static void on_tobs(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    wx_reply(privdata, reply, fc_wx_fill_obs);
}

static void on_tfc(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    wx_reply(privdata, reply, fc_wx_fill_fc);
}

static int parse_i64(const redisReply *e, int64_t *out)
{
    if (e == NULL || e->type != REDIS_REPLY_STRING || e->len == 0 || e->len > 19)
        return -1;
    char *end;
    long long v = strtoll(e->str, &end, 10);
    if (end != e->str + e->len)
        return -1;
    *out = v;
    return 0;
}

static void on_region(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    fjob_t *j = privdata;
    fc_app_t *app = j->app;
    redisReply *rr = reply;
    gf_err_t err = {0};
    if (rr == NULL || rr->type != REDIS_REPLY_ARRAY || rr->elements != 3) {
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis did not answer");
        fjob_fail(j, &err);
        return;
    }
    if (parse_i64(rr->element[0], &j->first) != 0 || parse_i64(rr->element[1], &j->last) != 0) {
        gf_err_set(&err, GF_ENOTFOUND, "unknown_region",
                   "region '%s' is not known (no demand history)", j->region);
        gf_err_add_field(&err, "region", "unknown");
        fjob_fail(j, &err);
        return;
    }
    parse_i64(rr->element[2], &j->rows);
    j->first -= ((j->first % 3600) + 3600) % 3600;
    j->m = fc_life_get(app->life, j->region);
    if (j->m == NULL) {
        gf_err_set(&err, GF_EUNAVAIL, "no_model",
                   "no production model is loaded for region '%s' yet: train one (trainer "
                   "POST /v1/jobs) and alias it production",
                   j->region);
        fjob_fail(j, &err);
        return;
    }
    const gf_feat_spec_t *fs = fc_model_feat_spec(j->m);
    const fc_quantiles_t *q = fc_model_quantiles(j->m);
    if (fs == NULL) {
        gf_err_set(&err, GF_EUNPROCESSABLE, "no_feature_spec",
                   "model %s@%lld has no libs/features spec; it serves /v1/predict only",
                   fc_model_name(j->m), (long long)fc_model_version(j->m));
        fjob_fail(j, &err);
        return;
    }
    /* Levels: the stored ones only (never interpolated). */
    if (fc_levels_resolve(q, j->lev, j->nlev, j->lev_explicit, fc_model_name(j->m),
                          fc_model_version(j->m), j->lidx, &err) != 0) {
        fjob_fail(j, &err);
        return;
    }
    int D = q ? (int)q->nh : 24;
    int lb = gf_feat_spec_lookback(fs, D < 1 ? 1 : D > 168 ? 168 : D);
    if (fc_plan_origin(j->first, j->last, j->start, j->horizon, lb, j->region, &j->origin, &j->skip,
                       &err) != 0) {
        fjob_fail(j, &err);
        return;
    }
    j->lb = lb;
    j->uses_temp = gf_feat_spec_uses_temp(fs);
    if (!j->uses_temp) {
        fjob_read(j, NULL);
        return;
    }
    /* The model reads temperature: what is stored for the region is part of the cache stamp. */
    if (gf_redis_cmd(app->redis, on_temp_meta, j,
                     "HMGET gf:temp:{%s} obs_rows obs_last fc_rows fc_issued_last",
                     j->region) != 0) {
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
        fjob_fail(j, &err);
    }
}

static void on_temp_meta(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    fjob_t *j = privdata;
    redisReply *rr = reply;
    gf_err_t err = {0};
    if (rr == NULL || rr->type != REDIS_REPLY_ARRAY) {
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis did not answer");
        fjob_fail(j, &err);
        return;
    }
    char meta[96] = "";
    size_t ml = 0;
    for (size_t i = 0; i < rr->elements && ml < sizeof meta - 24; i++) {
        const redisReply *e = rr->element[i];
        ml += (size_t)snprintf(meta + ml, sizeof meta - ml, "|%.20s",
                               e->type == REDIS_REPLY_STRING ? e->str : "");
    }
    fjob_read(j, meta);
}

/* Cache lookup, then the reads: the demand months and, for a model that reads temperature,
 * the observations and forecasts (fc_weather.h). temp_meta: gf:temp:{R} counters for the
 * cache stamp (NULL when the model reads no temperature). */
static void fjob_read(fjob_t *j, const char *temp_meta)
{
    fc_app_t *app = j->app;
    gf_err_t err = {0};
    const int lb = j->lb;
    const int64_t rows = j->rows;
    /* Cache. */
    int kl = snprintf(j->key, sizeof j->key, "%s|%lld|%d|%ld|%ld|%lld|", j->region,
                      (long long)j->origin, j->skip, j->horizon, j->history,
                      (long long)fc_model_version(j->m));
    for (size_t k = 0; k < j->nlev && kl < (int)sizeof j->key - 24; k++)
        kl += snprintf(j->key + kl, sizeof j->key - (size_t)kl, "%g,", j->lev[k]);
    snprintf(j->stamp, sizeof j->stamp, "%lld|%lld%s", (long long)j->last, (long long)rows,
             temp_meta ? temp_meta : "");
    size_t len = 0;
    const char *hit = fc_cache_get(app->cache, j->key, j->stamp, gf_now_mono(), &len);
    if (hit != NULL) {
        gf_req_t *r = j->r;
        gf_metric_add(m_forecasts, 1, "hit");
        gf_metric_observe(m_latency, gf_now_mono() - r->t_start, "forecast");
        fc_model_release(j->m);
        gf_reply_header(r, "X-Cache", "hit");
        gf_reply_raw(r, 200, "application/json", hit, len);
        return;
    }
    /* History: a year for peak_mw, the lookback for the features. */
    int64_t from = j->origin - YEAR_S;
    if (j->origin - (int64_t)lb * 3600 < from)
        from = j->origin - (int64_t)lb * 3600;
    if (from < j->first)
        from = j->first;
    if ((j->origin - from) / 3600 > FC_SERIES_MAX_HOURS)
        from = j->origin - FC_SERIES_MAX_HOURS * 3600LL;
    if (fc_series_alloc(&j->s, from, (size_t)((j->origin - from) / 3600), &err) != 0) {
        fjob_fail(j, &err);
        return;
    }
    j->pending = 1; /* held until every command is sent */
    for (int64_t m = gf_feat_demand_month(from); m < j->origin; m = gf_feat_demand_month_next(m)) {
        char key[96];
        gf_feat_demand_key(key, sizeof key, j->region, m);
        const char *argv[] = {"HGETALL", key};
        j->pending++;
        if (gf_redis_cmd_argv(app->redis, on_month, j, 2, argv, NULL) != 0) {
            j->pending--;
            j->failed = 1;
            break;
        }
    }
    if (j->uses_temp && !j->failed) {
        char keys[48][96];
        size_t nobs;
        size_t nk = fc_wx_keys(j->region, j->origin, lb, j->skip + (int)j->horizon, keys, 48,
                               &nobs);
        for (size_t i = 0; i < nk; i++) {
            j->pending++;
            if (gf_redis_cmd(app->redis, i < nobs ? on_tobs : on_tfc, j, "HGETALL %s", keys[i]) !=
                0) {
                j->pending--;
                j->failed = 1;
                break;
            }
        }
    }
    if (--j->pending == 0)
        fjob_finish(j);
}

void h_forecast_get(gf_req_t *r)
{
    fc_app_t *app = r->app;
    gf_err_t err = {0};
    static const char *const allowed[] = {"region", "horizon", "start", "history", "levels", NULL};
    fjob_t *j = gf_req_alloc(r, sizeof *j);
    memset(j, 0, sizeof *j);
    j->r = r;
    j->app = app;
    const char *region = NULL, *levels = NULL;
    if (gf_query_only(r, allowed, &err) != 0 ||
        gf_query_str(r, "region", NULL, &region, &err) != 0 ||
        gf_query_long(r, "horizon", 1, 168, 24, &j->horizon, &err) != 0 ||
        gf_query_time(r, "start", -1, &j->start, &err) != 0 ||
        gf_query_long(r, "history", 0, MAX_HISTORY, 0, &j->history, &err) != 0 ||
        gf_query_str(r, "levels", NULL, &levels, &err) != 0)
        goto bad;
    if (region == NULL || region[0] == '\0') {
        gf_err_set(&err, GF_EINVAL, "missing_parameter", "region is required (e.g. region=PJM)");
        gf_err_add_field(&err, "region", "required");
        goto bad;
    }
    if (!gf_region_valid(region)) {
        gf_err_set(&err, GF_EINVAL, "invalid_region",
                   "region '%.40s' is not a region code ([A-Za-z0-9_-])", region);
        gf_err_add_field(&err, "region", "not a region code");
        goto bad;
    }
    snprintf(j->region, sizeof j->region, "%s", region);
    if (j->start != -1 && (j->start < 0 || fmod(j->start, 3600) != 0)) {
        gf_err_set(&err, GF_EINVAL, "invalid_parameter",
                   "start must be a whole UTC hour (e.g. 2018-06-04T00:00:00Z)");
        gf_err_add_field(&err, "start", "not a whole hour");
        goto bad;
    }
    if (levels != NULL) {
        if (fc_levels_parse(levels, j->lev, &j->nlev, &err) != 0)
            goto bad;
        j->lev_explicit = 1;
    } else {
        j->nlev = 3;
        j->lev[0] = 0.1;
        j->lev[1] = 0.5;
        j->lev[2] = 0.9;
    }
    char key[96];
    gf_feat_demand_region_key(key, sizeof key, j->region);
    const char *argv[] = {"HMGET", key, "first", "last", "rows"};
    if (gf_redis_cmd_argv(app->redis, on_region, j, 5, argv, NULL) != 0) {
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
        goto bad;
    }
    return;
bad:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
}
