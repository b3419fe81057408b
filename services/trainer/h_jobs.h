/* h_jobs.h - trainer job routes (see h_jobs.c). */
#ifndef GF_TRAINER_H_JOBS_H
#define GF_TRAINER_H_JOBS_H

#include "core/http.h"

/* GET /v1/jobs?limit=N (1..1000, default 50): recent jobs, newest first. */
void h_jobs_list(gf_req_t *r);

/* POST /v1/jobs {"regions":[..]|"all", options...}: 202 with the queued job and Location;
 * 400 bad body (naming the field), 422 unknown regions, 429 queue full, 503 Redis down. */
void h_jobs_post(gf_req_t *r);

/* GET /v1/jobs/{id}: the job document; 404 unknown_job. */
void h_jobs_get(gf_req_t *r);

/* Prometheus gauges for queued/running jobs (call once at init). */
void trn_jobs_metrics_init(void *app);

/* Queue a job whose document is saved (stolen: freed when refused) on the job pool. Thread-safe
 * (the schedule submits from the registry pool). GF_ERATE "queue_full" when
 * GF_TRAINER_MAX_QUEUED_JOBS wait, GF_EUNAVAIL "shutting_down" while stopping. */
struct trn_app;
struct trn_job;
int trn_jobs_submit(struct trn_app *app, struct trn_job *job, gf_err_t *err);

#endif
