/*
 * test_text.c - tokenizer and analyzer: numbers and units kept, thousands and decimal commas
 * normalised, act numbers, possessives, stop words, Snowball stems, UTF-8 safety.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../../services/compliance/text.h"

typedef struct toks {
    char s[1024];
} toks_t;

static int join_cb(void *ud, const cmp_token_t *t)
{
    toks_t *o = ud;
    if (o->s[0])
        strncat(o->s, " ", sizeof o->s - strlen(o->s) - 1);
    strncat(o->s, t->text, sizeof o->s - strlen(o->s) - 1);
    return 0;
}

static const char *tok(const char *in)
{
    static toks_t o;
    o.s[0] = '\0';
    cmp_tokenize(in, strlen(in), join_cb, &o);
    return o.s;
}

static const char *ana(const char *in)
{
    static toks_t o;
    o.s[0] = '\0';
    cmp_analyzer_t *a = cmp_analyzer_new();
    assert_non_null(a);
    cmp_analyze(a, in, strlen(in), 0, join_cb, &o);
    cmp_analyzer_free(a);
    return o.s;
}

static void test_text_numbers_and_units(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } T[] = {
        {"85 TJ", "85 tj 85tj"},
        {"by 2027", "by 2027"},
        {"1 474 Mtoe", "1474 mtoe 1474mtoe"},
        {"1,5 %", "1.5 percent 1.5percent"},
        {"1.5%", "1.5 percent 1.5percent"},
        {"550 g of CO2", "550 g 550g of co2"},
        {"every five years", "every 5 years 5year"},
        {"Directive 2012/27/EU", "directive 2012 27 2012/27 eu"},
        {"point 1.1.", "point 1.1"},
        {"Article 9a", "article 9a"},
        {"below 20 MW.", "below 20 mw 20mw"},
        {"in 2020 100 %", "in 2020 100 percent 100percent"},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        assert_string_equal(tok(T[i].in), T[i].out);
}

static void test_text_words(void **state)
{
    (void)state;
    assert_string_equal(tok("the Union\xE2\x80\x99s target"), "the union target");
    assert_string_equal(tok("Member State's plan"), "member state plan");
    assert_string_equal(tok("power-to-heat ratio"), "power to heat ratio");
    assert_string_equal(tok("\xE2\x80\x98"
                            "energy\xE2\x80\x99 means"),
                        "energy means");
    assert_string_equal(tok("caf\xC3\xA9 R\xC3\xA9"
                            "SUM\xC3\x89"),
                        "caf\xC3\xA9 r\xC3\xA9"
                        "sum\xC3\x89");
    /* invalid UTF-8 and control bytes are separators, never crash */
    assert_string_equal(tok("a\xFF\xFE"
                            "b\x01"
                            "c"),
                        "a b c");
    assert_string_equal(tok(""), "");
}

static void test_text_analyzer_stems_and_stops(void **state)
{
    (void)state;
    assert_string_equal(ana("The obligated parties shall achieve energy savings"),
                        "oblig parti achiev energi save");
    assert_string_equal(ana("metering of smart meters"), "meter smart meter");
    /* numbers and units are not stemmed or dropped */
    assert_string_equal(ana("above 85 TJ in 2027"), "85 tj 85tj 2027");
    assert_true(cmp_is_stopword("shall"));
    assert_false(cmp_is_stopword("energy"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_numbers_and_units),
        cmocka_unit_test(test_text_words),
        cmocka_unit_test(test_text_analyzer_stems_and_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
