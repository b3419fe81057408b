/*
 * gf-trainer: the GridFlow trainer service. Wiring only: the service kit (libs/core) runs the
 * configuration, loop, standard routes (/healthz, /readyz, /metrics, /v1/info), Redis,
 * signals and drain; this file names the service and its routes.
 */
#include "core/svc.h"
#include "h_jobs.h"

static const gf_route_t routes[] = {
    {"GET", "/v1/jobs", h_jobs_list, 0, NULL},
};

static const gf_service_def_t def = {
    .name = "trainer",
    .version = "0.1.0",
    .default_port = 8102,
    .uses_redis = true,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
};

int main(int argc, char **argv)
{
    return gf_service_main(&def, argc, argv);
}
