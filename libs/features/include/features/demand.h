/*
 * features/demand.h - the one reader of a region's stored demand history, the Redis key
 * contract of CONTRIBUTING.md that the ingestion service writes:
 *
 *   gf:region:{R}         hash  code name tz first last rows (first/last: UTC hour starts)
 *   gf:demand:{R}:YYYYMM  hash  field = UTC hour start in epoch seconds, decimal;
 *                               value = "<demand_mw>" or "<demand_mw>,<temperature_c>"
 *
 * The ingestion anomaly scanner, the trainer and the forecast tools load history with
 * gf_feat_demand_load; the forecast service, which reads the same hashes asynchronously on
 * its event loop, decodes each HGETALL pair with gf_feat_demand_entry_parse. So the syntax of
 * a stored hour, the months a range touches and what counts as a malformed entry are decided
 * here, once, for the writer's key builder and every reader.
 *
 * Stored text is parsed strictly, as the writer prints it: a stamp is a canonical decimal
 * integer (no sign but '-', no leading zero, no blank) that is a whole hour and lies in the
 * month of its hash; a number is a finite decimal ([-+]digits[.digits][e[-+]digits], no hex,
 * inf, nan or blanks); the temperature after the comma may be empty (NaN).
 *
 * Ownership: gf_feat_demand_t is caller storage; gf_feat_demand_load fills it (also on
 * failure: empty) and gf_feat_demand_cleanup frees its arrays. The handle (core/rcluster.h:
 * one Redis or a Redis Cluster) is the caller's and stays usable after a failure. Every key
 * of one region carries the hash tag {R}, so a load's pipeline goes to one master.
 */
#ifndef GF_FEATURES_DEMAND_H
#define GF_FEATURES_DEMAND_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rcluster.h"

/* Longest range one load reads: 20 years of 366 days, in seconds. */
#define GF_FEAT_DEMAND_MAX_SPAN (20LL * 366 * 86400)
/* Range ends a load accepts: 0001-01-01T00Z .. 10000-01-01T00Z (keys carry a 4-digit year). */
#define GF_FEAT_DEMAND_T_MIN (-62135596800LL)
#define GF_FEAT_DEMAND_T_END (253402300800LL)
/* Pass as from / to: the region's stored first hour / the hour after its stored last one. */
#define GF_FEAT_DEMAND_FIRST INT64_MIN
#define GF_FEAT_DEMAND_LAST INT64_MAX

/* Flags of gf_feat_demand_load. Without GF_FEAT_DEMAND_SKIP_BAD the first malformed entry
 * fails the load; with it malformed entries are skipped and counted in n_bad. */
enum { GF_FEAT_DEMAND_SKIP_BAD = 1 };

/* One region's stored history: its gf:region:{R} entry and the hours of [from, to). */
typedef struct gf_feat_demand {
    char tz[64];           /* gf:region:{R} tz (IANA name); "" when the hash has none */
    int has_range;         /* 1 when gf:region:{R} holds first and last as stamps */
    int64_t first, last;   /* those stamps (0 when !has_range) */
    size_t n;              /* hours read */
    int64_t *hour;         /* n UTC hour starts, strictly ascending */
    double *demand_mw;     /* n finite values */
    double *temperature_c; /* n values, NaN where the stored value had none */
    int with_temp;         /* 1 when some value read had a temperature field (even empty) */
    size_t n_bad;          /* malformed entries skipped (GF_FEAT_DEMAND_SKIP_BAD) */
} gf_feat_demand_t;

/* Load `region`'s hours in [from, to) (epoch seconds; any second, so partial hours at the
 * ends are fine) with one HMGET of gf:region:{R} and one pipeline of HGETALL, one per month
 * the range touches, on the blocking handle. GF_FEAT_DEMAND_FIRST / _LAST as from / to take
 * the end from gf:region:{R}. A region without data gives n = 0 and returns 0.
 * Returns 0;
 *   GF_EINVAL "bad_region"        region is not a region code (core/region.h);
 *   GF_EINVAL "bad_range"         an end given outside GF_FEAT_DEMAND_T_MIN..T_END, or (both
 *                                 ends given) to <= from or to - from > GF_FEAT_DEMAND_MAX_SPAN;
 *   GF_ENOTFOUND "unknown_region" an end to take from gf:region:{R} that has no first/last,
 *                                 or the range that gives is empty or longer than the span;
 *   GF_EUNAVAIL "redis_unavailable" (no reply) or "redis_error" (an error reply);
 *   GF_EINTERNAL "bad_stored_value" a malformed entry (without GF_FEAT_DEMAND_SKIP_BAD), or
 *                                 "bad_reply" a reply of an unexpected type. */
int gf_feat_demand_load(gf_rcluster_t *c, const char *region, int64_t from, int64_t to,
                        unsigned flags, gf_feat_demand_t *out, gf_err_t *err);

/* Free the arrays and zero d. NULL-safe; fine on a zeroed or failed d. */
void gf_feat_demand_cleanup(gf_feat_demand_t *d);

/* One field/value pair of a gf:demand HGETALL reply: *hour (a whole hour), *mw, *temp (NaN
 * when absent or empty), *with_temp (may be NULL) = 1 when the value has a temperature field.
 * Returns 0, or -1 when either element is not a string or is malformed. The month is not
 * checked (the caller knows which hash the reply came from). */
int gf_feat_demand_entry_parse(const redisReply *field, const redisReply *value, int64_t *hour,
                               double *mw, double *temp, int *with_temp);

/* A stored stamp (a gf:demand or gf:dflags field, gf:region:{R} first/last): a canonical
 * decimal int64 of len bytes (s need not be NUL-terminated). 0, or -1 when malformed. */
int gf_feat_demand_stamp_parse(const char *s, size_t len, int64_t *out);

/* The keys of the demand history, one builder each (the writer, services/ingestion
 * ing_keys.c, builds its keys with them too). Each writes a NUL-terminated name into buf[n]
 * (96 bytes suffice for a valid region code) and returns buf. */
/* Key of the month holding hour t: "gf:demand:{R}:YYYYMM" (UTC). */
char *gf_feat_demand_key(char *buf, size_t n, const char *region, int64_t t);
/* "gf:region:{R}". */
char *gf_feat_demand_region_key(char *buf, size_t n, const char *region);
/* "gf:dflags:{R}": hour start epoch (a stamp) -> upstream flag category of imputed hours. */
char *gf_feat_demand_flags_key(char *buf, size_t n, const char *region);
/* The set of region codes with demand history (one key, no hash tag: read it alone). */
#define GF_FEAT_DEMAND_REGIONS_KEY "gf:regions"

/* Start of the UTC month holding t, and of the month after it: the months a range [from, to)
 * touches are m = gf_feat_demand_month(from); m < to; m = gf_feat_demand_month_next(m), one
 * gf_feat_demand_key each. */
int64_t gf_feat_demand_month(int64_t t);
int64_t gf_feat_demand_month_next(int64_t t);

/* Read gf:region:{R} alone (HMGET tz first last): fills out's tz, has_range, first and last
 * (n = 0, no arrays). Returns 0 (a region without the hash gives has_range = 0), GF_EINVAL
 * "bad_region", GF_EUNAVAIL (as gf_feat_demand_load) or GF_EINTERNAL "bad_reply". */
int gf_feat_demand_info(gf_rcluster_t *c, const char *region, gf_feat_demand_t *out, gf_err_t *err);

#endif
