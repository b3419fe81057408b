/*
 * test_ing_eia.c - EIA API v2 puller core (ing_eia.h): request URL and response parsing
 * against fixture files in tests/unit/ingestion/fixtures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../../services/ingestion/ing_eia.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/unit/ingestion/fixtures/%s",
             getenv("GF_TEST_ROOT") ? getenv("GF_TEST_ROOT") : ".", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void test_eia_url(void **state)
{
    (void)state;
    const char *resp[] = {"PJM", "ERCO"};
    ing_eia_req_t r = {.api_key = "k&y",
                       .respondents = resp,
                       .nrespondents = 2,
                       .start_hour = 1704067200 /* 2024-01-01T00Z start */,
                       .end_hour = 1704150000,
                       .offset = 5000};
    gf_err_t err = {0};
    char *url = ing_eia_url(&r, &err);
    assert_non_null(url);
    assert_string_equal(url,
                        "https://api.eia.gov/v2/electricity/rto/region-data/data/?api_key=k%26y"
                        "&frequency=hourly&data%5B0%5D=value&facets%5Brespondent%5D%5B%5D=PJM"
                        "&facets%5Brespondent%5D%5B%5D=ERCO&facets%5Btype%5D%5B%5D=D"
                        "&start=2024-01-01T01&end=2024-01-02T00&sort%5B0%5D%5Bcolumn%5D=period"
                        "&sort%5B0%5D%5Bdirection%5D=asc&offset=5000&length=5000");
    free(url);
    r.api_key = NULL;
    assert_null(ing_eia_url(&r, &err));
    assert_string_equal(err.code, "bad_request");
    r.api_key = "k";
    r.length = 5001;
    assert_null(ing_eia_url(&r, &err));
    r.length = 10;
    const char *bad[] = {"P&M"};
    r.respondents = bad;
    r.nrespondents = 1;
    assert_null(ing_eia_url(&r, &err));
    gf_err_cleanup(&err);
}

static void test_eia_parse_page(void **state)
{
    (void)state;
    size_t len;
    char *body = fixture("eia_region_data_page.json", &len);
    ing_eia_page_t p;
    gf_err_t err = {0};
    assert_int_equal(ing_eia_parse(body, len, &p, &err), 0);
    assert_int_equal(p.total, 6);
    assert_int_equal(p.n, 4);
    assert_int_equal(p.skipped, 2); /* the DF row and the null value */
    /* period 2024-01-01T00 is hour ending: the hour starts 2023-12-31T23:00Z */
    assert_true(p.rows[0].hour == 1704063600);
    assert_string_equal(p.rows[0].region, "PJM");
    assert_true(p.rows[0].demand_mw == 88395);
    assert_true(p.rows[2].hour == 1704063600 && p.rows[2].demand_mw == 41298);
    assert_string_equal(p.rows[3].region, "CISO");
    assert_true(p.rows[3].demand_mw == 21532.5 && p.rows[3].hour == 1704070800);
    ing_eia_page_free(&p);
    free(body);
    gf_err_cleanup(&err);
}

static void test_eia_parse_errors(void **state)
{
    (void)state;
    size_t len;
    ing_eia_page_t p;
    gf_err_t err = {0};
    char *body = fixture("eia_error_params.json", &len);
    assert_int_equal(ing_eia_parse(body, len, &p, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "eia_error");
    assert_non_null(strstr(err.message, "Invalid frequency"));
    free(body);
    body = fixture("eia_error_api_key.json", &len);
    assert_int_equal(ing_eia_parse(body, len, &p, &err), GF_EUNAUTH);
    assert_string_equal(err.code, "eia_api_key");
    free(body);
    body = fixture("eia_bad_period.json", &len);
    assert_int_equal(ing_eia_parse(body, len, &p, &err), GF_EINVAL);
    assert_string_equal(err.code, "eia_bad_response");
    assert_int_equal(p.n, 0);
    free(body);
    static const char *const bad[] = {
        "not json",
        "{}",
        "{\"response\":{\"data\":{}}}",
        "{\"response\":{\"total\":\"x\",\"data\":[]}}",
        "{\"response\":{\"data\":[{\"period\":\"2024-01-01T00\",\"respondent\":\"PJM\",\"value\":\"1x\"}]}}",
        "{\"response\":{\"data\":[{\"period\":\"2024-01-01T00\",\"respondent\":\"P M\",\"value\":1}]}}",
        "{\"response\":{\"data\":[5]}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ing_eia_parse(bad[i], strlen(bad[i]), &p, &err), GF_EINVAL);
        assert_int_equal(p.n, 0);
    }
    const char *empty = "{\"response\":{\"total\":0,\"data\":[]}}";
    assert_int_equal(ing_eia_parse(empty, strlen(empty), &p, &err), 0);
    assert_int_equal(p.total, 0);
    ing_eia_page_free(&p);
    gf_err_cleanup(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eia_url),
        cmocka_unit_test(test_eia_parse_page),
        cmocka_unit_test(test_eia_parse_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
