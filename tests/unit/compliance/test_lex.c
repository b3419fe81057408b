/*
 * test_lex.c - the WordNet lexicon (Debian's wordnet-base): lemma look-up through morphy and
 * the exception lists, synonyms and hypernyms with their weights, a missing directory; and the
 * engine's use of it: expansions visible in the answer's debug output, a question in another
 * language refused as unsupported_language.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../services/compliance/answer.h"
#include "../../../services/compliance/lex.h"

static cmp_lex_t *lex;
static cmp_engine_t *eng;

static int setup(void **state)
{
    (void)state;
    gf_err_t err = {0};
    lex = cmp_lex_load(CMP_WORDNET_DIR, &err);
    if (lex == NULL) {
        fprintf(stderr, "wordnet: %s (install wordnet-base: scripts/deps.sh)\n", err.message);
        return 1;
    }
    const char *root = getenv("GF_TEST_ROOT");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/services/compliance/corpus", root ? root : ".");
    eng = cmp_engine_new(dir, &err);
    return eng == NULL || !cmp_engine_wordnet(eng);
}

static int teardown(void **state)
{
    (void)state;
    cmp_lex_free(lex);
    cmp_engine_free(eng);
    return 0;
}

static int has(const cmp_lex_rel_t *r, size_t n, const char *lemma, cmp_lex_kind_t kind)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].lemma, lemma) == 0 && r[i].kind == kind)
            return 1;
    return 0;
}

static void test_lex_known_words_and_forms(void **state)
{
    (void)state;
    assert_true(cmp_lex_known(lex, "company"));
    assert_true(cmp_lex_known(lex, "companies")); /* ies -> y */
    assert_true(cmp_lex_known(lex, "switching")); /* ing -> "" */
    assert_true(cmp_lex_known(lex, "went"));      /* verb.exc: went -> go */
    assert_true(cmp_lex_known(lex, "children"));  /* noun.exc */
    assert_false(cmp_lex_known(lex, "unternehmen"));
    assert_false(cmp_lex_known(lex, "fournisseurs"));
    assert_false(cmp_lex_known(lex, ""));
    assert_true(cmp_lex_bytes(lex) > 20u * 1000 * 1000);
}

static void test_lex_synonyms_and_hypernyms(void **state)
{
    (void)state;
    cmp_lex_rel_t r[48];
    size_t n = cmp_lex_expand(lex, "penalties", r, 48);
    assert_true(has(r, n, "punishment", CMP_LEX_SYNONYM));
    assert_true(has(r, n, "social control", CMP_LEX_HYPERNYM));
    assert_false(has(r, n, "penalties", CMP_LEX_SYNONYM));
    /* best first; first-sense synonyms weigh 0.5, their hypernyms 0.25 */
    for (size_t i = 1; i < n; i++)
        assert_true(r[i - 1].w >= r[i].w);
    assert_true(r[0].w == 0.5f);
    n = cmp_lex_expand(lex, "fund", r, 48);
    assert_true(has(r, n, "monetary fund", CMP_LEX_SYNONYM));
    assert_int_equal(cmp_lex_expand(lex, "unternehmen", r, 48), 0);
    /* max is respected */
    assert_int_equal(cmp_lex_expand(lex, "company", r, 2), 2);
}

static void test_lex_missing_directory(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_null(cmp_lex_load("/nonexistent/wordnet", &err));
    assert_string_equal(err.code, "wordnet_missing");
    gf_err_cleanup(&err);
}

static void test_lex_engine_debug_and_language(void **state)
{
    (void)state;
    cmp_answer_t a;
    gf_err_t err = {0};
    const char *q = "Can the legally separated local grid company run public charging posts?";
    assert_int_equal(cmp_ask(eng, q, strlen(q), NULL, &a, &err), 0);
    int wn = 0;
    for (size_t i = 0; i < a.n_expansions; i++)
        wn += strncmp(a.expansions[i].source, "wordnet:", 8) == 0;
    assert_true(wn > 0);
    json_t *j = cmp_answer_to_json(&a);
    json_t *ex = json_object_get(json_object_get(j, "debug"), "expansions");
    assert_int_equal(json_array_size(ex), a.n_expansions);
    assert_non_null(json_object_get(json_array_get(ex, 0), "source"));
    json_decref(j);
    assert_true(a.english > 0.9);
    cmp_answer_cleanup(&a);

    q = "Müssen große Unternehmen regelmäßig ein Energieaudit durchführen?";
    assert_int_equal(cmp_ask(eng, q, strlen(q), NULL, &a, &err), 0);
    assert_true(a.refused);
    assert_string_equal(a.reason, "unsupported_language");
    assert_non_null(strstr(a.reason_message, "English"));
    assert_int_equal(a.n_citations, 0);
    cmp_answer_cleanup(&a);
    /* a short English question with a foreign name stays English */
    q = "What does Article 7 say about Energieeffizienz obligation schemes?";
    assert_int_equal(cmp_ask(eng, q, strlen(q), NULL, &a, &err), 0);
    assert_true(a.reason == NULL || strcmp(a.reason, "unsupported_language") != 0);
    cmp_answer_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lex_known_words_and_forms),
        cmocka_unit_test(test_lex_synonyms_and_hypernyms),
        cmocka_unit_test(test_lex_missing_directory),
        cmocka_unit_test(test_lex_engine_debug_and_language),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
