/* Unit tests for libs/core/src/metrics.c: exposition format. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"

static int teardown(void **state)
{
    (void)state;
    gf_metrics_reset();
    return 0;
}

static void test_metrics_counter_with_labels(void **state)
{
    (void)state;
    gf_metric_t *c = gf_metric_counter("http_requests_total", "Requests.", "route,method,code");
    gf_metric_add(c, 1, "/v1/info", "GET", "200");
    gf_metric_add(c, 2, "/v1/info", "GET", "200");
    gf_metric_add(c, 1, "/v1/x", "POST", "413");
    gf_metric_add(c, -5, "/v1/x", "POST", "413"); /* counters never go down */
    char *t = gf_metrics_render(NULL);
    assert_non_null(strstr(t, "# HELP http_requests_total Requests.\n"
                              "# TYPE http_requests_total counter\n"));
    assert_non_null(
        strstr(t, "http_requests_total{route=\"/v1/info\",method=\"GET\",code=\"200\"} 3\n"));
    assert_non_null(
        strstr(t, "http_requests_total{route=\"/v1/x\",method=\"POST\",code=\"413\"} 1\n"));
    free(t);
}

static void test_metrics_label_values_are_escaped(void **state)
{
    (void)state;
    gf_metric_t *g = gf_metric_gauge("gf_test_gauge", "Help with \\ and\nnewline.", "v");
    gf_metric_set(g, 1.5, "a\"b\\c\nd");
    char *t = gf_metrics_render(NULL);
    assert_non_null(strstr(t, "# HELP gf_test_gauge Help with \\\\ and\\nnewline.\n"));
    assert_non_null(strstr(t, "gf_test_gauge{v=\"a\\\"b\\\\c\\nd\"} 1.5\n"));
    free(t);
}

static void test_metrics_histogram_cumulative(void **state)
{
    (void)state;
    const double b[] = {0.1, 1, 10};
    gf_metric_t *h = gf_metric_histogram("gf_test_seconds", "Latency.", "route", b, 3);
    gf_metric_observe(h, 0.05, "/a");
    gf_metric_observe(h, 0.5, "/a");
    gf_metric_observe(h, 5, "/a");
    gf_metric_observe(h, 50, "/a");
    gf_metric_observe(h, 0.1, "/a"); /* le is inclusive */
    char *t = gf_metrics_render(NULL);
    assert_non_null(strstr(t, "# TYPE gf_test_seconds histogram\n"));
    assert_non_null(strstr(t, "gf_test_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n"));
    assert_non_null(strstr(t, "gf_test_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"));
    assert_non_null(strstr(t, "gf_test_seconds_bucket{route=\"/a\",le=\"10\"} 4\n"));
    assert_non_null(strstr(t, "gf_test_seconds_bucket{route=\"/a\",le=\"+Inf\"} 5\n"));
    assert_non_null(strstr(t, "gf_test_seconds_count{route=\"/a\"} 5\n"));
    assert_non_null(strstr(t, "gf_test_seconds_sum{route=\"/a\"} 55.65\n"));
    free(t);
}

static void test_metrics_series_are_bounded(void **state)
{
    (void)state;
    gf_metric_t *c = gf_metric_counter("gf_test_bounded_total", "Bounded.", "k");
    char v[32];
    for (int i = 0; i < GF_METRICS_MAX_SERIES + 100; i++) {
        snprintf(v, sizeof v, "v%d", i);
        gf_metric_add(c, 1, v);
    }
    char *t = gf_metrics_render(NULL);
    assert_non_null(strstr(t, "gf_test_bounded_total{k=\"_other\"} 100\n"));
    assert_null(strstr(t, "k=\"v600\""));
    free(t);
}

static double fixed(void *arg)
{
    return *(double *)arg;
}

static void test_metrics_process_and_fn_gauges(void **state)
{
    (void)state;
    static double x = 42;
    gf_metric_gauge_fn("gf_test_fn", "Fn.", fixed, &x);
    gf_metrics_register_process();
    char *t = gf_metrics_render(NULL);
    assert_non_null(strstr(t, "gf_test_fn 42\n"));
    assert_non_null(
        strstr(t, "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes "));
    assert_non_null(strstr(t, "process_open_fds "));
    assert_non_null(strstr(t, "process_start_time_seconds "));
    assert_non_null(strstr(t, "process_cpu_seconds_total "));
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_metrics_counter_with_labels, teardown),
        cmocka_unit_test_teardown(test_metrics_label_values_are_escaped, teardown),
        cmocka_unit_test_teardown(test_metrics_histogram_cumulative, teardown),
        cmocka_unit_test_teardown(test_metrics_series_are_bounded, teardown),
        cmocka_unit_test_teardown(test_metrics_process_and_fn_gauges, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
