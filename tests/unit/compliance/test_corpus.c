/*
 * test_corpus.c - parser structure of the four acts (counts from the corpus README), known
 * paragraphs and points, quoted amending text, and the browse API (documents, one article).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../services/compliance/corpus.h"

static cmp_corpus_t *corpus;

static int setup(void **state)
{
    (void)state;
    const char *root = getenv("GF_TEST_ROOT");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/services/compliance/corpus", root ? root : ".");
    gf_err_t err = {0};
    corpus = cmp_corpus_load(dir, &err);
    if (corpus == NULL)
        fprintf(stderr, "corpus: %s\n", err.message);
    return corpus == NULL;
}

static int teardown(void **state)
{
    (void)state;
    cmp_corpus_free(corpus);
    return 0;
}

static const cmp_doc_t *doc(const char *id)
{
    const cmp_doc_t *d = cmp_corpus_find_doc(corpus, id);
    assert_non_null(d);
    return d;
}

static void test_corpus_counts_match_readme(void **state)
{
    (void)state;
    static const struct {
        const char *celex;
        size_t recitals, articles, annexes;
        const char *last_annex;
    } T[] = {
        {"32012L0027", 66, 30, 15, "XV"},
        {"32019L0944", 99, 74, 4, "IV"},
        {"32019R0943", 75, 71, 3, "III"},
        {"32018R1999", 73, 59, 13, "XIII"},
    };
    assert_int_equal(corpus->n_docs, 4);
    for (size_t i = 0; i < 4; i++) {
        const cmp_doc_t *d = doc(T[i].celex);
        assert_int_equal(d->n_recitals, T[i].recitals);
        assert_int_equal(d->n_articles, T[i].articles);
        assert_int_equal(d->n_annexes, T[i].annexes);
        /* articles are numbered 1..n in order, recitals too */
        for (size_t a = 0; a < d->n_articles; a++)
            assert_int_equal(atoi(d->articles[a].num), (int)a + 1);
        for (size_t r = 0; r < d->n_recitals; r++)
            assert_int_equal(atoi(d->recitals[r].num), (int)r + 1);
        assert_string_equal(d->annexes[d->n_annexes - 1].num, T[i].last_annex);
    }
}

static void test_corpus_titles_and_names(void **state)
{
    (void)state;
    const cmp_doc_t *d = doc("32012L0027");
    assert_string_equal(d->name, "Directive 2012/27/EU");
    assert_string_equal(d->number, "2012/27");
    assert_non_null(strstr(d->title, "on energy efficiency"));
    assert_ptr_equal(cmp_corpus_find_doc(corpus, "EED"), d);
    assert_ptr_equal(cmp_corpus_find_doc(corpus, "2012/27/EU"), d);
    assert_string_equal(doc("32019R0943")->name, "Regulation (EU) 2019/943");
    assert_null(cmp_corpus_find_doc(corpus, "32023L1791"));
    const cmp_unit_t *u = cmp_doc_find_article(d, "7");
    assert_string_equal(u->title, "Energy efficiency obligation schemes");
    assert_non_null(strstr(u->chapter, "CHAPTER II"));
    assert_string_equal(cmp_doc_find_annex(d, "IX")->title, "COST-BENEFIT ANALYSIS");
    assert_int_equal(cmp_doc_find_annex(d, "XV")->correlation, 1);
    const cmp_unit_t *s = cmp_doc_find_article(doc("32019R0943"), "14");
    assert_non_null(s->section);
    assert_non_null(strstr(s->section, "Capacity Allocation"));
}

