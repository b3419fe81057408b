/*
 * h_schedule.h - scheduled retraining routes (GET /v1/schedule, PUT /v1/schedule/{region})
 * and the periodic check that starts scheduled jobs (see h_schedule.c, trn_schedule.h).
 */
#ifndef GF_TRAINER_H_SCHEDULE_H
#define GF_TRAINER_H_SCHEDULE_H

#include "core/err.h"
#include "core/http.h"

struct trn_app;

void h_schedule_list(gf_req_t *r);
void h_schedule_put(gf_req_t *r);

/* Start the periodic check (every app->sched_check_seconds) on the loop. 0 or GF_EINTERNAL. */
int trn_schedule_start(struct trn_app *app, gf_err_t *err);
/* Stop it (loop thread; idempotent). */
void trn_schedule_stop(struct trn_app *app);

#endif
