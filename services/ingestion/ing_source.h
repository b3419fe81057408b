/*
 * ing_source.h - the source conventions of an import request's query, the same on every
 * import route (demand, flags, temperature): format=csv|json (default from Content-Type),
 * hour_ending=true or label=ending|beginning, tz=<IANA> or utc_offset=±HH:MM.
 *
 * The import routes' one way onto the import pool (ing_source_submit) lives here too.
 *
 * Loop thread (reads the request). ing_source_t is caller storage; cleanup frees the zone.
 */
#ifndef GF_INGESTION_ING_SOURCE_H
#define GF_INGESTION_ING_SOURCE_H

#include "core/http.h"
#include "core/pool.h"
#include "ing_fields.h"

typedef struct ing_source {
    int json;             /* 0: CSV, 1: JSON (array or NDJSON) */
    const char *fmt_name; /* "csv" or "json" */
    ing_hour_label_t label;
    ing_tz_t tz;
    int has_tz; /* tz holds a zone: pass &tz, else NULL (UTC) */
} ing_source_t;

/* Names of the query parameters read here (NULL-terminated), for gf_query_only lists. */
#define ING_SOURCE_PARAMS "format", "hour_ending", "label", "tz", "utc_offset"

/* Read them into s. Returns 0 or GF_EINVAL (invalid_parameter / unknown_time_zone, with the
 * parameter in the details); s needs ing_source_cleanup either way. */
int ing_source_query(gf_req_t *r, ing_source_t *s, gf_err_t *err);
void ing_source_cleanup(ing_source_t *s);

/* Queue an import route's work on the import pool. 0, or GF_EUNAVAIL "import_queue_full" in
 * err with "Retry-After: 5" set on r: nothing runs and task stays the caller's. */
int ing_source_submit(gf_req_t *r, gf_pool_t *pool, gf_pool_work_fn work, gf_pool_done_fn done,
                      void *task, gf_err_t *err);

#endif
