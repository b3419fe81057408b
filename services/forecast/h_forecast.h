/*
 * h_forecast.h - the forecast service's routes: GET /v1/forecast, POST /v1/predict,
 * GET /v1/models/loaded (README.md documents shapes, errors and configuration).
 *
 * Threads: everything runs on the loop thread (Redis reads are async, feature building and the
 * native evaluator are cheap for one region's 1..168 hours), except /v1/predict bodies larger
 * than GF_FORECAST_INLINE_BYTES, which go to the kit's worker pool (core/pool.h) so a
 * 10,000-row batch does not stall the loop; the reply is written on the loop when the batch is
 * done.
 */
#ifndef FC_H_FORECAST_H
#define FC_H_FORECAST_H

#include <event2/event.h>
#include <stddef.h>

#include "core/http.h"
#include "core/pool.h"
#include "fc_cache.h"
#include "fc_life.h"

/* Reusable buffers of one thread's predictions (grow-only). */
typedef struct fc_scratch {
    float *x, *pt, *bnd;
    size_t x_cap, pt_cap, bnd_cap;
    char *out;
    size_t out_cap, out_len;
} fc_scratch_t;

typedef struct fc_app {
    struct event_base *base;
    struct gf_redis *redis; /* the kit's async connection (loop thread) */
    fc_life_t *life;
    fc_cache_t *cache;
    gf_pool_t *pool;     /* large predict batches (GF_FORECAST_WORKERS, GF_FORECAST_QUEUE) */
    size_t inline_bytes; /* predict bodies up to this size run on the loop */
    size_t max_rows;
    fc_scratch_t scratch; /* loop thread: inline predictions without per-request buffers */
} fc_app_t;

void fc_scratch_cleanup(fc_scratch_t *s);

/* Register the service's metric families; `cache` feeds gf_forecast_cache_entries. */
void fc_metrics_init(fc_cache_t *cache);

void h_forecast_get(gf_req_t *r);
void h_predict_post(gf_req_t *r);
void h_models_loaded_get(gf_req_t *r);

#endif
