/*
 * sim_request.h - the JSON bodies of the simulation routes, parsed and checked before any
 * solve. No HTTP and no solver here: sim_request_parse turns outside JSON into a
 * sim_request_t or a precise 400 naming the field; the handlers and workers take it from
 * there. The same parser serves POST /v1/powerflow, /v1/opf, /v1/contingencies and
 * /v1/schedule (the kind says which fields apply).
 *
 * Body (all optional except the case):
 *   {"case": "pglib_opf_case14_ieee" | "case_text": "<MATPOWER text>",
 *    "mode": "ac" | "dc",                       (opf, schedule; contingencies: "pf"|"ac"|"dc")
 *    "load": {"scale": 1.1} | {"buses": [{"bus": 5, "pd": 90, "qd": 30}, ...]}
 *            | {"forecast": {"region": "PJM", "at": "2018-06-30T17:00:00Z"}},
 *    "outages": {"branches": [3, 7], "gens": [0]},   (0-based rows of mpc.branch / mpc.gen)
 *    "costs": [{"gen": 0, "model": 2, "coeffs": [0.01, 20, 0]}],
 *    "init": "flat" | "case" | "pf", "max_cpu_time": 10, "async": false,
 *    "screen_limits": true  (OPF: screen branch limits; false = every limit from the start),
 *    "branches": [..] (contingencies: which outages to screen; default all),
 *    "region": "PJM", "start": "2018-06-30T00:00:00Z", "hours": 24   (schedule)}
 *
 * Ownership: sim_request_t owns every array and string it holds (sim_request_cleanup).
 */
#ifndef GF_SIMULATION_SIM_REQUEST_H
#define GF_SIMULATION_SIM_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "powerflow/solve.h"

typedef enum { SIM_PF = 0, SIM_OPF, SIM_N1, SIM_SCHEDULE } sim_kind_t;

#define SIM_MAX_LIST 100000
#define SIM_MAX_HOURS 168

typedef struct sim_cost {
    size_t gen;
    int model;
    double *coeffs;
    int n;
} sim_cost_t;

typedef struct sim_request {
    sim_kind_t kind;
    char case_name[128]; /* shipped case, or "" when case_text is given */
    char *case_text;     /* uploaded MATPOWER text, owned, or NULL */
    size_t case_text_len;
    bool dc;           /* mode "dc" */
    int n1_mode;       /* contingencies: GF_PF_N1_PF / _ACOPF / _DCOPF */
    double load_scale; /* 1 when not given */
    gf_pf_bus_load_t *bus_loads;
    size_t n_bus_loads;
    char forecast_region[32]; /* load from the forecast (opf/powerflow) or schedule region */
    double forecast_at;       /* epoch seconds (opf/powerflow) */
    size_t *branch_out, n_branch_out;
    size_t *gen_out, n_gen_out;
    sim_cost_t *costs;
    size_t n_costs;
    gf_pf_init_t init;
    bool screen_limits;  /* OPF branch-limit screening (true) */
    double max_cpu_time; /* 0 = service default */
    bool async;
    size_t *screen, n_screen; /* contingencies: branch rows to screen (NULL = all) */
    double start;             /* schedule: first hour (epoch) */
    int hours;                /* schedule: 1..SIM_MAX_HOURS (24) */
} sim_request_t;

/* Parse a body for the given route kind. Returns 0, or GF_EINVAL with err naming the field
 * (code "invalid_body", "missing_case", "missing_field", "invalid_field", "invalid_region",
 * ...). A schedule's start must be a whole UTC hour. *out is caller storage, cleaned with
 * sim_request_cleanup after success or failure. */
int sim_request_parse(const json_t *body, sim_kind_t kind, sim_request_t *out, gf_err_t *err);

/* Check row numbers against the case (outages, costs, screen list, per-bus loads): GF_EINVAL
 * "unknown_element" naming the field and the row. */
struct gf_pf_case;
int sim_request_check(const sim_request_t *q, const struct gf_pf_case *c, gf_err_t *err);

/* Fill solver options from the request (pointers borrow from q). */
void sim_request_opts(const sim_request_t *q, double default_cpu_time, gf_pf_opts_t *o,
                      gf_pf_cost_override_t *costs_buf);

void sim_request_cleanup(sim_request_t *q);

const char *sim_kind_name(sim_kind_t k);

#endif
