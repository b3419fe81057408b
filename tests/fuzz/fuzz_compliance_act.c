/*
 * fuzz_compliance_act.c - feeds arbitrary bytes as the text of an act to the corpus parser
 * (cmp_doc_parse) and, when it parses, to the amendment parser (cmp_amendments_parse) next to
 * a fixed small act the input may amend ("Directive 2012/27/EU"); then computes the status
 * and the text in force of every paragraph and point of the target and renders the browse JSON
 * of each of its articles, as GET /v1/documents/{id}/articles/{n} would. Invariants: every
 * string of the JSON is valid UTF-8 (json_dumps succeeds), a deleted unit has no paragraph in
 * force, and the text in force of a paragraph is never longer than its text plus the new text
 * of the amendments.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/compliance/amend.h"

static const char TARGET[] = "DIRECTIVE 2012/27/EU OF THE TEST\n"
                             "THE EUROPEAN PARLIAMENT\n"
                             "Whereas:\n"
                             "(1) A recital.\n"
                             "HAVE ADOPTED THIS DIRECTIVE:\n"
                             "Article 1\n"
                             "Scope\n"
                             "1. First paragraph with a first subparagraph:\n"
                             "(a) point a;\n"
                             "(b) point b.\n"
                             "A second subparagraph.\n"
                             "A third subparagraph, Articles 7 to 11.\n"
                             "2. Second paragraph.\n"
                             "Article 2\n"
                             "Other\n"
                             "Text without paragraphs.\n"
                             "Done at X.\n"
                             "ANNEX I\n"
                             "TITLE\n"
                             "1. Item\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gf_err_t err = {0};
    cmp_doc_t *target = cmp_doc_parse("32012L0027", TARGET, sizeof TARGET - 1, &err);
    if (target == NULL)
        abort();
    cmp_doc_t *d = cmp_doc_parse("32099R0001", (const char *)data, size, &err);
    gf_err_cleanup(&err);
    if (d == NULL) {
        cmp_doc_free(target);
        return 0;
    }
    cmp_corpus_t c = {.docs = calloc(2, sizeof(cmp_doc_t)), .n_docs = 2};
    if (c.docs == NULL)
        abort();
    c.docs[0] = *target;
    c.docs[1] = *d;
    cmp_amendments_t *t = cmp_amendments_parse(&c);
    static const char *const UNITS[] = {"1", "2", "Annex I"};
    for (size_t i = 0; i < 3; i++) {
        json_t *o = NULL;
        if (cmp_article_json(&c, t, "32012L0027", UNITS[i], &o, &err) != 0)
            abort();
        char *s = json_dumps(o, 0);
        if (s == NULL)
            abort();
        free(s);
        json_decref(o);
    }
    const cmp_doc_t *e = &c.docs[0];
    for (size_t a = 0; a < e->n_articles; a++) {
        const cmp_unit_t *u = &e->articles[a];
        char label[32];
        snprintf(label, sizeof label, "Article %s", u->num);
        cmp_status_t us = cmp_amend_status(t, 0, label, "", "", NULL);
        for (size_t p = 0; p < u->n_paras; p++) {
            if (us == CMP_ST_DELETED &&
                cmp_amend_status(t, 0, label, u->paras[p].num, "", NULL) != CMP_ST_DELETED)
                abort();
            char **owned = NULL;
            size_t n_owned = 0;
            const char **fate = cmp_amend_para_fate(t, 0, label, &u->paras[p], &owned, &n_owned);
            char *now = cmp_para_text_with(&u->paras[p], 0, u->paras[p].n_items, fate);
            char *head = cmp_para_text(&u->paras[p], 0, 0);
            size_t limit = strlen(head) + 16;
            free(head);
            for (size_t k = 0; k < u->paras[p].n_items; k++)
                limit += strlen(u->paras[p].items[k].text) + 16;
            for (size_t k = 0; k < t->n; k++)
                limit += (t->a[k].new_text ? strlen(t->a[k].new_text) : 0) + size;
            if (strlen(now) > limit)
                abort();
            free(now);
            cmp_amend_fate_free(fate, owned, n_owned);
        }
    }
    cmp_amendments_free(t);
    free(c.docs);
    cmp_doc_free(d);
    cmp_doc_free(target);
    return 0;
}
