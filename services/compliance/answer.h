/*
 * answer.h - the compliance engine: corpus + index built once, then ask() → answer, citations,
 * confidence or a refusal. No HTTP here; the service's handlers call these functions.
 *
 * Ownership and threads: cmp_engine_new loads and indexes the corpus (well under 1 s) and the
 * engine is immutable afterwards; cmp_ask may be called from any number of threads at once
 * (each call allocates its own scratch and its own stemmer). A cmp_answer_t is caller
 * storage: cmp_ask fills it, cmp_answer_cleanup frees what it holds. Citation strings point
 * into the engine (valid while the engine lives) except `text`, which the answer owns.
 *
 * Answering: the question is validated, analysed (stop words, Snowball stems, numbers and
 * units), expanded with the energy-law synonym table (operator words → the words of the
 * acts), scored with BM25F + proximity, and passages are grouped by article. The answer is
 * extractive: the best-supported sentences of the top passages, each followed by its
 * citation id "[P1]". Amendments found in the corpus (2018/1999 Art. 54, 2019/944 Art. 70
 * amend the EED) are added as notes and citations when a cited EED article is affected.
 * A question is refused (refused=1, answer NULL, no citations) with a reason code:
 *   "off_topic"      nothing in the question belongs to energy law and nothing matches;
 *   "no_evidence"    energy-related, but the best passage covers too little of the question;
 *   "not_in_corpus"  the question is about an act the corpus does not hold (e.g. 2023/1791).
 * Thresholds were calibrated on the dev and extra sets (README.md, "Refusal").
 */
#ifndef GF_COMPLIANCE_ANSWER_H
#define GF_COMPLIANCE_ANSWER_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"
#include "amend.h"
#include "corpus.h"
#include "index.h"
#include "rerank.h"

#define CMP_QUESTION_MAX 10240 /* bytes */
#define CMP_TOPK_DEFAULT 5
#define CMP_TOPK_MAX 20

typedef struct cmp_engine cmp_engine_t;

#define CMP_RF_NFEAT 8

/* Load <dir>/<CELEX>.txt and build the index. Returns a new engine (free with
 * cmp_engine_free) or NULL with err set (GF_ENOTFOUND "corpus_missing", GF_EINVAL
 * "corpus_parse", GF_EINTERNAL). */
cmp_engine_t *cmp_engine_new(const char *corpus_dir, gf_err_t *err);
void cmp_engine_free(cmp_engine_t *e);

/* Variants for ablation measurements (cmp-bench -a); the service uses cmp_engine_new. */
/* WordNet dict directory used by cmp_engine_new (Debian's wordnet-base). */
#define CMP_WORDNET_DIR "/usr/share/wordnet"

typedef struct cmp_engine_opts {
    const cmp_bm25_params_t *bm25; /* NULL: CMP_BM25_DEFAULT */
    int no_synonyms;               /* skip the synonym table and the definition intent */
    const char *wordnet_dir;       /* NULL: CMP_WORDNET_DIR; "" = no WordNet */
    const char *rerank_model;      /* NULL: <corpus_dir>/../model/rerank.json; "" = none */
    const char *refusal_model;     /* NULL: <corpus_dir>/../model/refusal.json; "" = none */
} cmp_engine_opts_t;
cmp_engine_t *cmp_engine_new_opts(const char *corpus_dir, const cmp_engine_opts_t *o,
                                  gf_err_t *err);

/* Borrowed views of the engine's corpus and index; the browse API takes the corpus. */
const cmp_corpus_t *cmp_engine_corpus(const cmp_engine_t *e);
/* 1 when the WordNet lexicon was loaded (query expansion, language check); when its files
 * are missing the engine runs without it. */
int cmp_engine_wordnet(const cmp_engine_t *e);
/* 1 when the learned reranker (rerank.h) was loaded; without its model file the engine
 * ranks by BM25F + proximity alone. */
int cmp_engine_reranker(const cmp_engine_t *e);
/* 1 when the calibrated refusal model was loaded (else the fixed score/coverage rule). */
int cmp_engine_refusal_model(const cmp_engine_t *e);

/* The refusal model: logistic regression on standardised features, refuse when p >=
 * threshold. Written by cmp-train-refusal as JSON {"mean":[..],"sd":[..],"w":[..],"b",
 * "threshold"}. */
