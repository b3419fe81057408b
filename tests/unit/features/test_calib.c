/*
 * test_calib.c - split-conformal residual quantiles by horizon (features/calib.h): the ranks,
 * horizon pooling, the minimum count, and the coverage check; plus the property the trainer
 * relies on: on exchangeable residuals the pooled conformal p10-p90 covers about 80 % of new
 * residuals out of sample, with the expected width.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "features/calib.h"

static const double LV[3] = {0.1, 0.5, 0.9};

static void test_calib_conformal_ranks(void **state)
{
    (void)state;
    /* 19 residuals 1..19 at horizon 1: (n+1) = 20, 0.1 -> 2nd smallest, 0.9 -> 18th */
    double r[19], q[3];
    int h[19];
    for (int i = 0; i < 19; i++) {
        r[i] = 19 - i; /* unsorted on purpose */
        h[i] = 1;
    }
    assert_int_equal(gf_feat_calib_quantiles(r, h, 19, 1, 0, LV, 3, 1, q), 19);
    assert_true(q[0] == 2.0);
    assert_true(q[1] == 10.0);
    assert_true(q[2] == 18.0);
    /* 9 residuals: 0.1 * 10 = 1 -> smallest, 0.9 * 10 = 9 -> largest */
    assert_int_equal(gf_feat_calib_quantiles(r + 10, h, 9, 1, 0, LV, 3, 1, q), 9);
    assert_true(q[0] == 1.0 && q[2] == 9.0);
}

static void test_calib_pooling_and_min_n(void **state)
{
    (void)state;
    /* horizon h has residuals all equal to h, 10 each, H = 5 */
    double r[50], q[5 * 3];
    int hz[50];
    for (int i = 0; i < 50; i++) {
        hz[i] = i % 5 + 1;
        r[i] = hz[i];
    }
    /* no pooling: each horizon its own value */
    gf_feat_calib_quantiles(r, hz, 50, 5, 0, LV, 3, 10, q);
    for (int h = 0; h < 5; h++)
        assert_true(q[h * 3] == h + 1 && q[h * 3 + 2] == h + 1);
    /* pool 1: horizon 3 sees 2,3,4 (30 values): p10 = 3rd smallest = 2, p90 = 28th = 4 */
    assert_int_equal(gf_feat_calib_quantiles(r, hz, 50, 5, 1, LV, 3, 10, q), 20);
    assert_true(q[2 * 3] == 2.0 && q[2 * 3 + 1] == 3.0 && q[2 * 3 + 2] == 4.0);
    /* horizon 1 pools 1..2 only (clamped): 20 values */
    assert_true(q[0] == 1.0 && q[2] == 2.0);
    /* too few: NaN everywhere for that horizon; NaN residuals and bad horizons ignored */
    double r2[4] = {1, NAN, 2, 3};
    int h2[4] = {1, 1, 9, 0};
    double q2[3];
    assert_int_equal(gf_feat_calib_quantiles(r2, h2, 4, 1, 0, LV, 3, 2, q2), 1);
    assert_true(isnan(q2[0]) && isnan(q2[1]) && isnan(q2[2]));
}

static uint64_t rng = 88172645463325252ULL;
static double normal(void)
{
    double u[2];
    for (int k = 0; k < 2; k++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        u[k] = ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

static void test_calib_out_of_sample_coverage(void **state)
{
    (void)state;
    enum { H = 24, DAYS = 28, NEW = 4000 };
    /* error grows with the horizon; 28 calibration days, then many new days */
    static double cr[H * DAYS], nr[H * NEW], sc[H * NEW], q[H * 3], q0[H * 3];
    static int ch[H * DAYS], nh[H * NEW];
    double cov_p = 0, cov_0 = 0, w_p = 0, w_0 = 0;
    for (int rep = 0; rep < 20; rep++) {
        for (int i = 0; i < H * DAYS; i++) {
            ch[i] = i % H + 1;
            cr[i] = normal() * (1 + 0.02 * ch[i]);
        }
        for (int i = 0; i < H * NEW; i++) {
            nh[i] = i % H + 1;
            nr[i] = normal() * (1 + 0.02 * nh[i]);
            sc[i] = 2.0;
        }
        gf_feat_calib_quantiles(cr, ch, H * DAYS, H, 2, LV, 3, 20, q);
        gf_feat_calib_quantiles(cr, ch, H * DAYS, H, 0, LV, 3, 20, q0);
        double c, w;
        assert_int_equal(gf_feat_calib_coverage(q, H, 3, 0, 2, nr, nh, sc, H * NEW, &c, &w),
                         H * NEW);
        cov_p += c / 20;
        w_p += w / 20;
        gf_feat_calib_coverage(q0, H, 3, 0, 2, nr, nh, sc, H * NEW, &c, &w);
        cov_0 += c / 20;
        w_0 += w / 20;
    }
    print_message("    pooled conformal: coverage %.3f width %.3f; per horizon: %.3f width %.3f\n",
                  cov_p, w_p, cov_0, w_0);
    assert_true(cov_p >= 0.79 && cov_p <= 0.84);
    /* width in scale units: ~2 * 1.28 * 1.25 sigma * scale 2 */
    assert_true(w_p > 5.0 && w_p < 8.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calib_conformal_ranks),
        cmocka_unit_test(test_calib_pooling_and_min_n),
        cmocka_unit_test(test_calib_out_of_sample_coverage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
