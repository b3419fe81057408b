/* Unit tests for libs/core/src/util.c: RFC 3339 parsing and formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/util.h"

static void test_util_time_parse_table(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        double t;
    } cases[] = {
        {"1970-01-01T00:00:00Z", 0, 0},
        {"2015-07-02T00:00:00Z", 0, 1435795200},
        {"2016-02-29T12:30:15Z", 0, 1456749015},
        {"2018-01-01T01:00:00+01:00", 0, 1514764800},
        {"2017-12-31T19:00:00-05:00", 0, 1514764800},
        {"2018-01-01T00:00:00.250Z", 0, 1514764800.25},
        {"2018-01-01 00:00:00Z", 0, 1514764800},
        {"2017-02-29T00:00:00Z", GF_EINVAL, 0},
        {"2018-13-01T00:00:00Z", GF_EINVAL, 0},
        {"2018-01-01T24:00:00Z", GF_EINVAL, 0},
        {"2018-01-01T00:00:00", GF_EINVAL, 0},
        {"2018-01-01T00:00:00Zjunk", GF_EINVAL, 0},
        {"2018-01-01", GF_EINVAL, 0},
        {"", GF_EINVAL, 0},
        {"abcd-ef-ghTij:kl:mnZ", GF_EINVAL, 0},
        {"2018-01-01T00:00:00.Z", GF_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double t = -1;
        int rc = gf_time_parse(cases[i].s, strlen(cases[i].s), &t);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_true(t == cases[i].t);
    }
}

static void test_util_time_format_round_trip(void **state)
{
    (void)state;
    char buf[40];
    assert_string_equal(gf_time_format(1514764800, buf, sizeof buf), "2018-01-01T00:00:00Z");
    assert_string_equal(gf_time_format(-1, buf, sizeof buf), "1969-12-31T23:59:59Z");
    assert_string_equal(gf_time_format_ms(1514764800.5, buf, sizeof buf),
                        "2018-01-01T00:00:00.500Z");
    for (long long t = 0; t < 4102444800LL; t += 7777777) {
        double back;
        gf_time_format(t, buf, sizeof buf);
        assert_int_equal(gf_time_parse(buf, strlen(buf), &back), 0);
        assert_true(back == (double)t);
    }
}

static void test_util_url_redact(void **state)
{
    (void)state;
    char out[256];
    assert_string_equal(
        gf_url_redact("https://api.eia.gov/v2/x/data/?api_key=SECRETKEY123&frequency=hourly&"
                      "facets[respondent][]=PJM",
                      out, sizeof out),
        "https://api.eia.gov/v2/x/data/?api_key=***&frequency=***&facets[respondent][]=***");
    assert_string_equal(gf_url_redact("http://user:pa55word@proxy:3128/v1?x", out, sizeof out),
                        "http://proxy:3128/v1?x");
    assert_string_equal(gf_url_redact("http://h:1/p#frag?k=v", out, sizeof out), "http://h:1/p");
    assert_string_equal(gf_url_redact("http://h/p?a=1&b&c=", out, sizeof out),
                        "http://h/p?a=***&b&c=***");
    /* Not a URL (no scheme): redacted as a path with a query. */
    assert_string_equal(gf_url_redact("plain?api_key=x", out, sizeof out), "plain?api_key=***");
    /* An '@' in the query is not user-info. */
    assert_string_equal(gf_url_redact("http://h/p?mail=a@b", out, sizeof out),
                        "http://h/p?mail=***");
    /* Truncation keeps a terminated string. */
    char small[8];
    assert_string_equal(gf_url_redact("http://example.org/", small, sizeof small), "http://");
    assert_null(strstr(gf_url_redact("http://h/?k=SECRETKEY123", out, sizeof out), "SECRET"));
}

static void test_util_redact_secret(void **state)
{
    (void)state;
    char s[128] = "EIA refused key0123: An invalid api_key was supplied: key0123.";
    assert_int_equal(gf_redact_secret(s, "key0123"), 2);
    assert_string_equal(s, "EIA refused ***: An invalid api_key was supplied: ***.");
    char t[32] = "abc";
    assert_int_equal(gf_redact_secret(t, "abc"), 0); /* shorter than 4: not a secret */
    assert_int_equal(gf_redact_secret(t, ""), 0);
    assert_int_equal(gf_redact_secret(t, NULL), 0);
    char u[32] = "aaaaaaaa";
    assert_int_equal(gf_redact_secret(u, "aaaa"), 2);
    assert_string_equal(u, "******");
}

static void test_util_jansson_allocates_through_the_kit(void **state)
{
    (void)state;
    json_malloc_t m = NULL;
    json_free_t f = NULL;
    json_get_alloc_funcs(&m, &f);
    assert_ptr_equal(m, gf_xmalloc);
    assert_ptr_equal(f, free);
    json_t *o = json_pack("{s:[i,s]}", "a", 1, "b");
    assert_non_null(o);
    json_decref(o);
    char *d = gf_xstrndup("abcdef", 3);
    assert_string_equal(d, "abc");
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_time_parse_table),
        cmocka_unit_test(test_util_jansson_allocates_through_the_kit),
        cmocka_unit_test(test_util_url_redact),
        cmocka_unit_test(test_util_redact_secret),
        cmocka_unit_test(test_util_time_format_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
