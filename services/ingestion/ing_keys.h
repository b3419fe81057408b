/*
 * ing_keys.h - the Redis key families the ingestion service writes, one builder each.
 *
 * The table in CONTRIBUTING.md is the contract. Every key carries a Redis Cluster hash tag:
 * {R} for per-region data, {R:b} for the meter partitions of the readings write path
 * (b = ing_store_bucket(meter_id)); each script touches keys of one tag only and gets
 * them all in KEYS. Each builder writes a NUL-terminated name into buf (size n; 96 bytes
 * always suffice for a valid region code) and returns buf.
 */
#ifndef GF_INGESTION_ING_KEYS_H
#define GF_INGESTION_ING_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "features/demand.h"

#define ING_KEY_REGIONS GF_FEAT_DEMAND_REGIONS_KEY /* set: region codes with demand history */

/* gf:region:{R} - hash: code name tz first last rows (gf_feat_demand_region_key) */
char *ing_key_region(char *buf, size_t n, const char *region);
/* gf:demand:{R}:YYYYMM - hash: hour-start epoch -> "demand" or "demand,temp"
 * (gf_feat_demand_key, the builder of libs/features' reader) */
char *ing_key_demand(char *buf, size_t n, const char *region, int64_t hour_epoch);
/* gf:dflags:{R} - hash: hour-start epoch -> upstream flag category (gf_feat_demand_flags_key) */
char *ing_key_dflags(char *buf, size_t n, const char *region);
/* gf:agg:{R:b}:min:YYYYMMDD - hash: minute-start epoch -> sum kW; "<epoch>:n" -> count */
char *ing_key_agg_min(char *buf, size_t n, const char *region, unsigned bucket, int64_t epoch);
/* gf:agg:{R:b}:hour:YYYYMM - hash: hour-start epoch -> sum kWh; "<epoch>:n" -> count */
char *ing_key_agg_hour(char *buf, size_t n, const char *region, unsigned bucket, int64_t epoch);
/* gf:raw:{R:b} - stream: every reading received, with quality; one entry per write part */
char *ing_key_raw(char *buf, size_t n, const char *region, unsigned bucket);
/* gf:clean:{R:b} - stream: accepted, first-seen readings, same shape */
char *ing_key_clean(char *buf, size_t n, const char *region, unsigned bucket);
/* gf:meters:{R:b} - hash: meter id -> dedupe state (its newest accepted time stamps) */
char *ing_key_meters(char *buf, size_t n, const char *region, unsigned bucket);
/* gf:late:{R:b} - zset: "<meter_id>|<ts_ms>" of late readings, score ts_ms */
char *ing_key_late(char *buf, size_t n, const char *region, unsigned bucket);
/* gf:anomalies:{R} (type NULL) - zset of all anomaly ids of R, score = last seen;
 * gf:anomalies:{R}:<type> - the same per type (the caps) */
char *ing_key_anomalies(char *buf, size_t n, const char *region, const char *type);
/* gf:anomaly:{R}:data - hash: anomaly id -> JSON record */
char *ing_key_anomaly_data(char *buf, size_t n, const char *region);

#endif
