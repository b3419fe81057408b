/*
 * ing_regions.h - the regions table: code, name and IANA time zone of every known region.
 *
 * Loaded once at start-up from CSV files (data/eia930_regions.csv, data/regions_extra.csv)
 * and then read-only, so it can be shared by every request without locks. Lookups are a
 * binary search over codes kept sorted. Codes are region codes (core/region.h: 1-16 bytes of
 * [A-Za-z0-9_-]; they go into Redis keys as the {R} hash tag).
 *
 * Ownership: ing_regions_t is caller storage; init/cleanup; the table owns its entries.
 */
#ifndef GF_INGESTION_ING_REGIONS_H
#define GF_INGESTION_ING_REGIONS_H

#include "core/err.h"
#include "core/rcluster.h"
#include "core/region.h"

#include <hiredis/hiredis.h>
#include <stddef.h>

typedef struct ing_region {
    char code[GF_REGION_MAX + 1];
    char name[128];
    char tz[64]; /* IANA zone, "" when unknown */
} ing_region_t;

typedef struct ing_regions {
    ing_region_t *v; /* sorted by code */
    size_t n, cap;
} ing_regions_t;

void ing_regions_init(ing_regions_t *t);
void ing_regions_cleanup(ing_regions_t *t);

/* Add or replace a region. Returns 0, or GF_EINVAL (invalid_region_code) for a bad code. */
int ing_regions_add(ing_regions_t *t, const char *code, const char *name, const char *tz,
                    gf_err_t *err);

/* Load a regions CSV with a header naming its columns: the code column is `region` or
 * `code`; `name` optional; the zone column is `iana_time_zone` or `tz` (optional). Other
 * columns are ignored; names may be quoted. Returns 0, GF_ENOTFOUND (file_not_found), or
 * GF_EINVAL (bad_regions_file: missing code column, or a bad row, with its line). */
int ing_regions_load_csv(ing_regions_t *t, const char *path, gf_err_t *err);

/* Borrowed pointer to the region with that code, or NULL. code need not be NUL-terminated. */
const ing_region_t *ing_regions_find(const ing_regions_t *t, const char *code, size_t len);

/* The answer every route gives a region parameter: 0 when `region` is in the catalog; else
 * GF_EINVAL "invalid_region" (malformed code) or GF_ENOTFOUND "unknown_region", with the
 * field "region" in the details. */
int ing_regions_check(const ing_regions_t *t, const char *region, gf_err_t *err);

/* Write every region's code, name and tz into gf:region:{R} (HSET, one pipeline split by
 * master; rows, first and last stay as they are). Returns 0 or GF_EUNAVAIL
 * (redis_unavailable, redis_error). */
int ing_regions_save(gf_rcluster_t *c, const ing_regions_t *t, gf_err_t *err);

#endif
