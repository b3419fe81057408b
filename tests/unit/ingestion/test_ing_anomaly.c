/*
 * test_ing_anomaly.c - anomaly detection core (ing_anomaly.h): spikes and drops against the
 * same-hour-of-week median/MAD baseline, thresholds, gaps, and implausible meter values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../../services/ingestion/ing_anomaly.h"

#include <math.h>
#include <string.h>

#define WEEK (7 * 86400)
#define N (5 * 7 * 24)

static int64_t hours[N];
static double vals[N];

/* Five weeks of a daily-shaped load with +-1 % weekly noise. */
static void series(void)
{
    for (int i = 0; i < N; i++) {
        hours[i] = 1704067200 + (int64_t)i * 3600;
        int h = i % 24, w = i / (7 * 24);
        vals[i] = 1000 + 300 * sin(h * 3.14159 / 12) + 10 * ((w % 3) - 1);
    }
}

static void test_anomaly_spike_and_drop(void **state)
{
    (void)state;
    series();
    ing_anomaly_cfg_t cfg;
    ing_anomaly_cfg_default(&cfg);
    ing_anomaly_t out[16];
    size_t last = 4 * 7 * 24; /* check only the fifth week */
    assert_int_equal(ing_anomaly_series(&cfg, "PJM", hours, vals, N, last, out, 16), 0);
    double saved1 = vals[last + 10], saved2 = vals[last + 50], saved3 = vals[last + 70];
    vals[last + 10] *= 1.5;  /* spike, critical */
    vals[last + 50] *= 0.85; /* drop, warning (about 4.5 spreads) */
    vals[last + 70] *= 1.05; /* 5 %: below min_rel_dev, ignored */
    size_t n = ing_anomaly_series(&cfg, "PJM", hours, vals, N, last, out, 16);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].type, ING_AN_SPIKE);
    assert_int_equal(out[0].severity, ING_SEV_CRITICAL);
    assert_true(out[0].t == hours[last + 10]);
    assert_true(fabs(out[0].expected - saved1) < 20);
    assert_true(out[0].actual == vals[last + 10]);
    assert_int_equal(out[1].type, ING_AN_DROP);
    assert_int_equal(out[1].severity, ING_SEV_WARNING);
    assert_string_equal(out[1].region, "PJM");
    /* cap smaller than the count: the count is still reported */
    assert_int_equal(ing_anomaly_series(&cfg, "PJM", hours, vals, N, last, out, 1), 2);
    json_t *j = ing_anomalies_to_json(out, 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "type")), "spike");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "severity")),
                        "critical");
    json_decref(j);
    vals[last + 10] = saved1, vals[last + 50] = saved2, vals[last + 70] = saved3;
}

static void test_anomaly_history_and_gaps(void **state)
{
    (void)state;
    series();
    ing_anomaly_cfg_t cfg;
    ing_anomaly_cfg_default(&cfg);
    ing_anomaly_t out[4];
    /* second week: only one week of history, below min_history: no verdicts */
    vals[7 * 24 + 5] *= 3;
    assert_int_equal(ing_anomaly_series(&cfg, "X", hours, vals, 2 * 7 * 24, 7 * 24, out, 4), 0);
    cfg.min_history = 1;
    assert_int_equal(ing_anomaly_series(&cfg, "X", hours, vals, 2 * 7 * 24, 7 * 24, out, 4), 1);
    /* NaN points are skipped as checks and as baseline */
    series();
    vals[4 * 7 * 24 + 3] = NAN;
    vals[3 * 7 * 24 + 4] = NAN;
    cfg.min_history = 3;
    assert_int_equal(ing_anomaly_series(&cfg, "X", hours, vals, N, 4 * 7 * 24, out, 4), 0);
    /* flat history: the MAD floor keeps small wiggles quiet */
    for (int i = 0; i < N; i++)
        vals[i] = 500;
    vals[N - 1] = 505;
    assert_int_equal(ing_anomaly_series(&cfg, "X", hours, vals, N, 4 * 7 * 24, out, 4), 0);
}

