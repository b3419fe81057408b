/*
 * h_schedule.c - scheduled retraining: the routes GET /v1/schedule and
 * PUT /v1/schedule/{region}, and the periodic check that starts scheduled jobs.
 *
 * Everything that touches Redis runs on the registry pool (one thread, its own sync
 * connection), so the loop never waits and the training pool stays free for jobs. A check
 * (every GF_TRAINER_RETRAIN_CHECK_SECONDS) walks gf:regions; per region, under a short lock
 * (gf:sched:{R}:lock, SET NX PX, so two replicas never start the same run):
 *   1. a scheduled job still recorded in the document: when its job record is finished, its
 *      outcome becomes "last_result" (promoted, version, both MAPEs, reason); while it is
 *      queued or running nothing else happens for the region (one scheduled job at a time);
 *   2. otherwise, when trn_sched_due says so, a job for that region alone is created, saved
 *      (it shows in GET /v1/jobs with options.trigger = "schedule") and queued on the job
 *      pool exactly as POST /v1/jobs does; the document records job, trigger, last_run and
 *      the next run.
 * The document lives in gf:sched:{R} (field "json"), so the schedule survives restarts; a job
 * a restart interrupted is marked failed by the restart recovery and recorded as such.
 */
#include "h_schedule.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/region.h"
#include "core/util.h"
#include "h_jobs.h"
#include "h_models.h"
#include "registry/registry.h"
#include "features/demand.h"
#include "trn_app.h"
#include "trn_keys.h"

#define LOCK_MS 30000

/* ------------------------------------------------------------------ Redis side (sync) */

static int sched_load(gf_rcluster_t *c, const char *region, json_t **doc, gf_err_t *err)
{
    *doc = NULL;
    char key[96];
    redisReply *r = gf_rcluster_cmd(c, NULL, "HGET %s json",
                                    trn_key_sched(key, sizeof key, region));
    if (gf_redis_reply_check(r, err) != 0) {
        if (r)
            freeReplyObject(r);
        return err->rc;
    }
    if (r->type == REDIS_REPLY_STRING) {
        *doc = json_loadb(r->str, r->len, 0, NULL);
        if (!json_is_object(*doc)) {
            GF_LOG(GF_LOG_WARN, "schedule_corrupt", "%s does not parse; defaults used", key);
            json_decref(*doc);
            *doc = NULL;
        }
    }
    freeReplyObject(r);
    return 0;
}

static int sched_save(gf_rcluster_t *c, const char *region, const json_t *doc, gf_err_t *err)
{
    char *text = json_dumps(doc, JSON_COMPACT), key[96];
    redisReply *r = gf_rcluster_cmd(c, NULL, "HSET %s json %s",
                                    trn_key_sched(key, sizeof key, region), text);
    free(text);
    int rc = gf_redis_reply_check(r, err);
    if (r)
        freeReplyObject(r);
    return rc;
}

/* The region's newest stored hour (0 when unknown) and the last hour the production model's
 * run saw (0 when there is no production model). */
static int data_state(gf_rcluster_t *c, const char *region, int64_t *last, int64_t *seen_to,
                      gf_err_t *err)
{
    *last = 0;
    *seen_to = 0;
    gf_feat_demand_t d;
    if (gf_feat_demand_info(c, region, &d, err) != 0)
        return err->rc;
    if (d.has_range)
        *last = d.last;
    char name[GF_REG_NAME_MAX + 1];
    trn_model_name(name, sizeof name, region);
    gf_reg_version_t *v = NULL;
    gf_err_t e = {0};
    int rc = gf_reg_version_load_ref(c, name, "production", 0, &v, &e);
    if (rc == 0) {
        json_t *m = json_loads(v->metrics_json ? v->metrics_json : "", 0, NULL);
        const json_t *to = json_object_get(json_object_get(m, "test_range"), "to_epoch");
        *seen_to = json_is_integer(to) ? (int64_t)json_integer_value(to) : v->data_to;
        json_decref(m);
        gf_reg_version_free(v);
    } else if (rc == GF_EUNAVAIL) {
        gf_err_set(err, rc, e.code, "%s", e.message);
        gf_err_cleanup(&e);
        return rc;
    }
    gf_err_cleanup(&e);
    return 0;
}

