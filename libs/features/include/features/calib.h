/*
 * features/calib.h - split-conformal prediction intervals from out-of-sample residuals, by
 * forecast horizon: the one calibration used by the trainer (stored models) and fc-seed.
 *
 * Input: n residuals r_i = actual - forecast (any unit; the trainer uses model output units,
 * demand / scale) with their horizon h_i in 1..H, all from forecasts issued BEFORE the hour
 * they forecast by a model that never saw that hour (a validation window, a backtest).
 * For horizon h the residuals of horizons h-pool .. h+pool (clamped to 1..H) are pooled: the
 * day-ahead error of neighbouring hours is alike, and 2*pool+1 times the residuals make the
 * tail quantiles far steadier than one horizon's few dozen days.
 *
 * Levels below 0.5 take the k-th smallest pooled residual with k = floor(level * (n + 1)),
 * levels above 0.5 the k-th with k = ceil(level * (n + 1)) (clamped to 1..n), 0.5 the
 * linear median: the split-conformal ranks, so that under exchangeability a new residual
 * falls in [q_lo, q_hi] with probability at least hi - lo (plain empirical quantiles of n
 * points cover about (hi - lo)(n - 1)/(n + 1), and less when the tails are sparse).
 * A horizon with fewer than min_n pooled residuals gets NaN at every level (no interval).
 */
#ifndef GF_FEATURES_CALIB_H
#define GF_FEATURES_CALIB_H

#include <stddef.h>

/* Residual quantiles: out[(h-1) * nl + k] for h = 1..H, levels[k] strictly increasing in
 * (0,1). NaN residuals and horizons outside 1..H are ignored. Returns the smallest pooled
 * count over the horizons. Can't fail (allocation aborts through the kit). */
size_t gf_feat_calib_quantiles(const double *res, const int *hz, size_t n, int H, int pool,
                               const double *levels, size_t nl, size_t min_n, double *out);

/* Empirical check of a quantile table on other residuals: the share of (res_i, hz_i) with
 * q_lo <= res_i <= q_hi at levels lo_k and hi_k of table q (H x nl, as above), and the mean
 * q_hi - q_lo (times scale_i when scale is not NULL: MW for the trainer). Residuals that are
 * NaN, outside 1..H or at a horizon without quantiles are not counted. Returns the count. */
size_t gf_feat_calib_coverage(const double *q, int H, size_t nl, size_t lo_k, size_t hi_k,
                              const double *res, const int *hz, const double *scale, size_t n,
                              double *coverage, double *mean_width);

#endif
