/*
 * ing-fleet-load - a utility's meter fleet posting readings through the gateway (the fleet
 * benchmark, tests/bench/bench_fleet.sh). One libevent loop, --conns keep-alive HTTP/1.1
 * connections, 1,000-reading NDJSON batches of DISTINCT meters of a fleet of --fleet
 * meters (ids fleet-0000000..), grouped by region as a head-end sends them.
 *
 *   --mode steady   --active N --interval S: every one of N meters reports every S seconds
 *                   (rate N / S readings/s, paced); --rate 0: as fast as the stack answers
 *                   (each connection sends its next batch when the previous one is answered).
 *   --mode backlog  --active N --backlog H --step S: every meter sends its last H readings
 *                   (S seconds apart, ending now) at once, as fast as the stack answers;
 *                   ends when all N x H are acknowledged.
 * Readings: stamped at the send time (steady) or on the backlog grid, kw/kwh/voltage_v.
 *
 * Prints per minute: readings/s acknowledged, batches, batch latency p50/p99/max (send to
 * answer), non-200 answers, service RSS (--pids) and Redis memory (--redis-port); at the end
 * the totals, Redis memory per meter, and the loss check: readings acknowledged as new must
 * equal the readings counted in Redis's hour aggregates (every reading carries kwh).
 *
 *   ing-fleet-load --port GW_PORT --api-key-file F --mode steady --fleet 2000000
 *                  --active 2000000 --interval 900 --seconds 600 --redis-port P --pids PID
 */
#include "core/util.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define MAX_CONNS 256
#define MAX_MIN 120

static const char *const REGIONS[] = {"CISO", "ERCO", "ISNE", "MISO", "NYIS", "PJM", "SWPP"};
#define NREG 7

typedef struct cfg {
    int port, redis_port, conns, seconds, batch, backlog, step;
    long fleet, active;
    double interval, rate;
    int backlog_mode;
    char key[256];
    const char *path;
    int pids[4], npids;
} cfg_t;

typedef struct minute {
    double *lat;
    size_t n, cap;
    long long readings, accepted, duplicate, non200;
    long long svc_rss_kb[4];
    long long redis_used, redis_rss;
    int sampled;
} minute_t;

typedef struct conn conn_t;

typedef struct run {
    cfg_t c;
    struct event_base *base;
    conn_t *conns[MAX_CONNS];
    long long next_batch, total_batches; /* total 0: unbounded (steady) */
    long long done_batches;
    double t0, t_end, wall0; /* t0, t_end: monotonic; wall0: epoch at the start */
    minute_t min[MAX_MIN];
    long long accepted, duplicate, non200, sent_readings, acked_readings, errors;
    long long reconnects, resent; /* the gateway closes keep-alive connections (timeout,
                                     keepalive_requests): reconnect; a batch in flight is sent
                                     again (dedupe makes that safe: its readings come back as
                                     duplicates if they were stored) */
    struct sockaddr_in sa;
    double lag_max; /* steady paced: how late a batch was sent after its due time */
    struct event *tick;
    redisContext *redis;
    int stopping;
} run_t;

struct conn {
    run_t *r;
    struct bufferevent *bev;
    int busy;
    double t_send;
    long long batch_no;
    size_t readings;
    char *body;
    size_t body_len, body_cap;
};

static run_t R;

/* ------------------------------------------------------------------ batches */

static void append(conn_t *c, const char *s, size_t n)
{
    if (c->body_len + n > c->body_cap) {
        c->body_cap = (c->body_len + n) * 2;
        c->body = gf_xrealloc(c->body, c->body_cap);
    }
    memcpy(c->body + c->body_len, s, n);
    c->body_len += n;
}

