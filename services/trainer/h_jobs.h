/* h_jobs.h - trainer job routes (see h_jobs.c). */
#ifndef GF_TRAINER_H_JOBS_H
#define GF_TRAINER_H_JOBS_H

#include "core/http.h"

/* GET /v1/jobs?limit=N (1..1000, default 50): recent jobs, newest first. */
void h_jobs_list(gf_req_t *r);

#endif
