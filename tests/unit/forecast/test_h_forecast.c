/*
 * test_h_forecast.c - the forecast routes (h_forecast.c) served in-process by the kit's HTTP
 * server on a loop thread of the test's own, with a real redis-server
 * (../support/redis_fixture.h), the real registry and fc_life serving a model trained in the
 * test; requests go over loopback HTTP (gf_httpc_fetch). Covers the query checks of
 * GET /v1/forecast up to the region's data, POST /v1/predict on the loop and on the worker pool
 * (predictions equal the model's own, intervals, unknown vs not-loaded models, refs), and
 * GET /v1/models/loaded. A full forecast needs a libs/features model: tests/e2e/test_forecast.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/redis_fixture.h"
#include "core/httpc.h"
#include "core/redis.h"
#include "core/util.h"
#include "h_forecast.h"
#include "registry/registry.h"
#include "xgb_train.h"

#define ROWS 200
#define COLS 4

static float X[ROWS * COLS], Y[ROWS];
static char *model_a;
static size_t len_a;
static char spec[256];
static gf_test_redis_t srv;
static redisContext *rc;
static gf_rcluster_t *rh; /* the registry's handle */
static struct event_base *base;
static gf_server_t *server;
static fc_app_t app;
static pthread_t loop_thr;
static char url[64];

static const gf_route_t routes[] = {
    {"GET", "/v1/forecast", h_forecast_get, 0, NULL},
    {"POST", "/v1/predict", h_predict_post, 64 << 20, "application/json"},
    {"GET", "/v1/models/loaded", h_models_loaded_get, 0, NULL},
};

