/*
 * gf-ingestion: meter readings (validated, deduplicated, tiered into Redis), hourly regional
 * demand history (streamed CSV/JSON imports, read-back), the regions catalog, live figures,
 * anomalies, and the EIA API puller. Wiring only: the kit runs config, loop, standard
 * routes, Redis, signals and drain; the h_<resource>.c files hold the routes and background
 * work, ing_eia_pull.c the EIA puller, the other ing_*.c the core (no HTTP).
 */
#include <stdlib.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "core/svc.h"
#include "ing_app.h"

#define MIB (1024u * 1024u)

static const gf_cfg_opt_t opts[] = {
    {"GF_INGEST_DATA_DIR", GF_CFG_STR, "services/ingestion/data", 0, -1,
     "directory of the regions catalog (eia930_regions.csv, regions_extra.csv)"},
    {"GF_INGEST_MAX_READINGS", GF_CFG_INT, "100000", 1, 1000000, "readings per batch at most"},
    {"GF_INGEST_CHUNK", GF_CFG_INT, "2000", 100, 100000, "readings per Redis write command"},
    {"GF_INGEST_MAX_KW", GF_CFG_DOUBLE, "1000", 0, 1e9, "largest plausible kw of one meter"},
    {"GF_INGEST_MAX_KWH", GF_CFG_DOUBLE, "1000", 0, 1e9, "largest plausible kwh of one reading"},
    {"GF_INGEST_VOLTAGE_MIN", GF_CFG_DOUBLE, "80", 0, 1e6, "lowest plausible voltage_v"},
    {"GF_INGEST_VOLTAGE_MAX", GF_CFG_DOUBLE, "300", 0, 1e6, "highest plausible voltage_v"},
    {"GF_INGEST_MAX_SKEW_S", GF_CFG_INT, "300", 0, 86400, "readings may be this far in the future"},
    {"GF_INGEST_MAX_AGE_S", GF_CFG_INT, "604800", 60, 31622400,
     "readings may be this old (also how long late readings are remembered for dedupe)"},
    {"GF_INGEST_RAW_MAXLEN", GF_CFG_INT, "250", 10, 100000000,
     "cap of each gf:raw:{R:b} in entries (write parts)"},
    {"GF_INGEST_CLEAN_MAXLEN", GF_CFG_INT, "500", 10, 100000000,
     "cap of each gf:clean:{R:b} in entries (write parts)"},
    {"GF_INGEST_BUCKETS", GF_CFG_INT, "4", 1, 1024,
     "meter buckets per region (hash tags {R:b}); the same on every instance"},
    {"GF_INGEST_DEDUPE_DEPTH", GF_CFG_INT, "16", 1, 64,
     "newest accepted time stamps remembered per meter for dedupe"},
    {"GF_INGEST_LIVE_WINDOW_S", GF_CFG_INT, "60", 5, 86400,
     "live window of GET /v1/summary (by reading time)"},
    {"GF_INGEST_SUMMARY_RATE_S", GF_CFG_INT, "10", 1, 60, "seconds the summary rates average over"},
    {"GF_INGEST_IMPORT_WORKERS", GF_CFG_INT, "1", 1, 16, "import threads"},
    {"GF_INGEST_IMPORT_QUEUE", GF_CFG_INT, "8", 1, 1000, "imports waiting at most (then 503)"},
    {"GF_INGEST_ANOMALY_INTERVAL_S", GF_CFG_INT, "60", 1, 86400, "regional anomaly scan period"},
    {"GF_INGEST_ANOMALY_LOOKBACK_H", GF_CFG_INT, "24", 1, 8760, "hours checked by each scan"},
    {"GF_INGEST_ANOMALY_WEEKS", GF_CFG_INT, "4", 1, 52, "baseline depth (same hour of week)"},
    {"GF_INGEST_ANOMALY_MIN_HISTORY", GF_CFG_INT, "3", 1, 52, "baseline values needed"},
    {"GF_INGEST_ANOMALY_Z_WARN", GF_CFG_DOUBLE, "3.5", 0.1, 1000, "robust z for a warning"},
    {"GF_INGEST_ANOMALY_Z_CRIT", GF_CFG_DOUBLE, "6", 0.1, 1000, "robust z for critical"},
    {"GF_INGEST_ANOMALY_MIN_REL_DEV", GF_CFG_DOUBLE, "0.10", 0, 100,
     "deviation must also be this fraction of the baseline"},
    {"GF_INGEST_ANOMALY_MAX", GF_CFG_INT, "1000", 10, 10000000,
     "anomalies kept per region and type"},
    {"GF_INGEST_ANOMALY_CLEAR_S", GF_CFG_INT, "900", 1, 31622400,
     "a meter anomaly episode closes after this long without an implausible reading"},
    {"GF_INGEST_METER_ANOMALIES_PER_BATCH", GF_CFG_INT, "64", 0, 64,
     "implausible-meter records stored per batch at most"},
    {"GF_INGEST_EIA_API_KEY", GF_CFG_STR, "", 0, -1, "EIA API v2 key; empty = puller off"},
    {"GF_INGEST_EIA_URL", GF_CFG_STR, "https://api.eia.gov/v2/electricity/rto/region-data/data/", 0,
     -1, "EIA region-data route (http:// only: use an http proxy for api.eia.gov)"},
    {"GF_INGEST_EIA_RESPONDENTS", GF_CFG_STR, "CISO,ERCO,ISNE,MISO,NYIS,PJM,SWPP", 0, -1,
     "balancing authorities to pull (comma-separated)"},
    {"GF_INGEST_EIA_INTERVAL_S", GF_CFG_INT, "900", 1, 86400, "seconds between pulls"},
    {"GF_INGEST_EIA_LOOKBACK_H", GF_CFG_INT, "48", 1, 8760, "hours re-fetched by each pull"},
    {"GF_INGEST_EIA_PAGE_LENGTH", GF_CFG_INT, "5000", 1, 5000, "rows per EIA page"},
    {"GF_INGEST_EIA_TIMEOUT_S", GF_CFG_DOUBLE, "30", 0.1, 600, "timeout of one EIA request"},
    {"GF_INGEST_WX_REGIONS", GF_CFG_STR, "", 0, -1,
     "Open-Meteo temperature forecasts: REGION=LAT,LON;... (empty = puller off)"},
    {"GF_INGEST_WX_URL", GF_CFG_STR, "https://api.open-meteo.com/v1/forecast", 0, -1,
     "Open-Meteo forecast route"},
    {"GF_INGEST_WX_API_KEY", GF_CFG_STR, "", 0, -1,
     "Open-Meteo API key (commercial host only; the free host needs none)"},
    {"GF_INGEST_WX_INTERVAL_S", GF_CFG_INT, "3600", 1, 86400, "seconds between forecast pulls"},
    {"GF_INGEST_WX_FORECAST_DAYS", GF_CFG_INT, "3", 1, 16, "days of hourly forecast per pull"},
    {"GF_INGEST_WX_TIMEOUT_S", GF_CFG_DOUBLE, "30", 0.1, 600, "timeout of one Open-Meteo request"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static const gf_route_t routes[] = {
    {"POST", "/v1/readings", h_readings_post, 16 * MIB, "application/json,application/x-ndjson"},
    {"POST", "/v1/demand", h_demand_post, 64 * MIB,
     "text/csv,application/json,application/x-ndjson"},
    {"POST", "/v1/demand/flags", h_demand_flags_post, 64 * MIB,
     "text/csv,application/json,application/x-ndjson"},
    {"GET", "/v1/demand", h_demand_get, 0, NULL},
    {"GET", "/v1/regions", h_regions_get, 0, NULL},
    {"GET", "/v1/summary", h_summary_get, 0, NULL},
    {"GET", "/v1/anomalies", h_anomalies_get, 0, NULL},
    {"POST", "/v1/temperature", h_temperature_post, 16 * MIB,
     "text/csv,application/json,application/x-ndjson"},
    {"POST", "/v1/temperature/forecasts", h_temperature_forecasts_post, 16 * MIB,
     "text/csv,application/json,application/x-ndjson"},
    {"GET", "/v1/temperature", h_temperature_get, 0, NULL},
    {"GET", "/v1/temperature/forecasts", h_temperature_forecasts_get, 0, NULL},
    {"GET", "/v1/temperature/regions", h_temperature_regions_get, 0, NULL},
};

static void on_redis_state(bool ready, void *arg)
{
    ing_app_t *app = arg;
    ing_redis_state(ready, app);
    if (ready)
        ing_demand_save_regions(app);
}

static bool regions_ready(gf_service_t *svc, void *arg, char *why, size_t whylen)
{
    (void)arg;
    ing_app_t *app = svc->app;
    if (app && app->regions.n > 0 && app->regions_saved)
        return true;
    snprintf(why, whylen, "regions catalog not saved in Redis yet");
    return false;
}

static bool script_ready(gf_service_t *svc, void *arg, char *why, size_t whylen)
{
    (void)arg;
    ing_app_t *app = svc->app;
    if (app && app->store_sha[0] != '\0')
        return true;
    snprintf(why, whylen, "batch script not loaded into Redis yet");
    return false;
}

static void cleanup(gf_service_t *svc, void *app_)
{
    ing_app_t *app = app_;
    if (app == NULL)
        return;
    ing_puller_stop(app->puller);
    ing_wx_puller_stop(app->wx_puller);
    ing_scanner_free(app->scanner);
    gf_pool_free(app->imports, 0); /* imports still queued run and are answered */
    /* Callbacks still in flight point at app state: let them run (at most 2 s). */
    for (int i = 0; i < 200 && app->cb_pending > 0; i++) {
        event_base_loop(svc->base, EVLOOP_NONBLOCK);
        if (app->cb_pending > 0)
            usleep(10000);
    }
    ing_puller_free(app->puller);
    ing_wx_puller_free(app->wx_puller);
    for (size_t i = 0; i < app->nbatch_pool; i++) {
        ing_batch_cleanup(app->batch_pool[i]);
        free(app->batch_pool[i]);
    }
    ing_live_free(app->live);
    gf_redis_retry_free(app->script_retry);
    gf_redis_retry_free(app->regions_retry);
    ing_regions_cleanup(&app->regions);
    free(app);
}

static int init(gf_service_t *svc, void **app_out, gf_err_t *err)
{
    const gf_cfg_t *c = &svc->cfg;
    ing_app_t *app = gf_xcalloc(1, sizeof *app);
    app->svc = svc;
    app->base = svc->base;
    app->redis = svc->redis;
    app->redis_conf = svc->redis_conf;
    app->data_dir = gf_cfg_str(c, "GF_INGEST_DATA_DIR");
    ing_regions_init(&app->regions);
    char path[1024];
    snprintf(path, sizeof path, "%s/eia930_regions.csv", app->data_dir);
    if (ing_regions_load_csv(&app->regions, path, err) != 0)
        goto fail;
    snprintf(path, sizeof path, "%s/regions_extra.csv", app->data_dir);
    if (access(path, R_OK) == 0 && ing_regions_load_csv(&app->regions, path, err) != 0)
        goto fail;

    ing_validate_cfg_default(&app->vcfg);
    app->vcfg.max_kw = gf_cfg_double(c, "GF_INGEST_MAX_KW");
    app->vcfg.max_kwh = gf_cfg_double(c, "GF_INGEST_MAX_KWH");
    app->vcfg.min_voltage_v = gf_cfg_double(c, "GF_INGEST_VOLTAGE_MIN");
    app->vcfg.max_voltage_v = gf_cfg_double(c, "GF_INGEST_VOLTAGE_MAX");
    app->vcfg.max_future_skew_s = gf_cfg_int(c, "GF_INGEST_MAX_SKEW_S");
    app->vcfg.max_age_s = gf_cfg_int(c, "GF_INGEST_MAX_AGE_S");
    app->vcfg.regions = &app->regions;
    app->max_readings = (size_t)gf_cfg_int(c, "GF_INGEST_MAX_READINGS");

    ing_store_cfg_default(&app->scfg);
    app->scfg.raw_maxlen = gf_cfg_int(c, "GF_INGEST_RAW_MAXLEN");
    app->scfg.clean_maxlen = gf_cfg_int(c, "GF_INGEST_CLEAN_MAXLEN");
    app->scfg.chunk = (size_t)gf_cfg_int(c, "GF_INGEST_CHUNK");
    app->scfg.late_window_s = app->vcfg.max_age_s + app->vcfg.max_future_skew_s + 3600;
    app->scfg.buckets = (unsigned)gf_cfg_int(c, "GF_INGEST_BUCKETS");
    app->scfg.dedupe_depth = (unsigned)gf_cfg_int(c, "GF_INGEST_DEDUPE_DEPTH");
    app->scfg.regions = &app->regions;

    ing_anomaly_cfg_default(&app->acfg);
    app->acfg.weeks = (int)gf_cfg_int(c, "GF_INGEST_ANOMALY_WEEKS");
    app->acfg.min_history = (size_t)gf_cfg_int(c, "GF_INGEST_ANOMALY_MIN_HISTORY");
    app->acfg.z_warn = gf_cfg_double(c, "GF_INGEST_ANOMALY_Z_WARN");
    app->acfg.z_crit = gf_cfg_double(c, "GF_INGEST_ANOMALY_Z_CRIT");
    app->acfg.min_rel_dev = gf_cfg_double(c, "GF_INGEST_ANOMALY_MIN_REL_DEV");
    app->anomaly_max = (size_t)gf_cfg_int(c, "GF_INGEST_ANOMALY_MAX");
    app->meter_anomaly_max = (size_t)gf_cfg_int(c, "GF_INGEST_METER_ANOMALIES_PER_BATCH");
    app->anomaly_clear_s = (int)gf_cfg_int(c, "GF_INGEST_ANOMALY_CLEAR_S");

    app->live = ing_live_new((int)gf_cfg_int(c, "GF_INGEST_LIVE_WINDOW_S"),
                             (int)app->vcfg.max_future_skew_s);
    app->summary_rate_s = (int)gf_cfg_int(c, "GF_INGEST_SUMMARY_RATE_S");

    ing_readings_metrics_init();
    ing_demand_metrics_init();
    ing_anomaly_metrics_init();
    ing_temp_metrics_init();

    gf_pool_cfg_t pc = {
        .name = "import",
        .threads = (int)gf_cfg_int(c, "GF_INGEST_IMPORT_WORKERS"),
        .queue_max = (size_t)gf_cfg_int(c, "GF_INGEST_IMPORT_QUEUE"),
        .local_free = gf_rcluster_local_free,
    };
    app->imports = gf_pool_new(svc->base, &pc, err);
    if (app->imports == NULL)
        goto fail;
    ing_scanner_cfg_t scfg = {
        .interval_s = (int)gf_cfg_int(c, "GF_INGEST_ANOMALY_INTERVAL_S"),
        .lookback_h = (int)gf_cfg_int(c, "GF_INGEST_ANOMALY_LOOKBACK_H"),
    };
    app->scanner = ing_scanner_new(app, &scfg, err);
    if (app->scanner == NULL)
        goto fail;
    ing_puller_cfg_t pcfg = {
        .api_key = gf_cfg_str(c, "GF_INGEST_EIA_API_KEY"),
        .url = gf_cfg_str(c, "GF_INGEST_EIA_URL"),
        .respondents = gf_cfg_str(c, "GF_INGEST_EIA_RESPONDENTS"),
        .interval_s = (int)gf_cfg_int(c, "GF_INGEST_EIA_INTERVAL_S"),
        .lookback_h = (int)gf_cfg_int(c, "GF_INGEST_EIA_LOOKBACK_H"),
        .page_length = (int)gf_cfg_int(c, "GF_INGEST_EIA_PAGE_LENGTH"),
        .timeout_s = gf_cfg_double(c, "GF_INGEST_EIA_TIMEOUT_S"),
    };
    app->puller = ing_puller_new(app, &pcfg, err);
    if (app->puller == NULL && err->rc != 0)
        goto fail;

    ing_wx_puller_cfg_t wcfg = {
        .regions = gf_cfg_str(c, "GF_INGEST_WX_REGIONS"),
        .url = gf_cfg_str(c, "GF_INGEST_WX_URL"),
        .api_key = gf_cfg_str(c, "GF_INGEST_WX_API_KEY"),
        .interval_s = (int)gf_cfg_int(c, "GF_INGEST_WX_INTERVAL_S"),
        .forecast_days = (int)gf_cfg_int(c, "GF_INGEST_WX_FORECAST_DAYS"),
        .timeout_s = gf_cfg_double(c, "GF_INGEST_WX_TIMEOUT_S"),
    };
    app->wx_puller = ing_wx_puller_new(app, &wcfg, err);
    if (app->wx_puller == NULL && err->rc != 0)
        goto fail;

    app->script_retry = gf_redis_retry_new(svc->base, ing_load_script, app);
    app->regions_retry = gf_redis_retry_new(svc->base, ing_demand_save_regions, app);
    if (app->script_retry == NULL || app->regions_retry == NULL) {
        gf_err_set(err, GF_EINTERNAL, "timer", "cannot create the retry timers");
        goto fail;
    }
    gf_redis_on_state(svc->redis, on_redis_state, app);
    gf_service_add_check(svc, "regions", regions_ready, NULL);
    gf_service_add_check(svc, "script", script_ready, NULL);
    GF_LOG(GF_LOG_INFO, "regions_loaded", "%zu regions in the catalog", app->regions.n);
    *app_out = app;
    return 0;
fail:
    cleanup(svc, app);
    return err->rc ? err->rc : GF_EINTERNAL;
}

static json_t *info(gf_service_t *svc, void *app_)
{
    (void)svc;
    ing_app_t *app = app_;
    json_t *o = json_object();
    json_object_set_new(o, "regions", json_integer((json_int_t)app->regions.n));
    json_object_set_new(o, "eia_puller", json_boolean(app->puller != NULL));
    json_object_set_new(o, "weather_puller", json_boolean(app->wx_puller != NULL));
    return o;
}

static const gf_service_def_t def = {
    .name = "ingestion",
    .version = "0.2.0",
    .default_port = 8101,
    .uses_redis = true,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .opts = opts,
    .init = init,
    .cleanup = cleanup,
    .info = info,
};

int main(int argc, char **argv)
{
    return gf_service_main(&def, argc, argv);
}
