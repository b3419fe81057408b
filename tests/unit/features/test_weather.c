/*
 * test_weather.c - target-hour temperature features and the stored temperature reader:
 * the forecast known at an origin (latest issue strictly before it), the no-look-ahead rule
 * of gf_feat_build for temp_fc* (forecasts issued at/after the origin and observations from
 * the origin on overwritten with garbage change nothing), the training-only observed
 * fallback, windows that mix observed and forecast hours, the clean fallback (a spec
 * without temp_fc builds the same rows with or without forecasts), and gf_feat_temp_load
 * against a real redis-server (../support/redis_fixture.h).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/redis_handle_fixture.h"
#include "features/demand.h"
#include "features/features.h"
#include "features/weather.h"

#define H 3600LL
/* 2016-07-01T00:00Z */
#define T0 1467331200LL

static void test_tfc_at_latest_before(void **state)
{
    (void)state;
    gf_feat_tfc_t f = {0};
    int64_t t = T0 + 10 * H;
    gf_feat_tfc_push(&f, t, T0 - 5 * H, 20.0);
    gf_feat_tfc_push(&f, t, T0, 21.0);
    gf_feat_tfc_push(&f, t, T0 + 3 * H, 22.0);
    gf_feat_tfc_push(&f, t + H, T0 - 5 * H, 30.0);
    gf_feat_tfc_push(&f, t, T0, 21.5); /* the same pair again: the later push wins */
    gf_feat_tfc_sort(&f);
    assert_int_equal(f.n, 4);
    int64_t iss;
    /* strictly before: an issue at the as-of instant is not known yet */
    assert_true(gf_feat_tfc_at(&f, t, T0, &iss) == 20.0);
    assert_int_equal(iss, T0 - 5 * H);
    assert_true(gf_feat_tfc_at(&f, t, T0 + 1, &iss) == 21.5);
    assert_int_equal(iss, T0);
    assert_true(gf_feat_tfc_at(&f, t, T0 + 100 * H, NULL) == 22.0);
    assert_true(isnan(gf_feat_tfc_at(&f, t, T0 - 5 * H, &iss)));
    assert_int_equal(iss, 0);
    assert_true(gf_feat_tfc_at(&f, t + H, T0, NULL) == 30.0);
    assert_true(isnan(gf_feat_tfc_at(&f, t + 2 * H, T0 + 100 * H, NULL))); /* no target */
    assert_true(isnan(gf_feat_tfc_at(&f, t - H, T0 + 100 * H, NULL)));
    assert_true(isnan(gf_feat_tfc_at(NULL, t, T0, NULL)));
    gf_feat_tfc_cleanup(&f);
}

static gf_feat_spec_t *fc_spec(void)
{
    static const char *names[] = {"horizon", "lag_24", "temp_last",      "temp_fc",
                                  "hdh_fc",  "cdh_fc", "temp_fc_mean_3", "temp_fc_max_24"};
    gf_err_t err = {0};
    gf_feat_spec_t *s = gf_feat_spec_new("UTC", "US", "level24", 18, 22, names,
                                         sizeof names / sizeof *names, &err);
    assert_non_null(s);
    assert_true(gf_feat_spec_uses_temp_fc(s));
    assert_int_equal(gf_feat_spec_lookback(s, 24), 24);
    return s;
}

/* 30 days of demand and temperature from T0; origin at day 20. */
static void make_series(gf_feat_series_t *s)
{
    gf_err_t err = {0};
    assert_int_equal(gf_feat_series_alloc(s, T0, 30 * 24, 1, &err), 0);
    for (size_t i = 0; i < s->n; i++) {
        s->demand[i] = 1000 + 100 * sin((double)i / 24 * 6.283);
        s->temp[i] = 15 + (double)(i % 24);
    }
}

#define ORIGIN (T0 + 20 * 24 * H)
#define NH 24

static void build(const gf_feat_spec_t *sp, const gf_feat_series_t *s, int64_t origin, double *rows)
{
    gf_err_t err = {0};
    double scale;
    assert_int_equal(gf_feat_build(sp, s, origin, 1, NH, rows, &scale, &err), 0);
}

