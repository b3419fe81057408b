/*
 * h_sim.c - simulation routes and worker pool (see h_sim.h).
 *
 * Flow of a request: parse + validate on the loop (400s answered at once) -> a task on the
 * kit's worker pool (core/pool.h; a full queue answers 503 queue_full) -> a worker solves
 * (sim_execute) -> sync: the pool hands the task back to the loop, which replies; async: the
 * worker writes the job document to Redis with its own blocking connection (the pool
 * thread's gf_rcluster_worker handle: one Redis or a Redis Cluster). The loop's async Redis
 * connection is only used on the loop.
 *
 * Shutdown (gf_pool_free from the cleanup hook): a job still queued is stored "failed" /
 * "interrupted" instead of being solved; a queued sync task still runs, so its request is
 * answered.
 */
#include "h_sim.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sim_keys.h"
#include "sim_page.h"

#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"
#include "features/demand.h"

#define JOB_TTL_SECONDS 86400

static gf_metric_t *m_solves, *m_seconds, *m_jobs;

static double queue_depth(void *arg)
{
    const sim_app_t *app = arg;
    size_t queued = 0;
    if (app->pool)
        gf_pool_counts(app->pool, &queued, NULL);
    return (double)queued;
}

void sim_metrics_init(sim_app_t *app)
{
    m_solves = gf_metric_counter("gf_simulation_solves_total",
                                 "Simulation requests executed, by kind and outcome code.",
                                 "kind,status");
    static const double b[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    m_seconds = gf_metric_histogram("gf_simulation_solve_seconds",
                                    "Wall time of one simulation request on a worker.", "kind", b,
                                    sizeof b / sizeof b[0]);
    gf_metric_gauge_fn("gf_simulation_queue_depth", "Tasks waiting for a worker.", queue_depth,
                       app);
    m_jobs = gf_metric_counter("gf_simulation_jobs_total", "Asynchronous jobs by final state.",
                               "kind,state");
}

typedef struct task {
    sim_request_t q;
    gf_req_t *r;     /* sync: the request to answer; NULL for a job */
    char job_id[40]; /* async */
    double created;  /* wall clock */
    json_t *result;
    gf_err_t err;
    int rc;
    sim_app_t *app;
} task_t;

/* ---------------------------------------------------------------- job documents */

static json_t *job_doc(const task_t *t, const char *state, double started, double finished)
{
    char ts[40];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(t->job_id));
    json_object_set_new(o, "kind", json_string(sim_kind_name(t->q.kind)));
    json_object_set_new(o, "state", json_string(state));
    json_object_set_new(o, "created_at", json_string(gf_time_format_ms(t->created, ts, sizeof ts)));
    if (started > 0)
        json_object_set_new(o, "started_at",
                            json_string(gf_time_format_ms(started, ts, sizeof ts)));
    if (finished > 0) {
        json_object_set_new(o, "finished_at",
                            json_string(gf_time_format_ms(finished, ts, sizeof ts)));
        json_object_set_new(o, "seconds", json_real(finished - started));
    }
    return o;
}

/* Worker-side Redis: the pool thread's blocking connection, rebuilt after any failure. */
static int job_store(gf_pool_worker_t *w, sim_app_t *app, const char *id, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(12));
    if (text == NULL)
        return GF_EINTERNAL;
    int rc = GF_EUNAVAIL;
    for (int attempt = 0; attempt < 3 && rc != 0; attempt++) {
        gf_err_t e = {0};
        gf_rcluster_t *c = gf_rcluster_worker(w, &app->redis_conf, 2000, &e);
        if (c == NULL) {
            gf_err_cleanup(&e);
            continue;
        }
        char key[64];
        redisReply *rep = gf_rcluster_cmd(c, &e, "SET %s %s EX %d",
                                          sim_key_job(key, sizeof key, id), text, JOB_TTL_SECONDS);
        gf_err_cleanup(&e);
        if (rep != NULL && rep->type != REDIS_REPLY_ERROR)
            rc = 0;
        if (rep != NULL)
            freeReplyObject(rep);
    }
    free(text);
    if (rc != 0)
        GF_LOG(GF_LOG_ERROR, "job_store_failed", "job %s could not be stored in Redis", id);
    return rc;
}

