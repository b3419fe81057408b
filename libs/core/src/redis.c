/*
 * redis.c - self-healing async Redis connection on libevent (see core/redis.h).
 *
 * State machine: CONNECTING -> (connect cb ok) READY -> (disconnect cb) DOWN -> (backoff
 * timer) CONNECTING ... A hiredis async context is never reused after it failed: a fresh
 * one is made each time. A periodic PING detects a peer that stopped answering.
 */
#include "core/redis.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/pool.h"
#include "core/util.h"

#include <hiredis/adapters/libevent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define PING_EVERY_MS 2000
#define NOT_READY_MS_MAX 1000 /* re-ask at most this long after a LOADING/BUSY answer */

struct gf_redis {
    struct event_base *base;
    char host[256];
    int port;
    redisAsyncContext *ac;
    bool connected;  /* connect cb said OK and no disconnect since */
    bool ready;      /* connected and the last PING answered PONG (not LOADING/BUSY) */
    int pings_outstanding;
    int backoff_ms;
    int reask_ms;    /* next PING after a not-ready answer */
    struct event *retry;
    struct event *reask;
    struct event *pinger;
    void (*state_cb)(bool, void *);
    void *state_arg;
    bool freeing;
    gf_metric_t *m_up;
    gf_metric_t *m_reconnects;
};

static void start_connect(gf_redis_t *r);
static void send_ping(gf_redis_t *r);

static void set_ready(gf_redis_t *r, bool ready)
{
    if (r->ready == ready)
        return;
    r->ready = ready;
    gf_metric_set(r->m_up, ready ? 1 : 0);
    GF_LOG(ready ? GF_LOG_INFO : GF_LOG_WARN, ready ? "redis_up" : "redis_down", "%s:%d",
           r->host, r->port);
    if (r->state_cb)
        r->state_cb(ready, r->state_arg);
}

static void schedule_retry(gf_redis_t *r)
{
    if (r->freeing)
        return;
    struct timeval tv = {r->backoff_ms / 1000, (r->backoff_ms % 1000) * 1000};
    if (event_add(r->retry, &tv) != 0)
        GF_LOG(GF_LOG_ERROR, "redis", "cannot schedule reconnect");
    r->backoff_ms *= 2;
    if (r->backoff_ms > BACKOFF_MAX_MS)
        r->backoff_ms = BACKOFF_MAX_MS;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    gf_redis_t *r = ac->data;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback. */
        r->ac = NULL;
        r->connected = false;
        set_ready(r, false);
        schedule_retry(r);
        return;
    }
    /* Connected is not ready: the PING sent with the connect says whether Redis serves. */
    r->connected = true;
    r->backoff_ms = BACKOFF_MIN_MS;
    r->reask_ms = BACKOFF_MIN_MS;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    gf_redis_t *r = ac->data;
    r->ac = NULL; /* hiredis frees it */
    r->connected = false;
    set_ready(r, false);
    if (!r->freeing) {
        gf_metric_add(r->m_reconnects, 1);
        schedule_retry(r);
    }
}

static void on_pong(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    gf_redis_t *r = privdata;
    const redisReply *rep = reply;
    if (r->pings_outstanding > 0)
        r->pings_outstanding--;
    if (rep == NULL || !r->connected)
        return;
    if (rep->type != REDIS_REPLY_ERROR) {
        r->reask_ms = BACKOFF_MIN_MS;
        set_ready(r, true);
        return;
    }
    /* LOADING (reading its AOF after a restart), BUSY (a long script): connected but not
     * serving. Not ready until a PING answers; ask again soon, not at the next period. */
    if (r->ready || r->reask_ms == BACKOFF_MIN_MS)
        GF_LOG(GF_LOG_WARN, "redis_not_ready", "%s:%d answers %.80s", r->host, r->port, rep->str);
    set_ready(r, false);
    if (!r->freeing) {
        struct timeval tv = {r->reask_ms / 1000, (r->reask_ms % 1000) * 1000};
        if (event_add(r->reask, &tv) != 0)
            GF_LOG(GF_LOG_ERROR, "redis", "cannot schedule a readiness check");
        r->reask_ms = r->reask_ms * 2 > NOT_READY_MS_MAX ? NOT_READY_MS_MAX : r->reask_ms * 2;
    }
}

