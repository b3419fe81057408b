/*
 * test_sim_exec.c - the simulation's work without HTTP (sim_exec.h): the catalog of the shipped
 * cases (services/simulation/cases, through GF_TEST_ROOT), and executing parsed requests on
 * case9 (power flow, DC OPF, N-1 with progress, an uploaded case, load scaling), with the
 * errors that come before any solve (unknown case, bad upload, forecast not configured).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_exec.h"

static sim_catalog_t *cat;

static int setup(void **state)
{
    (void)state;
    const char *root = getenv("GF_TEST_ROOT");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/services/simulation/cases", root ? root : ".");
    gf_err_t e = {0};
    cat = sim_catalog_load(dir, &e);
    if (cat == NULL)
        fprintf(stderr, "catalog: %s: %s\n", e.code, e.message);
    gf_err_cleanup(&e);
    return cat ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sim_catalog_free(cat);
    return 0;
}

/* Parse body for kind and execute it: the rc; *out and *e as sim_execute left them. */
static int run(const char *body, sim_kind_t kind, const sim_progress_t *pg, json_t **out,
               gf_err_t *e)
{
    json_error_t je;
    json_t *j = json_loads(body, 0, &je);
    assert_non_null(j);
    sim_request_t q;
    int rc = sim_request_parse(j, kind, &q, e);
    json_decref(j);
    if (rc != 0)
        fail_msg("parse %s: %s", body, e->message);
    sim_env_t env = {.catalog = cat,
                     .forecast_url = "",
                     .forecast_timeout = 2,
                     .max_cpu_time = 30,
                     .n1_threads = 2};
    rc = pg ? sim_execute_progress(&env, &q, pg, out, e) : sim_execute(&env, &q, out, e);
    sim_request_cleanup(&q);
    return rc;
}

static double num(const json_t *o, const char *path1, const char *path2)
{
    const json_t *v = json_object_get(o, path1);
    if (path2)
        v = json_object_get(v, path2);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

static void test_sim_exec_catalog_sorted_by_size_with_sources(void **state)
{
    (void)state;
    assert_true(sim_catalog_count(cat) >= 10);
    const gf_pf_case_t *c9 = sim_catalog_get(cat, "case9");
    assert_non_null(c9);
    assert_int_equal(c9->n_bus, 9);
    assert_null(sim_catalog_get(cat, "case9.m"));
    assert_null(sim_catalog_get(cat, "nope"));
    json_t *j = sim_catalog_to_json(cat);
    json_t *arr = json_object_get(j, "cases");
    assert_int_equal(json_array_size(arr), sim_catalog_count(cat));
    json_int_t prev = 0;
    int seen9 = 0, seen_pglib = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        const char *name = json_string_value(json_object_get(o, "name"));
        json_int_t buses = json_integer_value(json_object_get(o, "buses"));
        assert_true(buses >= prev); /* smallest first */
        prev = buses;
        const char *src = json_string_value(json_object_get(o, "source"));
        if (strcmp(name, "case9") == 0) {
            seen9 = 1;
            assert_string_equal(src, "MATPOWER");
            assert_true(fabs(num(o, "load_mw", NULL) - 315) < 1e-9); /* 90 + 100 + 125 */
            assert_true(json_is_true(json_object_get(o, "has_costs")));
        }
        if (strncmp(name, "pglib_", 6) == 0) {
            seen_pglib = 1;
            assert_string_equal(src, "PGLib-OPF v23.07");
        }
    }
    assert_true(seen9 && seen_pglib);
    json_decref(j);
}

static void test_sim_exec_missing_or_empty_case_dir(void **state)
{
    (void)state;
    gf_err_t e = {0};
    assert_null(sim_catalog_load("/nonexistent/gridflow-cases", &e));
    assert_string_equal(e.code, "cases_missing");
    gf_err_cleanup(&e);
    assert_null(sim_catalog_load("/", &e)); /* no .m file there */
    assert_string_equal(e.code, "cases_missing");
    gf_err_cleanup(&e);
}

