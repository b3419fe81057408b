/* Unit tests for the one-Redis mode of libs/core/src/rcluster.c (gf_rcluster_new_single,
 * gf_rcluster_open, gf_rcluster_worker) against a real redis-server on a free loopback port:
 * the same calls as on a cluster, the same local refusals (keys of one operation on different
 * slots, commands whose keys cannot be located) so a test on one Redis fails where a cluster
 * would refuse, scripts with NOSCRIPT reload, pipelines, readiness, a pool thread's handle
 * rebuilt after its connection was killed, and the configuration that picks the mode. */
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

#include "../support/redis_fixture.h"

static gf_test_redis_t srv;
static redisContext *raw; /* the test's own connection, to look behind the handle */
static gf_rcluster_t *h;

static gf_redis_conf_t conf_single(void)
{
    gf_redis_conf_t c = {.cluster = "", .host = "127.0.0.1", .port = srv.port};
    return c;
}

static int group_setup(void **state)
{
    (void)state;
    if (gf_test_redis_open(&srv, &raw) != 0)
        return -1;
    gf_err_t err = {0};
    gf_redis_conf_t conf = conf_single();
    h = gf_rcluster_open(&conf, 2000, &err);
    if (h == NULL)
        fprintf(stderr, "gf_rcluster_open: %s\n", err.message);
    gf_err_cleanup(&err);
    return h == NULL;
}

static int group_teardown(void **state)
{
    (void)state;
    gf_rcluster_free(h);
    gf_test_redis_close(&srv, &raw);
    return 0;
}

static long long raw_exists(const char *key)
{
    redisReply *r = redisCommand(raw, "EXISTS %s", key);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return n;
}

static void test_mode_and_commands(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_false(gf_rcluster_is_cluster(h));
    assert_int_equal(gf_rcluster_master_count(h), 1);
    assert_int_equal(gf_rcluster_master_addr(h, 0)->port, srv.port);
    assert_null(gf_rcluster_master_addr(h, 1));
    /* every slot is the one node's */
    assert_int_equal(gf_rcluster_slot_master(h, 0)->port, srv.port);
    assert_int_equal(gf_rcluster_slot_master(h, GF_RC_SLOTS - 1)->port, srv.port);
    char why[256];
    assert_true(gf_rcluster_ready(h, why, sizeof why));

    redisReply *r = gf_rcluster_cmd(h, &err, "SET %s %s", "s:{a}:x", "1");
    assert_non_null(r);
    assert_int_equal(gf_redis_reply_check(r, &err), 0);
    freeReplyObject(r);
    r = gf_rcluster_cmd(h, &err, "MSET %s 2 %s 3", "s:{a}:y", "s:{a}:z"); /* one tag: fine */
    assert_non_null(r);
    freeReplyObject(r);
    r = gf_rcluster_cmd(h, &err, "MGET %s %s %s", "s:{a}:x", "s:{a}:y", "s:{a}:z");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "1");
    assert_string_equal(r->element[2]->str, "3");
    freeReplyObject(r);
    /* A Redis error comes back as a reply, checked as for one Redis. */
    r = gf_rcluster_cmd(h, &err, "INCR %s", "s:{a}:nope-hash");
    freeReplyObject(r);
    r = gf_rcluster_cmd(h, &err, "HSET %s f v", "s:{a}:x"); /* WRONGTYPE */
    assert_non_null(r);
    assert_int_equal(gf_redis_reply_check(r, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_error");
    gf_err_cleanup(&err);
    freeReplyObject(r);
    /* Keyless commands go to the one node. */
    r = gf_rcluster_cmd(h, &err, "PING");
    assert_non_null(r);
    assert_string_equal(r->str, "PONG");
    freeReplyObject(r);
    const char *info[] = {"DBSIZE"};
    r = gf_rcluster_master_cmd_argv(h, 0, 1, info, NULL, &err);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer >= 4);
    freeReplyObject(r);
    assert_null(gf_rcluster_master_cmd_argv(h, 1, 1, info, NULL, &err));
    assert_int_equal(err.rc, GF_EINVAL);
    gf_err_cleanup(&err);
}

