/* Unit tests for libs/core/src/cfg.c: the configuration table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"

static const gf_cfg_opt_t base[] = {
    {"GFT_PORT", GF_CFG_INT, "8103", 0, 65535, "port"},
    {"GFT_NAME", GF_CFG_STR, "x", 0, -1, "name"},
    {"GFT_RATIO", GF_CFG_DOUBLE, "0.5", 0, 1, "ratio"},
    {"GFT_FLAG", GF_CFG_BOOL, "false", 0, -1, "flag"},
    {"GFT_API_KEY", GF_CFG_STR, "", 0, -1, "secret"},
    {NULL, 0, NULL, 0, 0, NULL},
};
static const gf_cfg_opt_t override[] = {
    {"GFT_PORT", GF_CFG_INT, "9000", 1, 65535, "port"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static void test_cfg_defaults_and_override(void **state)
{
    (void)state;
    const gf_cfg_opt_t *tables[] = {base, override, NULL};
    gf_cfg_t c;
    gf_err_t e = {0};
    unsetenv("GFT_PORT");
    setenv("GFT_FLAG", "yes", 1);
    setenv("GFT_API_KEY", "s3cret", 1);
    assert_int_equal(gf_cfg_load(&c, tables, &e), 0);
    assert_int_equal(gf_cfg_int(&c, "GFT_PORT"), 9000);
    assert_string_equal(gf_cfg_str(&c, "GFT_NAME"), "x");
    assert_true(gf_cfg_double(&c, "GFT_RATIO") == 0.5);
    assert_true(gf_cfg_bool(&c, "GFT_FLAG"));
    json_t *j = gf_cfg_to_json(&c);
    assert_string_equal(json_string_value(json_object_get(j, "GFT_API_KEY")), "***");
    json_decref(j);
    gf_cfg_cleanup(&c);
    unsetenv("GFT_FLAG");
    unsetenv("GFT_API_KEY");
}

static void test_cfg_bad_values_name_the_variable(void **state)
{
    (void)state;
    const gf_cfg_opt_t *tables[] = {base, NULL};
    static const struct {
        const char *name, *value;
    } bad[] = {
        {"GFT_PORT", "abc"},  {"GFT_PORT", "70000"}, {"GFT_PORT", "-1"},    {"GFT_PORT", "12x"},
        {"GFT_RATIO", "1.5"}, {"GFT_RATIO", "nan"},  {"GFT_FLAG", "maybe"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gf_cfg_t c;
        gf_err_t e = {0};
        setenv(bad[i].name, bad[i].value, 1);
        assert_int_equal(gf_cfg_load(&c, tables, &e), GF_EINVAL);
        assert_non_null(strstr(e.message, bad[i].name));
        assert_string_equal(e.code, "invalid_config");
        gf_err_cleanup(&e);
        unsetenv(bad[i].name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cfg_defaults_and_override),
        cmocka_unit_test(test_cfg_bad_values_name_the_variable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