/* Batch k into c->body; returns the readings in it (0: nothing left). */
static size_t build_batch(conn_t *c, long long k, double now)
{
    const cfg_t *g = &R.c;
    c->body_len = 0;
    size_t n = 0;
    char line[256], ts[40];
    double ts_for = NAN; /* ts holds the text of this time (one format per distinct time) */
    for (int i = 0; i < g->batch; i++) {
        long long rno = k * g->batch + i;
        long meter;
        double t;
        if (g->backlog_mode) {
            if (rno >= (long long)g->active * g->backlog)
                break;
            meter = (long)(rno / g->backlog);
            int j = (int)(rno % g->backlog);
            t = floor(R.wall0 / g->step) * g->step - (double)(g->backlog - 1 - j) * g->step;
        } else {
            meter = (long)(rno % g->active);
            t = now;
        }
        const char *region = REGIONS[(meter / 1000) % NREG];
        double kw = 0.3 + (double)(meter % 270) / 100.0;
        if (t != ts_for) {
            gf_time_format_ms(t, ts, sizeof ts);
            ts_for = t;
        }
        int len = snprintf(line, sizeof line,
                           "{\"meter_id\":\"fleet-%07ld\",\"ts\":\"%s\",\"region\":\"%s\","
                           "\"kw\":%.2f,\"kwh\":%.4f,\"voltage_v\":%.1f}\n",
                           meter % g->fleet, ts, region, kw,
                           kw * (g->backlog_mode ? g->step : g->interval) / 3600.0,
                           229.0 + (double)(meter % 30) / 10.0);
        append(c, line, (size_t)len);
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------ HTTP */

static void conn_send(conn_t *c);

static minute_t *minute_at(double t)
{
    int m = (int)((t - R.t0) / 60.0);
    if (m < 0)
        m = 0;
    if (m >= MAX_MIN)
        m = MAX_MIN - 1;
    return &R.min[m];
}

static void record(conn_t *c, int status, long long acc, long long dup)
{
    double now = gf_now_mono();
    minute_t *m = minute_at(now);
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 1024;
        m->lat = gf_xrealloc(m->lat, m->cap * sizeof *m->lat);
    }
    m->lat[m->n++] = now - c->t_send;
    if (status == 200) {
        m->readings += (long long)c->readings;
        m->accepted += acc;
        m->duplicate += dup;
        R.accepted += acc;
        R.duplicate += dup;
        R.acked_readings += (long long)c->readings;
    } else {
        m->non200++;
        R.non200++;
    }
    R.done_batches++;
}

static long long json_int(const char *body, size_t len, const char *name)
{
    char pat[64];
    int n = snprintf(pat, sizeof pat, "\"%s\":", name);
    const char *p = memmem(body, len, pat, (size_t)n);
    return p ? strtoll(p + n, NULL, 10) : -1;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    conn_t *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        struct evbuffer_ptr e = evbuffer_search(in, "\r\n\r\n", 4, NULL);
        if (e.pos < 0)
            return;
        size_t hlen = (size_t)e.pos + 4;
        char *h = (char *)evbuffer_pullup(in, (ssize_t)hlen);
        int status = atoi(h + 9);
        long clen = 0;
        for (char *p = h; p < h + hlen; p++) {
            if ((*p == '\n') && strncasecmp(p + 1, "content-length:", 15) == 0) {
                clen = strtol(p + 16, NULL, 10);
                break;
            }
        }
        if (evbuffer_get_length(in) < hlen + (size_t)clen)
            return;
        evbuffer_drain(in, hlen);
        char *body = clen > 0 ? (char *)evbuffer_pullup(in, clen) : NULL;
        long long acc = 0, dup = 0;
        if (status == 200 && body) {
            acc = json_int(body, (size_t)clen, "accepted");
            dup = json_int(body, (size_t)clen, "duplicate");
            if (acc + dup != (long long)c->readings && R.errors++ < 5) {
                fprintf(stderr, "batch %lld: %lld accepted + %lld duplicate of %zu\n", c->batch_no,
                        acc, dup, c->readings);
            }
        } else if (status != 200 && R.non200 < 5) {
            fprintf(stderr, "batch %lld: HTTP %d %.*s\n", c->batch_no, status,
                    (int)(clen < 300 ? clen : 300), body ? body : "");
        }
        evbuffer_drain(in, (size_t)clen);
        record(c, status, acc, dup);
        c->busy = 0;
        if (!R.c.rate || R.c.backlog_mode)
            conn_send(c);
    }
}

