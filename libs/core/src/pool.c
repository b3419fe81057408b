/*
 * pool.c - worker threads for blocking work, results back on the loop (see core/pool.h).
 *
 * One mutex guards the job queue, the counts, the done list and the stopping flag. A worker
 * takes the oldest job, runs work() without the lock, then appends the job to the done list
 * and activates one libevent event on the pool's base; its callback (loop thread) takes the
 * whole done list and runs each done(). Activating an already active event is a no-op, so
 * one event carries any number of completions without an allocation per job, and a job
 * appended while the callback runs re-activates it for the next loop iteration.
 *
 * gf_pool_free joins the threads before it frees the event, so no worker can touch the event
 * after that; the completions left are then run directly on the calling (loop) thread.
 *
 * pthread calls that can only fail through a programming error (lock, unlock, wait, signal,
 * join, destroy) abort with a log line, like gf_xmalloc on out-of-memory; the ones that can fail at
 * run time (init, create) are reported to the caller of gf_pool_new.
 */
#include "core/pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/util.h"

typedef struct job {
    struct job *next;
    gf_pool_work_fn work;
    gf_pool_done_fn done;
    void *arg;
} job_t;

typedef struct job_list {
    job_t *head, *tail;
} job_list_t;

struct gf_pool {
    struct event_base *base;
    struct event *done_ev;
    const char *name;
    size_t queue_max;
    void (*local_free)(void *local);

    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* a job was queued, or the pool is stopping */
    pthread_cond_t idle_cv; /* a job's work returned (CLOCK_MONOTONIC, for the grace wait) */
    bool mu_ok, work_cv_ok, idle_cv_ok;

    job_list_t todo;        /* guarded by mu */
    size_t queued, running; /* guarded by mu */
    job_list_t finished;    /* work done, done() not yet run; guarded by mu */
    atomic_bool stopping;   /* written under mu, read by jobs without it */
    atomic_bool cancelled;

    int nthreads; /* started */
    pthread_t *th;
    gf_pool_worker_t *workers;
};

/* ---------------------------------------------------------------- pthread helpers */

static void must(int rc, const char *what)
{
    if (rc != 0) {
        gf_log_msg(GF_LOG_ERROR, "pool_pthread", "%s failed (error %d)", what, rc);
        abort();
    }
}

static void lock(gf_pool_t *p)
{
    must(pthread_mutex_lock(&p->mu), "pthread_mutex_lock");
}

static void unlock(gf_pool_t *p)
{
    must(pthread_mutex_unlock(&p->mu), "pthread_mutex_unlock");
}

static void list_push(job_list_t *l, job_t *j)
{
    j->next = NULL;
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
}

static job_t *list_pop(job_list_t *l)
{
    job_t *j = l->head;
    if (j != NULL) {
        l->head = j->next;
        if (l->head == NULL)
            l->tail = NULL;
    }
    return j;
}

/* ---------------------------------------------------------------- completions (loop) */

static void run_finished(gf_pool_t *p)
{
    lock(p);
    job_t *j = p->finished.head;
    p->finished.head = p->finished.tail = NULL;
    unlock(p);
    while (j != NULL) {
        job_t *next = j->next;
        j->done(j->arg);
        free(j);
        j = next;
    }
}

static void on_finished(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run_finished(arg);
}

/* ---------------------------------------------------------------- workers */

static void *worker_main(void *arg)
{
    gf_pool_worker_t *w = arg;
    gf_pool_t *p = w->_pool;
    lock(p);
    for (;;) {
        while (p->todo.head == NULL && !atomic_load(&p->stopping))
            must(pthread_cond_wait(&p->work_cv, &p->mu), "pthread_cond_wait");
        job_t *j = list_pop(&p->todo);
        if (j == NULL)
            break; /* stopping, and nothing left to run */
        p->queued--;
        p->running++;
        unlock(p);

        j->work(w, j->arg);

        lock(p);
        p->running--;
        bool notify = j->done != NULL;
        if (notify)
            list_push(&p->finished, j);
        else
            free(j);
        must(pthread_cond_broadcast(&p->idle_cv), "pthread_cond_broadcast");
        if (notify) {
            unlock(p);
            event_active(p->done_ev, EV_TIMEOUT, 0); /* thread-safe: the base has locking */
            lock(p);
        }
    }
    unlock(p);
    if (w->local != NULL && p->local_free != NULL)
        p->local_free(w->local);
    w->local = NULL;
    return NULL;
}

/* ---------------------------------------------------------------- life cycle */

/* Free what gf_pool_new set up; the threads must be joined (or never started). */
static void destroy(gf_pool_t *p)
{
    if (p->done_ev)
        event_free(p->done_ev);
    if (p->idle_cv_ok)
        must(pthread_cond_destroy(&p->idle_cv), "pthread_cond_destroy");
    if (p->work_cv_ok)
        must(pthread_cond_destroy(&p->work_cv), "pthread_cond_destroy");
    if (p->mu_ok)
        must(pthread_mutex_destroy(&p->mu), "pthread_mutex_destroy");
    free(p->th);
    free(p->workers);
    free(p);
}

