/*
 * powerflow/solve.h - AC power flow, AC OPF and DC OPF on a parsed case, and their results.
 *
 * Every solve takes a shared, read-only gf_pf_case_t plus a gf_pf_opts_t describing what is
 * different for this call (outages, loads, costs, solver settings). The case is never
 * modified: each call builds its own network model and solver state, so any number of threads
 * may solve on the same case at once (Ipopt and its MUMPS solver are instantiated per call).
 *
 * Result ownership: on return *out is NULL or a new gf_pf_result_t that the caller frees with
 * gf_pf_result_free. A result is returned on success (rc 0) and ALSO when the solver ran but
 * did not converge (rc < 0, result->converged false, the last iterate in the arrays), so a
 * service can show what happened; it is NULL when the input was refused before solving
 * (bad options, islanded network...).
 *
 * Error codes (err->code, rc in parentheses):
 *   bad_option (GF_EINVAL)          an option is out of range or names an unknown element
 *   network_islanded (GF_EUNPROCESSABLE)  the in-service network splits into islands
 *   no_generation (GF_EUNPROCESSABLE)     no in-service generator left
 *   no_gencost (GF_EUNPROCESSABLE)        OPF on a case without mpc.gencost
 *   pf_not_converged, pf_singular_jacobian (GF_EUNPROCESSABLE)
 *   opf_* : one code per Ipopt ApplicationReturnStatus, see gf_pf_ipopt_status_code().
 */
#ifndef GF_PF_SOLVE_H
#define GF_PF_SOLVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "powerflow/case.h"

typedef enum { GF_PF_KIND_PF = 0, GF_PF_KIND_ACOPF = 1, GF_PF_KIND_DCOPF = 2 } gf_pf_kind_t;

/* Starting point of an OPF. */
typedef enum {
    GF_PF_INIT_FLAT = 0, /* Va 0, Vm 1 (inside bounds), Pg/Qg mid-range: PGLib's convention */
    GF_PF_INIT_CASE = 1, /* Va, Vm, Pg, Qg as written in the case (Vm = Vg at gen buses) */
    GF_PF_INIT_PF = 2,   /* the solution of an AC power flow at the case dispatch */
} gf_pf_init_t;

/* Replaces the load of one bus (MW, MVAr). */
typedef struct gf_pf_bus_load {
    int bus; /* external bus number */
    double pd, qd;
} gf_pf_bus_load_t;

/* Replaces the cost of one generator; `cost.c` is read during the call only. */
typedef struct gf_pf_cost_override {
    size_t gen; /* 0-based row of mpc.gen */
    gf_pf_gencost_t cost;
} gf_pf_cost_override_t;

typedef struct gf_pf_result gf_pf_result_t;

/* Per-call inputs. Initialise with gf_pf_opts_init, then set what you need. All pointers
 * are borrowed for the duration of the call only. */
typedef struct gf_pf_opts {
    const size_t *branch_out; /* 0-based rows of mpc.branch to take out of service */
    size_t n_branch_out;
    const size_t *gen_out; /* 0-based rows of mpc.gen to take out of service */
    size_t n_gen_out;
    const gf_pf_bus_load_t *bus_loads; /* applied first ... */
    size_t n_bus_loads;
    double load_scale; /* ... then every Pd and Qd is multiplied by this (1) */
    const gf_pf_cost_override_t *costs;
    size_t n_costs;

    /* AC power flow */
    int pf_max_iter;     /* Newton iterations (20) */
    double pf_tol;       /* max |mismatch| in p.u. (1e-8) */
    bool enforce_q_lims; /* convert PV buses whose gens hit Q limits to PQ (false) */
    bool flat_start;     /* PF from Va 0, Vm 1 instead of the case values (false) */

    /* OPF */
    gf_pf_init_t init;          /* GF_PF_INIT_FLAT */
    const gf_pf_result_t *warm; /* a previous result of the same kind, case and outages:
                                   its primal/dual point warm-starts Ipopt (NULL = cold) */
    double max_cpu_time;        /* seconds (60) */
    double tol;                 /* Ipopt tol (1e-8) */
    int max_iter;               /* Ipopt max_iter (500) */
    int print_level;            /* Ipopt print_level (0); output goes to stdout */
    bool screen_limits;         /* screen branch flow and angle limits: solve with the ones
                                   that are near binding, add any left-out one the solution
                                   violates and solve again (true); false puts every limit
                                   into the model from the start. Same solution either way. */
    /* OPF: called on the solving thread every 5 Ipopt iterations with the iterations so far
     * (all screening solves); NULL = none. Keep it short: it runs inside the solve. */
    void (*progress)(void *arg, int iterations);
    void *progress_arg;
} gf_pf_opts_t;

/* Set the defaults shown above. Can't fail. */
void gf_pf_opts_init(gf_pf_opts_t *o);

/* Call once at start-up, before any thread is started: makes OPF solves reproducible.
 * Debian's MUMPS orders the KKT matrix with SCOTCH 7, whose ordering runs on several threads
 * and then differs from run to run (case2869: 47-59 Ipopt iterations for the same input);
 * this sets SCOTCH_PTHREAD_NUMBER=1 unless the environment already sets it. Measured cost:
 * none beyond noise on case2869. */
void gf_pf_process_init(void);

/* Kinds of binding constraints. */
typedef enum {
    GF_PF_BIND_VM_MAX,
    GF_PF_BIND_VM_MIN,
    GF_PF_BIND_PG_MAX,
    GF_PF_BIND_PG_MIN,
    GF_PF_BIND_QG_MAX,
    GF_PF_BIND_QG_MIN,
    GF_PF_BIND_SF,
    GF_PF_BIND_ST,
    GF_PF_BIND_ANG_MAX,
    GF_PF_BIND_ANG_MIN,
} gf_pf_bind_kind_t;

