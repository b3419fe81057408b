/*
 * ing_demand.h - hourly regional demand history: streaming import (CSV or JSON) into the
 * Redis series of CONTRIBUTING.md. Reading it back is libs/features' gf_feat_demand_load.
 *
 * Input rows: `timestamp,region,demand_mw[,temperature_c]` (CSV with a header naming the
 * columns in any order; quoted fields, \r\n, an empty temperature are fine), or the same
 * rows as JSON objects {"timestamp","region","demand_mw","temperature_c"} in an array or
 * NDJSON. The imputed-hours flags file `timestamp,region,category,raw_demand` imports the
 * same way (kind ING_IMPORT_FLAGS) into gf:dflags:{R}.
 *
 * Streaming: feed bytes as they arrive (any chunking gives the same result); rows are
 * parsed as soon as they are complete and handed to a flush callback in chunks of
 * chunk_rows, so memory stays bounded (one CSV record or JSON element plus one chunk of
 * rows) whatever the input size. A bad row is rejected alone (line number, code, reason);
 * malformed JSON stops the import with GF_EINVAL at its line and column (rows flushed
 * before stay written; a re-import is idempotent).
 *
 * Source conventions (ing_demand_opts_t): stamps that carry a zone are taken as they are;
 * stamps without one are local time in opts.tz (fixed offset or IANA zone; NULL = UTC).
 * label says whether a stamp names the hour's end (EIA-930, EIA API) or its start; rows
 * are stored under the UTC start of the hour and must fall on a whole hour.
 *
 * Redis: per chunk one EVALSHA of the upsert script per region (keys of the one tag {R},
 * all in KEYS): HSET gf:demand:{R}:YYYYMM <hour epoch> "demand" or "demand,temp" for
 * groups of rows, HSET returning how many fields were new, so gf:region:{R}
 * rows/first/last stay exact and re-importing a file changes nothing; then, once per
 * import and region, SADD gf:regions R. Flags: HSET gf:dflags:{R} <hour epoch> <category>.
 *
 * Ownership: ing_demand_import_t is opaque (new/free). Rows passed to the flush callback
 * are borrowed for the call only.
 */
#ifndef GF_INGESTION_ING_DEMAND_H
#define GF_INGESTION_ING_DEMAND_H

#include "core/err.h"
#include "core/rcluster.h"
#include "core/region.h"
#include "ing_cmd.h"
#include "ing_fields.h"
#include "ing_regions.h"
#include "ing_time.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Largest plausible hourly demand of a region: 10 TW, several times every grid on earth
 * together; above it a value is a unit or typing error (rejected demand_out_of_range). */
#define ING_DEMAND_MAX_MW 1e7

typedef enum { ING_FMT_CSV = 0, ING_FMT_JSON = 1 } ing_demand_format_t;
typedef enum { ING_IMPORT_DEMAND = 0, ING_IMPORT_FLAGS = 1 } ing_import_kind_t;

typedef struct ing_demand_opts {
    ing_import_kind_t kind;
    ing_demand_format_t format;
    ing_hour_label_t label;       /* default ING_HOUR_BEGINNING */
    const ing_tz_t *tz;           /* zone of stamps without one; NULL = UTC */
    const ing_regions_t *regions; /* NULL accepts any valid code */
    size_t chunk_rows;            /* rows per flush; default 4096 */
    size_t max_rejects_kept;      /* rejections kept for the reply; default 100 */
} ing_demand_opts_t;

typedef struct ing_demand_row {
    int64_t hour; /* UTC epoch seconds of the hour start */
    char region[GF_REGION_MAX + 1];
    double demand_mw;
    double temperature_c;
    int has_temp;
    char category[32]; /* flags import */
} ing_demand_row_t;

typedef struct ing_demand_stats {
    size_t rows_total; /* data rows seen (header excluded) */
    size_t rows_ok;    /* parsed and handed to the flush callback */
    size_t rows_rejected;
    size_t rows_new; /* filled in by the writer: fields Redis did not have before */
} ing_demand_stats_t;

/* Flush: n parsed rows, borrowed for the call. Return 0, or a GF_E* code (with err) to
 * stop the import; feed/finish then return it. */
typedef int (*ing_demand_flush_cb)(void *ud, const ing_demand_row_t *rows, size_t n, gf_err_t *err);

typedef struct ing_demand_import ing_demand_import_t;

