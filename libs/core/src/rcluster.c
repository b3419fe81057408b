/*
 * rcluster.c - slot-aware Redis Cluster client over blocking hiredis (see core/rcluster.h).
 *
 * State: the node list (address + lazily made blocking connection), a slot -> node index
 * map filled from CLUSTER SLOTS, and the seed list to fall back on. Every command goes
 * through run_slot(), which owns the redirection rules; pipelines send their batch per node
 * and hand redirected entries to run_slot() one by one.
 */
#include "core/rcluster.h"
#include "core/pool.h"
#include "core/redis.h"
#include "core/util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const gf_cfg_opt_t gf_rcluster_cfg_opts[] = {
    {"GF_REDIS_CLUSTER", GF_CFG_STR, "", 0, -1,
     "Redis Cluster seed list host:port[,host:port...] (empty = one Redis at GF_REDIS_HOST)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* ---------------------------------------------------------------- slots */

uint16_t gf_rc_crc16(const char *buf, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)((uint16_t)(unsigned char)buf[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

int gf_rc_slot(const char *key, size_t len)
{
    /* Redis: hash the part between the first '{' and the first '}' after it, if non-empty. */
    size_t s;
    for (s = 0; s < len; s++)
        if (key[s] == '{')
            break;
    if (s < len) {
        size_t e;
        for (e = s + 1; e < len; e++)
            if (key[e] == '}')
                break;
        if (e < len && e != s + 1)
            return gf_rc_crc16(key + s + 1, e - s - 1) & (GF_RC_SLOTS - 1);
    }
    return gf_rc_crc16(key, len) & (GF_RC_SLOTS - 1);
}

/* ---------------------------------------------------------------- parsing */

static int bad_seed(gf_err_t *err, const char *entry, size_t len, const char *why)
{
    return gf_err_set(err, GF_EINVAL, "invalid_config",
                      "GF_REDIS_CLUSTER entry \"%.*s\" is invalid: %s (expected "
                      "host:port[,host:port...])",
                      (int)(len > 80 ? 80 : len), entry, why);
}

/* A decimal count (digits only; the text need not end in NUL): -1 if bad. */
static long count_arg(const char *a, size_t len)
{
    if (len == 0 || len > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (a[i] < '0' || a[i] > '9')
            return -1;
        v = v * 10 + (a[i] - '0');
    }
    return v;
}

static int parse_port(const char *s, size_t len)
{
    long v = len <= 5 ? count_arg(s, len) : -1;
    return v >= 1 && v <= 65535 ? (int)v : -1;
}

int gf_rc_parse_seeds(const char *text, gf_rc_addr_t *out, size_t max, size_t *n, gf_err_t *err)
{
    *n = 0;
    if (text == NULL)
        text = "";
    const char *p = text;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *e = p;
        while (len > 0 && isspace((unsigned char)*e)) {
            e++;
            len--;
        }
        while (len > 0 && isspace((unsigned char)e[len - 1]))
            len--;
        if (len == 0)
            return bad_seed(err, text, strlen(text), "an entry is empty");
        if (*n == max)
            return bad_seed(err, e, len, "too many entries");
        const char *host = e, *colon;
        size_t hlen;
        if (e[0] == '[') {
            const char *close = memchr(e, ']', len);
            if (close == NULL || close + 1 >= e + len || close[1] != ':')
                return bad_seed(err, e, len, "an IPv6 address needs [addr]:port");
            host = e + 1;
            hlen = (size_t)(close - e - 1);
            colon = close + 1;
        } else {
            colon = NULL;
            for (size_t i = len; i > 0; i--)
                if (e[i - 1] == ':') {
                    colon = e + i - 1;
                    break;
                }
            if (colon == NULL)
                return bad_seed(err, e, len, "no port");
            hlen = (size_t)(colon - e);
            if (memchr(e, ':', hlen) != NULL)
                return bad_seed(err, e, len, "an IPv6 address needs [addr]:port");
        }
        if (hlen == 0)
            return bad_seed(err, e, len, "empty host");
        if (hlen >= sizeof out[0].host)
            return bad_seed(err, e, len, "host too long");
        for (size_t i = 0; i < hlen; i++)
            if (isspace((unsigned char)host[i]) || host[i] == '\0')
                return bad_seed(err, e, len, "space in the host");
        int port = parse_port(colon + 1, (size_t)(e + len - colon - 1));
        if (port < 0)
            return bad_seed(err, e, len, "port is not in 1-65535");
        memcpy(out[*n].host, host, hlen);
        out[*n].host[hlen] = '\0';
        out[*n].port = port;
        (*n)++;
        if (end == NULL)
            return 0;
        p = end + 1;
    }
}

static int bad_slots(gf_err_t *err, size_t i, const char *why)
{
    return gf_err_set(err, GF_EINVAL, "redis_cluster_slots",
                      "CLUSTER SLOTS reply entry %zu is malformed: %s", i, why);
}

int gf_rc_parse_slots(const redisReply *rep, const char *asked_host, gf_rc_range_t **out, size_t *n,
                      gf_err_t *err)
{
    *out = NULL;
    *n = 0;
    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY)
        return gf_err_set(err, GF_EINVAL, "redis_cluster_slots",
                          "CLUSTER SLOTS did not answer an array%s%.120s",
                          rep && rep->type == REDIS_REPLY_ERROR ? ": " : "",
                          rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "");
    gf_rc_range_t *r = rep->elements ? gf_xcalloc(rep->elements, sizeof *r) : NULL;
    int rc = 0;
    for (size_t i = 0; i < rep->elements && rc == 0; i++) {
        const redisReply *e = rep->element[i];
        if (e == NULL || e->type != REDIS_REPLY_ARRAY || e->elements < 3) {
            rc = bad_slots(err, i, "not [start, end, master, ...]");
            break;
        }
        const redisReply *a = e->element[0], *b = e->element[1], *m = e->element[2];
        if (a->type != REDIS_REPLY_INTEGER || b->type != REDIS_REPLY_INTEGER || a->integer < 0 ||
            b->integer < a->integer || b->integer >= GF_RC_SLOTS) {
            rc = bad_slots(err, i, "slot range not within 0-16383");
            break;
        }
        if (m->type != REDIS_REPLY_ARRAY || m->elements < 2 ||
            m->element[0]->type != REDIS_REPLY_STRING ||
            m->element[1]->type != REDIS_REPLY_INTEGER || m->element[1]->integer < 1 ||
            m->element[1]->integer > 65535) {
            rc = bad_slots(err, i, "master is not [host, port, ...]");
            break;
        }
        const char *host = m->element[0]->str;
        size_t hlen = m->element[0]->len;
        if (hlen == 0 || (hlen == 1 && host[0] == '?')) {
            host = asked_host ? asked_host : "";
            hlen = strlen(host);
        }
        if (hlen == 0 || hlen >= sizeof r[i].master.host || memchr(host, '\0', hlen) != NULL) {
            rc = bad_slots(err, i, "master host empty or too long");
            break;
        }
        r[i].start = (int)a->integer;
        r[i].end = (int)b->integer;
        memcpy(r[i].master.host, host, hlen);
        r[i].master.host[hlen] = '\0';
        r[i].master.port = (int)m->element[1]->integer;
    }
    if (rc != 0) {
        free(r);
        return rc;
    }
    *out = r;
    *n = rep->elements;
    return 0;
}

/* ---------------------------------------------------------------- client */

typedef struct rc_node {
    gf_rc_addr_t addr;
    redisContext *ctx;
} rc_node_t;

struct gf_rcluster {
    bool single; /* one Redis: node 0 owns every slot, no CLUSTER SLOTS */
    int timeout_ms;
    gf_rc_addr_t seeds[GF_RC_MAX_SEEDS];
    size_t nseeds;
    rc_node_t *nodes;
    size_t nnodes, capnodes;
    int16_t slot_node[GF_RC_SLOTS]; /* index into nodes, -1 = no master */
    gf_rcluster_stats_t st;
};

static int node_index(gf_rcluster_t *c, const char *host, int port)
{
    for (size_t i = 0; i < c->nnodes; i++)
        if (c->nodes[i].addr.port == port && strcmp(c->nodes[i].addr.host, host) == 0)
            return (int)i;
    if (c->nnodes == c->capnodes) {
        c->capnodes = c->capnodes ? c->capnodes * 2 : 8;
        c->nodes = gf_xrealloc(c->nodes, c->capnodes * sizeof *c->nodes);
    }
    rc_node_t *nd = &c->nodes[c->nnodes];
    memset(nd, 0, sizeof *nd);
    snprintf(nd->addr.host, sizeof nd->addr.host, "%s", host);
    nd->addr.port = port;
    return (int)c->nnodes++;
}

static void node_drop(rc_node_t *nd)
{
    if (nd->ctx != NULL)
        redisFree(nd->ctx);
    nd->ctx = NULL;
}

/* The node's connection, made when missing or broken. NULL with err. */
static redisContext *node_conn(gf_rcluster_t *c, rc_node_t *nd, gf_err_t *err)
{
    if (nd->ctx != NULL && nd->ctx->err == 0)
        return nd->ctx;
    node_drop(nd);
    nd->ctx = gf_redis_connect_sync(nd->addr.host, nd->addr.port, c->timeout_ms, err);
    return nd->ctx;
}

static int load_map_from(gf_rcluster_t *c, const gf_rc_addr_t *from, gf_err_t *err)
{
    int idx = node_index(c, from->host, from->port);
    redisContext *ctx = node_conn(c, &c->nodes[idx], err);
    if (ctx == NULL)
        return GF_EUNAVAIL;
    redisReply *rep = redisCommand(ctx, "CLUSTER SLOTS");
    if (rep == NULL) {
        node_drop(&c->nodes[idx]);
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                          "Redis node %s:%d did not answer CLUSTER SLOTS", from->host, from->port);
    }
    gf_rc_range_t *r;
    size_t n;
    char asked[sizeof from->host];
    snprintf(asked, sizeof asked, "%s", from->host); /* nodes may move in the realloc below */
    int rc = gf_rc_parse_slots(rep, asked, &r, &n, err);
    freeReplyObject(rep);
    if (rc != 0)
        return GF_EUNAVAIL;
    if (n == 0) {
        free(r);
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                          "Redis node %s:%d serves no slots (not a cluster yet?)", asked,
                          from->port);
    }
    for (int s = 0; s < GF_RC_SLOTS; s++)
        c->slot_node[s] = -1;
    for (size_t i = 0; i < n; i++) {
        int ni = node_index(c, r[i].master.host, r[i].master.port);
        for (int s = r[i].start; s <= r[i].end; s++)
            c->slot_node[s] = (int16_t)ni;
    }
    free(r);
    c->st.refreshes++;
    return 0;
}

