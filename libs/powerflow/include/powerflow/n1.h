/*
 * powerflow/n1.h - N-1 contingency analysis: re-solve with each listed branch out of service
 * and rank the outages by what they add to the base case.
 *
 * Each contingency is the caller's base options plus one more branch outage; the shared case
 * is never modified. The base case is solved first and its own violations (branches above
 * 100 % of rateA, buses outside [Vmin, Vmax]; in PF mode PQ buses only) are reported
 * separately: a contingency counts a branch only when it is above 100 % and, if the base
 * already overloads it, more than GF_PF_N1_WORSE_PCT percentage points above its base
 * loading; a bus likewise (GF_PF_N1_WORSE_PU above its base violation).
 *
 * Outages that split the network (bridges of the base network, found once by a depth-first
 * search) are solved on the part that keeps the most generating capacity; the part cut off
 * is reported as lost: its buses, load and generation (base dispatch). The reference
 * generator takes up the difference.
 *
 * PF mode reuses the base case: the base network, its converged state, its Jacobian pattern
 * and the symbolic LU (ordering and fill) are built once; each outage subtracts the branch
 * from a copy of Ybus's values, starts Newton from the base state and refactors on the base
 * pattern (2-4 iterations); a cut-off part keeps identity rows. With enforce_q_lims, or when
 * the cut-off part holds the reference bus, the outage is solved from scratch instead. OPF
 * modes solve each outage from scratch. Work is spread over `threads` POSIX threads.
 *
 * Severity (higher is worse): 1e5 when the solve fails, plus the added overload (sum over
 * counted branches of loading - max(100, base loading), percent points), plus 1000 x the
 * added voltage violation (p.u.), plus the load lost in MW, plus (OPF modes) 100 x the
 * relative cost increase. Items are sorted by severity, highest first, ties by branch row.
 */
#ifndef GF_PF_N1_H
#define GF_PF_N1_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "powerflow/case.h"
#include "powerflow/solve.h"

typedef enum { GF_PF_N1_PF = 0, GF_PF_N1_ACOPF = 1, GF_PF_N1_DCOPF = 2 } gf_pf_n1_mode_t;

#define GF_PF_N1_WORSE_PCT 1.0 /* see above */
#define GF_PF_N1_WORSE_PU 0.005

typedef enum {
    GF_PF_N1_SECURE = 0,    /* solved, adds no violation */
    GF_PF_N1_VIOLATION = 1, /* solved, adds overloads or voltage violations */
    GF_PF_N1_ISLANDED = 2,  /* the outage splits the network (rest solved, lost reported) */
    GF_PF_N1_FAILED = 3,    /* the solve did not converge (code says why) */
} gf_pf_n1_outcome_t;

typedef struct gf_pf_n1_params {
    gf_pf_n1_mode_t mode;   /* GF_PF_N1_PF */
    const size_t *branches; /* rows of mpc.branch; NULL = every in-service branch */
    size_t n_branches;
    int threads;       /* worker threads, 1..64 (2) */
    bool from_scratch; /* PF mode: solve every outage from scratch, as OPF modes do,
                          instead of on the reused base (false; for checking) */
    /* Called from the worker threads (concurrently: must be thread-safe) about every 1 % of
     * the outages and after the last; NULL = none. */
    void (*progress)(void *arg, size_t done, size_t total);
    void *progress_arg;
} gf_pf_n1_params_t;

typedef struct gf_pf_n1_item {
    size_t branch; /* row of mpc.branch taken out */
    int fbus, tbus;
    gf_pf_n1_outcome_t outcome;
    char code[48];                    /* "secure", "violation", "network_islanded", or the solver's
                                         error code */
    int islands;                      /* 1, or 2 when the outage splits the network */
    size_t n_island;                  /* buses cut off (islanded outages) ... */
    int *island_buses;                /* ... their external numbers (owned by the report) */
    double lost_load_mw, lost_gen_mw; /* load and base-case generation cut off */
    int iterations;                   /* Newton / Ipopt iterations of the outage's solve */
    int n_overloads;                  /* branches the outage overloads (see above) */
    double max_loading_percent;
    long worst_branch;          /* row of the most loaded branch, -1 if none */
    double overload_sum;        /* added overload, percent points (see above) */
    int n_voltage;              /* buses the outage takes outside [Vmin, Vmax] (see above) */
    double voltage_sum;         /* added violation, p.u. */
    double cost, cost_increase; /* $/h; OPF modes only */
    double severity;
} gf_pf_n1_item_t;

/* A violation of the base case itself. */
typedef struct gf_pf_n1_base_viol {
    size_t row;   /* row of mpc.branch (overload) or mpc.bus (voltage) */
    double value; /* loading percent, or vm p.u. */
    double limit; /* 100, or the violated Vmin / Vmax */
} gf_pf_n1_base_viol_t;

typedef struct gf_pf_n1_report {
    gf_pf_n1_mode_t mode;
    double base_cost;    /* objective of the base solve */
    double base_load_mw; /* total load of the base case */
    size_t n_base_overloads, n_base_voltage;
    gf_pf_n1_base_viol_t *base_overloads, *base_voltage;
    size_t n;
    gf_pf_n1_item_t *items; /* sorted by severity, highest first */
    size_t n_secure, n_violation, n_islanded, n_failed;
    size_t n_reused; /* outages solved on the reused base factorization pattern */
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

/* New JSON reference {"mode","base_cost","base_load_mw","time_s","base":{"overloads",
 * "voltage"},"counts":{...},"contingencies":[{...}]}; NULL on OOM. */
json_t *gf_pf_n1_report_to_json(const gf_pf_n1_report_t *r);

#endif