typedef struct cmp_refusal_model {
    double mean[CMP_RF_NFEAT], sd[CMP_RF_NFEAT], w[CMP_RF_NFEAT], b, threshold;
} cmp_refusal_model_t;
int cmp_refusal_model_load(const char *path, cmp_refusal_model_t *m, gf_err_t *err);
int cmp_refusal_model_save(const char *path, const cmp_refusal_model_t *m, gf_err_t *err);
double cmp_refusal_model_p(const cmp_refusal_model_t *m, const double *x);
/* The amendment table parsed from the corpus (borrowed; see amend.h). */
const cmp_amendments_t *cmp_engine_amendments(const cmp_engine_t *e);
const cmp_index_t *cmp_engine_index(const cmp_engine_t *e);
/* Wall time of cmp_engine_new's load + index build, in seconds. */
double cmp_engine_build_seconds(const cmp_engine_t *e);

typedef struct cmp_ask_opts {
    int top_k;            /* citations wanted, 1..CMP_TOPK_MAX; 0 = CMP_TOPK_DEFAULT */
    const char *document; /* restrict to one act (CELEX, "2019/944", "EED"), or NULL */
    int features;         /* fill cand_* of the answer (reranker training) */
} cmp_ask_opts_t;

typedef struct cmp_citation {
    int id;                /* 1-based; the answer cites it as "[P<id>]" */
    uint32_t passage;      /* index passage id */
    const char *document;  /* CELEX, e.g. "32012L0027" */
    const char *doc_name;  /* "Directive 2012/27/EU" */
    const char *article;   /* "Article 7", "Annex IX", "Recital 12" */
    const char *paragraph; /* "1", "1.3", "Part 2" or NULL */
    const char *point;     /* "(a)", "(36)" or NULL */
    const char *ref;       /* "Article 7(1)(a)" */
    const char *title;     /* article / annex title ("" for recitals) */
    const char *text;      /* the passage text as it stands (amendments applied) */
    const char *enacted;   /* the text as enacted when amendments changed it, else NULL */
    double score;
    int amendment;           /* 1 when added because it amends another cited article */
    int status;              /* cmp_status_t of the passage: in force, amended, deleted */
    const char *status_by;   /* "Article 54(4) of Regulation (EU) 2018/1999" or NULL */
    const char *status_from; /* "1 January 2021" or NULL (the amending act's entry into force) */
} cmp_citation_t;

/* One query expansion, for the debug output: which question word brought which index term,
 * at which weight, from which source ("synonyms.h", "wordnet:synonym", "wordnet:hypernym",
 * "definition-intent"). */
typedef struct cmp_expansion {
    char word[32];
    char term[32];
    float w;
    const char *source;
} cmp_expansion_t;

typedef struct cmp_answer {
    char *answer; /* extractive answer with [P<n>] markers; NULL when refused */
    cmp_citation_t *citations;
    size_t n_citations;
    double confidence; /* 0..1 */
    int refused;
    const char *reason;   /* NULL, "off_topic", "no_evidence", "not_in_corpus" (static) */
    char *reason_message; /* human explanation of the refusal, or NULL */
    char **notes;         /* amendment notes, owned */
    size_t n_notes;
    /* retrieval diagnostics (for evaluation and logs) */
    double top_score, coverage;
    double english; /* share of the question's words that are English */
    cmp_expansion_t *expansions;
    size_t n_expansions;
    /* with opts.features: the candidates before reranking, "32012L0027 Article 8" each, and
     * their features (n_cand x CMP_RR_NFEAT), owned */
    char **cand_units;
    float *cand_x;
    size_t n_cand;
    /* the refusal decision's features (README "Refusal"), set when retrieval found passages,
     * and the refusal model's probability that the question should be refused (-1: no model) */
    double refusal_x[CMP_RF_NFEAT];
    int has_refusal_x;
    double refusal_p;
    char **ranked_units; /* "32012L0027 Article 7" best first (articles and annexes), owned */
    size_t n_ranked_units;
} cmp_answer_t;

/* Answer a question (q[0..len), need not be NUL-terminated). Fills *out (caller storage;
 * call cmp_answer_cleanup afterwards, also after an error). Returns 0 (a refusal is a
 * successful answer with refused=1), or GF_EINVAL with err code "empty_question",
 * "question_too_long" (> CMP_QUESTION_MAX bytes), "invalid_utf8" or "invalid_top_k", or
 * GF_ENOTFOUND "unknown_document" for an unknown document filter. Thread-safe. */
int cmp_ask(const cmp_engine_t *e, const char *q, size_t len, const cmp_ask_opts_t *opts,
            cmp_answer_t *out, gf_err_t *err);

void cmp_answer_cleanup(cmp_answer_t *a);

/* New reference: {"answer": str|null, "citations":[{"id":"P1","document","celex",
 * "document_name","article","paragraph","point","ref","title","text","score","amendment",
 * "status","status_by","status_from","text_as_enacted"?}],
 * "confidence", "refused", "reason": str|null, "reason_message": str|null, "notes":[...]}. */
json_t *cmp_answer_to_json(const cmp_answer_t *a);

#endif
