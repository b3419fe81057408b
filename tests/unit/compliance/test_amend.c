/*
 * test_amend.c - the amendment instructions parsed from the corpus (2018/1999 Article 54,
 * 2019/944 Article 70) and the status of the provisions they change; one check per known
 * amendment, the application dates from the amending acts' entry-into-force articles, the
 * parser on hand-written instructions, and the status shown by the documents API.
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

static cmp_engine_t *eng;
static const cmp_corpus_t *corpus;
static const cmp_amendments_t *am;
static int eed;

static int setup(void **state)
{
    (void)state;
    const char *root = getenv("GF_TEST_ROOT");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/services/compliance/corpus", root ? root : ".");
    gf_err_t err = {0};
    eng = cmp_engine_new(dir, &err);
    if (eng == NULL) {
        fprintf(stderr, "engine: %s\n", err.message);
        return 1;
    }
    corpus = cmp_engine_corpus(eng);
    am = cmp_engine_amendments(eng);
    eed = (int)(cmp_corpus_find_doc(corpus, "32012L0027") - corpus->docs);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cmp_engine_free(eng);
    return 0;
}

static cmp_status_t st(const char *unit, const char *para, const char *point,
                       const cmp_amendment_t **by)
{
    return cmp_amend_status(am, eed, unit, para, point, by);
}

/* 2018/1999 Article 54: EED Article 4, Article 18(1)(e), Article 24(1)-(4) and (11), Annex
 * XIV deleted. */
static void test_amend_governance_article_54(void **state)
{
    (void)state;
    const cmp_amendment_t *by = NULL;
    assert_int_equal(st("Article 4", "", "", &by), CMP_ST_DELETED);
    assert_non_null(by);
    assert_string_equal(by->by_ref, "Article 54(1) of Regulation (EU) 2018/1999");
    assert_string_equal(by->applies_from, ""); /* with the Regulation's entry into force */
    assert_non_null(by->entry_into_force);
    assert_non_null(strstr(by->entry_into_force, "third day"));
    /* its paragraphs go with it */
    assert_int_equal(st("Article 4", "1", "", NULL), CMP_ST_DELETED);

    assert_int_equal(st("Annex XIV", "", "", &by), CMP_ST_DELETED);
    assert_string_equal(by->by_ref, "Article 54(4) of Regulation (EU) 2018/1999");
    assert_string_equal(by->applies_from, "1 January 2021");

    assert_int_equal(st("Article 18", "1", "(e)", &by), CMP_ST_DELETED);
    assert_string_equal(by->by_ref, "Article 54(2) of Regulation (EU) 2018/1999");
    assert_int_equal(st("Article 18", "1", "(d)", NULL), CMP_ST_IN_FORCE);
    assert_int_equal(st("Article 18", "1", "", NULL), CMP_ST_AMENDED);
    assert_int_equal(st("Article 18", "2", "", NULL), CMP_ST_IN_FORCE);

    static const char *const gone[] = {"1", "2", "3", "4", "11"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(st("Article 24", gone[i], "", &by), CMP_ST_DELETED);
        assert_string_equal(by->by_ref, strcmp(gone[i], "2") == 0
                                            ? "Article 54(3)(b) of Regulation (EU) 2018/1999"
                                            : "Article 54(3)(a) of Regulation (EU) 2018/1999");
        /* Article 59: "point (a) of Article 54(3) ... shall apply from 1 January 2021" */
        assert_string_equal(by->applies_from, strcmp(gone[i], "2") == 0 ? "" : "1 January 2021");
    }
    assert_int_equal(st("Article 24", "5", "", NULL), CMP_ST_IN_FORCE);
    assert_int_equal(st("Article 24", "", "", NULL), CMP_ST_AMENDED);
    /* untouched provisions */
    assert_int_equal(st("Article 8", "4", "", NULL), CMP_ST_IN_FORCE);
    assert_int_equal(st("Annex XIII", "", "", NULL), CMP_ST_IN_FORCE);
}

/* 2019/944 Article 70: EED Articles 9-11 restricted to natural gas, Article 13 words, Article
 * 15(5) first and second subparagraphs deleted and the third replaced, 15(8) deleted, Annex
 * VII title. */
