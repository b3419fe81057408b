/*
 * redis.c - self-healing async Redis connection on libevent (see core/redis.h).
 *
 * Per server connection (rnode_t): CONNECTING -> (connect cb ok) READY -> (disconnect cb)
 * DOWN -> (backoff timer) CONNECTING ... A hiredis async context is never reused after it
 * failed: a fresh one is made each time. A periodic PING detects a peer that stopped
 * answering. One Redis is one such node and commands go straight to it. A Redis Cluster is
 * one node per master (plus the seeds), a slot map from CLUSTER SLOTS (refreshed on every
 * ping period, on MOVED and when a node is lost), and commands routed by key slot with
 * rcluster.c's key table (rcmd_t carries a command across redirections and retries).
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
#include <strings.h>
#include <sys/time.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define PING_EVERY_MS 2000
#define NOT_READY_MS_MAX 1000 /* re-ask at most this long after a LOADING/BUSY answer */
#define RETRY_MIN_MS 10       /* TRYAGAIN / CLUSTERDOWN: 10 ms doubling to 200 ms */
#define RETRY_MAX_MS 200

/* One server connection: the only one for one Redis, one per node for a cluster. */
typedef struct rnode {
    gf_redis_t *r;
    char host[256];
    int port;
    redisAsyncContext *ac;
    bool connected; /* connect cb said OK and no disconnect since */
    bool ready;     /* connected and the last PING answered PONG (not LOADING/BUSY) */
    bool keep;      /* reconnect when lost (one Redis, a seed, a master of the map) */
    int pings_outstanding;
    int backoff_ms;
    int reask_ms; /* next PING after a not-ready answer */
    struct event *retry;
    struct event *reask;
} rnode_t;

/* A script loaded through this connection (cluster: reloaded on a node answering NOSCRIPT). */
typedef struct rscript {
    char sha[41];
    char *body;
    size_t len;
} rscript_t;

typedef struct rcmd rcmd_t;

struct gf_redis {
    struct event_base *base;
    bool cluster;
    rnode_t **nodes; /* [0] = the one Redis; cluster: seeds, then nodes as they are learned */
    size_t nnodes, capnodes;
    size_t nseeds;      /* cluster: nodes[0..nseeds) are the configured seeds */
    int16_t *slot_node; /* cluster: GF_RC_SLOTS entries, index into nodes, -1 = none */
    int *masters;       /* cluster: distinct nodes of the map */
    size_t nmasters;
    bool map_ok;     /* a map covering every slot was loaded */
    bool refreshing; /* a CLUSTER SLOTS is in flight */
    bool ready;      /* the aggregate: what gf_redis_ready says */
    rscript_t *scripts;
    size_t nscripts, capscripts;
    rcmd_t *waiting; /* commands waiting out a TRYAGAIN backoff */
    struct event *pinger;
    void (*state_cb)(bool, void *);
    void *state_arg;
    bool freeing;
    gf_metric_t *m_up;
    gf_metric_t *m_reconnects;
    gf_metric_t *m_redirects;
    gf_rcluster_stats_t st;
};

static void start_connect(rnode_t *n);
static void send_ping(rnode_t *n);
static void refresh_map(gf_redis_t *r);

/* ---------------------------------------------------------------- readiness */

static bool all_masters_ready(const gf_redis_t *r, const rnode_t **down)
{
    if (!r->map_ok)
        return false;
    for (size_t i = 0; i < r->nmasters; i++)
        if (!r->nodes[r->masters[i]]->ready) {
            if (down)
                *down = r->nodes[r->masters[i]];
            return false;
        }
    return r->nmasters > 0;
}

static void update_ready(gf_redis_t *r)
{
    bool ready = r->cluster ? all_masters_ready(r, NULL) : r->nodes[0]->ready;
    if (r->ready == ready)
        return;
    r->ready = ready;
    gf_metric_set(r->m_up, ready ? 1 : 0);
    if (r->cluster)
        GF_LOG(ready ? GF_LOG_INFO : GF_LOG_WARN, ready ? "redis_cluster_up" : "redis_cluster_down",
               "%zu masters", r->nmasters);
    if (r->state_cb)
        r->state_cb(ready, r->state_arg);
}

