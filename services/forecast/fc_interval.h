/*
 * fc_interval.h - prediction intervals from residual quantiles stored with a model version.
 *
 * The trainer stores, in the version's metrics JSON (or, failing that, its params JSON):
 *   "residual_quantiles": {
 *       "levels":     [0.1, 0.5, 0.9],            strictly increasing, each in (0,1)
 *       "by_horizon": [[-120.5, 3.2, 140.8],      row h-1 = quantiles of (actual - predicted)
 *                      [-150.0, 2.9, 171.3], ...] at horizon h, one value per level,
 *   }                                              non-decreasing along the row
 * in the model's OUTPUT units (scaled units when the spec normalises; the caller multiplies
 * point and bounds by the same scale). An optional "units" member must then say
 * "model_output" (services/trainer writes it). A row holding a null (no residuals at that
 * horizon) gives NaN bounds at that horizon: no interval, the point still stands. The object
 * may also sit under "metrics" (a whole training result stored as the metrics text).
 * The bound at level k for a point p at horizon h is p + by_horizon[h-1][k]; a horizon
 * beyond the table uses its last row. An optional "recursive_by_lead" (same row rules) holds
 * the quantiles of RECURSIVE forecasts (fc_forecast.h) at leads nh+1, nh+2, ..., each
 * residual in the units of its own block's scale. Because rows are non-decreasing, bounds come out
 * ordered (p10 <= p50 <= p90) for every point.
 *
 * Ownership: fc_quantiles_t is immutable once parsed, owned by whoever parsed it (the model).
 */
#ifndef FC_INTERVAL_H
#define FC_INTERVAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define FC_Q_MAX_LEVELS 16
#define FC_Q_MAX_HORIZON 8784

typedef struct fc_quantiles {
    size_t nlevels;
    double levels[FC_Q_MAX_LEVELS];
    size_t nh;   /* rows: horizons 1..nh */
    float *q;    /* nh x nlevels, row-major */
    size_t nrec; /* optional rows of recursive leads nh+1 .. nh+nrec (0 = none) */
    float *rec;  /* nrec x nlevels, row-major; NULL when nrec is 0 */
} fc_quantiles_t;

/* Parse a "residual_quantiles" object. Returns a new table (free with fc_quantiles_free) or
 * NULL with err GF_EUNPROCESSABLE "bad_residual_quantiles" saying what is wrong. */
fc_quantiles_t *fc_quantiles_parse(const json_t *rq, gf_err_t *err);

/* Look for "residual_quantiles" in metrics_json, then params_json (either may be NULL).
 * Returns 0 with *out NULL when neither has one, 0 with *out set, or an error from
 * fc_quantiles_parse / GF_EUNPROCESSABLE when a text is not JSON. */
int fc_quantiles_from_texts(const char *metrics_json, const char *params_json, fc_quantiles_t **out,
                            gf_err_t *err);

void fc_quantiles_free(fc_quantiles_t *q);

/* Index of `level` in the table (exact match within 1e-9), or -1. */
int fc_quantiles_level_index(const fc_quantiles_t *q, double level);

/* Bounds for n points: out[i * nlevels + k] = point[i] + q[h_i - 1][k] (last row when
 * h_i > nh); NaN at a horizon whose row had a null. Fails GF_EINVAL "bad_horizon" when some
 * horizon is < 1 (nothing written). */
int fc_quantiles_apply(const fc_quantiles_t *q, const float *point, const int32_t *horizon,
                       size_t n, float *out, gf_err_t *err);

#endif
