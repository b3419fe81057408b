/*
 * fc_series.h - a region's hourly demand history as the forecast service reads it from Redis
 * (the storage contract in CONTRIBUTING.md: gf:region:{R} and gf:demand:{R}:YYYYMM hashes).
 *
 * The service reads on its event loop with the async connection (one HGETALL per month,
 * pipelined) and feeds each reply to fc_series_fill; command-line tools use the blocking
 * fc_series_load_sync. Both give the same grid (gf_feat_series_t, NaN where an hour is
 * absent), the grid libs/features builds rows from, so the service and the tools that check it
 * see identical inputs. Both decode stored entries with libs/features (features/demand.h):
 * fc_series_load_sync is gf_feat_demand_load, the reader the trainer and ingestion use, put on
 * the grid; fc_series_fill decodes each pair with gf_feat_demand_entry_parse.
 *
 * Ownership: series from fc_series_alloc / fc_series_load_sync own their arrays; free with
 * gf_feat_series_cleanup. Replies passed in are borrowed.
 */
#ifndef FC_SERIES_H
#define FC_SERIES_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "features/demand.h"
#include "features/features.h"

/* Longest range one request may load (hours): a year for peak_mw plus the features' lookback. */
#define FC_SERIES_MAX_HOURS (24 * 800)

/* An all-NaN owning grid of n hours from t0, with a temperature array. 0 or GF_EINVAL. */
int fc_series_alloc(gf_feat_series_t *s, int64_t t0, size_t n, gf_err_t *err);

/* Put the field/value pairs of one HGETALL reply into s (hours outside the grid are ignored;
 * malformed entries, as gf_feat_demand_entry_parse judges them, are skipped and counted in *bad
 * when bad is not NULL). Returns the number of hours written; *with_temp (may be NULL) is set
 * to 1 when a value written carried a temperature field. */
size_t fc_series_fill(gf_feat_series_t *s, const redisReply *hgetall, int *with_temp, size_t *bad);

/* Drop the temperature array when no value had one (libs/features treats "no temperature"
 * and "all NaN" alike; NULL keeps the rows identical to the trainer's). */
void fc_series_drop_temp(gf_feat_series_t *s);

/* Blocking load of hours [from, to) of `region` for tools, through gf_feat_demand_load
 * (malformed entries skipped, as fc_series_fill does): GF_EINVAL "bad_region", "bad_range"
 * (not whole hours, to <= from, over 20 years); GF_ENOTFOUND "unknown_region" (no first/last
 * in gf:region:{R}); GF_EUNAVAIL "redis_unavailable" / "redis_error". */
int fc_series_load_sync(gf_rcluster_t *c, const char *region, int64_t from, int64_t to,
                        gf_feat_series_t *out, gf_err_t *err);

/* Highest demand in hours [from, to) of s; NaN when none is known there. */
double fc_series_peak(const gf_feat_series_t *s, int64_t from, int64_t to);

#endif
