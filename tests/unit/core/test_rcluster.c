/* Unit tests for libs/core/src/rcluster.c against a real 3-master Redis Cluster (started by
 * tests/unit/support/rcluster_fixture.h on free loopback ports): key slots (spec vectors and
 * CLUSTER KEYSLOT), seed and CLUSTER SLOTS parsing, reads and writes on every slot, pipelines
 * in caller order, scripts on one hash tag, CROSSSLOT refused locally, MOVED after a slot
 * moved, ASK during a migration, a live `redis-cli --cluster reshard` during a stream of
 * writes (every acknowledged write found exactly once), and a stopped master. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "core/rcluster.h"
#include "core/redis.h"
#include "core/util.h"

#include "../support/rcluster_fixture.h"

static gf_test_rcluster_t cl;
static gf_rcluster_t *rc;

static int group_setup(void **state)
{
    (void)state;
    if (gf_test_rcluster_start(&cl) != 0)
        return -1;
    gf_err_t err = {0};
    rc = gf_rcluster_new(cl.seeds, 3000, &err);
    if (rc == NULL)
        fprintf(stderr, "gf_rcluster_new: %s\n", err.message);
    gf_err_cleanup(&err);
    return rc == NULL;
}

static int group_teardown(void **state)
{
    (void)state;
    gf_rcluster_free(rc);
    gf_test_rcluster_stop(&cl);
    return 0;
}

/* ------------------------------------------------------------------ slots */

static void test_slot_vectors(void **state)
{
    (void)state;
    /* Redis Cluster spec: CRC16 XMODEM check value and the slot of "123456789". */
    assert_int_equal(gf_rc_crc16("123456789", 9), 0x31C3);
    assert_int_equal(gf_rc_slot("123456789", 9), 12739);
    assert_int_equal(gf_rc_slot("foo", 3), 12182);
    assert_int_equal(gf_rc_slot("bar", 3), 5061);
    /* Hash tags, the spec's examples. */
    int u = gf_rc_slot("user1000", 8);
    assert_int_equal(gf_rc_slot("{user1000}.following", 20), u);
    assert_int_equal(gf_rc_slot("{user1000}.followers", 20), u);
    assert_int_equal(gf_rc_slot("foo{{bar}}zap", 13), gf_rc_slot("{bar", 4));
    assert_int_equal(gf_rc_slot("foo{bar}{zap}", 13), gf_rc_slot("bar", 3));
    assert_int_equal(gf_rc_slot("foo{}{bar}", 10), gf_rc_crc16("foo{}{bar}", 10) & 16383);
    assert_int_equal(gf_rc_slot("{}", 2), gf_rc_crc16("{}", 2) & 16383);
    assert_int_equal(gf_rc_slot("no{close", 8), gf_rc_crc16("no{close", 8) & 16383);
    assert_int_equal(gf_rc_slot("", 0), 0);
}

/* The i-th of a fixed series of random keys made of braces and a few letters. */
static size_t random_key(char *k)
{
    static const char alphabet[] = "ab{}:x{y}z0";
    size_t n = (size_t)(rand() % 20);
    for (size_t j = 0; j < n; j++)
        k[j] = alphabet[rand() % (int)(sizeof alphabet - 1)];
    k[n] = '\0';
    return n;
}

static void test_slot_matches_server(void **state)
{
    (void)state;
    redisContext *c = gf_test_rcluster_node(&cl, 0);
    assert_non_null(c);
    char k[24];
    srand(7);
    for (int i = 0; i < 2000; i++) {
        size_t n = random_key(k);
        redisAppendCommand(c, "CLUSTER KEYSLOT %b", k, n);
    }
    srand(7);
    for (int i = 0; i < 2000; i++) {
        size_t n = random_key(k);
        redisReply *r = NULL;
        assert_int_equal(redisGetReply(c, (void **)&r), REDIS_OK);
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        if (r->integer != gf_rc_slot(k, n))
            fail_msg("key \"%s\": server %lld, ours %d", k, r->integer, gf_rc_slot(k, n));
        freeReplyObject(r);
    }
    redisFree(c);
}

