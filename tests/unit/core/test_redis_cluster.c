/* Unit tests for the Redis Cluster side of libs/core/src/redis.c (the async gf_redis_t on
 * libevent) against a real 3-master cluster (tests/unit/support/rcluster_fixture.h): the
 * slot map loaded from the seeds, commands on every master through the unchanged
 * gf_redis_cmd / gf_redis_cmd_argv, CROSSSLOT and unknown commands refused before anything
 * is sent, SCRIPT LOAD on every master and EVALSHA reloaded after NOSCRIPT, MOVED after a
 * slot moved, ASK during a migration, a live `redis-cli --cluster reshard` during a stream
 * of async writes (every acknowledged write found exactly once), and a stopped master (its
 * slots refused at once with GF_EUNAVAIL, the other slots served, not ready, named). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rcluster.h"
#include "core/redis.h"
#include "core/util.h"

#include "../support/rcluster_fixture.h"

static gf_test_rcluster_t cl;
static struct event_base *base;
static gf_redis_t *ar;    /* the async client under test */
static gf_rcluster_t *rc; /* a blocking client, to look behind it */

/* Run the loop until *done or ms passed: true when done. */
static bool run_until(const int *done, int target, int ms)
{
    double t0 = gf_now_mono();
    while (*done < target && (gf_now_mono() - t0) * 1000 < ms) {
        struct timeval tv = {0, 20000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    return *done >= target;
}

static bool wait_ready(bool want, int ms)
{
    double t0 = gf_now_mono();
    while (gf_redis_ready(ar) != want && (gf_now_mono() - t0) * 1000 < ms) {
        struct timeval tv = {0, 20000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    return gf_redis_ready(ar) == want;
}

/* One reply, copied out of the callback. */
typedef struct got {
    int done;
    int type;
    long long integer;
    char str[128];
    bool null;
} got_t;

static void on_got(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    got_t *g = priv;
    const redisReply *r = reply;
    g->null = r == NULL;
    if (r != NULL) {
        g->type = r->type;
        g->integer = r->integer;
        if (r->str)
            snprintf(g->str, sizeof g->str, "%s", r->str);
    }
    g->done++;
}

static int state_changes;
static void on_state(bool ready, void *arg)
{
    (void)ready;
    (void)arg;
    state_changes++;
}

static int group_setup(void **state)
{
    (void)state;
    if (gf_test_rcluster_start(&cl) != 0)
        return -1;
    base = event_base_new();
    gf_err_t err = {0};
    gf_redis_conf_t conf = {.cluster = cl.seeds, .host = "127.0.0.1", .port = 1};
    ar = gf_redis_new_conf(base, &conf, &err);
    rc = gf_rcluster_new(cl.seeds, 3000, &err);
    if (ar == NULL || rc == NULL)
        fprintf(stderr, "setup: %s\n", err.message);
    gf_err_cleanup(&err);
    if (ar == NULL || rc == NULL)
        return -1;
    gf_redis_on_state(ar, on_state, NULL);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    gf_redis_free(ar);
    gf_rcluster_free(rc);
    event_base_free(base);
    gf_test_rcluster_stop(&cl);
    return 0;
}

static void test_ready_and_every_master(void **state)
{
    (void)state;
    assert_true(gf_redis_is_cluster(ar));
    assert_true(wait_ready(true, 10000));
    assert_true(gf_redis_usable(ar));
    assert_true(state_changes >= 1);
    char why[256];
    gf_redis_why(ar, why, sizeof why);
    assert_string_equal(why, "");
    /* 300 keys over all three masters, half with the printf form, half with argv. */
    enum { N = 300 };
    static got_t g[N];
    memset(g, 0, sizeof g);
    for (int i = 0; i < N; i++) {
        char k[32], v[16];
        snprintf(k, sizeof k, "ev:{%d}", i);
        snprintf(v, sizeof v, "%d", i * 7);
        if (i % 2)
            assert_int_equal(gf_redis_cmd(ar, on_got, &g[i], "SET %s %s", k, v), 0);
        else {
            const char *argv[] = {"SET", k, v};
            assert_int_equal(gf_redis_cmd_argv(ar, on_got, &g[i], 3, argv, NULL), 0);
        }
    }
    for (int i = 0; i < N; i++) {
        assert_true(run_until(&g[i].done, 1, 5000));
        assert_string_equal(g[i].str, "OK");
    }
    int per_node[GF_TEST_RC_NODES] = {0};
    gf_err_t err = {0};
    for (int i = 0; i < N; i++) {
        char k[32], v[16];
        snprintf(k, sizeof k, "ev:{%d}", i);
        snprintf(v, sizeof v, "%d", i * 7);
        redisReply *r = gf_rcluster_cmd(rc, &err, "GET %s", k);
        assert_non_null(r);
        assert_string_equal(r->str, v);
        freeReplyObject(r);
        per_node[gf_test_rcluster_owner(&cl, 0, gf_rc_slot(k, strlen(k)))]++;
    }
    for (int n = 0; n < GF_TEST_RC_NODES; n++)
        assert_true(per_node[n] > 0);
    /* A keyless command goes to some master. */
    got_t p = {0};
    assert_int_equal(gf_redis_cmd(ar, on_got, &p, "PING"), 0);
    assert_true(run_until(&p.done, 1, 5000));
    assert_string_equal(p.str, "PONG");
}

static void test_crossslot_refused(void **state)
{
    (void)state;
    got_t g = {0};
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "MSET %s 1 %s 2", "x:{a}", "x:{b}"), GF_EINVAL);
    const char *argv[] = {"EVAL", "return 1", "2", "x:{a}", "x:{b}"};
    assert_int_equal(gf_redis_cmd_argv(ar, on_got, &g, 5, argv, NULL), GF_EINVAL);
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "KEYS *"), GF_EINVAL);
    int zero = 0;
    (void)run_until(&zero, 1, 200);
    assert_int_equal(g.done, 0); /* callbacks are not called for a refused command */
    gf_err_t err = {0};
    redisReply *r = gf_rcluster_cmd(rc, &err, "EXISTS %s", "x:{a}");
    assert_non_null(r);
    assert_int_equal(r->integer, 0); /* nothing was written */
    freeReplyObject(r);
    /* One tag: fine. */
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "MSET %s 1 %s 2", "x:{a}:1", "x:{a}:2"), 0);
    assert_true(run_until(&g.done, 1, 5000));
    assert_string_equal(g.str, "OK");
}

