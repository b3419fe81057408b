/*
 * rerank.h - the learned reranker of the compliance engine: an XGBoost ranking model
 * (rank:pairwise) over features of the best candidate articles / annexes of a question.
 *
 * The features (CMP_RR_NFEAT, computed in answer.c, listed in README.md "Learned ranking")
 * describe one candidate unit: its BM25F scores, rank, proximity, how much of the question its
 * best passage and its title cover, matches that come only from expansions, kind (annex,
 * definitions, final provisions, amending article), status, named act / article, and the
 * question's own form. The model is trained on the train split by build/bin/cmp-train-rerank
 * (rounds and depth chosen on the dev split) and stored in services/compliance/model/; the
 * engine loads it at start and reorders its best CMP_RR_TOP candidates by the model's score.
 *
 * Prediction uses XGBoosterPredictFromDense with one thread; XGBoost's in-place prediction is
 * thread-safe, so any number of asks may score at once.
 */
#ifndef GF_COMPLIANCE_RERANK_H
#define GF_COMPLIANCE_RERANK_H

#include <stddef.h>

#include "core/err.h"

#define CMP_RR_NFEAT 19
#define CMP_RR_TOP 20

typedef struct cmp_reranker cmp_reranker_t;

/* Load a model saved by cmp_reranker_train (XGBoost JSON). NULL with err: GF_ENOTFOUND
 * "rerank_model_missing", GF_EINTERNAL "xgboost_error". */
cmp_reranker_t *cmp_reranker_load(const char *path, gf_err_t *err);
void cmp_reranker_free(cmp_reranker_t *r);

/* Score rows x[rows][CMP_RR_NFEAT] into out[rows] (higher = better). */
int cmp_reranker_score(const cmp_reranker_t *r, const float *x, size_t rows, float *out,
                       gf_err_t *err);

/* Train rank:pairwise on x[rows][CMP_RR_NFEAT] with relevance y[rows] and query groups
 * (group sizes, in row order) and save the model to path. */
int cmp_reranker_train(const float *x, const float *y, size_t rows, const unsigned *groups,
                       size_t n_groups, int rounds, int depth, double eta, const char *path,
                       gf_err_t *err);

#endif
