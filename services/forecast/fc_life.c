/*
 * fc_life.c - model lifecycle of the forecast service (see fc_life.h): the loader thread,
 * the registry subscriber and the hand-over to the loop.
 */
#include "fc_life.h"

#include <errno.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/http.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/redis.h"
#include "core/region.h"
#include "core/util.h"
#include "features/demand.h"
#include "registry/registry.h"

#define PREFIX "load:"
#define PREFIX_LEN 5
#define QUEUE_MAX 32
#define SEEN_MAX FC_LIFE_MAX_MODELS
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define TICK_SECONDS 5
#define NODES_MAX 64 /* subscription candidates: the seeds, then masters the loader learns */

typedef struct entry {
    /* immutable once published */
    char region[32];
    char name[GF_REG_NAME_MAX + 1];
    size_t name_len;
    fc_holder_t holder;
    /* loop thread only */
    int64_t version;
    double loaded_at;
    double created_epoch;
    char created_at[32];
    char spec_hash[20];
    uint64_t loads;
} entry_t;

typedef struct seen {
    char name[GF_REG_NAME_MAX + 1];
    int64_t version;
    int failed;
} seen_t;

struct fc_life {
    struct event_base *base;
    char cluster[1024], host[256]; /* the gf_redis_conf_t, copied */
    gf_redis_conf_t conf;
    double recheck;

    /* subscription candidates (under mu: the loader thread adds masters it learns) */
    gf_rc_addr_t nodes[NODES_MAX];
    size_t nnodes;
    size_t sub_next;    /* loop thread: the node to try next */
    char sub_node[300]; /* loop thread: "host:port" of the current subscription */

    entry_t entries[FC_LIFE_MAX_MODELS];
    atomic_size_t n;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    int want_all, stop;
    char queue[QUEUE_MAX][GF_REG_NAME_MAX + 1];
    size_t nq;
    pthread_t thr;
    int thr_started;

    /* loader thread only */
    seen_t seen[SEEN_MAX];
    size_t nseen;

    atomic_bool ready;
    atomic_int handovers; /* models loaded by the thread, not yet serving on the loop */
    atomic_uint_fast64_t generation;
    atomic_uint_fast64_t failures;

    /* loop thread only */
    redisAsyncContext *sub;
    bool subscribed, stopping;
    int backoff_ms;
    struct event *sub_timer, *tick;
    double next_recheck;
};

typedef struct handover {
    fc_life_t *l;
    fc_model_t *m;
    char name[GF_REG_NAME_MAX + 1];
    double seconds;
} handover_t;

static gf_metric_t *m_reloads, *m_failures, *m_version, *m_created, *m_loaded, *m_age, *m_events,
    *m_subscribed;

static void metrics_init(void)
{
    m_reloads = gf_metric_counter("gf_forecast_model_reloads_total",
                                  "Model loads by result: loaded (a new version is serving) or "
                                  "failed (refused; the previous model keeps serving).",
                                  "result");
    m_failures = gf_metric_counter("gf_forecast_model_load_failures_total",
                                   "Refused model versions by region and error code.",
                                   "region,code");
    m_version = gf_metric_gauge("gf_forecast_model_version",
                                "Registry version of the production model served, by region.",
                                "region");
    m_created = gf_metric_gauge("gf_forecast_model_created_timestamp_seconds",
                                "created_at of the served version (Unix time), by region.",
                                "region");
    m_loaded = gf_metric_gauge("gf_forecast_model_loaded_timestamp_seconds",
                               "When this instance started serving the version (Unix time).",
                               "region");
    m_age = gf_metric_gauge("gf_forecast_model_age_seconds",
                            "Age of the served version since its registration, by region.",
                            "region");
    m_events = gf_metric_counter("gf_forecast_registry_events_received_total",
                                 "Messages received on gf:reg:events, by what was done.", "action");
    m_subscribed = gf_metric_gauge("gf_forecast_registry_subscribed",
                                   "1 while subscribed to gf:reg:events.", NULL);
}