static void test_anomaly_meters(void **state)
{
    (void)state;
    const char *body =
        "[{\"meter_id\":\"a\",\"ts\":\"2026-01-05T09:00:00Z\",\"region\":\"PJM\",\"kw\":2500},"
        "{\"meter_id\":\"b\",\"ts\":\"2026-01-05T09:00:00Z\",\"region\":\"PJM\",\"kwh\":-3},"
        "{\"meter_id\":\"c\",\"ts\":\"2026-01-05T09:00:00Z\",\"region\":\"PJM\",\"kwh\":1,\"voltage_v\":260.5},"
        "{\"meter_id\":\"d\",\"ts\":\"2026-01-05T09:00:00Z\",\"region\":\"PJM\",\"kwh\":1,\"voltage_v\":310},"
        "{\"meter_id\":\"e\",\"ts\":\"2026-01-05T09:00:00Z\",\"region\":\"XX\",\"kwh\":1},"
        "{\"meter_id\":\"a\",\"ts\":\"2026-01-05T09:05:00Z\",\"region\":\"PJM\",\"kw\":3000},"
        "{\"meter_id\":\"a\",\"ts\":\"2026-01-05T08:55:00Z\",\"region\":\"PJM\",\"kw\":1200}]";
    ing_batch_t b;
    ing_batch_init(&b, 0);
    assert_int_equal(ing_readings_parse(&b, body, strlen(body), NULL), 0);
    ing_validate_cfg_t v;
    ing_validate_cfg_default(&v);
    v.max_voltage_v = 250;
    ing_validate_batch(&v, &b, 1767607200000LL);
    ing_anomaly_t out[8];
    size_t n = ing_anomaly_meters(&v, &b, out, 8);
    assert_int_equal(n, 4); /* the unknown region is not a meter anomaly; "a" is one */
    assert_string_equal(out[0].meter_id, "a");
    assert_string_equal(out[0].field, "kw");
    /* meter a: three readings, one record with the worst value, first and last time */
    assert_int_equal(out[0].count, 3);
    assert_true(out[0].expected == 1000 && out[0].actual == 3000);
    assert_true(fabs(out[0].score - 2.0) < 1e-12); /* (3000 - 1000) / 1000 */
    assert_true(out[0].t == 1767603300 && out[0].t_last == 1767603900);
    assert_int_equal(out[0].severity, ING_SEV_CRITICAL);
    assert_string_equal(out[1].field, "kwh");
    assert_int_equal(out[1].severity, ING_SEV_CRITICAL);
    assert_true(fabs(out[1].score - 0.003) < 1e-12); /* -3 kWh against [0, 1000] */
    assert_string_equal(out[2].field, "voltage_v");
    assert_true(out[2].expected == 250);
    assert_true(fabs(out[2].score - 0.042) < 1e-12); /* 260.5 V against 250 */
    assert_int_equal(out[2].severity, ING_SEV_WARNING);
    assert_int_equal(out[3].count, 1);
    json_t *j = ing_anomalies_to_json(out, n);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "type")),
                        "meter_implausible");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "t")),
                        "2026-01-05T08:55:00Z");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "last_seen")),
                        "2026-01-05T09:05:00Z");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 0), "count")), 3);
    json_decref(j);
    /* with a catalog, an implausible reading of a region outside it is no anomaly (its
     * region would name a Redis key of its own) */
    ing_regions_t reg;
    ing_regions_init(&reg);
    assert_int_equal(ing_regions_add(&reg, "PJM", "PJM", "America/New_York", NULL), 0);
    const char *body2 =
        "[{\"meter_id\":\"x\",\"ts\":\"2026-01-05T09:00:00Z\",\"region\":\"X}Y\",\"kw\":2500},"
        "{\"meter_id\":\"y\",\"ts\":\"2026-01-05T09:00:00Z\",\"region\":\"PJM\",\"kw\":2500}]";
    ing_batch_reset(&b);
    assert_int_equal(ing_readings_parse(&b, body2, strlen(body2), NULL), 0);
    v.regions = &reg;
    ing_validate_batch(&v, &b, 1767607200000LL);
    assert_int_equal(ing_anomaly_meters(&v, &b, out, 8), 1);
    assert_string_equal(out[0].meter_id, "y");
    ing_regions_cleanup(&reg);
    ing_batch_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anomaly_spike_and_drop),
        cmocka_unit_test(test_anomaly_history_and_gaps),
        cmocka_unit_test(test_anomaly_meters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
