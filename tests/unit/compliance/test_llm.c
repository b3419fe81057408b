/*
 * test_llm.c - the chat-completions request built from retrieved passages, citation id
 * extraction, and the acceptance check of LLM answers (uncited / unknown ids are rejected).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../services/compliance/llm.h"

/* three hand-made citations P1..P3 */
static cmp_answer_t fake(void)
{
    static cmp_citation_t c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = (cmp_citation_t){.id = i + 1,
                                .document = "32019R0943",
                                .doc_name = "Regulation (EU) 2019/943",
                                .article = "Article 11",
                                .ref = "Article 11(1)",
                                .title = "Value of lost load",
                                .text = "The estimate shall be updated at least every five years."};
    }
    cmp_answer_t a = {.citations = c, .n_citations = 3};
    return a;
}

static void test_llm_request_shape(void **state)
{
    (void)state;
    cmp_answer_t a = fake();
    gf_err_t err = {0};
    json_t *r = cmp_llm_request(NULL, "How often is VoLL updated?", &a, &err);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "model")), "gpt-4o-mini");
    json_t *msgs = json_object_get(r, "messages");
    assert_int_equal(json_array_size(msgs), 2);
    const char *sys = json_string_value(json_object_get(json_array_get(msgs, 0), "content"));
    const char *user = json_string_value(json_object_get(json_array_get(msgs, 1), "content"));
    assert_non_null(strstr(sys, "ONLY"));
    assert_non_null(strstr(sys, "[P1]"));
    assert_non_null(strstr(user, "How often is VoLL updated?"));
    assert_non_null(strstr(user, "[P1] Article 11(1) of Regulation (EU) 2019/943"));
    assert_non_null(strstr(user, "[P3]"));
    assert_null(strstr(user, "[P4]"));
    json_decref(r);
    r = cmp_llm_request("local-model", "q", &a, &err);
    assert_string_equal(json_string_value(json_object_get(r, "model")), "local-model");
    json_decref(r);
    cmp_answer_t none = {0};
    assert_null(cmp_llm_request(NULL, "q", &none, &err));
    assert_string_equal(err.code, "no_passages");
}

static void test_llm_cited_ids(void **state)
{
    (void)state;
    int ids[8];
    static const struct {
        const char *text;
        size_t n;
        int first, last;
    } T[] = {
        {"Every five years [P1].", 1, 1, 1},
        {"A [P2, P3] and B [P1][P2].", 3, 2, 1},
        {"no citations here", 0, 0, 0},
        {"[p4] lower case", 1, 4, 4},
        {"[Article 7] is not an id, [P12] is", 1, 12, 12},
        {"broken [P", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        size_t n = cmp_llm_cited_ids(T[i].text, ids, 8);
        assert_int_equal(n, T[i].n);
        if (n) {
            assert_int_equal(ids[0], T[i].first);
            assert_int_equal(ids[n - 1], T[i].last);
        }
    }
}

static void test_llm_check_answer(void **state)
{
    (void)state;
    cmp_answer_t a = fake();
    gf_err_t err = {0};
    assert_int_equal(cmp_llm_check_answer("Updated every five years [P1].", &a, &err), 0);
    assert_int_equal(cmp_llm_check_answer("See [P1, P3].", &a, &err), 0);
    assert_int_equal(cmp_llm_check_answer("Every five years.", &a, &err), GF_EUNPROCESSABLE);
    assert_string_equal(err.code, "llm_uncited");
    assert_int_equal(cmp_llm_check_answer("Five years [P1], ten [P7].", &a, &err),
                     GF_EUNPROCESSABLE);
    assert_string_equal(err.code, "llm_unknown_citation");
    assert_non_null(strstr(err.message, "P7"));
    assert_int_equal(cmp_llm_check_answer("  NO_EVIDENCE", &a, &err), GF_EUNPROCESSABLE);
    assert_string_equal(err.code, "llm_no_evidence");
    assert_int_equal(cmp_llm_check_answer(NULL, &a, &err), GF_EINVAL);
    json_t *resp = json_loads("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":"
                              "\"Five years [P1].\"}}]}",
                              0, NULL);
    assert_string_equal(cmp_llm_response_text(resp), "Five years [P1].");
    json_decref(resp);
    assert_null(cmp_llm_response_text(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llm_request_shape),
        cmocka_unit_test(test_llm_cited_ids),
        cmocka_unit_test(test_llm_check_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
