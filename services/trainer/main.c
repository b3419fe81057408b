/*
 * gf-trainer: the GridFlow trainer service. Wiring only: the service kit (libs/core) runs the
 * configuration, loop, standard routes (/healthz, /readyz, /metrics, /v1/info), Redis,
 * signals and drain; this file names the routes, builds the job pool and the registry pool
 * (kit pools, core/pool.h), marks jobs a previous process left running, and drains jobs at
 * shutdown.
 *
 * `gf-trainer --once --regions A,B|all [--test-days N]` trains in the foreground instead (no
 * HTTP; trn_once.c): the same job runner, progress lines on stdout, exit 0 when every region
 * trained and 1 otherwise (2 for a usage or configuration error).
 *
 * XGBoost's OpenMP threads busy-wait unless OMP_WAIT_POLICY=passive is set before libgomp
 * loads, so main() re-executes itself with it first (gf_xgb_passive_reexec), except for
 * --help/--routes/--version, which never train.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cfg.h"
#include "core/log.h"
#include "core/redis.h"
#include "core/svc.h"
#include "core/util.h"
#include "h_jobs.h"
#include "h_models.h"
#include "h_schedule.h"
#include "trn_app.h"
#include "trn_once.h"
#include "trn_xgb.h"

static const gf_cfg_opt_t opts[] = {
    {"GF_TRAINER_THREADS", GF_CFG_INT, "0", 0, 256,
     "XGBoost threads per job; 0 = the cores that look free when a region starts"},
    {"GF_TRAINER_TEST_DAYS", GF_CFG_INT, "28", 1, 365,
     "default backtest days at the end of the history (the held-back test period)"},
    {"GF_TRAINER_VAL_DAYS", GF_CFG_INT, "56", 7, 365,
     "default validation days before the test period (parameter search)"},
    {"GF_TRAINER_MAX_CONCURRENT_JOBS", GF_CFG_INT, "1", 1, 16,
     "jobs trained at the same time; further jobs queue"},
    {"GF_TRAINER_MAX_QUEUED_JOBS", GF_CFG_INT, "32", 1, 1000,
     "jobs waiting beyond the running ones; more are refused with 429"},
    {"GF_TRAINER_JOB_TTL_DAYS", GF_CFG_INT, "30", 1, 3650,
     "days a finished job's record is kept in Redis"},
    {"GF_TRAINER_STALE_SECONDS", GF_CFG_INT, "900", 5, 86400,
     "a running job (of any host) without progress for this long is marked failed"},
    {"GF_TRAINER_RETRAIN_EVERY_HOURS", GF_CFG_INT, "0", 0, 8760,
     "scheduled retraining: hours between runs per region; 0 = no time trigger"},
    {"GF_TRAINER_RETRAIN_AFTER_DAYS", GF_CFG_INT, "7", 0, 365,
     "scheduled retraining: run once the region has this many days of data newer than what "
     "its production model's run saw; 0 = no data trigger"},
    {"GF_TRAINER_RETRAIN_MIN_GAIN_PCT", GF_CFG_DOUBLE, "1", 0, 50,
     "scheduled retraining: promote only when the challenger's MAPE is this many percent "
     "(relative) below the champion's"},
    {"GF_TRAINER_RETRAIN_CHECK_SECONDS", GF_CFG_INT, "60", 1, 86400,
     "seconds between checks of the retraining schedule"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static const gf_route_t routes[] = {
    {"GET", "/v1/jobs", h_jobs_list, 0, NULL},
    {"POST", "/v1/jobs", h_jobs_post, 16 * 1024, "application/json"},
    {"GET", "/v1/jobs/{id}", h_jobs_get, 0, NULL},
    {"GET", "/v1/models", h_models_list, 0, NULL},
    {"GET", "/v1/models/{name}", h_models_get, 0, NULL},
    {"POST", "/v1/models/{name}/aliases", h_models_aliases_post, 16 * 1024, "application/json"},
    {"GET", "/v1/schedule", h_schedule_list, 0, NULL},
    {"PUT", "/v1/schedule/{region}", h_schedule_put, 16 * 1024, "application/json"},
};

/* ------------------------------------------------------------------ service */

/* Registry calls waiting at most (each takes milliseconds); then 503 queue_full. */
#define REGISTRY_QUEUE 256

static void recover_work(gf_rcluster_t *c, void *arg)
{
    trn_app_t *app = arg;
    if (c == NULL || atomic_load(&app->recovered))
        return;
    gf_err_t e = {0};
    int n = 0;
    if (trn_jobs_recover(c, app->owner, app->instance, &n, &e) == 0) {
        atomic_store(&app->recovered, 1);
        if (n > 0)
            GF_LOG(GF_LOG_WARN, "jobs_recovered",
                   "%d job(s) left queued or running by a previous process marked failed", n);
    } else {
        GF_LOG(GF_LOG_WARN, "jobs_recover_failed", "%s (retrying)", e.message);
        if (gf_loop_call(app->svc->base, gf_redis_retry_later_cb, app->recover_retry) != 0)
            GF_LOG(GF_LOG_ERROR, "jobs_recover_failed", "cannot schedule the retry");
    }
    gf_err_cleanup(&e);
}

