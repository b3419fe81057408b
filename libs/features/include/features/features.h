/*
 * features/features.h - feature rows for hourly demand forecasting, the SAME code at training
 * (trainer) and serving (forecast) time.
 *
 * Vocabulary
 *   series   one region's hourly history as a struct of arrays on a regular UTC grid:
 *            hour i has stamp t0 + 3600*i (UTC hour start), demand MW and optional
 *            temperature degC; NaN where missing (never 0).
 *   origin   the forecast issue instant (a whole UTC hour). Data "known at the origin" are
 *            the hours with stamp < origin. Horizon h targets the hour with stamp
 *            origin + 3600*(h-1): an origin at 00:00Z with h = 1..24 forecasts that UTC day.
 *   spec     the ordered list of feature names plus parameters (time zone, country,
 *            normalisation, degree-hour bases) and a format version. Serialised as JSON and
 *            identified by a stable hash; a model is valid only with the spec it was trained on.
 *
 * No leakage, by construction: gf_feat_build() truncates the series to a view that ends at
 * the origin before computing anything, so no feature of any horizon can read an hour at or
 * after the origin (not even that hour's temperature: temperature features are lagged or
 * origin-anchored). Features that would need such data come out NaN. Missing inputs give NaN,
 * never 0; XGBoost treats NaN as missing.
 *
 * Normalisation ("normalize":"level24" in the spec): every demand-valued feature is divided
 * by the scale = mean demand of the 24 hours before the origin, and the model is trained on
 * demand/scale. gf_feat_build() returns that scale; prediction in MW = model output * scale.
 * With "none" the scale is 1. This keeps one model valid across level shifts and makes the
 * squared loss roughly a relative one.
 *
 * Feature names (N = a positive integer parameter, in hours unless said otherwise):
 *   calendar of the target hour, in the spec's time zone:
 *     horizon hour dow month doy weekend dst holiday bridge pre_holiday post_holiday
 *     xmas_week hour_sin hour_cos dow_sin dow_cos doy_sin doy_cos month_sin month_cos
 *     fourier_day_sin_N fourier_day_cos_N fourier_week_sin_N fourier_week_cos_N
 *     fourier_year_sin_N fourier_year_cos_N          (N = harmonic 1..12)
 *   demand (scaled), target-relative (NaN if not known at the origin):
 *     lag_N        demand at target - N h
 *     sh_mean_N    mean of demand at target - 24k h, k = 1..N, known ones only (same hour)
 *     sh_std_N     their standard deviation
 *     sw_mean_N    mean of demand at target - 168k h, k = 1..N (same hour of week)
 *   demand (scaled), anchored at the origin:
 *     last         demand of the last hour before the origin
 *     roll_mean_N roll_std_N roll_min_N roll_max_N   over the N hours before the origin
 *     ramp_N       last - demand N hours earlier
 *     level_diff_N mean of the last 24 h minus the mean of the 24 h ending N hours earlier
 *   scale          the normalisation scale itself in MW (absolute level; 1 with "none")
 *   temperature of the target hours, as known at the origin (degC; NaN when unknown):
 *     temp_fc      temperature of the target hour: the latest forecast issued before the
 *                  origin (series.tfc), or, with series.obs_as_forecast (training), the
 *                  observed value when no forecast covers it
 *     hdh_fc cdh_fc  heating / cooling degrees of temp_fc
 *     temp_fc_mean_N temp_fc_min_N temp_fc_max_N   over the N hours ending with the target
 *                  hour (N <= 168): hours before the origin read the observed temp[], hours
 *                  from the origin on read the forecast as temp_fc does
 *   temperature (degC, NaN when the series has none):
 *     temp_last    temperature of the last hour before the origin
 *     temp_lag_N   temperature at target - N h (NaN when not known at the origin)
 *     temp_mean_N temp_min_N temp_max_N   over the N hours before the origin
 *     hdh_N cdh_N  mean heating / cooling degree hours over the N hours before the origin
 *                  (max(0, base - T), max(0, T - base))
 *     hdh_lag_N cdh_lag_N  degree hours of the hour target - N h
 *
 * Thread-safety: a spec is immutable after creation; gf_feat_build() only reads the spec and
 * the series, so concurrent builds over one spec are safe.
 */
#ifndef GF_FEATURES_FEATURES_H
#define GF_FEATURES_FEATURES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Version of the spec format and of the feature definitions. Bump when a feature with an
 * existing name starts computing something different. */
#define GF_FEAT_SPEC_VERSION 1
/* Longest horizon a build accepts, in hours. */
#define GF_FEAT_MAX_HORIZON 168
/* Largest N a feature name accepts (one leap year of hours). */
#define GF_FEAT_MAX_PARAM 8784

/* ------------------------------------------------------------------ series */

/* One region's hourly series. Arrays hold n values; temp may be NULL. The struct does not
 * say who owns the arrays: gf_feat_series_alloc() makes an owning one (free with
 * gf_feat_series_cleanup), and callers may point it at their own arrays (a borrowed view). */
typedef struct gf_feat_series {
    int64_t t0;     /* UTC stamp of hour 0 (hour start), a multiple of 3600 */
    size_t n;       /* number of hours */
    double *demand; /* MW, NaN when missing */
    double *temp;   /* degC, NaN when missing; NULL when the region has no temperature */
    /* Temperature of the target hours (features temp_fc*, hdh_fc, cdh_fc), all optional: */
    const struct gf_feat_tfc *tfc; /* forecasts (features/weather.h, sorted; borrowed) */
    int64_t tfc_asof;              /* 0: forecasts issued before the origin; else before
                                    * min(origin, tfc_asof) (recursive blocks keep the real origin) */
    int obs_as_forecast;           /* training only: a target hour without a forecast takes the
                                    * observed temp[] of that hour (the "perfect forecast"); never set
                                    * when serving */
} gf_feat_series_t;

