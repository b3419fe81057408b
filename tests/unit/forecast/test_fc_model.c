/*
 * test_fc_model.c - model loading and verification (fc_model.h) on tiny XGBoost models trained
 * here through the C API: native evaluator == XGBoost on every training row, spec mismatch and
 * corrupt bytes refused, loading through the registry (real redis-server), and the swap holder
 * under concurrent readers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "../support/omp_env.h"
#include "../support/redis_fixture.h"
#include "../../../services/forecast/fc_model.h"
#include "../../../services/forecast/fc_xgb.h"
#include "xgb_train.h"

#define ROWS 400
#define COLS 6

static float X[ROWS * COLS], Y[ROWS];
static char *model_json;
static size_t model_json_len;
static char spec[512];

static int group_setup(void **state)
{
    (void)state;
    fc_test_data(ROWS, COLS, 42, X, Y);
    fc_test_spec(COLS, spec, sizeof spec);
    return fc_test_train(X, Y, ROWS, COLS, "reg:squarederror", 20, "json", &model_json,
                         &model_json_len);
}

static int group_teardown(void **state)
{
    (void)state;
    free(model_json);
    return 0;
}

/* XGBoost's own predictions of all rows, for comparison. */
static void xgb_ref(const char *bytes, size_t len, const float *x, size_t rows, float *out)
{
    gf_err_t err = {0};
    BoosterHandle b = fc_xgb_load(bytes, len, &err);
    assert_non_null(b);
    assert_int_equal(gf_xgb_predict_dense(b, x, rows, COLS, out, &err), 0);
    XGBoosterFree(b);
}

static void check_equal_all_rows(const char *objective, const char *format)
{
    char *bytes = NULL;
    size_t len = 0;
    assert_int_equal(fc_test_train(X, Y, ROWS, COLS, objective, 15, format, &bytes, &len), 0);
    gf_err_t err = {0};
    fc_model_t *m = fc_model_new("t", 1, bytes, len, spec, NULL, NULL, NULL, &err);
    if (m == NULL)
        fail_msg("%s/%s: %s %s", objective, format, err.code, err.message);
    assert_true(fc_model_check_count(m) >= 256);
    /* real trees, not stumps of leaves: the comparison must exercise splits */
    assert_true(fc_forest_num_nodes(fc_model_forest(m)) >=
                3 * fc_forest_num_trees(fc_model_forest(m)));
    assert_string_equal(fc_forest_objective(fc_model_forest(m)), objective);
    float nat[ROWS], ref[ROWS];
    fc_model_predict(m, X, ROWS, nat);
    xgb_ref(bytes, len, X, ROWS, ref);
    for (size_t i = 0; i < ROWS; i++) {
        double tol = 1e-5 * fmax(fabs((double)ref[i]), 1e-6);
        if (fabs((double)nat[i] - (double)ref[i]) > tol)
            fail_msg("%s row %zu: native %.9g xgboost %.9g", objective, i, nat[i], ref[i]);
    }
    fc_model_release(m);
    free(bytes);
    gf_err_cleanup(&err);
}

/* ------------------------------------------------------------------ memory */

#if !defined(__SANITIZE_ADDRESS__)
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, key, kl) == 0 && line[kl] == ':')
            v = strtol(line + kl + 1, NULL, 10);
    if (f != NULL)
        fclose(f);
    return v;
}

typedef struct load_arg {
    const char *bytes;
    size_t len;
    fc_model_t *m;
} load_arg_t;

static void *load_on_thread(void *p)
{
    load_arg_t *a = p;
    gf_err_t err = {0};
    a->m = fc_model_new("big", 1, a->bytes, a->len, spec, NULL, NULL, NULL, &err);
    gf_err_cleanup(&err);
    return NULL;
}
#endif

/* A model loaded on a thread of its own (as the service's loader does) leaves behind the
 * native forest, not the transient booster, JSON text and jansson tree of the load: before,
 * glibc kept those freed pages in the thread's arena (the eight production models: 76 MB RSS
 * for 8.7 MB in use). Skipped under ASan, whose quarantine keeps freed memory on purpose,
 * and under valgrind, whose own allocator decides the RSS (a skip tests/run.sh reports). */
