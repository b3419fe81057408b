/*
 * ing_time.h - time helpers the ingestion paths need on top of core/util.h (RFC 3339,
 * civil days) and features/tz.h (IANA zones): reading timestamps in ms, local source
 * stamps, month buckets for keys, and local-wall-time -> UTC for demand imports.
 *
 * Everything is allocation-free except ing_tz_init_iana (the zone table, freed by
 * ing_tz_cleanup). Thread-safe: no libc time-zone state is touched.
 */
#ifndef GF_INGESTION_ING_TIME_H
#define GF_INGESTION_ING_TIME_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

struct gf_feat_tz;

/* RFC 3339 date-time with zone (gf_time_parse) to epoch milliseconds. s need not be
 * NUL-terminated. Returns 0 or -1. */
int ing_time_parse_ms(const char *s, size_t len, int64_t *out_ms);

/* A source stamp: a full RFC 3339 date-time (*has_zone = 1), or a local date-time without
 * zone "YYYY-MM-DD[T ]HH[:MM[:SS]]" (EIA's "YYYY-MM-DDTHH" included; *has_zone = 0), read
 * as if it were UTC. Seconds; fraction dropped. Returns 0 or -1. */
int ing_time_parse_local(const char *s, size_t len, int64_t *out_s, int *has_zone);

/* "YYYYMM" of the UTC month containing epoch second t into out (7 bytes). Returns out. */
char *ing_time_yyyymm(int64_t t, char out[7]);
/* Epoch second where the UTC month containing t starts; and where the next one starts. */
int64_t ing_time_month_start(int64_t t);
int64_t ing_time_next_month(int64_t month_start);
/* Floor division for epochs before 1970 too. */
int64_t ing_floor_div(int64_t a, int64_t b);

/* A source time zone: a fixed offset or an IANA zone. Caller storage. */
typedef struct ing_tz {
    int32_t fixed_offset_s;  /* used when zone is NULL */
    struct gf_feat_tz *zone; /* owned */
} ing_tz_t;

/* Fixed offset in seconds east of UTC. Can't fail. */
void ing_tz_init_fixed(ing_tz_t *tz, int32_t offset_s);
/* A UTC offset as given in a query ("+05:30", "-05:00", "Z"; hours <= 18) to seconds east
 * of UTC. Returns 0 or -1. */
int ing_tz_parse_offset(const char *s, int32_t *out_s);
/* IANA zone from the system tzdata. Returns 0 or GF_EINVAL ("unknown_time_zone"). */
int ing_tz_init_iana(ing_tz_t *tz, const char *name, gf_err_t *err);
void ing_tz_cleanup(ing_tz_t *tz);

/* UTC epoch of local wall time `local_s` (wall clock read as if UTC). An ambiguous time
 * (fall back) gives the first occurrence; a time that does not exist (spring forward)
 * returns -1. Otherwise 0. */
int ing_tz_local_to_utc(const ing_tz_t *tz, int64_t local_s, int64_t *out);

#endif