static void test_sim_exec_power_flow_and_load_scale(void **state)
{
    (void)state;
    json_t *out = NULL;
    gf_err_t e = {0};
    assert_int_equal(run("{\"case\":\"case9\"}", SIM_PF, NULL, &out, &e), 0);
    assert_true(json_is_true(json_object_get(out, "converged")));
    assert_string_equal(json_string_value(json_object_get(out, "mode")), "pf");
    json_t *c = json_object_get(out, "case");
    assert_string_equal(json_string_value(json_object_get(c, "name")), "case9");
    assert_true(json_is_false(json_object_get(c, "uploaded")));
    assert_int_equal(json_integer_value(json_object_get(c, "buses")), 9);
    assert_string_equal(json_string_value(
                            json_object_get(json_object_get(out, "load_source"), "kind")),
                        "case");
    double load1 = num(out, "totals", "load_mw");
    assert_true(fabs(load1 - 315) < 1e-6);
    json_decref(out);
    /* every bus load scaled */
    assert_int_equal(run("{\"case\":\"case9\",\"load\":{\"scale\":1.2}}", SIM_PF, NULL, &out, &e),
                     0);
    json_t *ls = json_object_get(out, "load_source");
    assert_string_equal(json_string_value(json_object_get(ls, "kind")), "scaled");
    assert_true(num(ls, "scale", NULL) == 1.2);
    assert_true(fabs(num(out, "totals", "load_mw") - 1.2 * load1) < 1e-6);
    json_decref(out);
    gf_err_cleanup(&e);
}

static void test_sim_exec_dc_opf_has_a_cost_and_balances_the_load(void **state)
{
    (void)state;
    json_t *out = NULL;
    gf_err_t e = {0};
    int rc = run("{\"case\":\"case9\",\"mode\":\"dc\"}", SIM_OPF, NULL, &out, &e);
    if (rc != 0)
        fail_msg("%s: %s", e.code, e.message);
    assert_string_equal(json_string_value(json_object_get(out, "mode")), "dc");
    assert_true(json_is_true(json_object_get(out, "converged")));
    assert_true(num(out, "objective", NULL) > 0);
    /* DC: no losses, generation meets the load */
    assert_true(fabs(num(out, "totals", "gen_mw") - 315) < 1e-3);
    json_decref(out);
    gf_err_cleanup(&e);
}

typedef struct seen {
    pthread_mutex_t mu;
    size_t calls, last_done, total;
    char unit[16];
} seen_t;

static void on_progress(void *arg, const char *unit, size_t done, size_t total)
{
    seen_t *s = arg;
    pthread_mutex_lock(&s->mu);
    s->calls++;
    if (done > s->last_done)
        s->last_done = done;
    s->total = total;
    snprintf(s->unit, sizeof s->unit, "%s", unit);
    pthread_mutex_unlock(&s->mu);
}

static void test_sim_exec_n1_reports_progress_per_outage(void **state)
{
    (void)state;
    seen_t s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    sim_progress_t pg = {.fn = on_progress, .arg = &s};
    json_t *out = NULL;
    gf_err_t e = {0};
    int rc = run("{\"case\":\"case9\"}", SIM_N1, &pg, &out, &e);
    if (rc != 0)
        fail_msg("%s: %s", e.code, e.message);
    assert_string_equal(s.unit, "outages");
    assert_true(s.calls > 0);
    assert_int_equal(s.last_done, s.total); /* the last call says all done */
    assert_int_equal(s.total, 9);           /* one per branch of case9 */
    assert_non_null(json_object_get(out, "case"));
    assert_string_equal(json_string_value(
                            json_object_get(json_object_get(out, "load_source"), "kind")),
                        "case");
    json_decref(out);
    gf_err_cleanup(&e);
}

