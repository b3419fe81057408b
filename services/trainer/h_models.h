/* h_models.h - registry routes of the trainer (see h_models.c). */
#ifndef GF_TRAINER_H_MODELS_H
#define GF_TRAINER_H_MODELS_H

#include <hiredis/hiredis.h>

#include "core/http.h"
#include "core/pool.h"
#include "core/rcluster.h"

struct trn_app;

/* GET /v1/models: every model with its latest version, version count and aliases. */
void h_models_list(gf_req_t *r);

/* GET /v1/models/{name}: versions (metrics, params, ranges), aliases and alias history;
 * 404 unknown_model. */
void h_models_get(gf_req_t *r);

/* POST /v1/models/{name}/aliases {"alias","version"|"rollback":true,"who","reason"?,
 * "expect"?,"force"?}: 200 {"name","alias","from","to"}; 400 bad body (naming the field),
 * 404 unknown model/version, 409 compare-and-set failed, deprecated version or nothing to
 * roll back to, 503 Redis down. */
void h_models_aliases_post(gf_req_t *r);

/* The registry pool thread's blocking handle (gf_rcluster_worker: kept in w->local; one
 * Redis or a Redis Cluster), or NULL when Redis cannot be reached. For work on app->registry
 * only. */
gf_rcluster_t *trn_registry_conn(gf_pool_worker_t *w, const struct trn_app *app);

#endif
