/* test_meta.c - table-driven tests of gf_reg_alias_req_parse (the promotion/rollback body). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry/meta.h"

static void test_meta_alias_req_table(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int rc;
        const char *code;
    } t[] = {
        {"{\"alias\":\"production\",\"version\":3,\"who\":\"alice\",\"reason\":\"better\"}", 0, ""},
        {"{\"alias\":\"production\",\"rollback\":true,\"who\":\"alice\"}", 0, ""},
        {"{\"alias\":\"staging\",\"version\":1,\"who\":\"ci\",\"expect\":0,\"force\":true}", 0, ""},
        {"", GF_EINVAL, "invalid_json"},
        {"{", GF_EINVAL, "invalid_json"},
        {"[1]", GF_EINVAL, "not_an_object"},
        {"{\"alias\":\"p\",\"alias\":\"q\",\"version\":1,\"who\":\"a\"}", GF_EINVAL,
         "invalid_json"},
        {"{\"version\":1,\"who\":\"a\"}", GF_EINVAL, "missing_field"},
        {"{\"alias\":\"p\",\"version\":1}", GF_EINVAL, "missing_field"},
        {"{\"alias\":\"p\",\"who\":\"a\"}", GF_EINVAL, "missing_field"},
        {"{\"alias\":\"p\",\"who\":\"a\",\"rollback\":false}", GF_EINVAL, "missing_field"},
        {"{\"alias\":\"Prod\",\"version\":1,\"who\":\"a\"}", GF_EINVAL, "bad_alias"},
        {"{\"alias\":3,\"version\":1,\"who\":\"a\"}", GF_EINVAL, "bad_alias"},
        {"{\"alias\":\"p\",\"version\":0,\"who\":\"a\"}", GF_EINVAL, "bad_version"},
        {"{\"alias\":\"p\",\"version\":1.5,\"who\":\"a\"}", GF_EINVAL, "bad_version"},
        {"{\"alias\":\"p\",\"version\":\"3\",\"who\":\"a\"}", GF_EINVAL, "bad_version"},
        {"{\"alias\":\"p\",\"version\":-2,\"who\":\"a\"}", GF_EINVAL, "bad_version"},
        {"{\"alias\":\"p\",\"version\":1,\"who\":\"\"}", GF_EINVAL, "bad_who"},
        {"{\"alias\":\"p\",\"version\":1,\"who\":\"a\\nb\"}", GF_EINVAL, "bad_who"},
        {"{\"alias\":\"p\",\"version\":1,\"who\":\"a\",\"reason\":7}", GF_EINVAL, "bad_reason"},
        {"{\"alias\":\"p\",\"version\":1,\"who\":\"a\",\"reason\":\"x\\u0001\"}", GF_EINVAL,
         "bad_reason"},
        {"{\"alias\":\"p\",\"version\":1,\"who\":\"a\",\"expect\":-1}", GF_EINVAL, "bad_expect"},
        {"{\"alias\":\"p\",\"version\":1,\"who\":\"a\",\"force\":1}", GF_EINVAL, "bad_flag"},
        {"{\"alias\":\"p\",\"version\":1,\"who\":\"a\",\"rollback\":true}", GF_EINVAL,
         "version_and_rollback"},
        {"{\"alias\":\"p\",\"version\":1,\"who\":\"a\",\"extra\":1}", GF_EINVAL, "unknown_field"},
        {"{\"alias\":\"p\",\"version\":99999999999999999999,\"who\":\"a\"}", GF_EINVAL,
         "invalid_json"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        gf_reg_alias_req_t req;
        gf_err_t err = {0};
        int rc = gf_reg_alias_req_parse(t[i].body, strlen(t[i].body), &req, &err);
        if (rc != t[i].rc || strcmp(err.code, t[i].code) != 0)
            fail_msg("case %zu (%s): rc %d code '%s' (%s)", i, t[i].body, rc, err.code,
                     err.message);
        gf_err_cleanup(&err);
    }
}

static void test_meta_alias_req_values(void **state)
{
    (void)state;
    gf_reg_alias_req_t req;
    gf_err_t err = {0};
    const char *b = "{\"alias\":\"production\",\"version\":3,\"who\":\"alice\",\"reason\":\"mape "
                    "3.1%\",\"expect\":2}";
    assert_int_equal(gf_reg_alias_req_parse(b, strlen(b), &req, &err), 0);
    assert_string_equal(req.alias, "production");
    assert_int_equal(req.version, 3);
    assert_int_equal(req.rollback, 0);
    assert_int_equal(req.expect_from, 2);
    assert_int_equal(req.force, 0);
    assert_string_equal(req.who, "alice");
    assert_string_equal(req.reason, "mape 3.1%");
    /* not NUL-terminated input: only len bytes are read */
    char buf[64];
    const char *r = "{\"alias\":\"p\",\"rollback\":true,\"who\":\"z\"}";
    size_t n = strlen(r);
    memcpy(buf, r, n);
    memset(buf + n, '}', sizeof buf - n);
    assert_int_equal(gf_reg_alias_req_parse(buf, n, &req, &err), 0);
    assert_int_equal(req.rollback, 1);
    assert_int_equal(req.expect_from, -1);
    assert_string_equal(req.reason, "");
    /* the error names the field */
    const char *bad = "{\"alias\":\"p\",\"version\":0,\"who\":\"a\"}";
    assert_int_equal(gf_reg_alias_req_parse(bad, strlen(bad), &req, &err), GF_EINVAL);
    assert_non_null(err.details);
    assert_string_equal(json_string_value(json_object_get(json_array_get(err.details, 0), "field")),
                        "version");
    gf_err_cleanup(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_alias_req_table),
        cmocka_unit_test(test_meta_alias_req_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
