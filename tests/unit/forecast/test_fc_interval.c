/* test_fc_interval.c - residual-quantile intervals: parsing the trainer's JSON, ordering,
 * horizons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "../../../services/forecast/fc_interval.h"

static void test_interval_ordering_and_horizons(void **state)
{
    (void)state;
    gf_err_t err = {0};
    fc_quantiles_t *q = NULL;
    const char *metrics = "{\"mape\":0.03,\"residual_quantiles\":{\"levels\":[0.1,0.5,0.9],"
                          "\"by_horizon\":[[-10,0,12],[-20,1,25],[-30,-30,40]]}}";
    assert_int_equal(fc_quantiles_from_texts(metrics, NULL, &q, &err), 0);
    assert_non_null(q);
    assert_int_equal(q->nlevels, 3);
    assert_int_equal(q->nh, 3);
    assert_int_equal(fc_quantiles_level_index(q, 0.9), 2);
    assert_int_equal(fc_quantiles_level_index(q, 0.95), -1);
    float pt[5] = {100, 100, 100, 100, -1e6f};
    int32_t h[5] = {1, 2, 3, 50, 1};
    float out[15];
    assert_int_equal(fc_quantiles_apply(q, pt, h, 5, out, &err), 0);
    assert_true(out[0] == 90 && out[1] == 100 && out[2] == 112);
    assert_true(out[3] == 80 && out[4] == 101 && out[5] == 125);
    assert_true(out[9] == 70 && out[10] == 70 && out[11] == 140); /* clamp to last row */
    for (size_t i = 0; i < 5; i++)                                /* p10 <= p50 <= p90 always */
        assert_true(out[3 * i] <= out[3 * i + 1] && out[3 * i + 1] <= out[3 * i + 2]);
    h[1] = 0;
    assert_int_equal(fc_quantiles_apply(q, pt, h, 5, out, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_horizon");
    fc_quantiles_free(q);

    /* params are consulted when metrics have none; absence is not an error */
    assert_int_equal(fc_quantiles_from_texts("{}",
                                             "{\"residual_quantiles\":{\"levels\":[0.5],"
                                             "\"by_horizon\":[[0]]}}",
                                             &q, &err),
                     0);
    assert_non_null(q);
    fc_quantiles_free(q);
    assert_int_equal(fc_quantiles_from_texts("{}", "{}", &q, &err), 0);
    assert_null(q);
    /* the trainer's shape: units, nulls where a horizon had no residuals, nested metrics */
    assert_int_equal(fc_quantiles_from_texts("{\"metrics\":{\"residual_quantiles\":{\"units\":"
                                             "\"model_output\",\"levels\":[0.05,0.95],"
                                             "\"by_horizon\":[[-1,1],[null,2]]}}}",
                                             NULL, &q, &err),
                     0);
    assert_non_null(q);
    float p2[2] = {10, 10}, o2[4];
    int32_t h2[2] = {1, 2};
    assert_int_equal(fc_quantiles_apply(q, p2, h2, 2, o2, &err), 0);
    assert_true(o2[0] == 9 && o2[1] == 11 && isnan(o2[2]) && isnan(o2[3]));
    fc_quantiles_free(q);
    gf_err_cleanup(&err);
}

static void test_interval_bad_tables(void **state)
{
    (void)state;
    static const char *bad[] = {
        "{\"residual_quantiles\":[]}",
        "{\"residual_quantiles\":{\"levels\":[],\"by_horizon\":[[1]]}}",
        "{\"residual_quantiles\":{\"levels\":[0.5],\"by_horizon\":[]}}",
        "{\"residual_quantiles\":{\"levels\":[0.9,0.1],\"by_horizon\":[[1,2]]}}",
        "{\"residual_quantiles\":{\"levels\":[0.1,0.1],\"by_horizon\":[[1,2]]}}",
        "{\"residual_quantiles\":{\"levels\":[0,0.5],\"by_horizon\":[[1,2]]}}",
        "{\"residual_quantiles\":{\"levels\":[0.1,0.9],\"by_horizon\":[[2,1]]}}",
        "{\"residual_quantiles\":{\"levels\":[0.1,0.9],\"by_horizon\":[[1]]}}",
        "{\"residual_quantiles\":{\"levels\":[0.1,0.9],\"by_horizon\":[[1,\"2\"]]}}",
        "{\"residual_quantiles\":{\"levels\":[0.1,0.9],\"by_horizon\":[[1,2],3]}}",
        "{\"residual_quantiles\":{\"levels\":[\"0.1\"],\"by_horizon\":[[1]]}}",
        "not json",
        "{\"residual_quantiles\":{\"units\":\"MW\",\"levels\":[0.5],\"by_horizon\":[[1]]}}",
        "{\"residual_quantiles\":{\"levels\":[0.1,0.9],\"by_horizon\":[[1,2]],"
        "\"recursive_by_lead\":[]}}",
        "{\"residual_quantiles\":{\"levels\":[0.1,0.9],\"by_horizon\":[[1,2]],"
        "\"recursive_by_lead\":[[3,1]]}}",
        "{\"residual_quantiles\":{\"levels\":[0.1,0.9],\"by_horizon\":[[1,2]],"
        "\"recursive_by_lead\":[[1,2,3]]}}",
        "{\"residual_quantiles\":{\"levels\":[0.1,0.9],\"by_horizon\":[[1,2]],"
        "\"recursive_by_lead\":{\"a\":1}}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gf_err_t err = {0};
        fc_quantiles_t *q = NULL;
        int rc = fc_quantiles_from_texts(bad[i], NULL, &q, &err);
        if (rc != GF_EUNPROCESSABLE || q != NULL || strcmp(err.code, "bad_residual_quantiles"))
            fail_msg("case %zu accepted or wrong code (%d %s)", i, rc, err.code);
        gf_err_cleanup(&err);
    }
}

/* Recursive leads: their own rows after the direct ones, nulls kept as "no interval". */
static void test_interval_recursive_rows(void **state)
{
    (void)state;
    const char *t = "{\"residual_quantiles\":{\"levels\":[0.1,0.9],"
                    "\"by_horizon\":[[-1,1],[-2,2]],"
                    "\"recursive_by_lead\":[[-3,3],[null,4],[-5,5]]}}";
    gf_err_t err = {0};
    fc_quantiles_t *q = NULL;
    assert_int_equal(fc_quantiles_from_texts(t, NULL, &q, &err), 0);
    assert_non_null(q);
    assert_int_equal(q->nh, 2);
    assert_int_equal(q->nrec, 3);
    assert_true(q->rec[0] == -3 && q->rec[1] == 3);
    assert_true(isnan(q->rec[2]) && isnan(q->rec[3]));
    assert_true(q->rec[4] == -5 && q->rec[5] == 5);
    fc_quantiles_free(q);
    /* without them: none */
    assert_int_equal(fc_quantiles_from_texts("{\"residual_quantiles\":{\"levels\":[0.5],"
                                             "\"by_horizon\":[[0]]}}",
                                             NULL, &q, &err),
                     0);
    assert_int_equal(q->nrec, 0);
    assert_null(q->rec);
    fc_quantiles_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interval_recursive_rows),
        cmocka_unit_test(test_interval_ordering_and_horizons),
        cmocka_unit_test(test_interval_bad_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
