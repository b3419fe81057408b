/*
 * test_tz.c - the TZif reader against known offsets, across US DST changes, in the zones
 * of the headline regions; malformed files are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "features/tz.h"

/* 2017-03-12 is the spring-forward Sunday, 2017-11-05 the fall-back Sunday (US rules). */
static void test_tz_new_york_dst(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_feat_tz_t *tz = gf_feat_tz_load("America/New_York", &err);
    assert_non_null(tz);
    gf_feat_civil_t c;
    /* 2017-03-12T06:59:59Z = 01:59:59 EST; 07:00Z = 03:00 EDT */
    gf_feat_tz_civil(tz, 1489301999, &c);
    assert_int_equal(c.hour, 1);
    assert_int_equal(c.isdst, 0);
    assert_int_equal(c.utcoff, -5 * 3600);
    gf_feat_tz_civil(tz, 1489302000, &c);
    assert_int_equal(c.hour, 3);
    assert_int_equal(c.isdst, 1);
    assert_int_equal(c.utcoff, -4 * 3600);
    assert_int_equal(c.day, 12);
    assert_int_equal(c.wday, 6); /* Sunday */
    /* fall back: 2017-11-05T05:00Z = 01:00 EDT, 06:00Z = 01:00 EST */
    gf_feat_tz_civil(tz, 1509858000, &c);
    assert_int_equal(c.hour, 1);
    assert_int_equal(c.isdst, 1);
    gf_feat_tz_civil(tz, 1509861600, &c);
    assert_int_equal(c.hour, 1);
    assert_int_equal(c.isdst, 0);
    /* 2016-01-01T04:59Z is still Dec 31 2015 locally, yday 365 */
    gf_feat_tz_civil(tz, 1451624340, &c);
    assert_int_equal(c.year, 2015);
    assert_int_equal(c.month, 12);
    assert_int_equal(c.day, 31);
    assert_int_equal(c.yday, 365);
    assert_int_equal(c.hour, 23);
    assert_int_equal(c.minute, 59);
    gf_feat_tz_free(tz);
}

static void test_tz_phoenix_no_dst(void **state)
{
    (void)state;
    gf_feat_tz_t *tz = gf_feat_tz_load("America/Phoenix", NULL);
    assert_non_null(tz);
    int isdst = -1;
    assert_int_equal(gf_feat_tz_offset(tz, 1500000000, &isdst), -7 * 3600); /* July 2017 */
    assert_int_equal(isdst, 0);
    assert_int_equal(gf_feat_tz_offset(tz, 1484000000, &isdst), -7 * 3600); /* Jan 2017 */
    gf_feat_tz_free(tz);
}

/* Far future instants (after the table) use the footer rule: 2050-07-01 is EDT/PDT. */
static void test_tz_footer_rule(void **state)
{
    (void)state;
    gf_feat_tz_t *ny = gf_feat_tz_load("America/New_York", NULL);
    gf_feat_tz_t *la = gf_feat_tz_load("America/Los_Angeles", NULL);
    gf_feat_tz_t *chi = gf_feat_tz_load("America/Chicago", NULL);
    assert_non_null(ny);
    assert_non_null(la);
    assert_non_null(chi);
    int isdst;
    int64_t jul2050 = 2539900800; /* 2050-06-27T00:00Z */
    int64_t jan2050 = 2524608000; /* 2050-01-01T00:00Z */
    assert_int_equal(gf_feat_tz_offset(ny, jul2050, &isdst), -4 * 3600);
    assert_int_equal(isdst, 1);
    assert_int_equal(gf_feat_tz_offset(ny, jan2050, &isdst), -5 * 3600);
    assert_int_equal(gf_feat_tz_offset(la, jul2050, &isdst), -7 * 3600);
    assert_int_equal(gf_feat_tz_offset(chi, jan2050, &isdst), -6 * 3600);
    /* 2040-03-11 is the second Sunday of March 2040: 07:00Z switch in New York */
    int64_t sw = 2215062000; /* 2040-03-11T07:00:00Z */
    assert_int_equal(gf_feat_tz_offset(ny, sw - 1, &isdst), -5 * 3600);
    assert_int_equal(gf_feat_tz_offset(ny, sw, &isdst), -4 * 3600);
    gf_feat_tz_free(ny);
    gf_feat_tz_free(la);
    gf_feat_tz_free(chi);
}

static void test_tz_bad_names_and_bytes(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_null(gf_feat_tz_load("../etc/passwd", &err));
    assert_string_equal(err.code, "unknown_time_zone");
    assert_null(gf_feat_tz_load("Mars/Olympus_Mons", &err));
    assert_string_equal(err.code, "unknown_time_zone");
    assert_null(gf_feat_tz_load("", &err));
    const unsigned char junk[] = "TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
    assert_null(gf_feat_tz_parse("x", junk, sizeof junk, &err));
    assert_string_equal(err.code, "bad_tzif");
    assert_null(gf_feat_tz_parse("x", junk, 3, &err));
    gf_err_cleanup(&err);
}

static void test_tz_days_roundtrip(void **state)
{
    (void)state;
    for (int64_t d = -800000; d < 800000; d += 997) {
        int y, m, dd;
        gf_feat_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(gf_feat_days_from_civil(y, m, dd), d);
    }
    assert_int_equal(gf_feat_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(gf_feat_days_from_civil(2000, 3, 1), 11017);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tz_new_york_dst),   cmocka_unit_test(test_tz_phoenix_no_dst),
        cmocka_unit_test(test_tz_footer_rule),    cmocka_unit_test(test_tz_bad_names_and_bytes),
        cmocka_unit_test(test_tz_days_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
