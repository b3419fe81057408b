/*
 * fc_weather.c - stored temperature for a forecast request (see fc_weather.h).
 */
#include "fc_weather.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

size_t fc_wx_keys(const char *region, int64_t origin, int lookback, int hours, char (*keys)[96],
                  size_t max, size_t *n_obs)
{
    size_t n = 0;
    int64_t from = origin - 3600 * (int64_t)(lookback > 0 ? lookback : 0);
    from -= ((from % 86400) + 86400) % 86400; /* the UTC day of from */
    /* observation months: one key per month the days of [from, origin) touch */
    for (int64_t d = from; d < origin && n < max; d += 86400) {
        char k[96];
        gf_feat_tobs_key(k, sizeof k, region, d);
        if (n == 0 || strcmp(keys[n - 1], k) != 0)
            memcpy(keys[n++], k, sizeof k);
    }
    *n_obs = n;
    /* forecast days: the target-hour windows reach at most GF_FEAT_MAX_HORIZON hours back */
    int64_t ffrom = origin - 3600LL * GF_FEAT_MAX_HORIZON;
    ffrom -= ((ffrom % 86400) + 86400) % 86400;
    for (int64_t d = ffrom; d < origin + 3600 * (int64_t)hours && n < max; d += 86400)
        gf_feat_tfc_key(keys[n++], 96, region, d);
    return n;
}

size_t fc_wx_fill_obs(fc_wx_t *wx, const redisReply *r)
{
    size_t got = 0;
    for (size_t k = 0; r && r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2) {
        int64_t h;
        double t;
        if (gf_feat_tobs_entry_parse(r->element[k], r->element[k + 1], &h, &t) != 0) {
            wx->n_bad++;
            continue;
        }
        if (wx->t.n == wx->obs_cap) {
            wx->obs_cap = wx->obs_cap ? wx->obs_cap * 2 : 256;
            wx->t.hour = gf_xrealloc(wx->t.hour, wx->obs_cap * sizeof *wx->t.hour);
            wx->t.temp_c = gf_xrealloc(wx->t.temp_c, wx->obs_cap * sizeof *wx->t.temp_c);
        }
        wx->t.hour[wx->t.n] = h;
        wx->t.temp_c[wx->t.n++] = t;
        got++;
    }
    return got;
}

size_t fc_wx_fill_fc(fc_wx_t *wx, const redisReply *r)
{
    size_t got = 0;
    for (size_t k = 0; r && r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2) {
        int64_t h, iss;
        double t;
        if (gf_feat_tfc_entry_parse(r->element[k], r->element[k + 1], &h, &iss, &t) != 0) {
            wx->n_bad++;
            continue;
        }
        gf_feat_tfc_push(&wx->t.fc, h, iss, t);
        got++;
    }
    return got;
}

int fc_wx_apply(fc_wx_t *wx, gf_feat_series_t *s)
{
    gf_feat_series_put_temp(s, &wx->t);
    gf_feat_tfc_sort(&wx->t.fc);
    s->tfc = wx->t.fc.n > 0 ? &wx->t.fc : NULL;
    s->tfc_asof = 0;
    s->obs_as_forecast = 0; /* serving: never the observed value of a target hour */
    return s->temp != NULL;
}

void fc_wx_cleanup(fc_wx_t *wx)
{
    gf_feat_temp_cleanup(&wx->t);
    memset(wx, 0, sizeof *wx);
}