typedef struct gf_pf_binding {
    gf_pf_bind_kind_t kind;
    size_t index;        /* row of mpc.bus (VM_*), mpc.gen (PG_*, QG_*) or mpc.branch */
    double value, limit; /* p.u. for Vm, MW/MVAr/MVA, degrees */
    double mu;           /* shadow price: $/h per unit of limit (per p.u. V, MW, MVA, degree) */
} gf_pf_binding_t;

typedef struct gf_pf_bus_res {
    int id;
    int type;        /* GF_PF_PQ/PV/REF in this solve (a PV bus without a gen is PQ);
                        GF_PF_ISOLATED when out of service */
    bool in_service; /* false for isolated buses (type 4 or cut off) */
    double vm_pu, va_degree;
    double p_mw, q_mvar;   /* net injection: generation - load - shunt (pandapower sign
                              is the opposite: res_bus.p_mw = load - generation) */
    double pd_mw, qd_mvar; /* load used in this solve */
    double lmp;            /* $/MWh: lam_P / baseMVA (OPF only, else 0) */
    double lmp_energy, lmp_congestion, lmp_loss; /* see README: split of lmp */
    double lam_q;                                /* $/MVArh */
} gf_pf_bus_res_t;

typedef struct gf_pf_gen_res {
    int bus;
    bool in_service;
    double p_mw, q_mvar;
    bool at_pmax, at_pmin, at_qmax, at_qmin;
} gf_pf_gen_res_t;

typedef struct gf_pf_branch_res {
    int fbus, tbus;
    bool in_service;
    double pf_mw, qf_mvar, pt_mw, qt_mvar;
    double loading_percent; /* 100 * max(|Sf|, |St|) / rateA; 0 when rateA = 0 */
    double pl_mw, ql_mvar;  /* losses: pf + pt, qf + qt */
    double mu_sf, mu_st;    /* $/MVAh, OPF only */
} gf_pf_branch_res_t;

struct gf_pf_result {
    gf_pf_kind_t kind;
    bool converged;
    char status[48];  /* "converged", "solve_succeeded", or the error code */
    double objective; /* $/h (OPF), or the cost of the PF dispatch if costs exist */
    int iterations;
    double time_s;       /* wall time of the solve (model build + solver) */
    double max_mismatch; /* largest |power-balance mismatch| at the solution, MVA */
    double total_load_mw, total_gen_mw, losses_mw;
    size_t n_bus, n_gen, n_branch; /* as in the case; out-of-service rows are flagged */
    gf_pf_bus_res_t *bus;
    gf_pf_gen_res_t *gen;
    gf_pf_branch_res_t *branch;
    size_t n_binding;
    gf_pf_binding_t *binding;
    /* OPF branch-limit screening (see screen_limits): Ipopt solves made (0 = screening
     * off), and the flow/angle limits in the last model against all limits of the case */
    int screen_rounds;
    int limits_enforced, limits_total;
    /* private: warm-start point (Ipopt x, z_L, z_U, lambda) */
    int _nx, _ng;
    double *_x, *_zl, *_zu, *_lam;
};

/* AC power flow, Newton-Raphson in polar form with a sparse LU. Gen P set-points are
 * fixed except the slack; PV buses hold Vg. rc 0 when converged. */
int gf_pf_solve_pf(const gf_pf_case_t *c, const gf_pf_opts_t *o, gf_pf_result_t **out,
                   gf_err_t *err);

/* AC optimal power flow (PGLib/MATPOWER model) with Ipopt and exact derivatives.
 * rc 0 on Solve_Succeeded / Solved_To_Acceptable_Level. */
int gf_pf_solve_acopf(const gf_pf_case_t *c, const gf_pf_opts_t *o, gf_pf_result_t **out,
                      gf_err_t *err);

/* DC (linearised, lossless) OPF; a QP solved by Ipopt. */
int gf_pf_solve_dcopf(const gf_pf_case_t *c, const gf_pf_opts_t *o, gf_pf_result_t **out,
                      gf_err_t *err);

/* Free a result. NULL is a no-op. */
void gf_pf_result_free(gf_pf_result_t *r);

/* New JSON reference describing the result (pandapower/MATPOWER-shaped):
 * {"kind","converged","status","objective","iterations","time_s","max_mismatch_mva",
 *  "totals":{...},"bus":[{"id","vm_pu","va_degree","p_mw","q_mvar","lmp",...}],
 *  "gen":[...],"branch":[...],"binding":[{"type","index","value","limit","mu"}]}.
 * NULL only on out-of-memory. */
json_t *gf_pf_result_to_json(const gf_pf_result_t *r);

/* Name of a bus type: "pq", "pv", "ref", "isolated" (anything else). */
const char *gf_pf_bus_type_name(int type);

/* Name of a binding kind ("vm_max", "sf", ...). */
const char *gf_pf_bind_kind_name(gf_pf_bind_kind_t k);

/* Map an Ipopt ApplicationReturnStatus value to its stable error code ("opf_infeasible",
 * "opf_max_iterations", ...; "solve_succeeded" for 0) and, in *rc, the GF_E* value (0 for the
 * two success statuses). Unknown values give "opf_unknown_status" / GF_EINTERNAL. */
const char *gf_pf_ipopt_status_code(int status, int *rc);

#endif
