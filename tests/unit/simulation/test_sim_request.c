/* Unit tests for services/simulation/sim_request.c: body parsing and checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "powerflow/n1.h"
#include "sim_request.h"

static int parse(const char *text, sim_kind_t kind, sim_request_t *q, gf_err_t *e)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    assert_non_null(j);
    int rc = sim_request_parse(j, kind, q, e);
    json_decref(j);
    return rc;
}

static void test_sim_request_valid_bodies(void **state)
{
    (void)state;
    sim_request_t q;
    gf_err_t e = {0};
    assert_int_equal(parse("{\"case\":\"case9\",\"mode\":\"dc\",\"load\":{\"scale\":1.2},"
                           "\"outages\":{\"branches\":[3,1],\"gens\":[0]},\"init\":\"pf\"}",
                           SIM_OPF, &q, &e),
                     0);
    assert_string_equal(q.case_name, "case9");
    assert_true(q.dc);
    assert_true(q.load_scale == 1.2);
    assert_int_equal(q.n_branch_out, 2);
    assert_int_equal(q.branch_out[0], 3);
    assert_int_equal(q.n_gen_out, 1);
    assert_int_equal(q.init, GF_PF_INIT_PF);
    assert_true(q.screen_limits); /* on unless turned off */
    gf_pf_opts_t o;
    gf_pf_cost_override_t cb[1];
    sim_request_opts(&q, 10, &o, cb);
    assert_true(o.screen_limits);
    sim_request_cleanup(&q);

    assert_int_equal(parse("{\"case\":\"c\",\"screen_limits\":false}", SIM_OPF, &q, &e), 0);
    assert_false(q.screen_limits);
    sim_request_opts(&q, 10, &o, cb);
    assert_false(o.screen_limits);
    sim_request_cleanup(&q);

    assert_int_equal(parse("{\"case\":\"c\",\"load\":{\"forecast\":{\"region\":\"PJM\",\"at\":"
                           "\"2018-06-30T17:45:00Z\"}}}",
                           SIM_OPF, &q, &e),
                     0);
    assert_string_equal(q.forecast_region, "PJM");
    assert_true(q.forecast_at == 1530378000.0); /* floored to the hour */
    sim_request_cleanup(&q);

    assert_int_equal(parse("{\"case\":\"c\",\"mode\":\"ac\",\"branches\":[1,2]}", SIM_N1, &q, &e),
                     0);
    assert_int_equal(q.n1_mode, GF_PF_N1_ACOPF);
    assert_int_equal(q.n_screen, 2);
    sim_request_cleanup(&q);

    assert_int_equal(parse("{\"case\":\"c\",\"region\":\"NYIS\",\"start\":\"2018-06-01T00:00:00Z\","
                           "\"hours\":6}",
                           SIM_SCHEDULE, &q, &e),
                     0);
    assert_int_equal(q.hours, 6);
    sim_request_cleanup(&q);
}

