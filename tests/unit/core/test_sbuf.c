/* Unit tests for libs/core/src/sbuf.c: appends, formatting past the free space, take and
 * cleanup. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/sbuf.h"

static void test_sbuf_empty_take_is_empty_string(void **state)
{
    (void)state;
    gf_sbuf_t b = {0};
    char *s = gf_sbuf_take(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    gf_sbuf_cleanup(&b); /* no-op on an empty buffer */
    assert_null(b.s);
    assert_int_equal(b.len, 0);
}

static void test_sbuf_appends_keep_a_c_string(void **state)
{
    (void)state;
    gf_sbuf_t b = {0};
    gf_sbuf_adds(&b, "Article ");
    gf_sbuf_addf(&b, "%d(%s)", 7, "2");
    gf_sbuf_add(&b, " point a", 6); /* a prefix only */
    assert_string_equal(b.s, "Article 7(2) point");
    assert_int_equal(b.len, strlen("Article 7(2) point"));
    gf_sbuf_adds(&b, "");
    gf_sbuf_add(&b, NULL, 0);
    assert_int_equal(b.len, strlen("Article 7(2) point"));
    char *s = gf_sbuf_take(&b);
    assert_string_equal(s, "Article 7(2) point");
    assert_null(b.s);
    assert_int_equal(b.len, 0);
    free(s);
}

static void test_sbuf_addf_longer_than_the_free_space(void **state)
{
    (void)state;
    gf_sbuf_t b = {0};
    gf_sbuf_adds(&b, "x");
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    gf_sbuf_addf(&b, "[%s]", big);
    assert_int_equal(b.len, 1 + 1 + 4999 + 1);
    assert_int_equal(b.s[0], 'x');
    assert_int_equal(b.s[1], '[');
    assert_int_equal(b.s[b.len - 1], ']');
    assert_int_equal(b.s[b.len], '\0');
    gf_sbuf_cleanup(&b);
    assert_null(b.s);
}

static void test_sbuf_many_appends_and_nul_bytes(void **state)
{
    (void)state;
    gf_sbuf_t b = {0};
    for (int i = 0; i < 10000; i++)
        gf_sbuf_addf(&b, "%d,", i % 10);
    assert_int_equal(b.len, 20000);
    assert_memory_equal(b.s + 19990, "5,6,7,8,9,", 10);
    gf_sbuf_add(&b, "a\0b", 3); /* bytes, not a string */
    assert_int_equal(b.len, 20003);
    assert_memory_equal(b.s + 20000, "a\0b", 4);
    gf_sbuf_cleanup(&b);
    /* reusable after cleanup */
    gf_sbuf_adds(&b, "again");
    assert_string_equal(b.s, "again");
    gf_sbuf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sbuf_empty_take_is_empty_string),
        cmocka_unit_test(test_sbuf_appends_keep_a_c_string),
        cmocka_unit_test(test_sbuf_addf_longer_than_the_free_space),
        cmocka_unit_test(test_sbuf_many_appends_and_nul_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