/* ---------------------------------------------------------------- entries */

static entry_t *find_name(fc_life_t *l, const char *name, size_t len)
{
    size_t n = atomic_load_explicit(&l->n, memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        entry_t *e = &l->entries[i];
        if (e->name_len == len && memcmp(e->name, name, len) == 0)
            return e;
    }
    return NULL;
}

fc_model_t *fc_life_get_name(fc_life_t *l, const char *name, size_t len)
{
    entry_t *e = find_name(l, name, len);
    return e ? fc_holder_get(&e->holder) : NULL;
}

fc_model_t *fc_life_get(fc_life_t *l, const char *region)
{
    size_t n = atomic_load_explicit(&l->n, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
        if (strcmp(l->entries[i].region, region) == 0)
            return fc_holder_get(&l->entries[i].holder);
    return NULL;
}

/* Loop thread: the entry of `name`, created when new (NULL when the table is full). */
static entry_t *entry_for(fc_life_t *l, const char *name)
{
    entry_t *e = find_name(l, name, strlen(name));
    if (e)
        return e;
    size_t n = atomic_load_explicit(&l->n, memory_order_relaxed);
    if (n >= FC_LIFE_MAX_MODELS)
        return NULL;
    e = &l->entries[n];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->name_len = strlen(e->name);
    snprintf(e->region, sizeof e->region, "%s", name + PREFIX_LEN);
    fc_holder_init(&e->holder);
    atomic_store_explicit(&l->n, n + 1, memory_order_release);
    return e;
}

static int64_t current_version(fc_life_t *l, const char *name)
{
    fc_model_t *m = fc_life_get_name(l, name, strlen(name));
    int64_t v = m ? fc_model_version(m) : 0;
    fc_model_release(m);
    return v;
}

/* ---------------------------------------------------------------- hand-over (loop) */

static void on_handover(void *arg)
{
    handover_t *h = arg;
    fc_life_t *l = h->l;
    entry_t *e = l->stopping ? NULL : entry_for(l, h->name);
    if (e == NULL) {
        if (!l->stopping)
            GF_LOG(GF_LOG_ERROR, "model_table_full", "cannot serve %s: %d models already", h->name,
                   FC_LIFE_MAX_MODELS);
        fc_model_release(h->m);
        free(h);
        atomic_fetch_sub(&l->handovers, 1);
        return;
    }
    int64_t from = e->version, to = fc_model_version(h->m);
    const gf_feat_spec_t *fs = fc_model_feat_spec(h->m);
    snprintf(e->spec_hash, sizeof e->spec_hash, "%s", fs ? gf_feat_spec_hash(fs) : "");
    snprintf(e->created_at, sizeof e->created_at, "%s", fc_model_created_at(h->m));
    double ct = 0;
    if (gf_time_parse(e->created_at, strlen(e->created_at), &ct) != 0)
        ct = 0;
    e->created_epoch = ct;
    e->version = to;
    e->loaded_at = gf_now_wall();
    e->loads++;
    fc_holder_set(&e->holder, h->m); /* the swap: requests from now on see the new model */
    atomic_fetch_add(&l->generation, 1);
    gf_metric_add(m_reloads, 1, "loaded");
    gf_metric_set(m_version, (double)to, e->region);
    gf_metric_set(m_created, ct, e->region);
    gf_metric_set(m_loaded, e->loaded_at, e->region);
    gf_metric_set(m_age, ct > 0 ? e->loaded_at - ct : 0, e->region);
    json_t *f = json_object();
    json_object_set_new(f, "model", json_string(h->name));
    json_object_set_new(f, "from", from ? json_integer(from) : json_null());
    json_object_set_new(f, "to", json_integer(to));
    json_object_set_new(f, "load_ms", json_real(h->seconds * 1000));
    json_object_set_new(f, "spec_hash", json_string(e->spec_hash));
    gf_log_json(GF_LOG_INFO, "model_loaded", f);
    free(h);
    atomic_fetch_sub(&l->handovers, 1);
}

/* ---------------------------------------------------------------- loader thread */

static seen_t *seen_get(fc_life_t *l, const char *name)
{
    for (size_t i = 0; i < l->nseen; i++)
        if (strcmp(l->seen[i].name, name) == 0)
            return &l->seen[i];
    if (l->nseen >= SEEN_MAX)
        return NULL;
    seen_t *s = &l->seen[l->nseen++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

/* Check one model; GF_EUNAVAIL when Redis failed (retry later), else 0. */
static int check_one(fc_life_t *l, gf_rcluster_t *c, const char *name, int explicit)
{
    gf_err_t err = {0};
    int64_t v = 0;
    int rc = gf_reg_alias_get(c, name, "production", &v, &err);
    if (rc == GF_EUNAVAIL) {
        gf_err_cleanup(&err);
        return GF_EUNAVAIL;
    }
    if (rc != 0) { /* no production alias (yet): nothing to serve */
        gf_err_cleanup(&err);
        return 0;
    }
    int64_t cur = current_version(l, name);
    seen_t *s = seen_get(l, name);
    if (cur == v || (s && s->version == v && (!s->failed || !explicit)))
        return 0;
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)v);
    double t0 = gf_now_mono();
    fc_model_t *m = fc_model_load(c, name, ref, NULL, &err);
    if (m == NULL && err.rc == GF_EUNAVAIL && strcmp(err.code, "redis_unavailable") == 0) {
        gf_err_cleanup(&err);
        return GF_EUNAVAIL;
    }
    if (s) {
        s->version = v;
        s->failed = m == NULL;
    }
    if (m == NULL) {
        atomic_fetch_add(&l->failures, 1);
        gf_metric_add(m_reloads, 1, "failed");
        gf_metric_add(m_failures, 1, name + PREFIX_LEN, err.code);
        json_t *f = json_object();
        json_object_set_new(f, "model", json_string(name));
        json_object_set_new(f, "version", json_integer(v));
        json_object_set_new(f, "code", json_string(err.code));
        json_object_set_new(f, "msg", json_string(err.message));
        json_object_set_new(f, "serving", cur ? json_integer(cur) : json_null());
        gf_log_json(GF_LOG_ERROR, "model_refused", f);
        gf_err_cleanup(&err);
        return 0;
    }
    handover_t *h = gf_xcalloc(1, sizeof *h);
    h->l = l;
    h->m = m;
    h->seconds = gf_now_mono() - t0;
    snprintf(h->name, sizeof h->name, "%s", name);
    atomic_fetch_add(&l->handovers, 1);
    if (gf_loop_call(l->base, on_handover, h) != 0) {
        atomic_fetch_sub(&l->handovers, 1);
        fc_model_release(m);
        free(h);
        if (s)
            s->version = 0;
    }
    return 0;
}

static int check_all(fc_life_t *l, gf_rcluster_t *c, char (*explicit)[GF_REG_NAME_MAX + 1],
                     size_t nexp)
{
    gf_err_t err = {0};
    char **names = NULL;
    size_t n = 0;
    if (gf_reg_models_list(c, &names, &n, &err) != 0) {
        int rc = err.rc;
        gf_err_cleanup(&err);
        return rc == GF_EUNAVAIL ? GF_EUNAVAIL : 0;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (strncmp(names[i], PREFIX, PREFIX_LEN) != 0 || !gf_region_valid(names[i] + PREFIX_LEN))
            continue;
        int ex = 0;
        for (size_t k = 0; k < nexp; k++)
            ex |= strcmp(explicit[k], names[i]) == 0;
        rc = check_one(l, c, names[i], ex);
    }
    gf_reg_strv_free(names, n);
    return rc;
}

static void requeue(fc_life_t *l, int all, char (*names)[GF_REG_NAME_MAX + 1], size_t n)
{
    pthread_mutex_lock(&l->mu);
    l->want_all |= all;
    for (size_t i = 0; i < n; i++) {
        if (l->nq >= QUEUE_MAX) {
            l->want_all = 1;
            break;
        }
        memcpy(l->queue[l->nq++], names[i], sizeof l->queue[0]); /* same size, NUL-ended */
    }
    pthread_mutex_unlock(&l->mu);
}

/* Sleep up to ms unless stopped. */
static void nap(fc_life_t *l, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&l->mu);
    while (!l->stop && pthread_cond_timedwait(&l->cv, &l->mu, &ts) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&l->mu);
}

