/*
 * test_build.c - the feature-row builder: lags and windows at series edges, NaN for missing
 * data, local calendar across DST, and the no-leakage property (perturbing anything at or
 * after the origin changes no feature of any horizon).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "features/features.h"

#define COL(spec, name) ((size_t)gf_feat_spec_find((spec), (name)))

/* A synthetic series: demand = 1000 + i (so lags are easy to read), temp = i / 100. */
static void make_series(gf_feat_series_t *s, int64_t t0, size_t n)
{
    assert_int_equal(gf_feat_series_alloc(s, t0, n, 1, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        s->demand[i] = 1000.0 + (double)i;
        s->temp[i] = (double)i / 100.0;
    }
}

static const int64_t T0 = 1483228800; /* 2017-01-01T00:00Z */

static void test_build_lags_and_edges(void **state)
{
    (void)state;
    const char *names[] = {"horizon", "lag_1",        "lag_24",      "lag_168",
                           "last",    "roll_mean_24", "roll_min_24", "roll_max_24",
                           "ramp_1",  "sh_mean_2",    "temp_lag_24", "scale"};
    gf_err_t err = {0};
    gf_feat_spec_t *sp = gf_feat_spec_new("UTC", "US", "none", 18, 22, names, 12, &err);
    assert_non_null(sp);
    gf_feat_series_t s;
    make_series(&s, T0, 100);
    double out[24 * 12], scale = 0;
    int64_t origin = T0 + 48 * 3600; /* hours 0..47 known */
    assert_int_equal(gf_feat_build(sp, &s, origin, 1, 24, out, &scale, &err), 0);
    assert_true(scale == 1.0);
    size_t nc = gf_feat_spec_ncols(sp);
    /* h = 1 targets index 48 */
    assert_true(out[COL(sp, "horizon")] == 1);
    assert_true(out[COL(sp, "lag_1")] == 1047);
    assert_true(out[COL(sp, "lag_24")] == 1024);
    assert_true(isnan(out[COL(sp, "lag_168")])); /* before the series start: NaN, not 0 */
    assert_true(out[COL(sp, "last")] == 1047);
    assert_true(out[COL(sp, "roll_mean_24")] == 1035.5);
    assert_true(out[COL(sp, "roll_min_24")] == 1024);
    assert_true(out[COL(sp, "roll_max_24")] == 1047);
    assert_true(out[COL(sp, "ramp_1")] == 1);
    assert_true(out[COL(sp, "sh_mean_2")] == (1024.0 + 1000.0) / 2);
    assert_true(fabs(out[COL(sp, "temp_lag_24")] - 0.24) < 1e-12);
    /* h = 2: lag_1 would be the origin hour itself -> NaN (not known at the origin) */
    assert_true(isnan(out[nc + COL(sp, "lag_1")]));
    assert_true(out[nc + COL(sp, "lag_24")] == 1025);
    /* origin-anchored features are the same in every row */
    assert_true(out[23 * nc + COL(sp, "last")] == 1047);
    /* h = 24: sh_mean_2 uses index 71-24 = 47 and 71-48 = 23 */
    assert_true(out[23 * nc + COL(sp, "sh_mean_2")] == (1047.0 + 1023.0) / 2);

    /* a missing value gives NaN, never 0; windows skip it */
    s.demand[47] = NAN;
    assert_int_equal(gf_feat_build(sp, &s, origin, 1, 1, out, NULL, &err), 0);
    assert_true(isnan(out[COL(sp, "last")]));
    assert_true(isnan(out[COL(sp, "ramp_1")]));
    assert_true(out[COL(sp, "roll_max_24")] == 1046);

    /* origin past the end of the series: everything target-side is NaN, no crash */
    assert_int_equal(gf_feat_build(sp, &s, T0 + 500 * 3600, 1, 24, out, NULL, &err), 0);
    assert_true(isnan(out[COL(sp, "lag_24")]));
    /* origin before the series start */
    assert_int_equal(gf_feat_build(sp, &s, T0 - 3600, 1, 3, out, NULL, &err), 0);
    assert_true(isnan(out[COL(sp, "last")]));
    /* bad arguments */
    assert_int_equal(gf_feat_build(sp, &s, origin + 1, 1, 1, out, NULL, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_origin");
    assert_int_equal(gf_feat_build(sp, &s, origin, 0, 1, out, NULL, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_horizon");
    assert_int_equal(gf_feat_build(sp, &s, origin, 1, GF_FEAT_MAX_HORIZON + 1, out, NULL, &err),
                     GF_EINVAL);
    gf_err_cleanup(&err);
    gf_feat_series_cleanup(&s);
    gf_feat_spec_free(sp);
}

static void test_build_normalized(void **state)
{
    (void)state;
    const char *names[] = {"lag_24", "last", "scale", "hour"};
    gf_err_t err = {0};
    gf_feat_spec_t *sp = gf_feat_spec_new("UTC", "US", "level24", 18, 22, names, 4, &err);
    assert_non_null(sp);
    gf_feat_series_t s;
    make_series(&s, T0, 100);
    double out[4], scale;
    int64_t origin = T0 + 48 * 3600;
    assert_int_equal(gf_feat_build(sp, &s, origin, 1, 1, out, &scale, &err), 0);
    assert_true(scale == 1035.5);
    assert_true(fabs(out[0] - 1024 / 1035.5) < 1e-12);
    assert_true(fabs(out[1] - 1047 / 1035.5) < 1e-12);
    assert_true(out[2] == 1035.5);
    /* no demand in the last 24 h: refused, not zero */
    for (int i = 24; i < 48; i++)
        s.demand[i] = NAN;
    assert_int_equal(gf_feat_build(sp, &s, origin, 1, 1, out, &scale, &err), GF_EUNPROCESSABLE);
    assert_string_equal(err.code, "insufficient_history");
    assert_true(isnan(scale));
    gf_err_cleanup(&err);
    gf_feat_series_cleanup(&s);
    gf_feat_spec_free(sp);
}

/* The default spec for New York across the 2017 spring-forward (Sunday 2017-03-12). */
static void test_build_calendar_dst(void **state)
{
    (void)state;
    const char *names[] = {"hour",    "dow",    "month",    "doy",         "weekend",     "dst",
                           "holiday", "bridge", "hour_sin", "pre_holiday", "post_holiday"};
    gf_err_t err = {0};
    gf_feat_spec_t *sp = gf_feat_spec_new("America/New_York", "US", "none", 18, 22, names, 11,
                                          &err);
    assert_non_null(sp);
    gf_feat_series_t s;
    make_series(&s, T0, 24 * 400);
    size_t nc = gf_feat_spec_ncols(sp);
    double out[24 * 11];
    /* origin 2017-03-12T05:00Z = 00:00 EST. h=1..24 */
    int64_t origin = 1489294800;
    assert_int_equal(gf_feat_build(sp, &s, origin, 1, 24, out, NULL, &err), 0);
    assert_true(out[0 * nc + 0] == 0); /* 00:00 EST */
    assert_true(out[1 * nc + 0] == 1);
    assert_true(out[2 * nc + 0] == 3); /* 07:00Z = 03:00 EDT: 02:00 does not exist */
    assert_true(out[2 * nc + 5] == 1);
    assert_true(out[0 * nc + 5] == 0);
    assert_true(out[0 * nc + 1] == 6); /* Sunday */
    assert_true(out[0 * nc + 4] == 1);
    assert_true(out[0 * nc + 2] == 3);
    assert_true(out[0 * nc + 3] == 71);
    /* 2017-11-05 fall back: 05:00Z and 06:00Z are both 01:00 local */
    assert_int_equal(gf_feat_build(sp, &s, 1509858000, 1, 2, out, NULL, &err), 0);
    assert_true(out[0] == 1 && out[nc] == 1);
    assert_true(out[5] == 1 && out[nc + 5] == 0);
    /* Thanksgiving 2017-11-23 in New York: 2017-11-23T05:00Z is 00:00 local; the hour
     * before (04:00Z) is still Wednesday, a pre-holiday, not a holiday */
    assert_int_equal(gf_feat_build(sp, &s, 1511409600, 1, 2, out, NULL, &err), 0);
    assert_true(out[6] == 0 && out[9] == 1);
    assert_true(out[nc + 6] == 1 && out[nc + 9] == 0);
    /* the Friday after is a bridge day and a post-holiday */
    assert_int_equal(gf_feat_build(sp, &s, 1511409600 + 86400 + 12 * 3600, 1, 1, out, NULL, &err),
                     0);
    assert_true(out[7] == 1 && out[10] == 1 && out[6] == 0);
    gf_feat_series_cleanup(&s);
    gf_feat_spec_free(sp);
}

/* No leakage: overwrite every value at or after the origin with garbage (and NaN); the
 * features of every horizon must be bit-identical. */
static void test_build_no_leakage(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_feat_spec_t *sp = gf_feat_spec_new_default("America/New_York", 1, &err);
    assert_non_null(sp);
    size_t nc = gf_feat_spec_ncols(sp);
    gf_feat_series_t s;
    make_series(&s, T0, 24 * 60);
    for (size_t i = 0; i < s.n; i++)
        s.demand[i] = 5000 + 800 * sin((double)i / 3.7) + (double)(i % 17);
    double *a = malloc(48 * nc * sizeof *a), *b = malloc(48 * nc * sizeof *b);
    int64_t origins[] = {T0 + 24 * 40 * 3600, T0 + (24 * 40 + 7) * 3600, T0 + 24 * 59 * 3600};
    for (size_t k = 0; k < 3; k++) {
        int64_t origin = origins[k];
        double sa, sb;
        assert_int_equal(gf_feat_build(sp, &s, origin, 1, 48, a, &sa, &err), 0);
        gf_feat_series_t p;
        make_series(&p, T0, s.n);
        memcpy(p.demand, s.demand, s.n * sizeof *p.demand);
        memcpy(p.temp, s.temp, s.n * sizeof *p.temp);
        for (long i = gf_feat_series_index(&p, origin); i >= 0 && (size_t)i < p.n; i++) {
            p.demand[i] = (i % 2) ? NAN : 1e9 * (double)i;
            p.temp[i] = (i % 3) ? NAN : -273;
        }
        assert_int_equal(gf_feat_build(sp, &p, origin, 1, 48, b, &sb, &err), 0);
        assert_memory_equal(a, b, 48 * nc * sizeof *a);
        assert_true(sa == sb);
        /* and perturbing the hour just before the origin does change something */
        long last = gf_feat_series_index(&p, origin - 3600);
        p.demand[last] += 123;
        assert_int_equal(gf_feat_build(sp, &p, origin, 1, 48, b, &sb, &err), 0);
        assert_true(memcmp(a, b, 48 * nc * sizeof *a) != 0);
        gf_feat_series_cleanup(&p);
    }
    free(a);
    free(b);
    gf_feat_series_cleanup(&s);
    gf_feat_spec_free(sp);
}

static void test_build_series_helpers(void **state)
{
    (void)state;
    gf_feat_series_t s;
    gf_err_t err = {0};
    assert_int_equal(gf_feat_series_alloc(&s, T0 + 5, 10, 0, &err), GF_EINVAL);
    assert_int_equal(gf_feat_series_alloc(&s, T0, 10, 0, &err), 0);
    assert_null(s.temp);
    assert_true(isnan(s.demand[3]));
    assert_int_equal(gf_feat_series_index(&s, T0 + 3 * 3600), 3);
    assert_int_equal(gf_feat_series_index(&s, T0 + 3 * 3600 + 1), -1);
    assert_int_equal(gf_feat_series_index(&s, T0 + 10 * 3600), -1);
    assert_int_equal(gf_feat_series_index(&s, T0 - 3600), -1);
    assert_int_equal(gf_feat_series_until(&s, T0 + 4 * 3600).n, 4);
    assert_int_equal(gf_feat_series_until(&s, T0 + 4 * 3600 + 1).n, 5);
    assert_int_equal(gf_feat_series_until(&s, T0).n, 0);
    assert_int_equal(gf_feat_series_until(&s, T0 + 99 * 3600).n, 10);
    gf_feat_series_cleanup(&s);
    gf_err_cleanup(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_lags_and_edges), cmocka_unit_test(test_build_normalized),
        cmocka_unit_test(test_build_calendar_dst),   cmocka_unit_test(test_build_no_leakage),
        cmocka_unit_test(test_build_series_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
