/* Unit tests for libs/core/src/jscan.c: strings (escapes, surrogates, UTF-8, truncation, the
 * no-NUL option), the one number rule against strtod, literals, skipping with the depth
 * limit, sticky errors with line and column, and gf_utf8_len / gf_utf8_valid. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jscan.h"

/* Scan one string token from text; returns the scanner's result, out/len filled. */
static int scan_str(const char *text, char *out, size_t cap, size_t *len, int no_nul,
                    const char **msg)
{
    gf_jscan_t j;
    gf_jscan_init(&j, text, strlen(text));
    j.no_nul = no_nul;
    int rc = gf_jscan_string(&j, out, cap, len);
    if (msg)
        *msg = j.err_msg;
    return rc;
}

static void test_jscan_string_escapes_and_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
        size_t want_len;
    } ok[] = {
        {"\"plain\"", "plain", 5},
        {"  \"\"", "", 0},
        {"\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "a\"b\\c/d\b\f\n\r\t", 12},
        {"\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6},
        {"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4}, /* surrogate pair */
        {"\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
         "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14},
        {"\"\xf4\x8f\xbf\xbf\"", "\xf4\x8f\xbf\xbf", 4}, /* U+10FFFF */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char out[64];
        size_t n = 99;
        const char *msg;
        if (scan_str(ok[i].in, out, sizeof out, &n, 0, &msg) != 0)
            fail_msg("case %zu (%s): %s", i, ok[i].in, msg);
        assert_int_equal(n, ok[i].want_len);
        assert_memory_equal(out, ok[i].want, n);
        assert_int_equal(out[n], '\0');
    }
    static const struct {
        const char *in, *msg;
    } bad[] = {
        {"\"abc", "unterminated string"},
        {"\"a\\", "unterminated string"},
        {"\"a\tb\"", "control character in string"},
        {"\"\\x\"", "invalid escape in string"},
        {"\"\\u12\"", "invalid \\u escape"},
        {"\"\\u12g4\"", "invalid \\u escape"},
        {"\"\\udc00\"", "lone low surrogate in \\u escape"},
        {"\"\\ud800\"", "high surrogate not followed by a low surrogate"},
        {"\"\\ud800\\u0041\"", "high surrogate not followed by a low surrogate"},
        {"\"\xc3\x28\"", "invalid UTF-8 in string"},         /* bad continuation */
        {"\"\xc0\xaf\"", "invalid UTF-8 in string"},         /* overlong '/' */
        {"\"\xe0\x80\xaf\"", "invalid UTF-8 in string"},     /* overlong, 3 bytes */
        {"\"\xed\xa0\x80\"", "invalid UTF-8 in string"},     /* encoded surrogate */
        {"\"\xf4\x90\x80\x80\"", "invalid UTF-8 in string"}, /* above U+10FFFF */
        {"\"\xff\"", "invalid UTF-8 in string"},
        {"\"\xe2\x82\"", "invalid UTF-8 in string"}, /* cut sequence */
        {"x", "expected a string"},
        {"", "unexpected end of input, expected a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[16];
        size_t n;
        const char *msg;
        if (scan_str(bad[i].in, out, sizeof out, &n, 0, &msg) != -1)
            fail_msg("case %zu (%s) accepted", i, bad[i].in);
        assert_string_equal(msg, bad[i].msg);
    }
}

static void test_jscan_string_truncates_and_reports_full_length(void **state)
{
    (void)state;
    char out[4];
    size_t n;
    assert_int_equal(scan_str("\"abcdef\"", out, sizeof out, &n, 0, NULL), 0);
    assert_int_equal(n, 6);
    assert_string_equal(out, "abc");
    assert_int_equal(scan_str("\"\\u00e9\\u00e9\"", out, sizeof out, &n, 0, NULL), 0);
    assert_int_equal(n, 4);
    assert_int_equal(strlen(out), 3);
    /* validate only */
    assert_int_equal(scan_str("\"abc\\n\"", NULL, 0, &n, 0, NULL), 0);
    assert_int_equal(n, 4);
}

static void test_jscan_string_nul_escape_option(void **state)
{
    (void)state;
    char out[8];
    size_t n;
    const char *msg;
    assert_int_equal(scan_str("\"a\\u0000b\"", out, sizeof out, &n, 0, &msg), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "a\0b", 3);
    assert_int_equal(scan_str("\"a\\u0000b\"", out, sizeof out, &n, 1, &msg), -1);
    assert_string_equal(msg, "\\u0000 is not allowed");
    /* \u0001 is fine with the option */
    assert_int_equal(scan_str("\"a\\u0001b\"", out, sizeof out, &n, 1, &msg), 0);
}

/* The value the scanner gives for text, which must parse as one number. */
static double num(const char *text)
{
    gf_jscan_t j;
    gf_jscan_init(&j, text, strlen(text));
    double v = -12345;
    if (gf_jscan_number(&j, &v) != 0 || j.pos != strlen(text))
        fail_msg("'%s' refused: %s", text, j.err_msg ? j.err_msg : "(not all consumed)");
    return v;
}

static void test_jscan_numbers_equal_strtod(void **state)
{
    (void)state;
    static const char *nums[] = {
        "0",
        "-0",
        "1",
        "-1",
        "0.1",
        "0.30000000000000004",
        "123456789012345",
        "1234567890123456" /* 16 digits: the fast path now */,
        "9007199254740992",
        "9007199254740993" /* 2^53 + 1: strtod */,
        "12345678901234567890",
        "1234567890123456789012",
        "1e10",
        "1E-10",
        "-2.5e+3",
        "3.4028234e38",
        "1.17549435e-38",
        "1e-45",
        "0.000000000000000000000000000001",
        "4.35",
        "2.675",
        "1.0000001192092896",
        "100.00000000000001",
        "1e-22",
        "1e22",
        "1e23",
        "123.456e-5",
        "1.7976931348623157e308",
        "4.9e-324",
        "2.2250738585072014e-308",
        "0.1e1",
        "10e-1",
        "1.5e0",
        "-0.0e0",
        "8.589973e9",
        "7.0e-10",
        "1.00000000000000000000000000001",
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        double got = num(nums[i]), want = strtod(nums[i], NULL);
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("%s: got %.17g want %.17g", nums[i], got, want);
    }
    /* out of range: what strtod gives, the caller decides */
    assert_true(isinf(num("1e999")) && num("1e999") > 0);
    assert_true(isinf(num("-1e400")) && num("-1e400") < 0);
    assert_true(num("1e-999") == 0);
    assert_true(num("1e99999999999") > 0);
}

static void test_jscan_long_number_at_end_of_buffer(void **state)
{
    (void)state;
    /* 400 digits, the buffer ends right after them (not NUL-terminated) */
    char *b = malloc(400);
    memset(b, '1', 400);
    b[1] = '.';
    gf_jscan_t j;
    gf_jscan_init(&j, b, 400);
    double v = 0;
    assert_int_equal(gf_jscan_number(&j, &v), 0);
    assert_true(fabs(v - 1.1111111111111112) < 1e-15);
    free(b);
}

static void test_jscan_number_grammar(void **state)
{
    (void)state;
    static const struct {
        const char *in, *msg;
    } bad[] = {
        {"01", "leading zero in number"},
        {"-01", "leading zero in number"},
        {"1.", "digit expected after decimal point"},
        {"1.e5", "digit expected after decimal point"},
        {"1e", "digit expected in exponent"},
        {"1e+", "digit expected in exponent"},
        {"-", "invalid number"},
        {"-x", "invalid number"},
        {"+1", "expected a number"},
        {".5", "expected a number"},
        {"", "unexpected end of input, expected a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gf_jscan_t j;
        gf_jscan_init(&j, bad[i].in, strlen(bad[i].in));
        double v;
        if (gf_jscan_number(&j, &v) != -1)
            fail_msg("'%s' accepted", bad[i].in);
        assert_string_equal(j.err_msg, bad[i].msg);
    }
}

static void test_jscan_literals(void **state)
{
    (void)state;
    const char *t = "true false null nul";
    gf_jscan_t j;
    gf_jscan_init(&j, t, strlen(t));
    int w = 0;
    assert_int_equal(gf_jscan_literal(&j, &w), 0);
    assert_int_equal(w, 't');
    assert_int_equal(gf_jscan_literal(&j, &w), 0);
    assert_int_equal(w, 'f');
    assert_int_equal(gf_jscan_literal(&j, &w), 0);
    assert_int_equal(w, 'n');
    assert_int_equal(gf_jscan_literal(&j, &w), -1);
    assert_string_equal(j.err_msg, "invalid literal");
}

static int skip_all(const char *text, const char **msg)
{
    gf_jscan_t j;
    gf_jscan_init(&j, text, strlen(text));
    int rc = gf_jscan_skip(&j);
    if (rc == 0 && gf_jscan_peek(&j) >= 0)
        rc = gf_jscan_fail(&j, "trailing");
    *msg = j.err_msg;
    return rc;
}

static void test_jscan_skip_checks_everything(void **state)
{
    (void)state;
    const char *msg;
    static const char *ok[] = {
        "{}",
        "[]",
        "{\"a\":[1,{\"b\":null},\"x\\u00e9\"],\"c\":{\"d\":[true,false,-1.5e3]}}",
        " [ [ ] , { } , \"\" ] ",
        "0",
        "\"s\"",
        "null",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (skip_all(ok[i], &msg) != 0)
            fail_msg("'%s': %s", ok[i], msg);
    static const struct {
        const char *in, *msg;
    } bad[] = {
        {"[1,]", "unexpected character, expected a value"},
        {"{\"a\":1,}", "expected a string"},
        {"{\"a\" 1}", "expected ':' after object key"},
        {"{\"a\":1 \"b\":2}", "expected ',' or '}' in object"},
        {"[1 2]", "expected ',' or ']' in array"},
        {"[[\"\xc3\x28\"]]", "invalid UTF-8 in string"}, /* deep inside a skipped value */
        {"[01]", "leading zero in number"},
        {"[tru]", "invalid literal"},
        {"[1", "unexpected end of input"},
        {"", "unexpected end of input, expected a value"},
        {"{1:2}", "expected a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (skip_all(bad[i].in, &msg) != -1)
            fail_msg("'%s' accepted", bad[i].in);
        assert_string_equal(msg, bad[i].msg);
    }
}

static void test_jscan_depth_limit(void **state)
{
    (void)state;
    size_t n = GF_JSCAN_MAX_DEPTH;
    char *b = malloc(2 * (n + 1) + 1);
    memset(b, '[', n);
    memset(b + n, ']', n);
    b[2 * n] = '\0';
    const char *msg;
    assert_int_equal(skip_all(b, &msg), 0); /* exactly the limit */
    memset(b, '[', n + 1);
    memset(b + n + 1, ']', n + 1);
    b[2 * n + 2] = '\0';
    assert_int_equal(skip_all(b, &msg), -1);
    assert_string_equal(msg, "nesting too deep");
    free(b);
}

static void test_jscan_errors_stick_with_line_and_column(void **state)
{
    (void)state;
    const char *t = "[1,\n  2,\n  x]";
    gf_jscan_t j;
    gf_jscan_init(&j, t, strlen(t));
    assert_int_equal(gf_jscan_skip(&j), -1);
    assert_string_equal(j.err_msg, "unexpected character, expected a value");
    assert_int_equal(j.err_line, 3);
    assert_int_equal(j.err_col, 3);
    assert_int_equal(j.err_pos, 11);
    /* every later call fails at once, the first error stays */
    assert_int_equal(gf_jscan_peek(&j), -1);
    double v;
    assert_int_equal(gf_jscan_number(&j, &v), -1);
    gf_jscan_fail(&j, "another");
    assert_string_equal(j.err_msg, "unexpected character, expected a value");

    /* NDJSON: peek_inline stops at a newline */
    t = "{} \n{}";
    gf_jscan_init(&j, t, strlen(t));
    assert_int_equal(gf_jscan_skip(&j), 0);
    assert_int_equal(gf_jscan_peek_inline(&j), '\n');
    assert_int_equal(gf_jscan_peek(&j), '{');
    assert_int_equal(j.line, 2);
}

static void test_utf8_len_and_valid(void **state)
{
    (void)state;
    const unsigned char two[] = {0xc3, 0xa9}, three[] = {0xe2, 0x82, 0xac},
                        four[] = {0xf0, 0x9f, 0x98, 0x80};
    assert_int_equal(gf_utf8_len(two, 2), 2);
    assert_int_equal(gf_utf8_len(three, 3), 3);
    assert_int_equal(gf_utf8_len(four, 4), 4);
    assert_int_equal(gf_utf8_len(four, 3), 0); /* cut by n */
    static const struct {
        const char *s;
        size_t n;
        int ok;
    } v[] = {
        {"plain ascii", 11, 1},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, 1},
        {"", 0, 1},
        {"bad \xC3\x28 utf8", 12, 0},
        {"overlong \xC0\xAF", 11, 0},
        {"overlong \xE0\x80\xAF", 12, 0},
        {"overlong \xF0\x80\x80\xAF", 13, 0},
        {"nul \0 inside", 12, 0},
        {"surrogate \xED\xA0\x80", 13, 0},
        {"too high \xF4\x90\x80\x80", 13, 0},
        {"lead \xF5\x80\x80\x80", 9, 0},
        {"cut \xE2\x82", 6, 0},
        {"lone \x80", 6, 0},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (gf_utf8_valid(v[i].s, v[i].n) != v[i].ok)
            fail_msg("case %zu: want %d", i, v[i].ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jscan_string_escapes_and_utf8),
        cmocka_unit_test(test_jscan_string_truncates_and_reports_full_length),
        cmocka_unit_test(test_jscan_string_nul_escape_option),
        cmocka_unit_test(test_jscan_numbers_equal_strtod),
        cmocka_unit_test(test_jscan_long_number_at_end_of_buffer),
        cmocka_unit_test(test_jscan_number_grammar),
        cmocka_unit_test(test_jscan_literals),
        cmocka_unit_test(test_jscan_skip_checks_everything),
        cmocka_unit_test(test_jscan_depth_limit),
        cmocka_unit_test(test_jscan_errors_stick_with_line_and_column),
        cmocka_unit_test(test_utf8_len_and_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
