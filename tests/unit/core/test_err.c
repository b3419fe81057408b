/* Unit tests for libs/core/src/err.c: status table and the JSON error body. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

static void test_err_status_table(void **state)
{
    (void)state;
    assert_int_equal(gf_err_http_status(GF_EINVAL), 400);
    assert_int_equal(gf_err_http_status(GF_EUNAUTH), 401);
    assert_int_equal(gf_err_http_status(GF_ENOTFOUND), 404);
    assert_int_equal(gf_err_http_status(GF_EMETHOD), 405);
    assert_int_equal(gf_err_http_status(GF_ECONFLICT), 409);
    assert_int_equal(gf_err_http_status(GF_ETOOBIG), 413);
    assert_int_equal(gf_err_http_status(GF_EMEDIATYPE), 415);
    assert_int_equal(gf_err_http_status(GF_EUNPROCESSABLE), 422);
    assert_int_equal(gf_err_http_status(GF_ERATE), 429);
    assert_int_equal(gf_err_http_status(GF_EUNAVAIL), 503);
    assert_int_equal(gf_err_http_status(GF_ETIMEOUT), 504);
    assert_int_equal(gf_err_http_status(GF_EINTERNAL), 500);
    assert_int_equal(gf_err_http_status(-999), 500);
}

static void test_err_body_shape(void **state)
{
    (void)state;
    gf_err_t e = {0};
    assert_int_equal(gf_err_set(&e, GF_ENOTFOUND, "unknown_region", "region '%s' is not known",
                                "XX"),
                     GF_ENOTFOUND);
    gf_err_add_field(&e, "region", "not in the catalog");
    json_t *j = gf_err_to_json(&e);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "{\"error\":{\"code\":\"unknown_region\",\"details\":[{\"field\":"
                           "\"region\",\"reason\":\"not in the catalog\"}],\"message\":"
                           "\"region 'XX' is not known\"}}");
    free(s);
    json_decref(j);
    /* Setting again replaces details. */
    gf_err_set(&e, GF_EINVAL, NULL, "plain");
    j = gf_err_to_json(&e);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                        "invalid_argument");
    assert_int_equal(json_array_size(json_object_get(json_object_get(j, "error"), "details")), 0);
    json_decref(j);
    gf_err_cleanup(&e);
    assert_int_equal(e.rc, 0);
}

static void test_err_invalid_utf8_message_still_json(void **state)
{
    (void)state;
    gf_err_t e = {0};
    gf_err_set(&e, GF_EINVAL, "bad", "value \xff\xfe");
    json_t *j = gf_err_to_json(&e);
    assert_non_null(json_object_get(json_object_get(j, "error"), "message"));
    json_decref(j);
    gf_err_cleanup(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_status_table),
        cmocka_unit_test(test_err_body_shape),
        cmocka_unit_test(test_err_invalid_utf8_message_still_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
