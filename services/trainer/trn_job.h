/*
 * trn_job.h - a training job as data: its options (parsed from the POST /v1/jobs body), its
 * state machine, its progress and per-region results, and its JSON document (the one stored
 * in Redis under gf:job:{id} field "json" and served by GET /v1/jobs/{id}). Pure: no Redis,
 * no threads, so everything here is unit-tested (tests/unit/trainer/test_trn_job.c).
 *
 * States: queued -> running -> succeeded | partial | failed. "partial" = some regions
 * trained and registered, others failed (each says why); "failed" = none did, or the job was
 * interrupted (restart, shutdown), with "error" saying why.
 *
 * Ownership: trn_job_t is heap (trn_job_new / trn_job_free); it owns its region strings and
 * its results array. One thread mutates a job at a time (the loop thread until it is handed
 * to a worker, then that worker).
 */
#ifndef GF_TRAINER_TRN_JOB_H
#define GF_TRAINER_TRN_JOB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define TRN_JOB_MAX_REGIONS 256
#define TRN_JOB_ID_MAX 47

typedef enum {
    TRN_JOB_QUEUED,
    TRN_JOB_RUNNING,
    TRN_JOB_SUCCEEDED,
    TRN_JOB_PARTIAL,
    TRN_JOB_FAILED,
} trn_job_state_t;

/* Options of a job; defaults come from the service configuration. */
typedef struct trn_job_opts {
    int test_days;       /* backtest days, 1..365 */
    int val_days;        /* validation days for the parameter search, 7..365 */
    int search;          /* 1 = small parameter search, 0 = default parameters only */
    int max_rounds;      /* 0 = default; 1..5000 caps boosting rounds (expert knob) */
    int max_train_days;  /* 0 = all history; else 28..7300 days of training origins */
    int promote;         /* 1 = champion/challenger decides production; 0 = staging only */
    double min_gain_pct; /* promote only when the challenger's MAPE is at least this many percent
                            (relative) below the champion's; 0 = strictly lower, 0..50 */
    int scheduled;       /* 1 = started by the retraining schedule (trn_schedule.h), not the API */
} trn_job_opts_t;

typedef struct trn_job {
    char id[TRN_JOB_ID_MAX + 1];
    char **regions; /* owned */
    size_t nregions;
    int all; /* the request said "all" */
    trn_job_opts_t opts;
    trn_job_state_t state;
    double created_at, started_at, finished_at; /* wall clock epoch seconds; 0 = not yet */
    double heartbeat_at;                        /* last save while running */
    char owner[64];                             /* host that runs the job */
    char instance[24];                          /* the process that runs it (random per start) */
    /* progress of the running job */
    size_t region_index; /* 0-based index of the region being trained */
    char stage[16];      /* "loading", "features", "search", "calibration", "refit",
                            "backtest", "save", "champion", "final_refit", "register" */
    int candidate, candidates, round, max_rounds;
    json_t *results;                 /* array of per-region result objects, owned */
    char err_code[48], err_msg[256]; /* job-level error ("" when none) */
} trn_job_t;

/* Parse the POST /v1/jobs body:
 *   {"regions": ["PJM","NYIS"] | "all", "test_days": 14, "val_days": 28, "search": true,
 *    "max_rounds": 5, "max_train_days": 365, "promote": true, "min_gain_pct": 1.0}
 * Only "regions" is required; other members default to *defaults. Unknown members, wrong
 * types, values out of range, duplicate or malformed region codes are refused with
 * GF_EINVAL and a code naming the member ("missing_field", "unknown_field",
 * "invalid_regions", "invalid_test_days", ...) plus details [{"field","reason"}].
 * On success *regions is a malloc'd array of malloc'd codes (n = 0 and NULL when "all");
 * free with trn_strv_free. */
int trn_job_opts_parse(const json_t *body, const trn_job_opts_t *defaults, trn_job_opts_t *out,
                       char ***regions, size_t *nregions, int *all, gf_err_t *err);

/* 0 when every member of the object body is in the NULL-terminated list known; else
 * GF_EINVAL "unknown_field" naming the first other member. */
int trn_json_only(const json_t *body, const char *const *known, gf_err_t *err);

void trn_strv_free(char **v, size_t n);

/* New queued job; steals regions (n codes). Never NULL (aborts on OOM). */
trn_job_t *trn_job_new(const char *id, char **regions, size_t n, int all,
                       const trn_job_opts_t *opts, const char *owner, double now);
void trn_job_free(trn_job_t *j);

/* Job ids: "<UTC yyyymmddThhmmss>-<8 hex random>", sortable by creation time. buf >= 32. */
void trn_job_id_new(char *buf, size_t len, double now);
/* 1 when s looks like a job id ([A-Za-z0-9_-]{1,47}). */
int trn_job_id_valid(const char *s);

const char *trn_job_state_name(trn_job_state_t s);

/* Final state from the region outcomes: all ok -> succeeded, none ok -> failed, else partial. */
trn_job_state_t trn_job_outcome(size_t n_ok, size_t n_failed);

/* Set the job-level error (code, printf message). */
void trn_job_set_error(trn_job_t *j, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* New reference: the job document.
 * {"id","state","regions":[..],"all","options":{..},"owner","created_at","started_at",
 *  "finished_at","heartbeat_at" (RFC 3339 or null),"timings":{"queued_seconds","run_seconds"},
 *  "progress":{"region","region_index" (1-based),"regions","regions_done","stage",
 *  "candidate","candidates","round","max_rounds"},"results":[..],"error":null|{code,message}} */
json_t *trn_job_to_json(const trn_job_t *j);

/* A stored job document left queued or running by a process that is gone: when its state is
 * "queued" or "running", (owner == NULL or its "owner" equals owner) and its "instance" is
 * not `self` (the current process; NULL = none), set state "failed", error {code, message}
 * and finished_at = now. Returns 1 when changed, 0 when not. */
int trn_job_json_interrupt(json_t *doc, const char *owner, const char *self, const char *code,
                           const char *message, double now);

/* A stored "running" job whose "heartbeat_at" (else "started_at") is more than stale_seconds
 * before now: its process stopped saving progress (killed on another host, frozen). Pure. */
int trn_job_json_is_stale(const json_t *doc, double now, double stale_seconds);

#endif