int gf_rcluster_refresh(gf_rcluster_t *c, gf_err_t *err)
{
    if (c->single) /* one Redis owns every slot: there is no map to fetch */
        return 0;
    /* Masters of the current map first (they know the newest layout), then the seeds. */
    size_t known = c->nnodes;
    bool *is_master = gf_xcalloc(known ? known : 1, sizeof *is_master);
    for (int s = 0; s < GF_RC_SLOTS; s++)
        if (c->slot_node[s] >= 0)
            is_master[c->slot_node[s]] = true;
    gf_rc_addr_t *try = gf_xmalloc((known + c->nseeds + 1) * sizeof *try);
    size_t ntry = 0;
    for (size_t i = 0; i < known; i++)
        if (is_master[i])
            try[ntry++] = c->nodes[i].addr;
    for (size_t i = 0; i < c->nseeds; i++)
        try[ntry++] = c->seeds[i];
    free(is_master);
    int rc = GF_EUNAVAIL;
    for (size_t i = 0; i < ntry && rc != 0; i++) {
        gf_err_cleanup(err);
        rc = load_map_from(c, &try[i], err);
    }
    free(try);
    if (rc != 0) {
        char first[300];
        snprintf(first, sizeof first, "%s", err ? err->message : "");
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                          "no Redis Cluster node answered CLUSTER SLOTS (last: %.200s)", first);
    }
    return 0;
}

gf_rcluster_t *gf_rcluster_new(const char *seeds, int timeout_ms, gf_err_t *err)
{
    gf_rcluster_t *c = gf_xcalloc(1, sizeof *c);
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
    if (gf_rc_parse_seeds(seeds, c->seeds, GF_RC_MAX_SEEDS, &c->nseeds, err) != 0) {
        free(c);
        return NULL;
    }
    for (int s = 0; s < GF_RC_SLOTS; s++)
        c->slot_node[s] = -1;
    if (gf_rcluster_refresh(c, err) != 0) {
        gf_rcluster_free(c);
        return NULL;
    }
    return c;
}

