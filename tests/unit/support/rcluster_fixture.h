/*
 * rcluster_fixture.h - a private 3-master Redis Cluster for one test binary (header-only,
 * test code; include it from a test under tests/unit/<dir>/ as "../support/rcluster_fixture.h").
 *
 * gf_test_rcluster_start() starts three /usr/bin/redis-server processes with
 * `cluster-enabled yes` on free loopback ports (each with its cluster bus port, +10000, free
 * too), each in a fresh temp dir holding its `cluster-config-file`, joins them with
 * `redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes`, and waits until every
 * node says cluster_state:ok and sees three masters. `cluster-require-full-coverage no`: the
 * masters left keep serving their slots when one is stopped. gf_test_rcluster_stop() stops
 * each server by its PID and removes its dir (the single-server fixture's stop and atexit
 * safety net are reused, so a failed assertion leaves nothing running). Every wait is bounded.
 *
 * Helpers for slot movement: gf_test_rcluster_move_slot (the manual IMPORTING/MIGRATING +
 * MIGRATE + SETSLOT NODE sequence) and gf_test_rcluster_reshard_spawn (a background
 * `redis-cli --cluster reshard`, waited for with gf_test_rcluster_wait_child).
 */
#ifndef GF_TEST_RCLUSTER_FIXTURE_H
#define GF_TEST_RCLUSTER_FIXTURE_H

#include <stdarg.h>

#include "core/rcluster.h"

#include "redis_fixture.h"

#define GF_TEST_RC_NODES 3

typedef struct gf_test_rcluster {
    gf_test_redis_t node[GF_TEST_RC_NODES];
    char id[GF_TEST_RC_NODES][41]; /* CLUSTER MYID of each node */
    char seeds[128];               /* "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3" */
} gf_test_rcluster_t;

static inline void gf_test_rcluster_stop(gf_test_rcluster_t *cl)
{
    for (int i = 0; i < GF_TEST_RC_NODES; i++)
        gf_test_redis_stop(&cl->node[i]);
}

/* Start argv (a redis-cli) with its output to log (or /dev/null): its PID, or -1. */
static inline pid_t gf_test_rcluster_spawn(char *const argv[], const char *log)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        gf_test_child_setup(parent, log);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Wait up to timeout_s for a child: its exit status, or -1 (killed by us after the timeout,
 * or not started). */