static void on_read(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

static int conn_open(conn_t *c)
{
    c->bev = bufferevent_socket_new(R.base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL ||
        bufferevent_socket_connect(c->bev, (struct sockaddr *)&R.sa, sizeof R.sa) != 0)
        return -1;
    int one = 1;
    setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    return 0;
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    conn_t *c = arg;
    if (!(what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)))
        return;
    bufferevent_free(c->bev);
    c->bev = NULL;
    R.reconnects++;
    if (R.reconnects > 100000 || conn_open(c) != 0) {
        fprintf(stderr, "cannot reconnect\n");
        R.errors++;
        event_base_loopbreak(R.base);
        return;
    }
    if (c->busy) { /* the answer never came: send the same batch again */
        char hdr[512];
        int hl = snprintf(hdr, sizeof hdr,
                          "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: %s\r\n"
                          "Content-Type: application/x-ndjson\r\nContent-Length: %zu\r\n\r\n",
                          R.c.path, R.c.key, c->body_len);
        struct evbuffer *out = bufferevent_get_output(c->bev);
        evbuffer_add(out, hdr, (size_t)hl);
        evbuffer_add(out, c->body, c->body_len);
        R.resent++;
    }
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    fprintf(stderr, "interrupted: reporting what was measured\n");
    event_base_loopbreak(R.base);
}

/* Send the next batch on c if one is due and left. */
static void conn_send(conn_t *c)
{
    if (c->busy || R.stopping)
        return;
    double now = gf_now_mono();
    if (now >= R.t_end && !R.c.backlog_mode)
        return;
    if (R.total_batches && R.next_batch >= R.total_batches)
        return;
    if (R.c.rate > 0 && !R.c.backlog_mode) {
        double due = R.t0 + (double)R.next_batch * R.c.batch / R.c.rate;
        if (due > now)
            return;
        if (now - due > R.lag_max)
            R.lag_max = now - due;
    }
    long long k = R.next_batch++;
    size_t n = build_batch(c, k, gf_now_wall());
    if (n == 0)
        return;
    char hdr[512];
    int hl = snprintf(hdr, sizeof hdr,
                      "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: %s\r\n"
                      "Content-Type: application/x-ndjson\r\nContent-Length: %zu\r\n\r\n",
                      R.c.path, R.c.key, c->body_len);
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add(out, hdr, (size_t)hl);
    evbuffer_add(out, c->body, c->body_len);
    c->busy = 1;
    c->t_send = gf_now_mono();
    c->batch_no = k;
    c->readings = n;
    R.sent_readings += (long long)n;
}

/* ------------------------------------------------------------------ sampling */

static long long rss_kb(int pid)
{
    char p[64], line[256];
    snprintf(p, sizeof p, "/proc/%d/status", pid);
    FILE *f = fopen(p, "r");
    long long v = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            v = strtoll(line + 6, NULL, 10);
    fclose(f);
    return v;
}

static long long info_field(const char *info, const char *name)
{
    const char *p = strstr(info, name);
    return p ? strtoll(p + strlen(name), NULL, 10) : -1;
}

static void redis_mem(long long *used, long long *rss)
{
    *used = *rss = -1;
    if (R.redis == NULL)
        return;
    redisReply *r = redisCommand(R.redis, "INFO memory");
    if (r && r->type == REDIS_REPLY_STRING) {
        *used = info_field(r->str, "\nused_memory:");
        *rss = info_field(r->str, "\nused_memory_rss:");
    }
    if (r)
        freeReplyObject(r);
}

static void sample(minute_t *m)
{
    for (int i = 0; i < R.c.npids; i++)
        m->svc_rss_kb[i] = rss_kb(R.c.pids[i]);
    redis_mem(&m->redis_used, &m->redis_rss);
    m->sampled = 1;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    double now = gf_now_mono();
    int mi = (int)((now - R.t0) / 60.0);
    if (mi > 0 && mi <= MAX_MIN && !R.min[mi - 1].sampled)
        sample(&R.min[mi - 1]);
    int idle = 0;
    for (int i = 0; i < R.c.conns; i++) {
        conn_send(R.conns[i]);
        idle += !R.conns[i]->busy;
    }
    int finished = R.c.backlog_mode ? (R.total_batches && R.done_batches >= R.total_batches)
                                    : now >= R.t_end;
    if (finished && idle == R.c.conns) {
        if (mi < MAX_MIN && !R.min[mi].sampled && R.min[mi].n > 0)
            sample(&R.min[mi]);
        event_base_loopbreak(R.base);
    }
}

