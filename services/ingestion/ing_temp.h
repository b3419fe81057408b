/*
 * ing_temp.h - hourly temperature per region: observations and forecasts, parsed from CSV or
 * JSON and written to the keys of libs/features' features/weather.h (CONTRIBUTING.md).
 *
 * Rows (CSV with a header naming the columns in any order and case; or JSON objects with
 * those members, in an array or NDJSON):
 *   observations  timestamp,region,temperature_c            (or temperature_f)
 *   forecasts     issued_at,timestamp,region,temperature_c  (or temperature_f)
 * timestamp names the hour (its start, or its end with label ING_HOUR_ENDING); issued_at is
 * the instant the forecast was made (any second). Stamps without a zone are local time in
 * opts.tz. Exactly one unit column: degrees Celsius, or Fahrenheit converted as
 * C = (F - 32) * 5 / 9; stored values are degrees Celsius rounded to 0.01.
 *
 * Not streamed: the whole body is parsed before anything is written, so a request refused
 * as a whole (malformed JSON, a bad header, no rows) writes nothing. Rows that fail their
 * checks are rejected one by one (line, JSON element index, code, reason) and the others
 * are written. Writing is an upsert: a re-post changes nothing (new = 0); a corrected value
 * overwrites.
 *
 * Ownership: ing_temp_batch_t is caller storage (init/cleanup); rows and rejections are
 * owned by it. Thread-safe per batch.
 */
#ifndef GF_INGESTION_ING_TEMP_H
#define GF_INGESTION_ING_TEMP_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rcluster.h"
#include "ing_cmd.h"
#include "ing_fields.h"
#include "ing_regions.h"

typedef enum { ING_TEMP_OBS = 0, ING_TEMP_FC = 1 } ing_temp_kind_t;
typedef enum { ING_TEMP_CSV = 0, ING_TEMP_JSON = 1 } ing_temp_format_t;

typedef struct ing_temp_opts {
    ing_temp_kind_t kind;
    ing_temp_format_t format;
    ing_hour_label_t label;       /* of timestamp (issued_at is an instant) */
    const ing_tz_t *tz;           /* zone of stamps without one; NULL = UTC */
    const ing_regions_t *regions; /* NULL accepts any valid code */
    int64_t now;                  /* epoch s: issued_at may not be later than now + 300 s */
    size_t max_rows;              /* rows per request at most (0: 1,000,000) */
    size_t max_rejects_kept;      /* rejections listed (0: 100) */
} ing_temp_opts_t;

typedef struct ing_temp_row {
    int64_t hour;   /* UTC hour start (the target hour of a forecast) */
    int64_t issued; /* forecasts: issue instant, epoch s */
    char region[GF_REGION_MAX + 1];
    double temp_c;
} ing_temp_row_t;

typedef struct ing_temp_reject {
    size_t line;
    long index; /* JSON: 0-based element; CSV: -1 */
    char code[32];
    char reason[160];
} ing_temp_reject_t;

typedef struct ing_temp_batch {
    ing_temp_row_t *rows;
    size_t n, cap;
    size_t rows_total, rejected;
    ing_temp_reject_t *rejects;
    size_t nrejects;
    int fahrenheit; /* the input was in degrees Fahrenheit */
} ing_temp_batch_t;

void ing_temp_opts_default(ing_temp_opts_t *o);
void ing_temp_batch_init(ing_temp_batch_t *b);
void ing_temp_batch_cleanup(ing_temp_batch_t *b);

/* Parse a whole body into b (rows sorted by region, then hour, then issue). Returns 0
 * (rows and rejections in b); or, with nothing usable, GF_EINVAL "malformed_json" (details
 * {line, column}), "missing_header" / "bad_header", "empty_input", "element_too_large";
 * GF_ETOOBIG "too_many_rows". */
int ing_temp_parse(const ing_temp_opts_t *o, const char *body, size_t len, ing_temp_batch_t *b,
                   gf_err_t *err);

/* New reference: [{"line","index"?,"code","reason"}] of the rejections kept. */
json_t *ing_temp_rejections_json(const ing_temp_batch_t *b);

/* Degrees Fahrenheit -> Celsius, rounded to 0.01. */
double ing_temp_f_to_c(double f);

/* ------------------------------------------------------------------ Redis */

/* Rows of one write command at most (all of one region: one hash tag). */
#define ING_TEMP_CHUNK 2000

/* The upsert script (EVAL source, static). KEYS[1] = gf:temp:{R}, KEYS[2..] = the data
 * keys; ARGV = kind, lo, hi, lo2, hi2, then per data key its field count and pairs. */
const char *ing_temp_script(void);

/* The command for rows[0..n) (one region, n <= ING_TEMP_CHUNK, sorted as parse leaves them)
 * into out: EVAL with every key in KEYS. Can't fail. */
void ing_temp_build(ing_temp_kind_t kind, const ing_temp_row_t *rows, size_t n, ing_cmd_t *out);

/* Its reply: *new_rows = fields that were not stored before. 0, or GF_EUNAVAIL
 * "redis_unavailable" / "redis_error", GF_EINTERNAL "bad_reply". */
int ing_temp_apply_reply(const redisReply *reply, size_t *new_rows, gf_err_t *err);

/* Write every row of b on a blocking handle (one Redis or a cluster), pipelined. *new_rows =
 * fields new to Redis; *written = rows acknowledged (all of them on success). Returns 0 or
 * the first error. */
int ing_temp_write_sync(gf_rcluster_t *c, ing_temp_kind_t kind, const ing_temp_batch_t *b,
                        size_t *new_rows, size_t *written, gf_err_t *err);

#endif
