/*
 * core/util.h - small shared helpers: checked allocation, clocks, RFC 3339 time.
 *
 * gf_xmalloc and friends never return NULL: on out-of-memory they log one line and abort
 * (as Redis zmalloc and h2o_mem_alloc do), which keeps call sites short. They are the only
 * allocator of libs/ and services/ (scripts/check-alloc.sh, run by make test, keeps it so);
 * jansson allocates through gf_xmalloc too (set once when the program loads), so a json_t
 * constructor never returns NULL for lack of memory.
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

/* A URL fit for a log line, an error message or a response: the user-info part is dropped
 * and every query value becomes "***" (names kept: "https://h/p?api_key=***&length=***"),
 * so a key or password a URL carries never leaves the process. Writes a NUL-terminated
 * string into out (truncated to n-1 bytes; n >= 1) and returns out. A fragment is dropped;
 * text without "scheme://" is treated as a path with an optional query. Can't fail. */
char *gf_url_redact(const char *url, char *out, size_t n);

/* Replace every occurrence of secret (when it has 4 or more bytes) in the string s, in
 * place, by "***". Returns the number of occurrences replaced. */
size_t gf_redact_secret(char *s, const char *secret);

#endif
