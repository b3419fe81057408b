/*
 * trn_bg.h - one background thread with a sync Redis connection, for the registry routes.
 *
 * libs/registry speaks hiredis' sync API; calling it on the loop thread would stall every
 * other request behind a slow Redis. A handler instead submits {work, done, arg}: `work`
 * runs on the background thread with a connected context (NULL when Redis cannot be
 * reached: work must then report GF_EUNAVAIL), `done` runs afterwards on the loop thread
 * (gf_loop_call) and replies. Tasks run in order.
 *
 * Ownership: arg belongs to the submitter's task until done() returns. trn_bg_free runs the
 * tasks still queued (their done() calls are posted to the loop, which must still run) and
 * joins the thread.
 */
#ifndef GF_TRAINER_TRN_BG_H
#define GF_TRAINER_TRN_BG_H

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "core/err.h"

typedef struct trn_bg trn_bg_t;

typedef void (*trn_bg_work_fn)(redisContext *c, void *arg);
typedef void (*trn_bg_done_fn)(void *arg);

/* NULL on error (err filled). host must outlive the thread. */
trn_bg_t *trn_bg_new(struct event_base *base, const char *host, int port, gf_err_t *err);

/* Queue a task. 0, or GF_EUNAVAIL "shutting_down" (nothing will run). */
int trn_bg_submit(trn_bg_t *bg, trn_bg_work_fn work, trn_bg_done_fn done, void *arg,
                  gf_err_t *err);

/* done == NULL: the task has no loop part (fire and forget). */

void trn_bg_free(trn_bg_t *bg);

#endif