static void test_sim_request_refusals_name_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        sim_kind_t kind;
        const char *code, *field;
    } cases[] = {
        {"[]", SIM_OPF, "invalid_body", "body"},
        {"{}", SIM_OPF, "missing_case", "case"},
        {"{\"case\":\"a\",\"case_text\":\"b\"}", SIM_OPF, "missing_case", "case"},
        {"{\"case\":\"a\",\"x\":1}", SIM_OPF, "unknown_field", "x"},
        /* a misspelt nested member is refused too, never ignored (an outage that is not
         * applied, a load that is not scaled) */
        {"{\"case\":\"a\",\"outages\":{\"lines\":[1]}}", SIM_OPF, "unknown_field", "outages.lines"},
        {"{\"case\":\"a\",\"load\":{\"scale\":1,\"factor\":2}}", SIM_OPF, "unknown_field",
         "load.factor"},
        {"{\"case\":\"a\",\"load\":{\"buses\":[{\"bus\":1,\"pd\":1,\"q\":2}]}}", SIM_PF,
         "unknown_field", "load.buses[].q"},
        {"{\"case\":\"a\",\"load\":{\"forecast\":{\"region\":\"PJM\",\"at\":\"2018-01-01T00:00:00Z\","
         "\"hour\":1}}}",
         SIM_OPF, "unknown_field", "load.forecast.hour"},
        {"{\"case\":\"a\",\"load\":{\"forecast\":\"PJM\"}}", SIM_OPF, "invalid_field",
         "load.forecast"},
        {"{\"case\":\"a\",\"costs\":[{\"gen\":0,\"model\":2,\"coeffs\":[1],\"c\":1}]}", SIM_OPF,
         "unknown_field", "costs[].c"},
        {"{\"case\":\"a\",\"mode\":\"dc\"}", SIM_PF, "invalid_field", "mode"},
        {"{\"case\":\"a\",\"load\":{\"scale\":-1}}", SIM_OPF, "invalid_field", "load.scale"},
        {"{\"case\":\"a\",\"load\":{}}", SIM_OPF, "invalid_field", "load"},
        {"{\"case\":\"a\",\"outages\":{\"branches\":[-1]}}", SIM_OPF, "invalid_field",
         "outages.branches"},
        {"{\"case\":\"a\",\"outages\":{\"gens\":[1.5]}}", SIM_OPF, "invalid_field", "outages.gens"},
        {"{\"case\":\"a\",\"costs\":[{\"gen\":0,\"model\":3,\"coeffs\":[1]}]}", SIM_OPF,
         "invalid_field", "costs[].model"},
        {"{\"case\":\"a\",\"costs\":[{\"gen\":0,\"model\":1,\"coeffs\":[1,2,3]}]}", SIM_OPF,
         "invalid_field", "costs[].coeffs"},
        {"{\"case\":\"a\",\"branches\":[1]}", SIM_OPF, "invalid_field", "branches"},
        {"{\"case\":\"a\",\"region\":\"PJM\"}", SIM_OPF, "invalid_field", "region"},
        {"{\"case\":\"a\",\"start\":\"2018-01-01T00:00:00Z\"}", SIM_SCHEDULE, "missing_field",
         "region"},
        {"{\"case\":\"a\",\"region\":7,\"start\":\"2018-01-01T00:00:00Z\"}", SIM_SCHEDULE,
         "invalid_field", "region"},
        {"{\"case\":\"a\",\"region\":\"PJM\"}", SIM_SCHEDULE, "missing_field", "start"},
        {"{\"case\":\"a\",\"region\":\"PJM\",\"start\":\"2018-01-01T00:30:00Z\"}", SIM_SCHEDULE,
         "invalid_field", "start"},
        {"{\"case\":\"a\",\"region\":\"PJM\",\"start\":null}", SIM_SCHEDULE, "invalid_field",
         "start"},
        {"{\"case\":\"a\",\"region\":\"P\",\"start\":\"yesterday\"}", SIM_SCHEDULE, "invalid_field",
         "start"},
        {"{\"case\":\"a\",\"region\":\"P\",\"start\":\"2018-01-01T00:00:00Z\",\"hours\":500}",
         SIM_SCHEDULE, "invalid_field", "hours"},
        {"{\"case\":\"a\",\"async\":\"yes\"}", SIM_OPF, "invalid_field", "async"},
        {"{\"case\":\"a\",\"screen_limits\":1}", SIM_OPF, "invalid_field", "screen_limits"},
        {"{\"case\":\"a\",\"max_cpu_time\":0}", SIM_OPF, "invalid_field", "max_cpu_time"},
        {"{\"case\":\"a\",\"load\":{\"scale\":0}}", SIM_OPF, "invalid_field", "load.scale"},
        {"{\"case\":\"a\",\"branches\":[]}", SIM_N1, "invalid_field", "branches"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_request_t q;
        gf_err_t e = {0};
        assert_int_equal(parse(cases[i].body, cases[i].kind, &q, &e), GF_EINVAL);
        assert_string_equal(e.code, cases[i].code);
        json_t *d = json_array_get(e.details, 0);
        assert_string_equal(json_string_value(json_object_get(d, "field")), cases[i].field);
        sim_request_cleanup(&q);
        gf_err_cleanup(&e);
    }
}

