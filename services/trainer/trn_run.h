/*
 * trn_run.h - running one training job to its end on the calling thread (a worker thread of
 * the service, or the main thread of `gf-trainer --once`).
 *
 * Per region: load the series from Redis (trn_data_load_redis), train and backtest
 * (trn_train_region), score the current production version on the same test hours
 * (trn_champion.h), register the new version in the registry (model bytes, feature spec,
 * metrics with residual quantiles and both champion/challenger scores, params, training
 * range, job id), then alias it "production" (compare-and-set on the champion's version) or
 * "staging". The job document is saved to Redis (gf:job:{id}, field "json") when the job
 * starts, on every stage change and at most every second of boosting progress, after each
 * region and at the end.
 *
 * Connections: the runner opens its own blocking handle (gf_rcluster_open: one Redis or a
 * Redis Cluster; never the loop's async connection) and makes it usable again
 * (gf_rcluster_ensure) before each step that needs Redis. Nothing here touches the event loop.
 */
#ifndef GF_TRAINER_TRN_RUN_H
#define GF_TRAINER_TRN_RUN_H

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "core/err.h"
#include "core/rcluster.h"
#include "trn_job.h"

typedef struct trn_run_env {
    gf_redis_conf_t redis; /* one Redis or a Redis Cluster (core/rcluster.h) */
    int nthread;           /* XGBoost threads; 0 = trn_default_nthread() when a region starts */
    int job_ttl_days;      /* finished job documents expire after this many days */
} trn_run_env_t;

typedef struct trn_run_hooks {
    /* Non-zero when the job must stop (shutdown). Polled between regions and every boosting
     * round. May be NULL. Called on the running thread. */
    int (*cancelled)(void *arg);
    /* Something happened: "region" (a region starts), "stage" (the stage changed),
     * "region_done" (result = the region's result object), "done". May be NULL. */
    void (*on_event)(void *arg, const trn_job_t *job, const char *what, const json_t *result);
    void *arg;
} trn_run_hooks_t;

/* Run the job (state queued) to a final state, which it returns. Can't fail as such: errors
 * become region results and the job's error. */
trn_job_state_t trn_run_job(trn_job_t *job, const trn_run_env_t *env, const trn_run_hooks_t *hooks);

/* Save the job document: HSET gf:job:{id} json <doc>; with index, first ZADD gf:jobs
 * (score = creation time) and trim the index to the newest TRN_JOBS_INDEX_MAX (the script
 * trn_jobs_index_script); a finished job's hash expires after ttl_days. The index and the
 * document are two keys of two hash tags, written one after the other, never in one script:
 * a reader lists ids and then reads each document, skipping an id without one.
 * 0 or GF_EUNAVAIL / GF_EINTERNAL. */
int trn_job_save(gf_rcluster_t *c, const trn_job_t *job, int index, int ttl_days, gf_err_t *err);

/* The index write (one key, KEYS[1] = gf:jobs; ARGV: score, job id, entries kept): ZADD, then
 * trim to the newest entries. */
extern const char trn_jobs_index_script[];

/* Mark jobs that `owner` left queued or running (a previous process on this host) as failed
 * with reason "interrupted by restart" (never those of instance `self`, this process). *n_marked
 * gets the count. 0 or GF_EUNAVAIL. */
int trn_jobs_recover(gf_rcluster_t *c, const char *owner, const char *self, int *n_marked,
                     gf_err_t *err);

/* Mark "running" jobs of any owner whose heartbeat is older than stale_seconds as failed
 * ("interrupted": no heartbeat; the process that ran it is gone). 0 or GF_EUNAVAIL. */
int trn_jobs_sweep_stale(gf_rcluster_t *c, const char *self, double stale_seconds, int *n_marked,
                         gf_err_t *err);

/* Register the trainer's Prometheus families (idempotent). */
void trn_run_metrics_init(void);

/* gf_trainer_model_mape_percent{region,alias}: set from the registry, for each of the aliases
 * production and staging of `name` ("load:<region>"), to the backtest MAPE recorded with the
 * version the alias points at now (so a poor challenger staged never reads as production's
 * accuracy). Aliases or versions that cannot be read are left as they were. Can't fail. */
void trn_mape_refresh(gf_rcluster_t *c, const char *name);
/* The same for every load:* model of the registry. */
void trn_mape_refresh_all(gf_rcluster_t *c);

/* Model name of a region in the registry: "load:<region>" into buf. */
void trn_model_name(char *buf, size_t len, const char *region);

#endif