static void node_set_ready(rnode_t *n, bool ready)
{
    if (n->ready == ready)
        return;
    n->ready = ready;
    GF_LOG(ready ? GF_LOG_INFO : GF_LOG_WARN, ready ? "redis_up" : "redis_down", "%s:%d", n->host,
           n->port);
    update_ready(n->r);
}

/* ---------------------------------------------------------------- one connection */

static void schedule_retry(rnode_t *n)
{
    if (n->r->freeing || !n->keep)
        return;
    struct timeval tv = {n->backoff_ms / 1000, (n->backoff_ms % 1000) * 1000};
    if (event_add(n->retry, &tv) != 0)
        GF_LOG(GF_LOG_ERROR, "redis", "cannot schedule reconnect");
    n->backoff_ms *= 2;
    if (n->backoff_ms > BACKOFF_MAX_MS)
        n->backoff_ms = BACKOFF_MAX_MS;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    rnode_t *n = ac->data;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback. */
        n->ac = NULL;
        n->connected = false;
        node_set_ready(n, false);
        schedule_retry(n);
        return;
    }
    /* Connected is not ready: the PING sent with the connect says whether Redis serves. */
    n->connected = true;
    n->backoff_ms = BACKOFF_MIN_MS;
    n->reask_ms = BACKOFF_MIN_MS;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    rnode_t *n = ac->data;
    n->ac = NULL; /* hiredis frees it */
    n->connected = false;
    node_set_ready(n, false);
    if (!n->r->freeing) {
        gf_metric_add(n->r->m_reconnects, 1);
        schedule_retry(n);
        if (n->r->cluster)
            refresh_map(n->r); /* its slots may have moved to another node */
    }
}

static void on_pong(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    rnode_t *n = privdata;
    const redisReply *rep = reply;
    if (n->pings_outstanding > 0)
        n->pings_outstanding--;
    if (rep == NULL || !n->connected)
        return;
    if (rep->type != REDIS_REPLY_ERROR) {
        n->reask_ms = BACKOFF_MIN_MS;
        node_set_ready(n, true);
        if (n->r->cluster && !n->r->map_ok)
            refresh_map(n->r); /* the first node that serves gives the map */
        return;
    }
    /* LOADING (reading its AOF after a restart), BUSY (a long script): connected but not
     * serving. Not ready until a PING answers; ask again soon, not at the next period. */
    if (n->ready || n->reask_ms == BACKOFF_MIN_MS)
        GF_LOG(GF_LOG_WARN, "redis_not_ready", "%s:%d answers %.80s", n->host, n->port, rep->str);
    node_set_ready(n, false);
    if (!n->r->freeing) {
        struct timeval tv = {n->reask_ms / 1000, (n->reask_ms % 1000) * 1000};
        if (event_add(n->reask, &tv) != 0)
            GF_LOG(GF_LOG_ERROR, "redis", "cannot schedule a readiness check");
        n->reask_ms = n->reask_ms * 2 > NOT_READY_MS_MAX ? NOT_READY_MS_MAX : n->reask_ms * 2;
    }
}

static void send_ping(rnode_t *n)
{
    n->pings_outstanding++;
    if (redisAsyncCommand(n->ac, on_pong, n, "PING") != REDIS_OK)
        n->pings_outstanding--;
}

static void on_reask(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rnode_t *n = arg;
    if (n->ac != NULL && n->connected)
        send_ping(n);
}

