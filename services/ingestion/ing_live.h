/*
 * ing_live.h - live figures of one ingestion process for GET /v1/summary: meters seen
 * recently with their last power reading (current load per region), and per-second
 * counters of accepted, duplicate and rejected readings (rates, by reason).
 *
 * Fed on the loop thread after Redis confirmed a chunk (only stored readings count), read
 * on the same thread: no locking. Memory is bounded: at most max_meters meters are
 * tracked (the table is rebuilt without stale meters when it fills; further new meters are
 * counted in `untracked`), and 64 one-second slots of counters.
 *
 * Ownership: ing_live_t is opaque (new/free); ing_live_summary returns a new reference.
 */
#ifndef GF_INGESTION_ING_LIVE_H
#define GF_INGESTION_ING_LIVE_H

#include "ing_readings.h"
#include "ing_regions.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ing_live ing_live_t;

/* window_s: a meter counts as reporting when seen within this many seconds (default 60).
 * max_meters 0: 200,000. Never NULL (OOM aborts). */
ing_live_t *ing_live_new(size_t max_meters, int window_s);
void ing_live_free(ing_live_t *l);

/* One stored, first-seen reading (arrival time now_s): remembers the meter, its region,
 * its last kw (when the reading has one) and the newest reading time. */
void ing_live_meter(ing_live_t *l, const ing_reading_t *r, int64_t now_s);

/* Add counts of one batch at arrival second now_s. rejected_by_code has ING_R__COUNT
 * entries (index = ing_reject_t) or is NULL. */
void ing_live_count(ing_live_t *l, int64_t now_s, size_t accepted, size_t duplicate,
                    const size_t *rejected_by_code);

/* Meters seen within the window at now_s. */
size_t ing_live_meters_reporting(const ing_live_t *l, int64_t now_s);

/* New reference:
 * {"at","window_s","meters_reporting","meters_untracked","readings_per_second",
 *  "duplicates_per_second","rejected_per_second","rejected_per_second_by_reason":{},
 *  "accepted","duplicate","rejected","rejected_by_reason":{},"last_reading","last_received",
 *  "total_load_mw","regions":[{"region","name","load_mw","meters","updated"}]}
 * Rates are averages over the last rate_s (1..60) complete seconds; names from regions
 * (may be NULL). */
json_t *ing_live_summary(const ing_live_t *l, int64_t now_s, int rate_s,
                         const ing_regions_t *regions);

#endif
