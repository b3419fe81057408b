/*
 * ing_validate.h - per-reading validation rules for meter readings.
 *
 * Rules, each with a stable code (ing_reject_t): required fields present with the right
 * types (checked by the parser), at least one of kwh/kw, finite numbers, kwh in
 * [0, max_kwh], kw in [0, max_kw], voltage_v in [min_voltage_v, max_voltage_v], ts no
 * further than max_future_skew_s ahead of now and no older than max_age_s, region known.
 * The first failing rule is kept. The config is plain data, read-only after start-up.
 */
#ifndef GF_INGESTION_ING_VALIDATE_H
#define GF_INGESTION_ING_VALIDATE_H

#include "ing_readings.h"

typedef struct ing_validate_cfg {
    double max_kw;                /* power band [0, max_kw]; default 1000 */
    double max_kwh;               /* energy per reading [0, max_kwh]; default 1000 */
    double min_voltage_v;         /* default 80 */
    double max_voltage_v;         /* default 300 */
    int64_t max_future_skew_s;    /* ts may be this far ahead of now; default 300 */
    int64_t max_age_s;            /* ts may be this old; default 7 days */
    const ing_regions_t *regions; /* known regions; NULL accepts any valid code */
} ing_validate_cfg_t;

/* Fill cfg with the defaults above (regions NULL). */
void ing_validate_cfg_default(ing_validate_cfg_t *cfg);

/* Check one parsed reading against the rules (required fields, physical ranges, time
 * window around now_ms, known region). Leaves an earlier parse rejection in place.
 * Returns the resulting code (ING_R_OK when accepted). */
int ing_validate_reading(const ing_validate_cfg_t *cfg, ing_reading_t *r, int64_t now_ms);

/* Validate every reading; sets b->accepted and returns it. */
size_t ing_validate_batch(const ing_validate_cfg_t *cfg, ing_batch_t *b, int64_t now_ms);

#endif
