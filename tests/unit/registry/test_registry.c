/*
 * test_registry.c - the model registry against a real redis-server (redis_fixture.h):
 * versions, aliases, pub/sub notification, concurrent registration, corruption detection,
 * history and rollback, JSON views. Every test starts from FLUSHALL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

/* the fixture's slot-movement helpers are not used here */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../support/rcluster_fixture.h"
#include "registry/registry.h"
#include "registry/sha256.h"

/* The suite runs twice: on one Redis, then on a real 3-master Redis Cluster
 * (../support/rcluster_fixture.h), through the same handle (core/rcluster.h). */
static gf_test_redis_t srv;
static gf_test_rcluster_t cl_;
static int cluster_;
static gf_redis_conf_t where_;
static gf_rcluster_t *rc_;

static int group_setup_single(void **state)
{
    (void)state;
    cluster_ = 0;
    if (gf_test_redis_start(&srv) != 0)
        return -1;
    where_ = (gf_redis_conf_t){.host = "127.0.0.1", .port = srv.port};
    rc_ = gf_rcluster_open(&where_, 2000, NULL);
    return rc_ ? 0 : -1;
}

static int group_setup_cluster(void **state)
{
    (void)state;
    cluster_ = 1;
    if (gf_test_rcluster_start(&cl_) != 0)
        return -1;
    where_ = (gf_redis_conf_t){.cluster = cl_.seeds, .host = "127.0.0.1", .port = 6379};
    rc_ = gf_rcluster_open(&where_, 2000, NULL);
    return rc_ && gf_rcluster_is_cluster(rc_) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    gf_rcluster_free(rc_);
    rc_ = NULL;
    if (cluster_)
        gf_test_rcluster_stop(&cl_);
    else
        gf_test_redis_stop(&srv);
    return 0;
}

/* FLUSHALL on every master. */
static int flush(void **state)
{
    (void)state;
    for (int i = 0; i < gf_rcluster_master_count(rc_); i++) {
        const char *argv[] = {"FLUSHALL"};
        redisReply *r = gf_rcluster_master_cmd_argv(rc_, i, 1, argv, NULL, NULL);
        int ok = r != NULL && r->type == REDIS_REPLY_STATUS;
        if (r)
            freeReplyObject(r);
        if (!ok)
            return -1;
    }
    return 0;
}

/* A plain connection to node i (one Redis: the server). */
static redisContext *node_conn(int i)
{
    return cluster_ ? gf_test_rcluster_node(&cl_, i) : gf_test_redis_connect(&srv);
}

static int64_t reg(gf_rcluster_t *c, const char *name, const char *blob)
{
    static const char *tags[] = {"region=PJM", "candidate"};
    gf_reg_new_t in = {
        .blob = blob,
        .blob_len = strlen(blob),
        .spec_json = "{\"features\":[\"a\",\"b\"]}",
        .metrics_json = "{\"mape\":0.031}",
        .params_json = "{\"max_depth\":6}",
        .data_from = 1700000000,
        .data_to = 1710000000,
        .job = "job-42",
        .tags = tags,
        .ntags = 2,
    };
    int64_t v = 0;
    gf_err_t err = {0};
    int rc = gf_reg_register(c, name, &in, &v, &err);
    if (rc != 0)
        fprintf(stderr, "register: %s %s\n", err.code, err.message);
    gf_err_cleanup(&err);
    return rc == 0 ? v : -1;
}

