/*
 * test_holiday.c - US federal holidays by rule: calendar dates, observed days, bridge days.
 * Expected dates are from the OPM federal holiday tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "features/holiday.h"

static void expect_date(int year, gf_feat_holiday_t h, int observed, int em, int ed, int ey)
{
    int y = 0, m = 0, d = 0;
    assert_int_equal(gf_feat_us_holiday_date(year, h, observed, &y, &m, &d), 0);
    assert_int_equal(y, ey);
    assert_int_equal(m, em);
    assert_int_equal(d, ed);
}

static void test_holiday_thanksgiving(void **state)
{
    (void)state;
    expect_date(2015, GF_FEAT_HOL_THANKSGIVING, 1, 11, 26, 2015);
    expect_date(2016, GF_FEAT_HOL_THANKSGIVING, 1, 11, 24, 2016);
    expect_date(2017, GF_FEAT_HOL_THANKSGIVING, 1, 11, 23, 2017);
    expect_date(2018, GF_FEAT_HOL_THANKSGIVING, 1, 11, 22, 2018);
    assert_int_equal(gf_feat_us_holiday_observed(2017, 11, 23), GF_FEAT_HOL_THANKSGIVING);
}

static void test_holiday_floating(void **state)
{
    (void)state;
    expect_date(2016, GF_FEAT_HOL_MLK, 1, 1, 18, 2016);
    expect_date(2017, GF_FEAT_HOL_PRESIDENTS, 1, 2, 20, 2017);
    expect_date(2016, GF_FEAT_HOL_MEMORIAL, 1, 5, 30, 2016);
    expect_date(2018, GF_FEAT_HOL_MEMORIAL, 1, 5, 28, 2018);
    expect_date(2015, GF_FEAT_HOL_LABOR, 1, 9, 7, 2015);
    expect_date(2017, GF_FEAT_HOL_COLUMBUS, 1, 10, 9, 2017);
}

static void test_holiday_observed(void **state)
{
    (void)state;
    /* July 4 2015 was a Saturday: observed Friday July 3. */
    expect_date(2015, GF_FEAT_HOL_INDEPENDENCE, 1, 7, 3, 2015);
    assert_int_equal(gf_feat_us_holiday_observed(2015, 7, 3), GF_FEAT_HOL_INDEPENDENCE);
    assert_int_equal(gf_feat_us_holiday_actual(2015, 7, 4), GF_FEAT_HOL_INDEPENDENCE);
    assert_true(gf_feat_us_is_holiday(2015, 7, 3));
    assert_true(gf_feat_us_is_holiday(2015, 7, 4));
    /* Christmas 2016 was a Sunday: observed Monday Dec 26. */
    expect_date(2016, GF_FEAT_HOL_CHRISTMAS, 1, 12, 26, 2016);
    /* New Year 2017 was a Sunday: observed Monday Jan 2. */
    expect_date(2017, GF_FEAT_HOL_NEW_YEAR, 1, 1, 2, 2017);
    /* New Year 2022 was a Saturday: observed Friday Dec 31 2021. */
    expect_date(2022, GF_FEAT_HOL_NEW_YEAR, 1, 12, 31, 2021);
    assert_int_equal(gf_feat_us_holiday_observed(2021, 12, 31), GF_FEAT_HOL_NEW_YEAR);
    /* Veterans Day 2017 was a Saturday: observed Friday Nov 10. */
    expect_date(2017, GF_FEAT_HOL_VETERANS, 1, 11, 10, 2017);
    assert_int_equal(gf_feat_us_holiday_observed(2017, 11, 10), GF_FEAT_HOL_VETERANS);
    /* an ordinary day */
    assert_int_equal(gf_feat_us_holiday_observed(2017, 3, 15), GF_FEAT_HOL_NONE);
    assert_false(gf_feat_us_is_holiday(2017, 3, 15));
}

static void test_holiday_juneteenth(void **state)
{
    (void)state;
    int y, m, d;
    assert_int_equal(gf_feat_us_holiday_date(2020, GF_FEAT_HOL_JUNETEENTH, 0, &y, &m, &d), -1);
    assert_false(gf_feat_us_is_holiday(2020, 6, 19));
    /* 2021-06-19 was a Saturday: observed Friday June 18. */
    expect_date(2021, GF_FEAT_HOL_JUNETEENTH, 1, 6, 18, 2021);
    expect_date(2022, GF_FEAT_HOL_JUNETEENTH, 1, 6, 20, 2022);
}

static void test_holiday_bridge(void **state)
{
    (void)state;
    /* Friday after Thanksgiving */
    assert_true(gf_feat_us_is_bridge(2017, 11, 24));
    assert_true(gf_feat_us_is_bridge(2015, 11, 27));
    /* July 4 2017 was a Tuesday: Monday July 3 is a bridge day. */
    assert_true(gf_feat_us_is_bridge(2017, 7, 3));
    /* Christmas 2018 was a Tuesday: Monday Dec 24 bridges. */
    assert_true(gf_feat_us_is_bridge(2018, 12, 24));
    /* a holiday is not a bridge; neither is an ordinary Friday */
    assert_false(gf_feat_us_is_bridge(2017, 7, 4));
    assert_false(gf_feat_us_is_bridge(2017, 3, 17));
    assert_string_equal(gf_feat_holiday_name(GF_FEAT_HOL_THANKSGIVING), "thanksgiving");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holiday_thanksgiving), cmocka_unit_test(test_holiday_floating),
        cmocka_unit_test(test_holiday_observed),     cmocka_unit_test(test_holiday_juneteenth),
        cmocka_unit_test(test_holiday_bridge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
