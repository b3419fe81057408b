/*
 * fc_series.c - region history from Redis into a regular hourly grid (see fc_series.h).
 */
#include "fc_series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "features/demand.h"
#include "features/tz.h"

int fc_series_alloc(gf_feat_series_t *s, int64_t t0, size_t n, gf_err_t *err)
{
    return gf_feat_series_alloc(s, t0, n, 1, err);
}

size_t fc_series_fill(gf_feat_series_t *s, const redisReply *r, int *with_temp, size_t *bad)
{
    size_t n = 0;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return 0;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        int64_t t;
        double mw, temp;
        int wt;
        if (gf_feat_demand_entry_parse(r->element[i], r->element[i + 1], &t, &mw, &temp, &wt) !=
            0) {
            if (bad)
                (*bad)++;
            continue;
        }
        long k = gf_feat_series_index(s, t);
        if (k < 0)
            continue;
        s->demand[k] = mw;
        if (s->temp)
            s->temp[k] = temp;
        if (with_temp && wt)
            *with_temp = 1;
        n++;
    }
    return n;
}

void fc_series_drop_temp(gf_feat_series_t *s)
{
    free(s->temp);
    s->temp = NULL;
}

int fc_series_load_sync(gf_rcluster_t *c, const char *region, int64_t from, int64_t to,
                        gf_feat_series_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (from % 3600 || to % 3600) /* the grid needs whole hours; the reader checks the rest */
        return gf_err_set(err, GF_EINVAL, "bad_range", "bad hour range");
    gf_feat_demand_t h;
    int rc = gf_feat_demand_load(c, region, from, to, GF_FEAT_DEMAND_SKIP_BAD, &h, err);
    if (rc == 0 && !h.has_range)
        rc = gf_err_set(err, GF_ENOTFOUND, "unknown_region", "region '%s' has no demand data",
                        region);
    if (rc == 0)
        rc = fc_series_alloc(out, from, (size_t)((to - from) / 3600), err);
    for (size_t i = 0; rc == 0 && i < h.n; i++) {
        long k = gf_feat_series_index(out, h.hour[i]);
        if (k < 0)
            continue;
        out->demand[k] = h.demand_mw[i];
        out->temp[k] = h.temperature_c[i];
    }
    if (rc == 0 && !h.with_temp)
        fc_series_drop_temp(out);
    gf_feat_demand_cleanup(&h);
    return rc;
}

double fc_series_peak(const gf_feat_series_t *s, int64_t from, int64_t to)
{
    double peak = NAN;
    for (size_t i = 0; i < s->n; i++) {
        int64_t t = s->t0 + 3600 * (int64_t)i;
        if (t < from || t >= to || isnan(s->demand[i]))
            continue;
        if (isnan(peak) || s->demand[i] > peak)
            peak = s->demand[i];
    }
    return peak;
}
