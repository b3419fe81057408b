/*
 * fc_plan.h - what a GET /v1/forecast asks for, checked against the model and the stored data
 * before any history is read: the quantile levels and the names of their point fields, which
 * of them the model stores, and the forecast origin (the requested start, or the hour after
 * the data) with the hours skipped to reach the start. Pure functions (h_forecast.c calls
 * them on the loop; tests/unit/forecast/test_fc_plan.c tests them).
 */
#ifndef FC_PLAN_H
#define FC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "fc_interval.h"

/* The `levels` query: up to FC_Q_MAX_LEVELS comma-separated levels in (0,1) into lev[], their
 * count in *n. 0, or GF_EINVAL "invalid_parameter" naming the field "levels" (bad list or
 * empty). */
int fc_levels_parse(const char *txt, double *lev, size_t *n, gf_err_t *err);

/* The point field of a level: 0.1 -> "p10", 0.05 -> "p05", 0.025 -> "p2_5". */
void fc_level_name(double lv, char *buf, size_t len);

/* lidx[k] = the column of lev[k] in the model's stored levels q (NULL: none stored), -1 when
 * not stored. With explicit (the client named the levels) a level not stored is
 * GF_EUNPROCESSABLE "unknown_level", the message listing the stored ones of model@version;
 * otherwise it is left out (-1). */
int fc_levels_resolve(const fc_quantiles_t *q, const double *lev, size_t n, int explicit,
                      const char *model, int64_t version, int *lidx, gf_err_t *err);

/* The origin of a forecast of `horizon` hours for data [first, last] (hour starts, epoch s)
 * from `start` (< 0: none given), whose features look `lookback_h` hours back: a start within
 * the data is the origin; none, or one after the data, forecasts from the hour after the data
 * and *skip the hours up to the start. GF_EUNPROCESSABLE "start_beyond_data" when the start is
 * 168 hours or more past the data or skip + horizon > 168 (field "start" or "horizon"),
 * "insufficient_history" when the data begins after origin - lookback (field "start"). */
int fc_plan_origin(int64_t first, int64_t last, double start, long horizon, int lookback_h,
                   const char *region, int64_t *origin, int *skip, gf_err_t *err);

#endif
