/*
 * trn_pool.c - job queue and workers (see trn_pool.h). One mutex guards the queue, the
 * counts and the flags; cancellation is an atomic the running jobs poll.
 */
#include "trn_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/redis.h"
#include "core/util.h"

#define MAX_WORKERS 16

struct trn_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* work arrived or stopping */
    pthread_cond_t idle_cv; /* a job finished */
    trn_job_t **q;          /* FIFO ring */
    size_t cap, head, n;
    size_t running;
    int stopping;
    atomic_int cancel;
    trn_run_env_t env;
    pthread_t th[MAX_WORKERS];
    int nth;
};

static int job_cancelled(void *arg)
{
    trn_pool_t *p = arg;
    return atomic_load(&p->cancel);
}

static void *worker(void *arg)
{
    trn_pool_t *p = arg;
    trn_run_hooks_t hooks = {.cancelled = job_cancelled, .arg = p};
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->n == 0 && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stopping)
            break;
        trn_job_t *job = p->q[p->head];
        p->head = (p->head + 1) % p->cap;
        p->n--;
        p->running++;
        pthread_mutex_unlock(&p->mu);
        GF_LOG(GF_LOG_INFO, "job_start", "job %s: %zu regions", job->id, job->nregions);
        trn_job_state_t st = trn_run_job(job, &p->env, &hooks);
        GF_LOG(st == TRN_JOB_SUCCEEDED ? GF_LOG_INFO : GF_LOG_WARN, "job_end", "job %s: %s%s%s",
               job->id, trn_job_state_name(st), job->err_msg[0] ? ": " : "", job->err_msg);
        trn_job_free(job);
        pthread_mutex_lock(&p->mu);
        p->running--;
        pthread_cond_broadcast(&p->idle_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

trn_pool_t *trn_pool_new(int nworkers, int max_queued, const trn_run_env_t *env, gf_err_t *err)
{
    if (nworkers < 1 || nworkers > MAX_WORKERS || max_queued < 1) {
        gf_err_set(err, GF_EINVAL, "bad_pool", "workers 1..%d, queue >= 1", MAX_WORKERS);
        return NULL;
    }
    trn_pool_t *p = gf_xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_cond_init(&p->idle_cv, NULL);
    p->cap = (size_t)max_queued;
    p->q = gf_xcalloc(p->cap, sizeof *p->q);
    p->env = *env;
    atomic_init(&p->cancel, 0);
    for (int i = 0; i < nworkers; i++) {
        if (pthread_create(&p->th[i], NULL, worker, p) != 0) {
            gf_err_set(err, GF_EINTERNAL, "thread", "cannot start worker thread %d", i);
            trn_pool_free(p, 0);
            return NULL;
        }
        p->nth++;
    }
    return p;
}

int trn_pool_has_room(trn_pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    int room = !p->stopping && p->n < p->cap;
    pthread_mutex_unlock(&p->mu);
    return room;
}

int trn_pool_submit(trn_pool_t *p, trn_job_t *job, gf_err_t *err)
{
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        rc = gf_err_set(err, GF_EUNAVAIL, "shutting_down", "the trainer is shutting down");
    } else if (p->n == p->cap) {
        rc = gf_err_set(err, GF_ERATE, "queue_full", "%zu jobs are already queued", p->cap);
    } else {
        p->q[(p->head + p->n) % p->cap] = job;
        p->n++;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    if (rc)
        trn_job_free(job);
    return rc;
}

void trn_pool_counts(trn_pool_t *p, size_t *queued, size_t *running)
{
    pthread_mutex_lock(&p->mu);
    *queued = p->n;
    *running = p->running;
    pthread_mutex_unlock(&p->mu);
}

void trn_pool_free(trn_pool_t *p, double grace_seconds)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    /* queued jobs never start: take them out now */
    size_t nq = p->n;
    trn_job_t **left = gf_xcalloc(nq ? nq : 1, sizeof *left);
    for (size_t i = 0; i < nq; i++)
        left[i] = p->q[(p->head + i) % p->cap];
    p->n = 0;
    /* running jobs: let them finish within the grace period, then cancel */
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    double g = grace_seconds > 0 ? grace_seconds : 0;
    dl.tv_sec += (time_t)g;
    dl.tv_nsec += (long)((g - (double)(time_t)g) * 1e9);
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    if (p->running > 0)
        GF_LOG(GF_LOG_INFO, "drain_jobs", "%zu job(s) running: waiting up to %.0f s", p->running,
               g);
    while (p->running > 0) {
        if (pthread_cond_timedwait(&p->idle_cv, &p->mu, &dl) != 0 && p->running > 0) {
            GF_LOG(GF_LOG_WARN, "drain_jobs", "cancelling %zu running job(s)", p->running);
            atomic_store(&p->cancel, 1);
            while (p->running > 0)
                pthread_cond_wait(&p->idle_cv, &p->mu);
        }
    }
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nth; i++)
        pthread_join(p->th[i], NULL);
    if (nq > 0) {
        gf_err_t e = {0};
        redisContext *c = gf_redis_connect_sync(p->env.redis_host, p->env.redis_port, 2000, &e);
        for (size_t i = 0; i < nq; i++) {
            trn_job_t *j = left[i];
            j->state = TRN_JOB_FAILED;
            j->finished_at = gf_now_wall();
            trn_job_set_error(j, "interrupted", "interrupted by shutdown before it started");
            if (c != NULL)
                trn_job_save(c, j, 0, p->env.job_ttl_days, &e);
            trn_job_free(j);
        }
        if (c)
            redisFree(c);
        gf_err_cleanup(&e);
    }
    free(left);
    free(p->q);
    pthread_cond_destroy(&p->cv);
    pthread_cond_destroy(&p->idle_cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