/* Allocate n hours from t0, all NaN (temp only when with_temp). Returns 0, or GF_EINVAL
 * ("bad_series") when t0 is not a whole hour. Free with gf_feat_series_cleanup. */
int gf_feat_series_alloc(gf_feat_series_t *s, int64_t t0, size_t n, int with_temp, gf_err_t *err);

/* Free the arrays of an owning series and zero it. NULL-safe. */
void gf_feat_series_cleanup(gf_feat_series_t *s);

/* Index of stamp t, or -1 when t is off the grid or outside [t0, t0 + 3600 n). */
long gf_feat_series_index(const gf_feat_series_t *s, int64_t t);

/* A borrowed view of the hours with stamp < origin (the data known at the origin). */
gf_feat_series_t gf_feat_series_until(const gf_feat_series_t *s, int64_t origin);

/* ------------------------------------------------------------------ spec */

typedef struct gf_feat_spec gf_feat_spec_t;

/* Blocks of the default spec: GF_FEAT_TEMP_PAST the lagged / origin-anchored temperature
 * columns (a series with temp[]), GF_FEAT_TEMP_TARGET the target-hour ones (temp_fc...). */
enum { GF_FEAT_TEMP_PAST = 1, GF_FEAT_TEMP_TARGET = 2 };

/* The default spec used by the trainer for `tz` (an IANA name); with_temp: 0 (no
 * temperature), or the GF_FEAT_TEMP_* blocks to add (1 = GF_FEAT_TEMP_PAST, as before).
 * Returns NULL with err set (e.g. "unknown_time_zone"). Caller frees. */
gf_feat_spec_t *gf_feat_spec_new_default(const char *tz, int with_temp, gf_err_t *err);

/* A spec from explicit parts. normalize is "none" or "level24"; country must be "US".
 * Returns NULL with err "bad_feature_spec" naming the bad feature or parameter. */
gf_feat_spec_t *gf_feat_spec_new(const char *tz, const char *country, const char *normalize,
                                 double heat_base_c, double cool_base_c, const char *const *names,
                                 size_t n_names, gf_err_t *err);

/* Parse the JSON form (see gf_feat_spec_to_json). Unknown fields are refused. Returns NULL
 * with err "bad_feature_spec" (GF_EINVAL) or "unsupported_spec_version" (GF_EUNPROCESSABLE),
 * or "unknown_time_zone". Caller frees. gf_feat_spec_loads takes the JSON text. */
gf_feat_spec_t *gf_feat_spec_parse(const json_t *j, gf_err_t *err);
gf_feat_spec_t *gf_feat_spec_loads(const char *text, size_t len, gf_err_t *err);

void gf_feat_spec_free(gf_feat_spec_t *spec);

/* New reference: {"version":1,"tz":"America/New_York","country":"US","normalize":"level24",
 * "heat_base_c":18,"cool_base_c":22,"features":["horizon","hour",...]}. Never NULL. */
json_t *gf_feat_spec_to_json(const gf_feat_spec_t *spec);

/* Compact JSON text with sorted keys (the canonical form the hash covers); caller free()s. */
char *gf_feat_spec_dumps(const gf_feat_spec_t *spec);

/* Stable hash of the canonical form: 16 lowercase hex chars (FNV-1a 64). Borrowed string,
 * lives as long as the spec. Same spec => same hash on every machine and run. */
const char *gf_feat_spec_hash(const gf_feat_spec_t *spec);

/* Number of columns, name of column i (borrowed; NULL when i is out of range). */
size_t gf_feat_spec_ncols(const gf_feat_spec_t *spec);
const char *gf_feat_spec_name(const gf_feat_spec_t *spec, size_t i);
/* Column index of `name`, or -1. */
long gf_feat_spec_find(const gf_feat_spec_t *spec, const char *name);

/* Time zone name (borrowed) and whether any feature reads temperature. */
const char *gf_feat_spec_tz(const gf_feat_spec_t *spec);
int gf_feat_spec_uses_temp(const gf_feat_spec_t *spec);
/* Whether any feature reads the target-hour temperature (temp_fc...): a caller then loads
 * the region's forecasts (features/weather.h) into series.tfc. */
int gf_feat_spec_uses_temp_fc(const gf_feat_spec_t *spec);

/* Hours of history before the origin that the longest feature reads for horizon <= max_h
 * (a serving caller loads at least this much). */
int gf_feat_spec_lookback(const gf_feat_spec_t *spec, int max_h);

/* ------------------------------------------------------------------ build */

/* Build the rows of horizons h_first..h_last (1 <= h_first <= h_last <= GF_FEAT_MAX_HORIZON)
 * from `origin` (a whole UTC hour). `out` receives (h_last - h_first + 1) rows of
 * gf_feat_spec_ncols() doubles, row-major, NaN where a value is unknown. *scale (may be
 * NULL) receives the normalisation scale: prediction MW = model output * scale.
 * Reads only hours with stamp < origin. Returns 0; GF_EINVAL "bad_origin"/"bad_horizon";
 * GF_EUNPROCESSABLE "insufficient_history" when normalisation needs a level and the 24 h
 * before the origin hold no demand at all (out is then all NaN, *scale NaN). */
int gf_feat_build(const gf_feat_spec_t *spec, const gf_feat_series_t *s, int64_t origin,
                  int h_first, int h_last, double *out, double *scale, gf_err_t *err);

#endif