static void test_registry_versions_roundtrip(void **state)
{
    (void)state;
    assert_int_equal(reg(rc_, "load:PJM", "model-bytes-1"), 1);
    assert_int_equal(reg(rc_, "load:PJM", "model-bytes-2"), 2);
    assert_int_equal(reg(rc_, "load:ERCOT", "other"), 1);

    gf_err_t err = {0};
    gf_reg_version_t *v = NULL;
    assert_int_equal(gf_reg_version_load(rc_, "load:PJM", 2, GF_REG_WITH_BLOB, &v, &err), 0);
    assert_string_equal(v->name, "load:PJM");
    assert_int_equal(v->version, 2);
    assert_int_equal(v->blob_len, 13);
    assert_memory_equal(v->blob, "model-bytes-2", 13);
    assert_int_equal(v->size, 13);
    assert_string_equal(v->spec_json, "{\"features\":[\"a\",\"b\"]}");
    assert_string_equal(v->metrics_json, "{\"mape\":0.031}");
    assert_string_equal(v->params_json, "{\"max_depth\":6}");
    assert_string_equal(v->tags_json, "[\"region=PJM\",\"candidate\"]");
    assert_string_equal(v->job, "job-42");
    assert_int_equal(v->data_from, 1700000000);
    assert_int_equal(v->data_to, 1710000000);
    assert_int_equal(strlen(v->created_at), 24);
    assert_null(v->deprecated_json);
    gf_reg_version_free(v);

    /* Metadata only: no blob fetched. */
    assert_int_equal(gf_reg_version_load(rc_, "load:PJM", 1, 0, &v, &err), 0);
    assert_null(v->blob);
    gf_reg_version_free(v);

    assert_int_equal(gf_reg_version_load(rc_, "load:PJM", 3, 0, &v, &err), GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_version");
    assert_null(v);
    assert_int_equal(gf_reg_version_load(rc_, "load:nope", 1, 0, &v, &err), GF_ENOTFOUND);
    assert_int_equal(gf_reg_version_load(rc_, "bad{name}", 1, 0, &v, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_name");

    int64_t *vers = NULL;
    size_t n = 0;
    assert_int_equal(gf_reg_versions_list(rc_, "load:PJM", &vers, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(vers[0], 1);
    assert_int_equal(vers[1], 2);
    free(vers);
    int64_t latest = 0;
    assert_int_equal(gf_reg_latest(rc_, "load:PJM", &latest, &err), 0);
    assert_int_equal(latest, 2);

    char **names = NULL;
    assert_int_equal(gf_reg_models_list(rc_, &names, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "load:ERCOT");
    assert_string_equal(names[1], "load:PJM");
    gf_reg_strv_free(names, n);

    assert_int_equal(gf_reg_version_load_ref(rc_, "load:PJM", "latest", 0, &v, &err), 0);
    assert_int_equal(v->version, 2);
    gf_reg_version_free(v);
    assert_int_equal(gf_reg_version_load_ref(rc_, "load:PJM", "1", 0, &v, &err), 0);
    assert_int_equal(v->version, 1);
    gf_reg_version_free(v);
    assert_int_equal(gf_reg_version_load_ref(rc_, "load:PJM", "production", 0, &v, &err),
                     GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_alias");
    gf_err_cleanup(&err);

    /* resolving a reference alone (the forecast's reload asks before it loads) */
    int64_t ver = 0;
    assert_int_equal(gf_reg_ref_resolve(rc_, "load:PJM", NULL, &ver, &err), 0);
    assert_int_equal(ver, 2);
    assert_int_equal(gf_reg_ref_resolve(rc_, "load:PJM", "7", &ver, &err), 0);
    assert_int_equal(ver, 7); /* a number is taken as it is; loading it would say unknown */
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "production", 1, -1, "t", "", 0, NULL, &err),
                     0);
    assert_int_equal(gf_reg_ref_resolve(rc_, "load:PJM", "production", &ver, &err), 0);
    assert_int_equal(ver, 1);
    assert_int_equal(gf_reg_ref_resolve(rc_, "load:PJM", "12x", &ver, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_version");
    gf_err_cleanup(&err);
    assert_int_equal(gf_reg_ref_resolve(rc_, "load:NONE", "latest", &ver, &err), GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_model");
    gf_err_cleanup(&err);
    assert_int_equal(gf_reg_ref_resolve(rc_, "load:PJM", "canary", &ver, &err), GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_alias");
    gf_err_cleanup(&err);
}

static void test_registry_register_validation(void **state)
{
    (void)state;
    gf_err_t err = {0};
    int64_t v = 0;
    gf_reg_new_t in = {.blob = "x", .blob_len = 1, .spec_json = "{"};
    assert_int_equal(gf_reg_register(rc_, "load:PJM", &in, &v, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_json");
    in.spec_json = "{}";
    in.metrics_json = "[1]";
    assert_int_equal(gf_reg_register(rc_, "load:PJM", &in, &v, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_json");
    in.metrics_json = NULL;
    const char *tags[] = {"has space"};
    in.tags = tags;
    in.ntags = 1;
    assert_int_equal(gf_reg_register(rc_, "load:PJM", &in, &v, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_tag");
    in.ntags = 0;
    in.blob_len = 0;
    assert_int_equal(gf_reg_register(rc_, "load:PJM", &in, &v, &err), GF_EINVAL);
    assert_string_equal(err.code, "empty_blob");
    in.blob_len = 1;
    assert_int_equal(gf_reg_register(rc_, "a}b", &in, &v, &err), GF_EINVAL);
    assert_int_equal(gf_reg_register(rc_, "", &in, &v, &err), GF_EINVAL);
    assert_int_equal(gf_reg_register(rc_, "load:PJM", &in, &v, &err), 0);
    assert_int_equal(v, 1);
    /* Binary blob with NULs round-trips byte for byte. */
    unsigned char bin[300];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i * 13);
    in.blob = bin;
    in.blob_len = sizeof bin;
    assert_int_equal(gf_reg_register(rc_, "load:PJM", &in, &v, &err), 0);
    gf_reg_version_t *ver = NULL;
    assert_int_equal(gf_reg_version_load(rc_, "load:PJM", v, GF_REG_WITH_BLOB, &ver, &err), 0);
    assert_int_equal(ver->blob_len, sizeof bin);
    assert_memory_equal(ver->blob, bin, sizeof bin);
    char sha[65];
    gf_reg_sha256_hex(bin, sizeof bin, sha);
    assert_string_equal(ver->sha256, sha);
    gf_reg_version_free(ver);
    gf_err_cleanup(&err);
}

static void test_registry_register_idempotent_retry(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_reg_new_t in = {.blob = "bytes-A",
                       .blob_len = 7,
                       .spec_json = "{}",
                       .job = "job-7",
                       .idem_key = "job-7:PJM"};
    int64_t v1 = 0, v2 = 0, v3 = 0;
    assert_int_equal(gf_reg_register(rc_, "load:PJM", &in, &v1, &err), 0);
    /* a retry of the same job with the same bytes gets the same version, writes nothing */
    assert_int_equal(gf_reg_register(rc_, "load:PJM", &in, &v2, &err), 0);
    assert_int_equal(v2, v1);
    int64_t *vers = NULL;
    size_t n = 0;
    assert_int_equal(gf_reg_versions_list(rc_, "load:PJM", &vers, &n, &err), 0);
    assert_int_equal(n, 1);
    free(vers);
    /* the same job with other bytes is a conflict */
    in.blob = "bytes-B";
    assert_int_equal(gf_reg_register(rc_, "load:PJM", &in, &v3, &err), GF_ECONFLICT);
    assert_string_equal(err.code, "idem_key_reused");
    /* the same key for another model, or no key, registers normally */
    assert_int_equal(gf_reg_register(rc_, "load:ERCOT", &in, &v3, &err), 0);
    assert_int_equal(v3, 1);
    in.idem_key = "";
    assert_int_equal(gf_reg_register(rc_, "load:PJM", &in, &v3, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_idem_key");
    in.idem_key = NULL;
    assert_int_equal(gf_reg_register(rc_, "load:PJM", &in, &v3, &err), 0);
    assert_true(v3 > v1);
    assert_int_equal(gf_reg_register(rc_, "load:PJM", &in, &v2, &err), 0);
    assert_true(v2 > v3);
    gf_err_cleanup(&err);
}

static void test_registry_names_valid(void **state)
{
    (void)state;
    assert_true(gf_reg_name_valid("load:PJM"));
    assert_true(gf_reg_name_valid("a"));
    assert_false(gf_reg_name_valid(":x"));
    assert_false(gf_reg_name_valid("a b"));
    assert_false(gf_reg_name_valid("a{b"));
    char long_name[80];
    memset(long_name, 'a', sizeof long_name);
    long_name[64] = '\0';
    assert_true(gf_reg_name_valid(long_name));
    long_name[64] = 'a';
    long_name[65] = '\0';
    assert_false(gf_reg_name_valid(long_name));
    assert_true(gf_reg_alias_valid("production"));
    assert_true(gf_reg_alias_valid("a0_-"));
    assert_false(gf_reg_alias_valid("Production"));
    assert_false(gf_reg_alias_valid("0a"));
    assert_false(gf_reg_alias_valid(""));
    assert_true(gf_reg_alias_valid("abcdefghijklmnopqrstuvwxyz012345"));   /* 32 */
    assert_false(gf_reg_alias_valid("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
    char key[128];
    assert_string_equal(gf_reg_key(key, sizeof key, "load:PJM", "v", 3), "gf:reg:{load:PJM}:v:3");
    assert_string_equal(gf_reg_key(key, sizeof key, "load:PJM", "aliases", 0),
                        "gf:reg:{load:PJM}:aliases");
}

static void test_registry_alias_set_get_history_rollback(void **state)
{
    (void)state;
    gf_err_t err = {0};
    for (int i = 0; i < 3; i++)
        assert_int_equal(reg(rc_, "load:PJM", "m"), i + 1);
    int64_t from = -1, v = 0;
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "production", 1, 0, "alice", "first", 0,
                                      &from, &err),
                     0);
    assert_int_equal(from, 0);
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "production", 2, -1, "bob", "better", 0,
                                      &from, &err),
                     0);
    assert_int_equal(from, 1);
    /* compare-and-set refused */
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "production", 3, 1, "carol", "", 0, &from,
                                      &err),
                     GF_ECONFLICT);
    assert_string_equal(err.code, "alias_changed");
    /* unknown version, bad alias, bad who */
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "production", 9, -1, "x", "", 0, NULL, &err),
                     GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_version");
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "Prod", 1, -1, "x", "", 0, NULL, &err),
                     GF_EINVAL);
    assert_string_equal(err.code, "bad_alias");
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "prod", 1, -1, "", "", 0, NULL, &err),
                     GF_EINVAL);
    assert_string_equal(err.code, "bad_who");
    /* same version again: no-op, no history entry */
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "production", 2, -1, "bob", "again", 0,
                                      &from, &err),
                     0);
    assert_int_equal(from, 2);
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "staging", 3, -1, "ci", "", 0, NULL, &err),
                     0);

    assert_int_equal(gf_reg_alias_get(rc_, "load:PJM", "production", &v, &err), 0);
    assert_int_equal(v, 2);
    assert_int_equal(gf_reg_alias_get(rc_, "load:PJM", "canary", &v, &err), GF_ENOTFOUND);

    gf_reg_alias_t *al = NULL;
    size_t n = 0;
    assert_int_equal(gf_reg_aliases_list(rc_, "load:PJM", &al, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(al[0].alias, "production");
    assert_int_equal(al[0].version, 2);
    assert_string_equal(al[1].alias, "staging");
    free(al);

    gf_reg_change_t *h = NULL;
    assert_int_equal(gf_reg_history_load(rc_, "load:PJM", "production", &h, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(h[0].from, 0);
    assert_int_equal(h[0].to, 1);
    assert_string_equal(h[0].who, "alice");
    assert_string_equal(h[0].reason, "first");
    assert_int_equal(h[1].from, 1);
    assert_int_equal(h[1].to, 2);
    assert_string_equal(h[1].who, "bob");
    assert_int_equal(strlen(h[1].at), 24);
    free(h);
    assert_int_equal(gf_reg_history_load(rc_, "load:PJM", NULL, &h, &n, &err), 0);
    assert_int_equal(n, 3);
    free(h);

    /* rollback: production 2 -> 1; a second rollback returns to 2 */
    int64_t to = 0;
    assert_int_equal(gf_reg_alias_rollback(rc_, "load:PJM", "production", "ops", "v2 drifts", &to,
                                           &err),
                     0);
    assert_int_equal(to, 1);
    assert_int_equal(gf_reg_alias_get(rc_, "load:PJM", "production", &v, &err), 0);
    assert_int_equal(v, 1);
    assert_int_equal(gf_reg_history_load(rc_, "load:PJM", "production", &h, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(h[2].from, 2);
    assert_int_equal(h[2].to, 1);
    assert_string_equal(h[2].who, "ops");
    free(h);
    assert_int_equal(gf_reg_alias_rollback(rc_, "load:PJM", "production", "ops", "", &to, &err), 0);
    assert_int_equal(to, 2);
    /* staging was created by its only change: nothing to roll back to */
    assert_int_equal(gf_reg_alias_rollback(rc_, "load:PJM", "staging", "ops", "", &to, &err),
                     GF_ECONFLICT);
    assert_string_equal(err.code, "no_previous_version");
    assert_int_equal(gf_reg_alias_rollback(rc_, "load:PJM", "canary", "ops", "", &to, &err),
                     GF_ENOTFOUND);

    /* alias resolution through load_ref */
    gf_reg_version_t *ver = NULL;
    assert_int_equal(gf_reg_version_load_ref(rc_, "load:PJM", "staging", 0, &ver, &err), 0);
    assert_int_equal(ver->version, 3);
    gf_reg_version_free(ver);
    gf_err_cleanup(&err);
}

static void test_registry_deprecate(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_int_equal(reg(rc_, "load:PJM", "m1"), 1);
    assert_int_equal(reg(rc_, "load:PJM", "m2"), 2);
    assert_int_equal(gf_reg_deprecate(rc_, "load:PJM", 1, "alice", "leaky feature", &err), 0);
    assert_int_equal(gf_reg_deprecate(rc_, "load:PJM", 7, "alice", "", &err), GF_ENOTFOUND);
    gf_reg_version_t *v = NULL;
    assert_int_equal(gf_reg_version_load(rc_, "load:PJM", 1, 0, &v, &err), 0);
    assert_non_null(v->deprecated_json);
    assert_non_null(strstr(v->deprecated_json, "leaky feature"));
    gf_reg_version_free(v);
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "production", 1, -1, "bob", "", 0, NULL,
                                      &err),
                     GF_ECONFLICT);
    assert_string_equal(err.code, "version_deprecated");
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "production", 1, -1, "bob", "", 1, NULL,
                                      &err),
                     0);
    gf_err_cleanup(&err);
}

static void test_registry_pubsub_notification(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_int_equal(reg(rc_, "load:PJM", "m1"), 1);
    assert_int_equal(reg(rc_, "load:PJM", "m2"), 2);
    /* On the cluster, listen on a node that does not own the model's slot: the PUBLISH of
     * the alias script runs on the owner, and the cluster must carry it to every node. */
    int node = 0;
    if (cluster_) {
        const char *k = "gf:reg:{load:PJM}:aliases";
        node = (gf_test_rcluster_owner(&cl_, 0, gf_rc_slot(k, strlen(k))) + 1) % GF_TEST_RC_NODES;
    }
    redisContext *sub = node_conn(node);
    assert_non_null(sub);
    redisReply *r = redisCommand(sub, "SUBSCRIBE %s", GF_REG_CHANNEL);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);

    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "production", 1, -1, "alice", "", 0, NULL,
                                      &err),
                     0);
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "production", 2, -1, "bob", "", 0, NULL,
                                      &err),
                     0);
    for (int i = 0; i < 2; i++) {
        void *vr = NULL;
        assert_int_equal(redisGetReply(sub, &vr), REDIS_OK);
        r = vr;
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(r->elements, 3);
        assert_string_equal(r->element[0]->str, "message");
        assert_string_equal(r->element[1]->str, GF_REG_CHANNEL);
        gf_reg_event_t ev;
        assert_int_equal(gf_reg_event_parse(r->element[2]->str, r->element[2]->len, &ev, &err), 0);
        assert_string_equal(ev.name, "load:PJM");
        assert_string_equal(ev.alias, "production");
        assert_int_equal(ev.from, i == 0 ? 0 : 1);
        assert_int_equal(ev.to, i == 0 ? 1 : 2);
        assert_string_equal(ev.who, i == 0 ? "alice" : "bob");
        assert_int_equal(strlen(ev.at), 24);
        freeReplyObject(r);
    }
    redisFree(sub);
    gf_reg_event_t ev;
    assert_int_equal(gf_reg_event_parse("{\"event\":\"x\"}", 13, &ev, &err), GF_EINVAL);
    assert_int_equal(gf_reg_event_parse("nope", 4, &ev, &err), GF_EINVAL);
    gf_err_cleanup(&err);
}