/* ---------------------------------------------------------------- replies on the loop */

static void task_free(task_t *t)
{
    json_decref(t->result);
    gf_err_cleanup(&t->err);
    sim_request_cleanup(&t->q);
    free(t);
}

static void reply_task(void *arg)
{
    task_t *t = arg;
    if (t->rc == 0) {
        gf_reply_json(t->r, 200, t->result);
        t->result = NULL;
    } else {
        if (t->result != NULL) {
            /* The solver ran and failed: say what it reached. */
            json_t *s = json_object();
            json_object_set(s, "status", json_object_get(t->result, "status"));
            json_object_set(s, "iterations", json_object_get(t->result, "iterations"));
            json_object_set(s, "objective", json_object_get(t->result, "objective"));
            json_object_set(s, "max_mismatch_mva", json_object_get(t->result, "max_mismatch_mva"));
            json_object_set(s, "binding", json_object_get(t->result, "binding"));
            json_t *d = json_object();
            json_object_set_new(d, "solver", s);
            gf_err_add_detail(&t->err, d);
        }
        gf_reply_error(t->r, &t->err);
    }
    task_free(t);
}

/* ---------------------------------------------------------------- workers */

/* A job the shutdown reached before a worker did: say so in its document. */
static void job_interrupted(gf_pool_worker_t *w, task_t *t)
{
    gf_err_set(&t->err, GF_EUNAVAIL, "interrupted", "the service stopped before the job ran");
    json_t *doc = job_doc(t, "failed", 0, gf_now_wall());
    json_t *e = gf_err_to_json(&t->err);
    json_object_set(doc, "error", json_object_get(e, "error"));
    json_decref(e);
    job_store(w, t->app, t->job_id, doc);
    json_decref(doc);
    task_free(t);
}

/* Progress of a running job: written into its document at most every PROGRESS_EVERY s (and
 * at the last step), from whichever solver thread reports it. The pool worker's Redis
 * connection is used under the lock: the worker itself is inside the solve meanwhile. */
#define PROGRESS_EVERY 0.5
typedef struct progress_sink {
    pthread_mutex_t mu;
    gf_pool_worker_t *w;
    task_t *t;
    double started, last;
    json_t *latest; /* the last progress reported, kept in the final document */
} progress_sink_t;

static void job_progress(void *arg, const char *unit, size_t done, size_t total)
{
    progress_sink_t *ps = arg;
    pthread_mutex_lock(&ps->mu);
    double now = gf_now_mono();
    if (now - ps->last >= PROGRESS_EVERY || (total > 0 && done == total)) {
        ps->last = now;
        json_t *doc = job_doc(ps->t, "running", ps->started, 0);
        json_t *p = json_pack("{s:s,s:I}", "unit", unit, "done", (json_int_t)done);
        if (total > 0) {
            json_object_set_new(p, "total", json_integer((json_int_t)total));
            json_object_set_new(p, "percent", json_real(100.0 * (double)done / (double)total));
        }
        json_object_set(doc, "progress", p);
        job_store(ps->w, ps->t->app, ps->t->job_id, doc);
        json_decref(doc);
        json_decref(ps->latest);
        ps->latest = p;
    }
    pthread_mutex_unlock(&ps->mu);
}