/* What a cluster would refuse is refused here too, before anything is sent. */
static void test_crossslot_refused_like_a_cluster(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_int_not_equal(gf_rc_slot("s:{a}:k", 7), gf_rc_slot("s:{b}:k", 7));
    redisReply *r = gf_rcluster_cmd(h, &err, "MSET %s 1 %s 2", "s:{a}:k", "s:{b}:k");
    assert_null(r);
    assert_int_equal(err.rc, GF_EINVAL);
    assert_string_equal(err.code, "redis_crossslot");
    assert_non_null(strstr(err.message, "s:{b}:k"));
    gf_err_cleanup(&err);
    assert_int_equal(raw_exists("s:{a}:k"), 0); /* nothing written */

    gf_rcluster_script_t s = {.body = "redis.call('SET', KEYS[1], 1); "
                                      "redis.call('SET', KEYS[2], 1); return 1"};
    const char *keys[] = {"s:{a}:k", "s:{b}:k"};
    assert_null(gf_rcluster_eval(h, &s, 2, keys, NULL, 0, NULL, NULL, &err));
    assert_string_equal(err.code, "redis_crossslot");
    gf_err_cleanup(&err);
    assert_int_equal(raw_exists("s:{a}:k"), 0);

    gf_rcluster_pipe_t *p = gf_rcluster_pipe_new(h);
    const char *a[] = {"SUNIONSTORE", "s:{a}:k", "s:{b}:k"};
    size_t al[] = {11, 7, 7};
    assert_int_equal(gf_rcluster_pipe_add(p, 3, a, al, &err), GF_EINVAL);
    assert_string_equal(err.code, "redis_crossslot");
    gf_err_cleanup(&err);
    assert_int_equal(gf_rcluster_pipe_len(p), 0);
    gf_rcluster_pipe_free(p);

    /* A command whose keys the client cannot locate: refused, not guessed. */
    r = gf_rcluster_cmd(h, &err, "KEYS *");
    assert_null(r);
    assert_string_equal(err.code, "redis_cluster_command");
    gf_err_cleanup(&err);
}

static void test_scripts_and_pipeline(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_rcluster_script_t s = {.body = "return redis.call('INCRBY', KEYS[1], ARGV[1])"};
    assert_int_equal(gf_rcluster_script_load_all(h, &s, &err), 0);
    assert_int_equal(strlen(s.sha), 40);
    const char *keys[] = {"s:{c}:n"};
    const char *args[] = {"5"};
    redisReply *r = gf_rcluster_eval(h, &s, 1, keys, NULL, 1, args, NULL, &err);
    assert_non_null(r);
    assert_int_equal(r->integer, 5);
    freeReplyObject(r);
    /* Redis lost its script cache (a restart): NOSCRIPT -> loaded again -> sent again. */
    redisReply *f = redisCommand(raw, "SCRIPT FLUSH");
    assert_non_null(f);
    freeReplyObject(f);
    unsigned long before = gf_rcluster_stats(h).noscript;
    r = gf_rcluster_eval(h, &s, 1, keys, NULL, 1, args, NULL, &err);
    assert_non_null(r);
    assert_int_equal(r->integer, 10);
    freeReplyObject(r);
    assert_int_equal(gf_rcluster_stats(h).noscript, before + 1);

    gf_rcluster_pipe_t *p = gf_rcluster_pipe_new(h);
    for (int i = 0; i < 50; i++) {
        char k[32];
        snprintf(k, sizeof k, "s:{p%d}:n", i);
        const char *a[] = {"INCRBY", k, "3"};
        size_t al[] = {6, strlen(k), 1};
        assert_int_equal(gf_rcluster_pipe_add(p, 3, a, al, &err), 0);
    }
    redisReply **rep;
    assert_int_equal(gf_rcluster_pipe_exec(p, &rep, &err), 0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(rep[i]->integer, 3);
    gf_rcluster_replies_free(rep, 50);
    gf_rcluster_pipe_free(p);
}

/* Kill the handle's connections from the server side (as a Redis restart would). */
static void kill_clients(void)
{
    redisReply *r = redisCommand(raw, "CLIENT KILL TYPE normal SKIPME yes");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer >= 1);
    freeReplyObject(r);
}