#define PER_THREAD 25

typedef struct {
    int64_t got[PER_THREAD];
    int fails;
} worker_t;

static void *register_worker(void *arg)
{
    worker_t *w = arg;
    gf_rcluster_t *c = gf_rcluster_open(&where_, 2000, NULL);
    if (c == NULL) {
        w->fails = PER_THREAD;
        return NULL;
    }
    for (int i = 0; i < PER_THREAD; i++) {
        w->got[i] = reg(c, "load:PJM", "concurrent");
        if (w->got[i] < 1)
            w->fails++;
    }
    gf_rcluster_free(c);
    return NULL;
}

static void test_registry_concurrent_registration_distinct(void **state)
{
    (void)state;
    worker_t w[2];
    memset(w, 0, sizeof w);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, register_worker, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(w[0].fails + w[1].fails, 0);
    char seen[2 * PER_THREAD + 1] = {0};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < PER_THREAD; i++) {
            int64_t v = w[k].got[i];
            assert_true(v >= 1 && v <= 2 * PER_THREAD);
            assert_int_equal(seen[v], 0);
            seen[v] = 1;
        }
    int64_t *vers = NULL;
    size_t n = 0;
    gf_err_t err = {0};
    assert_int_equal(gf_reg_versions_list(rc_, "load:PJM", &vers, &n, &err), 0);
    assert_int_equal(n, 2 * PER_THREAD);
    free(vers);
}

