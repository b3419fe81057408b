/*
 * h_readings.c - POST /v1/readings (meter-reading batches).
 *
 * Flow of a batch, all on the loop thread: parse (ing_readings_parse, allocation-free over
 * the request body) -> validate -> ing_store_plan groups the readings into parts (one
 * partition {region:bucket}, at most GF_INGEST_CHUNK readings) -> one EVALSHA per part sent
 * at once on the async connection (gf_redis_cmd_argv) -> each reply goes through
 * ing_store_apply_reply -> when the last part has answered, the client gets its counts.
 * The reply therefore follows Redis's acknowledgement of every part; if a part failed (or
 * could not be sent) the answer is 503 naming the index ranges that were stored and those
 * that were not. A retry is harmless: the script dedupes by (region, meter_id, ts).
 *
 * A NOSCRIPT answer (Redis restarted and lost its script cache) resends that chunk once with
 * EVAL and the source, and reloads the script for the next batches.
 *
 * Ownership: a batch_req_t lives from the handler until the last chunk callback; reading
 * batches come from a small pool on the app so their arrays are reused.
 */
#include "ing_app.h"

#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static gf_metric_t *m_readings, *m_dup, *m_rejected, *m_last_ts, *m_batch, *m_write, *m_batches;
static double last_ts_s;

