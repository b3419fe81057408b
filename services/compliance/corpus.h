/*
 * corpus.h - the EU acts of the compliance corpus, parsed into their legal structure.
 *
 * A document (one act, one text file named <CELEX>.txt) has a title, recitals, articles and
 * annexes. An article or annex is a cmp_unit_t; its body is a list of paragraphs
 * (cmp_para_t, numbered "1", "2", ... or "" for unnumbered text), and a paragraph is a flat
 * list of items (cmp_item_t): subparagraph text and points. A point's kind is its rank in
 * the EU drafting hierarchy (numbered "(1)" > lettered "(a)" > roman "(i)" > indent "—"), so
 * the tree can be rebuilt from the flat list (see cmp_unit_to_json).
 *
 * Parsing rules (see README.md, "Corpus structure"): a line that is exactly "Article N" or
 * "Article Na" starts an article and the next line is its title; "ANNEX <roman>" starts an
 * annex, the next line is its title; "CHAPTER x" / "Section n" lines and the line after them
 * are headings. Inside an article "N. " starts paragraph N only when N follows the previous
 * paragraph number, so numbers inside quoted amendments never open a paragraph: a line that
 * starts with a quotation mark (amending articles of 2018/1999 and 2019/944 that quote EED
 * text) stays quoted text of the current item until a line ends with the closing quote.
 *
 * Ownership: a cmp_corpus_t owns everything inside it; all strings point into buffers it
 * owns. After cmp_corpus_load returns it is never modified, so any number of threads may
 * read it concurrently. Free it with cmp_corpus_free.
 */
#ifndef GF_COMPLIANCE_CORPUS_H
#define GF_COMPLIANCE_CORPUS_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"

typedef enum cmp_item_kind {
    CMP_ITEM_TEXT = 0,    /* a subparagraph or unlabelled line */
    CMP_ITEM_NUM = 1,     /* "(12)" numbered point (e.g. definitions, amending points) */
    CMP_ITEM_LETTER = 2,  /* "(a)" */
    CMP_ITEM_ROMAN = 3,   /* "(iv)" */
    CMP_ITEM_INDENT = 4,  /* "—" indent */
    CMP_ITEM_FOOTNOTE = 5 /* "[footnote N]" at the end of an annex */
} cmp_item_kind_t;

typedef struct cmp_item {
    cmp_item_kind_t kind;
    const char *label; /* "(a)", "(ii)", "(12)", "—", "[footnote 4]" or "" for TEXT */
    const char *text;  /* the line without its label */
    int quoted;        /* 1 when the line is (part of) quoted amending text */
} cmp_item_t;

typedef struct cmp_para {
    const char *num; /* "1", "2", ... ; "" for text before/without numbered paragraphs;
                        in annexes the label of a section ("1.3.", "Part 2") or "" */
    cmp_item_t *items;
    size_t n_items, _cap;
} cmp_para_t;

typedef enum cmp_unit_kind { CMP_UNIT_ARTICLE = 0, CMP_UNIT_ANNEX = 1 } cmp_unit_kind_t;

typedef struct cmp_unit {
    cmp_unit_kind_t kind;
    const char *num;     /* "7", "9a" for articles; "IX" for annexes */
    const char *title;   /* "Energy efficiency obligation schemes" */
    const char *chapter; /* "CHAPTER II" heading + title, or NULL (articles only) */
    const char *section; /* "Section 1" heading + title, or NULL */
    cmp_para_t *paras;
    size_t n_paras, _cap;
    int correlation; /* 1 for correlation-table annexes (not indexed) */
} cmp_unit_t;

typedef struct cmp_recital {
    const char *num; /* "12" */
    const char *text;
} cmp_recital_t;

typedef struct cmp_doc {
    const char *celex;      /* "32012L0027" (also the document id) */
    const char *title;      /* full title, lines joined */
    const char *name;       /* "Directive 2012/27/EU" */
    const char *short_name; /* "Energy Efficiency Directive (EED)" or same as name */
    const char *number;     /* "2012/27" */
    cmp_recital_t *recitals;
    size_t n_recitals;
    cmp_unit_t *articles;
    size_t n_articles, _cap_articles;
    cmp_unit_t *annexes;
    size_t n_annexes, _cap_annexes;
    char *_buf;    /* the file text, split into lines in place */
    char **_owned; /* strings built by the parser */
    size_t _n_owned, _cap_owned;
} cmp_doc_t;

typedef struct cmp_corpus {
    cmp_doc_t *docs;
    size_t n_docs;
} cmp_corpus_t;

/* Parse one act from text (n bytes, need not be NUL-terminated) into a new document.
 * Returns NULL with err set (GF_EINVAL "corpus_parse") when no article is found. */
cmp_doc_t *cmp_doc_parse(const char *celex, const char *text, size_t n, gf_err_t *err);
void cmp_doc_free(cmp_doc_t *doc);

/* Load every "<CELEX>.txt" file in dir (sorted by name). Returns a new corpus the caller frees
 * with cmp_corpus_free, or NULL with err set: GF_ENOTFOUND "corpus_missing" when dir cannot be
 * read or holds no act, GF_EINVAL "corpus_parse" for a malformed file. */
cmp_corpus_t *cmp_corpus_load(const char *dir, gf_err_t *err);
void cmp_corpus_free(cmp_corpus_t *c);

/* Find a document by CELEX ("32012L0027"), number ("2012/27", "2019/944") or common short name
 * ("EED"), case-insensitive. Returns a borrowed pointer or NULL. */
const cmp_doc_t *cmp_corpus_find_doc(const cmp_corpus_t *c, const char *id);

/* Find article "7" / "9a" (an optional "Article " prefix is accepted) or annex "IX" (with
 * "Annex " prefix) of doc. Returns a borrowed pointer or NULL. */
const cmp_unit_t *cmp_doc_find_article(const cmp_doc_t *doc, const char *num);
const cmp_unit_t *cmp_doc_find_annex(const cmp_doc_t *doc, const char *num);

/* Render a paragraph as text: each item on its own line with its label ("1. ", "(a) ").
 * Returns a new string the caller frees. */
char *cmp_para_text(const cmp_para_t *p, size_t from, size_t to);
/* The same with items replaced: over[i] NULL = the item's text, "" = left out, else the text
 * to show after the item's label. over may be NULL. */
char *cmp_para_text_with(const cmp_para_t *p, size_t from, size_t to, const char *const *over);

/* ---- browse API (JSON for GET /v1/documents and /v1/documents/{id}/articles/{n}) ---- */

/* New reference: {"documents":[{"id","celex","name","short_name","title","recitals",
 * "articles","annexes"}]}. Never NULL. */
json_t *cmp_corpus_documents_to_json(const cmp_corpus_t *c);

/* New reference: {"document","celex","kind":"article"|"annex","number","title","chapter",
 * "section","paragraphs":[{"number","text","subparagraphs":[..],"points":[{"label","text",
 * "points":[..]}]}]} */
json_t *cmp_unit_to_json(const cmp_doc_t *doc, const cmp_unit_t *u);

/* Look up article n (or "Annex IX") of document id and return cmp_unit_to_json of it in *out
 * (new reference). Returns 0, or GF_ENOTFOUND with err code "unknown_document" or
 * "unknown_article", or GF_EINVAL "invalid_argument" for NULL/empty arguments. */
int cmp_corpus_article_json(const cmp_corpus_t *c, const char *doc_id, const char *num,
                            json_t **out, gf_err_t *err);

#endif