/* Loader thread: add the masters of the handle's slot map to the subscription candidates. */
static void learn_masters(fc_life_t *l, gf_rcluster_t *c)
{
    int n = gf_rcluster_master_count(c);
    pthread_mutex_lock(&l->mu);
    for (int i = 0; i < n; i++) {
        const gf_rc_addr_t *a = gf_rcluster_master_addr(c, i);
        int known = a == NULL;
        for (size_t k = 0; k < l->nnodes && !known; k++)
            known = l->nodes[k].port == a->port && strcmp(l->nodes[k].host, a->host) == 0;
        if (!known && l->nnodes < NODES_MAX)
            l->nodes[l->nnodes++] = *a;
    }
    pthread_mutex_unlock(&l->mu);
}

/* The loader's handle, usable now (made on first use, else checked), or NULL with err. */
static gf_rcluster_t *loader_conn(fc_life_t *l, gf_rcluster_t **c, gf_err_t *err)
{
    if (*c == NULL)
        *c = gf_rcluster_open(&l->conf, 5000, err);
    else if (gf_rcluster_ensure(*c, err) != 0)
        return NULL;
    if (*c != NULL && gf_rcluster_is_cluster(*c))
        learn_masters(l, *c);
    return *c;
}

static void *loader_main(void *arg)
{
    fc_life_t *l = arg;
    gf_rcluster_t *c = NULL;
    char names[QUEUE_MAX][GF_REG_NAME_MAX + 1];
    int backoff = BACKOFF_MIN_MS, warned = 0;
    for (;;) {
        pthread_mutex_lock(&l->mu);
        while (!l->stop && !l->want_all && l->nq == 0)
            pthread_cond_wait(&l->cv, &l->mu);
        if (l->stop) {
            pthread_mutex_unlock(&l->mu);
            break;
        }
        int all = l->want_all;
        size_t n = l->nq;
        memcpy(names, l->queue, n * sizeof names[0]);
        l->want_all = 0;
        l->nq = 0;
        pthread_mutex_unlock(&l->mu);

        /* The kit's handle PINGs its kept connections and rebuilds them when Redis restarted
         * or they broke; NULL when Redis cannot be reached. */
        gf_err_t err = {0};
        int rc = GF_EUNAVAIL;
        int rc_all = GF_EUNAVAIL;
        size_t left = n;
        if (loader_conn(l, &c, &err) == NULL) {
            if (!warned++)
                GF_LOG(GF_LOG_WARN, "loader_redis_down", "model loader: %s", err.message);
        } else {
            rc_all = all ? check_all(l, c, names, n) : 0;
            /* The models named by events, each on its own unless the full pass did them: on a
             * cluster one master that does not answer (the one holding gf:reg:models, say)
             * must not hold up a model whose keys another master serves. */
            if (!all || rc_all == GF_EUNAVAIL) {
                left = 0;
                for (size_t i = 0; i < n; i++)
                    if (check_one(l, c, names[i], 1) == GF_EUNAVAIL)
                        memmove(names[left++], names[i], sizeof names[0]);
            } else {
                left = 0;
            }
            rc = rc_all == GF_EUNAVAIL || left > 0 ? GF_EUNAVAIL : 0;
        }
        gf_err_cleanup(&err);
        if (rc == GF_EUNAVAIL) { /* Redis failed: the same work again after a backoff */
            requeue(l, all && rc_all == GF_EUNAVAIL, names, left);
            nap(l, backoff);
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        backoff = BACKOFF_MIN_MS;
        warned = 0;
        if (all && !atomic_load(&l->ready)) {
            /* Ready once every model of the pass serves on the loop, not when it is loaded. */
            for (int i = 0; i < 2000 && atomic_load(&l->handovers) > 0; i++)
                nap(l, 5); /* returns at once when stopping */
            atomic_store(&l->ready, true);
            GF_LOG(GF_LOG_INFO, "models_checked", "%zu production models serving",
                   atomic_load(&l->n));
        }
    }
    gf_rcluster_free(c);
    return NULL;
}

static void queue_check(fc_life_t *l, const char *name)
{
    pthread_mutex_lock(&l->mu);
    if (name == NULL || l->nq >= QUEUE_MAX) {
        l->want_all = 1;
    } else {
        int dup = 0;
        for (size_t i = 0; i < l->nq; i++)
            dup |= strcmp(l->queue[i], name) == 0;
        if (!dup)
            snprintf(l->queue[l->nq++], GF_REG_NAME_MAX + 1, "%s", name);
    }
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

/* ---------------------------------------------------------------- subscriber (loop) */

static void sub_start(fc_life_t *l);

static void sub_retry(fc_life_t *l)
{
    if (l->stopping)
        return;
    struct timeval tv = {l->backoff_ms / 1000, (l->backoff_ms % 1000) * 1000};
    evtimer_add(l->sub_timer, &tv);
    l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
}

static void on_sub_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sub_start(arg);
}

static void on_sub_connect(const redisAsyncContext *ac, int status)
{
    fc_life_t *l = ac->data;
    if (status != REDIS_OK) { /* hiredis frees the context after this callback */
        l->sub = NULL;
        l->sub_next++; /* another node next time (a cluster: any node hears every PUBLISH) */
        sub_retry(l);
    }
}

static void on_sub_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    fc_life_t *l = ac->data;
    l->sub = NULL;
    if (l->subscribed)
        GF_LOG(GF_LOG_WARN, "registry_unsubscribed", "lost the gf:reg:events subscription on %s",
               l->sub_node);
    l->subscribed = false;
    l->sub_next++; /* the node went: subscribe on the next one */
    gf_metric_set(m_subscribed, 0);
    sub_retry(l);
}