static inline int gf_test_rcluster_wait_child(pid_t pid, int timeout_s)
{
    if (pid <= 0)
        return -1;
    int st;
    for (int i = 0; i < timeout_s * 100; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

static inline redisContext *gf_test_rcluster_node(const gf_test_rcluster_t *cl, int i)
{
    return gf_test_redis_connect(&cl->node[i]);
}

/* A command on node i whose reply must not be an error: 0, or -1 (with a line on stderr). */
static inline int gf_test_rcluster_ok(const gf_test_rcluster_t *cl, int i, const char *fmt, ...)
{
    redisContext *c = gf_test_rcluster_node(cl, i);
    if (c == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    int ok = r != NULL && r->type != REDIS_REPLY_ERROR;
    if (!ok)
        fprintf(stderr, "node %d: %s\n", i, r ? r->str : c->errstr);
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return ok ? 0 : -1;
}

/* A key "<prefix><n>" whose slot is `slot`. */
static inline void gf_test_rcluster_key_for_slot(int slot, const char *prefix, char *out,
                                                 size_t outlen)
{
    for (unsigned n = 0;; n++) {
        snprintf(out, outlen, "%s%u", prefix, n);
        if (gf_rc_slot(out, strlen(out)) == slot)
            return;
    }
}

/* Index of the node that owns slot per node `ask`'s CLUSTER SLOTS; -1 if none. */
static inline int gf_test_rcluster_owner(const gf_test_rcluster_t *cl, int ask, int slot)
{
    redisContext *c = gf_test_rcluster_node(cl, ask);
    if (c == NULL)
        return -1;
    redisReply *r = redisCommand(c, "CLUSTER SLOTS");
    int owner = -1;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *e = r->element[i];
        if (e->element[0]->integer <= slot && slot <= e->element[1]->integer)
            for (int n = 0; n < GF_TEST_RC_NODES; n++)
                if (cl->node[n].port == e->element[2]->element[1]->integer)
                    owner = n;
    }
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return owner;
}

/* Every node reports cluster_state:ok and lists 3 masters with slots. */
static inline int gf_test_rcluster_settled(const gf_test_rcluster_t *cl)
{
    for (int i = 0; i < GF_TEST_RC_NODES; i++) {
        redisContext *c = gf_test_rcluster_node(cl, i);
        if (c == NULL)
            return 0;
        redisReply *info = redisCommand(c, "CLUSTER INFO");
        redisReply *slots = redisCommand(c, "CLUSTER SLOTS");
        int ok = info && info->type == REDIS_REPLY_STRING &&
                 strstr(info->str, "cluster_state:ok") != NULL && slots &&
                 slots->type == REDIS_REPLY_ARRAY && slots->elements >= GF_TEST_RC_NODES;
        if (info)
            freeReplyObject(info);
        if (slots)
            freeReplyObject(slots);
        redisFree(c);
        if (!ok)
            return 0;
    }
    return 1;
}

static inline int gf_test_rcluster_start_node(gf_test_redis_t *r)
{
    /* cluster-config-file is relative to --dir (the node's own temp dir). */
    static const char *const extra[] = {"--cluster-enabled",
                                        "yes",
                                        "--cluster-config-file",
                                        "nodes.conf",
                                        "--cluster-node-timeout",
                                        "2000",
                                        "--cluster-require-full-coverage",
                                        "no",
                                        NULL};
    return gf_test_redis_start_ex(r, extra, 1);
}

/* 0 when the cluster serves all 16384 slots on 3 masters; -1 (everything stopped) otherwise. */
static inline int gf_test_rcluster_start(gf_test_rcluster_t *cl)
{
    memset(cl, 0, sizeof *cl);
    for (int i = 0; i < GF_TEST_RC_NODES; i++)
        if (gf_test_rcluster_start_node(&cl->node[i]) != 0) {
            fprintf(stderr, "cannot start cluster node %d\n", i);
            goto fail;
        }
    char addr[GF_TEST_RC_NODES][32];
    char *argv[16];
    int a = 0;
    argv[a++] = "/usr/bin/redis-cli";
    argv[a++] = "--cluster";
    argv[a++] = "create";
    for (int i = 0; i < GF_TEST_RC_NODES; i++) {
        snprintf(addr[i], sizeof addr[i], "127.0.0.1:%d", cl->node[i].port);
        argv[a++] = addr[i];
    }
    argv[a++] = "--cluster-replicas";
    argv[a++] = "0";
    argv[a++] = "--cluster-yes";
    argv[a] = NULL;
    char log[128];
    snprintf(log, sizeof log, "%s/create.log", cl->node[0].dir);
    if (gf_test_rcluster_wait_child(gf_test_rcluster_spawn(argv, log), 60) != 0) {
        fprintf(stderr, "redis-cli --cluster create failed (see %s)\n", log);
        goto fail;
    }
    int settled = 0;
    for (int i = 0; i < 500 && !settled; i++) { /* up to ~10 s */
        settled = gf_test_rcluster_settled(cl);
        if (!settled)
            usleep(20000);
    }
    if (!settled) {
        fprintf(stderr, "the cluster did not settle\n");
        goto fail;
    }
    for (int i = 0; i < GF_TEST_RC_NODES; i++) {
        redisContext *c = gf_test_rcluster_node(cl, i);
        redisReply *r = c ? redisCommand(c, "CLUSTER MYID") : NULL;
        int ok = r && r->type == REDIS_REPLY_STRING && r->len == 40;
        if (ok)
            memcpy(cl->id[i], r->str, 41);
        if (r)
            freeReplyObject(r);
        if (c)
            redisFree(c);
        if (!ok)
            goto fail;
    }
    snprintf(cl->seeds, sizeof cl->seeds, "%s,%s,%s", addr[0], addr[1], addr[2]);
    return 0;
fail:
    gf_test_rcluster_stop(cl);
    return -1;
}

/* Move one slot (and its keys) from node `from` to node `to` by hand, as redis-cli does:
 * IMPORTING on the target, MIGRATING on the source, MIGRATE the keys in batches, then
 * SETSLOT NODE everywhere. 0 or -1. */
static inline int gf_test_rcluster_move_slot(const gf_test_rcluster_t *cl, int slot, int from,
                                             int to)
{
    if (gf_test_rcluster_ok(cl, to, "CLUSTER SETSLOT %d IMPORTING %s", slot, cl->id[from]) ||
        gf_test_rcluster_ok(cl, from, "CLUSTER SETSLOT %d MIGRATING %s", slot, cl->id[to]))
        return -1;
    redisContext *c = gf_test_rcluster_node(cl, from);
    if (c == NULL)
        return -1;
    int rc = 0;
    for (int round = 0; round < 10000; round++) {
        redisReply *keys = redisCommand(c, "CLUSTER GETKEYSINSLOT %d 50", slot);
        if (keys == NULL || keys->type != REDIS_REPLY_ARRAY) {
            rc = -1;
            if (keys)
                freeReplyObject(keys);
            break;
        }
        size_t nk = keys->elements;
        if (nk == 0) {
            freeReplyObject(keys);
            break;
        }
        const char **argv = calloc(nk + 8, sizeof *argv);
        size_t *len = calloc(nk + 8, sizeof *len);
        char port[16];
        snprintf(port, sizeof port, "%d", cl->node[to].port);
        const char *head[] = {"MIGRATE", "127.0.0.1", port, "", "0", "5000", "KEYS"};
        int argc = 0;
        for (int i = 0; i < 7; i++, argc++) {
            argv[argc] = head[i];
            len[argc] = strlen(head[i]);
        }
        for (size_t i = 0; i < nk; i++, argc++) {
            argv[argc] = keys->element[i]->str;
            len[argc] = keys->element[i]->len;
        }
        redisReply *m = redisCommandArgv(c, argc, argv, len);
        if (m == NULL || m->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "MIGRATE: %s\n", m ? m->str : c->errstr);
            rc = -1;
        }
        if (m)
            freeReplyObject(m);
        free(argv);
        free(len);
        freeReplyObject(keys);
        if (rc != 0)
            break;
    }
    redisFree(c);
    if (rc != 0)
        return -1;
    /* The target first, then the source, then the others (as redis-cli orders it). */
    if (gf_test_rcluster_ok(cl, to, "CLUSTER SETSLOT %d NODE %s", slot, cl->id[to]) ||
        gf_test_rcluster_ok(cl, from, "CLUSTER SETSLOT %d NODE %s", slot, cl->id[to]))
        return -1;
    for (int i = 0; i < GF_TEST_RC_NODES; i++)
        if (i != from && i != to &&
            gf_test_rcluster_ok(cl, i, "CLUSTER SETSLOT %d NODE %s", slot, cl->id[to]))
            return -1;
    return 0;
}

/* Start `redis-cli --cluster reshard` of nslots slots from node `from` to node `to` in the
 * background; its PID (wait with gf_test_rcluster_wait_child) or -1. Output goes to
 * <node 0 dir>/reshard.log. */
static inline pid_t gf_test_rcluster_reshard_spawn(const gf_test_rcluster_t *cl, int from, int to,
                                                   int nslots)
{
    static char addr[32], n[16], log[128];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", cl->node[from].port);
    snprintf(n, sizeof n, "%d", nslots);
    snprintf(log, sizeof log, "%s/reshard.log", cl->node[0].dir);
    char *argv[] = {"/usr/bin/redis-cli",
                    "--cluster",
                    "reshard",
                    addr,
                    "--cluster-from",
                    (char *)cl->id[from],
                    "--cluster-to",
                    (char *)cl->id[to],
                    "--cluster-slots",
                    n,
                    "--cluster-yes",
                    NULL};
    return gf_test_rcluster_spawn(argv, log);
}

#endif
