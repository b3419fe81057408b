/*
 * test_ing_time.c - ing_time.h helpers the HTTP layer relies on: the utc_offset query parser
 * (POST /v1/demand?utc_offset=...) and local wall time to UTC through it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ing_time.h"

static void test_time_parse_offset_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        int32_t out;
    } cases[] = {
        {"Z", 0, 0},          {"z", 0, 0},          {"+00:00", 0, 0},     {"-05:00", 0, -18000},
        {"+05:30", 0, 19800}, {"+14:00", 0, 50400}, {"-00:30", 0, -1800}, {"+18:00", 0, 64800},
        {"+19:00", -1, 0},    {"05:00", -1, 0},     {"+5:00", -1, 0},     {"+05:60", -1, 0},
        {"+0500", -1, 0},     {"-05:00x", -1, 0},   {"", -1, 0},          {"+a5:00", -1, 0},
        {"UTC", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t out = 12345;
        int rc = ing_tz_parse_offset(cases[i].in, &out);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_int_equal(out, cases[i].out);
    }
}

static void test_time_fixed_offset_to_utc(void **state)
{
    (void)state;
    int32_t off;
    assert_int_equal(ing_tz_parse_offset("-05:00", &off), 0);
    ing_tz_t tz;
    ing_tz_init_fixed(&tz, off);
    int64_t local, utc;
    int has_zone = 1;
    assert_int_equal(ing_time_parse_local("2016-07-02T01", 13, &local, &has_zone), 0);
    assert_int_equal(has_zone, 0);
    assert_int_equal(ing_tz_local_to_utc(&tz, local, &utc), 0);
    assert_int_equal(utc - local, 5 * 3600);
    ing_tz_cleanup(&tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_parse_offset_table),
        cmocka_unit_test(test_time_fixed_offset_to_utc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
