/*
 * trn_bg.c - background thread for sync Redis work (see trn_bg.h).
 */
#include "trn_bg.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/http.h"
#include "core/log.h"
#include "core/redis.h"
#include "core/util.h"

typedef struct task {
    trn_bg_work_fn work;
    trn_bg_done_fn done;
    void *arg;
    struct task *next;
} task_t;

struct trn_bg {
    struct event_base *base;
    const char *host;
    int port;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    task_t *head, *tail;
    int stopping;
    pthread_t th;
    redisContext *c;
};

static redisContext *conn(trn_bg_t *bg)
{
    gf_err_t e = {0};
    redisContext *c = gf_redis_sync_ensure(&bg->c, bg->host, bg->port, 3000, &e);
    gf_err_cleanup(&e);
    return c;
}

static void *run(void *arg)
{
    trn_bg_t *bg = arg;
    pthread_mutex_lock(&bg->mu);
    for (;;) {
        while (bg->head == NULL && !bg->stopping)
            pthread_cond_wait(&bg->cv, &bg->mu);
        task_t *t = bg->head;
        if (t == NULL)
            break; /* stopping and empty */
        bg->head = t->next;
        if (bg->head == NULL)
            bg->tail = NULL;
        pthread_mutex_unlock(&bg->mu);
        t->work(conn(bg), t->arg);
        if (t->done != NULL && gf_loop_call(bg->base, t->done, t->arg) != 0)
            GF_LOG(GF_LOG_ERROR, "loop_call_failed", "a registry reply could not be delivered");
        free(t);
        pthread_mutex_lock(&bg->mu);
    }
    pthread_mutex_unlock(&bg->mu);
    if (bg->c)
        redisFree(bg->c);
    bg->c = NULL;
    return NULL;
}

trn_bg_t *trn_bg_new(struct event_base *base, const char *host, int port, gf_err_t *err)
{
    trn_bg_t *bg = gf_xcalloc(1, sizeof *bg);
    bg->base = base;
    bg->host = host;
    bg->port = port;
    pthread_mutex_init(&bg->mu, NULL);
    pthread_cond_init(&bg->cv, NULL);
    if (pthread_create(&bg->th, NULL, run, bg) != 0) {
        gf_err_set(err, GF_EINTERNAL, "thread", "cannot start the registry thread");
        pthread_cond_destroy(&bg->cv);
        pthread_mutex_destroy(&bg->mu);
        free(bg);
        return NULL;
    }
    return bg;
}

int trn_bg_submit(trn_bg_t *bg, trn_bg_work_fn work, trn_bg_done_fn done, void *arg,
                  gf_err_t *err)
{
    task_t *t = gf_xcalloc(1, sizeof *t);
    t->work = work;
    t->done = done;
    t->arg = arg;
    pthread_mutex_lock(&bg->mu);
    if (bg->stopping) {
        pthread_mutex_unlock(&bg->mu);
        free(t);
        return gf_err_set(err, GF_EUNAVAIL, "shutting_down", "the trainer is shutting down");
    }
    if (bg->tail)
        bg->tail->next = t;
    else
        bg->head = t;
    bg->tail = t;
    pthread_cond_signal(&bg->cv);
    pthread_mutex_unlock(&bg->mu);
    return 0;
}

void trn_bg_free(trn_bg_t *bg)
{
    if (bg == NULL)
        return;
    pthread_mutex_lock(&bg->mu);
    bg->stopping = 1;
    pthread_cond_broadcast(&bg->cv);
    pthread_mutex_unlock(&bg->mu);
    pthread_join(bg->th, NULL);
    pthread_cond_destroy(&bg->cv);
    pthread_mutex_destroy(&bg->mu);
    free(bg);
}
