/*
 * test_ing_live.c - live figures for GET /v1/summary (ing_live.h): meters reporting within the
 * window, load per region, back-filled readings kept out of "now", rates over complete
 * seconds, rejection reasons, the estimate at fleet scale.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ing_live.h"

static ing_reading_t rd(const char *meter, const char *region, double kw, int64_t ts_ms)
{
    ing_reading_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.meter_id, sizeof r.meter_id, "%s", meter);
    snprintf(r.region, sizeof r.region, "%s", region);
    r.ts_ms = ts_ms;
    r.has = ING_HAS_METER | ING_HAS_TS | ING_HAS_REGION;
    if (kw >= 0) {
        r.kw = kw;
        r.has |= ING_HAS_KW;
    }
    return r;
}

static double num(json_t *o, const char *path)
{
    return json_number_value(json_object_get(o, path));
}

static json_t *region(json_t *sum, const char *code)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(sum, "regions"), i, r)
    {
        if (!strcmp(json_string_value(json_object_get(r, "region")), code))
            return r;
    }
    return NULL;
}

static void test_live_load_per_region(void **state)
{
    (void)state;
    ing_live_t *l = ing_live_new(60, 300);
    int64_t t = 1700000000;
    ing_reading_t a = rd("m1", "PJM", 2.0, t * 1000), b = rd("m2", "PJM", 3.0, t * 1000),
                  c = rd("m3", "ERCO", 1.0, t * 1000), d = rd("m1", "PJM", 4.0, (t + 1) * 1000),
                  e = rd("m4", "ERCO", -1, t * 1000); /* kwh only: counted, no load */
    ing_live_meter(l, &a, t);
    ing_live_meter(l, &b, t);
    ing_live_meter(l, &c, t);
    ing_live_meter(l, &d, t + 1);
    ing_live_meter(l, &e, t + 1);
    json_t *s = ing_live_summary(l, t + 2, 10, NULL);
    assert_true(json_is_true(json_object_get(s, "approximate")));
    assert_int_equal(json_integer_value(json_object_get(s, "meters_reporting")), 4);
    /* PJM: mean kw per reading (2, 3, 4 -> 3) x 2 meters with kw = 6 kW */
    assert_true(fabs(num(region(s, "PJM"), "load_mw") - 0.006) < 1e-12);
    assert_int_equal(json_integer_value(json_object_get(region(s, "ERCO"), "meters")), 2);
    assert_true(fabs(num(s, "total_load_mw") - 0.007) < 1e-12);
    assert_string_equal(json_string_value(json_object_get(s, "last_reading")),
                        "2023-11-14T22:13:21.000Z");
    json_decref(s);
    /* A minute later only m1, seen again, reports. */
    ing_reading_t f = rd("m1", "PJM", 5.0, (t + 70) * 1000);
    ing_live_meter(l, &f, t + 70);
    s = ing_live_summary(l, t + 71, 10, NULL);
    assert_int_equal(json_integer_value(json_object_get(s, "meters_reporting")), 1);
    assert_null(region(s, "ERCO"));
    assert_true(fabs(num(region(s, "PJM"), "load_mw") - 0.005) < 1e-12);
    json_decref(s);
    ing_live_free(l);
}

/* Readings stamped outside the live window (back-fill, or beyond the skew) are history:
 * they do not count as current load or meters reporting. */
