/*
 * amend.h - the law as it stands: amendment instructions parsed from the amending articles
 * of the corpus, and the status of each provision that follows from them.
 *
 * An amending article ("Directive 2012/27/EU is amended as follows:" in Regulation (EU)
 * 2018/1999 Article 54 and Directive (EU) 2019/944 Article 70, or a single "In Article N of
 * Directive X, paragraph 1 is replaced by the following:") is a tree of numbered, lettered and
 * roman points. Each point is an instruction: a location ("Article 24", "in Article 18(1),
 * point (e)", "paragraphs 1, 3, 4 and 11", "the title", "the first and second subparagraphs",
 * "the words '...'") and a verb ("is deleted", "is replaced by the following", "is amended as
 * follows", "the following ... is inserted/added"). A point inherits the location of the
 * point it sits in. Quoted lines after a "replaced"/"inserted" point are its new text.
 *
 * Dates: the amending act's "Entry into force" article says which points apply from which
 * date ("point (a) of Article 54(3), Article 54(4) ... shall apply from 1 January 2021",
 * "Points (1) to (3), (5)(b) and (6) of Article 70 shall apply from 1 January 2021"); a point
 * not listed there applies from the act's entry into force.
 *
 * Only instructions whose target act is in the corpus are kept (the others amend acts the
 * corpus does not hold). The table is built once at start-up and read-only after that.
 */
#ifndef GF_COMPLIANCE_AMEND_H
#define GF_COMPLIANCE_AMEND_H

#include <jansson.h>
#include <stddef.h>

#include "corpus.h"

typedef enum cmp_am_action {
    CMP_AM_DELETED = 1,
    CMP_AM_REPLACED = 2,
    CMP_AM_AMENDED = 3, /* "is amended as follows": the points below say how */
    CMP_AM_INSERTED = 4
} cmp_am_action_t;

typedef enum cmp_status {
    CMP_ST_IN_FORCE = 0, /* as enacted */
    CMP_ST_AMENDED = 1,  /* in force, changed (in part) by an amending article */
    CMP_ST_DELETED = 2   /* deleted: never current law */
} cmp_status_t;

typedef struct cmp_amendment {
    int target_doc; /* index into corpus->docs */
    char unit[24];  /* "Article 24", "Annex XIV" */
    char para[16];  /* "1", or "" for the whole unit */
    char point[16]; /* "(e)", or "" */
    char part[64];  /* "title", "first subparagraph", "introductory part", "words", or "" */
    cmp_am_action_t action;
    int by_doc;              /* the amending act */
    const cmp_unit_t *by;    /* the amending article */
    int by_unit;             /* its index among by_doc's articles */
    int by_para;             /* its paragraph holding the point */
    char by_point[24];       /* "(3)(a)" path of the instruction in the amending article */
    char by_ref[96];         /* "Article 54(3)(a) of Regulation (EU) 2018/1999" */
    char applies_from[32];   /* "1 January 2021", or "" = the amending act's entry into force */
    const char *instruction; /* the instruction line (borrowed from the corpus) */
    const char *entry_into_force; /* the amending act's "shall enter into force" sentence
                                     (borrowed), which dates an entry without applies_from */
    char *new_text;               /* quoted replacement / inserted text, owned, or NULL */
} cmp_amendment_t;

typedef struct cmp_amendments {
    cmp_amendment_t *a;
    size_t n, cap;
} cmp_amendments_t;

/* Parse every amending article of the corpus. Never fails (an unparsable instruction is
 * skipped); free with cmp_amendments_free. */
cmp_amendments_t *cmp_amendments_parse(const cmp_corpus_t *c);
void cmp_amendments_free(cmp_amendments_t *t);

/* Status of a provision: unit label ("Article 4", "Annex XIV"), paragraph number ("" = the
 * unit as a whole) and point ("" = the paragraph as a whole). A deleted unit deletes all its
 * paragraphs; a deleted paragraph its points. *by (optional) gets the deciding amendment
 * (the deleting one for CMP_ST_DELETED, the first one touching the provision for AMENDED). */
cmp_status_t cmp_amend_status(const cmp_amendments_t *t, int doc, const char *unit,
                              const char *para, const char *point, const cmp_amendment_t **by);

const char *cmp_status_name(cmp_status_t s);
const char *cmp_am_action_name(cmp_am_action_t a);

/* {"action","provision","part","by","by_document","applies_from","instruction","text"} */
json_t *cmp_amendment_to_json(const cmp_corpus_t *c, const cmp_amendment_t *a);

/* Human form of the provision: "Article 24(1)", "Article 18(1), point (e)", "Annex XIV". */
void cmp_amendment_provision(const cmp_amendment_t *a, char *out, size_t outsz);

/* The paragraph as it stands: per item of p, NULL = as enacted, "" = deleted, other = the
 * item's text now (a replaced subparagraph or introductory part, replaced words). Deleted
 * points take their sub-points along; a deleted or replaced subparagraph its points. Returns
 * NULL when no amendment applies to p, else an array of p->n_items the caller frees, with
 * the strings it owns in *owned (free each, then the array). Render with
 * cmp_para_text_with. */
const char **cmp_amend_para_fate(const cmp_amendments_t *t, int doc, const char *unit,
                                 const cmp_para_t *p, char ***owned, size_t *n_owned);
/* Free what cmp_amend_para_fate returned (fate may be NULL). */
void cmp_amend_fate_free(const char **fate, char **owned, size_t n_owned);

/* GET /v1/documents/{id}/articles/{n}: cmp_corpus_article_json plus the status of the unit,
 * of each paragraph and top-level point ("status": "in_force" | "amended" | "deleted",
 * "status_by", "status_from") and the unit's "amendments" (cmp_amendment_to_json each).
 * Same return codes as cmp_corpus_article_json. */
int cmp_article_json(const cmp_corpus_t *c, const cmp_amendments_t *t, const char *doc_id,
                     const char *num, json_t **out, gf_err_t *err);

#endif
