/*
 * trn_pool.h - the job queue and its worker threads (GF_TRAINER_MAX_CONCURRENT_JOBS of them).
 *
 * The loop thread submits queued jobs (already saved to Redis); a worker takes the oldest,
 * runs it with trn_run_job (its own sync Redis connection) and frees it. Workers never touch
 * the event loop: the job's state reaches clients through Redis (gf:job:{id}).
 *
 * Shutdown (trn_pool_free): no new jobs; running jobs get until `grace_seconds` to finish,
 * then they are cancelled (within one boosting round) and end "failed" with error
 * "interrupted"; jobs still queued are saved "failed" / "interrupted by shutdown". Then the
 * threads are joined.
 *
 * Ownership: the pool owns submitted jobs. Counts are safe to read from any thread.
 */
#ifndef GF_TRAINER_TRN_POOL_H
#define GF_TRAINER_TRN_POOL_H

#include <stddef.h>

#include "core/err.h"
#include "trn_job.h"
#include "trn_run.h"

typedef struct trn_pool trn_pool_t;

/* Start nworkers threads. env is copied (its strings must outlive the pool). NULL on error. */
trn_pool_t *trn_pool_new(int nworkers, int max_queued, const trn_run_env_t *env, gf_err_t *err);

/* 1 when another job fits in the queue. */
int trn_pool_has_room(trn_pool_t *p);

/* Queue a job (steals it). GF_ERATE "queue_full" when the queue holds max_queued jobs (the
 * job is then freed), GF_EUNAVAIL "shutting_down" after trn_pool_free began. */
int trn_pool_submit(trn_pool_t *p, trn_job_t *job, gf_err_t *err);

void trn_pool_counts(trn_pool_t *p, size_t *queued, size_t *running);

/* Drain as described above and free. NULL-safe. */
void trn_pool_free(trn_pool_t *p, double grace_seconds);

#endif
