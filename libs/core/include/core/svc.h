/*
 * core/svc.h - the service runner: everything a GridFlow service has in common.
 *
 * A service's main() fills a gf_service_def_t and calls gf_service_main(). The runner:
 * reads the configuration (kit options + the service's own table; a bad value exits 2 with
 * one line; --help prints the table), sets up logging, the event loop, the HTTP server with
 * the standard routes (GET /healthz, /readyz, /metrics, /v1/info) and the service's routes,
 * the Redis connection (when the service uses Redis), calls the service's init hook, listens
 * (GF_PORT=0 picks a free port and logs it), and runs until SIGTERM or SIGINT. Then it drains:
 * stops accepting, reports not ready, waits for requests in flight (up to
 * GF_DRAIN_SECONDS), calls the cleanup hook and exits 0.
 *
 * Kit options: GF_BIND (127.0.0.1), GF_PORT (the service's port), GF_REDIS_HOST (127.0.0.1),
 * GF_REDIS_PORT (6379), GF_REDIS_CLUSTER (empty: one Redis), GF_LOG_LEVEL (info), GF_MAX_BODY_BYTES
 * (64 MiB hard cap per body), GF_DRAIN_SECONDS (10).
 *
 * Command line: --help (the configuration table), --version, --routes (every route as
 * "METHOD /pattern", standard ones included, for the API contract test).
 */
#ifndef GF_CORE_SVC_H
#define GF_CORE_SVC_H

#include <stdbool.h>

#include "core/cfg.h"
#include "core/err.h"
#include "core/http.h"
#include "core/rcluster.h"
#include "core/redis.h"

typedef struct gf_service gf_service_t;

typedef struct gf_service_def {
    const char *name;    /* "forecast" */
    const char *version; /* "0.1.0" */
    int default_port;    /* 8103 */
    bool uses_redis;
    const gf_route_t *routes;
    size_t nroutes;
    const gf_cfg_opt_t *opts; /* the service's own options, NULL-name terminated; may be NULL */
    /* Called after config, loop, server and Redis exist, before listening. app_out receives
     * the application pointer handed to handlers as r->app. Non-zero aborts start (exit 1). */
    int (*init)(gf_service_t *svc, void **app_out, gf_err_t *err);
    /* Called once after the loop stopped (drained). */
    void (*cleanup)(gf_service_t *svc, void *app);
    /* Extra command-line usage lines printed by --help before the configuration table
     * (a service's own modes, e.g. the trainer's --once), optional. */
    const char *usage;
    /* Extra fields for GET /v1/info (new reference), optional. */
    json_t *(*info)(gf_service_t *svc, void *app);
} gf_service_def_t;

struct gf_service {
    const gf_service_def_t *def;
    gf_cfg_t cfg;
    struct event_base *base;
    gf_server_t *http;
    gf_redis_t *redis;          /* NULL unless def->uses_redis */
    gf_redis_conf_t redis_conf; /* GF_REDIS_CLUSTER / GF_REDIS_HOST / GF_REDIS_PORT, for
                                 * blocking handles (gf_rcluster_open, gf_rcluster_worker) */
    void *app;
    double started_wall;
    int port; /* the bound port */
    bool draining;
};

/* Run the service; returns the process exit status (0 clean stop, 1 start failure, 2 config). */
int gf_service_main(const gf_service_def_t *def, int argc, char **argv);

/* A readiness check: returns true when ready; may write a reason into why (size whylen). */
typedef bool (*gf_ready_fn)(gf_service_t *svc, void *arg, char *why, size_t whylen);
/* Register a check shown in /readyz under `name`. The Redis check is registered by the kit. */
void gf_service_add_check(gf_service_t *svc, const char *name, gf_ready_fn fn, void *arg);

/* The service behind a request. */
gf_service_t *gf_req_service(const gf_req_t *r);

#endif
