/*
 * ing_store.h - writing a validated reading batch to Redis in its tiers, idempotently.
 *
 * Partitions: every reading belongs to the partition (region, bucket) with bucket =
 * FNV-1a-32(meter_id) mod `buckets` (rejected readings whose region is not a valid catalog
 * code: region ING_STORE_NO_REGION). Every key of a partition carries the hash tag
 * {R:b}, so the write path has no global key and a Redis Cluster spreads one region over
 * `buckets` slots. `buckets` must be the same on every instance and is part of the data
 * layout (changing it moves meters to other dedupe states).
 *
 * ing_store_plan groups a batch into parts (one partition, at most `chunk` readings); per
 * part ONE command, EVALSHA (or EVAL) of the batch script, declaring every key in KEYS.
 * The script, atomically per part:
 *   - XADD gf:raw:{R:b} MAXLEN ~ raw_maxlen: one entry holding every reading of the part
 *     with q = "ok" or its rejection code (the raw tier);
 *   - dedupe of accepted readings by (region, meter_id, ts): per meter, in the hash
 *     gf:meters:{R:b}, its dedupe_depth (K) newest accepted time stamps; a reading older
 *     than all K is "late" and checked against gf:late:{R:b} (see "Dedupe guarantee");
 *   - XADD gf:clean:{R:b} MAXLEN ~ clean_maxlen: one entry with the new readings;
 *   - one HINCRBYFLOAT + HINCRBY per touched minute in gf:agg:{R:b}:min:YYYYMMDD
 *     (sum kW, "<minute>:n" count; expires after agg_min_ttl_s) and per hour in
 *     gf:agg:{R:b}:hour:YYYYMM (sum kWh, "<hour>:n" count), over the new readings only;
 *   - returns one status byte per accepted reading: 'n' new, 'd' duplicate.
 *
 * Dedupe guarantee (exact, whatever the number of instances: the state is in Redis and
 * read and written inside one script call): a reading (R, m, t) is a duplicate, and
 * changes nothing but the raw tier, when t is one of the K newest time stamps accepted
 * for meter m in region R, or when (m, t) was accepted as a late reading (older than the
 * K newest of m at that moment) less than late_window_s ago. Not caught: a repeat of a
 * reading that had been among the K newest and was pushed out by K newer readings of the
 * same meter in later writes before the repeat arrived (with K = 16: 16 reporting
 * intervals later); it is accepted again. Within one write a meter's readings are taken
 * newest first, so a backlog of more than K readings keeps its K newest in the state and
 * the rest in gf:late: a retried backlog is all duplicates. Memory: per meter one hash
 * field of 6 x K bytes (~175 B in all with K = 16), plus one zset member per late reading
 * for late_window_s.
 *
 * Use: the service plans, builds the commands with ing_store_build (one per part) and
 * sends each with gf_redis_cmd_argv on the async connection; in the callback it passes
 * the reply to ing_store_apply_reply. ing_store_write_sync does the same on a blocking
 * context as one pipeline (tools, tests, benchmarks).
 */
#ifndef GF_INGESTION_ING_STORE_H
#define GF_INGESTION_ING_STORE_H

#include "core/err.h"
#include "core/rcluster.h"
#include "core/region.h"
#include "ing_cmd.h"
#include "ing_readings.h"
#include "ing_regions.h"

#include <hiredis/hiredis.h>

enum { /* ing_reading_t.status after a write */
       ING_ST_PENDING = 0,
       ING_ST_NEW = 'n',
       ING_ST_DUP = 'd',
       ING_ST_REJECTED = 'r',
};

/* Partition region of rejected readings without a valid catalog region. */
#define ING_STORE_NO_REGION "~"

