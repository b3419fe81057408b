/*
 * trn_weather.h - temperature for training: the region's stored observations and forecasts
 * (libs/features features/weather.h) put on a trn_data_t, and the feature blocks that follow.
 *
 * Rules (the same features the forecast service builds, from the same library):
 *   - observations (gf:tobs:{R}) replace the demand hash's temperature where both exist;
 *   - a region with stored forecasts gets the target-hour columns (temp_fc, hdh_fc, cdh_fc,
 *     temp_fc_{mean,min,max}_24): for a target hour, the latest forecast issued before the
 *     training origin; a target hour no stored forecast covers takes its observed value
 *     (series.obs_as_forecast: the usual "perfect forecast" training where no archive of past
 *     forecasts exists; the back-test figures of such hours are optimistic, see README);
 *   - a region without stored forecasts keeps today's spec (the lagged temperature block when
 *     it has temperatures, none otherwise): same model as before.
 */
#ifndef GF_TRAINER_TRN_WEATHER_H
#define GF_TRAINER_TRN_WEATHER_H

#include <hiredis/hiredis.h>

#include "core/err.h"
#include "trn_data.h"

/* After trn_data_load_redis: read the region's temperature over the series' hours (the last
 * 5 years of them at most) with gf_feat_temp_load and apply the rules above. Returns 0, or
 * the reader's error (GF_EUNAVAIL "redis_unavailable"/"redis_error", GF_EINTERNAL
 * "bad_stored_value", ...). */
int trn_data_load_weather(trn_data_t *d, gf_rcluster_t *c, gf_err_t *err);

/* The temperature blocks of the default spec for d (GF_FEAT_TEMP_* of features.h). */
int trn_temp_blocks(const trn_data_t *d);

/* Benchmarks: forecasts made from the observed temperature with a known error, one issue a
 * day at issue_hour_utc - 1 h covering the next 48 hours (every target hour reads it), the
 * error an AR(1) path per issue (rho 0.9 per hour, standard deviation sigma_c, seeded, the
 * same on every run); sigma_c = 0 stores the observations themselves. Marks d for the
 * target-hour columns; obs_as_forecast stays off. */
void trn_data_synthetic_forecasts(trn_data_t *d, double sigma_c, int issue_hour_utc, unsigned seed);

/* Benchmarks: the target-hour columns from the observed temperature of each target hour
 * (obs_as_forecast on, no forecasts): the perfect-forecast bound. */
void trn_data_observed_as_forecast(trn_data_t *d);

#endif