static void test_scripts_on_every_master(void **state)
{
    (void)state;
    const char *body = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    got_t l = {0};
    const char *load[] = {"SCRIPT", "LOAD", body};
    assert_int_equal(gf_redis_cmd_argv(ar, on_got, &l, 3, load, NULL), 0);
    assert_true(run_until(&l.done, 1, 5000));
    assert_int_equal(l.type, REDIS_REPLY_STRING);
    assert_int_equal(strlen(l.str), 40);
    char sha[41];
    snprintf(sha, sizeof sha, "%.40s", l.str);
    /* Loaded on every master: each one knows it. */
    for (int n = 0; n < GF_TEST_RC_NODES; n++) {
        redisContext *c = gf_test_rcluster_node(&cl, n);
        redisReply *r = redisCommand(c, "SCRIPT EXISTS %s", sha);
        assert_int_equal(r->element[0]->integer, 1);
        freeReplyObject(r);
        redisFree(c);
    }
    enum { N = 30 };
    got_t g[N];
    memset(g, 0, sizeof g);
    for (int i = 0; i < N; i++) {
        char k[32];
        snprintf(k, sizeof k, "sc:{%d}", i);
        const char *argv[] = {"EVALSHA", sha, "1", k, "4"};
        assert_int_equal(gf_redis_cmd_argv(ar, on_got, &g[i], 5, argv, NULL), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_true(run_until(&g[i].done, 1, 5000));
        assert_int_equal(g[i].integer, 4);
    }
    /* The masters lose their scripts (as after a restart): NOSCRIPT -> loaded there again ->
     * the EVALSHA sent once more; the caller sees only the answer. */
    for (int n = 0; n < GF_TEST_RC_NODES; n++)
        assert_int_equal(gf_test_rcluster_ok(&cl, n, "SCRIPT FLUSH"), 0);
    unsigned long before = gf_redis_stats(ar).noscript;
    memset(g, 0, sizeof g);
    for (int i = 0; i < N; i++) {
        char k[32];
        snprintf(k, sizeof k, "sc:{%d}", i);
        const char *argv[] = {"EVALSHA", sha, "1", k, "1"};
        assert_int_equal(gf_redis_cmd_argv(ar, on_got, &g[i], 5, argv, NULL), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_true(run_until(&g[i].done, 1, 5000));
        assert_int_equal(g[i].type, REDIS_REPLY_INTEGER);
        assert_int_equal(g[i].integer, 5);
    }
    assert_true(gf_redis_stats(ar).noscript > before);
    assert_true(gf_redis_stats(ar).noscript <= before + N);
}

static void test_moved(void **state)
{
    (void)state;
    char key[32];
    gf_test_rcluster_key_for_slot(300, "amv:", key, sizeof key);
    got_t g = {0};
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "SET %s before", key), 0);
    assert_true(run_until(&g.done, 1, 5000));
    int from = gf_test_rcluster_owner(&cl, 0, 300);
    int to = (from + 1) % GF_TEST_RC_NODES;
    assert_int_equal(gf_test_rcluster_move_slot(&cl, 300, from, to), 0);
    unsigned long moved = gf_redis_stats(ar).moved, refreshes = gf_redis_stats(ar).refreshes;
    memset(&g, 0, sizeof g);
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "GET %s", key), 0);
    assert_true(run_until(&g.done, 1, 5000));
    assert_false(g.null);
    assert_string_equal(g.str, "before");
    /* Followed by MOVED, unless a periodic map refresh happened to come first. */
    assert_true(gf_redis_stats(ar).moved == moved + 1 || gf_redis_stats(ar).refreshes > refreshes);
    /* A write after the move lands on the new owner only. */
    memset(&g, 0, sizeof g);
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "SET %s after", key), 0);
    assert_true(run_until(&g.done, 1, 5000));
    redisContext *t = gf_test_rcluster_node(&cl, to);
    redisReply *r = redisCommand(t, "GET %s", key);
    assert_string_equal(r->str, "after");
    freeReplyObject(r);
    redisFree(t);
}