/* Pool work. A sync task (t->r) is then replied by reply_task on the loop; a job ends here. */
static void run_task(gf_pool_worker_t *w, void *arg)
{
    task_t *t = arg;
    sim_app_t *app = t->app;
    if (t->r == NULL && gf_pool_stopping(w)) {
        job_interrupted(w, t);
        return;
    }
    double started = gf_now_wall();
    if (t->r == NULL) {
        json_t *doc = job_doc(t, "running", started, 0);
        job_store(w, app, t->job_id, doc);
        json_decref(doc);
    }
    double t0 = gf_now_mono();
    progress_sink_t ps = {.w = w, .t = t, .started = started, .last = t0 - PROGRESS_EVERY};
    sim_progress_t pg = {job_progress, &ps};
    pthread_mutex_init(&ps.mu, NULL);
    t->rc = sim_execute_progress(&app->env, &t->q, t->r == NULL ? &pg : NULL, &t->result, &t->err);
    pthread_mutex_destroy(&ps.mu);
    json_t *progress = ps.latest;
    double dur = gf_now_mono() - t0;
    const char *kind = sim_kind_name(t->q.kind);
    gf_metric_add(m_solves, 1, kind, t->rc == 0 ? "ok" : t->err.code);
    gf_metric_observe(m_seconds, dur, kind);
    if (t->r != NULL) {
        json_decref(progress);
        return;
    }
    double finished = gf_now_wall();
    json_t *doc = job_doc(t, t->rc == 0 ? "done" : "failed", started, finished);
    if (progress != NULL)
        json_object_set_new(doc, "progress", progress);
    if (t->rc == 0) {
        json_object_set_new(doc, "result", t->result);
        t->result = NULL;
    } else {
        json_t *e = gf_err_to_json(&t->err);
        json_object_set(doc, "error", json_object_get(e, "error"));
        json_decref(e);
        if (t->result) {
            json_object_set_new(doc, "result", t->result);
            t->result = NULL;
        }
    }
    gf_metric_add(m_jobs, 1, kind, t->rc == 0 ? "done" : "failed");
    job_store(w, app, t->job_id, doc);
    json_decref(doc);
    task_free(t);
}

/* Queue a task: a sync one is answered by reply_task on the loop, a job needs nothing there.
 * GF_EUNAVAIL when the queue is full (the task stays the caller's). */
static int task_submit(sim_app_t *app, task_t *t)
{
    return gf_pool_submit(app->pool, run_task, t->r ? reply_task : NULL, t, 0, NULL);
}

/* ---------------------------------------------------------------- handlers */

