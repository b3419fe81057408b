/*
 * gf-forecast: the GridFlow forecast service. Wiring only: the service kit (libs/core) runs the
 * configuration, loop, standard routes (/healthz, /readyz, /metrics, /v1/info), Redis,
 * signals and drain; fc_life.c keeps the production models current, h_forecast.c answers.
 */
#include <stdlib.h>

#include "core/log.h"
#include "core/util.h"
#include "core/svc.h"
#include "fc_xgb.h"
#include "h_forecast.h"

static const gf_cfg_opt_t opts[] = {
    {"GF_FORECAST_RECHECK_SECONDS", GF_CFG_DOUBLE, "30", 0, 86400,
     "re-read every production alias this often, besides registry events (0 = never)"},
    {"GF_FORECAST_CACHE_ENTRIES", GF_CFG_INT, "512", 0, 1000000,
     "forecast responses kept (0 = no cache)"},
    {"GF_FORECAST_CACHE_TTL", GF_CFG_DOUBLE, "60", 0, 86400,
     "seconds a cached forecast may be served (new data or a new model invalidate sooner)"},
    {"GF_FORECAST_INLINE_BYTES", GF_CFG_INT, "262144", 0, 1 << 30,
     "predict bodies up to this size run on the event loop; larger ones on the workers"},
    {"GF_FORECAST_WORKERS", GF_CFG_INT, "1", 1, 16, "threads for large predict batches"},
    {"GF_FORECAST_QUEUE", GF_CFG_INT, "32", 1, 10000,
     "large predict batches waiting at most (then 503 busy)"},
    {"GF_FORECAST_MAX_ROWS", GF_CFG_INT, "100000", 1, 1000000, "rows of one predict body"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static const gf_route_t routes[] = {
    {"GET", "/v1/forecast", h_forecast_get, 0, NULL},
    {"POST", "/v1/predict", h_predict_post, 64 << 20, "application/json"},
    {"GET", "/v1/models/loaded", h_models_loaded_get, 0, NULL},
};

static bool models_ready(gf_service_t *svc, void *arg, char *why, size_t whylen)
{
    (void)arg;
    fc_app_t *app = svc->app;
    if (app == NULL || app->life == NULL) {
        snprintf(why, whylen, "starting");
        return false;
    }
    return fc_life_ready(app->life, why, whylen);
}

static void cleanup(gf_service_t *svc, void *app_)
{
    (void)svc;
    fc_app_t *app = app_;
    if (app == NULL)
        return;
    gf_pool_free(app->pool, 0);
    fc_life_free(app->life);
    fc_cache_free(app->cache);
    fc_scratch_cleanup(&app->scratch);
    free(app);
}

static int init(gf_service_t *svc, void **app_out, gf_err_t *err)
{
    fc_app_t *app = gf_xcalloc(1, sizeof *app);
    app->base = svc->base;
    app->redis = svc->redis;
    app->inline_bytes = (size_t)gf_cfg_int(&svc->cfg, "GF_FORECAST_INLINE_BYTES");
    app->max_rows = (size_t)gf_cfg_int(&svc->cfg, "GF_FORECAST_MAX_ROWS");
    app->cache = fc_cache_new((size_t)gf_cfg_int(&svc->cfg, "GF_FORECAST_CACHE_ENTRIES"),
                              gf_cfg_double(&svc->cfg, "GF_FORECAST_CACHE_TTL"));
    fc_metrics_init(app->cache);
    gf_pool_cfg_t pc = {
        .name = "predict",
        .threads = (int)gf_cfg_int(&svc->cfg, "GF_FORECAST_WORKERS"),
        .queue_max = (size_t)gf_cfg_int(&svc->cfg, "GF_FORECAST_QUEUE"),
    };
    app->pool = gf_pool_new(svc->base, &pc, err);
    fc_life_cfg_t lc = {.redis = svc->redis_conf,
                        .recheck_seconds = gf_cfg_double(&svc->cfg, "GF_FORECAST_RECHECK_SECONDS")};
    if (app->pool == NULL || (app->life = fc_life_new(svc->base, &lc, err)) == NULL) {
        cleanup(svc, app);
        return err->rc ? err->rc : gf_err_set(err, GF_EINTERNAL, "threads", "cannot start threads");
    }
    gf_service_add_check(svc, "models", models_ready, NULL);
    *app_out = app;
    return 0;
}

static const gf_service_def_t def = {
    .name = "forecast",
    .version = "0.2.0",
    .default_port = 8103,
    .uses_redis = true,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .opts = opts,
    .init = init,
    .cleanup = cleanup,
};

int main(int argc, char **argv)
{
    /* libgomp reads OMP_WAIT_POLICY before main: re-exec once with "passive" (XGBoost runs
     * only at model load here). --help and --routes work either way. */
    gf_xgb_passive_reexec(argv);
    return gf_service_main(&def, argc, argv);
}