/* A schedule's start as GET /v1/forecast takes it; a malformed region code is
 * invalid_region, as everywhere. */
static void test_sim_request_schedule_start_and_region(void **state)
{
    (void)state;
    sim_request_t q;
    gf_err_t e = {0};
    assert_int_equal(parse("{\"case\":\"c\",\"region\":\"PJM\"}", SIM_SCHEDULE, &q, &e), GF_EINVAL);
    assert_non_null(strstr(e.message, "missing"));
    sim_request_cleanup(&q);
    gf_err_cleanup(&e);
    assert_int_equal(parse("{\"case\":\"c\",\"region\":\"PJM\",\"start\":\"2018-06-30T00:00:01Z\"}",
                           SIM_SCHEDULE, &q, &e),
                     GF_EINVAL);
    assert_non_null(strstr(e.message, "whole UTC hour"));
    sim_request_cleanup(&q);
    gf_err_cleanup(&e);
    static const struct {
        const char *body;
        sim_kind_t kind;
        const char *field;
    } unknown[] = {
        {"{\"case\":\"c\",\"region\":\"P{J\",\"start\":\"2018-06-30T00:00:00Z\"}", SIM_SCHEDULE,
         "region"},
        {"{\"case\":\"c\",\"load\":{\"forecast\":{\"region\":\"../x\",\"at\":\"2018-06-30T00:00:00Z\"}}}",
         SIM_OPF, "load.forecast.region"},
    };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_int_equal(parse(unknown[i].body, unknown[i].kind, &q, &e), GF_EINVAL);
        assert_string_equal(e.code, "invalid_region");
        json_t *d = json_array_get(e.details, 0);
        assert_string_equal(json_string_value(json_object_get(d, "field")), unknown[i].field);
        sim_request_cleanup(&q);
        gf_err_cleanup(&e);
    }
    assert_int_equal(
        parse("{\"case\":\"c\",\"region\":\"PJM\",\"start\":\"2018-06-30T02:00:00+02:00\"}",
              SIM_SCHEDULE, &q, &e),
        0);
    assert_true(q.start == 1530316800.0);
    sim_request_cleanup(&q);
}

/* Out-of-range refusals state the range. */
static void test_sim_request_ranges_stated(void **state)
{
    (void)state;
    static const struct {
        const char *body, *text;
    } cases[] = {
        {"{\"case\":\"a\",\"load\":{\"scale\":0}}",
         "'load.scale' is out of range: it must be > 0 and <= 10"},
        {"{\"case\":\"a\",\"load\":{\"scale\":11}}",
         "'load.scale' is out of range: it must be > 0 and <= 10"},
        {"{\"case\":\"a\",\"max_cpu_time\":0}",
         "'max_cpu_time' is out of range: it must be >= 0.01 and <= 3600"},
        {"{\"case\":\"a\",\"load\":{\"buses\":[{\"bus\":1,\"pd\":2e6}]}}",
         "'load.buses[].pd' is out of range: it must be >= -1e+06 and <= 1e+06"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_request_t q;
        gf_err_t e = {0};
        assert_int_equal(parse(cases[i].body, SIM_OPF, &q, &e), GF_EINVAL);
        assert_string_equal(e.message, cases[i].text);
        sim_request_cleanup(&q);
        gf_err_cleanup(&e);
    }
    sim_request_t q;
    gf_err_t e = {0};
    assert_int_equal(parse("{\"case\":\"a\",\"load\":{\"scale\":10}}", SIM_OPF, &q, &e), 0);
    sim_request_cleanup(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_request_valid_bodies),
        cmocka_unit_test(test_sim_request_refusals_name_the_field),
        cmocka_unit_test(test_sim_request_schedule_start_and_region),
        cmocka_unit_test(test_sim_request_ranges_stated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
