/*
 * ing_live.h - live figures of one ingestion process for GET /v1/summary: meters reporting
 * within the live window and the current load per region, and per-second counters of
 * accepted, duplicate and rejected readings (rates, by reason).
 *
 * Fed on the loop thread after Redis confirmed a chunk (only stored readings count), read
 * on the same thread: no locking.
 *
 * Live window: a reading counts for the live figures only when its own time stamp lies in
 * (now - window_s, now + skew]: a back-filled reading (stamped hours or days ago) goes to
 * the history and the aggregates, never to "now". Figures are APPROXIMATE and cost O(1)
 * per reading and fixed memory, whatever the fleet size: per region, the window is cut
 * into ING_LIVE_SLOTS slots by reading time, each holding two HyperLogLog sketches
 * (2,048 registers: meters, and meters with kw; standard error about 2.3 %, exact-ish
 * below a few hundred meters through linear counting), the sum of kw and the number of kw
 * readings. meters = distinct meters over the live slots; load = mean kw per reading x
 * distinct meters with kw (each meter's average over the window, not its very last value).
 * Memory: at most 255 regions x ING_LIVE_SLOTS x ~4 KiB, allocated per region on first use.
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

#define ING_LIVE_SLOTS 12

typedef struct ing_live ing_live_t;

/* window_s: the live window (default 60 s when <= 0); skew_s: readings up to this far in
 * the future count as now. Never NULL (OOM aborts). */
ing_live_t *ing_live_new(int window_s, int skew_s);
void ing_live_free(ing_live_t *l);

/* One stored, first-seen reading arriving at now_s: counts for the live figures when its
 * time stamp is inside the window (see above); always updates the newest reading time. */
void ing_live_meter(ing_live_t *l, const ing_reading_t *r, int64_t now_s);

/* Add counts of one batch at arrival second now_s. rejected_by_code has ING_R__COUNT
 * entries (index = ing_reject_t) or is NULL. */
void ing_live_count(ing_live_t *l, int64_t now_s, size_t accepted, size_t duplicate,
                    const size_t *rejected_by_code);

/* Estimated meters with a reading stamped within the window at now_s. */
size_t ing_live_meters_reporting(const ing_live_t *l, int64_t now_s);

/* New reference:
 * {"at","window_s","rate_window_s","approximate":true,"meters_reporting",
 *  "readings_per_second","duplicates_per_second","rejected_per_second",
 *  "rejected_per_second_by_reason":{},"accepted","duplicate","rejected",
 *  "rejected_by_reason":{},"last_reading","last_received","total_load_mw",
 *  "regions":[{"region","name","load_mw","meters","updated"}]}
 * Rates are averages over the last rate_s (1..60) complete seconds; names from regions
 * (may be NULL). */
json_t *ing_live_summary(const ing_live_t *l, int64_t now_s, int rate_s,
                         const ing_regions_t *regions);

#endif
