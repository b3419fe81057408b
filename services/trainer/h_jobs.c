/*
 * h_jobs.c - job routes of the trainer. Jobs are recorded in Redis (trn_keys.h): gf:jobs
 * (sorted set: job id scored by creation time) and gf:job:{id} (hash, the job's JSON document
 * under field "json", trn_job_to_json), written in that order (trn_run.h, trn_job_save). The POST
 * handler validates, checks the regions against gf:regions, saves the queued job and only then
 * answers 202 and hands the job to the job pool (app->pool, core/pool.h); from then on the pool
 * thread owns the job and keeps its document current. GET /v1/jobs lists the most recent first; GET
 * /v1/jobs/{id} reads one document.
 *
 * Shutdown (gf_pool_free from main.c's cleanup): a running job gets GF_DRAIN_SECONDS, then
 * the pool cancels it and trn_run_job ends it "interrupted" within a boosting round; a job
 * still queued is saved failed / "interrupted by shutdown before it started".
 */
#include "h_jobs.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/region.h"
#include "core/svc.h"
#include "core/util.h"
#include "features/demand.h"
#include "trn_app.h"
#include "trn_keys.h"

/* GET /v1/jobs: ZREVRANGE of the index, then one HGET per id (each document has a hash tag
 * of its own, so on a Redis Cluster they sit on different masters and no one script can read
 * them all). The documents come back into their slots in index order; an id whose document
 * is gone (expired, or its save failed after the index entry) is left out. */
typedef struct list_ctx {
    gf_req_t *r;
    size_t n, pending;
    json_t **docs; /* n slots, NULL until (unless) a document arrives */
    gf_err_t err;
} list_ctx_t;

typedef struct list_slot {
    list_ctx_t *l;
    size_t i;
} list_slot_t;

static void list_finish(list_ctx_t *l)
{
    if (l->err.rc != 0) {
        gf_reply_error(l->r, &l->err);
    } else {
        json_t *jobs = json_array();
        for (size_t i = 0; i < l->n; i++)
            if (l->docs[i] != NULL)
                json_array_append(jobs, l->docs[i]);
        json_t *o = json_object();
        json_object_set_new(o, "count", json_integer((json_int_t)json_array_size(jobs)));
        json_object_set_new(o, "jobs", jobs);
        gf_reply_json(l->r, 200, o);
    }
    for (size_t i = 0; i < l->n; i++)
        json_decref(l->docs[i]);
    free(l->docs);
    gf_err_cleanup(&l->err);
    free(l);
}

static void on_list_doc(redisAsyncContext *ac, void *reply_, void *privdata)
{
    (void)ac;
    list_slot_t *s = privdata;
    list_ctx_t *l = s->l;
    redisReply *reply = reply_;
    if (l->err.rc == 0 && gf_redis_reply_check(reply, &l->err) == 0 &&
        reply->type == REDIS_REPLY_STRING)
        l->docs[s->i] = json_loadb(reply->str, reply->len, 0, NULL);
    free(s);
    if (--l->pending == 0)
        list_finish(l);
}

static void on_list_ids(redisAsyncContext *ac, void *reply_, void *privdata)
{
    (void)ac;
    list_ctx_t *l = privdata;
    gf_service_t *svc = gf_req_service(l->r);
    redisReply *reply = reply_;
    if (gf_redis_reply_check(reply, &l->err) != 0 || reply->type != REDIS_REPLY_ARRAY) {
        list_finish(l);
        return;
    }
    l->docs = gf_xcalloc(reply->elements ? reply->elements : 1, sizeof *l->docs);
    l->n = reply->elements;
    l->pending = 1; /* held while sending */
    for (size_t i = 0; i < reply->elements; i++) {
        redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_STRING || !trn_job_id_valid(e->str))
            continue;
        char key[96];
        trn_key_job(key, sizeof key, e->str);
        const char *argv[] = {"HGET", key, "json"};
        list_slot_t *s = gf_xmalloc(sizeof *s);
        s->l = l;
        s->i = i;
        l->pending++;
        if (gf_redis_cmd_argv(svc->redis, on_list_doc, s, 3, argv, NULL) != 0) {
            l->pending--;
            free(s);
            gf_err_set(&l->err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
            break;
        }
    }
    if (--l->pending == 0)
        list_finish(l);
}

