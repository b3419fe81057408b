/*
 * trn_data.h - one region's demand history for training: from Redis (the storage contract in
 * CONTRIBUTING.md) or straight from the CSV files of ../shared/data/demand (tests, benchmarks).
 *
 * The result is a regular hourly grid (gf_feat_series_t, NaN where an hour is absent) plus a
 * per-hour "imputed upstream" flag, which training drops and scoring skips.
 * Ownership: trn_data_t is caller storage; the load functions fill it and the caller releases
 * it with trn_data_cleanup (also after a failed load, which leaves it empty).
 */
#ifndef GF_TRAINER_TRN_DATA_H
#define GF_TRAINER_TRN_DATA_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rcluster.h"
#include "features/features.h"

typedef struct trn_data {
    char region[32];
    char tz[64];             /* IANA zone of the region */
    gf_feat_series_t series; /* owning */
    unsigned char *imputed;  /* series.n flags: 1 = value imputed upstream; owned */
    size_t n_values;         /* hours with a demand value */
    size_t n_imputed;        /* hours flagged */
    /* Temperature of the target hours (trn_weather.h): stored forecasts (owned; series.tfc
     * points at them) and whether the model gets the target-hour columns (temp_fc...). */
    struct gf_feat_tfc *tfc;
    int temp_target;
} trn_data_t;

/* Load `region` from a demand CSV (timestamp,region,demand_mw[,temperature_c]) restricted to
 * stamps in [from, to] (pass INT64_MIN / INT64_MAX for all), and, when flags_path is not NULL,
 * its flags CSV (timestamp,region,category,raw_demand). tz is copied into d->tz.
 * Returns 0; GF_ENOTFOUND "unknown_region" when the file has no row for it; GF_EINVAL
 * "bad_csv" (with the line number) on a malformed row; GF_EUNAVAIL "io_error". */
int trn_data_load_csv(trn_data_t *d, const char *csv_path, const char *flags_path,
                      const char *region, const char *tz, int64_t from, int64_t to, gf_err_t *err);

/* IANA zone of `region` from eia930_regions.csv (quoted fields allowed) into tz[len].
 * Returns 0 or GF_ENOTFOUND "unknown_region" / GF_EUNAVAIL "io_error". */
int trn_region_tz_csv(const char *regions_csv, const char *region, char *tz, size_t len,
                      gf_err_t *err);

/* Load `region` from the bundled history in directory dir (the layout of
 * /work/shared/data/demand): NYC from nyc_train.csv (America/New_York, with temperature),
 * every other region from eia930_train.csv with its flags and its zone from
 * eia930_regions.csv. Errors as trn_data_load_csv / trn_region_tz_csv. */
int trn_data_load_bundled(trn_data_t *d, const char *dir, const char *region, gf_err_t *err);

/* Load `region` from Redis with the sync API: tz and the hours [from, to] through
 * gf_feat_demand_load (features/demand.h; INT64_MIN / INT64_MAX = the region's stored
 * first / last hour), flags from gf:dflags:{R}. Returns 0; GF_ENOTFOUND "unknown_region" (no
 * tz, no stored range, or no hour with data); GF_EUNAVAIL "redis_unavailable" / "redis_error";
 * GF_EINTERNAL "bad_stored_value" (a malformed stored entry); GF_EINVAL "bad_range" for a
 * range given over 20 years. */
int trn_data_load_redis(trn_data_t *d, gf_rcluster_t *c, const char *region, int64_t from,
                        int64_t to, gf_err_t *err);

/* Free what a load allocated and zero d. NULL-safe. */
void trn_data_cleanup(trn_data_t *d);

/* Parse "YYYY-MM-DDTHH:MM:SSZ" (exactly 20 chars) to epoch seconds; 0 or -1. */
int trn_parse_stamp(const char *s, size_t len, int64_t *out);

#endif
