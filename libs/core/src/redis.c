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

struct gf_redis {
    struct event_base *base;
    char host[256];
    int port;
    redisAsyncContext *ac;
    bool connected;  /* connect cb said OK and no disconnect since */
    bool ready;      /* connected and the last PING answered */
    int pings_outstanding;
    int backoff_ms;
    struct event *retry;
    struct event *pinger;
    void (*state_cb)(bool, void *);
    void *state_arg;
    bool freeing;
    gf_metric_t *m_up;
    gf_metric_t *m_reconnects;
};

static void start_connect(gf_redis_t *r);

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
    r->connected = true;
    r->backoff_ms = BACKOFF_MIN_MS;
    r->pings_outstanding = 0;
    set_ready(r, true);
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
    if (r->pings_outstanding > 0)
        r->pings_outstanding--;
    if (reply != NULL && r->connected)
        set_ready(r, true);
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
    /* hiredis notices the connection only on I/O: a PING starts it. */
    r->pings_outstanding++;
    if (redisAsyncCommand(ac, on_pong, r, "PING") != REDIS_OK)
        r->pings_outstanding--;
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
    r->pings_outstanding++;
    if (redisAsyncCommand(r->ac, on_pong, r, "PING") != REDIS_OK)
        r->pings_outstanding--;
}

gf_redis_t *gf_redis_new(struct event_base *base, const char *host, int port)
{
    gf_redis_t *r = gf_xcalloc(1, sizeof *r);
    r->base = base;
    snprintf(r->host, sizeof r->host, "%s", host);
    r->port = port;
    r->backoff_ms = BACKOFF_MIN_MS;
    r->m_up = gf_metric_gauge("gf_redis_up", "1 while the Redis connection is ready.", NULL);
    r->m_reconnects = gf_metric_counter("gf_redis_disconnects_total",
                                        "Redis connections lost.", NULL);
    gf_metric_set(r->m_up, 0);
    r->retry = evtimer_new(base, on_retry, r);
    r->pinger = event_new(base, -1, EV_PERSIST, on_ping_timer, r);
    if (r->retry == NULL || r->pinger == NULL) {
        if (r->retry)
            event_free(r->retry);
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

redisContext *gf_redis_sync_ensure(redisContext **c, const char *host, int port, int timeout_ms,
                                   gf_err_t *err)
{
    if (*c != NULL && (*c)->err == 0) {
        redisReply *pong = redisCommand(*c, "PING");
        bool ok = pong != NULL && pong->type != REDIS_REPLY_ERROR;
        if (pong != NULL)
            freeReplyObject(pong);
        if (ok)
            return *c;
    }
    if (*c != NULL) {
        redisFree(*c);
        *c = NULL;
    }
    *c = gf_redis_connect_sync(host, port, timeout_ms, err);
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

int gf_redis_reply_check(const redisReply *reply, gf_err_t *err)
{
    if (reply == NULL)
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                          "Redis did not answer; nothing was written");
    if (reply->type == REDIS_REPLY_ERROR) {
        if (strncmp(reply->str, "OOM", 3) == 0)
            return gf_err_set(err, GF_EUNAVAIL, "redis_oom",
                              "Redis is out of memory; nothing was written");
        return gf_err_set(err, GF_EUNAVAIL, "redis_error", "Redis error: %.200s", reply->str);
    }
    return 0;
}