void gf_rcluster_free(gf_rcluster_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nnodes; i++)
        node_drop(&c->nodes[i]);
    free(c->nodes);
    free(c);
}

const gf_rc_addr_t *gf_rcluster_slot_master(const gf_rcluster_t *c, int slot)
{
    if (slot < 0 || slot >= GF_RC_SLOTS || c->slot_node[slot] < 0)
        return NULL;
    return &c->nodes[c->slot_node[slot]].addr;
}

gf_rcluster_stats_t gf_rcluster_stats(const gf_rcluster_t *c)
{
    return c->st;
}

/* ---------------------------------------------------------------- key location */

/* Key positions as Redis's COMMAND table gives them: first, last (negative: from the end),
 * step. first 0 = no key (any master). Special forms are handled in cmd_slot. */
typedef struct {
    const char *name;
    int first, last, step;
} keyspec_t;

static const keyspec_t keyspecs[] = {
    {"PING", 0, 0, 0},
    {"ECHO", 0, 0, 0},
    {"TIME", 0, 0, 0},
    {"PUBLISH", 0, 0, 0},
    /* every argument a key */
    {"DEL", 1, -1, 1},
    {"UNLINK", 1, -1, 1},
    {"EXISTS", 1, -1, 1},
    {"TOUCH", 1, -1, 1},
    {"MGET", 1, -1, 1},
    {"SUNION", 1, -1, 1},
    {"SINTER", 1, -1, 1},
    {"SDIFF", 1, -1, 1},
    {"SUNIONSTORE", 1, -1, 1},
    {"SINTERSTORE", 1, -1, 1},
    {"SDIFFSTORE", 1, -1, 1},
    {"PFCOUNT", 1, -1, 1},
    {"PFMERGE", 1, -1, 1},
    {"WATCH", 1, -1, 1},
    {"MSET", 1, -1, 2},
    {"MSETNX", 1, -1, 2},
    {"BLPOP", 1, -2, 1},
    {"BRPOP", 1, -2, 1},
    /* two keys */
    {"RENAME", 1, 2, 1},
    {"RENAMENX", 1, 2, 1},
    {"RPOPLPUSH", 1, 2, 1},
    {"LMOVE", 1, 2, 1},
    {"SMOVE", 1, 2, 1},
    {"COPY", 1, 2, 1},
    {"BLMOVE", 1, 2, 1},
    {"ZRANGESTORE", 1, 2, 1},
    /* a subcommand, then the key */
    {"XGROUP", 2, 2, 1},
    {"XINFO", 2, 2, 1},
    {"OBJECT", 2, 2, 1},
};

/* Commands with one key at argv[1]. */
static const char *const one_key[] = {
    "GET",
    "SET",
    "SETEX",
    "PSETEX",
    "SETNX",
    "GETSET",
    "GETDEL",
    "GETEX",
    "APPEND",
    "STRLEN",
    "INCR",
    "INCRBY",
    "INCRBYFLOAT",
    "DECR",
    "DECRBY",
    "EXPIRE",
    "PEXPIRE",
    "EXPIREAT",
    "PEXPIREAT",
    "TTL",
    "PTTL",
    "PERSIST",
    "TYPE",
    "DUMP",
    "RESTORE",
    "SETBIT",
    "GETBIT",
    "BITCOUNT",
    "SETRANGE",
    "GETRANGE",
    "HSET",
    "HSETNX",
    "HGET",
    "HMSET",
    "HMGET",
    "HDEL",
    "HEXISTS",
    "HGETALL",
    "HKEYS",
    "HVALS",
    "HLEN",
    "HINCRBY",
    "HINCRBYFLOAT",
    "HSCAN",
    "HSTRLEN",
    "HRANDFIELD",
    "LPUSH",
    "RPUSH",
    "LPUSHX",
    "RPUSHX",
    "LPOP",
    "RPOP",
    "LLEN",
    "LRANGE",
    "LINDEX",
    "LSET",
    "LREM",
    "LTRIM",
    "LINSERT",
    "LPOS",
    "SADD",
    "SREM",
    "SCARD",
    "SISMEMBER",
    "SMISMEMBER",
    "SMEMBERS",
    "SPOP",
    "SRANDMEMBER",
    "SSCAN",
    "ZADD",
    "ZREM",
    "ZCARD",
    "ZSCORE",
    "ZMSCORE",
    "ZINCRBY",
    "ZRANGE",
    "ZRANGEBYSCORE",
    "ZREVRANGE",
    "ZREVRANGEBYSCORE",
    "ZRANGEBYLEX",
    "ZRANK",
    "ZREVRANK",
    "ZCOUNT",
    "ZLEXCOUNT",
    "ZREMRANGEBYSCORE",
    "ZREMRANGEBYRANK",
    "ZREMRANGEBYLEX",
    "ZPOPMIN",
    "ZPOPMAX",
    "ZSCAN",
    "XADD",
    "XLEN",
    "XRANGE",
    "XREVRANGE",
    "XTRIM",
    "XDEL",
    "XACK",
    "XCLAIM",
    "XAUTOCLAIM",
    "XPENDING",
    "XSETID",
    "PFADD",
    "GEOADD",
    "GEODIST",
    "GEOPOS",
    "GEOSEARCH",
};

static bool arg_is(const char *a, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(a, word, len) == 0;
}

static int crossslot(gf_err_t *err, const char *cmd, size_t cmdlen, const char *k1, size_t l1,
                     int s1, const char *k2, size_t l2, int s2)
{
    return gf_err_set(err, GF_EINVAL, "redis_crossslot",
                      "%.*s: keys \"%.*s\" (slot %d) and \"%.*s\" (slot %d) hash to different "
                      "slots; give the keys of one operation one hash tag",
                      (int)(cmdlen > 32 ? 32 : cmdlen), cmd, (int)(l1 > 60 ? 60 : l1), k1, s1,
                      (int)(l2 > 60 ? 60 : l2), k2, s2);
}

/* Slot of the keys argv[from..to] by step (all must agree). -1 when there is none. */
static int keys_slot(int argc, const char **argv, const size_t *len, int from, int to, int step,
                     int *slot, gf_err_t *err)
{
    int first = -1;
    *slot = -1;
    for (int i = from; i <= to && i < argc; i += step) {
        int s = gf_rc_slot(argv[i], len[i]);
        if (first < 0) {
            first = i;
            *slot = s;
        } else if (s != *slot) {
            return crossslot(err, argv[0], len[0], argv[first], len[first], *slot, argv[i], len[i],
                             s);
        }
    }
    return 0;
}

