/*
 * fc_weather.h - a region's stored temperature as the forecast service reads it on its event
 * loop: observations (gf:tobs:{R}:YYYYMM) for the features' lookback and forecasts
 * (gf:tfc:{R}:YYYYMMDD) for the hours forecast, decoded with libs/features
 * (features/weather.h), the code the trainer's blocking reader uses, and put on the request's
 * series: observations replace the demand hash's temperature where both exist (as the trainer
 * does), forecasts become series.tfc, from which gf_feat_build takes, per target hour, the
 * latest issue strictly before the origin.
 *
 * Ownership: fc_wx_t is caller storage (zeroed), filled by the fills, freed by fc_wx_cleanup;
 * after fc_wx_apply the series borrows wx->t.fc until then.
 */
#ifndef FC_WEATHER_H
#define FC_WEATHER_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "features/features.h"
#include "features/weather.h"

typedef struct fc_wx {
    gf_feat_temp_t t; /* observations (unsorted until apply) and forecasts */
    size_t obs_cap;
    size_t n_bad; /* malformed entries skipped */
} fc_wx_t;

/* Keys to read for a forecast from `origin` over `hours` hours needing `lookback` hours of
 * history: the observation months of [origin - lookback h, origin) and the forecast days of
 * [origin - GF_FEAT_MAX_HORIZON h, origin + hours h), into keys[max][96]. Returns how many (<=
 * max). *n_obs gets how many of them (the first ones) are observation keys. */
size_t fc_wx_keys(const char *region, int64_t origin, int lookback, int hours, char (*keys)[96],
                  size_t max, size_t *n_obs);

/* One HGETALL reply of an observation key / a forecast key (malformed entries skipped and
 * counted). Returns the entries taken. */
size_t fc_wx_fill_obs(fc_wx_t *wx, const redisReply *r);
size_t fc_wx_fill_fc(fc_wx_t *wx, const redisReply *r);

/* Put what was read on s: observations onto s->temp (allocating it when needed), the
 * forecasts sorted into s->tfc. Returns 1 when s now has a temperature array. */
int fc_wx_apply(fc_wx_t *wx, gf_feat_series_t *s);

void fc_wx_cleanup(fc_wx_t *wx);

#endif