static void start_connect(rnode_t *n)
{
    redisAsyncContext *ac = redisAsyncConnect(n->host, n->port);
    if (ac == NULL || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        schedule_retry(n);
        return;
    }
    ac->data = n;
    if (redisLibeventAttach(ac, n->r->base) != REDIS_OK) {
        redisAsyncFree(ac);
        schedule_retry(n);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    n->ac = ac;
    /* hiredis notices the connection only on I/O: a PING starts it (and its answer makes
     * the connection ready). */
    send_ping(n);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rnode_t *n = arg;
    if (n->ac == NULL)
        start_connect(n);
}

static void node_ping_tick(rnode_t *n)
{
    if (n->ac == NULL || !n->connected)
        return;
    if (n->pings_outstanding >= 2) {
        /* Two pings unanswered: treat as down until one comes back. */
        node_set_ready(n, false);
    }
    send_ping(n);
}

static void on_ping_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gf_redis_t *r = arg;
    for (size_t i = 0; i < r->nnodes; i++)
        if (r->nodes[i]->keep)
            node_ping_tick(r->nodes[i]);
    if (r->cluster)
        refresh_map(r); /* follows slot moves and masters that came back */
}

/* The node at host:port, made (and connecting, when keep) if it is new. NULL only for a
 * timer that cannot be made. */
static rnode_t *node_get(gf_redis_t *r, const char *host, int port, bool keep)
{
    for (size_t i = 0; i < r->nnodes; i++) {
        rnode_t *n = r->nodes[i];
        if (n->port == port && strcmp(n->host, host) == 0) {
            if (keep && !n->keep) {
                n->keep = true;
                if (n->ac == NULL && !evtimer_pending(n->retry, NULL))
                    start_connect(n);
            }
            return n;
        }
    }
    rnode_t *n = gf_xcalloc(1, sizeof *n);
    n->r = r;
    snprintf(n->host, sizeof n->host, "%s", host);
    n->port = port;
    n->keep = keep;
    n->backoff_ms = BACKOFF_MIN_MS;
    n->reask_ms = BACKOFF_MIN_MS;
    n->retry = evtimer_new(r->base, on_retry, n);
    n->reask = evtimer_new(r->base, on_reask, n);
    if (n->retry == NULL || n->reask == NULL) {
        if (n->retry)
            event_free(n->retry);
        if (n->reask)
            event_free(n->reask);
        free(n);
        return NULL;
    }
    if (r->nnodes == r->capnodes) {
        r->capnodes = r->capnodes ? r->capnodes * 2 : 8;
        r->nodes = gf_xrealloc(r->nodes, r->capnodes * sizeof *r->nodes);
    }
    r->nodes[r->nnodes++] = n;
    start_connect(n);
    return n;
}

static int node_idx(const gf_redis_t *r, const rnode_t *n)
{
    for (size_t i = 0; i < r->nnodes; i++)
        if (r->nodes[i] == n)
            return (int)i;
    return -1;
}

/* ---------------------------------------------------------------- the slot map */

static void on_slots(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    rnode_t *from = privdata;
    gf_redis_t *r = from->r;
    r->refreshing = false;
    if (reply == NULL || r->freeing)
        return;
    r->st.refreshes++;
    gf_rc_range_t *ranges;
    size_t n;
    gf_err_t err = {0};
    if (gf_rc_parse_slots(reply, from->host, &ranges, &n, &err) != 0 || n == 0) {
        GF_LOG(GF_LOG_WARN, "redis_cluster_slots", "%s:%d: %s", from->host, from->port,
               err.rc ? err.message : "serves no slots (not a cluster yet?)");
        gf_err_cleanup(&err);
        return;
    }
    for (int s = 0; s < GF_RC_SLOTS; s++)
        r->slot_node[s] = -1;
    bool covered = true;
    for (size_t i = 0; i < n; i++) {
        rnode_t *m = node_get(r, ranges[i].master.host, ranges[i].master.port, true);
        int mi = m ? node_idx(r, m) : -1;
        for (int s = ranges[i].start; s <= ranges[i].end; s++)
            r->slot_node[s] = (int16_t)mi;
    }
    free(ranges);
    r->nmasters = 0;
    bool *seen = gf_xcalloc(r->nnodes, sizeof *seen);
    for (int s = 0; s < GF_RC_SLOTS; s++) {
        int mi = r->slot_node[s];
        if (mi < 0) {
            covered = false;
            continue;
        }
        if (!seen[mi]) {
            seen[mi] = true;
            r->masters[r->nmasters++] = mi;
        }
    }
    /* Nodes that left the map (and are not seeds) are not reconnected any more. */
    for (size_t i = r->nseeds; i < r->nnodes; i++)
        if (!seen[i])
            r->nodes[i]->keep = false;
    free(seen);
    if (!covered && r->map_ok)
        GF_LOG(GF_LOG_WARN, "redis_cluster_slots", "some slots have no master");
    r->map_ok = covered;
    update_ready(r);
}