static void test_registry_corruption_detected(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_int_equal(reg(rc_, "load:PJM", "the-real-model-bytes"), 1);
    assert_int_equal(reg(rc_, "load:PJM", "second"), 2);
    redisReply *r = gf_rcluster_cmd(rc_, NULL, "SETRANGE gf:reg:{load:PJM}:blob:1 4 X");
    assert_non_null(r);
    freeReplyObject(r);
    gf_reg_version_t *v = NULL;
    assert_int_equal(gf_reg_version_load(rc_, "load:PJM", 1, GF_REG_WITH_BLOB, &v, &err),
                     GF_EINTERNAL);
    assert_string_equal(err.code, "checksum_mismatch");
    assert_null(v);
    /* metadata alone still loads */
    assert_int_equal(gf_reg_version_load(rc_, "load:PJM", 1, 0, &v, &err), 0);
    gf_reg_version_free(v);
    /* truncated blob */
    r = gf_rcluster_cmd(rc_, NULL, "SET gf:reg:{load:PJM}:blob:2 secon");
    freeReplyObject(r);
    assert_int_equal(gf_reg_version_load(rc_, "load:PJM", 2, GF_REG_WITH_BLOB, &v, &err),
                     GF_EINTERNAL);
    assert_string_equal(err.code, "checksum_mismatch");
    /* missing blob */
    r = gf_rcluster_cmd(rc_, NULL, "DEL gf:reg:{load:PJM}:blob:2");
    freeReplyObject(r);
    assert_int_equal(gf_reg_version_load(rc_, "load:PJM", 2, GF_REG_WITH_BLOB, &v, &err),
                     GF_EINTERNAL);
    assert_string_equal(err.code, "blob_missing");
    /* damaged metadata */
    r = gf_rcluster_cmd(rc_, NULL, "HDEL gf:reg:{load:PJM}:v:2 sha256");
    freeReplyObject(r);
    assert_int_equal(gf_reg_version_load(rc_, "load:PJM", 2, 0, &v, &err), GF_EINTERNAL);
    assert_string_equal(err.code, "corrupt_metadata");
    gf_err_cleanup(&err);
}

