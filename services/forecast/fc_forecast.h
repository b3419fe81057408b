/*
 * fc_forecast.h - hourly forecasts from an origin with a loaded model: rows built by
 * libs/features (the trainer's code) from the region's history, the native evaluator, and
 * intervals from the version's residual quantiles. No HTTP, no Redis: the caller loads the
 * series (fc_series.h) and renders the result.
 *
 * Horizons. The model is trained for horizons 1..D from one origin (D = the rows of its
 * residual-quantile table, 24 for the trainer's day-ahead models; 24 when it has none).
 * Horizons up to D are DIRECT: one gf_feat_build from the origin, exactly the rows the trainer
 * fitted and scored. Beyond D the forecast is RECURSIVE, day block by day block: block c
 * (horizons c*D+1 .. (c+1)*D) is issued from origin + c*D hours on a copy of the history in
 * which the hours from the origin on hold the forecasts of the earlier blocks as pseudo-actuals
 * (temperature unknown there: NaN). Recursive points are flagged. Their intervals come from
 * the version's "recursive_by_lead" quantiles when it has a row for the lead (the trainer
 * scores the same recursion out of sample and calibrates each lead like the direct hours:
 * bound = point + q * the block's scale); a version without them (older ones) gets the direct
 * intervals widened by sqrt(c+1) around the point, an assumption rather than a calibration.
 *
 * Offset. `skip` hours are forecast but not returned: a caller whose data stops before the
 * requested start forecasts from the hour after the data and drops the first `skip` points.
 *
 * Ownership: fc_forecast_t is caller storage with fixed arrays (no allocation to free).
 */
#ifndef FC_FORECAST_H
#define FC_FORECAST_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "fc_model.h"
#include "features/features.h"

#define FC_FORECAST_MAX_H GF_FEAT_MAX_HORIZON

typedef struct fc_forecast {
    size_t n;       /* points returned (= horizon) */
    size_t nlevels; /* fc_model_quantiles(m)->nlevels, 0 without intervals */
    int direct_h;   /* D: horizons computed directly from the origin */
    int64_t ts[FC_FORECAST_MAX_H];
    double point[FC_FORECAST_MAX_H]; /* MW */
    double scale[FC_FORECAST_MAX_H]; /* normalisation scale of the point's block */
    unsigned char recursive[FC_FORECAST_MAX_H];
    double bound[FC_FORECAST_MAX_H][FC_Q_MAX_LEVELS]; /* MW at each stored level; NaN = none */
} fc_forecast_t;

/* Forecast hours origin + 3600*k for k = skip .. skip+horizon-1 (skip + horizon <= 168) from
 * series s (only hours < origin are read). m must have a feature spec (fc_model_feat_spec).
 * Returns 0, or GF_EINVAL "bad_horizon"/"bad_origin", GF_EUNPROCESSABLE "no_feature_spec" or
 * "insufficient_history" (from gf_feat_build: no demand in the 24 h before a block's origin). */
int fc_forecast_run(const fc_model_t *m, const gf_feat_series_t *s, int64_t origin, int skip,
                    int horizon, fc_forecast_t *out, gf_err_t *err);

#endif
