/*
 * core/region.h - the one syntax check of a region code, used by every service.
 *
 * A region code is 1 to GF_REGION_MAX bytes of [A-Za-z0-9_-]. It goes into Redis keys as the
 * {R} hash tag and into URLs and file names as it is, so nothing else may pass. The limit is
 * the one of the regions catalog (ingestion): a longer code can never have data, so every
 * service answers it the same way (400 invalid_region) instead of 404 on some routes.
 */
#ifndef GF_CORE_REGION_H
#define GF_CORE_REGION_H

#include <stddef.h>

#define GF_REGION_MAX 16

/* 1 when s[0..len) is a region code (s need not be NUL-terminated), else 0. */
int gf_region_valid_n(const char *s, size_t len);

/* The same for a NUL-terminated string; NULL is not a code. */
int gf_region_valid(const char *s);

#endif
