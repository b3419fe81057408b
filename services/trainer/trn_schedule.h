/*
 * trn_schedule.h - scheduled retraining as data: a region's schedule document, the due
 * decision, the PUT /v1/schedule/{region} body, and the summary of a finished scheduled job.
 * Pure (jansson only): the Redis side and the timer are in h_schedule.c. Unit-tested in
 * tests/unit/trainer/test_trn_schedule.c; the body parser has a fuzz target.
 *
 * A schedule document (stored as JSON in gf:sched:{R} field "json"):
 *   {"region":"PJM","enabled":true,"every_hours":168,"after_days":7,
 *    "options":{...POST /v1/jobs members except "regions"...},
 *    "next_run":<epoch s>|null,"last_run":<epoch s>|null,"run_data":<epoch s>|null,
 *    "trigger":"time"|"data"|null,
 *    "job":"<id of the scheduled job not finished yet>"|null,"last_result":{...}|null}
 * Members missing from a stored document take the service defaults (GF_TRAINER_RETRAIN_*), so
 * a region without a stored document follows the configuration.
 *
 * Due rule (trn_sched_due), checked only when enabled and no scheduled job of the region is
 * still queued or running:
 *   time: every_hours > 0 and now >= next_run (next_run is set to the first check +
 *         every_hours when it is null, and to the start + every_hours after each run);
 *   data: after_days > 0, a production model exists, and the region's newest stored hour is
 *         at least after_days * 24 h after the last hour the production model's run saw (the
 *         end of its test period; the model's own data_to when the version has no test range)
 *         — or after the newest hour when the last scheduled run started ("run_data"), when
 *         that run finished (succeeded/partial) without replacing the model: the same data is
 *         never judged twice. After a run that failed (or was interrupted) the data rule waits
 *         TRN_SCHED_RETRY_SECONDS from its start before trying again.
 */
#ifndef GF_TRAINER_TRN_SCHEDULE_H
#define GF_TRAINER_TRN_SCHEDULE_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "trn_champion.h"
#include "trn_job.h"

#define TRN_SCHED_MAX_EVERY_HOURS 8760
#define TRN_SCHED_MAX_AFTER_DAYS 365
#define TRN_SCHED_RETRY_SECONDS 3600 /* a failed scheduled run is retried after this */

typedef struct trn_sched_defaults {
    int enabled;
    int every_hours;     /* 0 = no time trigger */
    int after_days;      /* 0 = no data trigger */
    trn_job_opts_t opts; /* job options of a scheduled run (min_gain_pct included) */
} trn_sched_defaults_t;

/* The effective settings of a stored document (NULL = none stored) with the defaults. */
typedef struct trn_sched_eff {
    int enabled, every_hours, after_days;
} trn_sched_eff_t;
void trn_sched_effective(const json_t *doc, const trn_sched_defaults_t *d, trn_sched_eff_t *out);

/* New reference: the document to store for `region` (a copy of doc, or a new one when doc is
 * NULL), with every member present. */
json_t *trn_sched_doc(const json_t *doc, const char *region);

/* Parse a PUT /v1/schedule/{region} body:
 *   {"enabled":bool,"every_hours":0..8760,"after_days":0..365,"options":{job options}}
 * all optional, at least one present; "options" members are those of POST /v1/jobs except
 * "regions" (checked by trn_job_opts_parse) and replace the stored options as a whole. On
 * success *out is a new document: doc (or an empty one) with the given members replaced;
 * setting every_hours also re-plans next_run from now. GF_EINVAL with a code naming the
 * member otherwise ("invalid_body", "empty_body", "unknown_field", "invalid_enabled",
 * "invalid_every_hours", "invalid_after_days", "invalid_options", or the job option's code). */
int trn_sched_parse_put(const json_t *body, const json_t *doc, const char *region,
                        const trn_sched_defaults_t *d, double now, json_t **out, gf_err_t *err);

/* The job options of a scheduled run: the defaults, then the document's "options". Sets
 * scheduled = 1. 0, or GF_EINVAL when the stored options no longer parse. */
int trn_sched_job_opts(const json_t *doc, const trn_sched_defaults_t *d, trn_job_opts_t *out,
                       gf_err_t *err);

/* 1 when a run is due now (why gets "time" or "data"), 0 otherwise. data_last: the region's
 * newest stored hour (epoch s, 0 = unknown); seen_to: the last hour the production model's
 * run saw (0 = no production model). Ignores "job" (the caller checks it first). */
int trn_sched_due(const json_t *doc, const trn_sched_defaults_t *d, double now, int64_t data_last,
                  int64_t seen_to, char *why, size_t whylen);

/* Plan after a check: when every_hours > 0 and next_run is null, next_run = now + every_hours
 * (returns 1 = changed); with every_hours 0 next_run becomes null. */
int trn_sched_plan(json_t *doc, const trn_sched_defaults_t *d, double now);

/* Record a started run in doc: job id, trigger, last_run = now, run_data = data_last (the
 * region's newest hour now), next_run = now + every_hours (null when 0). */
void trn_sched_started(json_t *doc, const trn_sched_defaults_t *d, const char *job_id,
                       const char *why, int64_t data_last, double now);

/* The stored job document of the scheduled job: when it is finished, set doc's last_result to
 * {"job","trigger","state","finished_at","promoted","version","alias","reason",
 *  "champion_mape","challenger_mape","hours","error"} for `region`, clear "job" and return 1;
 * 0 when it is still queued or running. A NULL job document (expired, never saved) records
 * state "lost". */
int trn_sched_finish(json_t *doc, const json_t *job_doc, double now);

/* Rewrite cc->reason for the alias history of a scheduled run:
 * "scheduled retrain: MAPE 3.10 → 2.90 % on 28 days (…)". */
void trn_sched_reason(trn_cc_t *cc, int test_days);

#endif