static void on_sub_message(redisAsyncContext *ac, void *reply_, void *privdata)
{
    (void)ac;
    fc_life_t *l = privdata;
    redisReply *r = reply_;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
        r->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = r->element[0]->str;
    if (strcmp(kind, "subscribe") == 0) {
        l->subscribed = true;
        l->backoff_ms = BACKOFF_MIN_MS;
        gf_metric_set(m_subscribed, 1);
        GF_LOG(GF_LOG_INFO, "registry_subscribed", "listening on %s at %s; re-checking all models",
               GF_REG_CHANNEL, l->sub_node);
        queue_check(l, NULL); /* pub/sub does not replay: re-read every alias */
        return;
    }
    if (strcmp(kind, "message") != 0 || r->element[2]->type != REDIS_REPLY_STRING)
        return;
    gf_reg_event_t ev;
    gf_err_t err = {0};
    if (gf_reg_event_parse(r->element[2]->str, r->element[2]->len, &ev, &err) != 0) {
        GF_LOG(GF_LOG_WARN, "registry_event_bad", "%s", err.message);
        gf_err_cleanup(&err);
        gf_metric_add(m_events, 1, "malformed");
        return;
    }
    if (strcmp(ev.alias, "production") != 0 || strncmp(ev.name, PREFIX, PREFIX_LEN) != 0 ||
        !gf_region_valid(ev.name + PREFIX_LEN)) {
        gf_metric_add(m_events, 1, "ignored");
        return;
    }
    gf_metric_add(m_events, 1, "queued");
    GF_LOG(GF_LOG_INFO, "registry_event", "%s production %lld -> %lld by %s", ev.name,
           (long long)ev.from, (long long)ev.to, ev.who);
    queue_check(l, ev.name);
}

