/*
 * features/weather.h - hourly temperature of a region: observations and forecasts, their
 * Redis key contract (CONTRIBUTING.md), the stored syntax, the one blocking reader, and the
 * rule that picks the forecast "known at an origin".
 *
 *   gf:tobs:{R}:YYYYMM    hash  field = UTC hour start (epoch s, decimal); value = degC
 *   gf:tfc:{R}:YYYYMMDD   hash  field = "<target hour>:<issued>" (epoch s, decimal; the day
 *                               of the key is the UTC day of the target hour); value = degC
 *   gf:temp:{R}           hash  obs_rows obs_first obs_last fc_rows fc_first fc_last
 *                               fc_issued_first fc_issued_last (counts of distinct fields,
 *                               UTC hour starts / issue instants)
 *
 * Every key of a region carries the hash tag {R}, the tag of gf:demand:{R}:*, so one write
 * script touches one slot. Values are degrees Celsius, written with up to two decimals.
 *
 * Forecast known at an origin: for target hour t, the forecast value of the issue with the
 * largest issue instant strictly before the origin (gf_feat_tfc_at). A forecast issued at or
 * after the origin is never used, whatever its target.
 *
 * Ownership: gf_feat_tfc_t and gf_feat_temp_t are caller storage (zero them first), filled by
 * push/load and freed by their cleanup. The handle (core/rcluster.h: one Redis or a Redis
 * Cluster) is the caller's and stays usable after a failure.
 */
#ifndef GF_FEATURES_WEATHER_H
#define GF_FEATURES_WEATHER_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rcluster.h"

/* Plausible air temperature, degC (the records are -89.2 and 56.7): outside is a unit or
 * typing error. */
#define GF_FEAT_TEMP_MIN_C (-90.0)
#define GF_FEAT_TEMP_MAX_C 70.0
/* Longest target range one load reads (forecast keys are per day): 5 years. */
#define GF_FEAT_TEMP_MAX_SPAN (5LL * 366 * 86400)

/* Temperature forecasts: n values, sorted by (target, issued) after gf_feat_tfc_sort. */
typedef struct gf_feat_tfc {
    size_t n, cap;
    int64_t *target; /* UTC hour start of the hour forecast */
    int64_t *issued; /* issue instant, epoch s */
    double *temp_c;
} gf_feat_tfc_t;

/* Append one value (grows through gf_xrealloc). */
void gf_feat_tfc_push(gf_feat_tfc_t *f, int64_t target, int64_t issued, double temp_c);
/* Sort by (target, issued); of equal pairs the last pushed stays. */
void gf_feat_tfc_sort(gf_feat_tfc_t *f);
void gf_feat_tfc_cleanup(gf_feat_tfc_t *f);
/* The forecast of hour `target` known at `asof`: the value of the latest issue strictly
 * before asof; *issued (may be NULL) gets that issue. NaN (and *issued 0) when none. f must
 * be sorted. O(log n + issues of that target). */
double gf_feat_tfc_at(const gf_feat_tfc_t *f, int64_t target, int64_t asof, int64_t *issued);

/* One region's stored temperature for target hours [from, to). */
typedef struct gf_feat_temp {
    size_t n; /* observed hours, strictly ascending */
    int64_t *hour;
    double *temp_c;
    gf_feat_tfc_t fc; /* forecasts with target in [from, to), sorted */
    size_t n_bad;     /* malformed entries skipped (GF_FEAT_DEMAND_SKIP_BAD) */
} gf_feat_temp_t;

/* Read observations (one HGETALL per month) and forecasts (one per day) of [from, to) in
 * one pipeline. from/to: whole hours, to > from, to - from <= GF_FEAT_TEMP_MAX_SPAN. flags:
 * GF_FEAT_DEMAND_SKIP_BAD (features/demand.h) skips malformed entries instead of failing.
 * A region with nothing stored gives n = 0, fc.n = 0. Returns 0; GF_EINVAL "bad_region" /
 * "bad_range"; GF_EUNAVAIL "redis_unavailable" / "redis_error"; GF_EINTERNAL
 * "bad_stored_value" / "bad_reply". */
int gf_feat_temp_load(gf_rcluster_t *c, const char *region, int64_t from, int64_t to,
                      unsigned flags, gf_feat_temp_t *out, gf_err_t *err);
void gf_feat_temp_cleanup(gf_feat_temp_t *t);

/* Put observed hours on a series' grid: where an hour has an observation it replaces the
 * series' temperature (allocating s->temp, all NaN, when the series had none). Only for
 * an owning series (gf_feat_series_alloc). Returns how many hours were set. */
struct gf_feat_series;
size_t gf_feat_series_put_temp(struct gf_feat_series *s, const gf_feat_temp_t *t);

/* HGETALL pairs: a gf:tobs entry (hour, degC) / a gf:tfc entry (target, issued, degC).
 * 0, or -1 when either element is not a string or is malformed. */
int gf_feat_tobs_entry_parse(const redisReply *field, const redisReply *value, int64_t *hour,
                             double *temp_c);
int gf_feat_tfc_entry_parse(const redisReply *field, const redisReply *value, int64_t *target,
                            int64_t *issued, double *temp_c);
/* The same on raw bytes (the field "<target>:<issued>"). */
int gf_feat_tfc_field_parse(const char *s, size_t len, int64_t *target, int64_t *issued);

/* Key builders (96 bytes always suffice for a valid region code); return buf. */
char *gf_feat_tobs_key(char *buf, size_t n, const char *region, int64_t hour);
char *gf_feat_tfc_key(char *buf, size_t n, const char *region, int64_t target);
char *gf_feat_temp_meta_key(char *buf, size_t n, const char *region);

#endif
