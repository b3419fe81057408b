/*
 * test_ing_csv.c - streaming CSV tokenizer (ing_csv.h): table of inputs -> records (with line
 * numbers and errors); the same result whatever the chunking (whole, byte by byte, random).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../../services/ingestion/ing_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sink {
    char out[8192];
    size_t n;
};

/* Records as "line:f1|f2|...\n", errors as "line:!code\n". */
static int on_rec(void *ud, size_t line, const ing_csv_field_t *f, size_t nf, const char *err)
{
    struct sink *s = ud;
    s->n += (size_t)snprintf(s->out + s->n, sizeof s->out - s->n, "%zu:", line);
    if (err)
        s->n += (size_t)snprintf(s->out + s->n, sizeof s->out - s->n, "!%s", err);
    for (size_t i = 0; i < nf; i++)
        s->n += (size_t)snprintf(s->out + s->n, sizeof s->out - s->n, "%s%.*s", i ? "|" : "",
                                 (int)f[i].n, f[i].p);
    s->n += (size_t)snprintf(s->out + s->n, sizeof s->out - s->n, "\n");
    return 0;
}

/* Feed in chunks: step 0 = whole, 1 = byte by byte, -1 = random sizes (seeded). auto_delim:
 * the separator is taken from the first record. */
static void run_delim(const char *in, size_t len, int step, unsigned seed, struct sink *s,
                      int auto_delim)
{
    ing_csv_t p;
    memset(s, 0, sizeof *s);
    ing_csv_init(&p, on_rec, s);
    if (auto_delim)
        ing_csv_auto_delim(&p);
    srand(seed);
    for (size_t i = 0; i < len;) {
        size_t k = step == 0 ? len - i : step > 0 ? (size_t)step : 1 + (size_t)rand() % 7;
        if (k > len - i)
            k = len - i;
        assert_int_equal(ing_csv_feed(&p, in + i, k), 0);
        i += k;
    }
    assert_int_equal(ing_csv_finish(&p), 0);
    ing_csv_cleanup(&p);
}

static void run(const char *in, size_t len, int step, unsigned seed, struct sink *s)
{
    run_delim(in, len, step, seed, s, 0);
}

struct ccase {
    const char *in;
    const char *want;
};

static const struct ccase cases[] = {
    {"a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n"},
    {"a,b\r\n1,2\r\n", "1:a|b\n2:1|2\n"},
    {"a,b\n1,2", "1:a|b\n2:1|2\n"},
    {"a,,c\n,\n", "1:a||c\n2:|\n"},
    {"\"x,y\",\"say \"\"hi\"\"\",z\n", "1:x,y|say \"hi\"|z\n"},
    {"\"multi\nline\",2\n3,4\n", "1:multi\nline|2\n3:3|4\n"},
    {"\n\na\n\r\n\nb\n", "3:a\n6:b\n"},
    {"\xef\xbb\xbfh1,h2\n1,2\n", "1:h1|h2\n2:1|2\n"},
    {"a,b\"c\n1,2\n", "1:!bad_quote\n2:1|2\n"},
    {"\"a\"x,b\n1,2\n", "1:!bad_quote\n2:1|2\n"},
    {"a\n\"open,1\n", "1:a\n2:!unterminated_quote\n"},
    {"\"\"\n", "1:\n"},
    {"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\nok\n", "1:!too_many_fields\n2:ok\n"},
    {"\"a\"\"\",b\r\nc,\"\"\"d\"\n", "1:a\"|b\n2:c|\"d\n"},
};

static void test_csv_table(void **state)
{
    (void)state;
    static struct sink s, t;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].in);
        run(cases[i].in, len, 0, 0, &s);
        if (strcmp(s.out, cases[i].want) != 0)
            fail_msg("case %zu: got\n%swant\n%s", i, s.out, cases[i].want);
        run(cases[i].in, len, 1, 0, &t);
        assert_string_equal(t.out, s.out);
        for (unsigned seed = 1; seed < 20; seed++) {
            run(cases[i].in, len, -1, seed, &t);
            assert_string_equal(t.out, s.out);
        }
    }
}

/* The separator of the first record: ';' only when it has no ',' outside quotes. */
static void test_csv_auto_delim(void **state)
{
    (void)state;
    static const struct ccase auto_cases[] = {
        {"a;b;c\n1,5;2;\"x;y\"\n", "1:a|b|c\n2:1,5|2|x;y\n"},
        {"\"h;1\";h2\n\"multi\nline\";2\n3;4\n", "1:h;1|h2\n2:multi\nline|2\n4:3|4\n"},
        {"a,b;c\n1;2,3\n", "1:a|b;c\n2:1;2|3\n"},
        {"\"a;b\",c\n1,2\n", "1:a;b|c\n2:1|2\n"},
        {"solo\n1;2\n", "1:solo\n2:1;2\n"},
        {"a;b\n1;\"2\"x\n", "1:a|b\n2:!bad_quote\n"},
    };
    static struct sink s, t;
    for (size_t i = 0; i < sizeof auto_cases / sizeof auto_cases[0]; i++) {
        size_t len = strlen(auto_cases[i].in);
        run_delim(auto_cases[i].in, len, 0, 0, &s, 1);
        if (strcmp(s.out, auto_cases[i].want) != 0)
            fail_msg("auto case %zu: got\n%swant\n%s", i, s.out, auto_cases[i].want);
        for (unsigned seed = 0; seed < 20; seed++) {
            run_delim(auto_cases[i].in, len, seed ? -1 : 1, seed, &t, 1);
            assert_string_equal(t.out, s.out);
        }
    }
    /* without auto the separator is ',' whatever the first record holds */
    run("a;b\n1;2\n", 8, 0, 0, &s);
    assert_string_equal(s.out, "1:a;b\n2:1;2\n");
}

static void test_csv_long_record(void **state)
{
    (void)state;
    size_t n = ING_CSV_MAX_RECORD + 100;
    char *in = malloc(n + 16);
    memset(in, 'x', n);
    memcpy(in + n, "\nok\n", 5);
    static struct sink s, t;
    run(in, n + 4, 0, 0, &s);
    assert_string_equal(s.out, "1:!record_too_long\n2:ok\n");
    run(in, n + 4, -1, 3, &t);
    assert_string_equal(t.out, s.out);
    run(in, n + 4, 4096, 0, &t);
    assert_string_equal(t.out, s.out);
    free(in);
}

static int stop_cb(void *ud, size_t line, const ing_csv_field_t *f, size_t nf, const char *err)
{
    (void)ud, (void)f, (void)nf, (void)err;
    return line == 2 ? 42 : 0;
}

static void test_csv_stop(void **state)
{
    (void)state;
    ing_csv_t p;
    ing_csv_init(&p, stop_cb, NULL);
    assert_int_equal(ing_csv_feed(&p, "a\nb\nc\n", 6), 42);
    ing_csv_cleanup(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_table),
        cmocka_unit_test(test_csv_auto_delim),
        cmocka_unit_test(test_csv_long_record),
        cmocka_unit_test(test_csv_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