/* The slot a command must go to (-1 = any master). 0, or GF_EINVAL. */
int gf_rc_cmd_slot(int argc, const char **argv, const size_t *len, int *slot, gf_err_t *err)
{
    *slot = -1;
    if (argc < 1)
        return gf_err_set(err, GF_EINVAL, "redis_cluster_command", "empty command");
    const char *name = argv[0];
    size_t nl = len[0];
    if (arg_is(name, nl, "EVAL") || arg_is(name, nl, "EVALSHA") || arg_is(name, nl, "EVAL_RO") ||
        arg_is(name, nl, "EVALSHA_RO") || arg_is(name, nl, "FCALL") ||
        arg_is(name, nl, "FCALL_RO")) {
        long nk = argc >= 3 ? count_arg(argv[2], len[2]) : -1;
        if (nk < 0 || nk > argc - 3)
            return gf_err_set(err, GF_EINVAL, "redis_cluster_command", "%.*s: bad number of keys",
                              (int)nl, name);
        return keys_slot(argc, argv, len, 3, 3 + (int)nk - 1, 1, slot, err);
    }
    if (arg_is(name, nl, "ZUNIONSTORE") || arg_is(name, nl, "ZINTERSTORE") ||
        arg_is(name, nl, "ZDIFFSTORE")) {
        long nk = argc >= 3 ? count_arg(argv[2], len[2]) : -1;
        if (nk < 1 || nk > argc - 3)
            return gf_err_set(err, GF_EINVAL, "redis_cluster_command", "%.*s: bad number of keys",
                              (int)nl, name);
        int s1, s2;
        if (keys_slot(argc, argv, len, 1, 1, 1, &s1, err) != 0 ||
            keys_slot(argc, argv, len, 3, 3 + (int)nk - 1, 1, &s2, err) != 0)
            return GF_EINVAL;
        if (s1 != s2)
            return crossslot(err, name, nl, argv[1], len[1], s1, argv[3], len[3], s2);
        *slot = s1;
        return 0;
    }
    if (arg_is(name, nl, "XREAD") || arg_is(name, nl, "XREADGROUP")) {
        for (int i = 1; i < argc; i++)
            if (arg_is(argv[i], len[i], "STREAMS")) {
                int rest = argc - i - 1;
                if (rest < 2 || rest % 2 != 0)
                    break;
                return keys_slot(argc, argv, len, i + 1, i + rest / 2, 1, slot, err);
            }
        return gf_err_set(err, GF_EINVAL, "redis_cluster_command",
                          "%.*s: no STREAMS key id... part", (int)nl, name);
    }
    for (size_t i = 0; i < sizeof one_key / sizeof one_key[0]; i++)
        if (arg_is(name, nl, one_key[i])) {
            if (argc < 2)
                break;
            *slot = gf_rc_slot(argv[1], len[1]);
            return 0;
        }
    for (size_t i = 0; i < sizeof keyspecs / sizeof keyspecs[0]; i++) {
        const keyspec_t *k = &keyspecs[i];
        if (!arg_is(name, nl, k->name))
            continue;
        if (k->first == 0)
            return 0;
        int last = k->last < 0 ? argc + k->last : k->last;
        if (argc <= k->first || last < k->first)
            break;
        return keys_slot(argc, argv, len, k->first, last, k->step, slot, err);
    }
    return gf_err_set(err, GF_EINVAL, "redis_cluster_command",
                      "%.*s: this client does not know where its keys are (or it has too few "
                      "arguments)",
                      (int)(nl > 32 ? 32 : nl), name);
}

/* ---------------------------------------------------------------- sending */

int gf_rc_redirect_addr(const char *msg, gf_rc_addr_t *to)
{
    const char *sp = msg ? strchr(msg, ' ') : NULL;
    if (sp == NULL)
        return -1;
    sp = strchr(sp + 1, ' ');
    if (sp == NULL)
        return -1;
    size_t n;
    return gf_rc_parse_seeds(sp + 1, to, 1, &n, NULL) == 0 ? 0 : -1;
}

/* "MOVED 3999 127.0.0.1:6381" / "ASK ...": the node's index, -1 when malformed. */
static int redirect_target(gf_rcluster_t *c, const char *msg)
{
    gf_rc_addr_t a;
    if (gf_rc_redirect_addr(msg, &a) != 0)
        return -1;
    return node_index(c, a.host, a.port);
}

bool gf_rc_reply_is(const redisReply *r, const char *word)
{
    size_t n = strlen(word);
    return r != NULL && r->type == REDIS_REPLY_ERROR && r->str != NULL &&
           strncmp(r->str, word, n) == 0 && (r->str[n] == ' ' || r->str[n] == '\0');
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int any_master(const gf_rcluster_t *c)
{
    for (int s = 0; s < GF_RC_SLOTS; s++)
        if (c->slot_node[s] >= 0)
            return c->slot_node[s];
    return -1;
}

/* Outcome of handling a reply that may be a redirection. */
enum { R_DONE, R_AGAIN };

/* Look at a reply: MOVED/ASK/TRYAGAIN/CLUSTERDOWN consume it (freed) and say what to do
 * next (R_AGAIN with *ask set for ASK), anything else is R_DONE. *tries counts the
 * TRYAGAIN/CLUSTERDOWN waits; past the bound the reply is freed and err set. */
static int classify(gf_rcluster_t *c, redisReply **rep, int slot, int *ask, int *tries,
                    int *backoff_ms, gf_err_t *err, int *rc)
{
    redisReply *r = *rep;
    *rc = 0;
    if (gf_rc_reply_is(r, "MOVED")) {
        c->st.moved++;
        int to = redirect_target(c, r->str);
        freeReplyObject(r);
        *rep = NULL;
        gf_err_t e2 = {0};
        (void)gf_rcluster_refresh(c, &e2); /* best effort: the MOVED target is authoritative */
        gf_err_cleanup(&e2);
        if (to >= 0 && slot >= 0)
            c->slot_node[slot] = (int16_t)to;
        return R_AGAIN;
    }
    if (gf_rc_reply_is(r, "ASK")) {
        c->st.ask++;
        *ask = redirect_target(c, r->str);
        freeReplyObject(r);
        *rep = NULL;
        return R_AGAIN;
    }
    if (gf_rc_reply_is(r, "TRYAGAIN") || gf_rc_reply_is(r, "CLUSTERDOWN")) {
        c->st.tryagain++;
        if (++*tries > GF_RC_MAX_RETRIES) {
            *rc = gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                             "Redis Cluster still answers %.120s after %d tries (slot %d); "
                             "nothing was written",
                             r->str, GF_RC_MAX_RETRIES, slot);
            freeReplyObject(r);
            *rep = NULL;
            return R_DONE;
        }
        freeReplyObject(r);
        *rep = NULL;
        sleep_ms(*backoff_ms);
        *backoff_ms = *backoff_ms * 2 > 200 ? 200 : *backoff_ms * 2;
        return R_AGAIN;
    }
    return R_DONE;
}

