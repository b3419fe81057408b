/*
 * test_index.c - BM25F scoring on a tiny hand-made corpus: the score of a one-term query equals
 * the Okapi formula, rarer terms and the title field rank higher, proximity breaks ties, the
 * document filter applies, and the whole-corpus build has the expected shape.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../services/compliance/index.h"

static cmp_index_t *tiny(const cmp_bm25_params_t *prm)
{
    cmp_index_t *ix = cmp_index_new(prm);
    assert_non_null(ix);
    cmp_psg_meta_t m = {.kind = CMP_PSG_OTHER, .doc = 0, .unit = 0, .para = 0};
    /* p0: "meter" twice, p1: once, p2: none; p3 has the term only in its title */
    cmp_index_add(ix, &m, "smart meter data and meter reading", NULL, "p0", "A");
    cmp_index_add(ix, &m, "the meter shall be installed by the operator", NULL, "p1", "B");
    m.doc = 1;
    cmp_index_add(ix, &m, "tariffs for network users", NULL, "p2", "C");
    cmp_index_add(ix, &m, "the installation of devices for customers", "Metering", "p3", "D");
    cmp_index_finish(ix);
    return ix;
}

static uint32_t term(const cmp_index_t *ix, const char *t)
{
    uint32_t id = cmp_index_term(ix, t);
    assert_int_not_equal(id, CMP_NOTERM);
    return id;
}

static void test_index_bm25_matches_formula(void **state)
{
    (void)state;
    cmp_bm25_params_t prm = CMP_BM25_DEFAULT;
    prm.prox_weight = 0;
    cmp_index_t *ix = tiny(&prm);
    assert_int_equal(cmp_index_n_passages(ix), 4);
    uint32_t t = term(ix, "meter");
    assert_int_equal(cmp_index_df(ix, t), 3); /* p0, p1 and p3 (title) */
    double N = 4, df = 3;
    double idf = log(1 + (N - df + 0.5) / (df + 0.5));
    assert_true(fabs(cmp_index_idf(ix, t) - idf) < 1e-5);
    /* lengths in non-stop terms: p0 5 (smart meter data meter read), p1 3, p2 3, p3 3 */
    assert_int_equal(cmp_index_passage(ix, 0)->len, 5);
    assert_int_equal(cmp_index_passage(ix, 1)->len, 3);
    double avg = (5 + 3 + 3 + 3) / 4.0;
    cmp_qterm_t q = {.id = t, .w = 1, .qpos = 0};
    cmp_hit_t h[4];
    size_t n = cmp_index_search(ix, &q, 1, NULL, h, 4);
    assert_int_equal(n, 3);
    double k1 = prm.k1, b = prm.b;
    double s0 = idf * 2 * (k1 + 1) / (2 + k1 * (1 - b + b * 5 / avg));
    double s1 = idf * 1 * (k1 + 1) / (1 + k1 * (1 - b + b * 3 / avg));
    double tf3 = prm.title_weight;
    double s3 = idf * tf3 * (k1 + 1) / (tf3 + k1 * (1 - b + b * 3 / avg));
    for (size_t i = 0; i < n; i++) {
        double want = h[i].passage == 0 ? s0 : h[i].passage == 1 ? s1 : s3;
        assert_true(fabs(h[i].score - want) < 1e-4);
    }
    /* best first */
    assert_true(h[0].score >= h[1].score && h[1].score >= h[2].score);
    cmp_index_free(ix);
}

