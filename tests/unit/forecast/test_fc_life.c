/*
 * test_fc_life.c - the served models' lifecycle (fc_life.h) against a real redis-server
 * (../support/redis_fixture.h) and the real registry, on a libevent loop of the test's own:
 * not ready before the first pass, every load:* production model loaded by it, a promotion
 * published on gf:reg:events swapped in while a retained model stays usable, a corrupt new
 * version refused with the serving one kept and counted, and the /v1/models/loaded view.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../services/forecast/fc_life.h"
#include "../support/redis_fixture.h"
#include "core/util.h"
#include "registry/registry.h"
#include "xgb_train.h"

#define ROWS 200
#define COLS 4

static float X[ROWS * COLS], Y[ROWS];
static char *model_a, *model_b;
static size_t len_a, len_b;
static char spec[256];
static gf_test_redis_t srv;
static redisContext *rc;  /* plain commands of the test */
static gf_rcluster_t *rh; /* the registry's handle */

static int group_setup(void **state)
{
    (void)state;
    if (evthread_use_pthreads() != 0)
        return -1;
    fc_test_data(ROWS, COLS, 7, X, Y);
    fc_test_spec(COLS, spec, sizeof spec);
    if (fc_test_train(X, Y, ROWS, COLS, "reg:squarederror", 6, "json", &model_a, &len_a) != 0 ||
        fc_test_train(X, Y, ROWS, COLS, "reg:squarederror", 2, "json", &model_b, &len_b) != 0)
        return -1;
    if (gf_test_redis_open(&srv, &rc) != 0)
        return -1;
    rh = gf_rcluster_new_single("127.0.0.1", srv.port, 2000, NULL);
    return rh ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    gf_rcluster_free(rh);
    gf_test_redis_close(&srv, &rc);
    free(model_a);
    free(model_b);
    return 0;
}

/* Run the loop until cond(l) holds or 20 s pass: whether it held. */
static int loop_until(struct event_base *b, fc_life_t *l, int (*cond)(fc_life_t *, void *),
                      void *arg)
{
    for (int i = 0; i < 2000; i++) {
        event_base_loop(b, EVLOOP_NONBLOCK);
        if (cond(l, arg))
            return 1;
        usleep(10000);
    }
    return 0;
}

static int is_ready(fc_life_t *l, void *arg)
{
    (void)arg;
    char why[128];
    return fc_life_ready(l, why, sizeof why);
}

static int generation_at_least(fc_life_t *l, void *arg)
{
    return fc_life_generation(l) >= *(uint64_t *)arg;
}

static int failures_at_least(fc_life_t *l, void *arg)
{
    json_t *j = fc_life_loaded_json(l, false);
    json_int_t n = json_integer_value(json_object_get(j, "load_failures"));
    json_decref(j);
    return n >= *(json_int_t *)arg;
}

static int subscribed(fc_life_t *l, void *arg)
{
    (void)arg;
    json_t *j = fc_life_loaded_json(l, false);
    int s = json_is_true(json_object_get(j, "subscribed"));
    json_decref(j);
    return s;
}

static int64_t reg(const char *name, const char *blob, size_t len)
{
    gf_err_t err = {0};
    gf_reg_new_t in = {.blob = blob,
                       .blob_len = len,
                       .spec_json = spec,
                       .metrics_json = "{\"residual_quantiles\":{\"levels\":[0.1,0.5,0.9],"
                                       "\"by_horizon\":[[-2,0,2]]}}"};
    int64_t v = 0;
    if (gf_reg_register(rh, name, &in, &v, &err) != 0)
        fail_msg("register %s: %s", name, err.message);
    gf_err_cleanup(&err);
    return v;
}

static void promote(const char *name, int64_t v)
{
    gf_err_t err = {0};
    if (gf_reg_alias_set(rh, name, "production", v, -1, "test", "", 0, NULL, &err) != 0)
        fail_msg("alias %s: %s", name, err.message);
    gf_err_cleanup(&err);
}

static int64_t served(fc_life_t *l, const char *region)
{
    fc_model_t *m = fc_life_get(l, region);
    if (m == NULL)
        return -1;
    int64_t v = fc_model_version(m);
    fc_model_release(m);
    return v;
}

