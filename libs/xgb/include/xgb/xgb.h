/*
 * xgb/xgb.h - what every user of the XGBoost 1.7 C API (Debian libxgboost-dev) shares: the one
 * error macro, the OpenMP wait-policy guard, and dense in-place prediction. The trainer
 * (trn_xgb.c: training, saving), the forecast (fc_xgb.c: loading, the reference prediction) and
 * the compliance reranker (rerank.c) build on it.
 *
 * Errors: every XGBoost call goes through GF_XGB_TRY, which on a non-zero return fills the
 * caller's gf_err_t with the call's text and XGBoost's message (GF_EINTERNAL "xgboost_error"),
 * sets rc and jumps to `fail`. Outputs of XGBoost live in its per-thread scratch memory: copy
 * them into caller-owned memory before the next XGBoost call.
 *
 * Threads: libgomp threads busy-wait by default (measured: training ran ~35x slower whenever
 * another process held a core, and a process that predicted once kept cores spinning).
 * libgomp reads OMP_WAIT_POLICY once, in its constructor, before main() runs, so a setenv()
 * in main comes too late: every binary that links XGBoost calls gf_xgb_passive_reexec() first
 * thing in main(), which re-executes the binary with OMP_WAIT_POLICY=passive.
 */
#ifndef GF_XGB_XGB_H
#define GF_XGB_XGB_H

#include <stddef.h>
#include <xgboost/c_api.h>

#include "core/err.h"

/* Run `call`; on non-zero set *err (a gf_err_t * in scope named err) to GF_EINTERNAL
 * "xgboost_error" with the call text and XGBoost's message, set rc, and goto fail.
 * Needs `int rc` and a `fail:` label in the enclosing function. */
#define GF_XGB_TRY(call)                                                                           \
    do {                                                                                           \
        if ((call) != 0) {                                                                         \
            rc = gf_err_set(err, GF_EINTERNAL, "xgboost_error", "%s: %s", #call,                   \
                            gf_xgb_last_error());                                                  \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

/* XGBGetLastError() with a fallback; borrowed, valid until the next XGB call on this thread. */
const char *gf_xgb_last_error(void);

/* When OMP_WAIT_POLICY is not set, set it to "passive" and execv() the binary (the resolved
 * /proc/self/exe) with argv. Returns only when no re-exec happened: 0 when the variable was
 * already set (an operator's explicit choice is kept), 1 when running under valgrind (a
 * re-exec would run the program outside the tool; callers keep nthread low there), -1 when
 * the re-exec failed (the process goes on, with spinning threads). */
int gf_xgb_passive_reexec(char **argv);

/* 1 when OMP_WAIT_POLICY=passive is in the environment. */
int gf_xgb_wait_policy_passive(void);

/* Prediction with XGBoosterPredictFromDense (missing = NaN, all trees, output transformed by
 * the objective, thread-safe): rows x cols floats row-major in, rows floats copied into out.
 * Fails GF_EINTERNAL "xgboost_error", or "xgboost_shape" when the output is not one value per
 * row. */
int gf_xgb_predict_dense(BoosterHandle b, const float *x, size_t rows, size_t cols, float *out,
                         gf_err_t *err);

#endif
