/*
 * ing_readings.h - meter-reading batches: parse (JSON array or NDJSON) and validate.
 *
 * A reading is an object with meter_id (string), ts (RFC 3339 string), region (string),
 * kwh and/or kw (numbers) and optional voltage_v (number). Unknown members of any type
 * are skipped; null counts as absent. The parser runs over the body in one pass with the
 * allocation-free scanner (core/jscan.h) and decodes straight into fixed-size structs.
 *
 * Two kinds of failure:
 *  - the body is not valid JSON (or NDJSON): the whole batch is refused, GF_EINVAL with code
 *    "malformed_json" and a message naming line, column and byte offset; the batch is
 *    left empty so nothing can be written;
 *  - a reading is valid JSON but not a good reading: that reading alone is rejected with a
 *    stable code (ing_reject_code) and a reason; the others are kept.
 *
 * Ownership: ing_batch_t is caller storage holding one growable array of readings; reuse
 * it across requests with ing_batch_reset to avoid reallocations.
 */
#ifndef GF_INGESTION_ING_READINGS_H
#define GF_INGESTION_ING_READINGS_H

#include "core/err.h"
#include "core/region.h"
#include "ing_regions.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define ING_METER_ID_MAX 64

/* Per-reading outcome codes; ing_reject_code() gives the stable string. */
typedef enum ing_reject {
    ING_R_OK = 0,
    ING_R_NOT_OBJECT,     /* "not_an_object" */
    ING_R_MISSING_FIELD,  /* "missing_field" */
    ING_R_WRONG_TYPE,     /* "wrong_type" */
    ING_R_NOT_FINITE,     /* "not_finite": NaN/Infinity strings, numbers beyond double */
    ING_R_TOO_LONG,       /* "field_too_long" */
    ING_R_DUP_FIELD,      /* "duplicate_field" */
    ING_R_BAD_METER,      /* "invalid_meter_id": empty, control characters or '|' */
    ING_R_BAD_TS,         /* "invalid_timestamp" */
    ING_R_NO_MEASURE,     /* "no_measurement": neither kwh nor kw */
    ING_R_NEG_ENERGY,     /* "negative_energy" */
    ING_R_ENERGY_RANGE,   /* "energy_out_of_range" */
    ING_R_NEG_POWER,      /* "negative_power" */
    ING_R_POWER_RANGE,    /* "power_out_of_range" */
    ING_R_VOLTAGE_RANGE,  /* "voltage_out_of_range" */
    ING_R_FUTURE,         /* "timestamp_in_future" */
    ING_R_TOO_OLD,        /* "timestamp_too_old" */
    ING_R_UNKNOWN_REGION, /* "unknown_region" */
    ING_R__COUNT
} ing_reject_t;

/* The field a rejection is about. */
typedef enum ing_field {
    ING_F_NONE = 0,
    ING_F_METER_ID,
    ING_F_TS,
    ING_F_REGION,
    ING_F_KWH,
    ING_F_KW,
    ING_F_VOLTAGE,
} ing_field_t;

enum { /* ing_reading_t.has bits */
       ING_HAS_METER = 1 << 0,
       ING_HAS_TS = 1 << 1,
       ING_HAS_REGION = 1 << 2,
       ING_HAS_KWH = 1 << 3,
       ING_HAS_KW = 1 << 4,
       ING_HAS_VOLTAGE = 1 << 5,
};

typedef struct ing_reading {
    char meter_id[ING_METER_ID_MAX + 1];
    char region[GF_REGION_MAX + 1];
    int64_t ts_ms;
    double kwh, kw, voltage_v; /* valid when the matching has bit is set */
    uint32_t line;             /* 1-based line where the reading starts in the body */
    uint8_t has;
    uint8_t code;   /* ing_reject_t; ING_R_OK when accepted */
    uint8_t field;  /* ing_field_t the code is about */
    uint8_t status; /* ing_store: ING_ST_* after the write */
} ing_reading_t;

typedef struct ing_batch {
    ing_reading_t *v;
    size_t n, cap;
    size_t max;      /* most readings accepted in one body (GF_ETOOBIG beyond) */
    size_t accepted; /* set by ing_validate_batch */
} ing_batch_t;

#define ING_BATCH_MAX_DEFAULT 100000

/* Empty batch with limit max (0: ING_BATCH_MAX_DEFAULT). cleanup frees the array. */
void ing_batch_init(ing_batch_t *b, size_t max);
void ing_batch_cleanup(ing_batch_t *b);
void ing_batch_reset(ing_batch_t *b);

/* Stable snake_case string for a code ("ok" for ING_R_OK). Never NULL. */
const char *ing_reject_code(int code);
/* Field name for ing_field_t ("" for none). */
const char *ing_field_name(int field);
/* Human reason for a rejected reading into buf ("kwh must be a finite number"). Returns buf. */
char *ing_reading_reason(const ing_reading_t *r, char *buf, size_t n);

/* Parse a body: a JSON array of readings, or NDJSON (one value per line). Appends to b
 * (call ing_batch_reset first for a fresh batch). Returns 0; GF_EINVAL "malformed_json"
 * (batch emptied, err->details = [{line, column, byte}]) or "empty_body"; GF_ETOOBIG
 * "too_many_readings". Readings that fail field checks are kept with their code set. */
int ing_readings_parse(ing_batch_t *b, const char *body, size_t len, gf_err_t *err);

/* New reference: [{"index":i,"line":l,"code":"...","field":"...","reason":"..."}] for the
 * rejected readings, at most `limit` entries (0: all). Never NULL. */
json_t *ing_batch_rejections_json(const ing_batch_t *b, size_t limit);

#endif