void h_cases_list(gf_req_t *r)
{
    sim_app_t *app = r->app;
    static const char *const none[] = {NULL};
    gf_err_t err = {0};
    if (gf_query_only(r, none, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    gf_reply_json(r, 200, sim_catalog_to_json(app->catalog));
}

static bool wants_job(const sim_app_t *app, const sim_request_t *q)
{
    if (q->async || q->kind == SIM_SCHEDULE)
        return true;
    if (q->kind == SIM_N1 && q->n1_mode != 0)
        return true;
    return sim_request_buses(&app->env, q) > app->sync_max_bus;
}

typedef struct queued_ctx {
    gf_req_t *r;
    task_t *t;
} queued_ctx_t;

/* The queued document is in Redis: enqueue and answer 202. */
static void on_job_recorded(redisAsyncContext *ac, void *reply_, void *privdata)
{
    (void)ac;
    queued_ctx_t *c = privdata;
    gf_req_t *r = c->r;
    task_t *t = c->t;
    free(c);
    gf_err_t err = {0};
    if (gf_redis_reply_check(reply_, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        task_free(t);
        return;
    }
    sim_app_t *app = r->app;
    char id[40];
    snprintf(id, sizeof id, "%s", t->job_id);
    json_t *doc = job_doc(t, "queued", 0, 0);
    if (task_submit(app, t) != 0) {
        json_decref(doc);
        task_free(t);
        gf_reply_errorf(r, GF_EUNAVAIL, "queue_full", "the solver queue is full; retry later");
        return;
    }
    char loc[80];
    snprintf(loc, sizeof loc, "/v1/jobs/%s", id);
    gf_reply_header(r, "Location", loc); /* the gateway rewrites it to /api/simulation/jobs/… */
    gf_reply_json(r, 202, doc);
}

/* A checked request: solve it (a worker answers) or record it as a job (202). Takes t. */
static void dispatch(gf_req_t *r, task_t *t)
{
    sim_app_t *app = r->app;
    gf_err_t err = {0};
    if (!wants_job(app, &t->q)) {
        t->r = r;
        if (task_submit(app, t) != 0) {
            gf_err_set(&err, GF_EUNAVAIL, "queue_full", "the solver queue is full; retry later");
            goto fail;
        }
        return; /* a worker answers */
    }
    gf_random_hex(t->job_id, 12);
    json_t *doc = job_doc(t, "queued", 0, 0);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    queued_ctx_t *c = gf_xmalloc(sizeof *c);
    c->r = r;
    c->t = t;
    gf_service_t *svc = gf_req_service(r);
    char key[64], ttl[16];
    sim_key_job(key, sizeof key, t->job_id);
    snprintf(ttl, sizeof ttl, "%d", JOB_TTL_SECONDS);
    const char *argv[] = {"SET", key, text, "EX", ttl};
    int rc = gf_redis_cmd_argv(svc->redis, on_job_recorded, c, 5, argv, NULL);
    free(text);
    if (rc != 0) {
        free(c);
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable",
                   "Redis is not reachable: jobs cannot be recorded");
        goto fail;
    }
    return;
fail:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
    task_free(t);
}

/* The forecast region's gf:region:{R} first/last: a region without demand history is not
 * known (as GET /v1/forecast says), refused now rather than in the job. */
static void on_region_checked(redisAsyncContext *ac, void *reply_, void *privdata)
{
    (void)ac;
    queued_ctx_t *c = privdata;
    gf_req_t *r = c->r;
    task_t *t = c->t;
    free(c);
    redisReply *reply = reply_;
    gf_err_t err = {0};
    if (gf_redis_reply_check(reply, &err) != 0)
        goto fail;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_STRING) {
        gf_err_set(&err, GF_ENOTFOUND, "unknown_region",
                   "region '%s' is not known (no demand history)", t->q.forecast_region);
        gf_err_add_field(&err, t->q.kind == SIM_SCHEDULE ? "region" : "load.forecast.region",
                         "unknown");
        goto fail;
    }
    dispatch(r, t);
    return;
fail:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
    task_free(t);
}

static void submit(gf_req_t *r, sim_kind_t kind)
{
    sim_app_t *app = r->app;
    gf_err_t err = {0};
    json_t *body = gf_req_json(r, &err);
    task_t *t = NULL;
    if (body == NULL)
        goto fail;
    t = gf_xcalloc(1, sizeof *t);
    t->app = app;
    t->created = gf_now_wall();
    if (sim_request_parse(body, kind, &t->q, &err) != 0)
        goto fail;
    if (t->q.case_text == NULL && sim_catalog_get(app->catalog, t->q.case_name) == NULL) {
        gf_err_set(&err, GF_ENOTFOUND, "unknown_case",
                   "case '%.100s' is not shipped (GET /v1/cases lists them)", t->q.case_name);
        gf_err_add_field(&err, "case", "unknown case");
        goto fail;
    }
    if (t->q.forecast_region[0] == '\0') {
        dispatch(r, t);
        return;
    }
    char key[64];
    gf_feat_demand_region_key(key, sizeof key, t->q.forecast_region);
    const char *argv[] = {"HMGET", key, "first", "last"};
    queued_ctx_t *c = gf_xmalloc(sizeof *c);
    c->r = r;
    c->t = t;
    if (gf_redis_cmd_argv(gf_req_service(r)->redis, on_region_checked, c, 4, argv, NULL) != 0) {
        free(c);
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable",
                   "Redis is not reachable: the region cannot be checked");
        goto fail;
    }
    return;
fail:
    gf_reply_error(r, &err);
    gf_err_cleanup(&err);
    if (t)
        task_free(t);
}

void h_powerflow_post(gf_req_t *r)
{
    submit(r, SIM_PF);
}

void h_opf_post(gf_req_t *r)
{
    submit(r, SIM_OPF);
}

void h_contingencies_post(gf_req_t *r)
{
    submit(r, SIM_N1);
}

void h_schedule_post(gf_req_t *r)
{
    submit(r, SIM_SCHEDULE);
}