static void test_sim_exec_uploaded_case(void **state)
{
    (void)state;
    json_t *out = NULL;
    gf_err_t e = {0};
    const char *body =
        "{\"case_text\":\"function mpc = two\\nmpc.version = '2';\\nmpc.baseMVA = 100;\\n"
        "mpc.bus = [1 3 0 0 0 0 1 1 0 345 1 1.1 0.9; 2 1 90 30 0 0 1 1 0 345 1 1.1 0.9];\\n"
        "mpc.gen = [1 0 0 300 -300 1 100 1 250 10];\\n"
        "mpc.branch = [1 2 0.01 0.085 0.176 250 250 250 0 0 1 -360 360];\\n\"}";
    int rc = run(body, SIM_PF, NULL, &out, &e);
    if (rc != 0)
        fail_msg("%s: %s", e.code, e.message);
    json_t *c = json_object_get(out, "case");
    assert_true(json_is_true(json_object_get(c, "uploaded")));
    assert_string_equal(json_string_value(json_object_get(c, "name")), "two");
    assert_int_equal(json_integer_value(json_object_get(c, "buses")), 2);
    assert_true(fabs(num(out, "totals", "load_mw") - 90) < 1e-6);
    json_decref(out);
    /* a case that does not parse: a client error, nothing solved */
    rc = run("{\"case_text\":\"mpc.bus = [1 2\"}", SIM_PF, NULL, &out, &e);
    assert_true(rc == GF_EINVAL || rc == GF_EUNPROCESSABLE);
    assert_null(out);
    gf_err_cleanup(&e);
}

static void test_sim_exec_errors_before_any_solve(void **state)
{
    (void)state;
    json_t *out = NULL;
    gf_err_t e = {0};
    assert_int_equal(run("{\"case\":\"case_nope\"}", SIM_PF, NULL, &out, &e), GF_ENOTFOUND);
    assert_string_equal(e.code, "unknown_case");
    assert_null(out);
    gf_err_cleanup(&e);
    /* forecast-driven loads without a forecast service: said so, nothing solved */
    assert_int_equal(run("{\"case\":\"case9\",\"load\":{\"forecast\":{\"region\":\"PJM\","
                         "\"at\":\"2018-06-30T17:00:00Z\"}}}",
                         SIM_OPF, NULL, &out, &e),
                     GF_EUNAVAIL);
    assert_string_equal(e.code, "forecast_not_configured");
    assert_null(out);
    gf_err_cleanup(&e);
    assert_int_equal(run("{\"case\":\"case9\",\"region\":\"PJM\",\"start\":"
                         "\"2018-06-30T00:00:00Z\",\"hours\":2}",
                         SIM_SCHEDULE, NULL, &out, &e),
                     GF_EUNAVAIL);
    assert_string_equal(e.code, "forecast_not_configured");
    assert_null(out);
    gf_err_cleanup(&e);
}

static void test_sim_exec_request_buses(void **state)
{
    (void)state;
    sim_env_t env = {.catalog = cat};
    sim_request_t q;
    memset(&q, 0, sizeof q);
    snprintf(q.case_name, sizeof q.case_name, "case30");
    assert_int_equal(sim_request_buses(&env, &q), 30);
    snprintf(q.case_name, sizeof q.case_name, "nope");
    assert_int_equal(sim_request_buses(&env, &q), 0);
    q.case_text = "mpc.bus = [];";
    assert_int_equal(sim_request_buses(&env, &q), 0); /* not parsed to tell */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_exec_catalog_sorted_by_size_with_sources),
        cmocka_unit_test(test_sim_exec_missing_or_empty_case_dir),
        cmocka_unit_test(test_sim_exec_power_flow_and_load_scale),
        cmocka_unit_test(test_sim_exec_dc_opf_has_a_cost_and_balances_the_load),
        cmocka_unit_test(test_sim_exec_n1_reports_progress_per_outage),
        cmocka_unit_test(test_sim_exec_uploaded_case),
        cmocka_unit_test(test_sim_exec_errors_before_any_solve),
        cmocka_unit_test(test_sim_exec_request_buses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
