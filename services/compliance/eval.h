/*
 * eval.h - evaluation of the engine on a QA set in the dev-qa.jsonl format (used by the
 * unit test tests/unit/compliance/test_eval.c and by build/bin/cmp-bench).
 *
 * Line format (JSON Lines):
 *   answerable: {"id","question","expected_articles":["Article 8"|"Annex I"],"document",
 *                "answer_keywords":[...]}
 *   off-topic:  {"id","question","expected":"refuse"}
 *   near-domain:{"id","question","expected":"refuse_or_no_evidence"}
 * Metrics: recall@1/@5 and MRR@10 of the expected articles in the engine's article ranking
 * (retrieval, before the refusal decision), the same recall@5 counting refused questions as
 * misses, refusal rate per category, keyword recall of the extractive answers, latency.
 */
#ifndef GF_COMPLIANCE_EVAL_H
#define GF_COMPLIANCE_EVAL_H

#include <stdio.h>

#include "answer.h"

typedef struct cmp_eval {
    int n_answerable, n_offtopic, n_near;
    double recall1, recall5, mrr;     /* answerable, retrieval ranking */
    double answered_recall5;          /* refused counts as a miss */
    int refused_answerable, refused_offtopic, refused_near;
    double keyword_recall;            /* share of answer_keywords found in the answers */
    double lat_p50_ms, lat_p99_ms, lat_max_ms;
} cmp_eval_t;

/* Run every question of the JSONL file at path. When log is not NULL, one line per question
 * (rank, refusal, reason) goes there. Returns 0, or GF_ENOTFOUND / GF_EINVAL with err set. */
int cmp_eval_run(const cmp_engine_t *e, const char *path, FILE *log, cmp_eval_t *out,
                 gf_err_t *err);

/* Print the figures as a small table to f, titled name. */
void cmp_eval_print(const cmp_eval_t *r, const char *name, FILE *f);

#endif