typedef struct ing_store_cfg {
    long long raw_maxlen;         /* approximate cap of each gf:raw:{R:b} in entries; 250 */
    long long clean_maxlen;       /* same for gf:clean:{R:b}; default 500 */
    int64_t late_window_s;        /* late readings are remembered this long; default
                                     7 d + 300 s + 1 h (acceptance window, skew and a margin) */
    int64_t agg_min_ttl_s;        /* minute aggregates expire after this; default 8 days */
    size_t chunk;                 /* readings per command at most; default 2000 */
    unsigned buckets;             /* meter buckets per region (hash tags {R:0}..{R:b-1}); 4 */
    unsigned dedupe_depth;        /* K: time stamps remembered per meter; default 16 */
    const char *script_sha;       /* from ing_store_script_load; NULL sends EVAL with the source */
    const ing_regions_t *regions; /* catalog for rejected readings' partition; may be NULL */
} ing_store_cfg_t;

typedef struct ing_store_counts {
    size_t accepted;  /* new readings written to the clean tier */
    size_t duplicate; /* accepted by validation but already seen */
    size_t rejected;  /* failed validation (still in the raw tier) */
} ing_store_counts_t;

typedef struct ing_store_part {
    char region[GF_REGION_MAX + 1];
    unsigned bucket;
    size_t from, count; /* range of plan.idx */
} ing_store_part_t;

typedef struct ing_store_plan {
    size_t *idx; /* batch indices, grouped by part, ascending within one */
    ing_store_part_t *parts;
    size_t nparts, cap_parts;
} ing_store_plan_t;

void ing_store_cfg_default(ing_store_cfg_t *cfg);

/* The batch script's Lua source (static). */
const char *ing_store_script(void);
/* SCRIPT LOAD it on every master of a blocking handle (one Redis or a cluster); sha gets
 * 40 hex chars + NUL. Returns 0 or GF_EUNAVAIL ("redis_unavailable"/"redis_error"). The
 * async service sends SCRIPT LOAD <ing_store_script()> itself at connect (the kit sends it
 * to every master of a cluster). */
int ing_store_script_load(gf_rcluster_t *c, char sha[41], gf_err_t *err);

/* Bucket of a meter id (FNV-1a 32 bit mod buckets; 0 when buckets <= 1). */
unsigned ing_store_bucket(const char *meter_id, unsigned buckets);

/* Plan storage: init/cleanup; a plan can be reused across batches. */
void ing_store_plan_init(ing_store_plan_t *p);
void ing_store_plan_cleanup(ing_store_plan_t *p);
/* Group readings of b (validated) into parts. Returns the number of parts. */
size_t ing_store_plan(const ing_store_cfg_t *cfg, const ing_batch_t *b, ing_store_plan_t *p);

/* Build the command of part `part` of the plan into out (reset first). Readings keep
 * their validation codes; rejected ones go to the raw tier only. Can't fail. */
void ing_store_build(const ing_store_cfg_t *cfg, const ing_batch_t *b, const ing_store_plan_t *p,
                     size_t part, ing_cmd_t *out);

/* Interpret the reply to that command: set each reading's status, add to *counts.
 * Returns 0; GF_EUNAVAIL "redis_unavailable" (NULL reply: nothing is known to be written),
 * "noscript" (EVALSHA before SCRIPT LOAD: load and resend), "redis_error"; GF_EINTERNAL
 * "bad_reply" when the reply does not have one status per reading. */
int ing_store_apply_reply(const ing_store_cfg_t *cfg, ing_batch_t *b, const ing_store_plan_t *p,
                          size_t part, const redisReply *reply, ing_store_counts_t *counts,
                          gf_err_t *err);

/* Write the whole batch on a blocking handle: all parts in one pipeline (split by master on
 * a cluster; every part's keys share its {R:b} tag). Returns 0 or the first error (as
 * ing_store_apply_reply; a part without a reply is redis_unavailable). counts is zeroed
 * first. */
int ing_store_write_sync(gf_rcluster_t *c, const ing_store_cfg_t *cfg, ing_batch_t *b,
                         ing_store_counts_t *counts, gf_err_t *err);

#endif