static void test_amend_electricity_article_70(void **state)
{
    (void)state;
    const cmp_amendment_t *by = NULL;
    int found_title = 0, found_9_1 = 0, found_13 = 0, found_15_5 = 0, found_vii = 0;
    for (size_t i = 0; i < am->n; i++) {
        const cmp_amendment_t *a = &am->a[i];
        if (strcmp(corpus->docs[a->by_doc].celex, "32019L0944") != 0)
            continue;
        assert_int_equal(a->target_doc, eed);
        if (strcmp(a->unit, "Article 9") == 0 && strcmp(a->part, "title") == 0) {
            found_title = 1;
            assert_int_equal(a->action, CMP_AM_REPLACED);
            assert_non_null(a->new_text);
            assert_non_null(strstr(a->new_text, "Metering for natural gas"));
            assert_string_equal(a->by_point, "(1)(a)");
            assert_string_equal(a->applies_from, "1 January 2021");
        }
        if (strcmp(a->unit, "Article 9") == 0 && strcmp(a->para, "1") == 0) {
            found_9_1 = 1;
            assert_string_equal(a->part, "first subparagraph");
            assert_non_null(strstr(a->new_text, "for natural gas final customers"));
        }
        if (strcmp(a->unit, "Article 13") == 0) {
            found_13 = 1;
            assert_string_equal(a->part, "words");
            assert_string_equal(a->applies_from, "26 October 2020"); /* point (4) */
        }
        if (strcmp(a->unit, "Article 15") == 0 && strcmp(a->para, "5") == 0 &&
            a->action == CMP_AM_DELETED) {
            found_15_5 = 1;
            assert_string_equal(a->part, "first and second subparagraphs");
            assert_string_equal(a->by_point, "(5)(a)(i)");
            assert_string_equal(a->applies_from, "1 January 2020"); /* point (5)(a) */
        }
        if (strcmp(a->unit, "Annex VII") == 0) {
            found_vii = 1;
            assert_string_equal(a->part, "title");
            assert_non_null(strstr(a->new_text, "natural gas"));
        }
    }
    assert_true(found_title && found_9_1 && found_13 && found_15_5 && found_vii);
    assert_int_equal(st("Article 9", "2", "(c)", &by), CMP_ST_DELETED);
    assert_string_equal(by->by_ref, "Article 70(1)(c)(ii) of Directive (EU) 2019/944");
    assert_int_equal(st("Article 9", "2", "(d)", NULL), CMP_ST_DELETED);
    assert_int_equal(st("Article 9", "2", "(a)", NULL), CMP_ST_AMENDED);
    assert_int_equal(st("Article 15", "8", "", &by), CMP_ST_DELETED);
    assert_string_equal(by->by_ref, "Article 70(5)(b) of Directive (EU) 2019/944");
    assert_string_equal(by->applies_from, "1 January 2021");
    /* partly deleted, partly replaced: still in force, amended */
    assert_int_equal(st("Article 15", "5", "", NULL), CMP_ST_AMENDED);
    assert_int_equal(st("Article 10", "", "", NULL), CMP_ST_AMENDED);
    assert_int_equal(st("Article 11", "", "", NULL), CMP_ST_AMENDED);
    assert_int_equal(st("Article 15", "1", "", NULL), CMP_ST_IN_FORCE);
}

/* No instruction on an act outside the corpus (2018/1999 Articles 46-53, 55, 56 amend other
 * acts) is kept. */
static void test_amend_only_corpus_targets(void **state)
{
    (void)state;
    assert_true(am->n >= 20);
    for (size_t i = 0; i < am->n; i++) {
        assert_int_equal(am->a[i].target_doc, eed);
        const char *by = am->a[i].by->num;
        assert_true(strcmp(by, "54") == 0 || strcmp(by, "70") == 0);
    }
}