static void test_build_no_look_ahead(void **state)
{
    (void)state;
    gf_feat_spec_t *sp = fc_spec();
    size_t nc = gf_feat_spec_ncols(sp);
    long c_fc = gf_feat_spec_find(sp, "temp_fc"), c_cdh = gf_feat_spec_find(sp, "cdh_fc"),
         c_mean = gf_feat_spec_find(sp, "temp_fc_mean_3"),
         c_max = gf_feat_spec_find(sp, "temp_fc_max_24");
    gf_feat_series_t s;
    make_series(&s);
    /* Forecasts of the 24 target hours: one issued 6 h before the origin (the one to use),
     * an older one, and three issued at/after the origin (never to be used). */
    gf_feat_tfc_t f = {0};
    for (int h = 0; h < NH; h++) {
        int64_t t = ORIGIN + h * H;
        gf_feat_tfc_push(&f, t, ORIGIN - 30 * H, -40.0);
        gf_feat_tfc_push(&f, t, ORIGIN - 6 * H, 25.0 + h);
        gf_feat_tfc_push(&f, t, ORIGIN, 60.0);
        gf_feat_tfc_push(&f, t, ORIGIN + 1, 61.0);
        gf_feat_tfc_push(&f, t, ORIGIN + h * H, 62.0);
    }
    gf_feat_tfc_sort(&f);
    s.tfc = &f;
    double *a = malloc(NH * nc * sizeof *a), *b = malloc(NH * nc * sizeof *b);
    build(sp, &s, ORIGIN, a);
    for (int h = 1; h <= NH; h++) {
        double *row = a + (size_t)(h - 1) * nc;
        assert_true(row[c_fc] == 25.0 + (h - 1));
        assert_true(row[c_cdh] == 25.0 + (h - 1) - 22);
        /* the 3 hours ending at the target: h = 1 reads two observed hours before the
         * origin (hours 22 and 23 of the day: 37, 38) and the forecast 25 */
        double want = h == 1   ? (37 + 38 + 25) / 3.0
                      : h == 2 ? (38 + 25 + 26) / 3.0
                               : (25.0 + h - 3 + 1);
        assert_true(fabs(row[c_mean] - want) < 1e-12);
        assert_true(row[c_max] == (h < 24 ? fmax(38.0, 24.0 + h) : 48.0));
    }
    /* Garbage from the origin on: observations and every forecast issued at/after it. */
    for (size_t i = (size_t)((ORIGIN - T0) / H); i < s.n; i++) {
        s.temp[i] = 1e6;
        s.demand[i] = NAN;
    }
    for (size_t i = 0; i < f.n; i++)
        if (f.issued[i] >= ORIGIN)
            f.temp_c[i] = NAN;
    build(sp, &s, ORIGIN, b);
    assert_memory_equal(a, b, NH * nc * sizeof *a);
    /* An earlier cut-off (a recursive block keeps the real origin) hides later issues. */
    s.tfc_asof = ORIGIN - 6 * H;
    build(sp, &s, ORIGIN, b);
    assert_true(b[c_fc] == -40.0);
    free(a);
    free(b);
    gf_feat_tfc_cleanup(&f);
    gf_feat_series_cleanup(&s);
    gf_feat_spec_free(sp);
}

static void test_build_observed_fallback_only_in_training(void **state)
{
    (void)state;
    gf_feat_spec_t *sp = fc_spec();
    size_t nc = gf_feat_spec_ncols(sp);
    long c_fc = gf_feat_spec_find(sp, "temp_fc");
    gf_feat_series_t s;
    make_series(&s);
    double *a = malloc(NH * nc * sizeof *a);
    build(sp, &s, ORIGIN, a); /* no forecasts, serving: unknown */
    for (int h = 0; h < NH; h++)
        assert_true(isnan(a[(size_t)h * nc + (size_t)c_fc]));
    s.obs_as_forecast = 1; /* training: the observed value of the target hour */
    build(sp, &s, ORIGIN, a);
    for (int h = 0; h < NH; h++)
        assert_true(a[(size_t)h * nc + (size_t)c_fc] == 15 + h);
    /* a forecast, when there is one, still wins over the observation */
    gf_feat_tfc_t f = {0};
    gf_feat_tfc_push(&f, ORIGIN + 5 * H, ORIGIN - H, -3.5);
    s.tfc = &f;
    build(sp, &s, ORIGIN, a);
    assert_true(a[5 * nc + (size_t)c_fc] == -3.5);
    assert_true(a[4 * nc + (size_t)c_fc] == 19);
    free(a);
    gf_feat_tfc_cleanup(&f);
    gf_feat_series_cleanup(&s);
    gf_feat_spec_free(sp);
}

