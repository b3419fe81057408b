/*
 * test_spec.c - feature specs: JSON round trip, stable hash, strict parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "features/features.h"

static void test_spec_roundtrip(void **state)
{
    (void)state;
    gf_err_t err = {0};
    gf_feat_spec_t *a = gf_feat_spec_new_default("America/New_York", 1, &err);
    assert_non_null(a);
    char *text = gf_feat_spec_dumps(a);
    assert_non_null(text);
    gf_feat_spec_t *b = gf_feat_spec_loads(text, strlen(text), &err);
    assert_non_null(b);
    assert_int_equal(gf_feat_spec_ncols(a), gf_feat_spec_ncols(b));
    for (size_t i = 0; i < gf_feat_spec_ncols(a); i++)
        assert_string_equal(gf_feat_spec_name(a, i), gf_feat_spec_name(b, i));
    assert_string_equal(gf_feat_spec_hash(a), gf_feat_spec_hash(b));
    assert_int_equal(strlen(gf_feat_spec_hash(a)), 16);
    char *text2 = gf_feat_spec_dumps(b);
    assert_string_equal(text, text2);
    assert_true(gf_feat_spec_uses_temp(b));
    assert_string_equal(gf_feat_spec_tz(b), "America/New_York");
    assert_true(gf_feat_spec_find(b, "lag_168") >= 0);
    assert_int_equal(gf_feat_spec_find(b, "nope"), -1);
    assert_int_equal(gf_feat_spec_lookback(b, 24), 672);
    free(text);
    free(text2);
    gf_feat_spec_free(a);
    gf_feat_spec_free(b);
}

static void test_spec_hash_differs(void **state)
{
    (void)state;
    gf_feat_spec_t *a = gf_feat_spec_new_default("America/New_York", 0, NULL);
    gf_feat_spec_t *b = gf_feat_spec_new_default("America/Chicago", 0, NULL);
    gf_feat_spec_t *c = gf_feat_spec_new_default("America/New_York", 1, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_string_not_equal(gf_feat_spec_hash(a), gf_feat_spec_hash(b));
    assert_string_not_equal(gf_feat_spec_hash(a), gf_feat_spec_hash(c));
    assert_false(gf_feat_spec_uses_temp(a));
    gf_feat_spec_free(a);
    gf_feat_spec_free(b);
    gf_feat_spec_free(c);
}

/* Explicit spec: hash is a pure function of content, so this value must never change. */
static void test_spec_hash_stable(void **state)
{
    (void)state;
    const char *names[] = {"horizon", "hour", "lag_24", "hdh_lag_24", "hdh_24"};
    gf_err_t err = {0};
    gf_feat_spec_t *s = gf_feat_spec_new("UTC", "US", "none", 18.0, 22.0, names, 5, &err);
    assert_non_null(s);
    char *text = gf_feat_spec_dumps(s);
    assert_string_equal(text, "{\"cool_base_c\":22.0,\"country\":\"US\",\"features\":[\"horizon\","
                              "\"hour\",\"lag_24\",\"hdh_lag_24\",\"hdh_24\"],\"heat_base_c\":18.0,"
                              "\"normalize\":\"none\",\"tz\":\"UTC\",\"version\":1}");
    gf_feat_spec_t *s2 = gf_feat_spec_new("UTC", "US", "none", 18.0, 22.0, names, 5, &err);
    assert_string_equal(gf_feat_spec_hash(s), gf_feat_spec_hash(s2));
    free(text);
    gf_feat_spec_free(s);
    gf_feat_spec_free(s2);
}

static void expect_bad(const char *json, const char *code)
{
    gf_err_t err = {0};
    gf_feat_spec_t *s = gf_feat_spec_loads(json, strlen(json), &err);
    assert_null(s);
    assert_string_equal(err.code, code);
    gf_err_cleanup(&err);
}

static void test_spec_parse_errors(void **state)
{
    (void)state;
    expect_bad("not json", "bad_feature_spec");
    expect_bad("[]", "bad_feature_spec");
    expect_bad("{\"version\":2,\"tz\":\"UTC\",\"features\":[\"hour\"]}",
               "unsupported_spec_version");
    expect_bad("{\"version\":1,\"tz\":\"UTC\",\"features\":[]}", "bad_feature_spec");
    expect_bad("{\"version\":1,\"tz\":\"UTC\",\"features\":[\"lag_0\"]}", "bad_feature_spec");
    expect_bad("{\"version\":1,\"tz\":\"UTC\",\"features\":[\"lag_024\"]}", "bad_feature_spec");
    expect_bad("{\"version\":1,\"tz\":\"UTC\",\"features\":[\"lag_99999\"]}", "bad_feature_spec");
    expect_bad("{\"version\":1,\"tz\":\"UTC\",\"features\":[\"hour\",\"hour\"]}",
               "bad_feature_spec");
    expect_bad("{\"version\":1,\"tz\":\"UTC\",\"features\":[\"wind\"]}", "bad_feature_spec");
    expect_bad("{\"version\":1,\"tz\":\"UTC\",\"features\":[\"hour\"],\"extra\":1}",
               "bad_feature_spec");
    expect_bad("{\"version\":1,\"tz\":\"Nowhere/Land\",\"features\":[\"hour\"]}",
               "unknown_time_zone");
    expect_bad("{\"version\":1,\"tz\":\"UTC\",\"country\":\"FR\",\"features\":[\"hour\"]}",
               "bad_feature_spec");
    expect_bad("{\"version\":1,\"tz\":\"UTC\",\"normalize\":\"log\",\"features\":[\"hour\"]}",
               "bad_feature_spec");
    expect_bad("{\"version\":1,\"tz\":\"UTC\",\"features\":[\"hour\"],\"tz\":\"UTC\"}",
               "bad_feature_spec");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_roundtrip),
        cmocka_unit_test(test_spec_hash_differs),
        cmocka_unit_test(test_spec_hash_stable),
        cmocka_unit_test(test_spec_parse_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
