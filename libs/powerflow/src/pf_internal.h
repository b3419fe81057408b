/*
 * pf_internal.h - what the powerflow modules share but do not export: the network model's
 * layout, the sparse LU, and helpers for branch flows and results.
 */
#ifndef GF_PF_INTERNAL_H
#define GF_PF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "powerflow/network.h"
#include "powerflow/solve.h"

#define GF__PF_INF 1e20

struct gf_pf_net {
    const gf_pf_case_t *cs;
    double base;
    /* buses (internal index i) */
    int nb;
    int *bus_row;                    /* i -> row of mpc.bus */
    int *bus_int;                    /* row of mpc.bus -> i, or -1 */
    int *type;                       /* PQ, PV or REF after outages */
    double *pd, *qd, *gs, *bs;       /* p.u. */
    double *vmin, *vmax, *vm0, *va0; /* p.u., rad */
    int ref;
    /* generators (internal index g) */
    int ng;
    int *gen_row, *gen_bus;                        /* g -> row of mpc.gen, internal bus */
    int *gen_int;                                  /* row of mpc.gen -> g, or -1 */
    double *pmin, *pmax, *qmin, *qmax, *pg0, *qg0; /* p.u. (+-GF__PF_INF for Inf) */
    gf_pf_gencost_t *cost; /* ng entries; c pointers borrowed from case or options */
    /* branches (internal index k) */
    int nl;
    int *br_row, *f, *t;
    double *gff, *bff, *gft, *bft, *gtf, *btf, *gtt, *btt; /* pi-model admittances */
    double *rate;                                          /* p.u., 0 = unlimited */
    double *angmin, *angmax;                               /* rad, -+GF__PF_INF when unlimited */
    double *bdc, *shift; /* DC model: 1/(x*tap), phase shift rad */
    /* Ybus, CSR with sorted columns; diag[i] = position of (i,i) */
    int *yp, *yj, *ydiag;
    double *yg, *yb;
    int *pos_ft, *pos_tf; /* per branch: position of (f,t) and (t,f) in Ybus */
    /* gens per bus */
    int *gb_ptr, *gb_idx;
};

/* Sparse LU without pivoting on a fill-reducing (minimum-degree) symmetric ordering; the
 * pattern is symmetrised. analyze once per pattern, factor per values, solve per rhs. */
typedef struct gf__splu {
    int n;
    int *perm, *iperm;
    int *rp, *ci, *diag; /* filled pattern, rows in new order, sorted columns */
    double *val;
    int *amap; /* input CSR position -> position in val */
    int annz;
    double *work;
} gf__splu_t;

int gf__splu_analyze(gf__splu_t *lu, int n, const int *rp, const int *ci);
int gf__splu_factor(gf__splu_t *lu, const double *aval);
void gf__splu_solve(gf__splu_t *lu, double *b);
void gf__splu_cleanup(gf__splu_t *lu);

/* Branch flows (p.u.) of branch k at voltages vm/va. */
void gf__pf_branch_flow(const gf_pf_net_t *n, int k, const double *vm, const double *va, double *pf,
                        double *qf, double *pt, double *qt);

/* Cost of gen g ($/h) at p MW, and its first/second derivative per MW. */
double gf__pf_cost(const gf_pf_gencost_t *c, double p_mw, double *d1, double *d2);

/* New result sized for the case; in-service flags and ids filled from the network. */
gf_pf_result_t *gf__pf_result_new(const gf_pf_net_t *n, gf_pf_kind_t kind);

/* Fill bus voltages, branch flows, losses and totals of r from vm/va (internal index) and
 * gen outputs pg/qg (p.u., internal index). */
void gf__pf_result_fill(gf_pf_result_t *r, const gf_pf_net_t *n, const double *vm, const double *va,
                        const double *pg, const double *qg);

/* N-1 in power-flow mode reusing the base case (n1.c): the base network, its converged
 * state and its Jacobian pattern with the symbolic LU are kept, and each outage is solved by
 * Newton from the base state with the base pattern (the branch's Ybus entries set to what is
 * left, structural zeros kept). Not available with enforce_q_lims (*ctx stays NULL).
 * prepare = gf_pf_solve_pf of the base that also keeps the context when it converged. */
typedef struct gf__pf_n1ctx gf__pf_n1ctx_t;
typedef struct gf__pf_n1ws gf__pf_n1ws_t; /* per-thread workspace */
int gf__pf_n1_prepare(const gf_pf_case_t *c, const gf_pf_opts_t *o, gf_pf_result_t **out,
                      gf__pf_n1ctx_t **ctx, gf_err_t *err);
const gf_pf_net_t *gf__pf_n1_net(const gf__pf_n1ctx_t *x);
void gf__pf_n1_free(gf__pf_n1ctx_t *x);
gf__pf_n1ws_t *gf__pf_n1ws_new(const gf__pf_n1ctx_t *x);
void gf__pf_n1ws_free(gf__pf_n1ws_t *s);
/* Internal branch k out; buses with dead[i] set (cut off by the outage, NULL = none) keep
 * their base state and leave the equations. rc 0 converged, -1 not converged, -2 singular
 * Jacobian; *vm / *va (internal index) point into s until its next use. */
int gf__pf_n1_outage(const gf__pf_n1ctx_t *x, gf__pf_n1ws_t *s, int k, const unsigned char *dead,
                     const gf_pf_opts_t *o, const double **vm, const double **va, int *iters,
                     double *mis);

void gf__pf_result_add_binding(gf_pf_result_t *r, gf_pf_bind_kind_t kind, size_t index,
                               double value, double limit, double mu);

#endif
