/*
 * fc_xgb.h - the forecast service's thin layer over the XGBoost 1.7 C API (Debian
 * libxgboost-dev): error capture, the OpenMP wait-policy guard, load-from-bytes, JSON dump and
 * a reference prediction used to prove the native evaluator equal at load time.
 *
 * Every XGBoost call goes through GF_XGB_TRY, which on non-zero fills a gf_err_t with the
 * call's text and XGBGetLastError() and jumps to `fail`. Outputs of XGBoost live in its
 * per-thread scratch memory: functions here copy them into caller-owned memory before the next
 * XGB call. Every BoosterHandle / DMatrixHandle is freed on every path.
 *
 * OpenMP: libgomp threads busy-wait by default (measured: a process that predicted once keeps
 * cores spinning). libgomp reads OMP_WAIT_POLICY once, in its constructor, before main() runs,
 * so setenv() in main is too late: fc_xgb_passive_reexec() re-executes the binary with
 * OMP_WAIT_POLICY=passive when it is not set. Call it first thing in main() of every binary
 * that links XGBoost (gf-forecast, fc-bench, the forecast unit tests). Boosters made here also
 * run with nthread=1 (FC_XGB_NTHREAD): XGBoost is only the reference at load time; serving uses
 * the native evaluator.
 */
#ifndef FC_XGB_H
#define FC_XGB_H

#include <stddef.h>
#include <stdint.h>
#include <xgboost/c_api.h>

#include "core/err.h"

#define FC_XGB_NTHREAD "1"

/* Run `call`; on non-zero set *err (a gf_err_t * in scope named err) to GF_EINTERNAL
 * "xgboost_error" with the call text and XGBoost's message, set rc, and goto fail.
 * Needs `int rc` and a `fail:` label in the enclosing function. */
#define GF_XGB_TRY(call)                                                                           \
    do {                                                                                           \
        if ((call) != 0) {                                                                         \
            rc = gf_err_set(err, GF_EINTERNAL, "xgboost_error", "%s: %s", #call,                  \
                            fc_xgb_last_error());                                                  \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

/* XGBGetLastError() with a fallback; borrowed, valid until the next XGB call on this thread. */
const char *fc_xgb_last_error(void);

/* If OMP_WAIT_POLICY is not "passive", set it and execv(/proc/self/exe, argv). Returns only
 * when no re-exec happened: 0 when the policy already was passive, 1 when running under
 * valgrind (re-exec would escape the tool; nthread=1 keeps that case quiet), -1 when execv
 * failed (the process goes on, with the default policy). */
int fc_xgb_passive_reexec(int argc, char **argv);

/* 1 when OMP_WAIT_POLICY=passive is in the environment. */
int fc_xgb_wait_policy_passive(void);

/* A booster loaded from model bytes (any format XGBoosterLoadModelFromBuffer accepts: JSON,
 * UBJSON, legacy binary) with nthread=1. Returns NULL with err set. Free with XGBoosterFree. */
BoosterHandle fc_xgb_load(const void *bytes, size_t len, gf_err_t *err);

/* The model as XGBoost's JSON: *out is a malloc'd NUL-terminated copy (caller frees). */
int fc_xgb_dump_json(BoosterHandle b, char **out, size_t *out_len, gf_err_t *err);

/* XGBoosterGetNumFeature. */
int fc_xgb_num_features(BoosterHandle b, size_t *out, gf_err_t *err);

/* Reference prediction with XGBoosterPredictFromDense (missing = NaN, all trees, output
 * transformed by the objective): rows x cols floats row-major in, rows floats copied into out.
 * Fails GF_EINTERNAL "xgboost_error" or "xgboost_shape" when the output is not one value per
 * row. */
int fc_xgb_predict_dense(BoosterHandle b, const float *x, size_t rows, size_t cols, float *out,
                         gf_err_t *err);

#endif
