/* Unit tests for libs/core/src/pool.c: jobs submitted on the loop thread, done() back on it,
 * the bounded queue, shutdown with work in flight, thread-local state, many jobs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pool.h"
#include "core/util.h"

static struct event_base *base;
static pthread_t loop_thread;

static int setup(void **state)
{
    (void)state;
    base = event_base_new();
    loop_thread = pthread_self();
    return base == NULL;
}

static int teardown(void **state)
{
    (void)state;
    event_base_free(base);
    return 0;
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Run the loop until *count reaches want (checked every 5 ms), or fail after 20 s. */
typedef struct until {
    const int *count;
    int want;
    double deadline;
} until_t;

static void on_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    until_t *u = arg;
    if (*u->count >= u->want || gf_now_mono() > u->deadline)
        event_base_loopbreak(base);
}

static void run_until(const int *count, int want)
{
    until_t u = {count, want, gf_now_mono() + 20};
    struct event *tick = event_new(base, -1, EV_PERSIST, on_check, &u);
    assert_non_null(tick);
    struct timeval tv = {0, 5000};
    assert_int_equal(event_add(tick, &tv), 0);
    assert_int_equal(event_base_dispatch(base), 0);
    event_free(tick);
    assert_int_equal(*count, want);
}

static void wait_running(gf_pool_t *p, size_t want)
{
    size_t running = 0;
    for (int i = 0; i < 4000 && running != want; i++) {
        gf_pool_counts(p, NULL, &running);
        if (running != want)
            nap_ms(5);
    }
    assert_int_equal(running, want);
}

static gf_pool_t *new_pool(int threads, size_t queue_max, void (*local_free)(void *))
{
    gf_err_t err = {0};
    gf_pool_cfg_t cfg = {.name = "test",
                         .threads = threads,
                         .queue_max = queue_max,
                         .local_free = local_free};
    gf_pool_t *p = gf_pool_new(base, &cfg, &err);
    assert_non_null(p);
    assert_int_equal(err.rc, 0);
    return p;
}

/* ---------------------------------------------------------------- one job's record */

typedef struct rec {
    int ran;           /* work ran */
    int work_on_loop;  /* work ran on the loop thread (must not) */
    int done_on_loop;  /* done ran on the loop thread (must) */
    int saw_stopping;  /* gf_pool_stopping at the start of work */
    int saw_cancelled; /* gf_pool_cancelled became true while it ran */
    int *done_count;
} rec_t;

static void work_record(gf_pool_worker_t *w, void *arg)
{
    rec_t *r = arg;
    r->ran = 1;
    r->work_on_loop = pthread_equal(pthread_self(), loop_thread);
    r->saw_stopping = gf_pool_stopping(w);
}

static void done_record(void *arg)
{
    rec_t *r = arg;
    r->done_on_loop = pthread_equal(pthread_self(), loop_thread);
    (*r->done_count)++;
}

/* ---------------------------------------------------------------- submits from the loop */

typedef struct from_loop {
    gf_pool_t *p;
    rec_t recs[8];
    int done;
} from_loop_t;

static void on_submit_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    from_loop_t *f = arg;
    for (int i = 0; i < 8; i++)
        assert_int_equal(gf_pool_submit(f->p, work_record, done_record, &f->recs[i], 0, NULL), 0);
}

static void test_pool_done_runs_on_loop_thread(void **state)
{
    (void)state;
    from_loop_t f = {0};
    f.p = new_pool(3, 8, NULL);
    for (int i = 0; i < 8; i++)
        f.recs[i].done_count = &f.done;
    struct event *ev = evtimer_new(base, on_submit_timer, &f);
    assert_non_null(ev);
    struct timeval now = {0, 0};
    assert_int_equal(evtimer_add(ev, &now), 0);
    run_until(&f.done, 8);
    event_free(ev);
    for (int i = 0; i < 8; i++) {
        assert_true(f.recs[i].ran);
        assert_false(f.recs[i].work_on_loop);
        assert_true(f.recs[i].done_on_loop);
        assert_false(f.recs[i].saw_stopping);
    }
    size_t q = 9, r = 9;
    gf_pool_counts(f.p, &q, &r);
    assert_int_equal(q, 0);
    assert_int_equal(r, 0);
    gf_pool_free(f.p, 0);
}

/* ---------------------------------------------------------------- the bounded queue */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;

