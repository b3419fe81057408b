/*
 * test_fc_plan.c - GET /v1/forecast's checks before any history is read (fc_plan.h, called
 * by h_forecast.c): the levels query, the point field names, the levels a model stores, and
 * the origin, skipped hours and history needed, as tables of input -> result or error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "fc_plan.h"

static void test_fc_plan_levels_parse(void **state)
{
    (void)state;
    static const struct {
        const char *txt;
        int rc;
        size_t n;
        double v0, vlast;
        const char *reason; /* the field detail on failure */
    } cases[] = {
        {"0.1,0.5,0.9", 0, 3, 0.1, 0.9, NULL},       {"0.05", 0, 1, 0.05, 0.05, NULL},
        {"0.025,0.975", 0, 2, 0.025, 0.975, NULL},   {"", GF_EINVAL, 0, 0, 0, "empty"},
        {"0", GF_EINVAL, 0, 0, 0, "bad list"},       {"1", GF_EINVAL, 0, 0, 0, "bad list"},
        {"-0.1", GF_EINVAL, 0, 0, 0, "bad list"},    {"0.1,,0.9", GF_EINVAL, 0, 0, 0, "bad list"},
        {"0.1;0.9", GF_EINVAL, 0, 0, 0, "bad list"}, {"p10", GF_EINVAL, 0, 0, 0, "bad list"},
        {"0.5x", GF_EINVAL, 0, 0, 0, "bad list"},    {"nan", GF_EINVAL, 0, 0, 0, "bad list"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double lev[FC_Q_MAX_LEVELS];
        size_t n = 99;
        gf_err_t e = {0};
        int rc = fc_levels_parse(cases[i].txt, lev, &n, &e);
        if (rc != cases[i].rc)
            fail_msg("'%s': rc %d", cases[i].txt, rc);
        if (rc == 0) {
            assert_int_equal(n, cases[i].n);
            assert_true(lev[0] == cases[i].v0 && lev[n - 1] == cases[i].vlast);
        } else {
            assert_string_equal(e.code, "invalid_parameter");
            char *d = json_dumps(e.details, JSON_COMPACT);
            if (strstr(d, "\"levels\"") == NULL || strstr(d, cases[i].reason) == NULL)
                fail_msg("'%s': details %s", cases[i].txt, d);
            free(d);
        }
        gf_err_cleanup(&e);
    }
    /* more levels than a model can store */
    char many[256] = "";
    for (int k = 0; k <= FC_Q_MAX_LEVELS; k++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s0.%02d", k ? "," : "", k + 1);
    double lev[FC_Q_MAX_LEVELS];
    size_t n;
    gf_err_t e = {0};
    assert_int_equal(fc_levels_parse(many, lev, &n, &e), GF_EINVAL);
    gf_err_cleanup(&e);
}

static void test_fc_plan_level_names(void **state)
{
    (void)state;
    static const struct {
        double lv;
        const char *name;
    } cases[] = {{0.1, "p10"},  {0.5, "p50"},    {0.9, "p90"},     {0.05, "p05"},
                 {0.01, "p01"}, {0.025, "p2_5"}, {0.975, "p97_5"}, {0.999, "p99_9"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[16];
        fc_level_name(cases[i].lv, buf, sizeof buf);
        assert_string_equal(buf, cases[i].name);
    }
}

static void test_fc_plan_levels_resolve(void **state)
{
    (void)state;
    gf_err_t e = {0};
    json_t *rq = json_loads("{\"levels\":[0.1,0.5,0.9],\"by_horizon\":[[-2,0,2]]}", 0, NULL);
    fc_quantiles_t *q = fc_quantiles_parse(rq, &e);
    json_decref(rq);
    assert_non_null(q);
    double lev[] = {0.9, 0.1, 0.05};
    int lidx[3];
    /* defaults (not named by the client): a level not stored is left out */
    assert_int_equal(fc_levels_resolve(q, lev, 3, 0, "load:PJM", 4, lidx, &e), 0);
    assert_int_equal(lidx[0], 2);
    assert_int_equal(lidx[1], 0);
    assert_int_equal(lidx[2], -1);
    /* named: refused, listing what is stored */
    assert_int_equal(fc_levels_resolve(q, lev, 3, 1, "load:PJM", 4, lidx, &e), GF_EUNPROCESSABLE);
    assert_string_equal(e.code, "unknown_level");
    assert_non_null(strstr(e.message, "level 0.05 is not stored with load:PJM@4"));
    assert_non_null(strstr(e.message, "stored levels: 0.1,0.5,0.9"));
    gf_err_cleanup(&e);
    /* a model without quantiles */
    assert_int_equal(fc_levels_resolve(NULL, lev, 1, 0, "load:PJM", 4, lidx, &e), 0);
    assert_int_equal(lidx[0], -1);
    assert_int_equal(fc_levels_resolve(NULL, lev, 1, 1, "load:PJM", 4, lidx, &e),
                     GF_EUNPROCESSABLE);
    assert_non_null(strstr(e.message, "none (the model has no residual quantiles)"));
    gf_err_cleanup(&e);
    fc_quantiles_free(q);
}

#define H 3600LL
#define FIRST 1514764800LL     /* 2018-01-01T00:00Z */
#define LAST (FIRST + 999 * H) /* the last hour with data */

static void test_fc_plan_origin_table(void **state)
{
    (void)state;
    static const struct {
        double start; /* < 0: none */
        long horizon;
        int lookback;
        int rc;
        int64_t origin;
        int skip;
        const char *code, *field, *msg;
    } cases[] = {
        /* no start: the hour after the data */
        {-1, 24, 168, 0, LAST + H, 0, NULL, NULL, NULL},
        /* a start within the data is the origin (a backtest) */
        {(double)(FIRST + 500 * H), 24, 168, 0, FIRST + 500 * H, 0, NULL, NULL, NULL},
        {(double)LAST, 24, 168, 0, LAST, 0, NULL, NULL, NULL},
        /* after the data: from the hour after it, skipping to the start */
        {(double)(LAST + H), 24, 168, 0, LAST + H, 0, NULL, NULL, NULL},
        {(double)(LAST + 11 * H), 24, 168, 0, LAST + H, 10, NULL, NULL, NULL},
        {(double)(LAST + 145 * H), 24, 168, 0, LAST + H, 144, NULL, NULL, NULL},
        /* skip + horizon beyond 168 hours past the data */
        {(double)(LAST + 146 * H), 24, 168, GF_EUNPROCESSABLE, 0, 0, "start_beyond_data", "horizon",
         "at most 23 hours can be forecast from it (asked: 24)"},
        /* the start itself 168 hours or more past the data */
        {(double)(LAST + 169 * H), 1, 168, GF_EUNPROCESSABLE, 0, 0, "start_beyond_data", "start",
         "start is 169 hours after the last hour with data"},
        /* a start too early for the features' lookback */
        {(double)(FIRST + 100 * H), 24, 168, GF_EUNPROCESSABLE, 0, 0, "insufficient_history",
         "start", "needs 168 hours of history before it"},
        {(double)(FIRST + 168 * H), 24, 168, 0, FIRST + 168 * H, 0, NULL, NULL, NULL},
        {(double)(FIRST + 167 * H), 24, 168, GF_EUNPROCESSABLE, 0, 0, "insufficient_history",
         "start", "the data of PJM begins at 2018-01-01T00:00:00Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t origin = -7;
        int skip = -7;
        gf_err_t e = {0};
        int rc = fc_plan_origin(FIRST, LAST, cases[i].start, cases[i].horizon, cases[i].lookback,
                                "PJM", &origin, &skip, &e);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d (%s)", i, rc, e.message);
        if (rc == 0) {
            if (origin != cases[i].origin || skip != cases[i].skip)
                fail_msg("case %zu: origin %lld skip %d", i, (long long)origin, skip);
        } else {
            assert_string_equal(e.code, cases[i].code);
            char *d = json_dumps(e.details, JSON_COMPACT);
            if (strstr(d, cases[i].field) == NULL || strstr(e.message, cases[i].msg) == NULL)
                fail_msg("case %zu: %s / %s", i, e.message, d);
            free(d);
        }
        gf_err_cleanup(&e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc_plan_levels_parse),
        cmocka_unit_test(test_fc_plan_level_names),
        cmocka_unit_test(test_fc_plan_levels_resolve),
        cmocka_unit_test(test_fc_plan_origin_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
