/*
 * fc_plan.c - the checks of a GET /v1/forecast before any history is read (see fc_plan.h).
 */
#include "fc_plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/util.h"

int fc_levels_parse(const char *txt, double *lev, size_t *n, gf_err_t *err)
{
    *n = 0;
    const char *p = txt;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !(v > 0 && v < 1) || (*end != ',' && *end != '\0') ||
            *n >= FC_Q_MAX_LEVELS) {
            gf_err_set(err, GF_EINVAL, "invalid_parameter",
                       "levels must be up to %d comma-separated quantile levels in (0,1), e.g. "
                       "0.05,0.95",
                       FC_Q_MAX_LEVELS);
            gf_err_add_field(err, "levels", "bad list");
            return GF_EINVAL;
        }
        lev[(*n)++] = v;
        p = *end ? end + 1 : end;
    }
    if (*n == 0) {
        gf_err_set(err, GF_EINVAL, "invalid_parameter", "levels is empty");
        gf_err_add_field(err, "levels", "empty");
        return GF_EINVAL;
    }
    return 0;
}

void fc_level_name(double lv, char *buf, size_t len)
{
    double pct = lv * 100;
    if (fabs(pct - round(pct)) < 1e-9) {
        snprintf(buf, len, "p%02d", (int)round(pct));
        return;
    }
    snprintf(buf, len, "p%g", pct);
    for (char *c = buf; *c; c++)
        if (*c == '.')
            *c = '_';
}

int fc_levels_resolve(const fc_quantiles_t *q, const double *lev, size_t n, int explicit,
                      const char *model, int64_t version, int *lidx, gf_err_t *err)
{
    for (size_t k = 0; k < n; k++) {
        lidx[k] = q ? fc_quantiles_level_index(q, lev[k]) : -1;
        if (lidx[k] < 0 && explicit) {
            char avail[256] = "";
            size_t used = 0;
            for (size_t i = 0; q && i < q->nlevels && used < sizeof avail - 16; i++)
                used += (size_t)snprintf(avail + used, sizeof avail - used, "%s%g", i ? "," : "",
                                         q->levels[i]);
            gf_err_set(err, GF_EUNPROCESSABLE, "unknown_level",
                       "level %g is not stored with %s@%lld; stored levels: %s", lev[k], model,
                       (long long)version,
                       q ? avail : "none (the model has no residual quantiles)");
            gf_err_add_field(err, "levels", "not stored");
            return GF_EUNPROCESSABLE;
        }
    }
    return 0;
}

int fc_plan_origin(int64_t first, int64_t last, double start, long horizon, int lookback_h,
                   const char *region, int64_t *origin, int *skip, gf_err_t *err)
{
    /* A start beyond the data is forecast from the hour after the data, dropping the hours in
     * between. */
    int64_t after = last + 3600;
    if (start < 0 || (int64_t)start >= after) {
        *origin = after;
        *skip = start < 0 ? 0 : (int)(((int64_t)start - after) / 3600);
        if (start >= 0 && (int64_t)start - after >= 168 * 3600LL) {
            char t1[40];
            gf_err_set(err, GF_EUNPROCESSABLE, "start_beyond_data",
                       "start is %lld hours after the last hour with data (%s); forecasts reach "
                       "at most 168 hours past the data",
                       (long long)(((int64_t)start - last) / 3600),
                       gf_time_format(last, t1, sizeof t1));
            gf_err_add_field(err, "start", "too far beyond the data");
            return GF_EUNPROCESSABLE;
        }
        if (*skip + horizon > 168) {
            gf_err_set(err, GF_EUNPROCESSABLE, "start_beyond_data",
                       "start is %d hours after the data ends, so at most %d hours can be "
                       "forecast from it (asked: %ld)",
                       *skip, 168 - *skip, horizon);
            gf_err_add_field(err, "horizon", "too long for this start");
            return GF_EUNPROCESSABLE;
        }
    } else {
        *origin = (int64_t)start;
        *skip = 0;
    }
    if (*origin - (int64_t)lookback_h * 3600 < first) {
        char t1[40], t2[40], t3[40];
        gf_err_set(err, GF_EUNPROCESSABLE, "insufficient_history",
                   "a forecast from %s needs %d hours of history before it (from %s) for the "
                   "model's lag and rolling features, but the data of %s begins at %s",
                   gf_time_format(*origin, t1, sizeof t1), lookback_h,
                   gf_time_format(*origin - (int64_t)lookback_h * 3600, t2, sizeof t2), region,
                   gf_time_format(first, t3, sizeof t3));
        gf_err_add_field(err, "start", "not enough history before it");
        return GF_EUNPROCESSABLE;
    }
    return 0;
}
