/*
 * fc_xgb.h - the forecast service's thin layer over the XGBoost 1.7 C API (Debian
 * libxgboost-dev): load-from-bytes, JSON dump, feature count. The error macro (GF_XGB_TRY), the
 * OpenMP wait-policy guard and the reference prediction (gf_xgb_predict_dense, used to prove
 * the native evaluator equal at load time) are libs/xgb's (xgb/xgb.h).
 *
 * Outputs of XGBoost live in its per-thread scratch memory: functions here copy them into
 * caller-owned memory before the next XGB call. Every BoosterHandle is freed on every path.
 *
 * gf_xgb_passive_reexec() is called first thing in main() of every binary that links XGBoost
 * (gf-forecast, fc-bench, the forecast unit tests). Boosters made here also run with nthread=1
 * (FC_XGB_NTHREAD): XGBoost is only the reference at load time; serving uses the native
 * evaluator.
 */
#ifndef FC_XGB_H
#define FC_XGB_H

#include <stddef.h>
#include <stdint.h>
#include <xgboost/c_api.h>

#include "core/err.h"
#include "xgb/xgb.h"

#define FC_XGB_NTHREAD "1"

/* A booster loaded from model bytes (any format XGBoosterLoadModelFromBuffer accepts: JSON,
 * UBJSON, legacy binary) with nthread=1. Returns NULL with err set. Free with XGBoosterFree. */
BoosterHandle fc_xgb_load(const void *bytes, size_t len, gf_err_t *err);

/* The model as XGBoost's JSON: *out is a malloc'd NUL-terminated copy (caller frees). */
int fc_xgb_dump_json(BoosterHandle b, char **out, size_t *out_len, gf_err_t *err);

/* XGBoosterGetNumFeature. */
int fc_xgb_num_features(BoosterHandle b, size_t *out, gf_err_t *err);

#endif
