/*
 * test_answer.c - cmp_ask: input validation, answers with citations, refusals (off-topic,
 * no evidence, newer act), document filter and top_k, amendment notes, the JSON shape, and
 * concurrent asks on one engine giving the same results as serial ones.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../services/compliance/answer.h"

static cmp_engine_t *eng;

static int setup(void **state)
{
    (void)state;
    const char *root = getenv("GF_TEST_ROOT");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/services/compliance/corpus", root ? root : ".");
    gf_err_t err = {0};
    eng = cmp_engine_new(dir, &err);
    if (eng == NULL)
        fprintf(stderr, "engine: %s\n", err.message);
    return eng == NULL;
}

static int teardown(void **state)
{
    (void)state;
    cmp_engine_free(eng);
    return 0;
}

static int ask(const char *q, size_t len, const cmp_ask_opts_t *o, cmp_answer_t *a, gf_err_t *err)
{
    return cmp_ask(eng, q, len, o, a, err);
}

static void test_answer_input_validation(void **state)
{
    (void)state;
    cmp_answer_t a;
    gf_err_t err = {0};
    static const struct {
        const char *q;
        size_t len;
        const char *code;
    } T[] = {
        {"", 0, "empty_question"},
        {NULL, 0, "empty_question"},
        {"   \n\t ", 6, "empty_question"},
        {"bad \xC3\x28 utf8", 12, "invalid_utf8"},
        {"overlong \xC0\xAF", 11, "invalid_utf8"},
        {"nul \0 inside", 12, "invalid_utf8"},
        {"surrogate \xED\xA0\x80", 13, "invalid_utf8"},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        assert_int_equal(ask(T[i].q, T[i].len, NULL, &a, &err), GF_EINVAL);
        assert_string_equal(err.code, T[i].code);
        assert_true(strlen(err.message) > 0);
        cmp_answer_cleanup(&a);
    }
    size_t big = CMP_QUESTION_MAX + 1;
    char *q = malloc(big);
    memset(q, 'a', big);
    assert_int_equal(ask(q, big, NULL, &a, &err), GF_EINVAL);
    assert_string_equal(err.code, "question_too_long");
    cmp_answer_cleanup(&a);
    /* exactly the limit is accepted */
    assert_int_equal(ask(q, CMP_QUESTION_MAX, NULL, &a, &err), 0);
    cmp_answer_cleanup(&a);
    free(q);
    cmp_ask_opts_t o = {.top_k = 21};
    const char *ok = "What is the value of lost load?";
    assert_int_equal(ask(ok, strlen(ok), &o, &a, &err), GF_EINVAL);
    assert_string_equal(err.code, "invalid_top_k");
    o = (cmp_ask_opts_t){.document = "32099L0001"};
    assert_int_equal(ask(ok, strlen(ok), &o, &a, &err), GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_document");
    cmp_answer_cleanup(&a);
    gf_err_cleanup(&err);
}

static void test_answer_answers_with_citations(void **state)
{
    (void)state;
    cmp_answer_t a;
    gf_err_t err = {0};
    const char *q = "How often must the value of lost load estimate be updated?";
    assert_int_equal(ask(q, strlen(q), NULL, &a, &err), 0);
    assert_false(a.refused);
    assert_null(a.reason);
    assert_non_null(a.answer);
    assert_true(a.n_citations >= 1 && a.n_citations <= CMP_TOPK_DEFAULT + 8);
    assert_string_equal(a.citations[0].document, "32019R0943");
    assert_string_equal(a.citations[0].article, "Article 11");
    assert_string_equal(a.citations[0].title, "Value of lost load");
    assert_non_null(strstr(a.answer, "[P1]"));
    assert_non_null(strstr(a.answer, "five years"));
    assert_true(a.confidence > 0 && a.confidence <= 1);
    cmp_answer_cleanup(&a);

    /* a paragraph-level citation keeps its structure */
    q = "Who can be designated as an obligated party under an energy efficiency obligation scheme?";
    assert_int_equal(ask(q, strlen(q), NULL, &a, &err), 0);
    assert_string_equal(a.citations[0].article, "Article 7");
    assert_non_null(a.citations[0].paragraph);
    assert_non_null(strstr(a.citations[0].ref, "Article 7("));
    cmp_answer_cleanup(&a);
}