/* Ask a node for CLUSTER SLOTS (one request at a time): a ready master of the map first,
 * else any node that serves (a seed at start). */
static void refresh_map(gf_redis_t *r)
{
    if (r->refreshing || r->freeing)
        return;
    rnode_t *from = NULL;
    for (size_t i = 0; i < r->nmasters && from == NULL; i++)
        if (r->nodes[r->masters[i]]->ready)
            from = r->nodes[r->masters[i]];
    for (size_t i = 0; i < r->nnodes && from == NULL; i++)
        if (r->nodes[i]->ready)
            from = r->nodes[i];
    if (from == NULL)
        return;
    if (redisAsyncCommand(from->ac, on_slots, from, "CLUSTER SLOTS") == REDIS_OK)
        r->refreshing = true;
}

/* ---------------------------------------------------------------- cluster commands */

struct rcmd {
    gf_redis_t *r;
    char *buf; /* the formatted command, kept to send it again */
    size_t len;
    int slot; /* -1 = no key: any master */
    redisCallbackFn *cb;
    void *priv;
    int hops, tries, backoff_ms;
    bool noscript_done;
    char sha[41]; /* EVALSHA: the script's SHA1, else "" */
    struct event *timer;
    rcmd_t *prev, *next; /* r->waiting while a timer runs */
};

static void cmd_free(rcmd_t *c)
{
    if (c->timer)
        event_free(c->timer);
    redisFreeCommand(c->buf);
    free(c);
}

/* Hand the reply (NULL = not done) to the caller and forget the command. */
static void cmd_deliver(rcmd_t *c, redisAsyncContext *ac, void *reply)
{
    if (c->cb)
        c->cb(ac, reply, c->priv);
    cmd_free(c);
}

static void on_cmd_reply(redisAsyncContext *ac, void *reply, void *privdata);

/* Send to node n (ASKING first when asking): 0, or -1 (not connected, or hiredis refused). */
static int cmd_send(rcmd_t *c, rnode_t *n, bool asking)
{
    if (n == NULL || n->ac == NULL)
        return -1;
    if (asking && redisAsyncCommand(n->ac, NULL, NULL, "ASKING") != REDIS_OK)
        return -1;
    return redisAsyncFormattedCommand(n->ac, on_cmd_reply, c, c->buf, c->len) == REDIS_OK ? 0 : -1;
}

static rnode_t *slot_master(gf_redis_t *r, int slot)
{
    if (slot >= 0)
        return r->slot_node[slot] >= 0 ? r->nodes[r->slot_node[slot]] : NULL;
    for (size_t i = 0; i < r->nmasters; i++) /* no key: a master that serves */
        if (r->nodes[r->masters[i]]->connected)
            return r->nodes[r->masters[i]];
    return NULL;
}

static void waiting_unlink(rcmd_t *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->r->waiting = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void on_cmd_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rcmd_t *c = arg;
    waiting_unlink(c);
    rnode_t *n = slot_master(c->r, c->slot);
    if (n == NULL || !n->connected || cmd_send(c, n, false) != 0)
        cmd_deliver(c, NULL, NULL);
}

static const rscript_t *script_find(const gf_redis_t *r, const char *sha)
{
    for (size_t i = 0; i < r->nscripts; i++)
        if (strcmp(r->scripts[i].sha, sha) == 0)
            return &r->scripts[i];
    return NULL;
}

