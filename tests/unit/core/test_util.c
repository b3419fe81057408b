/* Unit tests for libs/core/src/util.c: RFC 3339 parsing and formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_time_parse_table),
        cmocka_unit_test(test_util_time_format_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