static void test_model_load_returns_transient_memory(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#else
    const char *pre = getenv("LD_PRELOAD");
    if (pre != NULL && strstr(pre, "vgpreload") != NULL)
        skip();
    char *bytes = NULL;
    size_t len = 0;
    assert_int_equal(fc_test_train(X, Y, ROWS, COLS, "reg:squarederror", 1500, "ubj", &bytes, &len),
                     0);
    long rss0 = status_kb("VmRSS"), hwm0 = status_kb("VmHWM");
    load_arg_t a = {bytes, len, NULL};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, load_on_thread, &a), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_non_null(a.m);
    long rss1 = status_kb("VmRSS"), hwm1 = status_kb("VmHWM");
    size_t forest_kb = fc_forest_num_nodes(fc_model_forest(a.m)) * 16 / 1024;
    printf("    load of %zu trees (%zu kB of nodes): RSS change %ld kB, peak change %ld kB\n",
           fc_forest_num_trees(fc_model_forest(a.m)), forest_kb, rss1 - rss0, hwm1 - hwm0);
    /* what stays is the forest plus allocator slack, far below what the load went through */
    assert_true(rss1 - rss0 < (long)forest_kb + 4096);
    fc_model_release(a.m);
    free(bytes);
#endif
}

static void test_model_native_equals_xgboost_squarederror(void **state)
{
    (void)state;
    check_equal_all_rows("reg:squarederror", "json");
}

static void test_model_native_equals_xgboost_ubj_bytes(void **state)
{
    (void)state;
    check_equal_all_rows("reg:squarederror", "ubj");
}

static void test_model_native_equals_xgboost_other_links(void **state)
{
    (void)state;
    check_equal_all_rows("binary:logistic", "json");
    check_equal_all_rows("count:poisson", "json");
    check_equal_all_rows("reg:pseudohubererror", "json");
}

static void test_model_omp_wait_policy_passive_from_start(void **state)
{
    (void)state;
    /* libgomp reads the policy at load time: it must be in the environment the process was
     * exec'd with (/proc/self/environ), not just setenv'd later. Under valgrind the re-exec
     * is skipped on purpose. */
    const char *pre = getenv("LD_PRELOAD");
    if (pre != NULL && strstr(pre, "vgpreload") != NULL)
        skip();
    assert_int_equal(gf_test_omp_passive_at_exec(), 1);
    assert_true(gf_xgb_wait_policy_passive());
}

static void test_model_accessors_and_feature_index(void **state)
{
    (void)state;
    gf_err_t err = {0};
    fc_model_t *m = fc_model_new("load:PJM", 7, model_json, model_json_len, spec, NULL, NULL, NULL,
                                 &err);
    assert_non_null(m);
    assert_string_equal(fc_model_name(m), "load:PJM");
    assert_int_equal(fc_model_version(m), 7);
    assert_int_equal(fc_model_num_features(m), COLS);
    assert_string_equal(fc_model_feature_names(m)[3], "f3");
    assert_int_equal(fc_model_feature_index(m, "f5", 2), 5);
    assert_int_equal(fc_model_feature_index(m, "f5xyz", 2), 5);
    assert_int_equal(fc_model_feature_index(m, "f6", 2), -1);
    assert_int_equal(fc_model_feature_index(m, "f", 1), -1);
    assert_null(fc_model_quantiles(m));
    assert_true(fc_model_check_max_rel(m) <= 1e-5);
    assert_int_equal(fc_forest_num_trees(fc_model_forest(m)), 20);
    fc_model_release(m);
}

static void test_model_spec_mismatch_refused(void **state)
{
    (void)state;
    gf_err_t err = {0};
    char small[256];
    fc_test_spec(COLS - 1, small, sizeof small);
    assert_null(fc_model_new("t", 1, model_json, model_json_len, small, NULL, NULL, NULL, &err));
    assert_int_equal(err.rc, GF_EUNPROCESSABLE);
    assert_string_equal(err.code, "spec_mismatch");
    static const char *bad_specs[] = {
        "{}",
        "[]",
        "{\"features\":[]}",
        "{\"features\":[\"a\",1]}",
        "{\"features\":[\"a\",\"a\"]}",
        "not json",
    };
    for (size_t i = 0; i < sizeof bad_specs / sizeof bad_specs[0]; i++) {
        assert_null(
            fc_model_new("t", 1, model_json, model_json_len, bad_specs[i], NULL, NULL, NULL, &err));
        assert_string_equal(err.code, "bad_feature_spec");
    }
    /* the older {"names":[...]} form is accepted */
    fc_model_t *m = fc_model_new("t", 1, model_json, model_json_len,
                                 "{\"names\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}", NULL, NULL,
                                 NULL, &err);
    assert_non_null(m);
    fc_model_release(m);
    gf_err_cleanup(&err);
}

