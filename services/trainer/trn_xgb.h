/*
 * trn_xgb.h - the XGBoost 1.7 C API as the trainer uses it: dense float matrices, boosting
 * with early stopping on a validation set, prediction, slicing and saving to a buffer.
 *
 * Every call goes through GF_XGB_TRY (libs/xgb, xgb/xgb.h), which on failure fills the
 * caller's gf_err_t with the call text and XGBoost's message, sets rc and jumps to the
 * function's `fail:` label; every DMatrix and Booster handle is freed on every path.
 *
 * Threads: every binary linking XGBoost calls gf_xgb_passive_reexec() (xgb/xgb.h) first thing
 * in main(): libgomp's default spinning made training ~35x slower whenever another process
 * held a core. Callers that cannot re-exec must export OMP_WAIT_POLICY=passive.
 */
#ifndef GF_TRAINER_TRN_XGB_H
#define GF_TRAINER_TRN_XGB_H

#include <jansson.h>
#include <stddef.h>
#include <xgboost/c_api.h>

#include "core/err.h"
#include "xgb/xgb.h"

/* A dense row-major float matrix with one target per row, grown by trn_matrix_push. */
typedef struct trn_matrix {
    float *x; /* nrow * ncol, NaN = missing */
    float *y; /* nrow targets */
    float *w; /* nrow sample weights, or NULL (all 1): see trn_matrix_push_w */
    size_t nrow, ncol, cap;
} trn_matrix_t;

void trn_matrix_init(trn_matrix_t *m, size_t ncol);
/* Append one row (doubles converted to float) and its target; aborts on out-of-memory. */
void trn_matrix_push(trn_matrix_t *m, const double *row, double y);
/* trn_matrix_push with a sample weight (XGBoost's "weight"); a matrix takes weights either
 * for every row or for none. */
void trn_matrix_push_w(trn_matrix_t *m, const double *row, double y, double w);
void trn_matrix_cleanup(trn_matrix_t *m);

/* Booster parameters (XGBoost names). */
typedef struct trn_xgb_params {
    int max_depth;
    double eta, min_child_weight, subsample, colsample_bytree, lambda, alpha, gamma;
    const char *objective; /* "reg:squarederror", "reg:absoluteerror", "reg:pseudohubererror" */
    int max_rounds;        /* upper bound on boosting rounds */
    int nthread;
    int seed;
} trn_xgb_params_t;

/* Defaults: depth 6, eta 0.05, mcw 5, subsample 0.8, colsample 0.8, lambda 1, squared
 * error, 2000 rounds, nthread from trn_default_nthread(). */
void trn_xgb_params_default(trn_xgb_params_t *p);

/* New reference {"max_depth":…,…}. */
json_t *trn_xgb_params_to_json(const trn_xgb_params_t *p);

/* Boost on `train`. With val != NULL, evaluate MAE on val each round and stop after
 * `patience` rounds without improvement; *best_rounds / *best_score get the best round count
 * and its validation MAE, and the returned booster is sliced to best_rounds. Without val,
 * exactly p->max_rounds rounds. *out is a new booster (XGBoosterFree). 0 or GF_E*. */
int trn_xgb_fit(const trn_matrix_t *train, const trn_matrix_t *val, const trn_xgb_params_t *p,
                int patience, BoosterHandle *out, int *best_rounds, double *best_score,
                gf_err_t *err);

/* Called after every boosting round with the rounds done so far and the upper bound; a
 * non-zero return stops the fit, which then fails with GF_EUNAVAIL "cancelled". */
typedef int (*trn_round_fn)(void *arg, int round, int max_rounds);

/* trn_xgb_fit with a per-round hook (hook may be NULL). */
int trn_xgb_fit_hook(const trn_matrix_t *train, const trn_matrix_t *val, const trn_xgb_params_t *p,
                     int patience, trn_round_fn hook, void *hook_arg, BoosterHandle *out,
                     int *best_rounds, double *best_score, gf_err_t *err);

/* Predict nrow rows of x (ncol floats each) into out (doubles, copied out of XGBoost's
 * scratch memory). 0 or GF_E*. */
int trn_xgb_predict(BoosterHandle b, const float *x, size_t nrow, size_t ncol, double *out,
                    gf_err_t *err);

/* Serialise the model: format "ubj" (binary UBJSON) or "json". *buf is malloc'ed; caller
 * frees. 0 or GF_E*. */
int trn_xgb_save(BoosterHandle b, const char *format, unsigned char **buf, size_t *len,
                 gf_err_t *err);

/* Load a model saved by trn_xgb_save into a new booster (caller frees). 0 or GF_E*. */
int trn_xgb_load(const unsigned char *buf, size_t len, BoosterHandle *out, gf_err_t *err);

/* Cores that look free: online CPUs minus the 1-minute load average (rounded), at least 1. */
int trn_default_nthread(void);

#endif
