/* Unit tests for libs/gateway/src/apikeys.c: the hashed keys file and the route -> scope table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "gateway/apikeys.h"

/* A store line for `key` with the given scopes and name. */
static void line_for(char *buf, size_t n, const char *key, const char *scopes, const char *name)
{
    char hex[GF_GW_KEY_HASH_HEX + 1];
    gf_gw_key_hash(key, hex);
    snprintf(buf, n, "sha256:%s %s %s\n", hex, scopes, name);
}

static void test_hash_is_sha256(void **state)
{
    (void)state;
    char hex[GF_GW_KEY_HASH_HEX + 1];
    gf_gw_key_hash("abc", hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_parse_and_find(void **state)
{
    (void)state;
    char text[1024], l1[200], l2[200];
    line_for(l1, sizeof l1, "meter-key-0123456789", "ingest", "meter-1");
    line_for(l2, sizeof l2, "operator-key-0123456789", "read,operate", "ops");
    snprintf(text, sizeof text, "# comment\n\n%s  \t\r\n%s", l1, l2);
    gf_err_t err = {0};
    gf_gw_keys_t *k = gf_gw_keys_parse(text, strlen(text), &err);
    assert_non_null(k);
    assert_int_equal(gf_gw_keys_count(k), 2);
    unsigned scopes = 0;
    const char *name = NULL;
    assert_true(gf_gw_keys_find(k, "meter-key-0123456789", &scopes, &name));
    assert_int_equal(scopes, GF_GW_SCOPE_INGEST);
    assert_string_equal(name, "meter-1");
    assert_true(gf_gw_keys_find(k, "operator-key-0123456789", &scopes, &name));
    assert_int_equal(scopes, GF_GW_SCOPE_READ | GF_GW_SCOPE_OPERATE);
    assert_false(gf_gw_keys_find(k, "meter-key-012345678", &scopes, &name));
    assert_false(gf_gw_keys_find(k, "", &scopes, &name));
    /* The hash is what is stored, never the key. */
    assert_null(strstr(text, "meter-key-0123456789"));
    gf_gw_keys_free(k);
}

static void expect_bad(const char *text, const char *why_part)
{
    gf_err_t err = {0};
    gf_gw_keys_t *k = gf_gw_keys_parse(text, strlen(text), &err);
    assert_null(k);
    assert_int_equal(err.rc, GF_EINVAL);
    assert_string_equal(err.code, "bad_keys_file");
    assert_non_null(strstr(err.message, why_part));
    gf_err_cleanup(&err);
}

static void test_bad_lines_name_their_number(void **state)
{
    (void)state;
    char good[200], text[600];
    line_for(good, sizeof good, "k-0123456789abcdef", "admin", "a");
    snprintf(text, sizeof text, "%ssha256:xyz admin b\n", good);
    expect_bad(text, "line 2");
    snprintf(text, sizeof text, "%s%.71s root b\n", good, good);
    expect_bad(text, "unknown scope");
    snprintf(text, sizeof text, "%.71s ingest,,read b\n", good);
    expect_bad(text, "line 1");
    snprintf(text, sizeof text, "%.71s ingest,\n", good);
    expect_bad(text, "scope");
    snprintf(text, sizeof text, "%.71s admin\n", good);
    expect_bad(text, "no name");
    snprintf(text, sizeof text, "%.71s admin a b\n", good);
    expect_bad(text, "extra fields");
    snprintf(text, sizeof text, "%.71s admin a/b\n", good);
    expect_bad(text, "name");
    snprintf(text, sizeof text, "%s%s", good, good);
    expect_bad(text, "same key twice");
    /* Upper-case hex is not the form keys.sh writes: refused, not silently never matching. */
    char upper[200];
    snprintf(upper, sizeof upper, "%s", good);
    for (char *p = upper + 7; p < upper + 71; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    expect_bad(upper, "hex");
}

static void test_required_scopes(void **state)
{
    (void)state;
    assert_int_equal(gf_gw_keys_required_scope("POST", "/api/ingestion/readings"),
                     GF_GW_SCOPE_INGEST);
    assert_int_equal(gf_gw_keys_required_scope("POST", "/api/ingestion/demand/flags?x=1"),
                     GF_GW_SCOPE_INGEST);
    assert_int_equal(gf_gw_keys_required_scope("POST", "/api/ingestion/temperature/forecasts"),
                     GF_GW_SCOPE_INGEST);
    assert_int_equal(gf_gw_keys_required_scope("POST", "/api/trainer/jobs"), GF_GW_SCOPE_OPERATE);
    assert_int_equal(gf_gw_keys_required_scope("POST", "/api/trainer/models/demand-PJM/aliases"),
                     GF_GW_SCOPE_OPERATE);
    assert_int_equal(gf_gw_keys_required_scope("POST", "/api/simulation/opf"), GF_GW_SCOPE_OPERATE);
    assert_int_equal(gf_gw_keys_required_scope("PUT", "/api/trainer/schedule/PJM"),
                     GF_GW_SCOPE_OPERATE);
    assert_int_equal(gf_gw_keys_required_scope("GET", "/api/trainer/schedule"), GF_GW_SCOPE_READ);
    assert_int_equal(gf_gw_keys_required_scope("POST", "/api/forecast/predict"), GF_GW_SCOPE_READ);
    assert_int_equal(gf_gw_keys_required_scope("POST", "/api/compliance/ask"), GF_GW_SCOPE_READ);
    assert_int_equal(gf_gw_keys_required_scope("GET", "/api/trainer/jobs"), GF_GW_SCOPE_READ);
    assert_int_equal(gf_gw_keys_required_scope("HEAD", "/anything"), GF_GW_SCOPE_READ);
    /* Deny by default: unknown routes, other methods, encoded or odd paths need admin. */
    assert_int_equal(gf_gw_keys_required_scope("DELETE", "/api/trainer/jobs"), GF_GW_SCOPE_ADMIN);
    assert_int_equal(gf_gw_keys_required_scope("POST", "/api/trainer/%6Aobs"), GF_GW_SCOPE_ADMIN);
    assert_int_equal(gf_gw_keys_required_scope("POST", "/api/trainer//jobs"), GF_GW_SCOPE_ADMIN);
    assert_int_equal(gf_gw_keys_required_scope("POST", "/api/trainer/models//aliases"),
                     GF_GW_SCOPE_ADMIN);
    assert_int_equal(gf_gw_keys_required_scope("POST", ""), GF_GW_SCOPE_ADMIN);
    assert_int_equal(gf_gw_keys_required_scope("PUT", "/api/ingestion/readings"),
                     GF_GW_SCOPE_ADMIN);
}

static void test_allows_and_names(void **state)
{
    (void)state;
    assert_true(gf_gw_keys_allows(GF_GW_SCOPE_ADMIN, GF_GW_SCOPE_OPERATE));
    assert_true(gf_gw_keys_allows(GF_GW_SCOPE_INGEST | GF_GW_SCOPE_READ, GF_GW_SCOPE_READ));
    assert_false(gf_gw_keys_allows(GF_GW_SCOPE_INGEST, GF_GW_SCOPE_OPERATE));
    assert_false(gf_gw_keys_allows(GF_GW_SCOPE_OPERATE | GF_GW_SCOPE_READ | GF_GW_SCOPE_INGEST,
                                   GF_GW_SCOPE_ADMIN));
    assert_int_equal(gf_gw_scope_parse("operate", 7), GF_GW_SCOPE_OPERATE);
    assert_int_equal(gf_gw_scope_parse("operator", 8), 0);
    assert_string_equal(gf_gw_scope_name(GF_GW_SCOPE_INGEST), "ingest");
    assert_string_equal(gf_gw_scope_name(GF_GW_SCOPE_ADMIN), "admin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_is_sha256),
        cmocka_unit_test(test_parse_and_find),
        cmocka_unit_test(test_bad_lines_name_their_number),
        cmocka_unit_test(test_required_scopes),
        cmocka_unit_test(test_allows_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