/* Send argv to the master of slot (-1 = any), following redirections. *used (optional) is
 * the node that gave the final reply. */
static redisReply *run_slot(gf_rcluster_t *c, int slot, int argc, const char **argv,
                            const size_t *len, int *used, gf_err_t *err)
{
    int ask = -1, tries = 0, backoff = 10;
    bool refreshed_for_conn = false;
    for (int hop = 0; hop <= GF_RC_MAX_REDIRECTS; hop++) {
        int ni = ask >= 0 ? ask : slot >= 0 ? c->slot_node[slot] : any_master(c);
        if (ni < 0) {
            if (!refreshed_for_conn) {
                refreshed_for_conn = true;
                gf_err_t e2 = {0};
                (void)gf_rcluster_refresh(c, &e2);
                gf_err_cleanup(&e2);
                continue;
            }
            gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                       "no Redis Cluster master serves slot %d; nothing was written", slot);
            return NULL;
        }
        rc_node_t *nd = &c->nodes[ni];
        redisContext *ctx = node_conn(c, nd, err);
        if (ctx == NULL) {
            char addr[300];
            snprintf(addr, sizeof addr, "%s:%d", nd->addr.host, nd->addr.port);
            if (!refreshed_for_conn && ask < 0) {
                /* The map may be stale (the slot moved off a node that left): look again,
                 * and go on only if another node serves the slot now. */
                refreshed_for_conn = true;
                gf_err_t e2 = {0};
                int moved = gf_rcluster_refresh(c, &e2) == 0 && slot >= 0 &&
                            c->slot_node[slot] >= 0 && c->slot_node[slot] != ni;
                gf_err_cleanup(&e2);
                if (moved) {
                    gf_err_cleanup(err);
                    continue;
                }
            }
            gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                       "Redis Cluster master %s for slot %d cannot be reached; nothing was "
                       "written",
                       addr, slot);
            return NULL;
        }
        redisReply *rep = NULL;
        if (ask >= 0) {
            ask = -1;
            static const char *asking[] = {"ASKING"};
            static const size_t askinglen[] = {6};
            if (redisAppendCommandArgv(ctx, 1, asking, askinglen) != REDIS_OK ||
                redisAppendCommandArgv(ctx, argc, argv, len) != REDIS_OK) {
                node_drop(nd);
                gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "cannot send to Redis node %s:%d",
                           nd->addr.host, nd->addr.port);
                return NULL;
            }
            void *ok = NULL;
            if (redisGetReply(ctx, &ok) == REDIS_OK)
                freeReplyObject(ok);
            if (redisGetReply(ctx, (void **)&rep) != REDIS_OK)
                rep = NULL;
        } else {
            rep = redisCommandArgv(ctx, argc, argv, len);
        }
        if (rep == NULL) {
            gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                       "Redis Cluster master %s:%d (slot %d) did not answer; the outcome is "
                       "unknown",
                       nd->addr.host, nd->addr.port, slot);
            node_drop(nd);
            return NULL;
        }
        int rc;
        if (classify(c, &rep, slot, &ask, &tries, &backoff, err, &rc) == R_AGAIN)
            continue;
        if (rc != 0)
            return NULL;
        if (used)
            *used = ni;
        return rep;
    }
    gf_err_set(err, GF_EUNAVAIL, "redis_cluster_redirects",
               "slot %d was redirected more than %d times; the cluster layout does not settle",
               slot, GF_RC_MAX_REDIRECTS);
    return NULL;
}

redisReply *gf_rcluster_cmd_argv(gf_rcluster_t *c, int argc, const char **argv,
                                 const size_t *argvlen, gf_err_t *err)
{
    int slot;
    if (gf_rc_cmd_slot(argc, argv, argvlen, &slot, err) != 0)
        return NULL;
    return run_slot(c, slot, argc, argv, argvlen, NULL, err);
}

int gf_rc_resp_views(const char *cmd, size_t cmdlen, int *argc, const char ***argv, size_t **len)
{
    const char *p = cmd, *end = cmd + cmdlen;
    *argc = 0;
    *argv = NULL;
    *len = NULL;
    if (cmdlen < 4 || *p != '*')
        return -1;
    char *e;
    long n = strtol(p + 1, &e, 10);
    if (n < 1 || n > 64 * 1024 * 1024 || e + 2 > end || e[0] != '\r' || e[1] != '\n')
        return -1;
    p = e + 2;
    const char **v = gf_xmalloc((size_t)n * sizeof *v);
    size_t *l = gf_xmalloc((size_t)n * sizeof *l);
    for (long i = 0; i < n; i++) {
        if (p >= end || *p != '$')
            goto bad;
        long long bl = strtoll(p + 1, &e, 10);
        if (bl < 0 || e + 2 > end || e[0] != '\r' || e[1] != '\n' ||
            (unsigned long long)bl + 2 > (unsigned long long)(end - (e + 2)))
            goto bad;
        v[i] = e + 2;
        l[i] = (size_t)bl;
        p = e + 2 + bl + 2;
    }
    *argc = (int)n;
    *argv = v;
    *len = l;
    return 0;
bad:
    free(v);
    free(l);
    return -1;
}

redisReply *gf_rcluster_cmd(gf_rcluster_t *c, gf_err_t *err, const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = redisvFormatCommand(&cmd, fmt, ap);
    va_end(ap);
    if (n < 0) {
        gf_err_set(err, GF_EINVAL, "redis_cluster_command", "cannot format the command");
        return NULL;
    }
    int argc = 0;
    const char **argv = NULL;
    size_t *len = NULL;
    redisReply *rep = NULL;
    if (gf_rc_resp_views(cmd, (size_t)n, &argc, &argv, &len) == 0)
        rep = gf_rcluster_cmd_argv(c, argc, argv, len, err);
    else
        gf_err_set(err, GF_EINTERNAL, "redis_cluster_command", "cannot format the command");
    redisFreeCommand(cmd);
    free(argv);
    free(len);
    return rep;
}