static void test_answer_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *q, *reason;
    } T[] = {
        {"How do I bake a cake?", "off_topic"},
        {"What's the quickest way to learn to play the guitar?", "off_topic"},
        {"What is the capital city of Australia?", "off_topic"},
        {"What are PJM's capacity auction clearing prices for 2025/2026?", "no_evidence"},
        {"Under the recast efficiency directive of 2023, above what yearly energy consumption must "
         "an enterprise run an energy management system?",
         "not_in_corpus"},
        {"What does Directive (EU) 2023/1791 say about data centres?", "not_in_corpus"},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        cmp_answer_t a;
        gf_err_t err = {0};
        assert_int_equal(ask(T[i].q, strlen(T[i].q), NULL, &a, &err), 0);
        if (!a.refused || strcmp(a.reason, T[i].reason) != 0)
            fail_msg("'%s': refused=%d reason=%s", T[i].q, a.refused, a.reason ? a.reason : "-");
        assert_null(a.answer);
        assert_int_equal(a.n_citations, 0);
        assert_non_null(a.reason_message);
        json_t *j = cmp_answer_to_json(&a);
        assert_true(json_is_null(json_object_get(j, "answer")));
        assert_true(json_is_true(json_object_get(j, "refused")));
        assert_string_equal(json_string_value(json_object_get(j, "reason")), T[i].reason);
        json_decref(j);
        cmp_answer_cleanup(&a);
    }
}

static void test_answer_filter_topk_json(void **state)
{
    (void)state;
    cmp_answer_t a;
    gf_err_t err = {0};
    const char *q = "What must the regulatory authority monitor?";
    cmp_ask_opts_t o = {.top_k = 2, .document = "2019/943"};
    assert_int_equal(ask(q, strlen(q), &o, &a, &err), 0);
    assert_false(a.refused);
    assert_true(a.n_citations >= 1);
    for (size_t i = 0; i < a.n_citations; i++)
        if (!a.citations[i].amendment)
            assert_string_equal(a.citations[i].document, "32019R0943");
    json_t *j = cmp_answer_to_json(&a);
    json_t *c0 = json_array_get(json_object_get(j, "citations"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "id")), "P1");
    const char *keys[] = {"document", "celex", "article", "paragraph", "title", "text", "score"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        assert_non_null(json_object_get(c0, keys[k]));
    assert_true(json_is_real(json_object_get(j, "confidence")));
    json_decref(j);
    cmp_answer_cleanup(&a);
}

static void test_answer_amendment_notes(void **state)
{
    (void)state;
    cmp_answer_t a;
    gf_err_t err = {0};
    const char *q = "What does the EED require for metering of natural gas?";
    assert_int_equal(ask(q, strlen(q), NULL, &a, &err), 0);
    assert_false(a.refused);
    int amended = 0;
    for (size_t i = 0; i < a.n_citations; i++)
        amended |= strcmp(a.citations[i].document, "32019L0944") == 0 &&
                   strcmp(a.citations[i].article, "Article 70") == 0;
    if (!amended)
        fail_msg("no citation of 2019/944 Article 70 among %zu", a.n_citations);
    assert_true(a.n_notes >= 1);
    assert_non_null(strstr(a.answer, "Note: "));
    cmp_answer_cleanup(&a);
}

/* ---- concurrency: the same questions from 4 threads give the serial answers */

static const char *const QS[] = {
    "Who performs the European resource adequacy assessment?",
    "Is membership of a citizen energy community voluntary?",
    "How do I make a sourdough starter?",
    "What price components must the breakdown on an electricity bill distinguish?",
    "Can my supplier charge a fee when I switch?",
};
#define NQ (sizeof QS / sizeof QS[0])
static char *serial[NQ];

static char *answer_json(const char *q)
{
    cmp_answer_t a;
    gf_err_t err = {0};
    if (cmp_ask(eng, q, strlen(q), NULL, &a, &err) != 0)
        return NULL;
    json_t *j = cmp_answer_to_json(&a);
    char *s = json_dumps(j, JSON_SORT_KEYS);
    json_decref(j);
    cmp_answer_cleanup(&a);
    return s;
}

static void *worker(void *arg)
{
    intptr_t bad = 0;
    (void)arg;
    for (int r = 0; r < 10; r++) {
        for (size_t i = 0; i < NQ; i++) {
            char *s = answer_json(QS[(i + (size_t)r) % NQ]);
            if (s == NULL || strcmp(s, serial[(i + (size_t)r) % NQ]) != 0)
                bad++;
            free(s);
        }
    }
    return (void *)bad;
}

static void test_answer_concurrent_asks(void **state)
{
    (void)state;
    for (size_t i = 0; i < NQ; i++)
        serial[i] = answer_json(QS[i]);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, NULL), 0);
    intptr_t bad = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad += (intptr_t)r;
    }
    assert_int_equal(bad, 0);
    for (size_t i = 0; i < NQ; i++)
        free(serial[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_input_validation),
        cmocka_unit_test(test_answer_answers_with_citations),
        cmocka_unit_test(test_answer_refusals),
        cmocka_unit_test(test_answer_filter_topk_json),
        cmocka_unit_test(test_answer_amendment_notes),
        cmocka_unit_test(test_answer_concurrent_asks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