static void test_registry_json_views(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_int_equal(reg(rc_, "load:PJM", "m1"), 1);
    assert_int_equal(reg(rc_, "load:PJM", "m2"), 2);
    assert_int_equal(reg(rc_, "load:ERCOT", "e1"), 1);
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "production", 2, -1, "alice", "ok", 0, NULL,
                                      &err),
                     0);
    json_t *j = NULL;
    assert_int_equal(gf_reg_models_to_json(rc_, &j, &err), 0);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "{\"models\":[{\"aliases\":{},\"latest\":1,\"name\":\"load:ERCOT\","
                           "\"versions\":1},{\"aliases\":{\"production\":2},\"latest\":2,"
                           "\"name\":\"load:PJM\",\"versions\":2}]}");
    free(s);
    json_decref(j);

    assert_int_equal(gf_reg_model_to_json(rc_, "load:PJM", &j, &err), 0);
    json_t *vers = json_object_get(j, "versions");
    assert_int_equal(json_array_size(vers), 2);
    json_t *v2 = json_array_get(vers, 1);
    assert_int_equal(json_integer_value(json_object_get(v2, "version")), 2);
    assert_true(json_is_object(json_object_get(v2, "spec")));
    assert_true(json_is_array(json_object_get(v2, "tags")));
    assert_true(json_is_null(json_object_get(v2, "deprecated")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v2, "data_range"), "to")),
                     1710000000);
    json_t *h = json_object_get(j, "history");
    assert_int_equal(json_array_size(h), 1);
    assert_true(json_is_null(json_object_get(json_array_get(h, 0), "from")));
    json_decref(j);

    assert_int_equal(gf_reg_model_to_json(rc_, "load:none", &j, &err), GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_model");
    assert_null(j);
    gf_err_cleanup(&err);
}

