/*
 * gf-simulation: power flow, AC/DC optimal power flow, N-1 screening and forecast-driven day
 * schedules on real MATPOWER cases (libs/powerflow, Ipopt). Wiring only: the kit runs config,
 * loop, standard routes, Redis, signals and drain; h_sim.c holds the routes and workers.
 */
#include <stdlib.h>

#include "core/log.h"
#include "core/util.h"
#include "core/svc.h"
#include "h_sim.h"
#include "powerflow/solve.h"

static const gf_cfg_opt_t opts[] = {
    {"GF_SIMULATION_CASES_DIR", GF_CFG_STR, "services/simulation/cases", 0, -1,
     "directory of the shipped MATPOWER cases (*.m)"},
    {"GF_SIMULATION_WORKERS", GF_CFG_INT, "2", 1, 64, "solver threads"},
    {"GF_SIMULATION_QUEUE", GF_CFG_INT, "64", 1, 100000, "tasks waiting at most (then 503)"},
    {"GF_SIMULATION_SYNC_MAX_BUS", GF_CFG_INT, "500", 0, 1000000,
     "cases with more buses become jobs (202 + Location)"},
    {"GF_SIMULATION_MAX_CPU_TIME", GF_CFG_DOUBLE, "60", 0.1, 3600, "time limit of one OPF, s"},
    {"GF_SIMULATION_N1_THREADS", GF_CFG_INT, "2", 1, 64, "threads of one N-1 screening"},
    {"GF_FORECAST_URL", GF_CFG_STR, "http://127.0.0.1:8103", 0, -1,
     "base URL of the forecast service (forecast-driven loads and schedules)"},
    {"GF_FORECAST_TIMEOUT", GF_CFG_DOUBLE, "5", 0.1, 120, "seconds to wait for a forecast"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static const gf_route_t routes[] = {
    {"GET", "/v1/cases", h_cases_list, 0, NULL},
    {"POST", "/v1/powerflow", h_powerflow_post, 8 << 20, "application/json"},
    {"POST", "/v1/opf", h_opf_post, 8 << 20, "application/json"},
    {"POST", "/v1/contingencies", h_contingencies_post, 8 << 20, "application/json"},
    {"POST", "/v1/schedule", h_schedule_post, 8 << 20, "application/json"},
    {"GET", "/v1/jobs/{id}", h_jobs_get, 0, NULL},
    {"GET", "/v1/jobs/{id}/network", h_jobs_network_get, 0, NULL},
    {"GET", "/v1/cases/{name}/network", h_cases_network_get, 0, NULL},
};

static bool cases_ready(gf_service_t *svc, void *arg, char *why, size_t whylen)
{
    (void)arg;
    sim_app_t *app = svc->app;
    if (app && app->catalog && sim_catalog_count(app->catalog) > 0)
        return true;
    snprintf(why, whylen, "no case loaded");
    return false;
}

static int init(gf_service_t *svc, void **app_out, gf_err_t *err)
{
    sim_app_t *app = gf_xcalloc(1, sizeof *app);
    app->base = svc->base;
    app->redis_conf = svc->redis_conf;
    app->sync_max_bus = (size_t)gf_cfg_int(&svc->cfg, "GF_SIMULATION_SYNC_MAX_BUS");
    app->catalog = sim_catalog_load(gf_cfg_str(&svc->cfg, "GF_SIMULATION_CASES_DIR"), err);
    if (app->catalog == NULL) {
        free(app);
        return err->rc ? err->rc : GF_EINTERNAL;
    }
    app->env.catalog = app->catalog;
    app->env.forecast_url = gf_cfg_str(&svc->cfg, "GF_FORECAST_URL");
    app->env.forecast_timeout = gf_cfg_double(&svc->cfg, "GF_FORECAST_TIMEOUT");
    app->env.max_cpu_time = gf_cfg_double(&svc->cfg, "GF_SIMULATION_MAX_CPU_TIME");
    app->env.n1_threads = (int)gf_cfg_int(&svc->cfg, "GF_SIMULATION_N1_THREADS");
    sim_metrics_init(app);
    /* Stopping, queued jobs are stored "interrupted" and queued sync solves still answered
     * (h_sim.c); running solves end within GF_SIMULATION_MAX_CPU_TIME. */
    gf_pool_cfg_t pc = {
        .name = "solve",
        .threads = (int)gf_cfg_int(&svc->cfg, "GF_SIMULATION_WORKERS"),
        .queue_max = (size_t)gf_cfg_int(&svc->cfg, "GF_SIMULATION_QUEUE"),
        .local_free = gf_rcluster_local_free,
    };
    app->pool = gf_pool_new(svc->base, &pc, err);
    if (app->pool == NULL) {
        sim_catalog_free(app->catalog);
        free(app);
        return err->rc;
    }
    GF_LOG(GF_LOG_INFO, "cases_loaded", "%zu cases", sim_catalog_count(app->catalog));
    gf_service_add_check(svc, "cases", cases_ready, NULL);
    *app_out = app;
    return 0;
}

static void cleanup(gf_service_t *svc, void *app_)
{
    (void)svc;
    sim_app_t *app = app_;
    if (app == NULL)
        return;
    gf_pool_free(app->pool, 0);
    sim_catalog_free(app->catalog);
    free(app);
}

static const gf_service_def_t def = {
    .name = "simulation",
    .version = "0.1.0",
    .default_port = 8104,
    .uses_redis = true,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .opts = opts,
    .init = init,
    .cleanup = cleanup,
};

int main(int argc, char **argv)
{
    gf_pf_process_init(); /* reproducible OPF solves; before any thread starts */
    return gf_service_main(&def, argc, argv);
}