static void test_default_spec_fallback_unchanged(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_feat_spec_t *d1 = gf_feat_spec_new_default("America/New_York", 1, &err);
    gf_feat_spec_t *d3 = gf_feat_spec_new_default("America/New_York",
                                                  GF_FEAT_TEMP_PAST | GF_FEAT_TEMP_TARGET, &err);
    gf_feat_spec_t *d0 = gf_feat_spec_new_default("America/New_York", 0, &err);
    assert_non_null(d1);
    assert_non_null(d3);
    assert_non_null(d0);
    assert_int_equal(gf_feat_spec_ncols(d1), 65);
    assert_int_equal(gf_feat_spec_ncols(d3), 71);
    assert_int_equal(gf_feat_spec_ncols(d0), 53);
    assert_false(gf_feat_spec_uses_temp_fc(d1));
    assert_true(gf_feat_spec_uses_temp_fc(d3));
    /* The spec a region without forecasts gets builds the same rows with or without them. */
    gf_feat_series_t s;
    make_series(&s);
    size_t nc = gf_feat_spec_ncols(d1);
    double *a = malloc(NH * nc * sizeof *a), *b = malloc(NH * nc * sizeof *b);
    build(d1, &s, ORIGIN, a);
    gf_feat_tfc_t f = {0};
    for (int h = 0; h < NH; h++)
        gf_feat_tfc_push(&f, ORIGIN + h * H, ORIGIN - H, 40.0);
    gf_feat_tfc_sort(&f);
    s.tfc = &f;
    s.obs_as_forecast = 1;
    build(d1, &s, ORIGIN, b);
    assert_memory_equal(a, b, NH * nc * sizeof *a);
    /* spec JSON round trip keeps the new names */
    char *txt = gf_feat_spec_dumps(d3);
    gf_feat_spec_t *back = gf_feat_spec_loads(txt, strlen(txt), &err);
    assert_non_null(back);
    assert_string_equal(gf_feat_spec_hash(back), gf_feat_spec_hash(d3));
    assert_true(gf_feat_spec_find(back, "temp_fc_mean_24") >= 0);
    free(txt);
    free(a);
    free(b);
    gf_feat_tfc_cleanup(&f);
    gf_feat_series_cleanup(&s);
    gf_feat_spec_free(back);
    gf_feat_spec_free(d0);
    gf_feat_spec_free(d1);
    gf_feat_spec_free(d3);
}

static void test_spec_names(void **state)
{
    (void)state;
    gf_err_t err = {0};
    const char *bad[] = {"temp_fc_mean_169", "temp_fc_mean_0", "temp_fc_1", "hdh_fc_24"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        gf_feat_spec_t *s = gf_feat_spec_new("UTC", "US", "none", 18, 22, &bad[i], 1, &err);
        assert_null(s);
        assert_string_equal(err.code, "bad_feature_spec");
        gf_err_cleanup(&err);
    }
}

static void test_entry_parse_and_keys(void **state)
{
    (void)state;
    char k[96];
    assert_string_equal(gf_feat_tobs_key(k, sizeof k, "NYC", T0), "gf:tobs:{NYC}:201607");
    assert_string_equal(gf_feat_tfc_key(k, sizeof k, "NYC", T0 + 23 * H), "gf:tfc:{NYC}:20160701");
    assert_string_equal(gf_feat_tfc_key(k, sizeof k, "NYC", T0 - H), "gf:tfc:{NYC}:20160630");
    assert_string_equal(gf_feat_temp_meta_key(k, sizeof k, "NYC"), "gf:temp:{NYC}");
    int64_t t, i;
    assert_int_equal(gf_feat_tfc_field_parse("1467331200:1467320000", 21, &t, &i), 0);
    assert_int_equal(t, T0);
    assert_int_equal(i, 1467320000);
    static const char *bad[] = {"1467331200",    "1467331201:1",  ":1", "1467331200:", "01:2",
                                "1467331200:1x", "1467331200:-0", "a:b"};
    for (size_t j = 0; j < sizeof bad / sizeof *bad; j++)
        assert_int_equal(gf_feat_tfc_field_parse(bad[j], strlen(bad[j]), &t, &i), -1);
}

/* ------------------------------------------------------------------ Redis */

