/*
 * fc_life.h - which models this forecast instance serves, and how they change.
 *
 * One entry per region ("load:<R>" in the registry), each with an fc_holder_t. Lifecycle:
 *   - at start, a loader thread lists gf:reg:models and loads every "load:*" model's
 *     production version; the service is ready once that pass has finished (models loaded or
 *     known absent), and not before;
 *   - a second async Redis connection SUBSCRIBEs to gf:reg:events; an alias event for
 *     production queues a check of that model; every (re)subscription queues a check of ALL
 *     models, because pub/sub does not replay what was missed while disconnected; a timer
 *     re-checks all models every GF_FORECAST_RECHECK_SECONDS as a backstop. On a Redis
 *     Cluster a PUBLISH on any node reaches every node, so one subscription on one reachable
 *     node is enough: the subscriber takes the nodes in turn (the GF_REDIS_CLUSTER seeds,
 *     then the masters the loader's slot map names) and, when its node fails or goes, it
 *     subscribes on the next one;
 *   - a check resolves the alias as it is now (so duplicate or out-of-order events are
 *     harmless), loads + verifies a new version on the loader thread with its own blocking
 *     handle (the kit's gf_rcluster_t: one Redis or a cluster, made usable again after a
 *     Redis restart by gf_rcluster_ensure before each pass) (checksum, spec, native ==
 *     XGBoost: fc_model_load), and hands the model to the loop with gf_loop_call, which
 *     swaps it into the holder. Requests in flight keep the
 *     model they retained; the old one is freed when the last of them releases it. A version
 *     that fails to load is refused, logged and counted, and the serving model stays; the same
 *     version is not retried by the periodic re-check until an event names the model again.
 *
 * Threads: fc_life_get/fc_life_find and the JSON views run on the loop thread; the loader
 * thread reads entries only through their holders (mutex) and their immutable names, and the
 * entry table is append-only (published with a release store of its count).
 */
#ifndef FC_LIFE_H
#define FC_LIFE_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rcluster.h"
#include "fc_model.h"

#define FC_LIFE_MAX_MODELS 256

typedef struct fc_life fc_life_t;

typedef struct fc_life_cfg {
    gf_redis_conf_t redis;  /* one Redis or a Redis Cluster (core/rcluster.h); strings copied */
    double recheck_seconds; /* periodic re-check of all aliases; 0 = never */
} fc_life_cfg_t;

/* Start the loader thread, the subscriber and the timers on `base` (the loop thread must be
 * the caller). Returns NULL with err on failure (thread creation). */
fc_life_t *fc_life_new(struct event_base *base, const fc_life_cfg_t *cfg, gf_err_t *err);

/* Stop everything, join the thread, release every model. Call on the loop thread after the
 * loop stopped (it flushes pending hand-overs by running the loop once, non-blocking). */
void fc_life_free(fc_life_t *l);

/* True once the first full pass over the registry has finished. why gets a reason if not. */
bool fc_life_ready(fc_life_t *l, char *why, size_t whylen);

/* The model serving `region`, retained (caller releases), or NULL. Thread-safe. */
fc_model_t *fc_life_get(fc_life_t *l, const char *region);
/* The same by registry model name ("load:PJM", len bytes). Thread-safe. */
fc_model_t *fc_life_get_name(fc_life_t *l, const char *name, size_t len);

/* GET /v1/models/loaded: new {"models":[{"name","region","alias","version","loaded_at",
 * "created_at","spec_hash","features","intervals","loads","age_seconds"}],"ready":bool,
 * "subscribed":bool,"load_failures":n}; with_features adds each model's "feature_names" (the
 * names /v1/predict rows take, in the model's column order). Loop thread. */
json_t *fc_life_loaded_json(fc_life_t *l, bool with_features);

/* Number of successful installs so far (a cheap change counter). */
uint64_t fc_life_generation(fc_life_t *l);

#endif
