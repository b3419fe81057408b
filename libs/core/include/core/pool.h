/*
 * core/pool.h - a fixed set of worker threads for blocking work (solves, imports, training,
 * registry calls) that must not run on the event loop, with results handed back to the loop.
 *
 * A job is {work, done, arg}. The loop thread (or any thread) submits it; `work(w, arg)` runs
 * on one of the pool's threads; `done(arg)` then runs on the loop thread of the pool's event
 * base, where it may reply to a request. Jobs start in submission order. The queue is bounded:
 * a submit finding cfg.queue_max jobs waiting is refused at once (the caller answers 503, or
 * what its API says), so a burst cannot pile up memory or latency.
 *
 * Each thread has one `local` slot that survives from job to job (a blocking Redis
 * connection: gf_redis_worker_conn in core/redis.h); cfg.local_free frees it when the thread
 * exits.
 *
 * Shutdown fits the service kit's drain (core/svc.h): while SIGTERM drains, the loop still
 * runs, so jobs keep completing and their done() callbacks answer the requests in flight.
 * The service's cleanup hook then calls gf_pool_free on the loop thread: submits are refused,
 * the jobs still queued are run with gf_pool_stopping() true (so a job with no request behind
 * it can record "interrupted" instead of starting long work), running jobs get grace_seconds
 * to end before gf_pool_cancelled() turns true for them, the threads are joined, and the
 * done() callbacks not yet run are run there, before it returns. Nothing is dropped: every
 * submitted job's work and done run exactly once.
 *
 * Threads: the base must be thread-aware (evthread_use_pthreads before event_base_new, which
 * gf_service_main does). gf_pool_submit, gf_pool_has_room and gf_pool_counts are thread-safe;
 * gf_pool_new and gf_pool_free run on the loop thread.
 */
#ifndef GF_CORE_POOL_H
#define GF_CORE_POOL_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define GF_POOL_MAX_THREADS 64

typedef struct gf_pool gf_pool_t;

/* What a job sees of the thread running it. */
typedef struct gf_pool_worker {
    void *local; /* this thread's own state: NULL at first, kept across its jobs */
    int index;   /* 0 .. threads-1 */
    gf_pool_t *_pool;
} gf_pool_worker_t;

/* Runs on a pool thread. */
typedef void (*gf_pool_work_fn)(gf_pool_worker_t *w, void *arg);
/* Runs on the loop thread after work returned; owns arg from then on. */
typedef void (*gf_pool_done_fn)(void *arg);

typedef struct gf_pool_cfg {
    const char *name; /* "import", "solve": for log lines; must outlive the pool */
    int threads;      /* 1 .. GF_POOL_MAX_THREADS */
    size_t queue_max; /* jobs waiting for a thread at most (running ones not counted); >= 1 */
    void (*local_free)(void *local); /* frees a thread's non-NULL local slot at exit; optional */
} gf_pool_cfg_t;

/* gf_pool_submit flag: queue even when queue_max jobs wait. For the service's own upkeep
 * (a catalog save after a reconnect) that must not be dropped, never for client work. */
#define GF_POOL_NO_LIMIT 1u

/* Start cfg->threads threads whose done() callbacks run on `base`. Returns NULL with err
 * (GF_EINVAL for a bad cfg, GF_EINTERNAL when libevent or pthreads fail). */
gf_pool_t *gf_pool_new(struct event_base *base, const gf_pool_cfg_t *cfg, gf_err_t *err);

/* Queue a job. done may be NULL (nothing to do on the loop; work then owns arg). Returns 0,
 * or GF_EUNAVAIL with err code "queue_full" (queue_max jobs already wait) or "shutting_down"
 * (gf_pool_free has begun); then nothing runs and arg stays the caller's. err may be NULL. */
int gf_pool_submit(gf_pool_t *p, gf_pool_work_fn work, gf_pool_done_fn done, void *arg,
                   unsigned flags, gf_err_t *err);

/* True when a submit now would be queued (not full, not stopping). */
bool gf_pool_has_room(gf_pool_t *p);

/* Jobs waiting for a thread, and jobs whose work is running now. Either pointer may be NULL. */
void gf_pool_counts(gf_pool_t *p, size_t *queued, size_t *running);

/* For work(): true once gf_pool_free has begun. A job that starts then may give up early
 * (its done() still runs). */
bool gf_pool_stopping(const gf_pool_worker_t *w);

/* For work(): true once the grace period of gf_pool_free is over; long work polls it and
 * stops soon (a training job between boosting rounds). */
bool gf_pool_cancelled(const gf_pool_worker_t *w);

/* Shut down as described above, waiting grace_seconds (>= 0) for the running and queued jobs
 * before cancelling, then join the threads, run the done() callbacks left and free. Call on
 * the loop thread, never from work() or done(), after the loop stopped (or before it ran).
 * NULL-safe. */
void gf_pool_free(gf_pool_t *p, double grace_seconds);

#endif