static void on_cmd_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    rcmd_t *c = privdata;
    gf_redis_t *r = c->r;
    const redisReply *rep = reply;
    if (rep == NULL || r->freeing) {
        cmd_deliver(c, ac, reply);
        return;
    }
    bool moved = gf_rc_reply_is(rep, "MOVED"), ask = gf_rc_reply_is(rep, "ASK");
    if (moved || ask) {
        gf_metric_add(r->m_redirects, 1);
        if (moved)
            r->st.moved++;
        else
            r->st.ask++;
        gf_rc_addr_t to;
        rnode_t *n = NULL;
        if (++c->hops <= GF_RC_MAX_REDIRECTS && gf_rc_redirect_addr(rep->str, &to) == 0)
            n = node_get(r, to.host, to.port, moved);
        if (n == NULL) {
            GF_LOG(GF_LOG_WARN, "redis_cluster_redirects", "slot %d: %.120s (%d redirections)",
                   c->slot, rep->str, c->hops);
            cmd_deliver(c, ac, NULL);
            return;
        }
        if (moved) {
            if (c->slot >= 0)
                r->slot_node[c->slot] = (int16_t)node_idx(r, n);
            refresh_map(r);
        }
        if (cmd_send(c, n, ask) != 0)
            cmd_deliver(c, ac, NULL);
        return;
    }
    if ((gf_rc_reply_is(rep, "TRYAGAIN") || gf_rc_reply_is(rep, "CLUSTERDOWN")) &&
        ++c->tries <= GF_RC_MAX_RETRIES) {
        r->st.tryagain++;
        if (c->timer == NULL)
            c->timer = evtimer_new(r->base, on_cmd_timer, c);
        c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : RETRY_MIN_MS;
        if (c->backoff_ms > RETRY_MAX_MS)
            c->backoff_ms = RETRY_MAX_MS;
        struct timeval tv = {0, c->backoff_ms * 1000};
        if (c->timer == NULL || evtimer_add(c->timer, &tv) != 0) {
            cmd_deliver(c, ac, reply);
            return;
        }
        c->next = r->waiting;
        if (r->waiting)
            r->waiting->prev = c;
        r->waiting = c;
        return;
    }
    if (c->sha[0] != '\0' && !c->noscript_done && gf_rc_reply_is(rep, "NOSCRIPT")) {
        /* A master without the script (restarted, or new): load it there, then the EVALSHA
         * again on the same connection (it runs after the load). */
        const rscript_t *s = script_find(r, c->sha);
        c->noscript_done = true;
        r->st.noscript++;
        if (s != NULL &&
            redisAsyncCommand(ac, NULL, NULL, "SCRIPT LOAD %b", s->body, s->len) == REDIS_OK &&
            redisAsyncFormattedCommand(ac, on_cmd_reply, c, c->buf, c->len) == REDIS_OK)
            return;
    }
    cmd_deliver(c, ac, reply);
}

/* SCRIPT LOAD on a cluster: sent to every master; the caller gets one answer (the SHA1, or
 * the first error) when all answered. */
typedef struct rbcast {
    gf_redis_t *r;
    redisCallbackFn *cb;
    void *priv;
    int pending;
    bool lost; /* a master did not answer */
    char *err; /* the first error reply */
    char sha[41];
    char *body;
    size_t len;
} rbcast_t;

static void on_bcast_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    rbcast_t *b = privdata;
    const redisReply *rep = reply;
    if (rep == NULL)
        b->lost = true;
    else if (rep->type == REDIS_REPLY_ERROR && b->err == NULL)
        b->err = gf_xstrdup(rep->str ? rep->str : "ERR");
    else if (rep->type == REDIS_REPLY_STRING && rep->len == 40)
        memcpy(b->sha, rep->str, 41);
    if (--b->pending > 0)
        return;
    gf_redis_t *r = b->r;
    redisReply *out = NULL;
    if (!b->lost && !r->freeing) {
        out = gf_xcalloc(1, sizeof *out);
        if (b->err != NULL) {
            out->type = REDIS_REPLY_ERROR;
            out->str = b->err;
            b->err = NULL;
        } else {
            out->type = REDIS_REPLY_STRING;
            out->str = gf_xstrdup(b->sha);
            if (b->sha[0] != '\0' && script_find(r, b->sha) == NULL) {
                if (r->nscripts == r->capscripts) {
                    r->capscripts = r->capscripts ? r->capscripts * 2 : 8;
                    r->scripts = gf_xrealloc(r->scripts, r->capscripts * sizeof *r->scripts);
                }
                rscript_t *s = &r->scripts[r->nscripts++];
                memcpy(s->sha, b->sha, 41);
                s->body = b->body;
                s->len = b->len;
                b->body = NULL;
            }
        }
        out->len = strlen(out->str);
    }
    if (b->cb)
        b->cb(ac, out, b->priv);
    if (out)
        freeReplyObject(out);
    free(b->err);
    free(b->body);
    free(b);
}