static void test_model_corrupt_json_refused(void **state)
{
    (void)state;
    gf_err_t err = {0};
    /* truncated */
    assert_null(fc_model_new("t", 1, model_json, model_json_len / 2, spec, NULL, NULL, NULL, &err));
    assert_string_equal(err.code, "xgboost_error");
    /* garbage */
    assert_null(fc_model_new("t", 1, "{\"learner\":5}", 13, spec, NULL, NULL, NULL, &err));
    assert_int_equal(err.rc, GF_EINTERNAL);
    assert_null(fc_model_new("t", 1, "", 0, spec, NULL, NULL, NULL, &err));
    assert_string_equal(err.code, "empty_model");
    /* a damaged leaf value still parses for XGBoost: loads, and both evaluators agree on the
     * damaged model (verification is about the evaluator, the checksum guards the bytes) */
    char *copy = malloc(model_json_len + 1);
    memcpy(copy, model_json, model_json_len + 1);
    char *p = strstr(copy, "\"split_indices\"");
    assert_non_null(p);
    p = strchr(p, '[');
    p[1] = p[1] == '9' ? '8' : '9'; /* feature index of the first split of tree 0: >= COLS? */
    fc_model_t *m = fc_model_new("t", 1, copy, model_json_len, spec, NULL, NULL, NULL, &err);
    if (m == NULL)
        assert_true(err.rc == GF_EINTERNAL || err.rc == GF_EINVAL);
    fc_model_release(m);
    free(copy);
    /* bad residual quantiles are refused with the model */
    assert_null(fc_model_new("t", 1, model_json, model_json_len, spec,
                             "{\"residual_quantiles\":{\"levels\":[0.9,0.1],"
                             "\"by_horizon\":[[1,2]]}}",
                             NULL, NULL, &err));
    assert_string_equal(err.code, "bad_residual_quantiles");
    gf_err_cleanup(&err);
}

