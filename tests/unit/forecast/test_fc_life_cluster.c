/*
 * test_fc_life_cluster.c - the forecast's model lifecycle (fc_life.c) on a real 3-master Redis
 * Cluster (../support/rcluster_fixture.h): a promotion published on the master that owns the
 * model's slot reaches the subscriber on another node and the new version serves; when the
 * node it listens on goes, it subscribes on the next one and the next promotion serves too.
 * The periodic re-check is off, so only the subscription can bring a version in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/thread.h>

/* the fixture's slot-movement helpers are not used here */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../support/rcluster_fixture.h"
#include "../../../services/forecast/fc_life.h"
#include "core/metrics.h"
#include "registry/registry.h"
#include "xgb_train.h"

#define ROWS 200
#define COLS 6

static float X[ROWS * COLS], Y[ROWS];
static char *model_json;
static size_t model_json_len;
static char spec[512];

static int group_setup(void **state)
{
    (void)state;
    if (evthread_use_pthreads() != 0) /* the loader thread hands models to the loop */
        return -1;
    fc_test_data(ROWS, COLS, 7, X, Y);
    fc_test_spec(COLS, spec, sizeof spec);
    return fc_test_train(X, Y, ROWS, COLS, "reg:squarederror", 10, "json", &model_json,
                         &model_json_len);
}

static int group_teardown(void **state)
{
    (void)state;
    free(model_json);
    return 0;
}

/* Run the loop until cond(l) holds, at most `seconds`. 1 when it held. */
static int loop_until(struct event_base *base, fc_life_t *l, int (*cond)(fc_life_t *, void *),
                      void *arg, double seconds)
{
    for (int i = 0; i < (int)(seconds * 100); i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        if (cond(l, arg))
            return 1;
        usleep(10000);
    }
    return 0;
}

static int subscribed(fc_life_t *l, void *want)
{
    json_t *j = fc_life_loaded_json(l, false);
    int s = json_is_true(json_object_get(j, "subscribed"));
    json_decref(j);
    return s == *(int *)want && fc_life_ready(l, (char[80]){0}, 80);
}

typedef struct {
    const char *region;
    int64_t version;
} serving_t;

static int serving(fc_life_t *l, void *arg)
{
    serving_t *s = arg;
    fc_model_t *m = fc_life_get(l, s->region);
    int ok = m != NULL && fc_model_version(m) == s->version;
    fc_model_release(m);
    return ok;
}

/* The number of registry events the service queued (gf_forecast_registry_events_received_total
 * {action="queued"}), 0 when none. */
static long events_queued(void)
{
    size_t len = 0;
    char *text = gf_metrics_render(&len);
    const char *p = strstr(text, "gf_forecast_registry_events_received_total{action=\"queued\"} ");
    long n = p ? strtol(strchr(p, '}') + 2, NULL, 10) : 0;
    free(text);
    return n;
}

static int64_t promote(gf_rcluster_t *h, const char *name)
{
    gf_err_t err = {0};
    gf_reg_new_t in = {.blob = model_json, .blob_len = model_json_len, .spec_json = spec};
    int64_t v = 0;
    if (gf_reg_register(h, name, &in, &v, &err) != 0 ||
        gf_reg_alias_set(h, name, "production", v, -1, "test", "", 0, NULL, &err) != 0)
        fail_msg("%s: %s %s", name, err.code, err.message);
    gf_err_cleanup(&err);
    return v;
}

static void test_life_cluster_reload_across_nodes_and_failover(void **state)
{
    (void)state;
    gf_test_rcluster_t cl;
    if (gf_test_rcluster_start(&cl) != 0)
        fail_msg("cannot start the cluster");
    gf_err_t err = {0};
    gf_redis_conf_t where = {.cluster = cl.seeds, .host = "127.0.0.1", .port = 6379};
    gf_rcluster_t *h = gf_rcluster_open(&where, 2000, &err);
    assert_non_null(h);
    /* A region whose model keys (and so the alias script and its PUBLISH) live on a master
     * other than node 0, the first seed, where the service subscribes first. */
    static const char *const regions[] = {"PJM", "ERCO", "MISO", "CISO", "NYIS", "ISNE", "SWPP"};
    const char *region = NULL;
    char name[64], key[96];
    for (size_t i = 0; i < sizeof regions / sizeof regions[0] && region == NULL; i++) {
        snprintf(name, sizeof name, "load:%s", regions[i]);
        gf_reg_key(key, sizeof key, name, "aliases", 0);
        if (gf_test_rcluster_owner(&cl, 0, gf_rc_slot(key, strlen(key))) != 0)
            region = regions[i];
    }
    assert_non_null(region);

    struct event_base *base = event_base_new();
    fc_life_cfg_t cfg = {.redis = where, .recheck_seconds = 0};
    fc_life_t *l = fc_life_new(base, &cfg, &err);
    assert_non_null(l);
    int yes = 1, no = 0;
    assert_true(loop_until(base, l, subscribed, &yes, 15));
    long ev0 = events_queued();

    /* 1. published on the owner's node, heard on node 0: v1 serves */
    serving_t want = {region, promote(h, name)};
    if (!loop_until(base, l, serving, &want, 20))
        fail_msg("v%lld of %s not served after its promotion", (long long)want.version, name);
    assert_int_equal(events_queued(), ev0 + 1);

    /* 2. node 0 goes: the service subscribes on another node, and v2 serves */
    gf_test_redis_stop(&cl.node[0]);
    assert_true(loop_until(base, l, subscribed, &no, 10));
    assert_true(loop_until(base, l, subscribed, &yes, 20));
    want.version = promote(h, name);
    if (!loop_until(base, l, serving, &want, 20))
        fail_msg("v%lld of %s not served after the failover", (long long)want.version, name);
    assert_int_equal(events_queued(), ev0 + 2);

    fc_life_free(l);
    event_base_free(base);
    gf_rcluster_free(h);
    gf_test_rcluster_stop(&cl);
    gf_err_cleanup(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_life_cluster_reload_across_nodes_and_failover),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
