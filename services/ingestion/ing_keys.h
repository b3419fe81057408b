/*
 * ing_keys.h - the Redis key families the ingestion service writes, one builder each.
 *
 * The table in CONTRIBUTING.md is the contract. The batch scripts get every key name as an
 * argument built here, except gf:raw, gf:clean and gf:regions, which they name directly.
 * Each builder
 * writes a NUL-terminated name into buf (size n; 96 bytes always suffice for a valid
 * region code) and returns buf.
 */
#ifndef GF_INGESTION_ING_KEYS_H
#define GF_INGESTION_ING_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define ING_KEY_RAW "gf:raw"         /* stream: every reading received, with quality; one
                                        entry per write chunk */
#define ING_KEY_CLEAN "gf:clean"     /* stream: accepted, first-seen readings, same shape */
#define ING_KEY_REGIONS "gf:regions" /* set: region codes with demand history */

/* gf:region:{R} - hash: code name tz first last rows (gf_feat_demand_region_key) */
char *ing_key_region(char *buf, size_t n, const char *region);
/* gf:demand:{R}:YYYYMM - hash: hour-start epoch -> "demand" or "demand,temp"
 * (gf_feat_demand_key, the builder of libs/features' reader) */
char *ing_key_demand(char *buf, size_t n, const char *region, int64_t hour_epoch);
/* gf:dflags:{R} - hash: hour-start epoch -> upstream flag category */
char *ing_key_dflags(char *buf, size_t n, const char *region);
/* gf:agg:{R}:min:YYYYMMDD - hash: minute-start epoch -> sum kW; "<epoch>:n" -> count */
char *ing_key_agg_min(char *buf, size_t n, const char *region, int64_t epoch);
/* gf:agg:{R}:hour:YYYYMM - hash: hour-start epoch -> sum kWh; "<epoch>:n" -> count */
char *ing_key_agg_hour(char *buf, size_t n, const char *region, int64_t epoch);
/* gf:seen:<hour-start epoch> - set of "<meter_id>|<ts_ms>" (dedupe, expires) */
char *ing_key_seen(char *buf, size_t n, int64_t epoch);
/* gf:meters:{R} - set: meter ids that reported in region R */
char *ing_key_meters(char *buf, size_t n, const char *region);

#endif