static int cluster_script_load(gf_redis_t *r, redisCallbackFn *cb, void *privdata, const char *body,
                               size_t len)
{
    if (!r->map_ok)
        return GF_EUNAVAIL;
    for (size_t i = 0; i < r->nmasters; i++)
        if (!r->nodes[r->masters[i]]->connected)
            return GF_EUNAVAIL; /* nothing sent: the caller tries again later */
    rbcast_t *b = gf_xcalloc(1, sizeof *b);
    b->r = r;
    b->cb = cb;
    b->priv = privdata;
    b->body = gf_xmalloc(len + 1);
    memcpy(b->body, body, len);
    b->body[len] = '\0';
    b->len = len;
    b->pending = (int)r->nmasters;
    for (size_t i = 0; i < r->nmasters; i++)
        if (redisAsyncCommand(r->nodes[r->masters[i]]->ac, on_bcast_reply, b, "SCRIPT LOAD %b",
                              body, len) != REDIS_OK)
            on_bcast_reply(NULL, NULL, b); /* counts as lost */
    return 0;
}

static bool word_is(const char *a, size_t len, const char *w)
{
    return strlen(w) == len && strncasecmp(a, w, len) == 0;
}

/* Route one formatted command (buf is taken in every case). */
static int cluster_send(gf_redis_t *r, redisCallbackFn *cb, void *privdata, char *buf, size_t len,
                        int argc, const char **argv, const size_t *argvlen)
{
    if (argc >= 3 && word_is(argv[0], argvlen[0], "SCRIPT") &&
        word_is(argv[1], argvlen[1], "LOAD")) {
        int rc = cluster_script_load(r, cb, privdata, argv[2], argvlen[2]);
        redisFreeCommand(buf);
        return rc;
    }
    int slot;
    gf_err_t err = {0};
    if (gf_rc_cmd_slot(argc, argv, argvlen, &slot, &err) != 0) {
        GF_LOG(GF_LOG_ERROR, "redis_cluster_refused", "%s", err.message);
        gf_err_cleanup(&err);
        redisFreeCommand(buf);
        return GF_EINVAL;
    }
    rnode_t *n = r->map_ok || slot < 0 ? slot_master(r, slot) : NULL;
    if (n == NULL || !n->connected) {
        redisFreeCommand(buf);
        return GF_EUNAVAIL; /* the slot's master is down: nothing sent */
    }
    rcmd_t *c = gf_xcalloc(1, sizeof *c);
    c->r = r;
    c->buf = buf;
    c->len = len;
    c->slot = slot;
    c->cb = cb;
    c->priv = privdata;
    if (word_is(argv[0], argvlen[0], "EVALSHA") && argvlen[1] == 40) {
        memcpy(c->sha, argv[1], 40);
        c->sha[40] = '\0';
    }
    if (cmd_send(c, n, false) != 0) {
        cmd_free(c);
        return GF_EUNAVAIL;
    }
    return 0;
}

/* ---------------------------------------------------------------- the connection */