/* ------------------------------------------------------------------ report */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)ceil(p * (double)n) - 1;
    return v[i < n ? i : n - 1];
}

/* Sum of the ":n" counts of every hour aggregate (all partitions). */
static long long redis_agg_count(void)
{
    long long total = 0;
    char cursor[32] = "0";
    do {
        redisReply *r = redisCommand(R.redis, "SCAN %s MATCH gf:agg:*:hour:* COUNT 1000", cursor);
        if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r)
                freeReplyObject(r);
            return -1;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            redisReply *h = redisCommand(R.redis, "HGETALL %s", r->element[1]->element[i]->str);
            for (size_t k = 0; h && h->type == REDIS_REPLY_ARRAY && k + 1 < h->elements; k += 2)
                if (strstr(h->element[k]->str, ":n"))
                    total += strtoll(h->element[k + 1]->str, NULL, 10);
            if (h)
                freeReplyObject(h);
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    return total;
}

/* Memory of the keys matching pat (MEMORY USAGE, all samples) and, for hashes, fields. */
static void keys_mem(const char *pat, long long *bytes, long long *fields)
{
    *bytes = 0;
    if (fields)
        *fields = 0;
    char cursor[32] = "0";
    do {
        redisReply *r = redisCommand(R.redis, "SCAN %s MATCH %s COUNT 1000", cursor, pat);
        if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r)
                freeReplyObject(r);
            return;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            const char *k = r->element[1]->element[i]->str;
            redisReply *m = redisCommand(R.redis, "MEMORY USAGE %s SAMPLES 0", k);
            if (m && m->type == REDIS_REPLY_INTEGER)
                *bytes += m->integer;
            if (m)
                freeReplyObject(m);
            if (fields) {
                m = redisCommand(R.redis, "HLEN %s", k);
                if (m && m->type == REDIS_REPLY_INTEGER)
                    *fields += m->integer;
                if (m)
                    freeReplyObject(m);
            }
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
}