static void send_ping(gf_redis_t *r)
{
    r->pings_outstanding++;
    if (redisAsyncCommand(r->ac, on_pong, r, "PING") != REDIS_OK)
        r->pings_outstanding--;
}

static void on_reask(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gf_redis_t *r = arg;
    if (r->ac != NULL && r->connected)
        send_ping(r);
}

static void start_connect(gf_redis_t *r)
{
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (ac == NULL || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        schedule_retry(r);
        return;
    }
    ac->data = r;
    if (redisLibeventAttach(ac, r->base) != REDIS_OK) {
        redisAsyncFree(ac);
        schedule_retry(r);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    /* hiredis notices the connection only on I/O: a PING starts it (and its answer makes
     * the connection ready). */
    send_ping(r);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    start_connect(arg);
}

static void on_ping_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gf_redis_t *r = arg;
    if (r->ac == NULL || !r->connected)
        return;
    if (r->pings_outstanding >= 2) {
        /* Two pings unanswered: treat as down until one comes back. */
        set_ready(r, false);
    }
    send_ping(r);
}

gf_redis_t *gf_redis_new(struct event_base *base, const char *host, int port)
{
    gf_redis_t *r = gf_xcalloc(1, sizeof *r);
    r->base = base;
    snprintf(r->host, sizeof r->host, "%s", host);
    r->port = port;
    r->backoff_ms = BACKOFF_MIN_MS;
    r->reask_ms = BACKOFF_MIN_MS;
    r->m_up = gf_metric_gauge("gf_redis_up", "1 while the Redis connection is ready.", NULL);
    r->m_reconnects = gf_metric_counter("gf_redis_disconnects_total",
                                        "Redis connections lost.", NULL);
    gf_metric_set(r->m_up, 0);
    r->retry = evtimer_new(base, on_retry, r);
    r->reask = evtimer_new(base, on_reask, r);
    r->pinger = event_new(base, -1, EV_PERSIST, on_ping_timer, r);
    if (r->retry == NULL || r->reask == NULL || r->pinger == NULL) {
        if (r->retry)
            event_free(r->retry);
        if (r->reask)
            event_free(r->reask);
        if (r->pinger)
            event_free(r->pinger);
        free(r);
        return NULL;
    }
    struct timeval every = {PING_EVERY_MS / 1000, (PING_EVERY_MS % 1000) * 1000};
    if (event_add(r->pinger, &every) != 0)
        GF_LOG(GF_LOG_ERROR, "redis", "cannot start the ping timer");
    start_connect(r);
    return r;
}

void gf_redis_free(gf_redis_t *r)
{
    if (r == NULL)
        return;
    r->freeing = true;
    if (r->ac)
        redisAsyncFree(r->ac); /* runs pending callbacks with NULL and the disconnect cb */
    event_free(r->retry);
    event_free(r->reask);
    event_free(r->pinger);
    free(r);
}

bool gf_redis_ready(const gf_redis_t *r)
{
    return r != NULL && r->ready;
}

void gf_redis_on_state(gf_redis_t *r, void (*cb)(bool, void *), void *arg)
{
    r->state_cb = cb;
    r->state_arg = arg;
}

int gf_redis_cmd(gf_redis_t *r, redisCallbackFn *cb, void *privdata, const char *fmt, ...)
{
    if (r == NULL || r->ac == NULL || !r->connected)
        return GF_EUNAVAIL;
    va_list ap;
    va_start(ap, fmt);
    int rc = redisvAsyncCommand(r->ac, cb, privdata, fmt, ap);
    va_end(ap);
    return rc == REDIS_OK ? 0 : GF_EUNAVAIL;
}

int gf_redis_cmd_argv(gf_redis_t *r, redisCallbackFn *cb, void *privdata, int argc,
                      const char **argv, const size_t *argvlen)
{
    if (r == NULL || r->ac == NULL || !r->connected)
        return GF_EUNAVAIL;
    int rc = redisAsyncCommandArgv(r->ac, cb, privdata, argc, argv, argvlen);
    return rc == REDIS_OK ? 0 : GF_EUNAVAIL;
}

redisContext *gf_redis_connect_sync(const char *host, int port, int timeout_ms, gf_err_t *err)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (c == NULL || c->err) {
        gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "cannot connect to Redis at %s:%d: %s",
                   host, port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK) {
        gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "cannot set Redis timeout");
        redisFree(c);
        return NULL;
    }
    return c;
}