/* ---------------------------------------------------------------- scripts */

static int script_load_on(gf_rcluster_t *c, int ni, gf_rcluster_script_t *s, gf_err_t *err)
{
    rc_node_t *nd = &c->nodes[ni];
    redisContext *ctx = node_conn(c, nd, err);
    if (ctx == NULL)
        return GF_EUNAVAIL;
    redisReply *rep = redisCommand(ctx, "SCRIPT LOAD %s", s->body);
    if (rep == NULL)
        node_drop(nd);
    int rc = gf_redis_reply_check(rep, err);
    if (rc == 0 && (rep->type != REDIS_REPLY_STRING || rep->len != 40))
        rc = gf_err_set(err, GF_EUNAVAIL, "redis_error", "SCRIPT LOAD answered no SHA1");
    if (rc == 0)
        memcpy(s->sha, rep->str, 41);
    else if (err != NULL) {
        gf_err_t was = *err;
        gf_err_set(err, was.rc, was.code, "SCRIPT LOAD on %s:%d: %.180s", nd->addr.host,
                   nd->addr.port, was.message);
    }
    if (rep)
        freeReplyObject(rep);
    return rc;
}

int gf_rcluster_script_load_all(gf_rcluster_t *c, gf_rcluster_script_t *s, gf_err_t *err)
{
    bool *done = gf_xcalloc(c->nnodes ? c->nnodes : 1, sizeof *done);
    int rc = 0;
    for (int sl = 0; sl < GF_RC_SLOTS && rc == 0; sl++) {
        int ni = c->slot_node[sl];
        if (ni < 0 || done[ni])
            continue;
        done[ni] = true;
        rc = script_load_on(c, ni, s, err);
    }
    free(done);
    return rc;
}

redisReply *gf_rcluster_eval(gf_rcluster_t *c, gf_rcluster_script_t *s, int nkeys,
                             const char **keys, const size_t *keylens, int nargs, const char **args,
                             const size_t *arglens, gf_err_t *err)
{
    if (nkeys < 0 || nargs < 0) {
        gf_err_set(err, GF_EINVAL, "redis_cluster_command", "EVALSHA: negative key count");
        return NULL;
    }
    int argc = 3 + nkeys + nargs;
    const char **argv = gf_xcalloc((size_t)argc, sizeof *argv);
    size_t *len = gf_xcalloc((size_t)argc, sizeof *len);
    char nk[16];
    snprintf(nk, sizeof nk, "%d", nkeys);
    argv[0] = "EVALSHA";
    len[0] = 7;
    argv[2] = nk;
    len[2] = strlen(nk);
    for (int i = 0; i < nkeys; i++) {
        argv[3 + i] = keys[i];
        len[3 + i] = keylens ? keylens[i] : strlen(keys[i]);
    }
    for (int i = 0; i < nargs; i++) {
        argv[3 + nkeys + i] = args[i];
        len[3 + nkeys + i] = arglens ? arglens[i] : strlen(args[i]);
    }
    redisReply *rep = NULL;
    int slot;
    if (gf_rc_cmd_slot(argc, argv, len, &slot, err) == 0) {
        int target = slot >= 0 ? c->slot_node[slot] : any_master(c);
        if (s->sha[0] == '\0' && (target < 0 || script_load_on(c, target, s, err) != 0)) {
            if (target < 0)
                gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                           "no Redis Cluster master serves slot %d", slot);
            goto out;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            argv[1] = s->sha;
            len[1] = 40;
            int used = -1;
            rep = run_slot(c, slot, argc, argv, len, &used, err);
            if (rep == NULL || !gf_rc_reply_is(rep, "NOSCRIPT") || attempt == 1)
                break;
            c->st.noscript++;
            freeReplyObject(rep);
            rep = NULL;
            if (script_load_on(c, used, s, err) != 0)
                break;
        }
    }
out:
    free(argv);
    free(len);
    return rep;
}

/* ---------------------------------------------------------------- pipelines */

static void argv_free(int argc, char **argv, size_t *len)
{
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    free(len);
}

typedef struct pipe_ent {
    int argc;
    char **argv;
    size_t *len;
    int slot;
} pipe_ent_t;

struct gf_rcluster_pipe {
    gf_rcluster_t *c;
    pipe_ent_t *e;
    size_t n, cap;
};

gf_rcluster_pipe_t *gf_rcluster_pipe_new(gf_rcluster_t *c)
{
    gf_rcluster_pipe_t *p = gf_xcalloc(1, sizeof *p);
    p->c = c;
    return p;
}

int gf_rcluster_pipe_add(gf_rcluster_pipe_t *p, int argc, const char **argv, const size_t *argvlen,
                         gf_err_t *err)
{
    int slot;
    if (gf_rc_cmd_slot(argc, argv, argvlen, &slot, err) != 0)
        return GF_EINVAL;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->e = gf_xrealloc(p->e, p->cap * sizeof *p->e);
    }
    pipe_ent_t *e = &p->e[p->n++];
    e->argc = argc;
    e->slot = slot;
    e->argv = gf_xmalloc((size_t)argc * sizeof *e->argv);
    e->len = gf_xmalloc((size_t)argc * sizeof *e->len);
    for (int i = 0; i < argc; i++) {
        e->argv[i] = gf_xmalloc(argvlen[i] + 1);
        memcpy(e->argv[i], argv[i], argvlen[i]);
        e->argv[i][argvlen[i]] = '\0';
        e->len[i] = argvlen[i];
    }
    return 0;
}

size_t gf_rcluster_pipe_len(const gf_rcluster_pipe_t *p)
{
    return p->n;
}

static void pipe_clear(gf_rcluster_pipe_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        argv_free(p->e[i].argc, p->e[i].argv, p->e[i].len);
    p->n = 0;
}

static bool is_redirect(const redisReply *r)
{
    return gf_rc_reply_is(r, "MOVED") || gf_rc_reply_is(r, "ASK") ||
           gf_rc_reply_is(r, "TRYAGAIN") || gf_rc_reply_is(r, "CLUSTERDOWN");
}