static void gate_set(int open)
{
    pthread_mutex_lock(&gate_mu);
    gate_open = open;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static void work_gate(gf_pool_worker_t *w, void *arg)
{
    pthread_mutex_lock(&gate_mu);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    work_record(w, arg);
}

static void test_pool_queue_full_refused(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_pool_t *p = new_pool(1, 2, NULL);
    int done = 0;
    rec_t recs[5] = {0};
    for (int i = 0; i < 5; i++)
        recs[i].done_count = &done;
    gate_set(0);
    assert_int_equal(gf_pool_submit(p, work_gate, done_record, &recs[0], 0, &err), 0);
    wait_running(p, 1); /* the first job holds the only thread */
    assert_int_equal(gf_pool_submit(p, work_gate, done_record, &recs[1], 0, &err), 0);
    assert_true(gf_pool_has_room(p));
    assert_int_equal(gf_pool_submit(p, work_gate, done_record, &recs[2], 0, &err), 0);
    assert_false(gf_pool_has_room(p));
    /* two waiting: the third is refused at once and never runs */
    assert_int_equal(gf_pool_submit(p, work_gate, done_record, &recs[3], 0, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "queue_full");
    size_t q = 0, r = 0;
    gf_pool_counts(p, &q, &r);
    assert_int_equal(q, 2);
    assert_int_equal(r, 1);
    /* upkeep may pass the limit */
    assert_int_equal(gf_pool_submit(p, work_gate, done_record, &recs[4], GF_POOL_NO_LIMIT, &err),
                     0);
    gate_set(1);
    run_until(&done, 4);
    assert_false(recs[3].ran);
    assert_int_equal(recs[3].done_on_loop, 0);
    for (int i = 0; i < 5; i++)
        if (i != 3)
            assert_true(recs[i].ran && recs[i].done_on_loop);
    assert_true(gf_pool_has_room(p));
    gf_pool_free(p, 0);
    gf_err_cleanup(&err);
}

/* ---------------------------------------------------------------- shutdown */

static gf_pool_t *stopping_pool;
static int late_submit_rc;
static char late_submit_code[48];

/* Runs until the pool cancels it (a training job polling between rounds). */
static void work_until_cancelled(gf_pool_worker_t *w, void *arg)
{
    rec_t *r = arg;
    r->ran = 1;
    r->saw_stopping = gf_pool_stopping(w);
    while (!gf_pool_cancelled(w))
        nap_ms(1);
    r->saw_cancelled = 1;
}

/* Queued when shutdown begins: sees stopping, and a submit from here is refused. */
static void work_queued_at_stop(gf_pool_worker_t *w, void *arg)
{
    work_record(w, arg);
    gf_err_t err = {0};
    late_submit_rc = gf_pool_submit(stopping_pool, work_record, NULL, NULL, 0, &err);
    snprintf(late_submit_code, sizeof late_submit_code, "%s", err.code);
}

static void test_pool_free_with_work_in_flight(void **state)
{
    (void)state;
    gf_pool_t *p = new_pool(1, 4, NULL);
    stopping_pool = p;
    int done = 0;
    rec_t recs[3] = {0};
    for (int i = 0; i < 3; i++)
        recs[i].done_count = &done;
    assert_int_equal(gf_pool_submit(p, work_until_cancelled, done_record, &recs[0], 0, NULL), 0);
    wait_running(p, 1);
    assert_int_equal(gf_pool_submit(p, work_queued_at_stop, done_record, &recs[1], 0, NULL), 0);
    assert_int_equal(gf_pool_submit(p, work_record, done_record, &recs[2], 0, NULL), 0);
    /* The loop has stopped (as in a service's cleanup hook): free waits the grace, cancels the
     * running job, runs the queued ones and their done() callbacks here, then returns. */
    double t0 = gf_now_mono();
    gf_pool_free(p, 0.1);
    assert_true(gf_now_mono() - t0 >= 0.1);
    assert_int_equal(done, 3);
    assert_false(recs[0].saw_stopping);
    assert_true(recs[0].saw_cancelled);
    for (int i = 0; i < 3; i++)
        assert_true(recs[i].ran && recs[i].done_on_loop);
    assert_true(recs[1].saw_stopping);
    assert_true(recs[2].saw_stopping);
    assert_int_equal(late_submit_rc, GF_EUNAVAIL);
    assert_string_equal(late_submit_code, "shutting_down");
}

static void work_short(gf_pool_worker_t *w, void *arg)
{
    rec_t *r = arg;
    nap_ms(30);
    r->ran = 1;
    r->saw_cancelled = gf_pool_cancelled(w);
}

static void test_pool_free_grace_lets_jobs_end(void **state)
{
    (void)state;
    gf_pool_t *p = new_pool(2, 4, NULL);
    int done = 0;
    rec_t recs[4] = {0};
    for (int i = 0; i < 4; i++) {
        recs[i].done_count = &done;
        assert_int_equal(gf_pool_submit(p, work_short, done_record, &recs[i], 0, NULL), 0);
    }
    gf_pool_free(p, 10);
    assert_int_equal(done, 4);
    for (int i = 0; i < 4; i++) {
        assert_true(recs[i].ran);
        assert_false(recs[i].saw_cancelled);
    }
}

/* ---------------------------------------------------------------- thread-local state */

static atomic_int locals_made, locals_freed;

static void local_free(void *local)
{
    free(local);
    atomic_fetch_add(&locals_freed, 1);
}

static void work_local(gf_pool_worker_t *w, void *arg)
{
    int *seen = arg;
    if (w->local == NULL) {
        w->local = gf_xcalloc(1, sizeof(int));
        atomic_fetch_add(&locals_made, 1);
    }
    (*(int *)w->local)++;
    *seen = w->index;
}

static void done_count(void *arg)
{
    (*(int *)arg)++;
}

typedef struct local_job {
    int index;
    int *done;
} local_job_t;

static void work_local_job(gf_pool_worker_t *w, void *arg)
{
    local_job_t *j = arg;
    work_local(w, &j->index);
}

static void done_local_job(void *arg)
{
    local_job_t *j = arg;
    done_count(j->done);
}

static void test_pool_local_kept_and_freed(void **state)
{
    (void)state;
    gf_pool_t *p = new_pool(3, 64, local_free);
    atomic_store(&locals_made, 0);
    atomic_store(&locals_freed, 0);
    int done = 0;
    local_job_t jobs[40];
    for (int i = 0; i < 40; i++) {
        jobs[i].index = -1;
        jobs[i].done = &done;
        assert_int_equal(gf_pool_submit(p, work_local_job, done_local_job, &jobs[i], 0, NULL), 0);
    }
    run_until(&done, 40);
    for (int i = 0; i < 40; i++)
        assert_true(jobs[i].index >= 0 && jobs[i].index < 3);
    assert_true(atomic_load(&locals_made) >= 1 && atomic_load(&locals_made) <= 3);
    gf_pool_free(p, 0);
    assert_int_equal(atomic_load(&locals_freed), atomic_load(&locals_made));
}

/* ---------------------------------------------------------------- many jobs */

#define MANY 5000

static atomic_int worked;

typedef struct many {
    int value;
    int *sum; /* loop thread only */
    int *done;
} many_t;

static void work_many(gf_pool_worker_t *w, void *arg)
{
    (void)w;
    many_t *m = arg;
    m->value *= 2;
    atomic_fetch_add(&worked, 1);
}

static void done_many(void *arg)
{
    many_t *m = arg;
    assert_true(pthread_equal(pthread_self(), loop_thread));
    *m->sum += m->value;
    (*m->done)++;
    free(m);
}

static void work_noop(gf_pool_worker_t *w, void *arg)
{
    (void)w;
    free(arg);
    atomic_fetch_add(&worked, 1);
}

static void test_pool_many_jobs(void **state)
{
    (void)state;
    gf_pool_t *p = new_pool(4, MANY, NULL);
    atomic_store(&worked, 0);
    int sum = 0, done = 0;
    for (int i = 1; i <= MANY; i++) {
        many_t *m = gf_xmalloc(sizeof *m);
        *m = (many_t){.value = i, .sum = &sum, .done = &done};
        assert_int_equal(gf_pool_submit(p, work_many, done_many, m, 0, NULL), 0);
    }
    run_until(&done, MANY);
    assert_int_equal(sum, MANY * (MANY + 1)); /* 2 * (1 + ... + MANY) */
    /* jobs without done(): work owns arg */
    for (int i = 0; i < 100; i++)
        assert_int_equal(gf_pool_submit(p, work_noop, NULL, gf_xmalloc(8), 0, NULL), 0);
    gf_pool_free(p, 5);
    assert_int_equal(atomic_load(&worked), MANY + 100);
}

/* ---------------------------------------------------------------- configuration */

static void test_pool_new_rejects_bad_cfg(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_pool_cfg_t none = {.name = "test", .threads = 0, .queue_max = 1};
    assert_null(gf_pool_new(base, &none, &err));
    assert_int_equal(err.rc, GF_EINVAL);
    gf_pool_cfg_t noq = {.name = "test", .threads = 1, .queue_max = 0};
    assert_null(gf_pool_new(base, &noq, &err));
    gf_pool_cfg_t many = {.name = "test", .threads = GF_POOL_MAX_THREADS + 1, .queue_max = 1};
    assert_null(gf_pool_new(base, &many, &err));
    gf_pool_cfg_t ok = {.name = "test", .threads = 1, .queue_max = 1};
    assert_null(gf_pool_new(NULL, &ok, &err));
    gf_pool_free(NULL, 0);
    gf_err_cleanup(&err);
}

int main(void)
{
    if (evthread_use_pthreads() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pool_done_runs_on_loop_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_queue_full_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_free_with_work_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_free_grace_lets_jobs_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_local_kept_and_freed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_many_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_new_rejects_bad_cfg, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    libevent_global_shutdown();
    return rc;
}
