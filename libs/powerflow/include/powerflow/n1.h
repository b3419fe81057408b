/*
 * powerflow/n1.h - N-1 contingency screening: re-solve with each listed branch out of
 * service and rank the outages by severity.
 *
 * Each contingency is the caller's base options plus one more branch outage; the shared case
 * is never modified. Outages that split the network are detected from the graph and reported
 * as islanding without solving. Work is spread over `threads` POSIX threads, each solving
 * with its own state.
 *
 * Severity (higher is worse): islanding 1e6 and non-convergence 1e5, plus the sum over
 * branches of the loading above 100 % (in percent points), plus 1000 x the sum of voltage
 * violations in p.u., plus (OPF modes) 100 x the relative cost increase. Items are sorted by
 * severity, highest first, ties by branch row.
 */
#ifndef GF_PF_N1_H
#define GF_PF_N1_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"
#include "powerflow/case.h"
#include "powerflow/solve.h"

typedef enum { GF_PF_N1_PF = 0, GF_PF_N1_ACOPF = 1, GF_PF_N1_DCOPF = 2 } gf_pf_n1_mode_t;

typedef enum {
    GF_PF_N1_SECURE = 0,     /* solved, no violation */
    GF_PF_N1_VIOLATION = 1,  /* solved with overloads or voltage violations */
    GF_PF_N1_ISLANDED = 2,   /* the outage splits the network */
    GF_PF_N1_FAILED = 3,     /* the solve did not converge (code says why) */
} gf_pf_n1_outcome_t;

typedef struct gf_pf_n1_params {
    gf_pf_n1_mode_t mode;    /* GF_PF_N1_PF */
    const size_t *branches;  /* rows of mpc.branch; NULL = every in-service branch */
    size_t n_branches;
    int threads;             /* worker threads, 1..64 (2) */
} gf_pf_n1_params_t;

typedef struct gf_pf_n1_item {
    size_t branch;           /* row of mpc.branch taken out */
    int fbus, tbus;
    gf_pf_n1_outcome_t outcome;
    char code[48];           /* "secure", "violation", "network_islanded", or the solver's
                                error code */
    int islands;
    int n_overloads;         /* branches above 100 % of rateA */
    double max_loading_percent;
    long worst_branch;       /* row of the most loaded branch, -1 if none */
    double overload_sum;     /* sum of (loading - 100) over overloaded branches, percent */
    int n_voltage;           /* buses outside [Vmin, Vmax] (PF: PQ buses only) */
    double voltage_sum;      /* sum of violations, p.u. */
    double cost, cost_increase; /* $/h; OPF modes only */
    double severity;
} gf_pf_n1_item_t;

typedef struct gf_pf_n1_report {
    gf_pf_n1_mode_t mode;
    double base_cost;        /* objective of the base solve */
    size_t n;
    gf_pf_n1_item_t *items;  /* sorted by severity, highest first */
    double time_s;
} gf_pf_n1_report_t;

/* Set the defaults shown above. */
void gf_pf_n1_params_init(gf_pf_n1_params_t *p);

/* Run the screening. base may be NULL (defaults). On success *out is a new report (free with
 * gf_pf_n1_report_free) and 0 is returned. Fails with bad_option (GF_EINVAL) for a bad branch
 * row or thread count, or with the base case's own error when the base solve fails. */
int gf_pf_n1_run(const gf_pf_case_t *c, const gf_pf_opts_t *base, const gf_pf_n1_params_t *p,
                 gf_pf_n1_report_t **out, gf_err_t *err);

void gf_pf_n1_report_free(gf_pf_n1_report_t *r);

/* New JSON reference {"mode","base_cost","time_s","contingencies":[{...}]}; NULL on OOM. */
json_t *gf_pf_n1_report_to_json(const gf_pf_n1_report_t *r);

#endif