static gf_redis_t *redis_alloc(struct event_base *base, bool cluster)
{
    gf_redis_t *r = gf_xcalloc(1, sizeof *r);
    r->base = base;
    r->cluster = cluster;
    r->m_up = gf_metric_gauge("gf_redis_up",
                              "1 while Redis is ready (a cluster: every master answers).", NULL);
    r->m_reconnects = gf_metric_counter("gf_redis_disconnects_total", "Redis connections lost.",
                                        NULL);
    r->m_redirects = gf_metric_counter("gf_redis_cluster_redirects_total",
                                       "MOVED and ASK answers followed (Redis Cluster).", NULL);
    gf_metric_set(r->m_up, 0);
    r->pinger = event_new(base, -1, EV_PERSIST, on_ping_timer, r);
    if (r->pinger == NULL) {
        free(r);
        return NULL;
    }
    if (cluster) {
        r->slot_node = gf_xmalloc(GF_RC_SLOTS * sizeof *r->slot_node);
        for (int s = 0; s < GF_RC_SLOTS; s++)
            r->slot_node[s] = -1;
        r->masters = gf_xmalloc(GF_RC_SLOTS * sizeof *r->masters);
    }
    struct timeval every = {PING_EVERY_MS / 1000, (PING_EVERY_MS % 1000) * 1000};
    if (event_add(r->pinger, &every) != 0)
        GF_LOG(GF_LOG_ERROR, "redis", "cannot start the ping timer");
    return r;
}

gf_redis_t *gf_redis_new(struct event_base *base, const char *host, int port)
{
    gf_redis_t *r = redis_alloc(base, false);
    if (r != NULL && node_get(r, host, port, true) == NULL) {
        gf_redis_free(r);
        return NULL;
    }
    return r;
}

gf_redis_t *gf_redis_new_conf(struct event_base *base, const gf_redis_conf_t *conf, gf_err_t *err)
{
    if (conf->cluster == NULL || conf->cluster[0] == '\0') {
        gf_redis_t *r = gf_redis_new(base, conf->host, conf->port);
        if (r == NULL)
            gf_err_set(err, GF_EINTERNAL, "redis_alloc", "cannot create the Redis connection");
        return r;
    }
    gf_rc_addr_t seeds[GF_RC_MAX_SEEDS];
    size_t n;
    if (gf_rc_parse_seeds(conf->cluster, seeds, GF_RC_MAX_SEEDS, &n, err) != 0)
        return NULL;
    gf_redis_t *r = redis_alloc(base, true);
    for (size_t i = 0; r != NULL && i < n; i++)
        if (node_get(r, seeds[i].host, seeds[i].port, true) == NULL) {
            gf_redis_free(r);
            r = NULL;
        }
    if (r == NULL)
        gf_err_set(err, GF_EINTERNAL, "redis_alloc", "cannot create the Redis connection");
    else
        r->nseeds = r->nnodes;
    return r;
}

void gf_redis_free(gf_redis_t *r)
{
    if (r == NULL)
        return;
    r->freeing = true;
    /* Commands waiting out a backoff: not done. */
    while (r->waiting != NULL) {
        rcmd_t *c = r->waiting;
        waiting_unlink(c);
        cmd_deliver(c, NULL, NULL);
    }
    /* Each redisAsyncFree runs its pending callbacks with NULL and the disconnect cb, which
     * may still look at other nodes: free the nodes only afterwards. */
    for (size_t i = 0; i < r->nnodes; i++)
        if (r->nodes[i]->ac)
            redisAsyncFree(r->nodes[i]->ac);
    for (size_t i = 0; i < r->nnodes; i++) {
        event_free(r->nodes[i]->retry);
        event_free(r->nodes[i]->reask);
        free(r->nodes[i]);
    }
    for (size_t i = 0; i < r->nscripts; i++)
        free(r->scripts[i].body);
    free(r->scripts);
    free(r->nodes);
    free(r->slot_node);
    free(r->masters);
    event_free(r->pinger);
    free(r);
}

bool gf_redis_ready(const gf_redis_t *r)
{
    return r != NULL && r->ready;
}

gf_rcluster_stats_t gf_redis_stats(const gf_redis_t *r)
{
    return r->st;
}