static void sub_start(fc_life_t *l)
{
    if (l->stopping || l->sub != NULL)
        return;
    gf_rc_addr_t node;
    pthread_mutex_lock(&l->mu);
    node = l->nodes[l->sub_next % l->nnodes];
    pthread_mutex_unlock(&l->mu);
    snprintf(l->sub_node, sizeof l->sub_node, "%s:%d", node.host, node.port);
    redisAsyncContext *ac = redisAsyncConnect(node.host, node.port);
    if (ac == NULL) {
        sub_retry(l);
        return;
    }
    if (ac->err) {
        redisAsyncFree(ac);
        l->sub_next++;
        sub_retry(l);
        return;
    }
    ac->data = l;
    if (redisLibeventAttach(ac, l->base) != REDIS_OK) {
        redisAsyncFree(ac);
        sub_retry(l);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_sub_connect);
    redisAsyncSetDisconnectCallback(ac, on_sub_disconnect);
    l->sub = ac;
    if (redisAsyncCommand(ac, on_sub_message, l, "SUBSCRIBE %s", GF_REG_CHANNEL) != REDIS_OK) {
        /* the disconnect callback reschedules */
        redisAsyncDisconnect(ac);
    }
}

/* ---------------------------------------------------------------- timers */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fc_life_t *l = arg;
    double now = gf_now_wall();
    size_t n = atomic_load(&l->n);
    for (size_t i = 0; i < n; i++) {
        entry_t *e = &l->entries[i];
        if (e->version && e->created_epoch > 0)
            gf_metric_set(m_age, now - e->created_epoch, e->region);
    }
    if (l->recheck > 0 && gf_now_mono() >= l->next_recheck) {
        l->next_recheck = gf_now_mono() + l->recheck;
        queue_check(l, NULL);
    }
}