/* Registry pool work: the restart recovery once Redis is reachable. */
static void recover_job(gf_pool_worker_t *w, void *arg)
{
    trn_app_t *app = arg;
    recover_work(trn_registry_conn(w, app), app);
}

/* Registry pool work: the stale-job sweep. */
static void sweep_job(gf_pool_worker_t *w, void *arg)
{
    trn_app_t *app = arg;
    gf_rcluster_t *c = trn_registry_conn(w, app);
    if (c == NULL)
        return;
    gf_err_t e = {0};
    int n = 0;
    if (trn_jobs_sweep_stale(c, app->instance, app->stale_seconds, &n, &e) == 0 && n > 0)
        GF_LOG(GF_LOG_WARN, "jobs_stale", "%d running job(s) without progress marked failed", n);
    gf_err_cleanup(&e);
    /* aliases also move outside this process (another replica, the registry tools) */
    trn_mape_refresh_all(c);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    trn_app_t *app = arg;
    /* upkeep passes the queue limit; it is refused only while stopping */
    if (gf_redis_ready(app->svc->redis) &&
        gf_pool_submit(app->registry, sweep_job, NULL, app, GF_POOL_NO_LIMIT, NULL) != 0)
        GF_LOG(GF_LOG_DEBUG, "jobs_sweep_skipped", "the registry pool is stopping");
}

static void submit_recovery(void *arg)
{
    trn_app_t *app = arg;
    if (!atomic_load(&app->recovered) && gf_redis_ready(app->svc->redis) &&
        gf_pool_submit(app->registry, recover_job, NULL, app, GF_POOL_NO_LIMIT, NULL) != 0)
        GF_LOG(GF_LOG_DEBUG, "jobs_recover_skipped", "the registry pool is stopping");
}

static void on_redis_state(bool ready, void *arg)
{
    if (ready)
        submit_recovery(arg);
}

/* Ready once the jobs of a previous process are marked: until then a job list would show
 * them as still running. */
static bool recovered_ready(gf_service_t *svc, void *arg, char *why, size_t whylen)
{
    (void)arg;
    trn_app_t *app = svc->app;
    if (app != NULL && atomic_load(&app->recovered))
        return true;
    snprintf(why, whylen, "jobs of a previous process not recovered yet (Redis not serving)");
    return false;
}

static bool pool_ready(gf_service_t *svc, void *arg, char *why, size_t whylen)
{
    (void)arg;
    trn_app_t *app = svc->app;
    if (app != NULL && app->pool != NULL)
        return true;
    snprintf(why, whylen, "the job workers are not running");
    return false;
}

