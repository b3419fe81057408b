/*
 * test_sim_forecast.c - the forecast service's answer as the simulation reads it
 * (sim_forecast.h): a table of status + body -> points and peak, or the error code, rc and
 * message this service answers with; and the client's own refusals before any request.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sim_forecast.h"

static const char ok3[] =
    "{\"region\":\"PJM\",\"model\":{\"name\":\"load:PJM\",\"version\":7},\"peak_mw\":150000,"
    "\"points\":[{\"ts\":\"2018-06-04T00:00:00Z\",\"point\":90000.5,\"p10\":1},"
    "{\"ts\":\"2018-06-04T01:00:00Z\",\"point\":88000},{\"ts\":\"2018-06-04T02:00:00Z\","
    "\"point\":86000}]}";

static int parse(int status, const char *body, int hours, sim_forecast_t *f, gf_err_t *e)
{
    return sim_forecast_parse(status, body, body ? strlen(body) : 0, "PJM", hours, f, e);
}

static void test_sim_forecast_points_peak_and_model(void **state)
{
    (void)state;
    sim_forecast_t f;
    gf_err_t e = {0};
    assert_int_equal(parse(200, ok3, 2, &f, &e), 0);
    assert_int_equal(f.n, 2); /* the hours asked for, not all the points sent */
    assert_true(f.mw[0] == 90000.5);
    assert_true(f.mw[1] == 88000);
    assert_true(f.peak_mw == 150000);
    assert_string_equal(json_string_value(json_object_get(f.model, "name")), "load:PJM");
    assert_int_equal(json_integer_value(json_object_get(f.model, "version")), 7);
    sim_forecast_cleanup(&f);
    assert_null(f.mw);
    assert_null(f.model);
    /* no model member: null, not absent */
    assert_int_equal(parse(200, "{\"peak_mw\":10,\"points\":[{\"point\":5}]}", 1, &f, &e), 0);
    assert_true(json_is_null(f.model));
    assert_true(f.mw[0] == 5);
    sim_forecast_cleanup(&f);
    gf_err_cleanup(&e);
}

/* 200 answers this service cannot use: 503 forecast_bad_response, nothing left in *out. */
static void test_sim_forecast_bad_200_answers(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int hours;
        const char *msg; /* part of the message */
    } cases[] = {
        {ok3, 4, "without points"},                                       /* too few points */
        {"{\"peak_mw\":10}", 1, "without points"},                        /* no points */
        {"{\"peak_mw\":10,\"points\":{}}", 1, "without points"},          /* not an array */
        {"{\"points\":[{\"point\":1}]}", 1, "peak_mw"},                   /* no peak */
        {"{\"peak_mw\":0,\"points\":[{\"point\":1}]}", 1, "peak_mw"},     /* peak not > 0 */
        {"{\"peak_mw\":-5,\"points\":[{\"point\":1}]}", 1, "peak_mw"},    /* negative */
        {"{\"peak_mw\":\"9\",\"points\":[{\"point\":1}]}", 1, "peak_mw"}, /* a string */
        {"{\"peak_mw\":9,\"points\":[{\"point\":1},{\"p50\":2}]}", 2, "point 1 has no value"},
        {"{\"peak_mw\":9,\"points\":[{\"point\":null}]}", 1, "point 0 has no value"},
        {"{\"peak_mw\":9,\"points\":[7]}", 1, "point 0 has no value"},
        {"not json", 1, "without points"},
        {"", 1, "without points"},
        {NULL, 1, "without points"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_forecast_t f;
        gf_err_t e = {0};
        int rc = parse(200, cases[i].body, cases[i].hours, &f, &e);
        if (rc != GF_EUNAVAIL || strcmp(e.code, "forecast_bad_response") != 0 ||
            strstr(e.message, cases[i].msg) == NULL)
            fail_msg("case %zu: rc %d code %s message %s", i, rc, e.code, e.message);
        assert_null(f.mw);
        assert_int_equal(f.n, 0);
        assert_null(f.model);
        gf_err_cleanup(&e);
    }
}

