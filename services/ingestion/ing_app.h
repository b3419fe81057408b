/*
 * ing_app.h - the ingestion service's application state, shared by its handler files
 * (h_readings.c, h_demand.c, h_regions.c, h_summary.c, h_anomalies.c), the EIA puller
 * (ing_eia_pull.c) and main.c.
 *
 * Threads: the loop thread owns everything here except what is marked otherwise. Imports
 * (h_demand.c) and the anomaly scans (h_anomalies.c) run on kit worker pools (core/pool.h),
 * each thread with its own blocking Redis connection; they read only the const parts
 * (config, regions table), and an import's result comes back to the loop with its task.
 */
#ifndef GF_INGESTION_ING_APP_H
#define GF_INGESTION_ING_APP_H

#include "core/pool.h"
#include "core/svc.h"
#include "ing_anomaly.h"
#include "ing_live.h"
#include "ing_readings.h"
#include "ing_regions.h"
#include "ing_store.h"
#include "ing_validate.h"

#include <pthread.h>

typedef struct ing_scanner ing_scanner_t;
typedef struct ing_puller ing_puller_t;
typedef struct ing_wx_puller ing_wx_puller_t;

#define ING_BATCH_POOL 4

typedef struct ing_app {
    gf_service_t *svc;
    struct event_base *base;
    gf_redis_t *redis;
    gf_redis_conf_t redis_conf; /* GF_REDIS_CLUSTER / HOST / PORT, for pool threads' handles */
    const char *data_dir;

    ing_regions_t regions; /* read-only after init: shared with the worker threads */
    ing_validate_cfg_t vcfg;
    ing_store_cfg_t scfg; /* scfg.script_sha points at store_sha when loaded */
    char store_sha[41];
    ing_anomaly_cfg_t acfg;
    size_t max_readings;

    /* Reused reading batches (loop thread). */
    ing_batch_t *batch_pool[ING_BATCH_POOL];
    size_t nbatch_pool;

    ing_live_t *live;
    int summary_rate_s;

    gf_pool_t *imports; /* imports and the catalog save (GF_INGEST_IMPORT_WORKERS/_QUEUE) */
    ing_scanner_t *scanner;
    ing_puller_t *puller;
    ing_wx_puller_t *wx_puller; /* NULL when off */

    int cb_pending; /* Redis/HTTP callbacks in flight that point at app state (cleanup waits) */

    /* Readiness (loop thread): the batch script loaded (store_sha set) and the regions
     * catalog saved since the last connect; each retried with backoff until it succeeds. */
    bool regions_saved;
    gf_redis_retry_t *script_retry;
    gf_redis_retry_t *regions_retry;

    size_t anomaly_max;       /* stored anomalies per region and type at most */
    int anomaly_clear_s;      /* a meter episode closes after this long without a record */
    size_t meter_anomaly_max; /* meter anomalies stored per batch at most */
} ing_app_t;

/* h_readings.c */
void ing_readings_metrics_init(void);
void h_readings_post(gf_req_t *r);
void ing_redis_state(bool ready, void *arg); /* loads the batch script on every connect */
void ing_load_script(void *app);             /* (again): the retry of a failed load */

/* h_demand.c */
void ing_demand_metrics_init(void);
void h_demand_post(gf_req_t *r);
void h_demand_flags_post(gf_req_t *r);
void h_demand_get(gf_req_t *r);
/* Queue a save of the regions catalog (gf:region:{R} code, name, tz) on the pool; a failed
 * save is retried (app->regions_retry), a successful one sets app->regions_saved. */
void ing_demand_save_regions(void *app);
/* Account rows upserted into a region (metrics gf_ingestion_demand_rows_total and the
 * latest-hour gauge gf_ingestion_demand_mw). Thread-safe. */
void ing_demand_account(const char *region, size_t rows, int64_t last_hour, double last_mw);

/* h_temperature.c */
void ing_temp_metrics_init(void);
void h_temperature_post(gf_req_t *r);
void h_temperature_forecasts_post(gf_req_t *r);
void h_temperature_get(gf_req_t *r);
void h_temperature_forecasts_get(gf_req_t *r);
void h_temperature_regions_get(gf_req_t *r);

/* ing_wx_pull.c: the Open-Meteo temperature forecast puller */
typedef struct ing_wx_puller_cfg {
    const char *regions; /* "NYC=40.71,-74.01;..." (ing_wx_sites_parse); empty = off */
    const char *url;
    const char *api_key; /* optional (commercial host); never logged */
    int interval_s;
    int forecast_days;
    double timeout_s;
} ing_wx_puller_cfg_t;
/* NULL when no region is configured (off; err untouched) or on a bad config (err set). */
ing_wx_puller_t *ing_wx_puller_new(ing_app_t *app, const ing_wx_puller_cfg_t *cfg, gf_err_t *err);
void ing_wx_puller_stop(ing_wx_puller_t *p);
void ing_wx_puller_free(ing_wx_puller_t *p);
/* Status for GET /v1/temperature/regions; JSON null when p is NULL. */
json_t *ing_wx_puller_status(const ing_wx_puller_t *p);

/* h_regions.c */
void h_regions_get(gf_req_t *r);

/* h_summary.c */
void h_summary_get(gf_req_t *r);

/* h_anomalies.c */
typedef struct ing_scanner_cfg {
    int interval_s;
    int lookback_h;
} ing_scanner_cfg_t;
/* Start the scan timer on app->base and the scan thread. NULL with err on failure. */
ing_scanner_t *ing_scanner_new(ing_app_t *app, const ing_scanner_cfg_t *cfg, gf_err_t *err);
/* Stop the timer, end a running scan early (between regions) and join. Loop thread. */
void ing_scanner_free(ing_scanner_t *s);
/* Store meter anomalies of a batch (async, fire and forget; errors are logged). */
void ing_anomaly_store_async(ing_app_t *app, const ing_anomaly_t *a, size_t n);
void h_anomalies_get(gf_req_t *r);
/* Count anomalies seen since `since` (epoch s) over every catalog region; done() runs on
 * the loop once every region answered (failed = 1 when one did not). Returns 0. */
int ing_anomaly_count_since(ing_app_t *app, int64_t since,
                            void (*done)(long long n, int failed, void *ud), void *ud);
void ing_anomaly_metrics_init(void);

/* ing_eia_pull.c */
typedef struct ing_puller_cfg {
    const char *api_key;
    const char *url;
    const char *respondents; /* comma-separated */
    int interval_s;
    int lookback_h;
    int page_length;
    double timeout_s;
} ing_puller_cfg_t;
/* NULL when no API key is configured (the puller is off). */
ing_puller_t *ing_puller_new(ing_app_t *app, const ing_puller_cfg_t *cfg, gf_err_t *err);
/* Stop the timer (no new runs); a run in flight finishes its callbacks. */
void ing_puller_stop(ing_puller_t *p);
void ing_puller_free(ing_puller_t *p);
json_t *ing_puller_status(const ing_puller_t *p);

#endif
