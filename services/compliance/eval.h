/*
 * eval.h - evaluation of the engine on a QA set in the dev-qa.jsonl format (used by the
 * unit test tests/unit/compliance/test_eval.c and by build/bin/cmp-bench).
 *
 * Line format (JSON Lines):
 *   answerable: {"id","question","expected_articles":["Article 8"|"Annex I"],"document",
 *                "answer_keywords":[...]}
 *   off-topic:  {"id","question","expected":"refuse"}
 *   near-domain:{"id","question","expected":"refuse_or_no_evidence","kind"?:"market_data"}
 *   language:   {"id","question","expected":"refuse_language"} (not English: must be refused as
 *               "unsupported_language")
 *
 * Split (held-out evaluation): a question's split follows its first expected article
 * (document + article), refusal questions their id: FNV-1a hash mod 10, 0-5 train, 6-7 dev,
 * 8-9 test. So every question on one article is in one split and no article is in both train
 * and test (checked by test_eval over all sets).
 * Metrics: recall@1/@5 and MRR@10 of the expected articles in the engine's article ranking
 * (retrieval, before the refusal decision), the same recall@5 counting refused questions as
 * misses, refusal rate per category, keyword recall of the extractive answers, latency.
 */
#ifndef GF_COMPLIANCE_EVAL_H
#define GF_COMPLIANCE_EVAL_H

#include <stdio.h>

#include "answer.h"

/* The question sets, relative to the repository root (all splits in each). */
#define CMP_EVAL_NSETS 3
extern const char *const CMP_EVAL_SETS[CMP_EVAL_NSETS];

typedef enum cmp_split {
    CMP_SPLIT_ALL = 0,
    CMP_SPLIT_TRAIN,
    CMP_SPLIT_DEV,
    CMP_SPLIT_TEST
} cmp_split_t;

typedef struct cmp_eval {
    int n_answerable, n_offtopic, n_near, n_lang;
    double recall1, recall5, mrr; /* answerable, retrieval ranking */
    double answered_recall5;      /* refused counts as a miss */
    int refused_answerable, refused_offtopic, refused_near;
    int refused_lang_right; /* other-language questions refused as unsupported_language */
    double keyword_recall;  /* share of answer_keywords found in the answers */
    double lat_p50_ms, lat_p99_ms, lat_max_ms;
} cmp_eval_t;

/* Run every question of the JSONL file at path. When log is not NULL, one line per question
 * (rank, refusal, reason) goes there. Returns 0, or GF_ENOTFOUND / GF_EINVAL with err set. */
int cmp_eval_run(const cmp_engine_t *e, const char *path, FILE *log, cmp_eval_t *out,
                 gf_err_t *err);
/* The same on one split only (CMP_SPLIT_ALL: every question). */
int cmp_eval_run_split(const cmp_engine_t *e, const char *path, cmp_split_t split, FILE *log,
                       cmp_eval_t *out, gf_err_t *err);

/* The split of one question line (parsed), see above. */
cmp_split_t cmp_eval_split_of(const json_t *q);
const char *cmp_split_name(cmp_split_t s);
/* "train" / "dev" / "test" / "all" → split; -1 when unknown. */
int cmp_split_parse(const char *s);

/* Add the figures of r into sum (counts add, rates are weighted by their question counts;
 * latency is left out). Start from a zeroed sum. */
void cmp_eval_merge(cmp_eval_t *sum, const cmp_eval_t *r);

/* Print the figures as a small table to f, titled name. */
void cmp_eval_print(const cmp_eval_t *r, const char *name, FILE *f);

#endif