static void test_registry_connection_lost_is_unavailable(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_int_equal(reg(rc_, "load:PJM", "m1"), 1); /* every master's connection is made */
    for (int i = 0; i < (cluster_ ? GF_TEST_RC_NODES : 1); i++) {
        redisContext *c = node_conn(i);
        assert_non_null(c);
        redisReply *r = redisCommand(c, "CLIENT KILL SKIPME no TYPE normal");
        freeReplyObject(r); /* kills every normal client including this one... */
        redisFree(c);
    }
    /* ...so the handle's connections are dead too: the call fails as unavailable (never
     * sent again: its outcome would be unknown), and the handle is usable once ensured. */
    int64_t v;
    int rc = gf_reg_latest(rc_, "load:PJM", &v, &err);
    assert_int_equal(rc, GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_unavailable");
    gf_err_cleanup(&err);
    assert_int_equal(gf_rcluster_ensure(rc_, &err), 0);
    assert_int_equal(gf_reg_latest(rc_, "load:PJM", &v, &err), 0);
    assert_int_equal(v, 1);
    gf_err_cleanup(&err);
}

/* An error reply is the kit's condition "Redis cannot do it now" (gf_redis_reply_check): 503,
 * the same answer every service gives, never a 500 from the registry alone. */
/* CONFIG SET maxmemory <bytes> on every master. */
static void every_master(const char *bytes)
{
    for (int i = 0; i < gf_rcluster_master_count(rc_); i++) {
        const char *argv[] = {"CONFIG", "SET", "maxmemory", bytes};
        redisReply *r = gf_rcluster_master_cmd_argv(rc_, i, 4, argv, NULL, NULL);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_STATUS);
        freeReplyObject(r);
    }
}