/* ---------------------------------------------------------------- public */

fc_life_t *fc_life_new(struct event_base *base, const fc_life_cfg_t *cfg, gf_err_t *err)
{
    metrics_init();
    fc_life_t *l = gf_xcalloc(1, sizeof *l);
    l->base = base;
    snprintf(l->cluster, sizeof l->cluster, "%s", cfg->redis.cluster ? cfg->redis.cluster : "");
    snprintf(l->host, sizeof l->host, "%s", cfg->redis.host ? cfg->redis.host : "127.0.0.1");
    l->conf = (gf_redis_conf_t){.cluster = l->cluster, .host = l->host, .port = cfg->redis.port};
    if (l->cluster[0] == '\0') {
        snprintf(l->nodes[0].host, sizeof l->nodes[0].host, "%s", l->host);
        l->nodes[0].port = l->conf.port;
        l->nnodes = 1;
    } else if (gf_rc_parse_seeds(l->cluster, l->nodes, NODES_MAX, &l->nnodes, err) != 0) {
        free(l);
        return NULL;
    }
    l->recheck = cfg->recheck_seconds;
    l->next_recheck = gf_now_mono() + l->recheck;
    l->backoff_ms = BACKOFF_MIN_MS;
    atomic_init(&l->n, 0);
    atomic_init(&l->ready, false);
    atomic_init(&l->handovers, 0);
    atomic_init(&l->generation, 0);
    atomic_init(&l->failures, 0);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->want_all = 1; /* the start-up pass */
    l->sub_timer = evtimer_new(base, on_sub_timer, l);
    l->tick = event_new(base, -1, EV_PERSIST, on_tick, l);
    struct timeval tv = {TICK_SECONDS, 0};
    if (l->sub_timer == NULL || l->tick == NULL || event_add(l->tick, &tv) != 0 ||
        pthread_create(&l->thr, NULL, loader_main, l) != 0) {
        gf_err_set(err, GF_EINTERNAL, "start_failed", "cannot start the model loader");
        fc_life_free(l);
        return NULL;
    }
    l->thr_started = 1;
    sub_start(l);
    return l;
}

