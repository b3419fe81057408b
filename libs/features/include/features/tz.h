/*
 * features/tz.h - IANA time zones from the system TZif files, without TZ/setenv/localtime.
 *
 * A gf_feat_tz_t is parsed once from /usr/share/zoneinfo/<name> (Debian package tzdata) and
 * is immutable afterwards, so any number of threads may query one zone concurrently. It
 * holds the 64-bit (version 2+) transition table and, for instants after the last
 * transition, the POSIX TZ rule from the file's footer ("EST5EDT,M3.2.0,M11.1.0").
 *
 * Ownership: gf_feat_tz_load/_parse return a new zone the caller frees with gf_feat_tz_free.
 */
#ifndef GF_FEATURES_TZ_H
#define GF_FEATURES_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct gf_feat_tz gf_feat_tz_t;

/* Local civil time of one instant. */
typedef struct gf_feat_civil {
    int year, month, day; /* month 1-12, day 1-31 */
    int hour, minute, second;
    int wday;       /* 0 = Monday .. 6 = Sunday (ISO order) */
    int yday;       /* 1 .. 366 */
    int32_t utcoff; /* seconds east of UTC in effect */
    int isdst;      /* 1 when daylight saving time is in effect */
} gf_feat_civil_t;

/* Default directory of the TZif files. */
#define GF_FEAT_ZONEINFO_DIR "/usr/share/zoneinfo"

/* Load zone `name` ("America/New_York", "UTC") from GF_FEAT_ZONEINFO_DIR. Returns NULL with
 * err "unknown_time_zone" (GF_EINVAL) when the name is malformed or has no file, or
 * "bad_tzif" when the file does not parse. Caller frees. */
gf_feat_tz_t *gf_feat_tz_load(const char *name, gf_err_t *err);

/* Same, from another directory (tests). */
gf_feat_tz_t *gf_feat_tz_load_dir(const char *dir, const char *name, gf_err_t *err);

/* Parse TZif bytes (version 1, 2, 3 or 4). Returns NULL with err "bad_tzif" on malformed
 * input; never reads past buf[len-1]. Caller frees. */
gf_feat_tz_t *gf_feat_tz_parse(const char *name, const unsigned char *buf, size_t len,
                               gf_err_t *err);

void gf_feat_tz_free(gf_feat_tz_t *tz);

/* The zone's name as given at load time (borrowed). */
const char *gf_feat_tz_name(const gf_feat_tz_t *tz);

/* UTC offset in seconds (east positive) in effect at `utc`; can't fail. */
int32_t gf_feat_tz_offset(const gf_feat_tz_t *tz, int64_t utc, int *isdst);

/* Local civil time of `utc`; can't fail. */
void gf_feat_tz_civil(const gf_feat_tz_t *tz, int64_t utc, gf_feat_civil_t *out);

/* Civil date of a day number (days since 1970-01-01, proleptic Gregorian); can't fail. */
void gf_feat_civil_from_days(int64_t days, int *y, int *m, int *d);

/* Days since 1970-01-01 of y-m-d; can't fail. */
int64_t gf_feat_days_from_civil(int y, int m, int d);

#endif