static void test_corpus_paragraphs_and_points(void **state)
{
    (void)state;
    const cmp_doc_t *d = doc("32012L0027");
    /* Article 8: seven numbered paragraphs; 8(4) is the four-yearly audit rule */
    const cmp_unit_t *a8 = cmp_doc_find_article(d, "8");
    assert_int_equal(a8->n_paras, 7);
    assert_string_equal(a8->paras[3].num, "4");
    assert_non_null(strstr(a8->paras[3].items[0].text, "at least every four years"));
    /* Article 2: one unnumbered paragraph with 45 numbered definitions */
    const cmp_unit_t *a2 = cmp_doc_find_article(d, "2");
    assert_int_equal(a2->n_paras, 1);
    assert_string_equal(a2->paras[0].num, "");
    size_t defs = 0;
    for (size_t i = 0; i < a2->paras[0].n_items; i++)
        defs += a2->paras[0].items[i].kind == CMP_ITEM_NUM;
    assert_int_equal(defs, 45);
    assert_string_equal(a2->paras[0].items[36].label, "(36)");
    assert_non_null(strstr(a2->paras[0].items[36].text, "power-to-heat ratio"));
    /* lettered and roman points: "(i)" after "(h)" is a letter, "(ii)" is roman */
    const cmp_unit_t *a7 = cmp_doc_find_article(d, "7");
    assert_int_equal(a7->n_paras, 12);
    const cmp_para_t *p10 = &a7->paras[9]; /* 7(10): points (a)..(j) */
    assert_string_equal(p10->num, "10");
    int letter_i = 0;
    for (size_t i = 1; i < p10->n_items; i++)
        if (strcmp(p10->items[i].label, "(i)") == 0 && strcmp(p10->items[i - 1].label, "(h)") == 0)
            letter_i = p10->items[i].kind == CMP_ITEM_LETTER;
    assert_true(letter_i);
    const cmp_unit_t *ix = cmp_doc_find_annex(d, "IX");
    int roman = 0;
    for (size_t p = 0; p < ix->n_paras; p++)
        for (size_t i = 0; i < ix->paras[p].n_items; i++)
            if (strcmp(ix->paras[p].items[i].label, "(ii)") == 0)
                roman += ix->paras[p].items[i].kind == CMP_ITEM_ROMAN;
    assert_true(roman >= 2);
    /* Annex IV footnote 4 (default coefficient 2,5) is kept */
    const cmp_unit_t *a4 = cmp_doc_find_annex(d, "IV");
    int fn = 0;
    for (size_t p = 0; p < a4->n_paras; p++)
        for (size_t i = 0; i < a4->paras[p].n_items; i++)
            if (a4->paras[p].items[i].kind == CMP_ITEM_FOOTNOTE &&
                strstr(a4->paras[p].items[i].text, "default coefficient of 2,5"))
                fn = 1;
    assert_true(fn);
}

static void test_corpus_quoted_amendments_stay_inside(void **state)
{
    (void)state;
    /* 2019/944 Article 70 quotes "‘1. Member States shall..." - must not open paragraph 1 */
    const cmp_unit_t *a70 = cmp_doc_find_article(doc("32019L0944"), "70");
    assert_string_equal(a70->title, "Amendments to Directive 2012/27/EU");
    assert_int_equal(a70->n_paras, 1);
    assert_string_equal(a70->paras[0].num, "");
    int quoted = 0, points = 0;
    for (size_t i = 0; i < a70->paras[0].n_items; i++) {
        quoted += a70->paras[0].items[i].quoted;
        points += a70->paras[0].items[i].kind == CMP_ITEM_NUM;
    }
    assert_true(quoted >= 6);
    assert_int_equal(points, 6);
    /* 2018/1999 Article 54 deletes EED Article 4; Article 51 quotes a whole "Article 52" */
    const cmp_doc_t *g = doc("32018R1999");
    const cmp_unit_t *a54 = cmp_doc_find_article(g, "54");
    assert_non_null(strstr(a54->paras[0].items[1].text, "Article 4 is deleted"));
    const cmp_unit_t *a52 = cmp_doc_find_article(g, "52");
    assert_non_null(strstr(a52->title, "2009/119/EC"));
}