static int init(gf_service_t *svc, void **app_out, gf_err_t *err)
{
    trn_app_t *app = gf_xcalloc(1, sizeof *app);
    app->svc = svc;
    trn_app_identity(app->owner, sizeof app->owner, app->instance, sizeof app->instance);
    atomic_init(&app->recovered, 0);
    trn_app_job_defaults(&svc->cfg, &app->defaults);
    app->env.redis = svc->redis_conf;
    app->env.nthread = (int)gf_cfg_int(&svc->cfg, "GF_TRAINER_THREADS");
    app->env.job_ttl_days = (int)gf_cfg_int(&svc->cfg, "GF_TRAINER_JOB_TTL_DAYS");
    trn_run_metrics_init();
    gf_pool_cfg_t regc = {.name = "registry",
                          .threads = 1,
                          .queue_max = REGISTRY_QUEUE,
                          .local_free = gf_rcluster_local_free};
    app->registry = gf_pool_new(svc->base, &regc, err);
    if (app->registry == NULL)
        goto fail;
    gf_pool_cfg_t jc = {
        .name = "training",
        .threads = (int)gf_cfg_int(&svc->cfg, "GF_TRAINER_MAX_CONCURRENT_JOBS"),
        .queue_max = (size_t)gf_cfg_int(&svc->cfg, "GF_TRAINER_MAX_QUEUED_JOBS"),
        .local_free = gf_rcluster_local_free, /* the saves of jobs interrupted before they ran */
    };
    app->pool = gf_pool_new(svc->base, &jc, err);
    if (app->pool == NULL)
        goto fail;
    app->recover_retry = gf_redis_retry_new(svc->base, submit_recovery, app);
    if (app->recover_retry == NULL) {
        gf_err_set(err, GF_EINTERNAL, "timer", "cannot create the recovery retry timer");
        goto fail;
    }
    /* Before listening, so no new job can race it; if Redis is down now, on reconnect. */
    gf_err_t e = {0};
    gf_rcluster_t *c = gf_rcluster_open(&app->env.redis, 2000, &e);
    gf_err_cleanup(&e);
    recover_work(c, app);
    gf_rcluster_free(c);
    gf_redis_on_state(svc->redis, on_redis_state, app);
    /* jobs of processes that died elsewhere (another host, a rescheduled pod) */
    app->stale_seconds = (double)gf_cfg_int(&svc->cfg, "GF_TRAINER_STALE_SECONDS");
    double every = app->stale_seconds / 2 < 60 ? app->stale_seconds / 2 : 60;
    struct timeval tv = {(time_t)every, (suseconds_t)((every - (time_t)every) * 1e6)};
    app->sweep = event_new(svc->base, -1, EV_PERSIST, on_sweep, app);
    if (app->sweep == NULL || event_add(app->sweep, &tv) != 0) {
        gf_err_set(err, GF_EINTERNAL, "timer", "cannot start the stale-job sweep");
        goto fail;
    }
    app->sched.enabled = 1;
    app->sched.every_hours = (int)gf_cfg_int(&svc->cfg, "GF_TRAINER_RETRAIN_EVERY_HOURS");
    app->sched.after_days = (int)gf_cfg_int(&svc->cfg, "GF_TRAINER_RETRAIN_AFTER_DAYS");
    app->sched.opts = app->defaults;
    app->sched.opts.min_gain_pct = gf_cfg_double(&svc->cfg, "GF_TRAINER_RETRAIN_MIN_GAIN_PCT");
    app->sched_check_seconds = (double)gf_cfg_int(&svc->cfg, "GF_TRAINER_RETRAIN_CHECK_SECONDS");
    if (trn_schedule_start(app, err) != 0)
        goto fail;
    trn_jobs_metrics_init(app);
    gf_service_add_check(svc, "workers", pool_ready, NULL);
    gf_service_add_check(svc, "recovered", recovered_ready, NULL);
    *app_out = app;
    return 0;
fail:
    trn_schedule_stop(app);
    if (app->sweep)
        event_free(app->sweep);
    gf_pool_free(app->pool, 0);
    gf_pool_free(app->registry, 0);
    gf_redis_retry_free(app->recover_retry);
    free(app);
    return err->rc ? err->rc : GF_EINTERNAL;
}

static void cleanup(gf_service_t *svc, void *app_)
{
    trn_app_t *app = app_;
    if (app == NULL)
        return;
    trn_schedule_stop(app);
    if (app->sweep)
        event_free(app->sweep);
    /* The registry pool first: a schedule check on it may queue a job on the job pool. */
    gf_pool_free(app->registry, 0);
    app->registry = NULL;
    /* The HTTP drain is over; running jobs get GF_DRAIN_SECONDS more, then are cancelled. */
    gf_pool_t *pool = app->pool;
    app->pool = NULL;
    gf_pool_free(pool, gf_cfg_double(&svc->cfg, "GF_DRAIN_SECONDS"));
    gf_redis_retry_free(app->recover_retry);
    free(app);
}

static json_t *info(gf_service_t *svc, void *app_)
{
    trn_app_t *app = app_;
    json_t *o = json_object();
    size_t q = 0, r = 0;
    if (app && app->pool)
        gf_pool_counts(app->pool, &q, &r);
    json_object_set_new(o, "jobs_queued", json_integer((json_int_t)q));
    json_object_set_new(o, "jobs_running", json_integer((json_int_t)r));
    json_object_set_new(o, "max_concurrent_jobs",
                        json_integer(gf_cfg_int(&svc->cfg, "GF_TRAINER_MAX_CONCURRENT_JOBS")));
    json_object_set_new(o, "owner", json_string(app ? app->owner : ""));
    return o;
}

static const gf_service_def_t def = {
    .usage = "gf-trainer --once --regions R1,R2,...|all [--test-days N]\n"
             "    train in the foreground with progress on the terminal, then exit 0 (all\n"
             "    trained), 1 (a region failed) or 2 (bad arguments)",
    .name = "trainer",
    .version = "0.2.0",
    .default_port = 8102,
    .uses_redis = true,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .opts = opts,
    .init = init,
    .cleanup = cleanup,
    .info = info,
};

int main(int argc, char **argv)
{
    int once = 0, no_train = 0;
    for (int i = 1; i < argc; i++) {
        once |= strcmp(argv[i], "--once") == 0;
        no_train |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
                    strcmp(argv[i], "--routes") == 0 || strcmp(argv[i], "--version") == 0;
    }
    if (!no_train)
        gf_xgb_passive_reexec(argv);
    if (once)
        return trn_once_main(argc, argv, opts);
    return gf_service_main(&def, argc, argv);
}