static void test_model_verify_detects_mismatch(void **state)
{
    (void)state;
    /* the proof must fail when evaluator and reference disagree: forest of model A against
     * the booster of model B (same features, fewer rounds) */
    gf_err_t err = {0};
    char *b2 = NULL, *dump = NULL;
    size_t l2 = 0, dl = 0;
    assert_int_equal(fc_test_train(X, Y, ROWS, COLS, "reg:squarederror", 3, "json", &b2, &l2), 0);
    BoosterHandle a = fc_xgb_load(model_json, model_json_len, &err);
    BoosterHandle b = fc_xgb_load(b2, l2, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(fc_xgb_dump_json(a, &dump, &dl, &err), 0);
    fc_forest_t *f = fc_forest_parse(dump, dl, &err);
    assert_non_null(f);
    double max_rel = 0;
    assert_int_equal(fc_forest_verify(f, a, X, ROWS, 1e-5, &max_rel, &err), 0);
    assert_true(max_rel <= 1e-5);
    assert_int_equal(fc_forest_verify(f, b, X, ROWS, 1e-5, &max_rel, &err), GF_EINTERNAL);
    assert_string_equal(err.code, "evaluator_mismatch");
    assert_non_null(strstr(err.message, "check row 0"));
    fc_forest_free(f);
    free(dump);
    XGBoosterFree(a);
    XGBoosterFree(b);
    free(b2);
    gf_err_cleanup(&err);
}

static void test_model_extra_check_rows(void **state)
{
    (void)state;
    gf_err_t err = {0};
    fc_model_opts_t o = {.check_rows = 16, .extra_rows = X, .n_extra = ROWS, .rtol = 1e-6};
    fc_model_t *m = fc_model_new("t", 1, model_json, model_json_len, spec, NULL, NULL, &o, &err);
    assert_non_null(m);
    assert_int_equal(fc_model_check_count(m), 16 + ROWS);
    fc_model_release(m);
}

/* ------------------------------------------------------------------ registry integration */

static void test_model_load_through_registry(void **state)
{
    (void)state;
    gf_test_redis_t srv;
    if (gf_test_redis_start(&srv) != 0)
        fail_msg("cannot start redis-server");
    gf_rcluster_t *c = gf_rcluster_new_single("127.0.0.1", srv.port, 2000, NULL);
    assert_non_null(c);
    gf_err_t err = {0};
    gf_reg_new_t in = {.blob = model_json,
                       .blob_len = model_json_len,
                       .spec_json = spec,
                       .metrics_json = "{\"residual_quantiles\":{\"levels\":[0.1,0.5,0.9],"
                                       "\"by_horizon\":[[-2,0,2],[-3,0.5,4]]}}"};
    int64_t v = 0;
    assert_int_equal(gf_reg_register(c, "load:PJM", &in, &v, &err), 0);
    assert_int_equal(gf_reg_alias_set(c, "load:PJM", "production", v, -1, "test", "", 0, NULL,
                                      &err),
                     0);
    fc_model_t *m = fc_model_load(c, "load:PJM", "production", NULL, &err);
    if (m == NULL)
        fail_msg("%s: %s", err.code, err.message);
    assert_int_equal(fc_model_version(m), v);
    assert_non_null(fc_model_quantiles(m));
    assert_int_equal(fc_model_quantiles(m)->nh, 2);
    {
        /* intervals: explicit horizons; no "horizon" feature in this spec -> no_horizon */
        float pt[2], b[6];
        fc_model_predict(m, X, 2, pt);
        int32_t hz[2] = {1, 5};
        assert_int_equal(fc_model_intervals(m, X, pt, hz, 2, b, &err), 0);
        assert_true(b[0] == pt[0] - 2 && b[1] == pt[0] && b[2] == pt[0] + 2);
        assert_true(b[3] == pt[1] - 3 && b[4] == pt[1] + 0.5f && b[5] == pt[1] + 4);
        for (int i = 0; i < 2; i++)
            assert_true(b[3 * i] <= b[3 * i + 1] && b[3 * i + 1] <= b[3 * i + 2]);
        assert_int_equal(fc_model_intervals(m, X, pt, NULL, 2, b, &err), GF_EUNPROCESSABLE);
        assert_string_equal(err.code, "no_horizon");
    }
    {
        /* horizons from the rows' own "horizon" feature */
        fc_model_t *m2 = fc_model_new("t", 1, model_json, model_json_len,
                                      "{\"features\":[\"horizon\",\"a\",\"b\",\"c\",\"d\",\"e\"]}",
                                      in.metrics_json, NULL, NULL, &err);
        assert_non_null(m2);
        float xr[2 * COLS], pt[2], b[6];
        memcpy(xr, X, sizeof xr);
        xr[0] = 1;
        xr[COLS] = 2;
        fc_model_predict(m2, xr, 2, pt);
        assert_int_equal(fc_model_intervals(m2, xr, pt, NULL, 2, b, &err), 0);
        assert_true(b[0] == pt[0] - 2 && b[3] == pt[1] - 3);
        xr[COLS] = NAN;
        assert_int_equal(fc_model_intervals(m2, xr, pt, NULL, 2, b, &err), GF_EUNPROCESSABLE);
        fc_model_release(m2);
    }
    fc_model_release(m);
    /* corrupt the stored bytes: the checksum stops it before XGBoost sees them */
    redisReply *r = gf_rcluster_cmd(c, NULL, "SETRANGE gf:reg:{load:PJM}:blob:1 100 Z");
    freeReplyObject(r);
    assert_null(fc_model_load(c, "load:PJM", "production", NULL, &err));
    assert_string_equal(err.code, "checksum_mismatch");
    assert_null(fc_model_load(c, "load:PJM", "staging", NULL, &err));
    assert_string_equal(err.code, "unknown_alias");
    gf_rcluster_free(c);
    gf_test_redis_stop(&srv);
    gf_err_cleanup(&err);
}

static void test_model_holder_reload_on_event(void **state)
{
    (void)state;
    gf_test_redis_t srv;
    if (gf_test_redis_start(&srv) != 0)
        fail_msg("cannot start redis-server");
    gf_rcluster_t *c = gf_rcluster_new_single("127.0.0.1", srv.port, 2000, NULL);
    redisContext *sub = gf_test_redis_connect(&srv);
    assert_non_null(c);
    assert_non_null(sub);
    redisReply *r = redisCommand(sub, "SUBSCRIBE %s", GF_REG_CHANNEL);
    assert_non_null(r);
    freeReplyObject(r);
    gf_err_t err = {0};
    char *b2 = NULL;
    size_t l2 = 0;
    assert_int_equal(fc_test_train(X, Y, ROWS, COLS, "reg:squarederror", 4, "ubj", &b2, &l2), 0);
    gf_reg_new_t in = {.blob = model_json, .blob_len = model_json_len, .spec_json = spec};
    int64_t v1, v2, v3;
    assert_int_equal(gf_reg_register(c, "load:PJM", &in, &v1, &err), 0);
    in.blob = b2;
    in.blob_len = l2;
    assert_int_equal(gf_reg_register(c, "load:PJM", &in, &v2, &err), 0);
    assert_int_equal(gf_reg_register(c, "load:PJM", &in, &v3, &err), 0);
    assert_int_equal(gf_reg_alias_set(c, "load:PJM", "production", v1, -1, "t", "", 0, NULL, &err),
                     0);

    fc_holder_t h;
    fc_holder_init(&h);
    fc_model_opts_t o = {.check_rows = 32};
    assert_int_equal(fc_holder_reload(&h, c, "load:PJM", "production", &o, &err), 1);
    assert_int_equal(fc_holder_reload(&h, c, "load:PJM", "production", &o, &err), 0);

    /* promotion: the event names what to reload */
    assert_int_equal(gf_reg_alias_set(c, "load:PJM", "production", v2, v1, "t", "", 0, NULL, &err),
                     0);
    /* reload resolves the alias as it is now: the first event (the v1 promotion, already
     * served) already brings v2; the second finds nothing new */
    for (int i = 0; i < 2; i++) {
        void *vr = NULL;
        assert_int_equal(redisGetReply(sub, &vr), REDIS_OK);
        r = vr;
        gf_reg_event_t ev;
        assert_int_equal(gf_reg_event_parse(r->element[2]->str, r->element[2]->len, &ev, &err), 0);
        freeReplyObject(r);
        assert_int_equal(fc_holder_reload(&h, c, ev.name, ev.alias, &o, &err), i == 0 ? 1 : 0);
    }
    fc_model_t *m = fc_holder_get(&h);
    assert_int_equal(fc_model_version(m), v2);
    fc_model_release(m);

    /* a corrupt new version is refused and the serving one stays */
    r = gf_rcluster_cmd(c, NULL, "SETRANGE gf:reg:{load:PJM}:blob:%lld 10 Z", (long long)v3);
    freeReplyObject(r);
    assert_int_equal(gf_reg_alias_set(c, "load:PJM", "production", v3, -1, "t", "", 0, NULL, &err),
                     0);
    assert_int_equal(fc_holder_reload(&h, c, "load:PJM", "production", &o, &err), GF_EINTERNAL);
    assert_string_equal(err.code, "checksum_mismatch");
    m = fc_holder_get(&h);
    assert_int_equal(fc_model_version(m), v2);
    fc_model_release(m);
    /* rollback restores v2: nothing to load */
    assert_int_equal(gf_reg_alias_rollback(c, "load:PJM", "production", "t", "", NULL, &err), 0);
    assert_int_equal(fc_holder_reload(&h, c, "load:PJM", "production", &o, &err), 0);
    assert_int_equal(fc_holder_reload(&h, c, "load:PJM", "1", &o, &err), 1);
    assert_int_equal(fc_holder_reload(&h, c, "load:PJM", "latest", &o, &err), GF_EINTERNAL);
    assert_int_equal(fc_holder_reload(&h, c, "load:PJM", "canary", &o, &err), GF_ENOTFOUND);

    fc_holder_cleanup(&h);
    free(b2);
    redisFree(sub);
    gf_rcluster_free(c);
    gf_test_redis_stop(&srv);
    gf_err_cleanup(&err);
}

/* ------------------------------------------------------------------ holder */

typedef struct {
    fc_holder_t *h;
    float want[2]; /* prediction of row 0 under model A and model B */
    _Atomic int stop;
    _Atomic long reads;
    int bad;
} holder_ctx_t;

static void *reader(void *arg)
{
    holder_ctx_t *ctx = arg;
    long n = 0;
    while (!atomic_load(&ctx->stop)) {
        fc_model_t *m = fc_holder_get(ctx->h);
        if (m == NULL)
            continue;
        float out;
        fc_model_predict(m, X, 1, &out);
        if (out != ctx->want[0] && out != ctx->want[1])
            ctx->bad++;
        fc_model_release(m);
        n++;
        atomic_store(&ctx->reads, n);
    }
    return NULL;
}

static void test_model_holder_swap_under_readers(void **state)
{
    (void)state;
    gf_err_t err = {0};
    char *b2 = NULL;
    size_t l2 = 0;
    assert_int_equal(fc_test_train(X, Y, ROWS, COLS, "reg:squarederror", 5, "json", &b2, &l2), 0);
    fc_model_opts_t o = {.check_rows = 8};
    fc_model_t *a = fc_model_new("t", 1, model_json, model_json_len, spec, NULL, NULL, &o, &err);
    fc_model_t *b = fc_model_new("t", 2, b2, l2, spec, NULL, NULL, &o, &err);
    assert_non_null(a);
    assert_non_null(b);
    fc_holder_t h;
    fc_holder_init(&h);
    assert_null(fc_holder_get(&h));
    holder_ctx_t ctx[2];
    memset(ctx, 0, sizeof ctx);
    for (int i = 0; i < 2; i++) {
        ctx[i].h = &h;
        fc_model_predict(a, X, 1, &ctx[i].want[0]);
        fc_model_predict(b, X, 1, &ctx[i].want[1]);
    }
    assert_true(ctx[0].want[0] != ctx[0].want[1]);
    fc_holder_set(&h, fc_model_retain(a));
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, &ctx[i]), 0);
    /* a request in flight keeps its model across a swap */
    fc_model_t *inflight = fc_holder_get(&h);
    /* swap (an even number of times, ending on a) until both readers have done many reads */
    long swaps = 0;
    while (swaps < 2000 || atomic_load(&ctx[0].reads) < 1000 || atomic_load(&ctx[1].reads) < 1000) {
        fc_holder_set(&h, fc_model_retain(swaps % 2 ? a : b));
        swaps++;
        if (swaps % 2 == 0 && swaps > 2000000)
            break;
    }
    if (swaps % 2)
        fc_holder_set(&h, fc_model_retain(a)), swaps++;
    float out;
    fc_model_predict(inflight, X, 1, &out);
    assert_true(out == ctx[0].want[0]);
    fc_model_release(inflight);
    for (int i = 0; i < 2; i++)
        atomic_store(&ctx[i].stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(ctx[0].bad + ctx[1].bad, 0);
    assert_true(atomic_load(&ctx[0].reads) >= 1000 && atomic_load(&ctx[1].reads) >= 1000);
    assert_int_equal(fc_holder_set(&h, NULL), (uint64_t)swaps + 2);
    fc_holder_cleanup(&h);
    fc_model_release(a); /* our own references: the holder released its ones */
    fc_model_release(b);
    free(b2);
}

int main(int argc, char **argv)
{
    (void)argc;
    gf_xgb_passive_reexec(argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_native_equals_xgboost_squarederror),
        cmocka_unit_test(test_model_load_returns_transient_memory),
        cmocka_unit_test(test_model_native_equals_xgboost_ubj_bytes),
        cmocka_unit_test(test_model_native_equals_xgboost_other_links),
        cmocka_unit_test(test_model_omp_wait_policy_passive_from_start),
        cmocka_unit_test(test_model_accessors_and_feature_index),
        cmocka_unit_test(test_model_spec_mismatch_refused),
        cmocka_unit_test(test_model_corrupt_json_refused),
        cmocka_unit_test(test_model_extra_check_rows),
        cmocka_unit_test(test_model_verify_detects_mismatch),
        cmocka_unit_test(test_model_load_through_registry),
        cmocka_unit_test(test_model_holder_swap_under_readers),
        cmocka_unit_test(test_model_holder_reload_on_event),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
