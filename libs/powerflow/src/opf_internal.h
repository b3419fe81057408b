/*
 * opf_internal.h - what opf.c (model, Ipopt callbacks, solve) and opf_screen.c (screening of
 * branch limits) share: the solver state of one OPF call and the screening entry points.
 */
#ifndef GF_PF_OPF_INTERNAL_H
#define GF_PF_OPF_INTERNAL_H

#include <stdbool.h>

#include "pf_internal.h"

typedef struct opf {
    const gf_pf_net_t *n;
    bool dc;
    int nb, ng, nl;
    int nx, m;
    int ova, ovm, opg, oqg, oy;
    int *ycol; /* per gen: index of its epigraph variable or -1 */
    int cp, cq, csf, cst, cang, cpwl;
    int nrated, *rated;       /* rated branches whose flow limits are in the model */
    int nang, *angbr;         /* branches whose angle-difference limits are in the model */
    int nrated_all, nang_all; /* the same counts for the full model (every limit) */
    int *rpos, *apos;         /* per rated[] / angbr[] entry: its index in the full model */
    int m_all;                /* constraint count of the full model */
    int nseg, *seg_gen, *seg_k;
    /* Jacobian */
    int nnzj, *jrow, *jcol;
    int *jp_y, *jq_y; /* per Ybus entry: position of d/dVa_j in the P (Q) row of bus i;
                         d/dVm_j follows (AC) */
    int *jp_g, *jq_g; /* per gen: position of -1 in the P (Q) row */
    int *jsf, *jst;   /* per rated branch: 4 positions (Va_f, Va_t, Vm_f, Vm_t) */
    int *jang, *jseg; /* 2 positions each */
    /* Hessian */
    int nnzh, *hrow, *hcol;
    int *hd; /* per bus: (Va,Va), (Vm,Va), (Vm,Vm) */
    int *hp; /* per Ybus entry (i<j): (Va_j,Va_i), (Vm_i,Va_j), (Vm_j,Va_i),
                (Vm_j,Vm_i) */
    int *hg; /* per gen: (Pg,Pg) */
    /* per-x cache: per branch F[4] = Pf Qf Pt Qt, G[16] gradients, K, K' parts */
    double *bf, *bgr, *bcs; /* bcs: cos d, sin d per branch */
    double *xlast;
    bool cache_ok;
    int iters;
    const gf_pf_opts_t *opts; /* for the progress callback */
    int iters_before;         /* iterations of earlier screening solves */
} opf_t;

/* Fill o's per-x cache (branch flows, their gradients, cos/sin of the angle differences) for
 * x, unless it already holds x. */
void gf__opf_update_cache(opf_t *o, const double *x);

/* Screening (opf_screen.c): a left-out branch at or above SCREEN_NEAR of a limit joins the
 * model after a solve that violated a left-out limit; after SCREEN_MAX_ROUNDS solves the full
 * model is solved. */
#define SCREEN_NEAR 0.9
#define SCREEN_MAX_ROUNDS 5

/* Marks left-out branches (keep[k] == 0) at or above `near` of a limit at x; returns how many
 * left-out limits are violated. With mark false only counts. */
int gf__opf_screen_scan(opf_t *o, const double *x, unsigned char *keep, double near, bool mark);

/* The first screen of a cold start: marks in keep the branches near a limit in a DC flow of the
 * merit-order dispatch; leaves keep alone when that flow cannot be solved. */
void gf__opf_screen_start(const opf_t *o, unsigned char *keep);

#endif