/* Errors of the forecast service map to this service's: the status decides the rc, a 422
 * keeps the forecast's own code, the message names the region, its message and code. */
static void test_sim_forecast_error_answers(void **state)
{
    (void)state;
    static const struct {
        int status;
        const char *body;
        int rc;
        const char *code;
        const char *msg;
    } cases[] = {
        {404, "{\"error\":{\"code\":\"unknown_region\",\"message\":\"region 'PJM' is not known\"}}",
         GF_ENOTFOUND, "unknown_region",
         "forecast for PJM: region 'PJM' is not known (unknown_region 404)"},
        {503, "{\"error\":{\"code\":\"no_model\",\"message\":\"no production model\"}}",
         GF_EUNAVAIL, "forecast_unavailable",
         "forecast for PJM: no production model (no_model 503)"},
        {422, "{\"error\":{\"code\":\"insufficient_history\",\"message\":\"needs 168 hours\"}}",
         GF_EUNPROCESSABLE, "insufficient_history", "needs 168 hours (insufficient_history 422)"},
        {422, "{\"error\":{\"code\":\"a_code_far_too_long_to_be_kept_as_one_of_ours_xxxxxxxx\"}}",
         GF_EUNPROCESSABLE, "forecast_failed", "forecast for PJM: error ("},
        {422, "{}", GF_EUNPROCESSABLE, "forecast_failed", "forecast for PJM: error (http 422)"},
        {400, "{\"error\":{\"code\":\"invalid_parameter\",\"message\":\"bad start\"}}",
         GF_EUNPROCESSABLE, "forecast_failed", "bad start (invalid_parameter 400)"},
        {500, "<html>oops</html>", GF_EUNPROCESSABLE, "forecast_failed", "error (http 500)"},
        {502, NULL, GF_EUNPROCESSABLE, "forecast_failed", "error (http 502)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_forecast_t f;
        gf_err_t e = {0};
        int rc = parse(cases[i].status, cases[i].body, 1, &f, &e);
        if (rc != cases[i].rc || strcmp(e.code, cases[i].code) != 0 ||
            strstr(e.message, cases[i].msg) == NULL)
            fail_msg("case %zu: rc %d code %s message %s", i, rc, e.code, e.message);
        assert_null(f.mw);
        gf_err_cleanup(&e);
    }
}

/* The client refuses before sending anything: no URL, a region that is not a code; a
 * forecast service that is not there is forecast_unavailable. */
static void test_sim_forecast_fetch_refusals(void **state)
{
    (void)state;
    sim_forecast_t f;
    gf_err_t e = {0};
    sim_env_t env = {.forecast_url = "", .forecast_timeout = 2};
    assert_int_equal(sim_forecast_fetch(&env, "PJM", 1528070400, 1, &f, &e), GF_EUNAVAIL);
    assert_string_equal(e.code, "forecast_not_configured");
    gf_err_cleanup(&e);
    /* port 1 on loopback: nothing listens there (connection refused at once) */
    env.forecast_url = "http://127.0.0.1:1";
    assert_int_equal(sim_forecast_fetch(&env, "PJ M&x=1", 1528070400, 1, &f, &e), GF_EINVAL);
    assert_string_equal(e.code, "invalid_region");
    gf_err_cleanup(&e);
    assert_int_equal(sim_forecast_fetch(&env, "PJM", 1528070400, 1, &f, &e), GF_EUNAVAIL);
    assert_string_equal(e.code, "forecast_unavailable");
    assert_non_null(strstr(e.message, "http://127.0.0.1:1"));
    assert_null(f.mw);
    gf_err_cleanup(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_forecast_points_peak_and_model),
        cmocka_unit_test(test_sim_forecast_bad_200_answers),
        cmocka_unit_test(test_sim_forecast_error_answers),
        cmocka_unit_test(test_sim_forecast_fetch_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