static void test_index_rare_terms_and_filters(void **state)
{
    (void)state;
    cmp_index_t *ix = tiny(NULL);
    cmp_hit_t h[4];
    /* "operator" is rarer than "meter": p1 wins a query with both */
    size_t n = cmp_index_search_text(ix, "meter operator", h, 4);
    assert_true(n >= 2);
    assert_int_equal(h[0].passage, 1);
    /* document filter */
    uint32_t t = term(ix, "meter");
    cmp_qterm_t q = {.id = t, .w = 1};
    cmp_search_opts_t o = {.doc = 1, .boost_doc = -1, .rerank = 10};
    n = cmp_index_search(ix, &q, 1, &o, h, 4);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].passage, 3);
    /* a zero-weight term (repeated) lists each passage once and scores nothing: it once
     * overflowed the list of touched passages */
    cmp_qterm_t zq[8];
    for (size_t i = 0; i < 8; i++)
        zq[i] = (cmp_qterm_t){.id = t, .w = 0};
    cmp_hit_t hz[8];
    n = cmp_index_search(ix, zq, 8, NULL, hz, 8);
    for (size_t i = 0; i < n; i++) {
        assert_true(hz[i].score == 0);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(hz[i].passage, hz[j].passage);
    }
    /* unknown words and empty queries find nothing */
    assert_int_equal(cmp_index_search_text(ix, "sourdough", h, 4), 0);
    assert_int_equal(cmp_index_search_text(ix, "", h, 4), 0);
    assert_int_equal(cmp_index_term(ix, "sourdough"), CMP_NOTERM);
    assert_true(cmp_index_passage_has(ix, 0, t));
    assert_false(cmp_index_passage_has(ix, 2, t));
    cmp_index_free(ix);
}

static void test_index_proximity_breaks_ties(void **state)
{
    (void)state;
    cmp_index_t *ix = cmp_index_new(NULL);
    cmp_psg_meta_t m = {.kind = CMP_PSG_OTHER};
    cmp_index_add(ix, &m, "value lost words words words words words words load", NULL, "", "");
    cmp_index_add(ix, &m, "words words words words words words value of lost load", NULL, "", "");
    cmp_index_add(ix, &m, "unrelated text about tariffs", NULL, "", "");
    cmp_index_finish(ix);
    cmp_hit_t h[3];
    size_t n = cmp_index_search_text(ix, "value of lost load", h, 3);
    assert_int_equal(n, 2);
    assert_int_equal(h[0].passage, 1);
    assert_true(h[0].prox > h[1].prox);
    cmp_index_free(ix);
}

static void test_index_whole_corpus(void **state)
{
    (void)state;
    const char *root = getenv("GF_TEST_ROOT");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/services/compliance/corpus", root ? root : ".");
    gf_err_t err = {0};
    cmp_corpus_t *c = cmp_corpus_load(dir, &err);
    assert_non_null(c);
    cmp_index_t *ix = cmp_index_build(c, NULL, &err);
    assert_non_null(ix);
    size_t n = cmp_index_n_passages(ix);
    assert_true(n > 2000);
    int saw_def = 0, saw_annex = 0, saw_recital = 0, saw_coefficient = 0;
    for (uint32_t i = 0; i < n; i++) {
        const cmp_passage_t *p = cmp_index_passage(ix, i);
        /* a footnote stays with the text it annotates: no passage is only footnotes (its
         * paragraph number line "1. [...]" aside) */
        const char *body = p->text;
        if (strstr(body, ". [...]\n") && strstr(body, ". [...]\n") < body + 16)
            body = strstr(body, ". [...]\n") + 7;
        if (strncmp(body, "[footnote ", 10) == 0)
            fail_msg("passage %s is only a footnote: %.80s", p->ref, p->text);
        /* EED Annex IV footnote 4 (the 2,5 coefficient) is still indexed */
        if (p->meta.doc == 0 && strstr(p->text, "[footnote 4] Applicable when energy savings"))
            saw_coefficient = strstr(p->text, "2,5") != NULL;
        if (strcmp(p->ref, "Article 2(36)") == 0 && p->meta.doc == 0)
            saw_def = strstr(p->text, "power-to-heat ratio") != NULL;
        saw_annex |= strcmp(p->ref, "Annex IX, Part 1 (e)") == 0;
        saw_recital |= p->meta.kind == CMP_PSG_RECITAL;
        /* correlation tables are not indexed */
        if (p->meta.kind == CMP_PSG_ANNEX)
            assert_int_equal(c->docs[p->meta.doc].annexes[p->meta.unit].correlation, 0);
    }
    assert_true(saw_def);
    assert_true(saw_coefficient);
    assert_true(saw_annex);
    assert_true(saw_recital);
    cmp_hit_t h[5];
    assert_true(cmp_index_search_text(ix, "value of lost load", h, 5) > 0);
    cmp_index_free(ix);
    cmp_corpus_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_bm25_matches_formula),
        cmocka_unit_test(test_index_rare_terms_and_filters),
        cmocka_unit_test(test_index_proximity_breaks_ties),
        cmocka_unit_test(test_index_whole_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
