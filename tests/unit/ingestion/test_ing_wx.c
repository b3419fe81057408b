/*
 * test_wx.c - the Open-Meteo puller core: the region -> coordinates config (good and bad
 * items), the request URL (fields asked for, the key only when configured, encoded), and the
 * response parser (the documented shape, nulls skipped, hours before the pull dropped, degF
 * converted, the error object, shapes that are refused and leave the batch as it was).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ing_wx.h"

#define T0 1467331200LL
#define H 3600LL

static void test_sites(void **state)
{
    (void)state;
    ing_regions_t regs;
    ing_regions_init(&regs);
    const char *root = getenv("GF_TEST_ROOT") ? getenv("GF_TEST_ROOT") : ".";
    char path[512];
    snprintf(path, sizeof path, "%s/services/ingestion/data/regions_extra.csv", root);
    gf_err_t err = {0};
    assert_int_equal(ing_regions_load_csv(&regs, path, &err), 0);
    ing_wx_site_t s[4];
    size_t n;
    assert_int_equal(ing_wx_sites_parse(" NYC = 40.7128 , -74.006 ; ", &regs, s, 4, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(s[0].region, "NYC");
    assert_true(fabs(s[0].lat - 40.7128) < 1e-12 && fabs(s[0].lon + 74.006) < 1e-12);
    assert_int_equal(ing_wx_sites_parse("", &regs, s, 4, &n, &err), 0);
    assert_int_equal(n, 0);
    static const char *bad[] = {"NYC",         "NYC=40.7", "NYC=91,0",
                                "NYC=40,-181", "ZZZ=1,1",  "NYC=1,1;NYC=2,2",
                                "NYC=1e,1",    "N{C=1,1",  "NYC=nan,1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ing_wx_sites_parse(bad[i], &regs, s, 4, &n, &err), GF_EINVAL);
        assert_string_equal(err.code, "bad_config");
        gf_err_cleanup(&err);
    }
    ing_regions_cleanup(&regs);
}

static void test_url(void **state)
{
    (void)state;
    ing_wx_site_t s = {"NYC", 40.7128, -74.006};
    gf_err_t err = {0};
    char *u = ing_wx_url("http://127.0.0.1:1/v1/forecast", &s, 3, NULL, &err);
    assert_string_equal(u, "http://127.0.0.1:1/v1/forecast?latitude=40.7128&longitude=-74.0060"
                           "&hourly=temperature_2m&timeformat=unixtime&timezone=GMT"
                           "&temperature_unit=celsius&past_days=0&forecast_days=3");
    free(u);
    u = ing_wx_url(NULL, &s, 1, "k y&z", &err);
    assert_non_null(strstr(u, ING_WX_BASE_URL "?"));
    assert_non_null(strstr(u, "&apikey=k%20y%26z"));
    free(u);
    assert_null(ing_wx_url(NULL, &s, 17, NULL, &err));
    assert_string_equal(err.code, "bad_config");
    gf_err_cleanup(&err);
}

static void test_parse(void **state)
{
    (void)state;
    ing_temp_batch_t b;
    ing_temp_batch_init(&b);
    gf_err_t err = {0};
    const char *ok = "{\"latitude\":40.71,\"hourly_units\":{\"time\":\"unixtime\","
                     "\"temperature_2m\":\"\xc2\xb0"
                     "C\"},\"hourly\":{\"time\":[1467324000,"
                     "1467327600,1467331200,1467334800,1467338400],\"temperature_2m\":[1,2,"
                     "22.345,null,-0.001]}}";
    assert_int_equal(ing_wx_parse(ok, strlen(ok), "NYC", T0 + 60, T0 - H, &b, &err), 0);
    assert_int_equal(b.n, 3); /* the hour before from and the null are skipped */
    assert_true(b.rows[0].hour == T0 - H && b.rows[0].temp_c == 2);
    assert_true(b.rows[1].hour == T0 && b.rows[1].temp_c == 22.35);
    assert_true(b.rows[2].hour == T0 + 2 * H && b.rows[2].temp_c == 0 &&
                !signbit(b.rows[2].temp_c));
    assert_int_equal(b.rows[1].issued, T0 + 60);
    assert_string_equal(b.rows[1].region, "NYC");
    const char *f = "{\"hourly_units\":{\"temperature_2m\":\"\xc2\xb0"
                    "F\"},\"hourly\":"
                    "{\"time\":[1467342000],\"temperature_2m\":[50]}}";
    assert_int_equal(ing_wx_parse(f, strlen(f), "NYC", T0, T0, &b, &err), 0);
    assert_int_equal(b.n, 4);
    assert_true(b.rows[3].hour == T0 + 3 * H && b.rows[3].temp_c == 10.0); /* 50 F */
    ing_temp_batch_cleanup(&b);
}

static void test_parse_refused(void **state)
{
    (void)state;
    static const struct {
        const char *body, *code;
    } cases[] = {
        {"{\"error\":true,\"reason\":\"Latitude must be in range of -90 to 90\"}",
         "openmeteo_error"},
        {"[1]", "openmeteo_bad_response"},
        {"{\"hourly\":{\"time\":[1467331200]}}", "openmeteo_bad_response"},
        {"{\"hourly\":{\"time\":[1467331200],\"temperature_2m\":[1,2]}}", "openmeteo_bad_response"},
        {"{\"hourly\":{\"time\":[1467331201],\"temperature_2m\":[1]}}", "openmeteo_bad_response"},
        {"{\"hourly\":{\"time\":[1467331200],\"temperature_2m\":[\"1\"]}}",
         "openmeteo_bad_response"},
        {"{\"hourly\":{\"time\":[1467331200],\"temperature_2m\":[99]}}", "openmeteo_bad_response"},
        {"{\"hourly_units\":{\"temperature_2m\":\"K\"},\"hourly\":{\"time\":[],"
         "\"temperature_2m\":[]}}",
         "openmeteo_bad_response"},
        {"{\"hourly\":{\"time\":[1467331200,", "openmeteo_bad_response"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ing_temp_batch_t b;
        ing_temp_batch_init(&b);
        gf_err_t err = {0};
        const char *ok = "{\"hourly\":{\"time\":[1467331200],\"temperature_2m\":[5]}}";
        assert_int_equal(ing_wx_parse(ok, strlen(ok), "NYC", T0, T0, &b, &err), 0);
        assert_int_not_equal(ing_wx_parse(cases[i].body, strlen(cases[i].body), "NYC", T0, T0, &b,
                                          &err),
                             0);
        assert_string_equal(err.code, cases[i].code);
        assert_int_equal(b.n, 1); /* the earlier rows stay, none of this body's */
        gf_err_cleanup(&err);
        ing_temp_batch_cleanup(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sites),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