static void test_registry_redis_error_reply_is_unavailable(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_true(reg(rc_, "load:PJM", "bytes-1") == 1);
    every_master("1");
    gf_reg_new_t in = {.blob = "bytes-2", .blob_len = 7, .spec_json = "{}"};
    int64_t v = 0;
    int rc = gf_reg_register(rc_, "load:PJM", &in, &v, &err);
    every_master("0");
    assert_int_equal(rc, GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_oom");
    assert_int_equal(gf_err_http_status(err.rc), 503);
    /* nothing of it was written: still one version */
    assert_int_equal(gf_reg_latest(rc_, "load:PJM", &v, &err), 0);
    assert_int_equal(v, 1);
    /* another error reply (a key of the wrong type) is the kit's redis_error, also 503 */
    redisReply *r = gf_rcluster_cmd(rc_, NULL, "SET gf:reg:{load:MISO}:versions x");
    freeReplyObject(r);
    int64_t *vs = NULL;
    size_t n = 0;
    assert_int_equal(gf_reg_versions_list(rc_, "load:MISO", &vs, &n, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_error");
    assert_null(vs);
    /* the script's own refusals keep their codes */
    assert_int_equal(gf_reg_alias_set(rc_, "load:PJM", "production", 9, -1, "ops", NULL, 0, NULL,
                                      &err),
                     GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_version");
    gf_err_cleanup(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_names_valid),
        cmocka_unit_test_setup(test_registry_versions_roundtrip, flush),
        cmocka_unit_test_setup(test_registry_register_validation, flush),
        cmocka_unit_test_setup(test_registry_register_idempotent_retry, flush),
        cmocka_unit_test_setup(test_registry_alias_set_get_history_rollback, flush),
        cmocka_unit_test_setup(test_registry_deprecate, flush),
        cmocka_unit_test_setup(test_registry_pubsub_notification, flush),
        cmocka_unit_test_setup(test_registry_concurrent_registration_distinct, flush),
        cmocka_unit_test_setup(test_registry_corruption_detected, flush),
        cmocka_unit_test_setup(test_registry_json_views, flush),
        cmocka_unit_test_setup(test_registry_connection_lost_is_unavailable, flush),
        cmocka_unit_test_setup(test_registry_redis_error_reply_is_unavailable, flush),
    };
    int failed = cmocka_run_group_tests_name("one Redis", tests, group_setup_single,
                                             group_teardown);
    failed += cmocka_run_group_tests_name("Redis Cluster, 3 masters", tests, group_setup_cluster,
                                          group_teardown);
    return failed;
}