static json_t *job_doc_load(gf_rcluster_t *c, const char *id, gf_err_t *err, int *rc)
{
    *rc = 0;
    char key[96];
    redisReply *r = gf_rcluster_cmd(c, NULL, "HGET %s json", trn_key_job(key, sizeof key, id));
    if ((*rc = gf_redis_reply_check(r, err)) != 0) {
        if (r)
            freeReplyObject(r);
        return NULL;
    }
    json_t *doc = r->type == REDIS_REPLY_STRING ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    freeReplyObject(r);
    return doc;
}

/* Start a scheduled job for `region`; records it in doc. */
static int start_job(gf_rcluster_t *c, trn_app_t *app, const char *region, json_t *doc,
                     const char *why, int64_t data_last, gf_err_t *err)
{
    trn_job_opts_t o;
    if (trn_sched_job_opts(doc, &app->sched, &o, err) != 0)
        return err->rc;
    char id[TRN_JOB_ID_MAX + 1];
    double now = gf_now_wall();
    trn_job_id_new(id, sizeof id, now);
    char **regions = gf_xcalloc(1, sizeof *regions);
    regions[0] = gf_xstrdup(region);
    trn_job_t *job = trn_job_new(id, regions, 1, 0, &o, app->owner, now);
    snprintf(job->instance, sizeof job->instance, "%s", app->instance);
    if (trn_job_save(c, job, 1, app->env.job_ttl_days, err) != 0) {
        trn_job_free(job);
        return err->rc;
    }
    trn_sched_started(doc, &app->sched, id, why, data_last, now);
    gf_err_t se = {0};
    if (trn_jobs_submit(app, job, &se) != 0) {
        /* the saved record says queued: mark it failed; the next check records the result */
        int lrc = 0;
        json_t *jd = job_doc_load(c, id, err, &lrc);
        if (jd != NULL && trn_job_json_interrupt(jd, NULL, NULL, se.code, se.message, now)) {
            char *text = json_dumps(jd, JSON_COMPACT), key[96];
            redisReply *w = gf_rcluster_cmd(c, NULL, "HSET %s json %s",
                                            trn_key_job(key, sizeof key, id), text);
            free(text);
            if (w)
                freeReplyObject(w);
        }
        json_decref(jd);
        GF_LOG(GF_LOG_WARN, "schedule_submit_failed", "%s: %s", region, se.message);
    } else {
        GF_LOG(GF_LOG_INFO, "schedule_started", "%s: job %s (%s trigger)", region, id, why);
    }
    gf_err_cleanup(&se);
    return 0;
}

static void check_region(gf_rcluster_t *c, trn_app_t *app, const char *region)
{
    gf_err_t e = {0};
    char lock[96];
    trn_key_sched_lock(lock, sizeof lock, region);
    redisReply *lk = gf_rcluster_cmd(c, NULL, "SET %s %s NX PX %d", lock, app->instance, LOCK_MS);
    int locked = lk != NULL && lk->type == REDIS_REPLY_STATUS;
    if (lk)
        freeReplyObject(lk);
    if (!locked)
        return;
    json_t *stored = NULL;
    int64_t last = 0, seen_to = 0;
    if (sched_load(c, region, &stored, &e) != 0 || data_state(c, region, &last, &seen_to, &e) != 0)
        goto out;
    json_t *doc = trn_sched_doc(stored, region);
    int changed = 0;
    double now = gf_now_wall();
    const json_t *jid = json_object_get(doc, "job");
    if (json_is_string(jid)) {
        int rc = 0;
        json_t *jd = job_doc_load(c, json_string_value(jid), &e, &rc);
        if (rc == 0 && trn_sched_finish(doc, jd, now)) {
            changed = 1;
            const json_t *lr = json_object_get(doc, "last_result");
            GF_LOG(GF_LOG_INFO, "schedule_result", "%s: %s", region,
                   json_string_value(json_object_get(lr, "reason"))
                       ? json_string_value(json_object_get(lr, "reason"))
                       : json_string_value(json_object_get(lr, "state")));
        }
        json_decref(jd);
    }
    if (!json_is_string(json_object_get(doc, "job"))) {
        char why[16];
        if (trn_sched_due(doc, &app->sched, now, last, seen_to, why, sizeof why)) {
            if (start_job(c, app, region, doc, why, last, &e) == 0)
                changed = 1;
            else
                GF_LOG(GF_LOG_WARN, "schedule_start_failed", "%s: %s", region, e.message);
        } else {
            changed |= trn_sched_plan(doc, &app->sched, now);
        }
    }
    gf_err_cleanup(&e);
    if (changed && sched_save(c, region, doc, &e) != 0)
        GF_LOG(GF_LOG_WARN, "schedule_save_failed", "%s: %s", region, e.message);
    json_decref(doc);
out:
    json_decref(stored);
    gf_err_cleanup(&e);
    redisReply *ul = gf_rcluster_cmd(c, NULL, "DEL %s", lock);
    if (ul)
        freeReplyObject(ul);
}