void fc_life_free(fc_life_t *l)
{
    if (l == NULL)
        return;
    l->stopping = true;
    if (l->sub)
        redisAsyncFree(l->sub); /* the disconnect callback sees stopping */
    l->sub = NULL;
    if (l->thr_started) {
        pthread_mutex_lock(&l->mu);
        l->stop = 1;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thr, NULL);
    }
    /* Hand-overs queued by the thread before it stopped: run them (they release). */
    for (int i = 0; i < 3; i++)
        event_base_loop(l->base, EVLOOP_NONBLOCK);
    if (l->sub_timer)
        event_free(l->sub_timer);
    if (l->tick)
        event_free(l->tick);
    size_t n = atomic_load(&l->n);
    for (size_t i = 0; i < n; i++)
        fc_holder_cleanup(&l->entries[i].holder);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
}

bool fc_life_ready(fc_life_t *l, char *why, size_t whylen)
{
    if (atomic_load(&l->ready))
        return true;
    snprintf(why, whylen, "production models not checked yet (registry unreachable or loading)");
    return false;
}

uint64_t fc_life_generation(fc_life_t *l)
{
    return atomic_load(&l->generation);
}

json_t *fc_life_loaded_json(fc_life_t *l, bool with_features)
{
    json_t *arr = json_array();
    size_t n = atomic_load(&l->n);
    double now = gf_now_wall();
    char ts[40];
    for (size_t i = 0; i < n; i++) {
        entry_t *e = &l->entries[i];
        fc_model_t *m = fc_holder_get(&e->holder);
        if (m == NULL)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(e->name));
        json_object_set_new(o, "region", json_string(e->region));
        json_object_set_new(o, "alias", json_string("production"));
        json_object_set_new(o, "version", json_integer(fc_model_version(m)));
        json_object_set_new(o, "loaded_at",
                            json_string(gf_time_format_ms(e->loaded_at, ts, sizeof ts)));
        json_object_set_new(o, "created_at", json_string(e->created_at));
        json_object_set_new(o, "age_seconds",
                            e->created_epoch > 0 ? json_real(now - e->created_epoch) : json_null());
        json_object_set_new(o, "spec_hash",
                            e->spec_hash[0] ? json_string(e->spec_hash) : json_null());
        json_object_set_new(o, "features", json_integer((json_int_t)fc_model_num_features(m)));
        if (with_features) {
            json_t *fn = json_array();
            const char *const *names = fc_model_feature_names(m);
            for (size_t k = 0; k < fc_model_num_features(m); k++)
                json_array_append_new(fn, json_string(names[k]));
            json_object_set_new(o, "feature_names", fn);
        }
        const fc_quantiles_t *q = fc_model_quantiles(m);
        json_t *lv = json_array();
        for (size_t k = 0; q && k < q->nlevels; k++)
            json_array_append_new(lv, json_real(q->levels[k]));
        json_object_set_new(o, "interval_levels", lv);
        json_object_set_new(o, "direct_horizon", json_integer(q ? (json_int_t)q->nh : 24));
        json_object_set_new(o, "forecasts", json_boolean(fc_model_feat_spec(m) != NULL));
        json_object_set_new(o, "loads", json_integer((json_int_t)e->loads));
        json_array_append_new(arr, o);
        fc_model_release(m);
    }
    json_t *out = json_object();
    json_object_set_new(out, "models", arr);
    json_object_set_new(out, "ready", json_boolean(atomic_load(&l->ready)));
    json_object_set_new(out, "subscribed", json_boolean(l->subscribed));
    json_object_set_new(out, "load_failures", json_integer((json_int_t)atomic_load(&l->failures)));
    return out;
}
