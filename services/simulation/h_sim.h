/*
 * h_sim.h - HTTP handlers and the worker pool of the simulation service.
 *
 * Every solve runs on a worker thread (never on the event loop). Small solves answer the
 * request directly; long ones (asked with "async": true, day schedules, N-1 in OPF modes,
 * cases above GF_SIMULATION_SYNC_MAX_BUS) become jobs: 202 + Location: /v1/jobs/{id}, the
 * state and result stored in Redis (gf:simjob:{id}, kept 24 h) so any replica can answer
 * GET /v1/jobs/{id}. The workers are the kit's pool (core/pool.h): GF_SIMULATION_WORKERS
 * threads, GF_SIMULATION_QUEUE tasks waiting at most (then 503 queue_full).
 */
#ifndef GF_SIMULATION_H_SIM_H
#define GF_SIMULATION_H_SIM_H

#include "core/pool.h"
#include "core/svc.h"
#include "sim_exec.h"

typedef struct sim_app {
    sim_env_t env;
    sim_catalog_t *catalog;
    gf_pool_t *pool; /* solver threads (pool name "solve") */
    struct event_base *base;
    size_t sync_max_bus;
    gf_redis_conf_t redis_conf; /* one Redis or a Redis Cluster, for the workers' handles */
} sim_app_t;

/* Register the metric families; the queue-depth gauge reads app->pool. */
void sim_metrics_init(sim_app_t *app);

void h_cases_list(gf_req_t *r);
void h_powerflow_post(gf_req_t *r);
void h_opf_post(gf_req_t *r);
void h_contingencies_post(gf_req_t *r);
void h_cases_network_get(gf_req_t *r);
void h_schedule_post(gf_req_t *r);
void h_jobs_get(gf_req_t *r);
void h_jobs_network_get(gf_req_t *r);

#endif