/* The region codes of gf:regions, sorted. */
static char **regions_load(gf_rcluster_t *c, size_t *n, gf_err_t *err)
{
    *n = 0;
    redisReply *r = gf_rcluster_cmd(c, NULL, "SMEMBERS %s", GF_FEAT_DEMAND_REGIONS_KEY);
    if (gf_redis_reply_check(r, err) != 0) {
        if (r)
            freeReplyObject(r);
        return NULL;
    }
    char **v = gf_xcalloc(r->elements + 1, sizeof *v);
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING && gf_region_valid(r->element[i]->str))
            v[(*n)++] = gf_xstrdup(r->element[i]->str);
    freeReplyObject(r);
    for (size_t i = 1; i < *n; i++)
        for (size_t k = i; k > 0 && strcmp(v[k - 1], v[k]) > 0; k--) {
            char *t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
    return v;
}

static void check_job(gf_pool_worker_t *w, void *arg)
{
    trn_app_t *app = arg;
    gf_rcluster_t *c = trn_registry_conn(w, app);
    if (c == NULL || gf_pool_stopping(w))
        return;
    gf_err_t e = {0};
    size_t n = 0;
    char **regions = regions_load(c, &n, &e);
    for (size_t i = 0; i < n && !gf_pool_stopping(w); i++)
        check_region(c, app, regions[i]);
    trn_strv_free(regions, n);
    gf_err_cleanup(&e);
}

static void on_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    trn_app_t *app = arg;
    /* only once the jobs of a previous process are marked (a scheduled job it left running
     * must read as interrupted, not as still running) */
    if (atomic_load(&app->recovered) && gf_redis_ready(app->svc->redis) &&
        gf_pool_submit(app->registry, check_job, NULL, app, GF_POOL_NO_LIMIT, NULL) != 0)
        GF_LOG(GF_LOG_DEBUG, "schedule_check_skipped", "the registry pool is stopping");
}

int trn_schedule_start(trn_app_t *app, gf_err_t *err)
{
    double s = app->sched_check_seconds;
    struct timeval tv = {(time_t)s, (suseconds_t)((s - (time_t)s) * 1e6)};
    app->sched_timer = event_new(app->svc->base, -1, EV_PERSIST, on_check, app);
    if (app->sched_timer == NULL || event_add(app->sched_timer, &tv) != 0)
        return gf_err_set(err, GF_EINTERNAL, "timer", "cannot start the retraining schedule");
    return 0;
}

void trn_schedule_stop(trn_app_t *app)
{
    if (app->sched_timer)
        event_free(app->sched_timer);
    app->sched_timer = NULL;
}

/* ------------------------------------------------------------------ routes */

typedef struct sched_ctx {
    gf_req_t *r;
    trn_app_t *app;
    char region[GF_REGION_MAX + 1]; /* PUT */
    json_t *body;                   /* PUT, owned copy */
    json_t *out;
    gf_err_t err;
} sched_ctx_t;

/* The served view: the stored document with the effective settings and the data state. */
static json_t *view(const json_t *stored, const char *region, const trn_app_t *app, int64_t last,
                    int64_t seen_to, double now)
{
    json_t *o = trn_sched_doc(stored, region);
    trn_sched_eff_t eff;
    trn_sched_effective(o, &app->sched, &eff);
    json_object_set_new(o, "enabled", json_boolean(eff.enabled));
    json_object_set_new(o, "every_hours", json_integer(eff.every_hours));
    json_object_set_new(o, "after_days", json_integer(eff.after_days));
    trn_sched_plan(o, &app->sched, now); /* what the next check will plan */
    trn_job_opts_t opts;
    gf_err_t e = {0};
    if (trn_sched_job_opts(o, &app->sched, &opts, &e) == 0)
        json_object_set_new(o, "min_gain_pct", json_real(opts.min_gain_pct));
    gf_err_cleanup(&e);
    json_object_set_new(o, "data_last", last > 0 ? json_integer(last) : json_null());
    json_object_set_new(o, "model_seen_to", seen_to > 0 ? json_integer(seen_to) : json_null());
    char why[16];
    int busy = json_is_string(json_object_get(o, "job"));
    int due = !busy && trn_sched_due(o, &app->sched, now, last, seen_to, why, sizeof why);
    json_object_set_new(o, "due", due ? json_string(why) : json_null());
    return o;
}

