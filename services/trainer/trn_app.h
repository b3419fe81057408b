/*
 * trn_app.h - the trainer's application state (r->app): the job pool, the registry pool,
 * the job defaults from the configuration and this process's identity. Created by main.c's
 * init hook, read by the handlers on the loop thread. trn_app.c fills the identity and the
 * defaults (also for the --once mode).
 */
#ifndef GF_TRAINER_TRN_APP_H
#define GF_TRAINER_TRN_APP_H

#include <stdatomic.h>

#include "core/pool.h"
#include "core/svc.h"
#include "trn_job.h"
#include "trn_run.h"
#include "trn_schedule.h"

typedef struct trn_app {
    gf_service_t *svc;
    gf_pool_t *pool;     /* training jobs: GF_TRAINER_MAX_CONCURRENT_JOBS threads */
    gf_pool_t *registry; /* registry calls of the routes and upkeep: one thread */
    trn_run_env_t env;
    trn_job_opts_t defaults;
    char owner[64];                  /* host name */
    char instance[24];               /* random per process start */
    atomic_int recovered;            /* jobs left by a previous process were marked */
    gf_redis_retry_t *recover_retry; /* a failed recovery again, with backoff (loop) */
    double stale_seconds;            /* GF_TRAINER_STALE_SECONDS */
    struct event *sweep;             /* periodic stale-job sweep */
    trn_sched_defaults_t sched;      /* GF_TRAINER_RETRAIN_* (h_schedule.c) */
    double sched_check_seconds;      /* GF_TRAINER_RETRAIN_CHECK_SECONDS */
    struct event *sched_timer;       /* periodic schedule check */
} trn_app_t;

/* This process's identity: owner = the host name ("unknown" when it cannot be read), instance
 * = ilen - 1 random hex digits. Both NUL-terminated. */
void trn_app_identity(char *owner, size_t olen, char *instance, size_t ilen);
/* The defaults of POST /v1/jobs from the configuration (GF_TRAINER_TEST_DAYS, _VAL_DAYS):
 * parameter search on, promotion when strictly better, not scheduled. */
void trn_app_job_defaults(const gf_cfg_t *cfg, trn_job_opts_t *d);

#endif
