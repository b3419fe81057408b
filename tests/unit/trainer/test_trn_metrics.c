/*
 * test_trn_metrics.c - metrics on hand-made numbers, skip handling, quantiles, base64.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../services/trainer/trn_metrics.h"
#include "../../../services/trainer/trn_train.h"

static void test_trn_metrics_hand_made(void **state)
{
    (void)state;
    /* errors: +10, -20, 0, +10 on actuals 100, 200, 300, 400 */
    double a[] = {100, 200, 300, 400}, p[] = {90, 220, 300, 390};
    trn_metrics_t m;
    trn_metrics_compute(a, p, NULL, 4, &m);
    assert_int_equal(m.n, 4);
    assert_true(fabs(m.mae - 10.0) < 1e-12);
    assert_true(fabs(m.rmse - sqrt(600.0 / 4)) < 1e-12);
    assert_true(fabs(m.mape - 100.0 * (0.1 + 0.1 + 0 + 0.025) / 4) < 1e-12);
    double smape = 100.0 * (20.0 / 190 + 40.0 / 420 + 0 + 20.0 / 790) / 4;
    assert_true(fabs(m.smape - smape) < 1e-12);
    /* R^2 = 1 - SSE/SST; SST = sum (a - 250)^2 = 50000 */
    assert_true(fabs(m.r2 - (1.0 - 600.0 / 50000.0)) < 1e-12);
}

static void test_trn_metrics_skip_and_nan(void **state)
{
    (void)state;
    double a[] = {100, 0, 300, NAN, 50}, p[] = {110, 5, 300, 10, NAN};
    unsigned char skip[] = {0, 0, 1, 0, 0};
    trn_metrics_t m;
    trn_metrics_compute(a, p, skip, 5, &m);
    assert_int_equal(m.n, 2); /* hours 0 and 1 */
    assert_true(fabs(m.mae - 7.5) < 1e-12);
    assert_true(fabs(m.mape - 10.0) < 1e-12); /* actual 0 is left out of MAPE only */
    trn_metrics_compute(a, p, NULL, 0, &m);
    assert_int_equal(m.n, 0);
    assert_true(isnan(m.mae) && isnan(m.mape) && isnan(m.r2));
    json_t *j = trn_metrics_to_json(&m);
    assert_true(json_is_null(json_object_get(j, "mae")));
    json_decref(j);
}

static void test_trn_metrics_quantiles(void **state)
{
    (void)state;
    double v[] = {5, 1, 4, 2, 3};
    assert_true(trn_quantile_sorted_inplace(v, 5, 0.5) == 3);
    assert_true(trn_quantile_sorted_inplace(v, 5, 0.0) == 1);
    assert_true(trn_quantile_sorted_inplace(v, 5, 1.0) == 5);
    assert_true(fabs(trn_quantile_sorted_inplace(v, 5, 0.1) - 1.4) < 1e-12);
    assert_true(isnan(trn_quantile_sorted_inplace(v, 0, 0.5)));
    /* levels ascending -> values non-decreasing on random data */
    double w[1000];
    srand(7);
    for (int i = 0; i < 1000; i++)
        w[i] = rand() / (double)RAND_MAX - 0.5;
    double prev = -INFINITY;
    for (int q = 0; q < TRN_NQ; q++) {
        double x = trn_quantile_sorted_inplace(w, 1000, trn_quantile_levels[q]);
        assert_true(x >= prev);
        prev = x;
    }
}

static void test_trn_metrics_base64(void **state)
{
    (void)state;
    const struct {
        const char *in, *out;
    } cases[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *b = trn_base64((const unsigned char *)cases[i].in, strlen(cases[i].in));
        assert_string_equal(b, cases[i].out);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trn_metrics_hand_made),
        cmocka_unit_test(test_trn_metrics_skip_and_nan),
        cmocka_unit_test(test_trn_metrics_quantiles),
        cmocka_unit_test(test_trn_metrics_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