/* The parser on hand-written instructions (the same grammar, another act and numbers). */
static void test_amend_parser_forms(void **state)
{
    (void)state;
    static const char text[] =
        "REGULATION (EU) 2030/1 OF THE TEST\n"
        "THE EUROPEAN PARLIAMENT\n"
        "Whereas:\n"
        "(1) A recital.\n"
        "HAVE ADOPTED THIS REGULATION:\n"
        "Article 1\n"
        "Amendments to Directive 2012/27/EU\n"
        "Directive 2012/27/EU is amended as follows:\n"
        "(1) Article 6 is deleted;\n"
        "(2) Article 7 is amended as follows:\n"
        "(a) paragraphs 2 to 4 are deleted;\n"
        "(b) in paragraph 9, points (a), (b) and (c) are deleted;\n"
        "(c) the following paragraph is added:\n"
        "\xE2\x80\x98"
        "12. Member States shall test.\xE2\x80\x99;\n"
        "(3) Annex V is replaced by the following:\n"
        "\xE2\x80\x98"
        "New annex text.\xE2\x80\x99.\n"
        "Article 2\n"
        "Entry into force\n"
        "This Regulation shall enter into force on the day following that of its publication.\n"
        "Points (2)(a) and (3) of Article 1 shall apply from 1 March 2031.\n";
    gf_err_t err = {0};
    cmp_doc_t *d = cmp_doc_parse("32030R0001", text, sizeof text - 1, &err);
    assert_non_null(d);
    const cmp_doc_t *e = cmp_corpus_find_doc(corpus, "32012L0027");
    cmp_corpus_t c = {.docs = calloc(2, sizeof(cmp_doc_t)), .n_docs = 2};
    c.docs[0] = *e;
    c.docs[1] = *d;
    cmp_amendments_t *t = cmp_amendments_parse(&c);
    const cmp_amendment_t *by = NULL;
    assert_int_equal(cmp_amend_status(t, 0, "Article 6", "", "", &by), CMP_ST_DELETED);
    assert_string_equal(by->applies_from, "");
    for (int p = 2; p <= 4; p++) {
        char ps[16];
        snprintf(ps, sizeof ps, "%d", p);
        assert_int_equal(cmp_amend_status(t, 0, "Article 7", ps, "", &by), CMP_ST_DELETED);
        assert_string_equal(by->applies_from, "1 March 2031");
    }
    assert_int_equal(cmp_amend_status(t, 0, "Article 7", "5", "", NULL), CMP_ST_IN_FORCE);
    assert_int_equal(cmp_amend_status(t, 0, "Article 7", "9", "(b)", NULL), CMP_ST_DELETED);
    assert_int_equal(cmp_amend_status(t, 0, "Article 7", "9", "(d)", NULL), CMP_ST_IN_FORCE);
    assert_int_equal(cmp_amend_status(t, 0, "Article 7", "9", "", NULL), CMP_ST_AMENDED);
    assert_int_equal(cmp_amend_status(t, 0, "Annex V", "", "", &by), CMP_ST_AMENDED);
    assert_int_equal(by->action, CMP_AM_REPLACED);
    assert_string_equal(by->new_text, "New annex text.");
    assert_string_equal(by->applies_from, "1 March 2031");
    int added = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->a[i].action == CMP_AM_INSERTED) {
            added = 1;
            assert_string_equal(t->a[i].unit, "Article 7");
            assert_non_null(strstr(t->a[i].new_text, "12. Member States shall test."));
        }
    assert_true(added);
    cmp_amendments_free(t);
    free(c.docs);
    cmp_doc_free(d);
}

static char *current(const char *art, const char *para)
{
    const cmp_doc_t *d = &corpus->docs[eed];
    const cmp_unit_t *u = cmp_doc_find_article(d, art);
    assert_non_null(u);
    char label[32];
    snprintf(label, sizeof label, "Article %s", art);
    for (size_t i = 0; i < u->n_paras; i++) {
        if (strcmp(u->paras[i].num, para) != 0)
            continue;
        char **owned = NULL;
        size_t n_owned = 0;
        const char **fate = cmp_amend_para_fate(am, eed, label, &u->paras[i], &owned, &n_owned);
        char *t = cmp_para_text_with(&u->paras[i], 0, u->paras[i].n_items, fate);
        cmp_amend_fate_free(fate, owned, n_owned);
        return t;
    }
    fail_msg("no paragraph %s in Article %s", para, art);
    return NULL;
}

