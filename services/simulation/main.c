/*
 * gf-simulation: the GridFlow simulation service. Wiring only: the service kit (libs/core) runs the
 * configuration, loop, standard routes (/healthz, /readyz, /metrics, /v1/info), Redis,
 * signals and drain; this file names the service and its routes.
 */
#include "core/svc.h"

static const gf_service_def_t def = {
    .name = "simulation",
    .version = "0.1.0",
    .default_port = 8104,
    .uses_redis = true,
};

int main(int argc, char **argv)
{
    return gf_service_main(&def, argc, argv);
}