static void test_ask(void **state)
{
    (void)state;
    const int slot = 400;
    char k1[32], k2[32];
    gf_test_rcluster_key_for_slot(slot, "aask1:", k1, sizeof k1);
    gf_test_rcluster_key_for_slot(slot, "aask2:", k2, sizeof k2);
    got_t g = {0};
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "SET %s one", k1), 0);
    assert_true(run_until(&g.done, 1, 5000));
    int from = gf_test_rcluster_owner(&cl, 0, slot);
    int to = (from + 1) % GF_TEST_RC_NODES;
    assert_int_equal(gf_test_rcluster_ok(&cl, to, "CLUSTER SETSLOT %d IMPORTING %s", slot,
                                         cl.id[from]),
                     0);
    assert_int_equal(gf_test_rcluster_ok(&cl, from, "CLUSTER SETSLOT %d MIGRATING %s", slot,
                                         cl.id[to]),
                     0);
    assert_int_equal(gf_test_rcluster_ok(&cl, from, "MIGRATE 127.0.0.1 %d %s 0 5000",
                                         cl.node[to].port, k1),
                     0);
    unsigned long ask = gf_redis_stats(ar).ask;
    memset(&g, 0, sizeof g);
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "GET %s", k1), 0); /* left the source */
    assert_true(run_until(&g.done, 1, 5000));
    assert_string_equal(g.str, "one");
    memset(&g, 0, sizeof g);
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "SET %s two", k2), 0); /* new key */
    assert_true(run_until(&g.done, 1, 5000));
    assert_string_equal(g.str, "OK");
    assert_int_equal(gf_redis_stats(ar).ask, ask + 2);
    redisContext *t = gf_test_rcluster_node(&cl, to);
    redisReply *a = redisCommand(t, "ASKING");
    freeReplyObject(a);
    a = redisCommand(t, "GET %s", k2);
    assert_string_equal(a->str, "two"); /* created on the target */
    freeReplyObject(a);
    redisFree(t);
    assert_int_equal(gf_test_rcluster_move_slot(&cl, slot, from, to), 0);
}

/* A stream of async INCRs of fresh keys while `redis-cli --cluster reshard` moves 600 slots. */
static int *g_acked, g_answered, g_failed;

static void on_incr(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    const redisReply *r = reply;
    intptr_t i = (intptr_t)priv;
    if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1)
        g_acked[i] = 1;
    else
        g_failed++;
    g_answered++;
}

