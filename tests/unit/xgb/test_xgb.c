/* Unit tests for libs/xgb: the one XGBoost error macro (it sets rc), dense prediction against
 * XGBoost's own DMatrix prediction, the one-value-per-row check, the wait-policy re-exec. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/omp_env.h"
#include "xgb/xgb.h"

#define ROWS 64
#define COLS 3

/* A function written the way every caller uses the macro. */
static int load_bytes(const char *bytes, size_t len, gf_err_t *err)
{
    int rc = 0;
    BoosterHandle b = NULL;
    GF_XGB_TRY(XGBoosterCreate(NULL, 0, &b));
    GF_XGB_TRY(XGBoosterLoadModelFromBuffer(b, bytes, (bst_ulong)len));
fail:
    if (b != NULL)
        XGBoosterFree(b);
    return rc;
}

static void test_xgb_try_sets_rc_and_error(void **state)
{
    (void)state;
    gf_err_t err = {0};
    int rc = load_bytes("{\"learner\":5}", 13, &err);
    assert_int_equal(rc, GF_EINTERNAL);
    assert_int_equal(err.rc, GF_EINTERNAL);
    assert_string_equal(err.code, "xgboost_error");
    assert_non_null(strstr(err.message, "XGBoosterLoadModelFromBuffer"));
    gf_err_cleanup(&err);
}

/* A small booster on y = 2 x0 - x1 (+ x2 noise) with `objective`, extra params (k, v pairs). */
static BoosterHandle train(const float *x, const float *y, const char *objective,
                           const char *const *extra)
{
    DMatrixHandle d = NULL;
    BoosterHandle b = NULL;
    assert_int_equal(XGDMatrixCreateFromMat(x, ROWS, COLS, NAN, &d), 0);
    assert_int_equal(XGDMatrixSetFloatInfo(d, "label", y, ROWS), 0);
    assert_int_equal(XGBoosterCreate(&d, 1, &b), 0);
    assert_int_equal(XGBoosterSetParam(b, "objective", objective), 0);
    assert_int_equal(XGBoosterSetParam(b, "nthread", "1"), 0);
    assert_int_equal(XGBoosterSetParam(b, "max_depth", "3"), 0);
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i += 2)
        assert_int_equal(XGBoosterSetParam(b, extra[i], extra[i + 1]), 0);
    for (int it = 0; it < 8; it++)
        assert_int_equal(XGBoosterUpdateOneIter(b, it, d), 0);
    XGDMatrixFree(d);
    return b;
}

static void fill(float *x, float *y, int classes)
{
    for (int i = 0; i < ROWS; i++) {
        x[i * COLS] = (float)(i % 9);
        x[i * COLS + 1] = (float)((i * 7) % 5);
        x[i * COLS + 2] = i % 4 == 0 ? NAN : (float)(i % 3);
        float v = 2 * x[i * COLS] - x[i * COLS + 1];
        y[i] = classes ? (float)(i % classes) : v;
    }
}

static void test_xgb_predict_dense_equals_dmatrix_prediction(void **state)
{
    (void)state;
    float x[ROWS * COLS], y[ROWS], got[ROWS];
    fill(x, y, 0);
    BoosterHandle b = train(x, y, "reg:squarederror", NULL);
    gf_err_t err = {0};
    assert_int_equal(gf_xgb_predict_dense(b, x, ROWS, COLS, got, &err), 0);
    DMatrixHandle d = NULL;
    assert_int_equal(XGDMatrixCreateFromMat(x, ROWS, COLS, NAN, &d), 0);
    bst_ulong n = 0;
    const float *want = NULL;
    assert_int_equal(XGBoosterPredict(b, d, 0, 0, 0, &n, &want), 0);
    assert_int_equal(n, ROWS);
    int differ = 0;
    for (int i = 0; i < ROWS; i++)
        differ += got[i] != want[i];
    assert_int_equal(differ, 0);
    assert_true(got[10] != got[11]); /* a model that learnt something */
    XGDMatrixFree(d);
    XGBoosterFree(b);
    gf_err_cleanup(&err);
}

static void test_xgb_predict_dense_refuses_several_values_per_row(void **state)
{
    (void)state;
    float x[ROWS * COLS], y[ROWS], got[ROWS * 3];
    fill(x, y, 3);
    static const char *const multi[] = {"num_class", "3", NULL};
    BoosterHandle b = train(x, y, "multi:softprob", multi);
    gf_err_t err = {0};
    assert_int_equal(gf_xgb_predict_dense(b, x, ROWS, COLS, got, &err), GF_EINTERNAL);
    assert_string_equal(err.code, "xgboost_shape");
    XGBoosterFree(b);
    gf_err_cleanup(&err);
}

static void test_xgb_wait_policy_passive_from_start(void **state)
{
    (void)state;
    /* The policy must be in the environment the process was exec'd with (libgomp reads it at
     * load time), not just setenv'd. Under valgrind the re-exec is skipped on purpose. */
    const char *pre = getenv("LD_PRELOAD");
    if (pre != NULL && strstr(pre, "vgpreload") != NULL)
        skip();
    if (getenv("GF_TEST_OMP_PRESET") != NULL)
        skip(); /* the runner set a policy itself: it is kept, nothing to see here */
    assert_int_equal(gf_test_omp_passive_at_exec(), 1);
    assert_true(gf_xgb_wait_policy_passive());
    /* an explicit policy is kept: no re-exec, 0 */
    assert_int_equal(gf_xgb_passive_reexec(NULL), 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (getenv("OMP_WAIT_POLICY") != NULL && getenv("GF_TEST_XGB_REEXECED") == NULL)
        setenv("GF_TEST_OMP_PRESET", "1", 1);
    setenv("GF_TEST_XGB_REEXECED", "1", 1);
    gf_xgb_passive_reexec(argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xgb_try_sets_rc_and_error),
        cmocka_unit_test(test_xgb_predict_dense_equals_dmatrix_prediction),
        cmocka_unit_test(test_xgb_predict_dense_refuses_several_values_per_row),
        cmocka_unit_test(test_xgb_wait_policy_passive_from_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