gf_pool_t *gf_pool_new(struct event_base *base, const gf_pool_cfg_t *cfg, gf_err_t *err)
{
    if (base == NULL || cfg == NULL || cfg->name == NULL || cfg->threads < 1 ||
        cfg->threads > GF_POOL_MAX_THREADS || cfg->queue_max < 1) {
        gf_err_set(err, GF_EINVAL, "bad_pool",
                   "a pool needs a base, a name, 1..%d threads "
                   "and a queue of at least 1",
                   GF_POOL_MAX_THREADS);
        return NULL;
    }
    gf_pool_t *p = gf_xcalloc(1, sizeof *p);
    p->base = base;
    p->name = cfg->name;
    p->queue_max = cfg->queue_max;
    p->local_free = cfg->local_free;
    atomic_init(&p->stopping, false);
    atomic_init(&p->cancelled, false);
    p->th = gf_xcalloc((size_t)cfg->threads, sizeof *p->th);
    p->workers = gf_xcalloc((size_t)cfg->threads, sizeof *p->workers);

    pthread_condattr_t ca;
    int rc = pthread_mutex_init(&p->mu, NULL);
    p->mu_ok = rc == 0;
    if (rc == 0) {
        rc = pthread_cond_init(&p->work_cv, NULL);
        p->work_cv_ok = rc == 0;
    }
    if (rc == 0 && (rc = pthread_condattr_init(&ca)) == 0) {
        rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        if (rc == 0)
            rc = pthread_cond_init(&p->idle_cv, &ca);
        p->idle_cv_ok = rc == 0;
        must(pthread_condattr_destroy(&ca), "pthread_condattr_destroy");
    }
    if (rc != 0) {
        gf_err_set(err, GF_EINTERNAL, "pool_init", "%s pool: cannot create its locks (error %d)",
                   cfg->name, rc);
        destroy(p);
        return NULL;
    }
    p->done_ev = event_new(base, -1, 0, on_finished, p);
    if (p->done_ev == NULL) {
        gf_err_set(err, GF_EINTERNAL, "pool_init", "%s pool: event_new failed", cfg->name);
        destroy(p);
        return NULL;
    }
    for (int i = 0; i < cfg->threads; i++) {
        p->workers[i].index = i;
        p->workers[i]._pool = p;
        rc = pthread_create(&p->th[i], NULL, worker_main, &p->workers[i]);
        if (rc != 0) {
            gf_err_set(err, GF_EINTERNAL, "pool_threads",
                       "%s pool: cannot start thread %d of %d (error %d)", cfg->name, i + 1,
                       cfg->threads, rc);
            gf_pool_free(p, 0); /* joins the ones started; no job was submitted */
            return NULL;
        }
        p->nthreads++;
    }
    return p;
}

int gf_pool_submit(gf_pool_t *p, gf_pool_work_fn work, gf_pool_done_fn done, void *arg,
                   unsigned flags, gf_err_t *err)
{
    job_t *j = gf_xmalloc(sizeof *j);
    j->work = work;
    j->done = done;
    j->arg = arg;
    lock(p);
    if (atomic_load(&p->stopping)) {
        unlock(p);
        free(j);
        return gf_err_set(err, GF_EUNAVAIL, "shutting_down", "the service is shutting down");
    }
    if (p->queued >= p->queue_max && !(flags & GF_POOL_NO_LIMIT)) {
        size_t n = p->queued;
        unlock(p);
        free(j);
        return gf_err_set(err, GF_EUNAVAIL, "queue_full", "%zu %s jobs are already waiting", n,
                          p->name);
    }
    list_push(&p->todo, j);
    p->queued++;
    must(pthread_cond_signal(&p->work_cv), "pthread_cond_signal");
    unlock(p);
    return 0;
}

bool gf_pool_has_room(gf_pool_t *p)
{
    lock(p);
    bool room = !atomic_load(&p->stopping) && p->queued < p->queue_max;
    unlock(p);
    return room;
}

void gf_pool_counts(gf_pool_t *p, size_t *queued, size_t *running)
{
    lock(p);
    if (queued)
        *queued = p->queued;
    if (running)
        *running = p->running;
    unlock(p);
}

bool gf_pool_stopping(const gf_pool_worker_t *w)
{
    return atomic_load(&w->_pool->stopping);
}

bool gf_pool_cancelled(const gf_pool_worker_t *w)
{
    return atomic_load(&w->_pool->cancelled);
}

static struct timespec deadline_after(double seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (seconds < 0)
        seconds = 0;
    if (seconds > 1e6)
        seconds = 1e6;
    time_t whole = (time_t)seconds;
    ts.tv_sec += whole;
    ts.tv_nsec += (long)((seconds - (double)whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

void gf_pool_free(gf_pool_t *p, double grace_seconds)
{
    if (p == NULL)
        return;
    struct timespec dl = deadline_after(grace_seconds);
    lock(p);
    atomic_store(&p->stopping, true);
    must(pthread_cond_broadcast(&p->work_cv), "pthread_cond_broadcast");
    if (p->queued + p->running > 0)
        GF_LOG(GF_LOG_INFO, "pool_drain", "%s pool: %zu running, %zu queued: waiting up to %.1f s",
               p->name, p->running, p->queued, grace_seconds);
    while (p->queued + p->running > 0) {
        if (atomic_load(&p->cancelled)) {
            must(pthread_cond_wait(&p->idle_cv, &p->mu), "pthread_cond_wait");
            continue;
        }
        int rc = pthread_cond_timedwait(&p->idle_cv, &p->mu, &dl);
        if (rc == ETIMEDOUT && p->queued + p->running > 0) {
            GF_LOG(GF_LOG_WARN, "pool_cancel", "%s pool: cancelling %zu running job(s)", p->name,
                   p->running);
            atomic_store(&p->cancelled, true);
        } else if (rc != 0 && rc != ETIMEDOUT) {
            must(rc, "pthread_cond_timedwait");
        }
    }
    unlock(p);
    for (int i = 0; i < p->nthreads; i++)
        must(pthread_join(p->th[i], NULL), "pthread_join");
    run_finished(p); /* the workers are gone: nothing can be added any more */
    destroy(p);
}
