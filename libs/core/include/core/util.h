/*
 * core/util.h - small shared helpers: checked allocation, clocks, RFC 3339 time.
 *
 * gf_xmalloc and friends never return NULL: on out-of-memory they log one line and abort
 * (as Redis zmalloc and h2o_mem_alloc do), which keeps call sites short.
 */
#ifndef GF_CORE_UTIL_H
#define GF_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

void *gf_xmalloc(size_t n);
void *gf_xcalloc(size_t n, size_t size);
void *gf_xrealloc(void *p, size_t n);
char *gf_xstrdup(const char *s);
/* The first n bytes of s (which need not be terminated there) as a new string. */
char *gf_xstrndup(const char *s, size_t n);

/* Monotonic seconds (CLOCK_MONOTONIC), for durations. */
double gf_now_mono(void);
/* Wall-clock seconds since the epoch, with sub-second precision. */
double gf_now_wall(void);

/* Format t (epoch seconds, may have a fraction) as "2026-01-05T10:00:00.123Z" into buf
 * (at least 32 bytes). Returns buf. */
char *gf_time_format_ms(double t, char *buf, size_t len);
/* Format whole seconds as "2026-01-05T10:00:00Z". Returns buf. */
char *gf_time_format(int64_t t, char *buf, size_t len);

/* Parse an RFC 3339 timestamp ("2026-01-05T10:00:00Z", "...T10:00:00.5+01:00", date-time
 * only) into epoch seconds (fraction kept). Returns 0, or GF_EINVAL when the text is not a
 * valid timestamp (calendar-checked: month 1-12, day within the month, hour < 24...).
 * `len` is the length of s (s need not be NUL-terminated). */
int gf_time_parse(const char *s, size_t len, double *out);

/* Days since 1970-01-01 of a proleptic Gregorian date (negative before). Can't fail. */
int64_t gf_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Fill buf with 2*n lowercase hex chars of fresh random bytes plus a NUL. */
void gf_random_hex(char *buf, size_t n);

#endif