static void test_load(void **state)
{
    (void)state;
    /* observations across June/July, forecasts for July 1st and 2nd */
    cmd_ok("HSET gf:tobs:{NYC}:201606 %lld 20.5 %lld 21", (long long)(T0 - 2 * H),
           (long long)(T0 - H));
    cmd_ok("HSET gf:tobs:{NYC}:201607 %lld 22.25", (long long)T0);
    cmd_ok("HSET gf:tfc:{NYC}:20160701 %lld:%lld 30 %lld:%lld 31", (long long)(T0 + H),
           (long long)(T0 - 6 * H), (long long)(T0 + H), (long long)(T0 - 3 * H));
    cmd_ok("HSET gf:tfc:{NYC}:20160702 %lld:%lld 28", (long long)(T0 + 24 * H),
           (long long)(T0 - 3 * H));
    gf_feat_temp_t t;
    gf_err_t err = {0};
    assert_int_equal(gf_feat_temp_load(h_, "NYC", T0 - 2 * H, T0 + 48 * H, 0, &t, &err), 0);
    assert_int_equal(t.n, 3);
    assert_true(t.hour[0] == T0 - 2 * H && t.temp_c[0] == 20.5);
    assert_true(t.hour[2] == T0 && t.temp_c[2] == 22.25);
    assert_int_equal(t.fc.n, 3);
    assert_true(gf_feat_tfc_at(&t.fc, T0 + H, T0, NULL) == 31);
    assert_true(gf_feat_tfc_at(&t.fc, T0 + H, T0 - 4 * H, NULL) == 30);
    assert_true(gf_feat_tfc_at(&t.fc, T0 + 24 * H, T0, NULL) == 28);
    /* on a series: observations replace, a series without temp gets one */
    gf_feat_series_t s;
    assert_int_equal(gf_feat_series_alloc(&s, T0 - 24 * H, 48, 0, &err), 0);
    assert_int_equal(gf_feat_series_put_temp(&s, &t), 3);
    assert_non_null(s.temp);
    assert_true(s.temp[22] == 20.5 && s.temp[24] == 22.25 && isnan(s.temp[0]));
    gf_feat_series_cleanup(&s);
    gf_feat_temp_cleanup(&t);
    /* a narrower range drops what is outside */
    assert_int_equal(gf_feat_temp_load(h_, "NYC", T0, T0 + 24 * H, 0, &t, &err), 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.fc.n, 2);
    gf_feat_temp_cleanup(&t);
    /* nothing stored */
    assert_int_equal(gf_feat_temp_load(h_, "PJM", T0, T0 + 24 * H, 0, &t, &err), 0);
    assert_int_equal(t.n + t.fc.n, 0);
    gf_feat_temp_cleanup(&t);
}

static void test_load_malformed_and_errors(void **state)
{
    (void)state;
    cmd_ok("HSET gf:tobs:{NYC}:201607 %lld 22 %lld 99", (long long)T0, (long long)(T0 + H));
    cmd_ok("HSET gf:tfc:{NYC}:20160701 %lld:1 abc", (long long)(T0 + H));
    gf_feat_temp_t t;
    gf_err_t err = {0};
    assert_int_equal(gf_feat_temp_load(h_, "NYC", T0, T0 + 24 * H, 0, &t, &err), GF_EINTERNAL);
    assert_string_equal(err.code, "bad_stored_value");
    gf_err_cleanup(&err);
    assert_int_equal(gf_feat_temp_load(h_, "NYC", T0, T0 + 24 * H, GF_FEAT_DEMAND_SKIP_BAD, &t,
                                       &err),
                     0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.fc.n, 0);
    assert_int_equal(t.n_bad, 2);
    gf_feat_temp_cleanup(&t);
    /* the context is in step after an error */
    redisReply *r = redisCommand(rc_, "PING");
    assert_non_null(r);
    assert_string_equal(r->str, "PONG");
    freeReplyObject(r);
    assert_int_equal(gf_feat_temp_load(h_, "N{YC", T0, T0 + H, 0, &t, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_region");
    gf_err_cleanup(&err);
    assert_int_equal(gf_feat_temp_load(h_, "NYC", T0, T0, 0, &t, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_range");
    gf_err_cleanup(&err);
    assert_int_equal(gf_feat_temp_load(h_, "NYC", T0 + 1, T0 + H, 0, &t, &err), GF_EINVAL);
    gf_err_cleanup(&err);
    cmd_ok("SET gf:tobs:{PJM}:201607 x");
    assert_int_equal(gf_feat_temp_load(h_, "PJM", T0, T0 + H, 0, &t, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_error");
    gf_err_cleanup(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tfc_at_latest_before),
        cmocka_unit_test(test_build_no_look_ahead),
        cmocka_unit_test(test_build_observed_fallback_only_in_training),
        cmocka_unit_test(test_default_spec_fallback_unchanged),
        cmocka_unit_test(test_spec_names),
        cmocka_unit_test(test_entry_parse_and_keys),
        cmocka_unit_test_setup(test_load, flush),
        cmocka_unit_test_setup(test_load_malformed_and_errors, flush),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