/* ------------------------------------------------------------------ parsing */

static void test_parse_seeds(void **state)
{
    (void)state;
    gf_rc_addr_t a[4];
    size_t n;
    gf_err_t err = {0};
    assert_int_equal(gf_rc_parse_seeds("127.0.0.1:7000", a, 4, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(a[0].host, "127.0.0.1");
    assert_int_equal(a[0].port, 7000);
    assert_int_equal(gf_rc_parse_seeds(" redis-a:7000 , redis-b:7001,[::1]:7002", a, 4, &n, &err),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(a[1].host, "redis-b");
    assert_int_equal(a[1].port, 7001);
    assert_string_equal(a[2].host, "::1");
    assert_int_equal(a[2].port, 7002);
    static const char *bad[] =
        {"",         "host", "host:",    ":7000",     "host:0", "host:65536",         "host:70a",
         "a:1,,b:2", "a:1,", "::1:7000", "[::1]7000", "a b:1",  "a:1,b:2,c:3,d:4,e:5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (gf_rc_parse_seeds(bad[i], a, 4, &n, &err) != GF_EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_string_equal(err.code, "invalid_config");
        assert_non_null(strstr(err.message, "GF_REDIS_CLUSTER"));
        gf_err_cleanup(&err);
    }
    /* gf_rcluster_new refuses a bad list with the same error, before any connection. */
    assert_null(gf_rcluster_new("nohostport", 100, &err));
    assert_string_equal(err.code, "invalid_config");
    gf_err_cleanup(&err);
}

static redisReply *parse_resp(const char *resp)
{
    redisReader *rd = redisReaderCreate();
    redisReaderFeed(rd, resp, strlen(resp));
    void *r = NULL;
    if (redisReaderGetReply(rd, &r) != REDIS_OK)
        r = NULL;
    redisReaderFree(rd);
    return r;
}

static void test_parse_slots(void **state)
{
    (void)state;
    gf_rc_range_t *r;
    size_t n;
    gf_err_t err = {0};
    redisReply *rep = parse_resp(
        "*2\r\n"
        "*3\r\n:0\r\n:8000\r\n*3\r\n$9\r\n127.0.0.1\r\n:7000\r\n$2\r\nid\r\n"
        "*4\r\n:8001\r\n:16383\r\n*2\r\n$0\r\n\r\n:7001\r\n"
        "*2\r\n$9\r\n127.0.0.2\r\n:7005\r\n");
    assert_non_null(rep);
    assert_int_equal(gf_rc_parse_slots(rep, "10.0.0.9", &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].start, 0);
    assert_int_equal(r[0].end, 8000);
    assert_string_equal(r[0].master.host, "127.0.0.1");
    assert_int_equal(r[1].master.port, 7001);
    assert_string_equal(r[1].master.host, "10.0.0.9"); /* "" = the node we asked */
    free(r);
    freeReplyObject(rep);
    static const char *bad[] = {
        "-ERR This instance has cluster support disabled\r\n",
        "*1\r\n*3\r\n:5\r\n:4\r\n*2\r\n$1\r\na\r\n:1\r\n",      /* end < start */
        "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\na\r\n:1\r\n",  /* past the last slot */
        "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\na\r\n:0\r\n",      /* port 0 */
        "*1\r\n*3\r\n:0\r\n:1\r\n*1\r\n$1\r\na\r\n",            /* no port */
        "*1\r\n*2\r\n:0\r\n:1\r\n",                             /* no master */
        "*1\r\n:3\r\n",                                         /* not an array */
        "*1\r\n*3\r\n$1\r\n0\r\n:1\r\n*2\r\n$1\r\na\r\n:1\r\n", /* start not an integer */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rep = parse_resp(bad[i]);
        assert_non_null(rep);
        if (gf_rc_parse_slots(rep, "h", &r, &n, &err) != GF_EINVAL)
            fail_msg("accepted bad reply %zu", i);
        assert_string_equal(err.code, "redis_cluster_slots");
        assert_null(r);
        gf_err_cleanup(&err);
        freeReplyObject(rep);
    }
}

/* ------------------------------------------------------------------ the live cluster */

static void test_every_slot(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_rcluster_pipe_t *p = gf_rcluster_pipe_new(rc);
    static char keys[GF_RC_SLOTS][24];
    for (int s = 0; s < GF_RC_SLOTS; s++) {
        gf_test_rcluster_key_for_slot(s, "all:", keys[s], sizeof keys[s]);
        const char *argv[] = {"SET", keys[s], keys[s]};
        size_t len[] = {3, strlen(keys[s]), strlen(keys[s])};
        assert_int_equal(gf_rcluster_pipe_add(p, 3, argv, len, &err), 0);
    }
    redisReply **rep;
    assert_int_equal(gf_rcluster_pipe_exec(p, &rep, &err), 0);
    for (int s = 0; s < GF_RC_SLOTS; s++)
        assert_int_equal(gf_redis_reply_check(rep[s], &err), 0);
    gf_rcluster_replies_free(rep, GF_RC_SLOTS);
    /* Read back in reverse order: each reply must be its own key's value. */
    for (int s = GF_RC_SLOTS - 1; s >= 0; s--) {
        const char *argv[] = {"GET", keys[s]};
        size_t len[] = {3, strlen(keys[s])};
        assert_int_equal(gf_rcluster_pipe_add(p, 2, argv, len, &err), 0);
    }
    assert_int_equal(gf_rcluster_pipe_len(p), GF_RC_SLOTS);
    assert_int_equal(gf_rcluster_pipe_exec(p, &rep, &err), 0);
    for (int i = 0; i < GF_RC_SLOTS; i++) {
        assert_int_equal(rep[i]->type, REDIS_REPLY_STRING);
        assert_string_equal(rep[i]->str, keys[GF_RC_SLOTS - 1 - i]);
    }
    gf_rcluster_replies_free(rep, GF_RC_SLOTS);
    gf_rcluster_pipe_free(p);
    /* Each master holds exactly the keys of its own slots. */
    long total = 0;
    for (int i = 0; i < GF_TEST_RC_NODES; i++) {
        redisContext *c = gf_test_rcluster_node(&cl, i);
        redisReply *r = redisCommand(c, "DBSIZE");
        assert_true(r->integer > 1000);
        total += r->integer;
        freeReplyObject(r);
        redisFree(c);
    }
    assert_int_equal(total, GF_RC_SLOTS);
    /* Single commands, printf style and argv, on a spread of slots. */
    for (int s = 0; s < GF_RC_SLOTS; s += 97) {
        redisReply *r = gf_rcluster_cmd(rc, &err, "INCRBY %s:n %d", keys[s], s);
        assert_non_null(r);
        assert_int_equal(r->integer, s);
        freeReplyObject(r);
        r = gf_rcluster_cmd(rc, &err, "GET %s", keys[s]);
        assert_non_null(r);
        assert_string_equal(r->str, keys[s]);
        freeReplyObject(r);
    }
    assert_int_equal(gf_rcluster_stats(rc).moved, 0);
    char why[256];
    assert_true(gf_rcluster_ready(rc, why, sizeof why));
}

static void test_script_one_tag(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_rcluster_script_t s = {
        .body = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCRBY', KEYS[2], "
                "ARGV[2])"};
    assert_int_equal(gf_rcluster_script_load_all(rc, &s, &err), 0);
    assert_int_equal(strlen(s.sha), 40);
    /* Tags that land on each of the three masters. */
    int seen[GF_TEST_RC_NODES] = {0};
    for (int t = 0; t < 60; t++) {
        char k1[32], k2[32];
        snprintf(k1, sizeof k1, "{m%d}:last", t);
        snprintf(k2, sizeof k2, "{m%d}:count", t);
        const char *keys[] = {k1, k2};
        const char *args[] = {"v", "5"};
        redisReply *r = gf_rcluster_eval(rc, &s, 2, keys, NULL, 2, args, NULL, &err);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        assert_int_equal(r->integer, 5);
        freeReplyObject(r);
        seen[gf_test_rcluster_owner(&cl, 0, gf_rc_slot(k1, strlen(k1)))]++;
    }
    for (int i = 0; i < GF_TEST_RC_NODES; i++)
        assert_true(seen[i] > 0);
    /* A master that lost its scripts (SCRIPT FLUSH, as after a restart): NOSCRIPT -> load on
     * that node -> sent again. */
    for (int i = 0; i < GF_TEST_RC_NODES; i++)
        assert_int_equal(gf_test_rcluster_ok(&cl, i, "SCRIPT FLUSH"), 0);
    unsigned long before = gf_rcluster_stats(rc).noscript;
    const char *keys[] = {"{m1}:last", "{m1}:count"};
    const char *args[] = {"w", "1"};
    redisReply *r = gf_rcluster_eval(rc, &s, 2, keys, NULL, 2, args, NULL, &err);
    assert_non_null(r);
    assert_int_equal(r->integer, 6);
    freeReplyObject(r);
    assert_int_equal(gf_rcluster_stats(rc).noscript, before + 1);
}

static void test_crossslot_refused(void **state)
{
    (void)state;
    gf_err_t err = {0};
    /* "a" and "b" sit in different slots. */
    assert_int_not_equal(gf_rc_slot("xa", 2), gf_rc_slot("xb", 2));
    redisReply *r = gf_rcluster_cmd(rc, &err, "MSET xa 1 xb 2");
    assert_null(r);
    assert_int_equal(err.rc, GF_EINVAL);
    assert_string_equal(err.code, "redis_crossslot");
    assert_non_null(strstr(err.message, "hash tag"));
    gf_err_cleanup(&err);
    r = gf_rcluster_cmd(rc, &err, "GET xa"); /* nothing was written */
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    /* The same with one tag works. */
    r = gf_rcluster_cmd(rc, &err, "MSET {x}a 1 {x}b 2");
    assert_non_null(r);
    assert_int_equal(gf_redis_reply_check(r, &err), 0);
    freeReplyObject(r);
    /* Scripts and pipeline entries are checked the same way. */
    gf_rcluster_script_t s = {.body = "return 1"};
    const char *keys[] = {"xa", "xb"};
    assert_null(gf_rcluster_eval(rc, &s, 2, keys, NULL, 0, NULL, NULL, &err));
    assert_string_equal(err.code, "redis_crossslot");
    gf_err_cleanup(&err);
    assert_string_equal(s.sha, ""); /* refused before anything was sent */
    gf_rcluster_pipe_t *p = gf_rcluster_pipe_new(rc);
    const char *argv[] = {"DEL", "xa", "xb"};
    size_t len[] = {3, 2, 2};
    assert_int_equal(gf_rcluster_pipe_add(p, 3, argv, len, &err), GF_EINVAL);
    assert_string_equal(err.code, "redis_crossslot");
    gf_err_cleanup(&err);
    assert_int_equal(gf_rcluster_pipe_len(p), 0);
    gf_rcluster_pipe_free(p);
    /* EVAL's key count is read like Redis does. */
    assert_null(gf_rcluster_cmd(rc, &err, "EVAL %s 2 xa xb", "return 1"));
    assert_string_equal(err.code, "redis_crossslot");
    gf_err_cleanup(&err);
    assert_null(gf_rcluster_cmd(rc, &err, "EVAL %s 3 xa xb", "return 1"));
    assert_string_equal(err.code, "redis_cluster_command");
    gf_err_cleanup(&err);
    r = gf_rcluster_cmd(rc, &err, "EVAL %s 2 {x}a {x}b", "return redis.call('GET', KEYS[2])");
    assert_non_null(r);
    assert_string_equal(r->str, "2");
    freeReplyObject(r);
    /* A command whose keys the client cannot locate is refused, not guessed. */
    assert_null(gf_rcluster_cmd(rc, &err, "SORT xa"));
    assert_string_equal(err.code, "redis_cluster_command");
    gf_err_cleanup(&err);
}

static void test_moved(void **state)
{
    (void)state;
    gf_err_t err = {0};
    char key[32];
    gf_test_rcluster_key_for_slot(100, "mv:", key, sizeof key);
    redisReply *r = gf_rcluster_cmd(rc, &err, "SET %s before", key);
    assert_non_null(r);
    freeReplyObject(r);
    int from = gf_test_rcluster_owner(&cl, 0, 100);
    int to = (from + 1) % GF_TEST_RC_NODES;
    assert_int_equal(gf_test_rcluster_move_slot(&cl, 100, from, to), 0);
    /* The client still believes the old owner: MOVED, map refreshed, sent again. */
    assert_int_equal(gf_rcluster_slot_master(rc, 100)->port, cl.node[from].port);
    unsigned long moved = gf_rcluster_stats(rc).moved;
    r = gf_rcluster_cmd(rc, &err, "GET %s", key);
    assert_non_null(r);
    assert_string_equal(r->str, "before");
    freeReplyObject(r);
    assert_int_equal(gf_rcluster_stats(rc).moved, moved + 1);
    assert_int_equal(gf_rcluster_slot_master(rc, 100)->port, cl.node[to].port);
    r = gf_rcluster_cmd(rc, &err, "GET %s", key); /* now straight there */
    assert_non_null(r);
    freeReplyObject(r);
    assert_int_equal(gf_rcluster_stats(rc).moved, moved + 1);
}

static void test_ask(void **state)
{
    (void)state;
    gf_err_t err = {0};
    const int slot = 200;
    char k1[32], k2[32];
    gf_test_rcluster_key_for_slot(slot, "ask1:", k1, sizeof k1);
    gf_test_rcluster_key_for_slot(slot, "ask2:", k2, sizeof k2);
    redisReply *r = gf_rcluster_cmd(rc, &err, "SET %s one", k1);
    assert_non_null(r);
    freeReplyObject(r);
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
    unsigned long ask = gf_rcluster_stats(rc).ask;
    /* k1 left the source: ASK -> ASKING + GET on the target. */
    r = gf_rcluster_cmd(rc, &err, "GET %s", k1);
    assert_non_null(r);
    assert_string_equal(r->str, "one");
    freeReplyObject(r);
    /* A new key of a migrating slot is created on the target. */
    r = gf_rcluster_cmd(rc, &err, "SET %s two", k2);
    assert_non_null(r);
    assert_int_equal(gf_redis_reply_check(r, &err), 0);
    freeReplyObject(r);
    assert_int_equal(gf_rcluster_stats(rc).ask, ask + 2);
    /* ASK leaves the map alone: the slot is still the source's. */
    assert_int_equal(gf_rcluster_slot_master(rc, slot)->port, cl.node[from].port);
    redisContext *t = gf_test_rcluster_node(&cl, to);
    redisReply *a = redisCommand(t, "ASKING");
    freeReplyObject(a);
    a = redisCommand(t, "GET %s", k2);
    assert_string_equal(a->str, "two");
    freeReplyObject(a);
    redisFree(t);
    /* Finish the move: then MOVED. */
    assert_int_equal(gf_test_rcluster_move_slot(&cl, slot, from, to), 0);
    r = gf_rcluster_cmd(rc, &err, "MGET %s %s", k1, k2);
    assert_non_null(r);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "one");
    assert_string_equal(r->element[1]->str, "two");
    freeReplyObject(r);
    assert_int_equal(gf_rcluster_slot_master(rc, slot)->port, cl.node[to].port);
}

static void test_reshard_during_writes(void **state)
{
    (void)state;
    gf_err_t err = {0};
    enum { MAXW = 200000, BATCH = 25 };
    unsigned char *acked = calloc(MAXW, 1);
    assert_non_null(acked);
    gf_rcluster_stats_t before = gf_rcluster_stats(rc);
    pid_t pid = gf_test_rcluster_reshard_spawn(&cl, 0, 2, 600);
    assert_true(pid > 0);
    int n = 0, during = 0, failed = 0, exit_code = -2;
    double t0 = gf_now_mono();
    gf_rcluster_pipe_t *p = gf_rcluster_pipe_new(rc);
    /* Write until the reshard is over (bounded by count and by 120 s), alternating single
     * commands and pipelines; each INCR of a fresh key, so a write applied twice shows. */
    while (n + BATCH <= MAXW && gf_now_mono() - t0 < 120) {
        int st;
        if (exit_code == -2 && waitpid(pid, &st, WNOHANG) == pid)
            exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (exit_code != -2 && n >= during + 2000)
            break; /* a tail of writes after the move, on the final map */
        if (exit_code == -2)
            during = n + BATCH;
        if ((n / BATCH) % 2 == 0) {
            for (int i = n; i < n + BATCH; i++) {
                redisReply *r = gf_rcluster_cmd(rc, &err, "INCR w:%d", i);
                if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1)
                    acked[i] = 1;
                else
                    failed++;
                if (r)
                    freeReplyObject(r);
                gf_err_cleanup(&err);
            }
        } else {
            char k[BATCH][24];
            for (int i = 0; i < BATCH; i++) {
                snprintf(k[i], sizeof k[i], "w:%d", n + i);
                const char *argv[] = {"INCR", k[i]};
                size_t len[] = {4, strlen(k[i])};
                assert_int_equal(gf_rcluster_pipe_add(p, 2, argv, len, &err), 0);
            }
            redisReply **rep;
            (void)gf_rcluster_pipe_exec(p, &rep, &err);
            gf_err_cleanup(&err);
            for (int i = 0; i < BATCH; i++) {
                if (rep[i] != NULL && rep[i]->type == REDIS_REPLY_INTEGER && rep[i]->integer == 1)
                    acked[n + i] = 1;
                else
                    failed++;
            }
            gf_rcluster_replies_free(rep, BATCH);
        }
        n += BATCH;
    }
    gf_rcluster_pipe_free(p);
    if (exit_code == -2)
        exit_code = gf_test_rcluster_wait_child(pid, 60);
    assert_int_equal(exit_code, 0);
    gf_rcluster_stats_t after = gf_rcluster_stats(rc);
    print_message("reshard of 600 slots: %d writes (%d while it ran), %d not acknowledged, "
                  "%lu MOVED, %lu ASK, %lu TRYAGAIN\n",
                  n, during, failed, after.moved - before.moved, after.ask - before.ask,
                  after.tryagain - before.tryagain);
    assert_true(during >= 500);
    assert_true(after.moved > before.moved); /* the migration was seen by the client */
    assert_int_equal(failed, 0);             /* redirections are followed, not failed */
    /* Every acknowledged write exists exactly once in the whole cluster, with value 1. */
    redisContext *node[GF_TEST_RC_NODES];
    for (int i = 0; i < GF_TEST_RC_NODES; i++)
        node[i] = gf_test_rcluster_node(&cl, i);
    for (int base = 0; base < n; base += 1000) {
        int end = base + 1000 < n ? base + 1000 : n;
        int count[1000] = {0};
        for (int i = 0; i < GF_TEST_RC_NODES; i++) {
            for (int k = base; k < end; k++)
                redisAppendCommand(node[i], "GET w:%d", k);
            for (int k = base; k < end; k++) {
                redisReply *r = NULL;
                assert_int_equal(redisGetReply(node[i], (void **)&r), REDIS_OK);
                if (r->type == REDIS_REPLY_STRING) {
                    assert_string_equal(r->str, "1");
                    count[k - base]++;
                } else if (r->type == REDIS_REPLY_ERROR) {
                    assert_non_null(strstr(r->str, "MOVED")); /* not this node's slot */
                }
                freeReplyObject(r);
            }
        }
        for (int k = base; k < end; k++)
            if (acked[k] && count[k - base] != 1)
                fail_msg("acknowledged write w:%d found %d times", k, count[k - base]);
    }
    for (int i = 0; i < GF_TEST_RC_NODES; i++)
        redisFree(node[i]);
    free(acked);
    char why[256];
    assert_true(gf_rcluster_ready(rc, why, sizeof why));
}

/* The config hook: GF_REDIS_CLUSTER read through the kit's table, empty by default. */
static void test_cfg_hook(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_cfg_t cfg;
    const gf_cfg_opt_t *const tables[] = {gf_rcluster_cfg_opts, NULL};
    unsetenv("GF_REDIS_CLUSTER");
    assert_int_equal(gf_cfg_load(&cfg, tables, &err), 0);
    assert_string_equal(gf_cfg_str(&cfg, "GF_REDIS_CLUSTER"), "");
    gf_cfg_cleanup(&cfg);
    setenv("GF_REDIS_CLUSTER", cl.seeds, 1);
    assert_int_equal(gf_cfg_load(&cfg, tables, &err), 0);
    gf_rcluster_t *c2 = gf_rcluster_new(gf_cfg_str(&cfg, "GF_REDIS_CLUSTER"), 2000, &err);
    gf_cfg_cleanup(&cfg);
    unsetenv("GF_REDIS_CLUSTER");
    assert_non_null(c2);
    char why[256];
    assert_true(gf_rcluster_ready(c2, why, sizeof why));
    assert_non_null(gf_rcluster_slot_master(c2, 0));
    gf_rcluster_free(c2);
    /* A seed list where nothing answers: a clear error, no client. */
    int port = cl.node[0].port + 1;
    while (!gf_test_port_free(port))
        port++;
    char dead[32];
    snprintf(dead, sizeof dead, "127.0.0.1:%d", port);
    assert_null(gf_rcluster_new(dead, 500, &err));
    assert_int_equal(err.rc, GF_EUNAVAIL);
    assert_non_null(strstr(err.message, "CLUSTER SLOTS"));
    gf_err_cleanup(&err);
}

/* One handle, two modes: a configuration with GF_REDIS_CLUSTER opens the cluster; a pool
 * thread's handle is kept in w->local and its broken master connections are rebuilt. */
static void test_open_and_worker(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_redis_conf_t conf = {.cluster = cl.seeds, .host = "127.0.0.1", .port = 1};
    gf_pool_worker_t w = {0};
    gf_rcluster_t *c = gf_rcluster_worker(&w, &conf, 2000, &err);
    assert_non_null(c);
    assert_true(gf_rcluster_is_cluster(c));
    assert_int_equal(gf_rcluster_master_count(c), GF_TEST_RC_NODES);
    /* every master once, each answering for itself */
    int seen[GF_TEST_RC_NODES] = {0};
    for (int i = 0; i < GF_TEST_RC_NODES; i++) {
        const gf_rc_addr_t *a = gf_rcluster_master_addr(c, i);
        assert_non_null(a);
        for (int n = 0; n < GF_TEST_RC_NODES; n++)
            seen[n] += cl.node[n].port == a->port;
        const char *myid[] = {"CLUSTER", "MYID"};
        redisReply *r = gf_rcluster_master_cmd_argv(c, i, 2, myid, NULL, &err);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        freeReplyObject(r);
    }
    for (int n = 0; n < GF_TEST_RC_NODES; n++)
        assert_int_equal(seen[n], 1);
    /* a write on every master, so each has a connection */
    for (int i = 0; i < 30; i++) {
        redisReply *r = gf_rcluster_cmd(c, &err, "SET w:{%d} v", i);
        assert_non_null(r);
        freeReplyObject(r);
    }
    /* The servers drop the handle's connections (as a restart would); the next job's
     * gf_rcluster_worker rebuilds them before any command is lost on them. */
    for (int n = 0; n < GF_TEST_RC_NODES; n++)
        assert_int_equal(gf_test_rcluster_ok(&cl, n, "CLIENT KILL TYPE normal"), 0);
    assert_ptr_equal(gf_rcluster_worker(&w, &conf, 2000, &err), c);
    for (int i = 0; i < 30; i++) {
        redisReply *r = gf_rcluster_cmd(c, &err, "GET w:{%d}", i);
        assert_non_null(r);
        assert_string_equal(r->str, "v");
        freeReplyObject(r);
    }
    gf_rcluster_local_free(w.local);
    /* The global client lost its connections too: made usable again. */
    assert_int_equal(gf_rcluster_ensure(rc, &err), 0);
}

/* Last: it stops a master. */
static void test_killed_master(void **state)
{
    (void)state;
    gf_err_t err = {0};
    char why[256];
    assert_true(gf_rcluster_ready(rc, why, sizeof why));
    int dead = 1, port = cl.node[dead].port;
    int dslot = -1, lslot = -1;
    for (int s = 0; s < GF_RC_SLOTS && (dslot < 0 || lslot < 0); s++) {
        int o = gf_test_rcluster_owner(&cl, 0, s);
        if (o == dead && dslot < 0)
            dslot = s;
        if (o != dead && lslot < 0)
            lslot = s;
        s += 50;
    }
    assert_true(dslot >= 0 && lslot >= 0);
    char dk[32], lk[32];
    gf_test_rcluster_key_for_slot(dslot, "kd:", dk, sizeof dk);
    gf_test_rcluster_key_for_slot(lslot, "kl:", lk, sizeof lk);
    gf_test_redis_stop(&cl.node[dead]);

    assert_false(gf_rcluster_ready(rc, why, sizeof why));
    char portstr[16];
    snprintf(portstr, sizeof portstr, ":%d", port);
    assert_non_null(strstr(why, portstr));

    redisReply *r = gf_rcluster_cmd(rc, &err, "SET %s x", dk);
    assert_null(r);
    assert_int_equal(err.rc, GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_unavailable");
    assert_non_null(strstr(err.message, portstr));
    gf_err_cleanup(&err);

    r = gf_rcluster_cmd(rc, &err, "SET %s y", lk); /* the other masters keep serving */
    assert_non_null(r);
    assert_int_equal(gf_redis_reply_check(r, &err), 0);
    freeReplyObject(r);

    /* A pipeline: the live master's entries answered, the stopped one's have no reply, and
     * the stopped master costs one map refresh, not one per entry. */
    gf_rcluster_pipe_t *p = gf_rcluster_pipe_new(rc);
    const char *a1[] = {"GET", lk}, *a2[] = {"GET", dk};
    size_t l1[] = {3, strlen(lk)}, l2[] = {3, strlen(dk)};
    assert_int_equal(gf_rcluster_pipe_add(p, 2, a2, l2, &err), 0);
    assert_int_equal(gf_rcluster_pipe_add(p, 2, a1, l1, &err), 0);
    assert_int_equal(gf_rcluster_pipe_add(p, 2, a2, l2, &err), 0);
    assert_int_equal(gf_rcluster_pipe_add(p, 2, a2, l2, &err), 0);
    unsigned long refreshes = gf_rcluster_stats(rc).refreshes;
    redisReply **rep;
    assert_int_equal(gf_rcluster_pipe_exec(p, &rep, &err), GF_EUNAVAIL);
    assert_non_null(strstr(err.message, portstr));
    gf_err_cleanup(&err);
    assert_int_equal(gf_rcluster_stats(rc).refreshes, refreshes + 1);
    assert_null(rep[0]);
    assert_non_null(rep[1]);
    assert_string_equal(rep[1]->str, "y");
    assert_null(rep[2]);
    assert_null(rep[3]);
    gf_rcluster_replies_free(rep, 4);
    gf_rcluster_pipe_free(p);
    /* Still not ready on a second look (the map still names the stopped master). */
    assert_false(gf_rcluster_ready(rc, why, sizeof why));
}

int main(void)
{
    alarm(600); /* bound: a hung cluster ends the binary (servers die with it: PDEATHSIG) */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot_vectors),
        cmocka_unit_test(test_parse_seeds),
        cmocka_unit_test(test_parse_slots),
        cmocka_unit_test(test_slot_matches_server),
        cmocka_unit_test(test_every_slot),
        cmocka_unit_test(test_script_one_tag),
        cmocka_unit_test(test_crossslot_refused),
        cmocka_unit_test(test_moved),
        cmocka_unit_test(test_ask),
        cmocka_unit_test(test_reshard_during_writes),
        cmocka_unit_test(test_cfg_hook),
        cmocka_unit_test(test_open_and_worker),
        cmocka_unit_test(test_killed_master),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