void ing_readings_metrics_init(void)
{
    m_readings = gf_metric_counter("gf_ingestion_readings_total",
                                   "Meter readings accepted and stored (first seen).", NULL);
    m_dup = gf_metric_counter("gf_ingestion_readings_duplicate_total",
                              "Valid meter readings already stored (retries, overlaps).", NULL);
    m_rejected = gf_metric_counter("gf_ingestion_readings_rejected_total",
                                   "Meter readings rejected by validation, by reason.", "reason");
    m_last_ts = gf_metric_gauge("gf_ingestion_last_reading_timestamp_seconds",
                                "Time stamp of the newest accepted reading (epoch s).", NULL);
    static const double bb[] = {1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000};
    m_batch = gf_metric_histogram("gf_ingestion_batch_readings", "Readings per POSTed batch.", NULL,
                                  bb, sizeof bb / sizeof bb[0]);
    static const double wb[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    m_write = gf_metric_histogram("gf_ingestion_redis_write_seconds",
                                  "Latency of one write command to Redis (send to reply).", "kind",
                                  wb, sizeof wb / sizeof wb[0]);
    m_batches = gf_metric_counter("gf_ingestion_batches_total", "Reading batches by outcome.",
                                  "result");
}

/* ---------------------------------------------------------------- script and batches */

static void on_script_loaded(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    ing_app_t *app = priv;
    redisReply *rep = reply;
    app->cb_pending--;
    if (rep && rep->type == REDIS_REPLY_STRING && rep->len == 40) {
        memcpy(app->store_sha, rep->str, 40);
        app->store_sha[40] = '\0';
        app->scfg.script_sha = app->store_sha;
        gf_redis_retry_reset(app->script_retry);
    } else {
        /* Not ready until it is loaded (batches meanwhile EVAL the source). */
        GF_LOG(GF_LOG_WARN, "script_load_failed", "batch script not loaded (%.120s); retrying",
               rep == NULL                      ? "connection lost"
               : rep->type == REDIS_REPLY_ERROR ? rep->str
                                                : "unexpected reply");
        gf_redis_retry_later(app->script_retry);
    }
}

static void load_script(ing_app_t *app)
{
    const char *argv[] = {"SCRIPT", "LOAD", ing_store_script()};
    /* Not connected: the next connect (ing_redis_state) loads it. */
    if (gf_redis_cmd_argv(app->redis, on_script_loaded, app, 3, argv, NULL) == 0)
        app->cb_pending++;
}

void ing_load_script(void *app)
{
    load_script(app);
}

void ing_redis_state(bool ready, void *arg)
{
    ing_app_t *app = arg;
    if (!ready)
        return;
    /* The data may have changed behind a reconnect (Redis restarted from its AOF). */
    app->store_sha[0] = '\0';
    app->scfg.script_sha = NULL;
    load_script(app);
}

static ing_batch_t *batch_get(ing_app_t *app)
{
    if (app->nbatch_pool > 0) {
        ing_batch_t *b = app->batch_pool[--app->nbatch_pool];
        ing_batch_reset(b);
        return b;
    }
    ing_batch_t *b = gf_xmalloc(sizeof *b);
    ing_batch_init(b, app->max_readings);
    return b;
}

static void batch_put(ing_app_t *app, ing_batch_t *b)
{
    /* Keep pooled arrays modest: a 100k batch's array goes back to the allocator. */
    if (app->nbatch_pool < ING_BATCH_POOL && b->cap <= 20000) {
        app->batch_pool[app->nbatch_pool++] = b;
        return;
    }
    ing_batch_cleanup(b);
    free(b);
}

/* ---------------------------------------------------------------- POST /v1/readings */

enum { CH_PENDING = 0, CH_OK, CH_FAILED, CH_NOT_SENT };

typedef struct batch_req batch_req_t;

typedef struct chunk {
    batch_req_t *q;
    size_t part;
    double t_send;
    int state;
    int resent;
} chunk_t;

struct batch_req {
    gf_req_t *r;
    ing_app_t *app;
    ing_batch_t *b;
    ing_store_plan_t plan;
    chunk_t *ch;
    size_t nch, pending;
    ing_store_counts_t counts;
    gf_err_t err; /* first failure */
};

static void finish(batch_req_t *q);
static void on_chunk(redisAsyncContext *ac, void *reply, void *priv);

static int send_chunk(batch_req_t *q, chunk_t *c, const char *sha)
{
    ing_app_t *app = q->app;
    ing_store_cfg_t cfg = app->scfg;
    cfg.script_sha = sha;
    ing_cmd_t cmd;
    ing_cmd_init(&cmd);
    ing_store_build(&cfg, q->b, &q->plan, c->part, &cmd);
    c->t_send = gf_now_mono();
    int rc = gf_redis_cmd_argv(app->redis, on_chunk, c, cmd.argc, cmd.argv, cmd.argvlen);
    ing_cmd_cleanup(&cmd);
    return rc;
}

static void on_chunk(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    chunk_t *c = priv;
    batch_req_t *q = c->q;
    ing_app_t *app = q->app;
    gf_err_t e = {0};
    int rc = ing_store_apply_reply(&app->scfg, q->b, &q->plan, c->part, reply, &q->counts, &e);
    gf_metric_observe(m_write, gf_now_mono() - c->t_send, "readings");
    if (rc != 0 && strcmp(e.code, "noscript") == 0 && !c->resent) {
        /* Redis lost its script cache: EVAL this chunk with the source, reload for later. */
        c->resent = 1;
        if (app->scfg.script_sha != NULL) {
            app->scfg.script_sha = NULL;
            app->store_sha[0] = '\0';
            load_script(app);
        }
        if (send_chunk(q, c, NULL) == 0) {
            gf_err_cleanup(&e);
            return;
        }
        gf_err_set(&e, GF_EUNAVAIL, "redis_unavailable", "Redis went away during the write");
    }
    if (rc != 0 || e.rc != 0) {
        c->state = CH_FAILED;
        if (q->err.rc == 0) {
            q->err = e;
            e.details = NULL;
        }
    } else {
        c->state = CH_OK;
    }
    gf_err_cleanup(&e);
    if (--q->pending == 0)
        finish(q);
}

/* Index ranges of the readings whose part was (ok) or was not (!ok) acknowledged. */
static json_t *ranges_json(const batch_req_t *q, int ok)
{
    json_t *a = json_array();
    const ing_batch_t *b = q->b;
    for (size_t i = 0; i < b->n;) {
        int is_ok = b->v[i].status != ING_ST_PENDING;
        size_t e = i + 1;
        while (e < b->n && (b->v[e].status != ING_ST_PENDING) == is_ok)
            e++;
        if (is_ok == ok)
            json_array_append_new(a, json_pack("{s:I,s:I}", "from", (json_int_t)i, "to",
                                               (json_int_t)(e - 1)));
        i = e;
    }
    return a;
}

static void account(batch_req_t *q)
{
    ing_app_t *app = q->app;
    const ing_batch_t *b = q->b;
    int64_t now_s = (int64_t)gf_now_wall();
    size_t by[ING_R__COUNT] = {0};
    int64_t newest = INT64_MIN;
    for (size_t i = 0; i < b->n; i++) {
        const ing_reading_t *rd = &b->v[i];
        if (rd->code != ING_R_OK) {
            by[rd->code < ING_R__COUNT ? rd->code : 0]++;
            continue;
        }
        if (rd->status != ING_ST_NEW)
            continue;
        ing_live_meter(app->live, rd, now_s);
        if (rd->ts_ms > newest)
            newest = rd->ts_ms;
    }
    ing_live_count(app->live, now_s, q->counts.accepted, q->counts.duplicate, by);
    gf_metric_add(m_readings, (double)q->counts.accepted);
    gf_metric_add(m_dup, (double)q->counts.duplicate);
    for (int c = 1; c < ING_R__COUNT; c++)
        if (by[c])
            gf_metric_add(m_rejected, (double)by[c], ing_reject_code(c));
    if (newest != INT64_MIN && newest / 1000.0 > last_ts_s) {
        last_ts_s = newest / 1000.0;
        gf_metric_set(m_last_ts, last_ts_s);
    }
}

static void release(batch_req_t *q)
{
    batch_put(q->app, q->b);
    ing_store_plan_cleanup(&q->plan);
    gf_err_cleanup(&q->err);
    free(q->ch);
    free(q);
}

static void finish(batch_req_t *q)
{
    size_t stored = 0;
    for (size_t i = 0; i < q->nch; i++)
        stored += q->ch[i].state == CH_OK;
    if (stored > 0)
        account(q); /* only readings of acknowledged chunks have a status */
    if (stored == q->nch) {
        json_t *o = json_object();
        json_object_set_new(o, "received", json_integer((json_int_t)q->b->n));
        json_object_set_new(o, "accepted", json_integer((json_int_t)q->counts.accepted));
        json_object_set_new(o, "duplicate", json_integer((json_int_t)q->counts.duplicate));
        json_object_set_new(o, "rejected", json_integer((json_int_t)(q->b->n - q->b->accepted)));
        json_object_set_new(o, "rejections", ing_batch_rejections_json(q->b, 0));
        gf_metric_add(m_batches, 1, "ok");
        gf_reply_json(q->r, 200, o);
    } else {
        gf_err_t e = {0};
        gf_err_set(&e, GF_EUNAVAIL, q->err.rc ? q->err.code : "redis_unavailable",
                   "%zu of %zu write parts were not stored (%s); the readings in `stored` "
                   "are in Redis, resend the batch (retries are idempotent)",
                   q->nch - stored, q->nch, q->err.rc ? q->err.message : "Redis unavailable");
        json_t *d = json_object();
        json_object_set_new(d, "stored", ranges_json(q, 1));
        json_object_set_new(d, "not_stored", ranges_json(q, 0));
        json_object_set_new(d, "accepted", json_integer((json_int_t)q->counts.accepted));
        json_object_set_new(d, "duplicate", json_integer((json_int_t)q->counts.duplicate));
        gf_err_add_detail(&e, d);
        gf_metric_add(m_batches, 1, stored ? "partial" : "failed");
        gf_reply_header(q->r, "Retry-After", "1");
        gf_reply_error(q->r, &e);
        gf_err_cleanup(&e);
    }
    release(q);
}

void h_readings_post(gf_req_t *r)
{
    ing_app_t *app = r->app;
    gf_err_t err = {0};
    batch_req_t *q = gf_xcalloc(1, sizeof *q);
    q->r = r;
    q->app = app;
    q->b = batch_get(app);
    int rc = ing_readings_parse(q->b, r->body, r->body_len, &err);
    if (rc != 0) {
        gf_metric_add(m_batches, 1, err.code);
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        ing_batch_reset(q->b);
        release(q);
        return;
    }
    ing_batch_t *b = q->b;
    ing_validate_batch(&app->vcfg, b, (int64_t)(gf_now_wall() * 1000.0));
    gf_metric_observe(m_batch, (double)b->n);
    if (b->n == 0) {
        finish(q);
        return;
    }
    if (!gf_redis_usable(app->redis)) { /* a cluster with one master down still takes the
                                         * parts of the other masters */
        gf_metric_add(m_batches, 1, "failed");
        gf_reply_header(r, "Retry-After", "1");
        gf_reply_errorf(r, GF_EUNAVAIL, "redis_unavailable",
                        "Redis is not reachable; nothing was stored");
        release(q);
        return;
    }
    if (b->accepted < b->n && app->meter_anomaly_max > 0) {
        ing_anomaly_t an[64];
        size_t cap = app->meter_anomaly_max < 64 ? app->meter_anomaly_max : 64;
        size_t na = ing_anomaly_meters(&app->vcfg, b, an, cap);
        if (na > 0)
            ing_anomaly_store_async(app, an, na < cap ? na : cap);
    }
    q->nch = ing_store_plan(&app->scfg, b, &q->plan);
    q->ch = gf_xcalloc(q->nch, sizeof *q->ch);
    for (size_t i = 0; i < q->nch; i++) {
        q->ch[i].q = q;
        q->ch[i].part = i;
        q->ch[i].state = CH_NOT_SENT;
    }
    for (size_t i = 0; i < q->nch; i++) {
        q->ch[i].state = CH_PENDING;
        q->pending++;
        if (send_chunk(q, &q->ch[i], app->scfg.script_sha) != 0) {
            /* Its Redis (a cluster: the master of its partition) is not reachable; the other
             * parts still go (on one Redis they fail the same way, at once). */
            q->ch[i].state = CH_NOT_SENT;
            q->pending--;
            if (q->err.rc == 0)
                gf_err_set(&q->err, GF_EUNAVAIL, "redis_unavailable",
                           "Redis (or the cluster master of a partition) is not reachable");
        }
    }
    if (q->pending == 0)
        finish(q);
}