/* PING on a blocking connection: 0 when it answers PONG; GF_EUNAVAIL when the connection
 * failed (*broken set) or Redis answers LOADING/BUSY (not serving yet, *broken clear). */
static int sync_ping(redisContext *c, bool *broken, gf_err_t *err)
{
    redisReply *pong = redisCommand(c, "PING");
    int rc = 0;
    *broken = pong == NULL;
    if (pong == NULL)
        rc = gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "Redis did not answer PING");
    else
        rc = gf_redis_reply_check(pong, err);
    if (pong != NULL)
        freeReplyObject(pong);
    return rc;
}

redisContext *gf_redis_sync_ensure(redisContext **c, const char *host, int port, int timeout_ms,
                                   gf_err_t *err)
{
    bool broken = true;
    if (*c != NULL && (*c)->err == 0) {
        if (sync_ping(*c, &broken, err) == 0)
            return *c;
        if (!broken) /* connected, but Redis does not serve yet: keep the connection */
            return NULL;
        gf_err_cleanup(err);
    }
    if (*c != NULL) {
        redisFree(*c);
        *c = NULL;
    }
    *c = gf_redis_connect_sync(host, port, timeout_ms, err);
    if (*c != NULL && sync_ping(*c, &broken, err) != 0) {
        if (broken) {
            redisFree(*c);
            *c = NULL;
        }
        return NULL;
    }
    return *c;
}

redisContext *gf_redis_worker_conn(struct gf_pool_worker *w, const char *host, int port,
                                   int timeout_ms, gf_err_t *err)
{
    redisContext *c = w->local;
    gf_redis_sync_ensure(&c, host, port, timeout_ms, err);
    w->local = c;
    return c;
}

void gf_redis_local_free(void *local)
{
    redisFree(local);
}

bool gf_redis_reply_not_ready(const redisReply *reply)
{
    if (reply == NULL || reply->type != REDIS_REPLY_ERROR || reply->str == NULL)
        return false;
    static const char *const words[] = {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        if (strncmp(reply->str, words[i], n) == 0 && (reply->str[n] == ' ' || reply->str[n] == '\0'))
            return true;
    }
    return false;
}

int gf_redis_reply_check(const redisReply *reply, gf_err_t *err)
{
    if (reply == NULL)
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                          "Redis did not answer; nothing was written");
    if (gf_redis_reply_not_ready(reply))
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                          "Redis is not serving yet (%.120s); nothing was written", reply->str);
    if (reply->type == REDIS_REPLY_ERROR) {
        if (strncmp(reply->str, "OOM", 3) == 0)
            return gf_err_set(err, GF_EUNAVAIL, "redis_oom",
                              "Redis is out of memory; nothing was written");
        return gf_err_set(err, GF_EUNAVAIL, "redis_error", "Redis error: %.200s", reply->str);
    }
    return 0;
}

struct gf_redis_retry {
    struct event *ev;
    int ms;
    void (*fn)(void *);
    void *arg;
};

static void on_retry_due(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gf_redis_retry_t *t = arg;
    t->fn(t->arg);
}

gf_redis_retry_t *gf_redis_retry_new(struct event_base *base, void (*fn)(void *), void *arg)
{
    gf_redis_retry_t *t = gf_xcalloc(1, sizeof *t);
    t->ev = evtimer_new(base, on_retry_due, t);
    if (t->ev == NULL) {
        free(t);
        return NULL;
    }
    t->ms = BACKOFF_MIN_MS;
    t->fn = fn;
    t->arg = arg;
    return t;
}

void gf_redis_retry_later(gf_redis_retry_t *t)
{
    if (t == NULL || evtimer_pending(t->ev, NULL))
        return;
    struct timeval tv = {t->ms / 1000, (t->ms % 1000) * 1000};
    if (evtimer_add(t->ev, &tv) != 0)
        GF_LOG(GF_LOG_ERROR, "redis", "cannot schedule a retry");
    t->ms = t->ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : t->ms * 2;
}

void gf_redis_retry_later_cb(void *t)
{
    gf_redis_retry_later(t);
}

void gf_redis_retry_reset(gf_redis_retry_t *t)
{
    if (t != NULL)
        t->ms = BACKOFF_MIN_MS;
}

void gf_redis_retry_free(gf_redis_retry_t *t)
{
    if (t == NULL)
        return;
    event_free(t->ev);
    free(t);
}