static void *loop_main(void *arg)
{
    (void)arg;
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

static int64_t reg(const char *name, const char *metrics)
{
    gf_err_t err = {0};
    gf_reg_new_t in = {.blob = model_a,
                       .blob_len = len_a,
                       .spec_json = spec,
                       .metrics_json = metrics};
    int64_t v = 0;
    if (gf_reg_register(rh, name, &in, &v, &err) != 0)
        v = -1;
    gf_err_cleanup(&err);
    return v;
}

static int group_setup(void **state)
{
    (void)state;
    if (evthread_use_pthreads() != 0)
        return -1;
    fc_test_data(ROWS, COLS, 11, X, Y);
    fc_test_spec(COLS, spec, sizeof spec);
    if (fc_test_train(X, Y, ROWS, COLS, "reg:squarederror", 8, "json", &model_a, &len_a) != 0)
        return -1;
    if (gf_test_redis_open(&srv, &rc) != 0)
        return -1;
    rh = gf_rcluster_new_single("127.0.0.1", srv.port, 2000, NULL);
    if (rh == NULL)
        return -1;
    /* PJM served (with residual quantiles), ERCO registered but never promoted */
    gf_err_t err = {0};
    int64_t v = reg("load:PJM", "{\"residual_quantiles\":{\"levels\":[0.1,0.5,0.9],"
                                "\"by_horizon\":[[-2,0,2],[-3,0.5,4]]}}");
    if (v != 1 || reg("load:ERCO", NULL) != 1 ||
        gf_reg_alias_set(rh, "load:PJM", "production", v, -1, "t", "", 0, NULL, &err) != 0)
        return -1;
    /* PJM also has history in the ingestion layout; NYIS has data but no model */
    redisReply *r = redisCommand(rc, "HSET gf:region:{PJM} code PJM first 1514764800 last "
                                     "1514800800 rows 11");
    freeReplyObject(r);
    r = redisCommand(rc,
                     "HSET gf:region:{NYIS} code NYIS first 1514764800 last 1514800800 rows 11");
    freeReplyObject(r);

    base = event_base_new();
    if (base == NULL)
        return -1;
    app.base = base;
    app.redis = gf_redis_new(base, "127.0.0.1", srv.port);
    app.cache = fc_cache_new(64, 60);
    app.inline_bytes = 4096; /* larger bodies go to the pool */
    app.max_rows = 1000;
    fc_metrics_init(app.cache);
    gf_pool_cfg_t pc = {.name = "predict", .threads = 1, .queue_max = 4};
    app.pool = gf_pool_new(base, &pc, &err);
    fc_life_cfg_t lc = {.redis = {.host = "127.0.0.1", .port = srv.port}, .recheck_seconds = 0};
    app.life = fc_life_new(base, &lc, &err);
    server = gf_server_new(base, "forecast", &app, 64 << 20, &err);
    int port = 0;
    if (app.redis == NULL || app.pool == NULL || app.life == NULL || server == NULL ||
        gf_server_add_routes(server, routes, 3, &err) != 0 ||
        gf_server_listen(server, "127.0.0.1", 0, &port, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err.message);
        return -1;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    if (pthread_create(&loop_thr, NULL, loop_main, NULL) != 0)
        return -1;
    /* ready: the first pass loaded PJM, and the async Redis connection is up */
    char why[128];
    for (int i = 0;
         i < 1000 && !(fc_life_ready(app.life, why, sizeof why) && gf_redis_ready(app.redis)); i++)
        usleep(10000);
    gf_err_cleanup(&err);
    return fc_life_ready(app.life, why, sizeof why) && gf_redis_ready(app.redis) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    event_base_loopbreak(base);
    pthread_join(loop_thr, NULL);
    gf_server_free(server);
    gf_pool_free(app.pool, 0);
    fc_life_free(app.life);
    gf_redis_free(app.redis);
    fc_cache_free(app.cache);
    fc_scratch_cleanup(&app.scratch);
    event_base_free(base);
    gf_rcluster_free(rh);
    gf_test_redis_close(&srv, &rc);
    free(model_a);
    return 0;
}

/* One request: the status, the body as JSON in *out (new reference, NULL if not JSON). */
static int call(const char *method, const char *path, const char *body, json_t **out)
{
    char u[1024];
    snprintf(u, sizeof u, "%s%s", url, path);
    int status = 0;
    char *resp = NULL;
    size_t len = 0;
    gf_err_t err = {0};
    int rc2 = gf_httpc_fetch(method, u, NULL, body ? "application/json" : NULL, body,
                             body ? strlen(body) : 0, 10, &status, &resp, &len, &err);
    if (rc2 != 0)
        fail_msg("%s %s: %s", method, path, err.message);
    *out = json_loadb(resp, len, 0, NULL);
    free(resp);
    return status;
}

static const char *err_code(const json_t *o)
{
    return json_string_value(json_object_get(json_object_get(o, "error"), "code"));
}

static void expect_error(const char *method, const char *path, const char *body, int status,
                         const char *code)
{
    json_t *o = NULL;
    int st = call(method, path, body, &o);
    if (st != status || err_code(o) == NULL || strcmp(err_code(o), code) != 0) {
        char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
        fail_msg("%s %s: %d %s (want %d %s)", method, path, st, t ? t : "(not JSON)", status, code);
    }
    json_decref(o);
}

static void test_h_forecast_get_query_checks(void **state)
{
    (void)state;
    expect_error("GET", "/v1/forecast", NULL, 400, "missing_parameter");
    expect_error("GET", "/v1/forecast?region=P%20J", NULL, 400, "invalid_region");
    expect_error("GET", "/v1/forecast?region=PJM&horizon=169", NULL, 400, "invalid_parameter");
    expect_error("GET", "/v1/forecast?region=PJM&start=2018-01-01T00:30:00Z", NULL, 400,
                 "invalid_parameter");
    expect_error("GET", "/v1/forecast?region=PJM&levels=0.1,2", NULL, 400, "invalid_parameter");
    expect_error("GET", "/v1/forecast?region=PJM&colour=red", NULL, 400, "unknown_parameter");
    /* past the query: the region's data decides, then the model */
    expect_error("GET", "/v1/forecast?region=NOPE", NULL, 404, "unknown_region");
    expect_error("GET", "/v1/forecast?region=NYIS", NULL, 503, "no_model");
    /* PJM's model was trained without libs/features: it serves /v1/predict only */
    expect_error("GET", "/v1/forecast?region=PJM", NULL, 422, "no_feature_spec");
}

/* The predictions of rows 0..n-1 of X as the body of a compact predict request. */
static char *predict_body(const char *model, size_t n, int with_horizons)
{
    size_t cap = 256 + n * COLS * 24 + n * 8, o = 0;
    char *b = gf_xmalloc(cap);
    o += (size_t)snprintf(b + o, cap - o, "{\"model\":\"%s\",\"columns\":[", model);
    for (int c = 0; c < COLS; c++)
        o += (size_t)snprintf(b + o, cap - o, "%s\"f%d\"", c ? "," : "", c);
    o += (size_t)snprintf(b + o, cap - o, "],\"rows\":[");
    for (size_t r = 0; r < n; r++) {
        o += (size_t)snprintf(b + o, cap - o, "%s[", r ? "," : "");
        for (int c = 0; c < COLS; c++) {
            float v = X[r * COLS + c];
            if (isnan(v))
                o += (size_t)snprintf(b + o, cap - o, "%snull", c ? "," : "");
            else
                o += (size_t)snprintf(b + o, cap - o, "%s%.9g", c ? "," : "", (double)v);
        }
        o += (size_t)snprintf(b + o, cap - o, "]");
    }
    o += (size_t)snprintf(b + o, cap - o, "]");
    if (with_horizons) {
        o += (size_t)snprintf(b + o, cap - o, ",\"horizons\":[");
        for (size_t r = 0; r < n; r++)
            o += (size_t)snprintf(b + o, cap - o, "%s%zu", r ? "," : "", 1 + r % 2);
        o += (size_t)snprintf(b + o, cap - o, "]");
    }
    snprintf(b + o, cap - o, "}");
    return b;
}

/* n rows through POST /v1/predict equal the model's own predictions (the body is small
 * enough for the loop, or large enough for the pool). */
static void check_predictions(size_t n)
{
    fc_model_t *m = fc_life_get(app.life, "PJM");
    assert_non_null(m);
    float *want = gf_xmalloc(n * sizeof *want);
    fc_model_predict(m, X, n, want);
    fc_model_release(m);
    char *body = predict_body("load:PJM", n, 1);
    json_t *o = NULL;
    assert_int_equal(call("POST", "/v1/predict", body, &o), 200);
    assert_int_equal(json_integer_value(json_object_get(o, "rows")), n);
    json_t *mo = json_object_get(o, "model");
    assert_string_equal(json_string_value(json_object_get(mo, "name")), "load:PJM");
    assert_int_equal(json_integer_value(json_object_get(mo, "version")), 1);
    json_t *p = json_object_get(o, "predictions"), *bnd = json_object_get(o, "bounds");
    assert_int_equal(json_array_size(p), n);
    assert_int_equal(json_array_size(bnd), n);
    for (size_t i = 0; i < n; i++) {
        double got = json_number_value(json_array_get(p, i));
        if (fabs(got - (double)want[i]) > 1e-3 * fabs((double)want[i]) + 1e-6)
            fail_msg("row %zu: %g, the model says %g", i, got, (double)want[i]);
        /* horizon 1 + i % 2: offsets -2,0,2 then -3,0.5,4 */
        json_t *b = json_array_get(bnd, i);
        double lo = i % 2 ? -3 : -2, hi = i % 2 ? 4 : 2;
        assert_true(fabs(json_number_value(json_array_get(b, 0)) - (got + lo)) < 1e-3);
        assert_true(fabs(json_number_value(json_array_get(b, 2)) - (got + hi)) < 1e-3);
    }
    assert_int_equal(json_array_size(json_object_get(o, "levels")), 3);
    json_decref(o);
    free(body);
    free(want);
}

static void test_h_forecast_predict_on_the_loop_and_the_pool(void **state)
{
    (void)state;
    check_predictions(3);   /* < inline_bytes: on the loop */
    check_predictions(150); /* > inline_bytes: on the worker pool */
}

static void test_h_forecast_predict_unknown_vs_not_loaded(void **state)
{
    (void)state;
    char *b = predict_body("other:X", 1, 0);
    expect_error("POST", "/v1/predict", b, 404, "unknown_model"); /* not load:<region> */
    free(b);
    b = predict_body("load:NYIS", 1, 0);
    expect_error("POST", "/v1/predict", b, 404, "unknown_model"); /* not in the registry */
    free(b);
    b = predict_body("load:ERCO", 1, 0);
    expect_error("POST", "/v1/predict", b, 503, "no_model"); /* registered, none loaded */
    free(b);
    b = predict_body("load:PJM@7", 1, 0);
    expect_error("POST", "/v1/predict", b, 404, "model_ref_not_served");
    free(b);
    b = predict_body("load:PJM@1", 1, 0); /* the version served, by number */
    json_t *o = NULL;
    assert_int_equal(call("POST", "/v1/predict", b, &o), 200);
    json_decref(o);
    free(b);
    expect_error("POST", "/v1/predict",
                 "{\"model\":\"load:PJM\",\"columns\":[\"f0\"],\"rows\":[[1]]}", 422,
                 "missing_features");
    expect_error("POST", "/v1/predict", "{\"model\":", 400, "invalid_json");
}

static void test_h_forecast_models_loaded(void **state)
{
    (void)state;
    json_t *o = NULL;
    assert_int_equal(call("GET", "/v1/models/loaded?features=true", NULL, &o), 200);
    assert_true(json_is_true(json_object_get(o, "ready")));
    json_t *models = json_object_get(o, "models");
    assert_int_equal(json_array_size(models), 1);
    json_t *m = json_array_get(models, 0);
    assert_string_equal(json_string_value(json_object_get(m, "region")), "PJM");
    assert_int_equal(json_integer_value(json_object_get(m, "version")), 1);
    json_t *fn = json_object_get(m, "feature_names");
    assert_int_equal(json_array_size(fn), COLS);
    assert_string_equal(json_string_value(json_array_get(fn, 0)), "f0");
    json_decref(o);
    assert_int_equal(call("GET", "/v1/models/loaded", NULL, &o), 200);
    assert_null(json_object_get(json_array_get(json_object_get(o, "models"), 0), "feature_names"));
    json_decref(o);
    expect_error("GET", "/v1/models/loaded?features=maybe", NULL, 400, "invalid_parameter");
    expect_error("GET", "/v1/models/loaded?x=1", NULL, 400, "unknown_parameter");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_h_forecast_get_query_checks),
        cmocka_unit_test(test_h_forecast_predict_on_the_loop_and_the_pool),
        cmocka_unit_test(test_h_forecast_predict_unknown_vs_not_loaded),
        cmocka_unit_test(test_h_forecast_models_loaded),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