void ing_demand_opts_default(ing_demand_opts_t *o);

/* New importer (caller frees with ing_demand_import_free). Never NULL (OOM aborts). */
ing_demand_import_t *ing_demand_import_new(const ing_demand_opts_t *o, ing_demand_flush_cb cb,
                                           void *ud);
void ing_demand_import_free(ing_demand_import_t *imp);

/* Feed the next bytes. Returns 0; GF_EINVAL "missing_header"/"bad_header" (CSV header
 * without the required columns) or "malformed_json" (line, column); or the flush
 * callback's error. After an error every call returns it again. */
int ing_demand_import_feed(ing_demand_import_t *imp, const char *data, size_t len, gf_err_t *err);
/* End of input: last record, last flush. Returns 0 or as feed ("empty_input" when no
 * header / no JSON value was seen). */
int ing_demand_import_finish(ing_demand_import_t *imp, gf_err_t *err);

/* Counters so far (borrowed). rows_new is added by ing_demand_import_add_new. */
const ing_demand_stats_t *ing_demand_import_stats(const ing_demand_import_t *imp);
void ing_demand_import_add_new(ing_demand_import_t *imp, size_t n);
/* New reference: [{"line":n,"code":"...","reason":"..."}], the first max_rejects_kept
 * rejections. Never NULL. */
json_t *ing_demand_import_rejections_json(const ing_demand_import_t *imp);

/* ------------------------------------------------------------------ Redis */

/* The upsert script's Lua source (static). */
const char *ing_demand_script(void);

/* The distinct regions of rows, in order of first appearance: *out (gf_xmalloc'ed array of
 * pointers into rows, caller frees) and the count. */
size_t ing_demand_regions_of(const ing_demand_row_t *rows, size_t n, const char ***out);
/* Build the upsert command for the rows of `region` among rows[0..n) (one chunk, any order;
 * other regions' rows are skipped) into out: every key it names carries the {R} tag and is
 * declared in KEYS, so it runs on one Redis Cluster slot. sha NULL sends EVAL with the
 * source. kind selects demand series or flags. Can't fail. */
void ing_demand_build(ing_import_kind_t kind, const ing_demand_row_t *rows, size_t n,
                      const char *region, const char *sha, ing_cmd_t *out);
/* Reply to that command: *new_rows = fields that were new. Returns 0 or GF_EUNAVAIL
 * ("redis_unavailable", "noscript", "redis_error"), GF_EINTERNAL "bad_reply". */
int ing_demand_apply_reply(const redisReply *reply, size_t *new_rows, gf_err_t *err);

/* The blocking writer of an import (a pool thread's, or a tool's): one upsert per region of
 * each chunk on a gf_rcluster_t (one Redis or a cluster); a NOSCRIPT answer loads the script
 * on every master again and sends once more. A demand import adds each region to
 * gf:regions (SADD, once per writer) after its first rows were written, so a listed region
 * always has data. */
typedef struct ing_demand_writer {
    gf_rcluster_t *c;
    ing_import_kind_t kind;
    gf_rcluster_script_t script;
    ing_cmd_t cmd;
    size_t new_rows; /* fields that were new, over every write */
    char (*listed)[GF_REGION_MAX + 1];
    size_t nlisted, caplisted;
} ing_demand_writer_t;
/* Loads the script on every master. 0 or GF_EUNAVAIL; cleanup is needed either way. */
int ing_demand_writer_init(ing_demand_writer_t *w, gf_rcluster_t *c, ing_import_kind_t kind,
                           gf_err_t *err);
/* Write one chunk (a flush). 0 or the first error (GF_EUNAVAIL redis_unavailable /
 * redis_error / noscript, GF_EINVAL for a refused command). */
int ing_demand_write(ing_demand_writer_t *w, const ing_demand_row_t *rows, size_t n, gf_err_t *err);
void ing_demand_writer_cleanup(ing_demand_writer_t *w);

/* Import a whole file on a blocking handle (tools, tests, benchmark, make up) with an
 * ing_demand_writer_t: streams it in 256 KiB reads. stats filled; rejections are counted
 * only. Returns 0 or the first error. */
int ing_demand_import_file_sync(gf_rcluster_t *c, const ing_demand_opts_t *o, const char *path,
                                ing_demand_stats_t *stats, gf_err_t *err);

#endif
