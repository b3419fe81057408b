/*
 * trn_weather.c - temperature for training (see trn_weather.h).
 */
#include "trn_weather.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "features/weather.h"

static gf_feat_tfc_t *own_tfc(trn_data_t *d)
{
    if (d->tfc == NULL)
        d->tfc = gf_xcalloc(1, sizeof *d->tfc);
    return d->tfc;
}

int trn_data_load_weather(trn_data_t *d, gf_rcluster_t *c, gf_err_t *err)
{
    gf_feat_series_t *s = &d->series;
    if (s->n == 0)
        return 0;
    int64_t to = s->t0 + 3600 * (int64_t)s->n, from = s->t0;
    if (to - from > GF_FEAT_TEMP_MAX_SPAN)
        from = to - GF_FEAT_TEMP_MAX_SPAN / 86400 * 86400;
    gf_feat_temp_t t;
    int rc = gf_feat_temp_load(c, d->region, from, to, 0, &t, err);
    if (rc != 0)
        return rc;
    gf_feat_series_put_temp(s, &t);
    if (t.fc.n > 0) {
        gf_feat_tfc_t *f = own_tfc(d);
        gf_feat_tfc_cleanup(f);
        *f = t.fc; /* hand the arrays over */
        memset(&t.fc, 0, sizeof t.fc);
        s->tfc = f;
        s->obs_as_forecast = 1;
        d->temp_target = 1;
    }
    gf_feat_temp_cleanup(&t);
    return 0;
}

int trn_temp_blocks(const trn_data_t *d)
{
    return (d->series.temp != NULL ? GF_FEAT_TEMP_PAST : 0) |
           (d->temp_target ? GF_FEAT_TEMP_TARGET : 0);
}

/* xorshift64* and Box-Muller: a fixed stream per seed, the same on every machine. */
static double unit_rand(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return (double)((*st * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static double gauss(uint64_t *st)
{
    double u = unit_rand(st), v = unit_rand(st);
    return sqrt(-2.0 * log(u > 1e-300 ? u : 1e-300)) * cos(2.0 * M_PI * v);
}

void trn_data_synthetic_forecasts(trn_data_t *d, double sigma_c, int issue_hour_utc, unsigned seed)
{
    gf_feat_series_t *s = &d->series;
    gf_feat_tfc_t *f = own_tfc(d);
    gf_feat_tfc_cleanup(f);
    uint64_t st = 0x9E3779B97F4A7C15ULL ^ seed;
    const double rho = 0.9, innov = sigma_c * sqrt(1.0 - rho * rho);
    int64_t day0 = s->t0 - ((s->t0 % 86400) + 86400) % 86400;
    for (int64_t day = day0; day < s->t0 + 3600 * (int64_t)s->n; day += 86400) {
        int64_t origin = day + 3600 * (int64_t)issue_hour_utc, issued = origin - 3600;
        double e = sigma_c * gauss(&st);
        for (int h = 0; h < 48; h++) {
            if (h > 0)
                e = rho * e + innov * gauss(&st);
            long k = gf_feat_series_index(s, origin + 3600 * (int64_t)h);
            if (k < 0 || s->temp == NULL || isnan(s->temp[k]))
                continue;
            gf_feat_tfc_push(f, origin + 3600 * (int64_t)h, issued,
                             round((s->temp[k] + e) * 100.0) / 100.0);
        }
    }
    gf_feat_tfc_sort(f);
    s->tfc = f;
    s->obs_as_forecast = 0;
    d->temp_target = 1;
}

void trn_data_observed_as_forecast(trn_data_t *d)
{
    d->series.obs_as_forecast = 1;
    d->temp_target = 1;
}