/* ?offset=&limit= of a paged route; 0 or the error already answered. */
static int page_params(gf_req_t *r, long *offset, long *limit, bool *given)
{
    gf_err_t err = {0};
    static const char *const allowed[] = {"offset", "limit", NULL};
    if (gf_query_only(r, allowed, &err) != 0 ||
        gf_query_long(r, "offset", 0, 100000000, -1, offset, &err) != 0 ||
        gf_query_long(r, "limit", 1, SIM_PAGE_MAX, -1, limit, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return -1;
    }
    *given = *offset >= 0 || *limit >= 0;
    if (*offset < 0)
        *offset = 0;
    if (*limit < 0)
        *limit = SIM_PAGE_DEFAULT;
    return 0;
}

typedef struct job_get {
    gf_req_t *r;
    bool network;
} job_get_t;

static void on_job(redisAsyncContext *ac, void *reply_, void *privdata)
{
    (void)ac;
    job_get_t *jg = privdata;
    gf_req_t *r = jg->r;
    bool network = jg->network;
    free(jg);
    redisReply *reply = reply_;
    gf_err_t err = {0};
    if (gf_redis_reply_check(reply, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    if (reply->type != REDIS_REPLY_STRING) {
        gf_reply_errorf(r, GF_ENOTFOUND, "unknown_job", "no job '%s' (jobs are kept 24 h)",
                        gf_req_param(r, "id"));
        return;
    }
    json_t *doc = json_loadb(reply->str, reply->len, 0, NULL);
    if (doc == NULL) {
        gf_reply_errorf(r, GF_EINTERNAL, "corrupt_job", "the stored job is not valid JSON");
        return;
    }
    long offset, limit;
    bool given;
    if (page_params(r, &offset, &limit, &given) != 0) {
        json_decref(doc);
        return;
    }
    json_t *result = json_object_get(doc, "result");
    if (network) {
        json_t *net = result ? sim_network_of_result(result) : NULL;
        if (net == NULL) {
            const char *state = json_string_value(json_object_get(doc, "state"));
            gf_reply_errorf(r, GF_ECONFLICT, "no_network_result",
                            "job '%s' has no power-flow or OPF result (state %s)",
                            gf_req_param(r, "id"), state ? state : "unknown");
            json_decref(doc);
            return;
        }
        json_decref(doc);
        static const char *const arrays[] = {"buses", "branches", NULL};
        sim_page_arrays(net, arrays, (size_t)offset, (size_t)limit, given);
        gf_reply_json(r, 200, net);
        return;
    }
    if (result != NULL)
        sim_page_arrays(result, sim_page_result_arrays, (size_t)offset, (size_t)limit, given);
    gf_reply_json(r, 200, doc);
}

static void job_get(gf_req_t *r, bool network)
{
    const char *id = gf_req_param(r, "id");
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) || p - id > 32) {
            gf_reply_errorf(r, GF_ENOTFOUND, "unknown_job", "no job '%.40s'", id);
            return;
        }
    gf_service_t *svc = gf_req_service(r);
    job_get_t *jg = gf_xmalloc(sizeof *jg);
    jg->r = r;
    jg->network = network;
    char key[64];
    const char *argv[] = {"GET", sim_key_job(key, sizeof key, id)};
    if (gf_redis_cmd_argv(svc->redis, on_job, jg, 2, argv, NULL) != 0) {
        free(jg);
        gf_reply_errorf(r, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
    }
}

void h_jobs_get(gf_req_t *r)
{
    job_get(r, false);
}

void h_jobs_network_get(gf_req_t *r)
{
    job_get(r, true);
}

void h_cases_network_get(gf_req_t *r)
{
    sim_app_t *app = r->app;
    const char *name = gf_req_param(r, "name");
    const gf_pf_case_t *c = sim_catalog_get(app->catalog, name);
    if (c == NULL) {
        gf_reply_errorf(r, GF_ENOTFOUND, "unknown_case",
                        "case '%.100s' is not shipped (GET /v1/cases lists them)", name);
        return;
    }
    long offset, limit;
    bool given;
    if (page_params(r, &offset, &limit, &given) != 0)
        return;
    json_t *net = sim_network_of_case(name, c);
    static const char *const arrays[] = {"buses", "branches", NULL};
    sim_page_arrays(net, arrays, (size_t)offset, (size_t)limit, given);
    gf_reply_json(r, 200, net);
}