static void test_live_backfill_is_not_now(void **state)
{
    (void)state;
    ing_live_t *l = ing_live_new(60, 300);
    int64_t now = 1700000000;
    ing_reading_t old = rd("m-old", "PJM", 50.0, (now - 3 * 86400) * 1000),
                  edge = rd("m-edge", "PJM", 7.0, (now - 60) * 1000),
                  fut = rd("m-fut", "PJM", 9.0, (now + 301) * 1000),
                  cur = rd("m-now", "PJM", 2.0, (now - 5) * 1000),
                  skew = rd("m-skew", "ERCO", 1.0, (now + 200) * 1000);
    ing_live_meter(l, &old, now);
    ing_live_meter(l, &edge, now);
    ing_live_meter(l, &fut, now);
    ing_live_meter(l, &cur, now);
    ing_live_meter(l, &skew, now);
    json_t *s = ing_live_summary(l, now, 10, NULL);
    assert_int_equal(json_integer_value(json_object_get(s, "meters_reporting")), 2);
    assert_true(fabs(num(region(s, "PJM"), "load_mw") - 0.002) < 1e-12);
    assert_int_equal(json_integer_value(json_object_get(region(s, "PJM"), "meters")), 1);
    assert_true(fabs(num(s, "total_load_mw") - 0.003) < 1e-12);
    json_decref(s);
    /* only back-filled readings: no region is live at all */
    ing_live_t *l2 = ing_live_new(60, 300);
    ing_live_meter(l2, &old, now);
    s = ing_live_summary(l2, now, 10, NULL);
    assert_int_equal(json_integer_value(json_object_get(s, "meters_reporting")), 0);
    assert_int_equal(json_array_size(json_object_get(s, "regions")), 0);
    assert_true(num(s, "total_load_mw") == 0);
    json_decref(s);
    ing_live_free(l2);
    ing_live_free(l);
}

static void test_live_rates_count_complete_seconds(void **state)
{
    (void)state;
    ing_live_t *l = ing_live_new(60, 300);
    size_t by[ING_R__COUNT] = {0};
    by[ING_R_NOT_FINITE] = 2;
    by[ING_R_UNKNOWN_REGION] = 1;
    for (int64_t s = 100; s < 110; s++)
        ing_live_count(l, s, 50, 5, by);
    ing_live_count(l, 110, 1000, 0, NULL); /* the current second is not complete: excluded */
    json_t *o = ing_live_summary(l, 110, 10, NULL);
    assert_true(fabs(num(o, "readings_per_second") - 50) < 1e-9);
    assert_true(fabs(num(o, "duplicates_per_second") - 5) < 1e-9);
    assert_true(fabs(num(o, "rejected_per_second") - 3) < 1e-9);
    json_t *r = json_object_get(o, "rejected_per_second_by_reason");
    assert_true(fabs(num(r, "not_finite") - 2) < 1e-9);
    assert_int_equal(json_integer_value(json_object_get(o, "accepted")), 1500);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "rejected_by_reason"),
                                                        "unknown_region")),
                     10);
    json_decref(o);
    /* Long after: stale ring slots read as zero, totals stay. */
    o = ing_live_summary(l, 500, 10, NULL);
    assert_true(num(o, "readings_per_second") == 0);
    assert_int_equal(json_integer_value(json_object_get(o, "rejected")), 30);
    json_decref(o);
    ing_live_free(l);
}

/* A fleet of two million distinct meters in one window: fixed memory, estimate within
 * a few percent (HyperLogLog, 2,048 registers: standard error 2.3 %), load likewise. */
static void test_live_fleet_estimate(void **state)
{
    (void)state;
    ing_live_t *l = ing_live_new(60, 300);
    char id[32];
    int64_t now = 1700000000;
    for (int i = 0; i < 2000000; i++) {
        snprintf(id, sizeof id, "meter-%07d", i);
        ing_reading_t r = rd(id, i % 2 ? "PJM" : "ERCO", 1.5, (now - i % 50) * 1000);
        ing_live_meter(l, &r, now);
    }
    /* the same meters again (another reading each): still 2 M meters */
    for (int i = 0; i < 2000000; i += 2) {
        snprintf(id, sizeof id, "meter-%07d", i);
        ing_reading_t r = rd(id, "ERCO", 1.5, (now - 1) * 1000);
        ing_live_meter(l, &r, now);
    }
    size_t n = ing_live_meters_reporting(l, now);
    assert_true(n > 1900000 && n < 2100000);
    json_t *o = ing_live_summary(l, now, 10, NULL);
    double load = num(o, "total_load_mw"); /* 2 M meters x 1.5 kW = 3,000 MW */
    assert_true(load > 2850 && load < 3150);
    json_decref(o);
    /* two minutes later none of them is live any more */
    assert_int_equal(ing_live_meters_reporting(l, now + 120), 0);
    ing_live_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_load_per_region),
        cmocka_unit_test(test_live_backfill_is_not_now),
        cmocka_unit_test(test_live_rates_count_complete_seconds),
        cmocka_unit_test(test_live_fleet_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