static void work(gf_pool_worker_t *w, void *arg, int put)
{
    sched_ctx_t *c = arg;
    gf_rcluster_t *rc = trn_registry_conn(w, c->app);
    if (rc == NULL) {
        gf_err_set(&c->err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
        return;
    }
    size_t n = 0;
    char **regions = regions_load(rc, &n, &c->err);
    if (regions == NULL)
        return;
    double now = gf_now_wall();
    json_t *list = json_array();
    int found = 0;
    for (size_t i = 0; i < n && c->err.rc == 0; i++) {
        if (put && strcmp(regions[i], c->region) != 0)
            continue;
        found = 1;
        json_t *stored = NULL;
        int64_t last = 0, seen_to = 0;
        if (sched_load(rc, regions[i], &stored, &c->err) != 0 ||
            data_state(rc, regions[i], &last, &seen_to, &c->err) != 0)
            break;
        if (put) {
            json_t *next = NULL;
            if (trn_sched_parse_put(c->body, stored, regions[i], &c->app->sched, now, &next,
                                    &c->err) != 0 ||
                sched_save(rc, regions[i], next, &c->err) != 0) {
                json_decref(next);
                json_decref(stored);
                break;
            }
            json_decref(stored);
            stored = next;
        }
        json_array_append_new(list, view(stored, regions[i], c->app, last, seen_to, now));
        json_decref(stored);
    }
    trn_strv_free(regions, n);
    if (c->err.rc == 0 && put && !found)
        gf_err_set(&c->err, GF_ENOTFOUND, "unknown_region",
                   "region '%s' is not known (no demand history in Redis)", c->region);
    if (c->err.rc != 0) {
        json_decref(list);
        return;
    }
    if (put) {
        c->out = json_incref(json_array_get(list, 0));
        json_decref(list);
    } else {
        c->out = json_pack("{s:I, s:o}", "check_seconds", (json_int_t)c->app->sched_check_seconds,
                           "regions", list);
    }
}

static void work_get(gf_pool_worker_t *w, void *arg)
{
    work(w, arg, 0);
}

static void work_put(gf_pool_worker_t *w, void *arg)
{
    work(w, arg, 1);
}

static void on_done(void *arg)
{
    sched_ctx_t *c = arg;
    if (c->err.rc != 0)
        gf_reply_error(c->r, &c->err);
    else
        gf_reply_json(c->r, 200, c->out);
    gf_err_cleanup(&c->err);
    json_decref(c->body);
    free(c);
}

static void submit(sched_ctx_t *c, gf_pool_work_fn fn)
{
    gf_err_t err = {0};
    if (gf_pool_submit(c->app->registry, fn, on_done, c, 0, &err) != 0) {
        gf_reply_error(c->r, &err);
        gf_err_cleanup(&err);
        json_decref(c->body);
        free(c);
    }
}

void h_schedule_list(gf_req_t *r)
{
    sched_ctx_t *c = gf_xcalloc(1, sizeof *c);
    c->r = r;
    c->app = r->app;
    submit(c, work_get);
}

void h_schedule_put(gf_req_t *r)
{
    trn_app_t *app = r->app;
    const char *region = gf_req_param(r, "region");
    gf_err_t err = {0};
    if (region == NULL || !gf_region_valid(region)) {
        gf_reply_errorf(r, GF_ENOTFOUND, "unknown_region", "region '%.64s' is not known",
                        region ? region : "");
        return;
    }
    json_t *body = gf_req_json(r, &err);
    json_t *check = NULL;
    /* validate on the loop: a bad body is refused before anything is read or written */
    if (body == NULL ||
        trn_sched_parse_put(body, NULL, region, &app->sched, gf_now_wall(), &check, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    json_decref(check);
    sched_ctx_t *c = gf_xcalloc(1, sizeof *c);
    c->r = r;
    c->app = app;
    snprintf(c->region, sizeof c->region, "%s", region);
    c->body = json_deep_copy(body);
    submit(c, work_put);
}