bool gf_redis_usable(const gf_redis_t *r)
{
    if (r == NULL)
        return false;
    if (!r->cluster)
        return r->ready;
    if (!r->map_ok)
        return false;
    for (size_t i = 0; i < r->nmasters; i++)
        if (r->nodes[r->masters[i]]->ready)
            return true;
    return false;
}

bool gf_redis_is_cluster(const gf_redis_t *r)
{
    return r != NULL && r->cluster;
}

void gf_redis_why(const gf_redis_t *r, char *why, size_t whylen)
{
    if (whylen == 0)
        return;
    why[0] = '\0';
    if (r == NULL || r->ready)
        return;
    if (!r->cluster) {
        snprintf(why, whylen, "Redis at %s:%d is not reachable", r->nodes[0]->host,
                 r->nodes[0]->port);
        return;
    }
    const rnode_t *down = NULL;
    if (!r->map_ok)
        snprintf(why, whylen, "no Redis Cluster slot map covering every slot yet (seeds: %s:%d%s)",
                 r->nodes[0]->host, r->nodes[0]->port, r->nnodes > 1 ? ", ..." : "");
    else if (!all_masters_ready(r, &down) && down != NULL)
        snprintf(why, whylen, "Redis Cluster master %s:%d does not answer", down->host, down->port);
}

void gf_redis_on_state(gf_redis_t *r, void (*cb)(bool, void *), void *arg)
{
    r->state_cb = cb;
    r->state_arg = arg;
}

int gf_redis_cmd(gf_redis_t *r, redisCallbackFn *cb, void *privdata, const char *fmt, ...)
{
    if (r == NULL)
        return GF_EUNAVAIL;
    va_list ap;
    va_start(ap, fmt);
    int rc;
    if (!r->cluster) {
        rnode_t *n = r->nodes[0];
        rc = n->ac == NULL || !n->connected                                 ? GF_EUNAVAIL
             : redisvAsyncCommand(n->ac, cb, privdata, fmt, ap) == REDIS_OK ? 0
                                                                            : GF_EUNAVAIL;
        va_end(ap);
        return rc;
    }
    char *buf = NULL;
    int len = redisvFormatCommand(&buf, fmt, ap);
    va_end(ap);
    if (len < 0)
        return GF_EINVAL;
    int argc;
    const char **argv;
    size_t *argvlen;
    if (gf_rc_resp_views(buf, (size_t)len, &argc, &argv, &argvlen) != 0) {
        redisFreeCommand(buf);
        return GF_EINVAL;
    }
    rc = cluster_send(r, cb, privdata, buf, (size_t)len, argc, argv, argvlen);
    free(argv);
    free(argvlen);
    return rc;
}

int gf_redis_cmd_argv(gf_redis_t *r, redisCallbackFn *cb, void *privdata, int argc,
                      const char **argv, const size_t *argvlen)
{
    if (r == NULL)
        return GF_EUNAVAIL;
    if (!r->cluster) {
        rnode_t *n = r->nodes[0];
        if (n->ac == NULL || !n->connected)
            return GF_EUNAVAIL;
        int rc = redisAsyncCommandArgv(n->ac, cb, privdata, argc, argv, argvlen);
        return rc == REDIS_OK ? 0 : GF_EUNAVAIL;
    }
    if (argc < 1)
        return GF_EINVAL;
    size_t *lens = NULL;
    if (argvlen == NULL) {
        lens = gf_xmalloc((size_t)argc * sizeof *lens);
        for (int i = 0; i < argc; i++)
            lens[i] = strlen(argv[i]);
        argvlen = lens;
    }
    char *buf = NULL;
    long long len = redisFormatCommandArgv(&buf, argc, argv, argvlen);
    int rc = len < 0 ? GF_EINVAL
                     : cluster_send(r, cb, privdata, buf, (size_t)len, argc, argv, argvlen);
    free(lens);
    return rc;
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
    static const char *const words[] = {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        if (strncmp(reply->str, words[i], n) == 0 &&
            (reply->str[n] == ' ' || reply->str[n] == '\0'))
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