/* The text as it stands: replaced subparagraphs and words, deleted subparagraphs and points. */
static void test_amend_consolidated_text(void **state)
{
    (void)state;
    char *t = current("9", "1");
    assert_non_null(strstr(t,
                           "1. Member States shall ensure that, in so far as it is technically "
                           "possible, financially reasonable, and proportionate to the potential "
                           "energy savings, for natural gas final customers"));
    assert_null(strstr(t, "district cooling and domestic hot water are provided"));
    assert_null(strstr(t, "1. 1."));
    assert_non_null(strstr(t, "(a) an existing meter is replaced")); /* untouched points */
    free(t);
    t = current("9", "2");
    assert_non_null(strstr(t, "roll out smart meters for natural gas in accordance with "
                              "Directive 2009/73/EC:"));
    assert_null(strstr(t, "\n(c) "));
    assert_null(strstr(t, "\n(d) "));
    assert_non_null(strstr(t, "\n(a) "));
    free(t);
    t = current("15", "5");
    assert_null(strstr(t, "priority dispatch")); /* first subparagraph and its points */
    assert_null(strstr(t, "ranking of the different access and dispatch priorities"));
    assert_null(strstr(t, "In addition to the obligations laid down by the first subparagraph"));
    assert_non_null(strstr(t, "Transmission system operators and distribution system operators "
                              "shall comply with the requirements set out in Annex XII."));
    assert_non_null(strstr(t, "small-scale and micro-cogeneration")); /* fourth: kept */
    free(t);
    t = current("13", "");
    assert_non_null(strstr(t, "pursuant to Articles 7 to 11a and Article 18(3)"));
    free(t);
    t = current("8", "4"); /* not amended: as enacted */
    assert_non_null(strstr(t, "enterprises that are not SMEs"));
    free(t);
}

