/*
 * sim_exec.h - the simulation service's work, without HTTP: the catalog of shipped cases,
 * and executing one parsed request (power flow, OPF, N-1, day schedule) into a JSON result.
 *
 * The catalog parses every case file of a directory once at start and is read-only after,
 * so workers share the parsed cases without locks. Execution runs on a worker thread; it may
 * call the forecast service (blocking HTTP with a deadline) for forecast-driven loads.
 *
 * Result JSON: the powerflow library's result shape plus "case" (name, buses...) and, for
 * forecast-driven loads, "load_source": {"kind":"forecast","region","at","forecast_mw",
 * "peak_mw","scale","model":{…}} saying exactly how the loads were derived.
 */
#ifndef GF_SIMULATION_SIM_EXEC_H
#define GF_SIMULATION_SIM_EXEC_H

#include <jansson.h>

#include "core/err.h"
#include "powerflow/case.h"
#include "sim_request.h"

typedef struct sim_catalog sim_catalog_t;

/* Parse every *.m file of dir. NULL with err when the directory cannot be read or a case
 * fails to parse (a shipped case must be valid). */
sim_catalog_t *sim_catalog_load(const char *dir, gf_err_t *err);
void sim_catalog_free(sim_catalog_t *c);
/* Borrowed case by name (file name without .m), or NULL. */
const gf_pf_case_t *sim_catalog_get(const sim_catalog_t *c, const char *name);
size_t sim_catalog_count(const sim_catalog_t *c);
/* New reference: {"cases":[{"name","buses","generators","branches","base_mva","load_mw",
 * "has_costs","source"}]}. */
json_t *sim_catalog_to_json(const sim_catalog_t *c);

typedef struct sim_env {
    const sim_catalog_t *catalog;
    const char *forecast_url; /* base URL of the forecast service ("" = none) */
    double forecast_timeout;  /* seconds */
    double max_cpu_time;      /* per OPF, seconds */
    int n1_threads;
} sim_env_t;

/* Execute q. On success returns 0 and *out (new reference). On failure returns GF_E* with
 * err; when a solver ran and failed (422), *out may still hold the last iterate's result for
 * the error details (caller decrefs). Thread-safe. */
int sim_execute(const sim_env_t *env, const sim_request_t *q, json_t **out, gf_err_t *err);

/* Progress of a running request: fn(arg, unit, done, total) with unit "outages" (N-1, total
 * known), "hours" (schedule, total known) or "iterations" (OPF, total 0 = unknown). N-1
 * calls it from several threads at once: fn must be thread-safe. */
typedef struct sim_progress {
    void (*fn)(void *arg, const char *unit, size_t done, size_t total);
    void *arg;
} sim_progress_t;

/* sim_execute that reports progress to pg (NULL = none). */
int sim_execute_progress(const sim_env_t *env, const sim_request_t *q, const sim_progress_t *pg,
                         json_t **out, gf_err_t *err);

/* How many buses the request's case has (0 when it cannot tell without parsing). */
size_t sim_request_buses(const sim_env_t *env, const sim_request_t *q);

#endif