void h_jobs_list(gf_req_t *r)
{
    gf_err_t err = {0};
    long limit;
    static const char *const allowed[] = {"limit", NULL};
    if (gf_query_only(r, allowed, &err) != 0 ||
        gf_query_long(r, "limit", 1, 1000, 50, &limit, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    char last[24];
    snprintf(last, sizeof last, "%ld", limit - 1);
    const char *argv[] = {"ZREVRANGE", TRN_KEY_JOBS, "0", last};
    list_ctx_t *l = gf_xcalloc(1, sizeof *l);
    l->r = r;
    if (gf_redis_cmd_argv(gf_req_service(r)->redis, on_list_ids, l, 4, argv, NULL) != 0) {
        free(l);
        gf_reply_errorf(r, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
    }
}

/* ------------------------------------------------------------------ the job pool */

typedef struct job_task {
    const trn_run_env_t *env; /* the app's, lives as long as the pool */
    trn_job_t *job;
} job_task_t;

static int job_cancelled(void *arg)
{
    return gf_pool_cancelled(arg);
}

/* Pool work: run the job to its end, or, when the shutdown came first, record that it never
 * started. Owns and frees the task. */
static void job_work(gf_pool_worker_t *w, void *arg)
{
    job_task_t *t = arg;
    trn_job_t *job = t->job;
    if (gf_pool_stopping(w)) {
        job->state = TRN_JOB_FAILED;
        job->finished_at = gf_now_wall();
        trn_job_set_error(job, "interrupted", "interrupted by shutdown before it started");
        gf_err_t e = {0};
        gf_rcluster_t *c = gf_rcluster_worker(w, &t->env->redis, 2000, &e);
        if (c == NULL || trn_job_save(c, job, 0, t->env->job_ttl_days, &e) != 0)
            GF_LOG(GF_LOG_WARN, "job_save_failed", "job %s: %s", job->id, e.message);
        gf_err_cleanup(&e);
    } else {
        GF_LOG(GF_LOG_INFO, "job_start", "job %s: %zu regions", job->id, job->nregions);
        trn_run_hooks_t hooks = {.cancelled = job_cancelled, .arg = w};
        trn_job_state_t st = trn_run_job(job, t->env, &hooks);
        GF_LOG(st == TRN_JOB_SUCCEEDED ? GF_LOG_INFO : GF_LOG_WARN, "job_end", "job %s: %s%s%s",
               job->id, trn_job_state_name(st), job->err_msg[0] ? ": " : "", job->err_msg);
    }
    trn_job_free(job);
    free(t);
}

/* Queue a saved job (stolen: freed when refused). GF_ERATE "queue_full" when
 * GF_TRAINER_MAX_QUEUED_JOBS wait, GF_EUNAVAIL "shutting_down" while stopping. */
int trn_jobs_submit(trn_app_t *app, trn_job_t *job, gf_err_t *err)
{
    job_task_t *t = gf_xmalloc(sizeof *t);
    t->env = &app->env;
    t->job = job;
    int rc = gf_pool_submit(app->pool, job_work, NULL, t, 0, err);
    if (rc != 0) {
        if (strcmp(err->code, "queue_full") == 0)
            rc = gf_err_set(err, GF_ERATE, "queue_full", "%ld jobs are already queued",
                            gf_cfg_int(&app->svc->cfg, "GF_TRAINER_MAX_QUEUED_JOBS"));
        trn_job_free(job);
        free(t);
    }
    return rc;
}

/* ------------------------------------------------------------------ POST /v1/jobs */

typedef struct create_ctx {
    gf_req_t *r;
    char **regions;
    size_t n;
    int all;
    trn_job_opts_t opts;
    trn_job_t *job;
} create_ctx_t;

static void create_ctx_free(create_ctx_t *c)
{
    trn_strv_free(c->regions, c->n);
    trn_job_free(c->job);
    free(c);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void on_saved(redisAsyncContext *ac, void *reply_, void *privdata)
{
    (void)ac;
    create_ctx_t *c = privdata;
    gf_req_t *r = c->r;
    trn_app_t *app = r->app;
    gf_err_t err = {0};
    if (gf_redis_reply_check(reply_, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        create_ctx_free(c);
        return;
    }
    json_t *doc = trn_job_to_json(c->job);
    char loc[96];
    snprintf(loc, sizeof loc, "/v1/jobs/%s", c->job->id);
    trn_job_t *job = c->job;
    c->job = NULL;
    if (trn_jobs_submit(app, job, &err) != 0) {
        /* the record stays "queued": say so in it, best effort */
        json_object_set_new(doc, "state", json_string("failed"));
        json_object_set_new(doc, "error",
                            json_pack("{s:s, s:s}", "code", err.code, "message", err.message));
        char *text = json_dumps(doc, JSON_COMPACT), key[96];
        trn_key_job(key, sizeof key, json_string_value(json_object_get(doc, "id")));
        const char *argv[] = {"HSET", key, "json", text};
        gf_redis_cmd_argv(app->svc->redis, NULL, NULL, 4, argv, NULL);
        free(text);
        json_decref(doc);
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        create_ctx_free(c);
        return;
    }
    json_object_set_new(doc, "location", json_string(loc));
    gf_reply_header(r, "Location", loc);
    gf_reply_json(r, 202, doc);
    create_ctx_free(c);
}

/* The job's index entry is written (on_indexed), then its document (on_saved): the order of
 * trn_job_save, so a failure in between leaves an entry that readers skip, never a document
 * nothing lists. */
static void on_indexed(redisAsyncContext *ac, void *reply_, void *privdata)
{
    (void)ac;
    create_ctx_t *c = privdata;
    gf_req_t *r = c->r;
    trn_app_t *app = r->app;
    gf_err_t err = {0};
    if (gf_redis_reply_check(reply_, &err) != 0)
        goto fail;
    json_t *doc = trn_job_to_json(c->job);
    char *text = json_dumps(doc, JSON_COMPACT), key[96];
    json_decref(doc);
    trn_key_job(key, sizeof key, c->job->id);
    const char *argv[] = {"HSET", key, "json", text};
    int rc = gf_redis_cmd_argv(app->svc->redis, on_saved, c, 4, argv, NULL);
    free(text);
    if (rc == 0)
        return;
    gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
fail:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
    create_ctx_free(c);
}

static void on_regions(redisAsyncContext *ac, void *reply_, void *privdata)
{
    (void)ac;
    create_ctx_t *c = privdata;
    gf_req_t *r = c->r;
    trn_app_t *app = r->app;
    redisReply *reply = reply_;
    gf_err_t err = {0};
    if (gf_redis_reply_check(reply, &err) != 0)
        goto fail;
    size_t nk = reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0;
    if (c->all) {
        c->regions = gf_xcalloc(nk ? nk : 1, sizeof *c->regions);
        for (size_t i = 0; i < nk; i++)
            if (reply->element[i]->type == REDIS_REPLY_STRING &&
                gf_region_valid(reply->element[i]->str))
                c->regions[c->n++] = gf_xstrdup(reply->element[i]->str);
        if (c->n == 0) {
            gf_err_set(&err, GF_EUNPROCESSABLE, "no_regions",
                       "no region has demand history yet (gf:regions is empty): import data first");
            gf_err_add_field(&err, "regions", "no regions known");
            goto fail;
        }
        qsort(c->regions, c->n, sizeof *c->regions, cmp_str);
    } else {
        char unknown[200] = "";
        size_t nu = 0;
        for (size_t i = 0; i < c->n; i++) {
            int found = 0;
            for (size_t k = 0; k < nk && !found; k++)
                found = reply->element[k]->type == REDIS_REPLY_STRING &&
                        strcmp(reply->element[k]->str, c->regions[i]) == 0;
            if (!found) {
                size_t l = strlen(unknown);
                snprintf(unknown + l, sizeof unknown - l, "%s'%s'", nu ? ", " : "", c->regions[i]);
                nu++;
            }
        }
        if (nu > 0) {
            gf_err_set(&err, GF_ENOTFOUND, "unknown_region",
                       "%s %s not known (no demand history in Redis)",
                       nu > 1 ? "regions" : "region", unknown);
            for (size_t i = 0; i < c->n; i++) {
                int found = 0;
                for (size_t k = 0; k < nk && !found; k++)
                    found = reply->element[k]->type == REDIS_REPLY_STRING &&
                            strcmp(reply->element[k]->str, c->regions[i]) == 0;
                if (!found)
                    gf_err_add_detail(&err,
                                      json_pack("{s:s, s:s, s:s}", "field", "regions", "region",
                                                c->regions[i], "reason", "unknown region"));
            }
            goto fail;
        }
    }
    char id[TRN_JOB_ID_MAX + 1];
    double now = gf_now_wall();
    trn_job_id_new(id, sizeof id, now);
    c->job = trn_job_new(id, c->regions, c->n, c->all, &c->opts, app->owner, now);
    snprintf(c->job->instance, sizeof c->job->instance, "%s", app->instance);
    c->regions = NULL;
    c->n = 0;
    char score[32], keep[16];
    snprintf(score, sizeof score, "%.3f", now);
    snprintf(keep, sizeof keep, "%d", TRN_JOBS_INDEX_MAX);
    const char *argv[] = {"EVAL", trn_jobs_index_script, "1", TRN_KEY_JOBS, score, id, keep};
    if (gf_redis_cmd_argv(app->svc->redis, on_indexed, c, 7, argv, NULL) != 0) {
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
        goto fail;
    }
    return;
fail:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
    create_ctx_free(c);
}

void h_jobs_post(gf_req_t *r)
{
    trn_app_t *app = r->app;
    gf_err_t err = {0};
    json_t *body = gf_req_json(r, &err);
    create_ctx_t *c = gf_xcalloc(1, sizeof *c);
    c->r = r;
    if (body == NULL ||
        trn_job_opts_parse(body, &app->defaults, &c->opts, &c->regions, &c->n, &c->all, &err))
        goto fail;
    if (!gf_pool_has_room(app->pool)) {
        gf_err_set(&err, GF_ERATE, "queue_full", "too many jobs are queued; retry later");
        goto fail;
    }
    const char *argv[] = {"SMEMBERS", GF_FEAT_DEMAND_REGIONS_KEY};
    if (gf_redis_cmd_argv(app->svc->redis, on_regions, c, 2, argv, NULL) != 0) {
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
        goto fail;
    }
    return;
fail:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
    create_ctx_free(c);
}

/* ------------------------------------------------------------------ GET /v1/jobs/{id} */

static void on_job(redisAsyncContext *ac, void *reply_, void *privdata)
{
    (void)ac;
    gf_req_t *r = privdata;
    redisReply *reply = reply_;
    gf_err_t err = {0};
    if (gf_redis_reply_check(reply, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    json_t *doc = reply->type == REDIS_REPLY_STRING ? json_loadb(reply->str, reply->len, 0, NULL)
                                                    : NULL;
    if (doc == NULL) {
        gf_reply_errorf(r, GF_ENOTFOUND, "unknown_job", "job '%s' is not known",
                        gf_req_param(r, "id"));
        return;
    }
    gf_reply_json(r, 200, doc);
}

void h_jobs_get(gf_req_t *r)
{
    trn_app_t *app = r->app;
    const char *id = gf_req_param(r, "id");
    if (id == NULL || !trn_job_id_valid(id)) {
        gf_reply_errorf(r, GF_ENOTFOUND, "unknown_job", "job '%.64s' is not known", id ? id : "");
        return;
    }
    char key[96];
    trn_key_job(key, sizeof key, id);
    const char *argv[] = {"HGET", key, "json"};
    if (gf_redis_cmd_argv(app->svc->redis, on_job, r, 3, argv, NULL) != 0)
        gf_reply_errorf(r, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
}

/* ------------------------------------------------------------------ gauges */

static double g_queued(void *arg)
{
    trn_app_t *app = arg;
    size_t q = 0;
    if (app->pool)
        gf_pool_counts(app->pool, &q, NULL);
    return (double)q;
}

static double g_running(void *arg)
{
    trn_app_t *app = arg;
    size_t run = 0;
    if (app->pool)
        gf_pool_counts(app->pool, NULL, &run);
    return (double)run;
}

void trn_jobs_metrics_init(void *app)
{
    gf_metric_gauge_fn("gf_trainer_jobs_queued", "Jobs waiting for a worker.", g_queued, app);
    gf_metric_gauge_fn("gf_trainer_jobs_running", "Jobs being trained now.", g_running, app);
}
