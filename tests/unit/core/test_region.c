/* Unit tests for libs/core/src/region.c: the one region-code check. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/region.h"

static void test_region_valid_codes(void **state)
{
    (void)state;
    assert_true(gf_region_valid("PJM"));
    assert_true(gf_region_valid("a"));
    assert_true(gf_region_valid("ERCO_north-2"));
    assert_true(gf_region_valid("ABCDEFGHIJKLMNOP")); /* GF_REGION_MAX = 16 */
    assert_int_equal(GF_REGION_MAX, 16);
}

static void test_region_refused_codes(void **state)
{
    (void)state;
    assert_false(gf_region_valid(NULL));
    assert_false(gf_region_valid(""));
    assert_false(gf_region_valid("ABCDEFGHIJKLMNOPQ"));               /* 17 */
    assert_false(gf_region_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZ01234")); /* 31: no service takes it */
    assert_false(gf_region_valid("P{J"));
    assert_false(gf_region_valid("PJM}"));
    assert_false(gf_region_valid("PJ M"));
    assert_false(gf_region_valid("PJ:M"));
    assert_false(gf_region_valid("PJ.M"));
    assert_false(gf_region_valid("Z\xc3\xbcrich"));
}

static void test_region_length_given(void **state)
{
    (void)state;
    const char buf[] = "PJM,MISO";
    assert_true(gf_region_valid_n(buf, 3));
    assert_false(gf_region_valid_n(buf, 4)); /* the comma */
    assert_true(gf_region_valid_n(buf + 4, 4));
    assert_false(gf_region_valid_n(buf, 0));
    assert_false(gf_region_valid_n(NULL, 3));
    assert_false(gf_region_valid_n("PJ\0M", 4)); /* a NUL inside is not a code */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_valid_codes),
        cmocka_unit_test(test_region_refused_codes),
        cmocka_unit_test(test_region_length_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