/* GET /v1/documents/{id}/articles/{n} shows the status. */
static void test_amend_browse_status(void **state)
{
    (void)state;
    json_t *o = NULL;
    gf_err_t err = {0};
    assert_int_equal(cmp_article_json(corpus, am, "32012L0027", "4", &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "deleted");
    assert_string_equal(json_string_value(json_object_get(o, "status_by")),
                        "Article 54(1) of Regulation (EU) 2018/1999");
    json_decref(o);
    assert_int_equal(cmp_article_json(corpus, am, "2012/27", "Annex XIV", &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "deleted");
    assert_string_equal(json_string_value(json_object_get(o, "status_from")), "1 January 2021");
    json_decref(o);
    assert_int_equal(cmp_article_json(corpus, am, "EED", "24", &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "amended");
    json_t *paras = json_object_get(o, "paragraphs");
    size_t i;
    json_t *p;
    int checked = 0;
    json_array_foreach(paras, i, p)
    {
        const char *n = json_string_value(json_object_get(p, "number"));
        const char *s = json_string_value(json_object_get(p, "status"));
        assert_non_null(s);
        if (strcmp(n, "1") == 0 || strcmp(n, "11") == 0) {
            assert_string_equal(s, "deleted");
            checked++;
        }
        if (strcmp(n, "5") == 0) {
            assert_string_equal(s, "in_force");
            checked++;
        }
    }
    assert_int_equal(checked, 3);
    assert_true(json_array_size(json_object_get(o, "amendments")) >= 6);
    json_decref(o);
    assert_int_equal(cmp_article_json(corpus, am, "EED", "15", &o, &err), 0);
    json_t *p5 = json_array_get(json_object_get(o, "paragraphs"), 4);
    assert_string_equal(json_string_value(json_object_get(p5, "number")), "5");
    assert_string_equal(json_string_value(json_object_get(p5, "status")), "amended");
    const char *now = json_string_value(json_object_get(p5, "text_in_force"));
    assert_non_null(now);
    assert_null(strstr(now, "priority dispatch"));
    assert_null(
        json_object_get(json_array_get(json_object_get(o, "paragraphs"), 0), "text_in_force"));
    json_decref(o);
    assert_int_equal(cmp_article_json(corpus, am, "32012L0027", "8", &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "in_force");
    assert_int_equal(json_array_size(json_object_get(o, "amendments")), 0);
    json_decref(o);
    assert_int_equal(cmp_article_json(corpus, am, "32019L0944", "70", &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "in_force");
    json_decref(o);
    assert_int_equal(cmp_article_json(corpus, am, "32012L0027", "99", &o, &err), GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_article");
    gf_err_cleanup(&err);
}

/* Answers: never the deleted annex as current law; the deleted article only for history. */
static void test_amend_answers(void **state)
{
    (void)state;
    cmp_answer_t a;
    gf_err_t err = {0};
    const char *q = "Do large companies have to do energy audits?";
    assert_int_equal(cmp_ask(eng, q, strlen(q), NULL, &a, &err), 0);
    assert_false(a.refused);
    int art8 = 0;
    for (size_t i = 0; i < a.n_citations; i++) {
        assert_int_not_equal(a.citations[i].status, CMP_ST_DELETED);
        assert_false(strcmp(a.citations[i].article, "Annex XIV") == 0);
        if (strcmp(a.citations[i].ref, "Article 8(4)") == 0)
            art8 = 1;
    }
    assert_true(art8);
    /* answered from Article 8(4) first: the reporting annex of 2018/1999 that only refers to
     * it yields to it */
    assert_string_equal(a.citations[0].ref, "Article 8(4)");
    assert_string_equal(a.citations[0].document, "32012L0027");
    assert_non_null(strstr(a.answer, "Article 8(4) of Directive 2012/27/EU: \xE2\x80\x9C"));
    assert_true(strstr(a.answer, "Article 8(4) of Directive 2012/27/EU: \xE2\x80\x9C") == a.answer);
    assert_null(strstr(a.answer, "Annex XIV"));
    for (size_t u = 0; u < a.n_ranked_units; u++)
        assert_null(strstr(a.ranked_units[u], "32012L0027 Annex XIV"));
    cmp_answer_cleanup(&a);

    /* a question about the deleted provision's history cites it, marked, and says so */
    q = "Was Annex XIV of the energy efficiency directive deleted?";
    assert_int_equal(cmp_ask(eng, q, strlen(q), NULL, &a, &err), 0);
    assert_false(a.refused);
    int marked = 0;
    for (size_t i = 0; i < a.n_citations; i++)
        if (strcmp(a.citations[i].article, "Annex XIV") == 0) {
            assert_int_equal(a.citations[i].status, CMP_ST_DELETED);
            assert_string_equal(a.citations[i].status_by,
                                "Article 54(4) of Regulation (EU) 2018/1999");
            marked = 1;
        }
    assert_true(marked);
    assert_non_null(strstr(a.answer, "no longer in force"));
    assert_null(strstr(a.answer, "Annex XIV of Directive 2012/27/EU: \xE2\x80\x9C"));
    cmp_answer_cleanup(&a);
}

/* The amending article is cited after the amended passage, within top_k. */
static void test_amend_citations_within_top_k(void **state)
{
    (void)state;
    const char *q = "Must gas customers get individual meters showing actual time of use?";
    for (int k = 1; k <= 6; k++) {
        cmp_answer_t a;
        gf_err_t err = {0};
        cmp_ask_opts_t o = {.top_k = k};
        assert_int_equal(cmp_ask(eng, q, strlen(q), &o, &a, &err), 0);
        assert_false(a.refused);
        assert_true(a.n_citations <= (size_t)k);
        int amending = 0;
        for (size_t i = 0; i < a.n_citations; i++)
            amending += a.citations[i].amendment;
        assert_int_equal(amending, k >= 2 ? 1 : 0);
        if (k >= 2) {
            /* the quoted Article 9 text is the one in force (2019/944 Article 70(1)(b)) */
            assert_null(strstr(a.answer, "district cooling and domestic hot water are provided"));
            assert_true(a.n_notes >= 1);
        }
        cmp_answer_cleanup(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amend_governance_article_54),
        cmocka_unit_test(test_amend_electricity_article_70),
        cmocka_unit_test(test_amend_only_corpus_targets),
        cmocka_unit_test(test_amend_parser_forms),
        cmocka_unit_test(test_amend_consolidated_text),
        cmocka_unit_test(test_amend_browse_status),
        cmocka_unit_test(test_amend_answers),
        cmocka_unit_test(test_amend_citations_within_top_k),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