static void test_fc_life_load_swap_refuse(void **state)
{
    (void)state;
    assert_int_equal(gf_test_redis_flushall(rc), 0);
    /* two regions served, one model that is not a load model, one without production */
    int64_t pjm1 = reg("load:PJM", model_a, len_a);
    promote("load:PJM", pjm1);
    promote("load:NYIS", reg("load:NYIS", model_b, len_b));
    promote("other:X", reg("other:X", model_a, len_a));
    reg("load:ERCO", model_a, len_a);

    struct event_base *b = event_base_new();
    assert_non_null(b);
    gf_err_t err = {0};
    fc_life_cfg_t cfg = {.redis = {.host = "127.0.0.1", .port = srv.port}, .recheck_seconds = 0};
    fc_life_t *l = fc_life_new(b, &cfg, &err);
    assert_non_null(l);
    /* nothing is served before the first pass, and the service says why it is not ready */
    char why[128] = "";
    if (!fc_life_ready(l, why, sizeof why))
        assert_non_null(strstr(why, "not checked yet"));
    assert_true(loop_until(b, l, is_ready, NULL));
    assert_true(loop_until(b, l, subscribed, NULL));
    assert_int_equal(served(l, "PJM"), pjm1);
    assert_true(served(l, "NYIS") > 0);
    assert_int_equal(served(l, "ERCO"), -1); /* registered, never promoted */
    assert_int_equal(served(l, "X"), -1);
    fc_model_t *byname = fc_life_get_name(l, "load:PJM", 8);
    assert_non_null(byname);
    assert_int_equal(fc_model_version(byname), pjm1);
    assert_null(fc_life_get_name(l, "other:X", 7));

    /* the view: one entry per served region, with the stored interval levels */
    json_t *j = fc_life_loaded_json(l, true);
    assert_true(json_is_true(json_object_get(j, "ready")));
    json_t *models = json_object_get(j, "models");
    assert_int_equal(json_array_size(models), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *o = json_array_get(models, i);
        const char *region = json_string_value(json_object_get(o, "region"));
        assert_true(strcmp(region, "PJM") == 0 || strcmp(region, "NYIS") == 0);
        assert_int_equal(json_array_size(json_object_get(o, "interval_levels")), 3);
        assert_int_equal(json_integer_value(json_object_get(o, "features")), COLS);
        assert_int_equal(json_array_size(json_object_get(o, "feature_names")), COLS);
        assert_string_equal(json_string_value(json_object_get(o, "alias")), "production");
    }
    json_decref(j);

    /* a promotion reaches the instance through the event; a retained model stays usable */
    uint64_t gen = fc_life_generation(l) + 1;
    int64_t pjm2 = reg("load:PJM", model_b, len_b);
    promote("load:PJM", pjm2);
    assert_true(loop_until(b, l, generation_at_least, &gen));
    assert_int_equal(served(l, "PJM"), pjm2);
    assert_int_equal(fc_model_version(byname), pjm1);
    float pt[1];
    fc_model_predict(byname, X, 1, pt); /* still a working model */
    fc_model_release(byname);

    /* a corrupt new version is refused, counted, and the serving one stays */
    int64_t pjm3 = reg("load:PJM", model_a, len_a);
    redisReply *r = redisCommand(rc, "SETRANGE gf:reg:{load:PJM}:blob:%lld 10 Z", (long long)pjm3);
    assert_non_null(r);
    freeReplyObject(r);
    json_int_t one = 1;
    promote("load:PJM", pjm3);
    assert_true(loop_until(b, l, failures_at_least, &one));
    assert_int_equal(served(l, "PJM"), pjm2);

    fc_life_free(l);
    event_base_free(b);
    gf_err_cleanup(&err);
}

/* With Redis unreachable the instance is not ready and serves nothing. */
static void test_fc_life_not_ready_without_redis(void **state)
{
    (void)state;
    struct event_base *b = event_base_new();
    gf_err_t err = {0};
    fc_life_cfg_t cfg = {.redis = {.host = "127.0.0.1", .port = 1}, .recheck_seconds = 0};
    fc_life_t *l = fc_life_new(b, &cfg, &err);
    assert_non_null(l);
    for (int i = 0; i < 30; i++) {
        event_base_loop(b, EVLOOP_NONBLOCK);
        usleep(10000);
    }
    char why[128] = "";
    assert_false(fc_life_ready(l, why, sizeof why));
    assert_non_null(strstr(why, "registry unreachable"));
    assert_null(fc_life_get(l, "PJM"));
    json_t *j = fc_life_loaded_json(l, false);
    assert_true(json_is_false(json_object_get(j, "ready")));
    assert_int_equal(json_array_size(json_object_get(j, "models")), 0);
    json_decref(j);
    fc_life_free(l);
    event_base_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc_life_load_swap_refuse),
        cmocka_unit_test(test_fc_life_not_ready_without_redis),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
