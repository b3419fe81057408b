/*
 * test_trn_weather.c - temperature for training against a real redis-server
 * (../support/redis_fixture.h): stored observations replace the demand hash's temperature,
 * stored forecasts give the target-hour columns (and the series reads them), a region without
 * forecasts keeps today's spec (the clean fallback), and the benchmark's synthetic forecasts
 * are issued before every origin they serve and are reproducible.
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
#include "features/weather.h"
#include "trn_data.h"
#include "trn_weather.h"

#define T0 1454284800LL /* 2016-02-01T00:00Z */
#define H 3600LL

/* Three hours of NYC demand, the middle one without temperature. */
static void seed_demand(const char *region, int with_temp)
{
    cmd_ok("HSET gf:region:{%s} code %s tz America/New_York first %lld last %lld rows 3", region,
           region, (long long)T0, (long long)(T0 + 2 * H));
    if (with_temp)
        cmd_ok("HSET gf:demand:{%s}:201602 %lld 5000,1.5 %lld 5100, %lld 5200,3", region,
               (long long)T0, (long long)(T0 + H), (long long)(T0 + 2 * H));
    else
        cmd_ok("HSET gf:demand:{%s}:201602 %lld 5000 %lld 5100 %lld 5200", region, (long long)T0,
               (long long)(T0 + H), (long long)(T0 + 2 * H));
}

static void test_forecasts_enable_the_target_columns(void **state)
{
    (void)state;
    seed_demand("NYC", 1);
    cmd_ok("HSET gf:tobs:{NYC}:201602 %lld 2.25 %lld -4", (long long)(T0 + H),
           (long long)(T0 + 2 * H));
    cmd_ok("HSET gf:tfc:{NYC}:20160201 %lld:%lld 7 %lld:%lld 8", (long long)(T0 + 2 * H),
           (long long)(T0 - H), (long long)(T0 + 2 * H), (long long)(T0 + H));
    trn_data_t d;
    gf_err_t err = {0};
    assert_int_equal(trn_data_load_redis(&d, h_, "NYC", INT64_MIN, INT64_MAX, &err), 0);
    assert_int_equal(trn_data_load_weather(&d, h_, &err), 0);
    assert_true(d.series.temp[0] == 1.5);  /* from the demand hash */
    assert_true(d.series.temp[1] == 2.25); /* an observation fills the gap */
    assert_true(d.series.temp[2] == -4);   /* and wins over the demand hash */
    assert_int_equal(d.temp_target, 1);
    assert_true(d.series.obs_as_forecast);
    assert_non_null(d.series.tfc);
    assert_int_equal(d.series.tfc->n, 2);
    /* the series reads the issue known at each origin */
    assert_true(gf_feat_tfc_at(d.series.tfc, T0 + 2 * H, T0, NULL) == 7);
    assert_true(gf_feat_tfc_at(d.series.tfc, T0 + 2 * H, T0 + 2 * H, NULL) == 8);
    assert_int_equal(trn_temp_blocks(&d), GF_FEAT_TEMP_PAST | GF_FEAT_TEMP_TARGET);
    trn_data_cleanup(&d);
    assert_null(d.tfc);
}

static void test_no_forecasts_keeps_todays_spec(void **state)
{
    (void)state;
    /* temperature but no forecasts: the lagged block only, as before */
    seed_demand("NYC", 1);
    trn_data_t d;
    gf_err_t err = {0};
    assert_int_equal(trn_data_load_redis(&d, h_, "NYC", INT64_MIN, INT64_MAX, &err), 0);
    assert_int_equal(trn_data_load_weather(&d, h_, &err), 0);
    assert_int_equal(trn_temp_blocks(&d), GF_FEAT_TEMP_PAST);
    assert_null(d.series.tfc);
    assert_false(d.series.obs_as_forecast);
    trn_data_cleanup(&d);
    /* no temperature at all: no temperature column */
    seed_demand("PJM", 0);
    assert_int_equal(trn_data_load_redis(&d, h_, "PJM", INT64_MIN, INT64_MAX, &err), 0);
    assert_int_equal(trn_data_load_weather(&d, h_, &err), 0);
    assert_null(d.series.temp);
    assert_int_equal(trn_temp_blocks(&d), 0);
    trn_data_cleanup(&d);
    /* a stored entry that is not a temperature fails the load, it is not guessed */
    seed_demand("ERCO", 0);
    cmd_ok("HSET gf:tobs:{ERCO}:201602 %lld warm", (long long)T0);
    assert_int_equal(trn_data_load_redis(&d, h_, "ERCO", INT64_MIN, INT64_MAX, &err), 0);
    assert_int_equal(trn_data_load_weather(&d, h_, &err), GF_EINTERNAL);
    assert_string_equal(err.code, "bad_stored_value");
    gf_err_cleanup(&err);
    trn_data_cleanup(&d);
}

static void test_synthetic_forecasts(void **state)
{
    (void)state;
    trn_data_t d, e;
    gf_err_t err = {0};
    for (int k = 0; k < 2; k++) {
        trn_data_t *x = k ? &e : &d;
        memset(x, 0, sizeof *x);
        assert_int_equal(gf_feat_series_alloc(&x->series, T0, 24 * 10, 1, &err), 0);
        for (size_t i = 0; i < x->series.n; i++)
            x->series.temp[i] = (double)(i % 24);
        trn_data_synthetic_forecasts(x, 2.0, 0, 16);
    }
    assert_int_equal(d.temp_target, 1);
    assert_false(d.series.obs_as_forecast);
    assert_int_equal(d.tfc->n, e.tfc->n);
    assert_memory_equal(d.tfc->temp_c, e.tfc->temp_c, d.tfc->n * sizeof *d.tfc->temp_c);
    double se = 0;
    for (size_t i = 0; i < d.tfc->n; i++) {
        /* issued an hour before the 00:00 UTC origin of its day, for the next 48 hours */
        int64_t lead = d.tfc->target[i] - d.tfc->issued[i];
        assert_true(lead >= H && lead <= 48 * H);
        assert_int_equal((d.tfc->issued[i] + H) % 86400, 0);
        long k = gf_feat_series_index(&d.series, d.tfc->target[i]);
        double err_c = d.tfc->temp_c[i] - d.series.temp[k];
        se += err_c * err_c;
    }
    double rmse = sqrt(se / (double)d.tfc->n);
    assert_true(rmse > 1.0 && rmse < 3.0); /* about the 2 degC asked for */
    trn_data_cleanup(&d);
    trn_data_cleanup(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_forecasts_enable_the_target_columns, flush),
        cmocka_unit_test_setup(test_no_forecasts_keeps_todays_spec, flush),
        cmocka_unit_test(test_synthetic_forecasts),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