static int report(void)
{
    printf("| minute | readings/s | batches | p50 ms | p99 ms | max ms | non-200 |");
    for (int i = 0; i < R.c.npids; i++)
        printf(" svc%d RSS MB |", i + 1);
    printf(" Redis used / RSS MB |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (int i = 0; i < R.c.npids; i++)
        printf(" ---: |");
    printf(" ---: |\n");
    double worst = 0;
    for (int mi = 0; mi < MAX_MIN; mi++) {
        minute_t *m = &R.min[mi];
        if (m->n == 0)
            continue;
        qsort(m->lat, m->n, sizeof *m->lat, cmp_d);
        double span = 60.0;
        double last = (gf_now_mono() - R.t0) - mi * 60.0;
        if (last < 60.0 && last > 0)
            span = last;
        printf("| %d | %.0f | %zu | %.1f | %.1f | %.1f | %lld |", mi + 1,
               (double)m->readings / span, m->n, 1e3 * pct(m->lat, m->n, 0.5),
               1e3 * pct(m->lat, m->n, 0.99), 1e3 * m->lat[m->n - 1], m->non200);
        for (int i = 0; i < R.c.npids; i++)
            printf(" %.1f |", (double)m->svc_rss_kb[i] / 1024.0);
        printf(" %.0f / %.0f |\n", (double)m->redis_used / 1048576.0,
               (double)m->redis_rss / 1048576.0);
        if (m->lat[m->n - 1] > worst)
            worst = m->lat[m->n - 1];
    }
    double dt = gf_now_mono() - R.t0;
    printf("\nreadings acknowledged: %lld in %.1f s = %.0f readings/s; accepted (new) %lld, "
           "duplicate %lld; non-200 answers %lld; slowest batch %.0f ms",
           R.acked_readings, dt, (double)R.acked_readings / dt, R.accepted, R.duplicate, R.non200,
           worst * 1e3);
    if (R.c.rate > 0 && !R.c.backlog_mode)
        printf("; paced at %.0f readings/s, latest send %.0f ms after its due time", R.c.rate,
               R.lag_max * 1e3);
    printf("; connections reopened %lld (keep-alive limits), batches sent again %lld\n",
           R.reconnects, R.resent);
    int rc = R.errors || R.non200 ? 1 : 0;
    if (R.redis) {
        long long agg = redis_agg_count();
        printf("loss check: %lld readings acknowledged as new, %lld counted in Redis's hour "
               "aggregates: %s\n",
               R.accepted, agg, agg == R.accepted ? "equal" : "DIFFERENT");
        if (agg != R.accepted)
            rc = 1;
        long long mb, meters, lb, sb, cb, ab;
        keys_mem("gf:meters:*", &mb, &meters);
        keys_mem("gf:late:*", &lb, NULL);
        keys_mem("gf:raw:*", &sb, NULL);
        keys_mem("gf:clean:*", &cb, NULL);
        keys_mem("gf:agg:*", &ab, NULL);
        long long used, rss;
        redis_mem(&used, &rss);
        printf("Redis: used_memory %.1f MB (RSS %.1f MB); meters with a dedupe state %lld; "
               "dedupe states %.1f MB + late set %.1f MB = %.0f B per meter; streams %.1f MB, "
               "aggregates %.1f MB; used_memory minus streams and aggregates = %.0f B per meter\n",
               used / 1048576.0, rss / 1048576.0, meters, mb / 1048576.0, lb / 1048576.0,
               meters ? (double)(mb + lb) / (double)meters : 0, (sb + cb) / 1048576.0,
               ab / 1048576.0, meters ? (double)(used - sb - cb - ab) / (double)meters : 0);
    }
    return rc;
}

/* ------------------------------------------------------------------ main */

static int usage(void)
{
    fprintf(stderr, "usage: ing-fleet-load --port GW_PORT [--api-key-file F] [--path P]\n"
                    "  [--mode steady|backlog] [--fleet N] [--active N] [--interval S] [--rate R]\n"
                    "  [--backlog H] [--step S] [--batch N] [--conns N] [--seconds S]\n"
                    "  [--redis-port P] [--pids PID[,PID...]]\n");
    return 2;
}

int main(int argc, char **argv)
{
    cfg_t *g = &R.c;
    g->conns = 8, g->seconds = 60, g->batch = 1000, g->fleet = 2000000, g->active = 2000000;
    g->interval = 900, g->rate = -1, g->backlog = 16, g->step = 900;
    g->path = "/api/ingestion/readings";
    const char *keyfile = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return usage();
        i++;
        if (!strcmp(a, "--port"))
            g->port = atoi(v);
        else if (!strcmp(a, "--api-key-file"))
            keyfile = v;
        else if (!strcmp(a, "--path"))
            g->path = v;
        else if (!strcmp(a, "--mode"))
            g->backlog_mode = !strcmp(v, "backlog");
        else if (!strcmp(a, "--fleet"))
            g->fleet = atol(v);
        else if (!strcmp(a, "--active"))
            g->active = atol(v);
        else if (!strcmp(a, "--interval"))
            g->interval = atof(v);
        else if (!strcmp(a, "--rate"))
            g->rate = atof(v);
        else if (!strcmp(a, "--backlog"))
            g->backlog = atoi(v);
        else if (!strcmp(a, "--step"))
            g->step = atoi(v);
        else if (!strcmp(a, "--batch"))
            g->batch = atoi(v);
        else if (!strcmp(a, "--conns"))
            g->conns = atoi(v);
        else if (!strcmp(a, "--seconds"))
            g->seconds = atoi(v);
        else if (!strcmp(a, "--redis-port"))
            g->redis_port = atoi(v);
        else if (!strcmp(a, "--pids")) {
            char *s = gf_xstrdup(v), *save = NULL;
            for (char *t = strtok_r(s, ",", &save); t && g->npids < 4;
                 t = strtok_r(NULL, ",", &save))
                g->pids[g->npids++] = atoi(t);
            free(s);
        } else
            return usage();
    }
    if (g->port <= 0 || g->conns < 1 || g->conns > MAX_CONNS || g->batch < 1 || g->active < 1 ||
        g->fleet < g->active || g->seconds < 1 || g->seconds > MAX_MIN * 60)
        return usage();
    if (g->rate < 0)
        g->rate = g->interval > 0 ? (double)g->active / g->interval : 0;
    if (keyfile) {
        FILE *f = fopen(keyfile, "r");
        if (f == NULL || fgets(g->key, sizeof g->key, f) == NULL) {
            fprintf(stderr, "cannot read %s\n", keyfile);
            return 2;
        }
        fclose(f);
        g->key[strcspn(g->key, "\r\n")] = '\0';
    }
    if (g->redis_port > 0) {
        struct timeval tv = {5, 0};
        R.redis = redisConnectWithTimeout("127.0.0.1", g->redis_port, tv);
        if (R.redis == NULL || R.redis->err) {
            fprintf(stderr, "redis: %s\n", R.redis ? R.redis->errstr : "oom");
            return 1;
        }
    }
    R.base = event_base_new();
    if (R.base == NULL)
        return 1;
    R.sa = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)g->port)};
    R.sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < g->conns; i++) {
        conn_t *c = gf_xcalloc(1, sizeof *c);
        c->r = &R;
        if (conn_open(c) != 0) {
            fprintf(stderr, "cannot connect to 127.0.0.1:%d\n", g->port);
            return 1;
        }
        R.conns[i] = c;
    }
    struct event *sig_int = evsignal_new(R.base, SIGINT, on_signal, NULL);
    struct event *sig_term = evsignal_new(R.base, SIGTERM, on_signal, NULL);
    if (sig_int == NULL || sig_term == NULL || event_add(sig_int, NULL) ||
        event_add(sig_term, NULL))
        return 1;
    if (g->backlog_mode)
        R.total_batches = ((long long)g->active * g->backlog + g->batch - 1) / g->batch;
    R.t0 = gf_now_mono();
    R.wall0 = gf_now_wall();
    R.t_end = R.t0 + g->seconds;
    sample(&R.min[MAX_MIN - 1]); /* the start: kept apart, printed below */
    minute_t start = R.min[MAX_MIN - 1];
    memset(&R.min[MAX_MIN - 1], 0, sizeof R.min[0]);
    printf("start: service RSS");
    for (int i = 0; i < g->npids; i++)
        printf(" %.1f MB", (double)start.svc_rss_kb[i] / 1024.0);
    printf(", Redis used %.1f MB (RSS %.1f MB); %s, fleet %ld, active %ld, %s, batch %d, "
           "%d connections\n",
           (double)start.redis_used / 1048576.0, (double)start.redis_rss / 1048576.0,
           g->backlog_mode ? "backlog" : "steady", g->fleet, g->active,
           g->backlog_mode ? "as fast as answered"
                           : (g->rate > 0 ? "paced" : "as fast as answered"),
           g->batch, g->conns);
    fflush(stdout);
    struct timeval ms = {0, 1000};
    R.tick = event_new(R.base, -1, EV_PERSIST, on_tick, NULL);
    event_add(R.tick, &ms);
    event_base_dispatch(R.base);
    int rc = report();
    for (int i = 0; i < g->conns; i++) {
        if (R.conns[i]->bev)
            bufferevent_free(R.conns[i]->bev);
        free(R.conns[i]->body);
        free(R.conns[i]);
    }
    for (int i = 0; i < MAX_MIN; i++)
        free(R.min[i].lat);
    event_free(R.tick);
    event_free(sig_int);
    event_free(sig_term);
    event_base_free(R.base);
    if (R.redis)
        redisFree(R.redis);
    return rc;
}