int gf_rcluster_pipe_exec(gf_rcluster_pipe_t *p, redisReply ***replies, gf_err_t *err)
{
    gf_rcluster_t *c = p->c;
    size_t n = p->n;
    redisReply **out = gf_xcalloc(n ? n : 1, sizeof *out);
    int *node = gf_xmalloc((n ? n : 1) * sizeof *node);
    bool *again = gf_xcalloc(n ? n : 1, sizeof *again);
    bool *sent = gf_xcalloc(n ? n : 1, sizeof *sent);
    /* per node: 1 = has entries in this batch, -1 = could not be reached (tried once) */
    signed char *state = gf_xcalloc(c->nnodes ? c->nnodes : 1, 1);
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        node[i] = p->e[i].slot >= 0 ? c->slot_node[p->e[i].slot] : any_master(c);
    /* Phase 1: append every entry to its node's output buffer. An entry whose node is unknown
     * or unreachable goes to phase 3 (run alone, with a map refresh). */
    for (size_t i = 0; i < n; i++) {
        if (node[i] < 0 || state[node[i]] < 0) {
            again[i] = true;
            continue;
        }
        gf_err_t e2 = {0};
        redisContext *ctx = node_conn(c, &c->nodes[node[i]], &e2);
        gf_err_cleanup(&e2);
        if (ctx == NULL || redisAppendCommandArgv(ctx, p->e[i].argc, (const char **)p->e[i].argv,
                                                  p->e[i].len) != REDIS_OK) {
            state[node[i]] = -1;
            again[i] = true;
            continue;
        }
        state[node[i]] = 1;
        sent[i] = true;
    }
    /* Send every node's batch before reading any reply, so the masters work in parallel. A
     * write error shows as a missing reply below. */
    for (size_t ni = 0; ni < c->nnodes; ni++) {
        int done = 0;
        while (state[ni] == 1 && c->nodes[ni].ctx != NULL && !done)
            if (redisBufferWrite(c->nodes[ni].ctx, &done) != REDIS_OK)
                break;
    }
    free(state);
    /* Phase 2: read the replies, node by node in entry order (each connection answers in
     * the order it was written). */
    for (size_t i = 0; i < n; i++) {
        if (!sent[i])
            continue;
        rc_node_t *nd = &c->nodes[node[i]];
        redisReply *r = NULL;
        if (nd->ctx == NULL || redisGetReply(nd->ctx, (void **)&r) != REDIS_OK || r == NULL) {
            if (rc == 0)
                rc = gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                                "Redis Cluster master %s:%d did not answer a pipeline; the "
                                "outcome of its entries is unknown",
                                nd->addr.host, nd->addr.port);
            node_drop(nd); /* later entries of this node find no context: no reply */
            continue;
        }
        if (is_redirect(r)) {
            freeReplyObject(r);
            again[i] = true;
            continue;
        }
        out[i] = r;
    }
    /* Phase 3: redirected or unsent entries, alone and in order. Once an entry of a node
     * that could not be reached failed again after a fresh map, the node's other entries
     * whose slots still point at it fail without another map refresh each. */
    size_t nn0 = c->nnodes;
    bool *gave_up = gf_xcalloc(nn0 ? nn0 : 1, sizeof *gave_up);
    for (size_t i = 0; i < n; i++) {
        if (!again[i])
            continue;
        int slot = p->e[i].slot;
        int ni = node[i];
        if (ni >= 0 && gave_up[ni] && slot >= 0 && c->slot_node[slot] == ni)
            continue; /* rc and err already say which master is unreachable */
        gf_err_t e2 = {0};
        out[i] = run_slot(c, slot, p->e[i].argc, (const char **)p->e[i].argv, p->e[i].len, NULL,
                          &e2);
        if (out[i] == NULL && !sent[i] && ni >= 0 && slot >= 0 && c->slot_node[slot] == ni &&
            e2.rc == GF_EUNAVAIL)
            gave_up[ni] = true;
        if (out[i] == NULL && rc == 0) {
            rc = GF_EUNAVAIL;
            if (err) {
                gf_err_cleanup(err);
                *err = e2;
                e2.details = NULL;
            }
        }
        gf_err_cleanup(&e2);
    }
    free(gave_up);
    free(node);
    free(again);
    free(sent);
    pipe_clear(p);
    *replies = out;
    return rc;
}