static void test_worker_handle(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_pool_worker_t w = {0};
    gf_redis_conf_t conf = conf_single();
    gf_rcluster_t *c = gf_rcluster_worker(&w, &conf, 2000, &err);
    assert_non_null(c);
    assert_ptr_equal(w.local, c);
    assert_ptr_equal(gf_rcluster_worker(&w, &conf, 2000, &err), c); /* kept across jobs */
    redisReply *r = gf_rcluster_cmd(c, &err, "SET %s v", "s:{w}:k");
    assert_non_null(r);
    freeReplyObject(r);

    /* Without the check a command on a connection the server dropped fails ("the outcome is
     * unknown") ... */
    kill_clients();
    r = gf_rcluster_cmd(c, &err, "GET %s", "s:{w}:k");
    assert_null(r);
    assert_int_equal(err.rc, GF_EUNAVAIL);
    gf_err_cleanup(&err);
    /* ... with it (the next job's gf_rcluster_worker) the connection is rebuilt first. */
    r = gf_rcluster_cmd(c, &err, "GET %s", "s:{w}:k"); /* reconnects lazily */
    assert_non_null(r);
    freeReplyObject(r);
    kill_clients();
    assert_ptr_equal(gf_rcluster_worker(&w, &conf, 2000, &err), c);
    r = gf_rcluster_cmd(c, &err, "GET %s", "s:{w}:k");
    assert_non_null(r);
    assert_string_equal(r->str, "v");
    freeReplyObject(r);
    gf_rcluster_local_free(w.local);

    /* Nothing listening: the worker gets NULL with a clear error and tries again next time. */
    int port = srv.port + 1;
    while (!gf_test_port_free(port))
        port++;
    gf_redis_conf_t dead = {.cluster = NULL, .host = "127.0.0.1", .port = port};
    gf_pool_worker_t w2 = {0};
    assert_null(gf_rcluster_worker(&w2, &dead, 300, &err));
    assert_int_equal(err.rc, GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_unavailable");
    gf_err_cleanup(&err);
    assert_null(w2.local);
}

static void test_bad_config(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_null(gf_rcluster_new_single("", 6379, 500, &err));
    assert_int_equal(err.rc, GF_EINVAL);
    assert_string_equal(err.code, "invalid_config");
    gf_err_cleanup(&err);
    assert_null(gf_rcluster_new_single("127.0.0.1", 0, 500, &err));
    assert_string_equal(err.code, "invalid_config");
    gf_err_cleanup(&err);
    /* A malformed GF_REDIS_CLUSTER is refused, not taken for one Redis. */
    gf_redis_conf_t bad = {.cluster = "127.0.0.1", .host = "127.0.0.1", .port = srv.port};
    assert_null(gf_rcluster_open(&bad, 500, &err));
    assert_string_equal(err.code, "invalid_config");
    assert_non_null(strstr(err.message, "GF_REDIS_CLUSTER"));
    gf_err_cleanup(&err);
    /* GF_REDIS_CLUSTER pointing at a plain Redis: a clear error, not one Redis. */
    char seeds[64];
    snprintf(seeds, sizeof seeds, "127.0.0.1:%d", srv.port);
    gf_redis_conf_t notcl = {.cluster = seeds, .host = "127.0.0.1", .port = srv.port};
    assert_null(gf_rcluster_open(&notcl, 500, &err));
    assert_int_equal(err.rc, GF_EUNAVAIL);
    gf_err_cleanup(&err);
}

/* The configuration table a service loads picks the mode. */
static void test_conf_from_cfg(void **state)
{
    (void)state;
    static const gf_cfg_opt_t kit[] = {
        {"GF_REDIS_HOST", GF_CFG_STR, "127.0.0.1", 0, -1, "h"},
        {"GF_REDIS_PORT", GF_CFG_INT, "6379", 1, 65535, "p"},
        {NULL, 0, NULL, 0, 0, NULL},
    };
    const gf_cfg_opt_t *const tables[] = {kit, gf_rcluster_cfg_opts, NULL};
    char port[16];
    snprintf(port, sizeof port, "%d", srv.port);
    setenv("GF_REDIS_PORT", port, 1);
    unsetenv("GF_REDIS_CLUSTER");
    gf_cfg_t cfg;
    gf_err_t err = {0};
    assert_int_equal(gf_cfg_load(&cfg, tables, &err), 0);
    gf_redis_conf_t conf = gf_redis_conf_from_cfg(&cfg);
    assert_string_equal(conf.cluster, "");
    assert_string_equal(conf.host, "127.0.0.1");
    assert_int_equal(conf.port, srv.port);
    gf_rcluster_t *c = gf_rcluster_open(&conf, 1000, &err);
    assert_non_null(c);
    assert_false(gf_rcluster_is_cluster(c));
    gf_rcluster_free(c);
    gf_cfg_cleanup(&cfg);
    unsetenv("GF_REDIS_PORT");
}

/* Last: it stops the server. */
static void test_server_gone(void **state)
{
    (void)state;
    gf_err_t err = {0};
    char why[256];
    int port = srv.port;
    redisFree(raw);
    raw = NULL;
    gf_test_redis_stop(&srv);
    assert_false(gf_rcluster_ready(h, why, sizeof why));
    char portstr[16];
    snprintf(portstr, sizeof portstr, ":%d", port);
    assert_non_null(strstr(why, portstr));
    assert_non_null(strstr(why, "Redis at"));
    assert_int_equal(gf_rcluster_ensure(h, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_unavailable");
    gf_err_cleanup(&err);
    redisReply *r = gf_rcluster_cmd(h, &err, "GET %s", "s:{a}:x");
    assert_null(r);
    assert_int_equal(err.rc, GF_EUNAVAIL);
    gf_err_cleanup(&err);
}

int main(void)
{
    alarm(120);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_and_commands),
        cmocka_unit_test(test_crossslot_refused_like_a_cluster),
        cmocka_unit_test(test_scripts_and_pipeline),
        cmocka_unit_test(test_worker_handle),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_conf_from_cfg),
        cmocka_unit_test(test_server_gone),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