static void test_reshard_during_writes(void **state)
{
    (void)state;
    enum { MAXW = 200000, WINDOW = 200 };
    g_acked = calloc(MAXW, sizeof *g_acked);
    assert_non_null(g_acked);
    g_answered = g_failed = 0;
    gf_rcluster_stats_t before = gf_redis_stats(ar);
    pid_t pid = gf_test_rcluster_reshard_spawn(&cl, 0, 2, 600);
    assert_true(pid > 0);
    int n = 0, during = 0, refused = 0, exit_code = -2;
    double t0 = gf_now_mono();
    while (n < MAXW && gf_now_mono() - t0 < 120) {
        int st;
        if (exit_code == -2 && waitpid(pid, &st, WNOHANG) == pid)
            exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (exit_code != -2 && n >= during + 2000)
            break;
        if (exit_code == -2)
            during = n;
        /* keep at most WINDOW in flight */
        while (n - g_answered < WINDOW && n < MAXW) {
            char k[24];
            snprintf(k, sizeof k, "aw:%d", n);
            const char *argv[] = {"INCR", k};
            if (gf_redis_cmd_argv(ar, on_incr, (void *)(intptr_t)n, 2, argv, NULL) != 0)
                refused++; /* not sent, not acknowledged */
            else
                n++;
            if (refused > 1000)
                break;
        }
        struct timeval tv = {0, 2000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    assert_true(run_until(&g_answered, n, 20000));
    if (exit_code == -2)
        exit_code = gf_test_rcluster_wait_child(pid, 60);
    assert_int_equal(exit_code, 0);
    gf_rcluster_stats_t after = gf_redis_stats(ar);
    print_message("async, reshard of 600 slots: %d writes (%d while it ran), %d not "
                  "acknowledged, %d refused, %lu MOVED, %lu ASK, %lu TRYAGAIN\n",
                  n, during, g_failed, refused, after.moved - before.moved, after.ask - before.ask,
                  after.tryagain - before.tryagain);
    assert_true(during >= 500);
    assert_true(after.moved + after.ask > before.moved + before.ask);
    assert_int_equal(g_failed, 0);
    assert_int_equal(refused, 0);
    redisContext *node[GF_TEST_RC_NODES];
    for (int i = 0; i < GF_TEST_RC_NODES; i++)
        node[i] = gf_test_rcluster_node(&cl, i);
    for (int b = 0; b < n; b += 1000) {
        int end = b + 1000 < n ? b + 1000 : n;
        int count[1000] = {0};
        for (int i = 0; i < GF_TEST_RC_NODES; i++) {
            for (int k = b; k < end; k++)
                redisAppendCommand(node[i], "GET aw:%d", k);
            for (int k = b; k < end; k++) {
                redisReply *r = NULL;
                assert_int_equal(redisGetReply(node[i], (void **)&r), REDIS_OK);
                if (r->type == REDIS_REPLY_STRING) {
                    assert_string_equal(r->str, "1");
                    count[k - b]++;
                }
                freeReplyObject(r);
            }
        }
        for (int k = b; k < end; k++)
            if (g_acked[k] && count[k - b] != 1)
                fail_msg("acknowledged write aw:%d found %d times", k, count[k - b]);
    }
    for (int i = 0; i < GF_TEST_RC_NODES; i++)
        redisFree(node[i]);
    free(g_acked);
    assert_true(wait_ready(true, 5000));
}

/* Last: it stops a master. */
static void test_killed_master(void **state)
{
    (void)state;
    assert_true(wait_ready(true, 5000));
    int dead = 1, port = cl.node[dead].port;
    int dslot = -1, lslot = -1;
    for (int s = 0; s < GF_RC_SLOTS && (dslot < 0 || lslot < 0); s += 51) {
        int o = gf_test_rcluster_owner(&cl, 0, s);
        if (o == dead && dslot < 0)
            dslot = s;
        if (o != dead && lslot < 0)
            lslot = s;
    }
    assert_true(dslot >= 0 && lslot >= 0);
    char dk[32], lk[32];
    gf_test_rcluster_key_for_slot(dslot, "akd:", dk, sizeof dk);
    gf_test_rcluster_key_for_slot(lslot, "akl:", lk, sizeof lk);
    gf_test_redis_stop(&cl.node[dead]);
    assert_true(wait_ready(false, 5000));
    char why[256], portstr[16];
    gf_redis_why(ar, why, sizeof why);
    snprintf(portstr, sizeof portstr, ":%d", port);
    assert_non_null(strstr(why, portstr));

    got_t g = {0};
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "SET %s x", dk), GF_EUNAVAIL);
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "SET %s y", lk), 0); /* others serve */
    assert_true(run_until(&g.done, 1, 5000));
    assert_string_equal(g.str, "OK");
    /* ... and keep doing so across map refreshes (several ping periods). */
    int tick = 0;
    (void)run_until(&tick, 1, 4500);
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "SET %s x", dk), GF_EUNAVAIL);
    assert_int_equal(gf_redis_cmd(ar, on_got, &g, "GET %s", lk), 0);
    assert_true(run_until(&g.done, 2, 5000));
    assert_string_equal(g.str, "y");
    assert_false(gf_redis_ready(ar));
    /* not ready, yet worth sending to: the write paths check this, not readiness */
    assert_true(gf_redis_usable(ar));
}

int main(void)
{
    alarm(600);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_and_every_master),
        cmocka_unit_test(test_crossslot_refused),
        cmocka_unit_test(test_scripts_on_every_master),
        cmocka_unit_test(test_moved),
        cmocka_unit_test(test_ask),
        cmocka_unit_test(test_reshard_during_writes),
        cmocka_unit_test(test_killed_master),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