void gf_rcluster_replies_free(redisReply **replies, size_t n)
{
    if (replies == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        if (replies[i])
            freeReplyObject(replies[i]);
    free(replies);
}

void gf_rcluster_pipe_free(gf_rcluster_pipe_t *p)
{
    if (p == NULL)
        return;
    pipe_clear(p);
    free(p->e);
    free(p);
}

/* ---------------------------------------------------------------- readiness */

bool gf_rcluster_ready(gf_rcluster_t *c, char *why, size_t whylen)
{
    if (whylen)
        why[0] = '\0';
    for (int s = 0; s < GF_RC_SLOTS; s++)
        if (c->slot_node[s] < 0) {
            snprintf(why, whylen, "no Redis Cluster master serves slot %d", s);
            return false;
        }
    bool *asked = gf_xcalloc(c->nnodes ? c->nnodes : 1, sizeof *asked);
    bool ok = true;
    for (int s = 0; s < GF_RC_SLOTS && ok; s++) {
        int ni = c->slot_node[s];
        if (asked[ni])
            continue;
        asked[ni] = true;
        rc_node_t *nd = &c->nodes[ni];
        gf_err_t e = {0};
        redisContext *ctx = gf_redis_sync_ensure(&nd->ctx, nd->addr.host, nd->addr.port,
                                                 c->timeout_ms, &e);
        if (ctx == NULL) {
            ok = false;
            if (c->single)
                snprintf(why, whylen, "Redis at %s:%d does not answer: %s", nd->addr.host,
                         nd->addr.port, e.message);
            else
                snprintf(why, whylen,
                         "Redis Cluster master %s:%d (slot %d and others) does "
                         "not answer: %s",
                         nd->addr.host, nd->addr.port, s, e.message);
        }
        gf_err_cleanup(&e);
    }
    free(asked);
    return ok;
}

/* ---------------------------------------------------------------- one handle, two modes */

gf_redis_conf_t gf_redis_conf_from_cfg(const gf_cfg_t *cfg)
{
    gf_redis_conf_t rc = {
        .cluster = gf_cfg_str(cfg, "GF_REDIS_CLUSTER"),
        .host = gf_cfg_str(cfg, "GF_REDIS_HOST"),
        .port = (int)gf_cfg_int(cfg, "GF_REDIS_PORT"),
    };
    return rc;
}

gf_rcluster_t *gf_rcluster_new_single(const char *host, int port, int timeout_ms, gf_err_t *err)
{
    if (host == NULL || host[0] == '\0' || strlen(host) >= sizeof((gf_rc_addr_t *)NULL)->host ||
        port < 1 || port > 65535) {
        gf_err_set(err, GF_EINVAL, "invalid_config",
                   "GF_REDIS_HOST/GF_REDIS_PORT \"%.80s:%d\" is invalid (expected a host and a "
                   "port in 1-65535)",
                   host ? host : "", port);
        return NULL;
    }
    gf_rcluster_t *c = gf_xcalloc(1, sizeof *c);
    c->single = true;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
    snprintf(c->seeds[0].host, sizeof c->seeds[0].host, "%s", host);
    c->seeds[0].port = port;
    c->nseeds = 1;
    (void)node_index(c, host, port); /* node 0 */
    for (int s = 0; s < GF_RC_SLOTS; s++)
        c->slot_node[s] = 0;
    if (gf_redis_sync_ensure(&c->nodes[0].ctx, host, port, c->timeout_ms, err) == NULL) {
        gf_rcluster_free(c);
        return NULL;
    }
    return c;
}

gf_rcluster_t *gf_rcluster_open(const gf_redis_conf_t *conf, int timeout_ms, gf_err_t *err)
{
    if (conf->cluster != NULL && conf->cluster[0] != '\0')
        return gf_rcluster_new(conf->cluster, timeout_ms, err);
    return gf_rcluster_new_single(conf->host, conf->port, timeout_ms, err);
}

bool gf_rcluster_is_cluster(const gf_rcluster_t *c)
{
    return !c->single;
}

int gf_rcluster_ensure(gf_rcluster_t *c, gf_err_t *err)
{
    if (c->single)
        return gf_redis_sync_ensure(&c->nodes[0].ctx, c->nodes[0].addr.host, c->nodes[0].addr.port,
                                    c->timeout_ms, err) != NULL
                   ? 0
                   : GF_EUNAVAIL;
    bool *master = gf_xcalloc(c->nnodes ? c->nnodes : 1, sizeof *master);
    for (int s = 0; s < GF_RC_SLOTS; s++)
        if (c->slot_node[s] >= 0)
            master[c->slot_node[s]] = true;
    for (size_t i = 0; i < c->nnodes; i++) {
        rc_node_t *nd = &c->nodes[i];
        if (!master[i]) { /* left the map: its connection is of no use */
            node_drop(nd);
            continue;
        }
        if (nd->ctx == NULL)
            continue; /* made on first use */
        /* A master that does not answer now fails its own slots' commands (naming it); the
         * others keep serving, so this is not an error of the handle. */
        gf_err_t e = {0};
        (void)gf_redis_sync_ensure(&nd->ctx, nd->addr.host, nd->addr.port, c->timeout_ms, &e);
        gf_err_cleanup(&e);
    }
    free(master);
    return 0;
}

gf_rcluster_t *gf_rcluster_worker(struct gf_pool_worker *w, const gf_redis_conf_t *conf,
                                  int timeout_ms, gf_err_t *err)
{
    gf_rcluster_t *c = w->local;
    if (c == NULL) {
        c = gf_rcluster_open(conf, timeout_ms, err);
        w->local = c;
        return c;
    }
    return gf_rcluster_ensure(c, err) == 0 ? c : NULL;
}

void gf_rcluster_local_free(void *local)
{
    gf_rcluster_free(local);
}

/* The index (into nodes) of the i-th distinct master in slot order; -1 past the last. */
static int nth_master(const gf_rcluster_t *c, int i)
{
    int seen = 0, last = -1;
    bool *done = gf_xcalloc(c->nnodes ? c->nnodes : 1, sizeof *done);
    int found = -1;
    for (int s = 0; s < GF_RC_SLOTS && found < 0; s++) {
        int ni = c->slot_node[s];
        if (ni < 0 || ni == last || done[ni])
            continue;
        last = ni;
        done[ni] = true;
        if (seen++ == i)
            found = ni;
    }
    free(done);
    return found;
}

int gf_rcluster_master_count(const gf_rcluster_t *c)
{
    int n = 0;
    while (nth_master(c, n) >= 0)
        n++;
    return n;
}

redisReply *gf_rcluster_master_cmd_argv(gf_rcluster_t *c, int i, int argc, const char **argv,
                                        const size_t *argvlen, gf_err_t *err)
{
    int ni = nth_master(c, i);
    if (ni < 0 || argc < 1) {
        gf_err_set(err, GF_EINVAL, "redis_cluster_command",
                   "there is no master %d (the map has %d) or the command is empty", i,
                   gf_rcluster_master_count(c));
        return NULL;
    }
    rc_node_t *nd = &c->nodes[ni];
    redisContext *ctx = node_conn(c, nd, err);
    if (ctx == NULL)
        return NULL;
    redisReply *rep = redisCommandArgv(ctx, argc, argv, argvlen);
    if (rep == NULL) {
        gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                   "Redis node %s:%d did not answer; the outcome is unknown", nd->addr.host,
                   nd->addr.port);
        node_drop(nd);
    }
    return rep;
}

redisContext *gf_rcluster_slot_conn(gf_rcluster_t *c, int slot, gf_err_t *err)
{
    if (slot < 0 || slot >= GF_RC_SLOTS) {
        gf_err_set(err, GF_EINVAL, "redis_cluster_command", "slot %d is not in 0-16383", slot);
        return NULL;
    }
    if (c->slot_node[slot] < 0) {
        gf_err_t e2 = {0};
        (void)gf_rcluster_refresh(c, &e2);
        gf_err_cleanup(&e2);
    }
    int ni = c->slot_node[slot];
    if (ni < 0) {
        gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "no Redis Cluster master serves slot %d",
                   slot);
        return NULL;
    }
    return node_conn(c, &c->nodes[ni], err);
}

const gf_rc_addr_t *gf_rcluster_master_addr(const gf_rcluster_t *c, int i)
{
    int ni = nth_master(c, i);
    return ni < 0 ? NULL : &c->nodes[ni].addr;
}