static void test_corpus_browse_json(void **state)
{
    (void)state;
    json_t *docs = cmp_corpus_documents_to_json(corpus);
    json_t *arr = json_object_get(docs, "documents");
    assert_int_equal(json_array_size(arr), 4);
    json_t *first = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(first, "celex")), "32012L0027");
    assert_int_equal(json_integer_value(json_object_get(first, "articles")), 30);
    json_decref(docs);

    gf_err_t err = {0};
    json_t *a = NULL;
    assert_int_equal(cmp_corpus_article_json(corpus, "32012L0027", "8", &a, &err), 0);
    assert_string_equal(json_string_value(json_object_get(a, "title")),
                        "Energy audits and energy management systems");
    json_t *paras = json_object_get(a, "paragraphs");
    assert_int_equal(json_array_size(paras), 7);
    json_decref(a);

    /* points nest: Article 70 (1) -> (c) -> (i) */
    assert_int_equal(cmp_corpus_article_json(corpus, "2019/944", "Article 70", &a, &err), 0);
    json_t *p1 = json_array_get(json_object_get(json_array_get(json_object_get(a, "paragraphs"), 0),
                                                "points"),
                                0);
    assert_string_equal(json_string_value(json_object_get(p1, "label")), "(1)");
    json_t *c = json_array_get(json_object_get(p1, "points"), 2);
    assert_string_equal(json_string_value(json_object_get(c, "label")), "(c)");
    json_t *ci = json_array_get(json_object_get(c, "points"), 0);
    assert_string_equal(json_string_value(json_object_get(ci, "label")), "(i)");
    json_decref(a);

    assert_int_equal(cmp_corpus_article_json(corpus, "32012L0027", "Annex IX", &a, &err), 0);
    assert_string_equal(json_string_value(json_object_get(a, "kind")), "annex");
    json_decref(a);

    assert_int_equal(cmp_corpus_article_json(corpus, "32012L0027", "31", &a, &err), GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_article");
    assert_null(a);
    assert_int_equal(cmp_corpus_article_json(corpus, "nope", "1", &a, &err), GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_document");
    assert_int_equal(cmp_corpus_article_json(corpus, "", "1", &a, &err), GF_EINVAL);
    gf_err_cleanup(&err);
}

static void test_corpus_parse_errors(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_null(cmp_doc_parse("X", "no structure here\n", 18, &err));
    assert_string_equal(err.code, "corpus_parse");
    assert_null(cmp_corpus_load("/nonexistent/dir", &err));
    assert_int_equal(err.rc, GF_ENOTFOUND);
    /* a tiny act: title, one recital, one article with two paragraphs and points */
    const char *t = "DIRECTIVE 2099/1/EU OF THE TEST\n(Text with EEA relevance)\nTHE EUROPEAN "
                    "PARLIAMENT\nWhereas:\n(1) A recital.\nHAVE ADOPTED THIS DIRECTIVE:\nArticle "
                    "1\nScope\n1. First paragraph:\n(a) point a;\n(b) point b.\n2. Second.\n3 "
                    "is not a paragraph\nDone at X.\nANNEX I\nTITLE\n1. Item\n";
    cmp_doc_t *d = cmp_doc_parse("32099L0001", t, strlen(t), &err);
    assert_non_null(d);
    assert_string_equal(d->name, "Directive 2099/1/EU");
    assert_int_equal(d->n_recitals, 1);
    assert_int_equal(d->n_articles, 1);
    assert_int_equal(d->articles[0].n_paras, 2);
    assert_int_equal(d->articles[0].paras[0].n_items, 3);
    assert_int_equal(d->articles[0].paras[1].n_items, 2);
    assert_int_equal(d->n_annexes, 1);
    cmp_doc_free(d);
    gf_err_cleanup(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_counts_match_readme),
        cmocka_unit_test(test_corpus_titles_and_names),
        cmocka_unit_test(test_corpus_paragraphs_and_points),
        cmocka_unit_test(test_corpus_quoted_amendments_stay_inside),
        cmocka_unit_test(test_corpus_browse_json),
        cmocka_unit_test(test_corpus_parse_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
