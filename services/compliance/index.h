/*
 * index.h - in-memory BM25 index over paragraph-level passages of the corpus.
 *
 * A passage is one numbered paragraph of an article (or one point / a run of subparagraphs
 * of a long paragraph, see README.md "Passages"), one block of an annex, or one recital. Each
 * passage has two fields: the body, and a context field (article or annex title, plus the
 * paragraph's introductory words when a long paragraph was split into points). Ranking is
 * BM25F: tf = tf_body + title_weight * tf_context, body-length normalisation, Okapi
 * saturation, idf = ln(1 + (N - df + 0.5) / (df + 0.5)); then a proximity bonus for query
 * terms that occur close together, and a kind weight (recitals count less than articles).
 *
 * Lifecycle: cmp_index_new + cmp_index_add... + cmp_index_finish (or cmp_index_build for the
 * whole corpus), then read-only. After finish the index is immutable: cmp_index_search and all
 * getters may run concurrently from any number of threads (all per-query scratch is
 * allocated per call). The index borrows the corpus it was built from: free the index first.
 */
#ifndef GF_COMPLIANCE_INDEX_H
#define GF_COMPLIANCE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "corpus.h"
#include "text.h"

#define CMP_NOTERM UINT32_MAX

typedef enum cmp_psg_kind {
    CMP_PSG_ARTICLE = 0,
    CMP_PSG_ANNEX = 1,
    CMP_PSG_RECITAL = 2,
    CMP_PSG_OTHER = 3 /* hand-made passages (tests) */
} cmp_psg_kind_t;

/* Where a passage comes from; strings are borrowed from the corpus (or copied by add). */
typedef struct cmp_psg_meta {
    cmp_psg_kind_t kind;
    int doc;                     /* index into corpus->docs, -1 for none */
    int unit;                    /* article / annex / recital index in the document */
    int para;                    /* paragraph index in the unit, -1 for recitals */
    const char *unit_num;        /* "7", "IX", "12" */
    const char *para_num;        /* "1", "1.3", "Part 2" or "" */
    const char *point;           /* "(a)", "(36)" when the passage starts at a point, else "" */
    uint32_t item_from, item_to; /* the paragraph's items [from, to) in the passage */
} cmp_psg_meta_t;

typedef struct cmp_passage {
    cmp_psg_meta_t meta;
    char *text;     /* rendered passage text, owned by the index */
    char *ref;      /* "Article 7(1)(a)", "Annex IX, Part 1", "Recital (12)", owned */
    char *label;    /* "Article 7", "Annex IX", "Recital 12", owned */
    uint32_t *toks; /* body term ids by position (CMP_NOTERM for stop words), owned */
    uint32_t n_toks;
    uint32_t len; /* body length in (non-stop) terms */
    float weight; /* kind weight applied to the score */
} cmp_passage_t;

typedef struct cmp_index cmp_index_t;

/* Query term: an index term id, its weight (1 for question words, < 1 for expansions) and
 * its position in the question (for proximity; expansions share the position of what they
 * expand). */
typedef struct cmp_qterm {
    uint32_t id;
    float w;
    uint32_t qpos;
    int expansion;
} cmp_qterm_t;

typedef struct cmp_hit {
    uint32_t passage;
    float score; /* final score */
    float bm25;  /* BM25F part */
    float prox;  /* proximity bonus */
} cmp_hit_t;

typedef struct cmp_search_opts {
    int doc;       /* only this document index, or -1 */
    int boost_doc; /* multiply this document's scores by boost_doc_factor, or -1 */
    float boost_doc_factor;
    const char *boost_unit; /* "Article 7" style label to boost (explicit reference), or NULL */
    float boost_unit_factor;
    size_t rerank; /* candidates that get the proximity rerank (e.g. 100) */
} cmp_search_opts_t;

/* Ranking parameters (tuned on the dev + extra sets, see README.md). */
typedef struct cmp_bm25_params {
    float k1, b, title_weight, recital_weight, annex_weight, prox_weight;
} cmp_bm25_params_t;

extern const cmp_bm25_params_t CMP_BM25_DEFAULT;

/* Empty index to fill with cmp_index_add; NULL only if the stemmer cannot be created. */
cmp_index_t *cmp_index_new(const cmp_bm25_params_t *params);

/* Add one passage (body text, context text may be NULL). Strings in meta are copied. Returns
 * the passage id. Only before cmp_index_finish. */
uint32_t cmp_index_add(cmp_index_t *ix, const cmp_psg_meta_t *meta, const char *body,
                       const char *context, const char *ref, const char *label);

/* Freeze the index (postings, average lengths). Returns 0. */
int cmp_index_finish(cmp_index_t *ix);

/* Build the passage index of a whole corpus (borrowed, must outlive the index). Returns a new
 * index (free with cmp_index_free) or NULL with err set. */
cmp_index_t *cmp_index_build(const cmp_corpus_t *c, const cmp_bm25_params_t *params, gf_err_t *err);
void cmp_index_free(cmp_index_t *ix);

size_t cmp_index_n_passages(const cmp_index_t *ix);
const cmp_passage_t *cmp_index_passage(const cmp_index_t *ix, uint32_t id);
size_t cmp_index_n_terms(const cmp_index_t *ix);

/* Term id of an analysed (stemmed) term, or CMP_NOTERM. */
uint32_t cmp_index_term(const cmp_index_t *ix, const char *term);
const char *cmp_index_term_text(const cmp_index_t *ix, uint32_t id);
uint32_t cmp_index_df(const cmp_index_t *ix, uint32_t id);
float cmp_index_idf(const cmp_index_t *ix, uint32_t id);
/* idf a term would have with df = 0 (used for words the corpus does not have). */
float cmp_index_idf_max(const cmp_index_t *ix);
/* 1 when the term occurs in the passage body or context. */
int cmp_index_passage_has(const cmp_index_t *ix, uint32_t passage, uint32_t term);

/* Score all passages for the query terms; writes up to max_out hits, best first, into out and
 * returns how many. Thread-safe. Returns 0 for an empty query. */
size_t cmp_index_search(const cmp_index_t *ix, const cmp_qterm_t *q, size_t nq,
                        const cmp_search_opts_t *opts, cmp_hit_t *out, size_t max_out);

/* Convenience for tests and tools: analyse text with a private analyzer, search, return hits. */
size_t cmp_index_search_text(const cmp_index_t *ix, const char *text, cmp_hit_t *out,
                             size_t max_out);

#endif
