/*
 * ing_store.h - writing a validated reading batch to Redis in its tiers, idempotently.
 *
 * Per chunk of readings, ONE command: EVALSHA (or EVAL) of the batch script, so a
 * 10,000-reading batch costs a handful of round trips, not one per reading. The script,
 * atomically per chunk:
 *   - XADD gf:raw MAXLEN ~ raw_maxlen: one entry holding every reading of the chunk with
 *     q = "ok" or its rejection code (the raw tier);
 *   - for accepted readings, SMISMEMBER then SADD on gf:seen:<hour> with members
 *     "<meter_id>|<ts_ms>" (the dedupe of (meter_id, ts), expiring at the hour's end +
 *     seen_ttl_s): only first-seen readings go on;
 *   - XADD gf:clean MAXLEN ~ clean_maxlen: one entry with those (the clean tier);
 *   - one HINCRBYFLOAT + HINCRBY per touched region-minute in gf:agg:{R}:min:YYYYMMDD
 *     (sum kW, "<minute>:n" count; expires after agg_min_ttl_s) and per region-hour in
 *     gf:agg:{R}:hour:YYYYMM (sum kWh, "<hour>:n" count), over the new readings only;
 *   - SADD gf:meters:{R} with the meters the meter cache does not know yet;
 *   - returns one status byte per accepted reading: 'n' new, 'd' duplicate.
 * A retried batch therefore finds every accepted reading in gf:seen and changes neither
 * the clean stream nor the aggregates (the raw stream does record the retry). Stream
 * entries are per chunk, so the MAXLEN caps count chunks (at most `chunk` readings each).
 *
 * Use: the service builds the commands with ing_store_build (one per chunk) and sends each
 * with gf_redis_cmd_argv on the async connection; in the callback it passes the reply to
 * ing_store_apply_reply. ing_store_write_sync does the same on a blocking context as one
 * pipeline (tools, tests, benchmarks).
 *
 * Cluster note: the script names keys it computes itself, so it needs a single Redis (or
 * Sentinel); on Redis Cluster the chunks would have to be split per hash slot.
 */
#ifndef GF_INGESTION_ING_STORE_H
#define GF_INGESTION_ING_STORE_H

#include "core/err.h"
#include "ing_cmd.h"
#include "ing_readings.h"

#include <hiredis/hiredis.h>

enum { /* ing_reading_t.status after a write */
    ING_ST_PENDING = 0,
    ING_ST_NEW = 'n',
    ING_ST_DUP = 'd',
    ING_ST_REJECTED = 'r',
};

/* Meters already known to be in gf:meters:{R}: the builder leaves them out of the SADD,
 * which otherwise costs a set lookup per reading in Redis for near-static data. Filled by
 * ing_store_apply_reply after a confirmed write; bounded (cleared when full). Clear it when
 * the Redis connection is re-established (the data may have changed behind it). One per
 * event loop: not thread-safe. */
typedef struct ing_meter_cache ing_meter_cache_t;

ing_meter_cache_t *ing_meter_cache_new(size_t max_entries);
void ing_meter_cache_free(ing_meter_cache_t *mc);
void ing_meter_cache_clear(ing_meter_cache_t *mc);
size_t ing_meter_cache_size(const ing_meter_cache_t *mc);

typedef struct ing_store_cfg {
    long long raw_maxlen;    /* approximate cap of gf:raw in entries (chunks); default 10,000 */
    long long clean_maxlen;  /* same for gf:clean; default 20,000 */
    int64_t seen_ttl_s;      /* dedupe hash lives until its hour's end + this; default
                                7 d + 300 s + 1 h (acceptance window, skew and a margin) */
    int64_t agg_min_ttl_s;   /* minute aggregates expire after this; default 8 days */
    size_t chunk;            /* readings per command; default 2000 */
    const char *script_sha;  /* from ing_store_script_load; NULL sends EVAL with the source */
    ing_meter_cache_t *meters; /* optional; NULL sends every meter every time */
} ing_store_cfg_t;

typedef struct ing_store_counts {
    size_t accepted;  /* new readings written to the clean tier */
    size_t duplicate; /* accepted by validation but already seen */
    size_t rejected;  /* failed validation (still in the raw tier) */
} ing_store_counts_t;

void ing_store_cfg_default(ing_store_cfg_t *cfg);

/* The batch script's Lua source (static). */
const char *ing_store_script(void);
/* SCRIPT LOAD it on a blocking context; sha gets 40 hex chars + NUL. Returns 0 or
 * GF_EUNAVAIL ("redis_unavailable"/"redis_error"). The async service sends
 * SCRIPT LOAD <ing_store_script()> itself at connect. */
int ing_store_script_load(redisContext *c, char sha[41], gf_err_t *err);

/* Build the command for readings [from, from+count) of b into out (reset first). Readings
 * keep their validation codes; rejected ones go to the raw tier only. Can't fail. */
void ing_store_build(const ing_store_cfg_t *cfg, const ing_batch_t *b, size_t from,
                     size_t count, ing_cmd_t *out);

/* Interpret the reply to that command: set each reading's status, add to *counts and
 * remember the chunk's meters in cfg->meters.
 * Returns 0; GF_EUNAVAIL "redis_unavailable" (NULL reply: nothing is known to be written),
 * "noscript" (EVALSHA before SCRIPT LOAD: load and resend), "redis_error"; GF_EINTERNAL
 * "bad_reply" when the reply does not have one status per reading. */
int ing_store_apply_reply(const ing_store_cfg_t *cfg, ing_batch_t *b, size_t from,
                          size_t count, const redisReply *reply, ing_store_counts_t *counts,
                          gf_err_t *err);

/* Write the whole batch on a blocking context: all chunks in one pipeline. Returns 0 or
 * the first error (as ing_store_apply_reply). counts is zeroed first. */
int ing_store_write_sync(redisContext *c, const ing_store_cfg_t *cfg, ing_batch_t *b,
                         ing_store_counts_t *counts, gf_err_t *err);

#endif
