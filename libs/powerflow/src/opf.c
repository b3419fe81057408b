/*
 * opf.c - AC and DC optimal power flow through Ipopt's C interface.
 *
 * AC model (PGLib / MATPOWER): variables x = [Va (nb) | Vm (nb) | Pg (ng) | Qg (ng) | y (one
 * per piecewise-linear cost)], all in p.u. and radians. Constraints, in this order:
 *   P balance (nb) and Q balance (nb), equalities;
 *   |Sf|^2 <= rateA^2 and |St|^2 <= rateA^2 for every rated branch;
 *   angmin <= Va_f - Va_t <= angmax where a limit applies;
 *   y_g >= slope_s * (Pg - x_s) + y_s for every segment s of a PWL cost (epigraph).
 * The reference angle is fixed through equal bounds. Bus injections are sums of branch
 * flows, each flow of the form F = a Vf^2 + c Vt^2 + Vf Vt (p cos d + q sin d), d = Va_f -
 * Va_t, so the exact gradient and Hessian of every constraint are assembled branch by branch
 * from one closed form (see flow_grad / add_local_hessian).
 *
 * The Jacobian and Hessian (lower triangle) nonzero lists are built once at setup together
 * with position tables (per Ybus entry, bus, branch, generator); the eval callbacks fill
 * values into those positions only, without allocating. Branch trigonometry is cached per x.
 *
 * DC model: x = [Va | Pg | y]; P balance with B (1/(x*tap)) and phase shifts, |Pf| <= rateA,
 * the same angle and PWL constraints; a convex QP given to Ipopt as an NLP with constant
 * derivatives.
 *
 * Branch limits are screened by default (see screen_scan): the model holds the flow and
 * angle limits of the branches near them, and a solve that violates a left-out limit is
 * repeated with it. opf_setup takes the per-branch mask; warm-start points are always kept
 * in the full model's row layout (opf_full_rows), whatever was screened.
 *
 * All solver state lives in one opf_t per call: concurrent calls share nothing but the
 * read-only case. One exception: Debian's sequential MUMPS (Ipopt's only linear solver
 * here) keeps module-level state and crashes when two factorizations run at once (seen as
 * "PB allocation in DMUMPS_LOAD_INIT"), so the Ipopt part of each solve holds a process-wide
 * mutex. Model building, result assembly and power flows run in parallel.
 */
#include "pf_internal.h"

#include <IpStdCInterface.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scotch/scotch.h>

#include "core/util.h"

/* Serialises Ipopt/MUMPS across threads (see the top of the file). */
static pthread_mutex_t ipopt_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct opf {
    const gf_pf_net_t *n;
    bool dc;
    int nb, ng, nl;
    int nx, m;
    int ova, ovm, opg, oqg, oy;
    int *ycol;               /* per gen: index of its epigraph variable or -1 */
    int cp, cq, csf, cst, cang, cpwl;
    int nrated, *rated;      /* rated branches whose flow limits are in the model */
    int nang, *angbr;        /* branches whose angle-difference limits are in the model */
    int nrated_all, nang_all;/* the same counts for the full model (every limit) */
    int *rpos, *apos;        /* per rated[] / angbr[] entry: its index in the full model */
    int m_all;               /* constraint count of the full model */
    int nseg, *seg_gen, *seg_k;
    /* Jacobian */
    int nnzj, *jrow, *jcol;
    int *jp_y, *jq_y;        /* per Ybus entry: position of d/dVa_j in the P (Q) row of bus i;
                                d/dVm_j follows (AC) */
    int *jp_g, *jq_g;        /* per gen: position of -1 in the P (Q) row */
    int *jsf, *jst;          /* per rated branch: 4 positions (Va_f, Va_t, Vm_f, Vm_t) */
    int *jang, *jseg;        /* 2 positions each */
    /* Hessian */
    int nnzh, *hrow, *hcol;
    int *hd;                 /* per bus: (Va,Va), (Vm,Va), (Vm,Vm) */
    int *hp;                 /* per Ybus entry (i<j): (Va_j,Va_i), (Vm_i,Va_j), (Vm_j,Va_i),
                                (Vm_j,Vm_i) */
    int *hg;                 /* per gen: (Pg,Pg) */
    /* per-x cache: per branch F[4] = Pf Qf Pt Qt, G[16] gradients, K, K' parts */
    double *bf, *bgr, *bcs;  /* bcs: cos d, sin d per branch */
    double *xlast;
    bool cache_ok;
    int iters;
    const gf_pf_opts_t *opts; /* for the progress callback */
    int iters_before;         /* iterations of earlier screening solves */
} opf_t;

/* Coefficients (a, c, p, q) of Pf, Qf, Pt, Qt of branch k. */
static void flow_coef(const gf_pf_net_t *n, int k, double co[4][4])
{
    double v[4][4] = {{n->gff[k], 0, n->gft[k], n->bft[k]},
                      {-n->bff[k], 0, -n->bft[k], n->gft[k]},
                      {0, n->gtt[k], n->gtf[k], -n->btf[k]},
                      {0, -n->btt[k], -n->btf[k], -n->gtf[k]}};
    memcpy(co, v, sizeof v);
}

static void update_cache(opf_t *o, const double *x)
{
    if (o->cache_ok && memcmp(x, o->xlast, (size_t)o->nx * sizeof *x) == 0)
        return;
    memcpy(o->xlast, x, (size_t)o->nx * sizeof *x);
    o->cache_ok = true;
    if (o->dc)
        return;
    const gf_pf_net_t *n = o->n;
    const double *va = x + o->ova, *vm = x + o->ovm;
    for (int k = 0; k < o->nl; k++) {
        int f = n->f[k], t = n->t[k];
        double d = va[f] - va[t], cd = cos(d), sd = sin(d);
        double vf = vm[f], vt = vm[t], vv = vf * vt;
        o->bcs[2 * k] = cd;
        o->bcs[2 * k + 1] = sd;
        double co[4][4];
        flow_coef(n, k, co);
        for (int m = 0; m < 4; m++) {
            double a = co[m][0], c = co[m][1], p = co[m][2], q = co[m][3];
            double K = p * cd + q * sd, Kp = -p * sd + q * cd;
            o->bf[4 * k + m] = a * vf * vf + c * vt * vt + vv * K;
            double *g = o->bgr + 16 * k + 4 * m;
            g[0] = vv * Kp;
            g[1] = -vv * Kp;
            g[2] = 2 * a * vf + vt * K;
            g[3] = 2 * c * vt + vf * K;
        }
    }
}

/* ------------------------------------------------------------------ Ipopt callbacks */

static Bool eval_f(Index nx, Number *x, Bool new_x, Number *obj, UserDataPtr ud)
{
    (void)nx;
    (void)new_x;
    opf_t *o = ud;
    const gf_pf_net_t *n = o->n;
    double s = 0;
    for (int g = 0; g < o->ng; g++) {
        if (o->ycol[g] >= 0)
            s += x[o->ycol[g]];
        else
            s += gf__pf_cost(&n->cost[g], x[o->opg + g] * n->base, NULL, NULL);
    }
    *obj = s;
    return isfinite(s);
}

static Bool eval_grad_f(Index nx, Number *x, Bool new_x, Number *grad, UserDataPtr ud)
{
    (void)new_x;
    opf_t *o = ud;
    const gf_pf_net_t *n = o->n;
    memset(grad, 0, (size_t)nx * sizeof *grad);
    for (int g = 0; g < o->ng; g++) {
        if (o->ycol[g] >= 0) {
            grad[o->ycol[g]] = 1;
        } else {
            double d1;
            gf__pf_cost(&n->cost[g], x[o->opg + g] * n->base, &d1, NULL);
            grad[o->opg + g] = d1 * n->base;
        }
    }
    for (int i = 0; i < nx; i++)
        if (!isfinite(grad[i]))
            return FALSE;
    return TRUE;
}

static Bool eval_g(Index nx, Number *x, Bool new_x, Index m, Number *gv, UserDataPtr ud)
{
    (void)nx;
    (void)new_x;
    opf_t *o = ud;
    const gf_pf_net_t *n = o->n;
    update_cache(o, x);
    const double *va = x + o->ova;
    for (int i = 0; i < o->nb; i++) {
        double vm = o->dc ? 1.0 : x[o->ovm + i];
        gv[o->cp + i] = n->pd[i] + n->gs[i] * vm * vm;
        if (!o->dc)
            gv[o->cq + i] = n->qd[i] - n->bs[i] * vm * vm;
    }
    for (int g = 0; g < o->ng; g++) {
        gv[o->cp + n->gen_bus[g]] -= x[o->opg + g];
        if (!o->dc)
            gv[o->cq + n->gen_bus[g]] -= x[o->oqg + g];
    }
    for (int k = 0; k < o->nl; k++) {
        int f = n->f[k], t = n->t[k];
        if (o->dc) {
            double pf = n->bdc[k] * (va[f] - va[t] - n->shift[k]);
            gv[o->cp + f] += pf;
            gv[o->cp + t] -= pf;
        } else {
            const double *F = o->bf + 4 * k;
            gv[o->cp + f] += F[0];
            gv[o->cq + f] += F[1];
            gv[o->cp + t] += F[2];
            gv[o->cq + t] += F[3];
        }
    }
    for (int r = 0; r < o->nrated; r++) {
        int k = o->rated[r];
        if (o->dc) {
            gv[o->csf + r] = n->bdc[k] * (va[n->f[k]] - va[n->t[k]]);
        } else {
            const double *F = o->bf + 4 * k;
            gv[o->csf + r] = F[0] * F[0] + F[1] * F[1];
            gv[o->cst + r] = F[2] * F[2] + F[3] * F[3];
        }
    }
    for (int a = 0; a < o->nang; a++) {
        int k = o->angbr[a];
        gv[o->cang + a] = va[n->f[k]] - va[n->t[k]];
    }
    for (int s = 0; s < o->nseg; s++) {
        int g = o->seg_gen[s], j = o->seg_k[s];
        const double *c = n->cost[g].c;
        double slope = (c[2 * j + 3] - c[2 * j + 1]) / (c[2 * j + 2] - c[2 * j]);
        gv[o->cpwl + s] = slope * n->base * x[o->opg + g] - x[o->ycol[g]];
    }
    for (int i = 0; i < m; i++)
        if (!isfinite(gv[i]))
            return FALSE;
    return TRUE;
}

static Bool eval_jac_g(Index nx, Number *x, Bool new_x, Index m, Index nele, Index *irow,
                       Index *jcol, Number *val, UserDataPtr ud)
{
    (void)nx;
    (void)new_x;
    (void)m;
    opf_t *o = ud;
    if (nele != o->nnzj)
        return FALSE;
    if (val == NULL) {
        memcpy(irow, o->jrow, (size_t)nele * sizeof *irow);
        memcpy(jcol, o->jcol, (size_t)nele * sizeof *jcol);
        return TRUE;
    }
    const gf_pf_net_t *n = o->n;
    update_cache(o, x);
    memset(val, 0, (size_t)nele * sizeof *val);
    for (int g = 0; g < o->ng; g++) {
        val[o->jp_g[g]] = -1;
        if (!o->dc)
            val[o->jq_g[g]] = -1;
    }
    if (o->dc) {
        for (int k = 0; k < o->nl; k++) {
            int f = n->f[k], t = n->t[k];
            double b = n->bdc[k];
            val[o->jp_y[n->ydiag[f]]] += b;
            val[o->jp_y[n->pos_ft[k]]] -= b;
            val[o->jp_y[n->ydiag[t]]] += b;
            val[o->jp_y[n->pos_tf[k]]] -= b;
        }
        for (int r = 0; r < o->nrated; r++) {
            val[o->jsf[4 * r]] = n->bdc[o->rated[r]];
            val[o->jsf[4 * r + 1]] = -n->bdc[o->rated[r]];
        }
    } else {
        for (int i = 0; i < o->nb; i++) {
            double vm = x[o->ovm + i];
            val[o->jp_y[n->ydiag[i]] + 1] += 2 * n->gs[i] * vm;
            val[o->jq_y[n->ydiag[i]] + 1] -= 2 * n->bs[i] * vm;
        }
        for (int k = 0; k < o->nl; k++) {
            int f = n->f[k], t = n->t[k];
            const double *G = o->bgr + 16 * k;
            /* rows of bus f: Pf, Qf; columns (Va_f, Vm_f) at diag, (Va_t, Vm_t) at (f,t) */
            int pff = o->jp_y[n->ydiag[f]], pft = o->jp_y[n->pos_ft[k]];
            int qff = o->jq_y[n->ydiag[f]], qft = o->jq_y[n->pos_ft[k]];
            val[pff] += G[0];
            val[pff + 1] += G[2];
            val[pft] += G[1];
            val[pft + 1] += G[3];
            val[qff] += G[4];
            val[qff + 1] += G[6];
            val[qft] += G[5];
            val[qft + 1] += G[7];
            int ptt = o->jp_y[n->ydiag[t]], ptf = o->jp_y[n->pos_tf[k]];
            int qtt = o->jq_y[n->ydiag[t]], qtf = o->jq_y[n->pos_tf[k]];
            val[ptt] += G[9];
            val[ptt + 1] += G[11];
            val[ptf] += G[8];
            val[ptf + 1] += G[10];
            val[qtt] += G[13];
            val[qtt + 1] += G[15];
            val[qtf] += G[12];
            val[qtf + 1] += G[14];
        }
        for (int r = 0; r < o->nrated; r++) {
            int k = o->rated[r];
            const double *F = o->bf + 4 * k, *G = o->bgr + 16 * k;
            for (int u = 0; u < 4; u++) {
                val[o->jsf[4 * r + u]] = 2 * F[0] * G[u] + 2 * F[1] * G[4 + u];
                val[o->jst[4 * r + u]] = 2 * F[2] * G[8 + u] + 2 * F[3] * G[12 + u];
            }
        }
    }
    for (int a = 0; a < o->nang; a++) {
        val[o->jang[2 * a]] = 1;
        val[o->jang[2 * a + 1]] = -1;
    }
    for (int s = 0; s < o->nseg; s++) {
        int g = o->seg_gen[s], j = o->seg_k[s];
        const double *c = n->cost[g].c;
        val[o->jseg[2 * s]] = (c[2 * j + 3] - c[2 * j + 1]) / (c[2 * j + 2] - c[2 * j]) * n->base;
        val[o->jseg[2 * s + 1]] = -1;
    }
    for (int z = 0; z < nele; z++)
        if (!isfinite(val[z]))
            return FALSE;
    return TRUE;
}

/* Add the symmetric 4x4 local Hessian H (over Va_f, Va_t, Vm_f, Vm_t) of branch k. */
static void add_local_hessian(const opf_t *o, int k, double H[4][4], double *val)
{
    const gf_pf_net_t *n = o->n;
    int f = n->f[k], t = n->t[k];
    int hp = o->hp[f < t ? n->pos_ft[k] : n->pos_tf[k]];
    val[o->hd[3 * f]] += H[0][0];
    val[o->hd[3 * t]] += H[1][1];
    val[o->hd[3 * f + 1]] += H[2][0];
    val[o->hd[3 * t + 1]] += H[3][1];
    val[o->hd[3 * f + 2]] += H[2][2];
    val[o->hd[3 * t + 2]] += H[3][3];
    val[hp] += H[0][1];
    if (f < t) {
        val[hp + 1] += H[2][1];
        val[hp + 2] += H[3][0];
    } else {
        val[hp + 1] += H[3][0];
        val[hp + 2] += H[2][1];
    }
    val[hp + 3] += H[2][3];
}

static Bool eval_h(Index nx, Number *x, Bool new_x, Number obj_factor, Index m, Number *lambda,
                   Bool new_lambda, Index nele, Index *irow, Index *jcol, Number *val,
                   UserDataPtr ud)
{
    (void)nx;
    (void)new_x;
    (void)m;
    (void)new_lambda;
    opf_t *o = ud;
    if (nele != o->nnzh)
        return FALSE;
    if (val == NULL) {
        memcpy(irow, o->hrow, (size_t)nele * sizeof *irow);
        memcpy(jcol, o->hcol, (size_t)nele * sizeof *jcol);
        return TRUE;
    }
    const gf_pf_net_t *n = o->n;
    update_cache(o, x);
    memset(val, 0, (size_t)nele * sizeof *val);
    for (int g = 0; g < o->ng; g++)
        if (o->ycol[g] < 0) {
            double d2;
            gf__pf_cost(&n->cost[g], x[o->opg + g] * n->base, NULL, &d2);
            val[o->hg[g]] = obj_factor * d2 * n->base * n->base;
        }
    if (!o->dc) {
        const double *lp = lambda + o->cp, *lq = lambda + o->cq;
        const double *vmv = x + o->ovm;
        for (int i = 0; i < o->nb; i++)
            val[o->hd[3 * i + 2]] += 2 * (lp[i] * n->gs[i] - lq[i] * n->bs[i]);
        /* balance rows: every branch adds lambda-weighted flow curvature (one closed form) */
        for (int k = 0; k < o->nl; k++) {
            int f = n->f[k], t = n->t[k];
            double w[4] = {lp[f], lq[f], lp[t], lq[t]};
            double H[4][4];
            memset(H, 0, sizeof H);
            double co[4][4];
            flow_coef(n, k, co);
            double A = 0, C = 0, P = 0, Q = 0;
            for (int q = 0; q < 4; q++) {
                A += w[q] * co[q][0];
                C += w[q] * co[q][1];
                P += w[q] * co[q][2];
                Q += w[q] * co[q][3];
            }
            double cd = o->bcs[2 * k], sd = o->bcs[2 * k + 1];
            double vf = vmv[f], vt = vmv[t], vv = vf * vt;
            double K = P * cd + Q * sd, Kp = -P * sd + Q * cd;
            H[0][0] = -vv * K;
            H[1][1] = -vv * K;
            H[0][1] = vv * K;
            H[2][0] = vt * Kp;
            H[3][0] = vf * Kp;
            H[2][1] = -vt * Kp;
            H[3][1] = -vf * Kp;
            H[2][2] = 2 * A;
            H[3][3] = 2 * C;
            H[2][3] = K;
            add_local_hessian(o, k, H, val);
        }
        for (int r = 0; r < o->nrated; r++) {
            int k = o->rated[r], f = n->f[k], t = n->t[k];
            double mu[2] = {lambda[o->csf + r], lambda[o->cst + r]};
            const double *F = o->bf + 4 * k, *G = o->bgr + 16 * k;
            double co[4][4];
            flow_coef(n, k, co);
            double A = 0, C = 0, P = 0, Q = 0;
            double H[4][4];
            memset(H, 0, sizeof H);
            for (int e = 0; e < 2; e++) {
                for (int q = 2 * e; q < 2 * e + 2; q++) {
                    double wq = 2 * mu[e] * F[q];
                    A += wq * co[q][0];
                    C += wq * co[q][1];
                    P += wq * co[q][2];
                    Q += wq * co[q][3];
                    for (int u = 0; u < 4; u++)
                        for (int v = 0; v <= u; v++)
                            H[u][v] += 2 * mu[e] * G[4 * q + u] * G[4 * q + v];
                }
            }
            double cd = o->bcs[2 * k], sd = o->bcs[2 * k + 1];
            double vf = vmv[f], vt = vmv[t], vv = vf * vt;
            double K = P * cd + Q * sd, Kp = -P * sd + Q * cd;
            /* H holds the lower triangle of the outer products; add the curvature terms
             * and read H[0][1] from the lower entry (1,0) */
            double L[4][4];
            L[0][0] = H[0][0] - vv * K;
            L[1][1] = H[1][1] - vv * K;
            L[0][1] = H[1][0] + vv * K;
            L[2][0] = H[2][0] + vt * Kp;
            L[3][0] = H[3][0] + vf * Kp;
            L[2][1] = H[2][1] - vt * Kp;
            L[3][1] = H[3][1] - vf * Kp;
            L[2][2] = H[2][2] + 2 * A;
            L[3][3] = H[3][3] + 2 * C;
            L[2][3] = H[3][2] + K;
            add_local_hessian(o, k, L, val);
        }
    }
    for (int z = 0; z < nele; z++)
        if (!isfinite(val[z]))
            return FALSE;
    return TRUE;
}

static Bool on_iter(Index alg_mod, Index iter, Number obj, Number inf_pr, Number inf_du,
                    Number mu, Number d_norm, Number reg, Number a_du, Number a_pr, Index ls,
                    UserDataPtr ud)
{
    (void)alg_mod;
    (void)obj;
    (void)inf_pr;
    (void)inf_du;
    (void)mu;
    (void)d_norm;
    (void)reg;
    (void)a_du;
    (void)a_pr;
    (void)ls;
    opf_t *o = ud;
    o->iters = iter;
    if (o->opts != NULL && o->opts->progress != NULL && iter > 0 && iter % 5 == 0)
        o->opts->progress(o->opts->progress_arg, o->iters_before + iter);
    return TRUE;
}

/* ------------------------------------------------------------------ setup */

static void opf_cleanup(opf_t *o)
{
    void *p[] = {o->ycol, o->rated, o->angbr, o->seg_gen, o->seg_k, o->jrow, o->jcol,
                 o->jp_y, o->jq_y, o->jp_g, o->jq_g,  o->jsf,   o->jst,   o->jang, o->jseg,
                 o->hrow, o->hcol, o->hd,   o->hp,    o->hg,    o->bf,    o->bgr,  o->bcs,
                 o->xlast, o->rpos, o->apos};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        free(p[i]);
}

#define XALLOC(p, cnt) (p) = gf_xcalloc((size_t)(cnt) + 1, sizeof *(p))

/* keep: per branch, nonzero to put its flow and angle-difference limits into the model;
 * NULL puts every limit in (the full model). */
static void opf_setup(opf_t *o, const gf_pf_net_t *n, bool dc, const unsigned char *keep)
{
    memset(o, 0, sizeof *o);
    o->n = n;
    o->dc = dc;
    o->nb = n->nb;
    o->ng = n->ng;
    o->nl = n->nl;
    int nb = n->nb, ng = n->ng, nl = n->nl;
    /* variables */
    o->ova = 0;
    if (dc) {
        o->ovm = -1;
        o->opg = nb;
        o->oqg = -1;
        o->oy = nb + ng;
    } else {
        o->ovm = nb;
        o->opg = 2 * nb;
        o->oqg = 2 * nb + ng;
        o->oy = 2 * nb + 2 * ng;
    }
    XALLOC(o->ycol, ng);
    int ny = 0, nseg = 0;
    for (int g = 0; g < ng; g++) {
        o->ycol[g] = -1;
        if (n->cost[g].model == GF_PF_COST_PWL) {
            o->ycol[g] = o->oy + ny++;
            nseg += n->cost[g].n - 1;
        }
    }
    o->nx = o->oy + ny;
    /* constraints */
    XALLOC(o->rated, nl);
    XALLOC(o->angbr, nl);
    XALLOC(o->rpos, nl);
    XALLOC(o->apos, nl);
    for (int k = 0; k < nl; k++) {
        bool in = keep == NULL || keep[k];
        if (n->rate[k] > 0) {
            if (in) {
                o->rpos[o->nrated] = o->nrated_all;
                o->rated[o->nrated++] = k;
            }
            o->nrated_all++;
        }
        if (n->angmin[k] > -GF__PF_INF || n->angmax[k] < GF__PF_INF) {
            if (in) {
                o->apos[o->nang] = o->nang_all;
                o->angbr[o->nang++] = k;
            }
            o->nang_all++;
        }
    }
    o->nseg = nseg;
    XALLOC(o->seg_gen, nseg);
    XALLOC(o->seg_k, nseg);
    for (int g = 0, s = 0; g < ng; g++)
        if (o->ycol[g] >= 0)
            for (int j = 0; j < n->cost[g].n - 1; j++) {
                o->seg_gen[s] = g;
                o->seg_k[s++] = j;
            }
    o->cp = 0;
    if (dc) {
        o->cq = -1;
        o->csf = nb;
        o->cst = -1;
        o->cang = nb + o->nrated;
    } else {
        o->cq = nb;
        o->csf = 2 * nb;
        o->cst = 2 * nb + o->nrated;
        o->cang = 2 * nb + 2 * o->nrated;
    }
    o->cpwl = o->cang + o->nang;
    o->m = o->cpwl + nseg;
    o->m_all = o->m + (dc ? 1 : 2) * (o->nrated_all - o->nrated) + (o->nang_all - o->nang);

    /* Jacobian nonzero list */
    int ny_ent = n->yp[nb];
    int per = dc ? 1 : 2;
    int cap = (dc ? 1 : 2) * (per * ny_ent + ng) + 8 * o->nrated + 2 * o->nang + 2 * nseg;
    XALLOC(o->jrow, cap);
    XALLOC(o->jcol, cap);
    XALLOC(o->jp_y, ny_ent);
    XALLOC(o->jq_y, ny_ent);
    XALLOC(o->jp_g, ng);
    XALLOC(o->jq_g, ng);
    int z = 0;
    for (int e = 0; e < (dc ? 1 : 2); e++) {
        int row0 = e == 0 ? o->cp : o->cq;
        for (int i = 0; i < nb; i++) {
            for (int q = n->yp[i]; q < n->yp[i + 1]; q++) {
                int j = n->yj[q];
                (e == 0 ? o->jp_y : o->jq_y)[q] = z;
                o->jrow[z] = row0 + i;
                o->jcol[z++] = o->ova + j;
                if (!dc) {
                    o->jrow[z] = row0 + i;
                    o->jcol[z++] = o->ovm + j;
                }
            }
            for (int q = n->gb_ptr[i]; q < n->gb_ptr[i + 1]; q++) {
                int g = n->gb_idx[q];
                (e == 0 ? o->jp_g : o->jq_g)[g] = z;
                o->jrow[z] = row0 + i;
                o->jcol[z++] = (e == 0 ? o->opg : o->oqg) + g;
            }
        }
    }
    XALLOC(o->jsf, 4 * o->nrated);
    XALLOC(o->jst, 4 * o->nrated);
    for (int e = 0; e < (dc ? 1 : 2); e++)
        for (int r = 0; r < o->nrated; r++) {
            int k = o->rated[r];
            int cols[4] = {o->ova + n->f[k], o->ova + n->t[k], dc ? -1 : o->ovm + n->f[k],
                           dc ? -1 : o->ovm + n->t[k]};
            for (int u = 0; u < (dc ? 2 : 4); u++) {
                (e == 0 ? o->jsf : o->jst)[4 * r + u] = z;
                o->jrow[z] = (e == 0 ? o->csf : o->cst) + r;
                o->jcol[z++] = cols[u];
            }
        }
    XALLOC(o->jang, 2 * o->nang);
    for (int a = 0; a < o->nang; a++) {
        int k = o->angbr[a];
        o->jang[2 * a] = z;
        o->jrow[z] = o->cang + a;
        o->jcol[z++] = o->ova + n->f[k];
        o->jang[2 * a + 1] = z;
        o->jrow[z] = o->cang + a;
        o->jcol[z++] = o->ova + n->t[k];
    }
    XALLOC(o->jseg, 2 * nseg);
    for (int s = 0; s < nseg; s++) {
        int g = o->seg_gen[s];
        o->jseg[2 * s] = z;
        o->jrow[z] = o->cpwl + s;
        o->jcol[z++] = o->opg + g;
        o->jseg[2 * s + 1] = z;
        o->jrow[z] = o->cpwl + s;
        o->jcol[z++] = o->ycol[g];
    }
    o->nnzj = z;

    /* Hessian nonzero list (lower triangle) */
    int hcap = 3 * nb + 4 * ny_ent + ng;
    XALLOC(o->hrow, hcap);
    XALLOC(o->hcol, hcap);
    XALLOC(o->hd, 3 * nb);
    XALLOC(o->hp, ny_ent);
    XALLOC(o->hg, ng);
    z = 0;
    if (!dc) {
        for (int i = 0; i < nb; i++) {
            int r3[3] = {o->ova + i, o->ovm + i, o->ovm + i};
            int c3[3] = {o->ova + i, o->ova + i, o->ovm + i};
            for (int u = 0; u < 3; u++) {
                o->hd[3 * i + u] = z;
                o->hrow[z] = r3[u];
                o->hcol[z++] = c3[u];
            }
            for (int q = n->yp[i]; q < n->yp[i + 1]; q++) {
                int j = n->yj[q];
                if (j <= i)
                    continue;
                /* pair a = i < b = j */
                int r4[4] = {o->ova + j, o->ovm + i, o->ovm + j, o->ovm + j};
                int c4[4] = {o->ova + i, o->ova + j, o->ova + i, o->ovm + i};
                o->hp[q] = z;
                for (int u = 0; u < 4; u++) {
                    o->hrow[z] = r4[u];
                    o->hcol[z++] = c4[u];
                }
            }
        }
    }
    for (int g = 0; g < ng; g++) {
        o->hg[g] = z;
        o->hrow[z] = o->opg + g;
        o->hcol[z++] = o->opg + g;
    }
    o->nnzh = z;
    XALLOC(o->bf, 4 * nl);
    XALLOC(o->bgr, 16 * nl);
    XALLOC(o->bcs, 2 * nl);
    XALLOC(o->xlast, o->nx);
}

/* Variable bounds, constraint bounds and the starting point. */
static void opf_bounds(const opf_t *o, const gf_pf_opts_t *opts, const gf_pf_result_t *pfr,
                       double *xl, double *xu, double *gl, double *gu, double *x0)
{
    const gf_pf_net_t *n = o->n;
    const gf_pf_case_t *c = n->cs;
    double base = n->base;
    for (int i = 0; i < o->nb; i++) {
        xl[o->ova + i] = -GF__PF_INF;
        xu[o->ova + i] = GF__PF_INF;
        if (!o->dc) {
            xl[o->ovm + i] = n->vmin[i];
            xu[o->ovm + i] = n->vmax[i];
        }
    }
    xl[o->ova + n->ref] = xu[o->ova + n->ref] = n->va0[n->ref];
    for (int g = 0; g < o->ng; g++) {
        xl[o->opg + g] = n->pmin[g];
        xu[o->opg + g] = n->pmax[g];
        if (!o->dc) {
            xl[o->oqg + g] = n->qmin[g];
            xu[o->oqg + g] = n->qmax[g];
        }
        if (o->ycol[g] >= 0) {
            xl[o->ycol[g]] = -GF__PF_INF;
            xu[o->ycol[g]] = GF__PF_INF;
        }
    }
    for (int i = 0; i < o->cang; i++)
        gl[i] = gu[i] = 0;
    for (int r = 0; r < o->nrated; r++) {
        int k = o->rated[r];
        double rt = n->rate[k];
        if (o->dc) {
            gl[o->csf + r] = -rt + n->bdc[k] * n->shift[k];
            gu[o->csf + r] = rt + n->bdc[k] * n->shift[k];
        } else {
            gl[o->csf + r] = gl[o->cst + r] = -GF__PF_INF;
            gu[o->csf + r] = gu[o->cst + r] = rt * rt;
        }
    }
    for (int a = 0; a < o->nang; a++) {
        gl[o->cang + a] = n->angmin[o->angbr[a]];
        gu[o->cang + a] = n->angmax[o->angbr[a]];
    }
    for (int s = 0; s < o->nseg; s++) {
        const double *cc = n->cost[o->seg_gen[s]].c;
        int j = o->seg_k[s];
        double slope = (cc[2 * j + 3] - cc[2 * j + 1]) / (cc[2 * j + 2] - cc[2 * j]);
        gl[o->cpwl + s] = -GF__PF_INF;
        gu[o->cpwl + s] = slope * cc[2 * j] - cc[2 * j + 1];
    }
    /* starting point */
    for (int i = 0; i < o->nb; i++) {
        const gf_pf_bus_t *b = &c->bus[n->bus_row[i]];
        double va = 0, vm = 1.0;
        if (pfr != NULL) {
            va = pfr->bus[n->bus_row[i]].va_degree * M_PI / 180.0;
            vm = pfr->bus[n->bus_row[i]].vm_pu;
        } else if (opts->init == GF_PF_INIT_CASE) {
            va = b->va * M_PI / 180.0;
            vm = b->vm;
            if (n->gb_ptr[i + 1] > n->gb_ptr[i])
                vm = c->gen[n->gen_row[n->gb_idx[n->gb_ptr[i]]]].vg;
        }
        x0[o->ova + i] = va;
        if (!o->dc)
            x0[o->ovm + i] = fmin(fmax(vm, n->vmin[i]), n->vmax[i]);
    }
    x0[o->ova + n->ref] = n->va0[n->ref];
    for (int g = 0; g < o->ng; g++) {
        double pg, qg;
        if (pfr != NULL) {
            pg = pfr->gen[n->gen_row[g]].p_mw / base;
            qg = pfr->gen[n->gen_row[g]].q_mvar / base;
        } else if (opts->init == GF_PF_INIT_CASE) {
            pg = n->pg0[g];
            qg = n->qg0[g];
        } else {
            pg = 0.5 * (n->pmin[g] + n->pmax[g]);
            bool fin = n->qmin[g] > -GF__PF_INF && n->qmax[g] < GF__PF_INF;
            qg = fin ? 0.5 * (n->qmin[g] + n->qmax[g]) : 0;
        }
        x0[o->opg + g] = fmin(fmax(pg, n->pmin[g]), n->pmax[g]);
        if (!o->dc)
            x0[o->oqg + g] = fmin(fmax(qg, n->qmin[g]), n->qmax[g]);
        if (o->ycol[g] >= 0)
            x0[o->ycol[g]] = gf__pf_cost(&n->cost[g], x0[o->opg + g] * base, NULL, NULL);
    }
}

#define OPT_STR(k, v)                                                                              \
    do {                                                                                           \
        if (!AddIpoptStrOption(nlp, (char *)(k), (char *)(v))) {                                   \
            rc = gf_err_set(err, GF_EINTERNAL, "opf_invalid_option", "Ipopt option %s", (k));      \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)
#define OPT_NUM(k, v)                                                                              \
    do {                                                                                           \
        if (!AddIpoptNumOption(nlp, (char *)(k), (v))) {                                           \
            rc = gf_err_set(err, GF_EINTERNAL, "opf_invalid_option", "Ipopt option %s", (k));      \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)
#define OPT_INT(k, v)                                                                              \
    do {                                                                                           \
        if (!AddIpoptIntOption(nlp, (char *)(k), (v))) {                                           \
            rc = gf_err_set(err, GF_EINTERNAL, "opf_invalid_option", "Ipopt option %s", (k));      \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

/* Index in the full model of every row of o's model (the warm-start layout). */
static void opf_full_rows(const opf_t *o, int *map)
{
    int nsf = o->dc ? 1 : 2;
    int csf_all = o->csf, cang_all = o->csf + nsf * o->nrated_all;
    int cpwl_all = cang_all + o->nang_all;
    for (int i = 0; i < o->csf; i++)
        map[i] = i;
    for (int r = 0; r < o->nrated; r++) {
        map[o->csf + r] = csf_all + o->rpos[r];
        if (!o->dc)
            map[o->cst + r] = csf_all + o->nrated_all + o->rpos[r];
    }
    for (int a = 0; a < o->nang; a++)
        map[o->cang + a] = cang_all + o->apos[a];
    for (int q = 0; q < o->nseg; q++)
        map[o->cpwl + q] = cpwl_all + q;
}

/* Largest ratio of a branch's flow or angle difference to its limit at x (1 = at the
 * limit), over the limits of branch k; 0 when it has none. */
static double limit_ratio(opf_t *o, const double *x, int k)
{
    const gf_pf_net_t *n = o->n;
    double ratio = 0;
    double d = x[o->ova + n->f[k]] - x[o->ova + n->t[k]];
    if (n->rate[k] > 0) {
        double s;
        if (o->dc) {
            s = fabs(n->bdc[k] * (d - n->shift[k]));
        } else {
            const double *F = o->bf + 4 * k;
            s = sqrt(fmax(F[0] * F[0] + F[1] * F[1], F[2] * F[2] + F[3] * F[3]));
        }
        ratio = s / n->rate[k];
    }
    if (n->angmax[k] < GF__PF_INF)
        ratio = fmax(ratio, n->angmax[k] > 0 ? d / n->angmax[k] : 1 + d - n->angmax[k]);
    if (n->angmin[k] > -GF__PF_INF)
        ratio = fmax(ratio, n->angmin[k] < 0 ? d / n->angmin[k] : 1 + n->angmin[k] - d);
    return ratio;
}

/* Screening of branch limits. The model starts with the limits of the branches that are
 * near them (in the warm-start point, or none on a cold start). After each solve the
 * left-out limits are checked; if any is violated, every left-out branch at or above
 * SCREEN_NEAR of a limit is added and the problem is solved again from the last point.
 * A solution that violates no left-out limit satisfies the full model's KKT conditions
 * with zero multipliers on those limits, so it is the full model's solution; an
 * infeasible relaxation proves the full model infeasible. Rarely binding limits (most of
 * them in real cases) then cost nothing: Ipopt's time here is MUMPS, whose cost grows
 * with the KKT size (measured in BENCHMARKS.md). After SCREEN_MAX_ROUNDS the full model is
 * solved. */
#define SCREEN_NEAR 0.9
#define SCREEN_VIOL 1e-6
#define SCREEN_MAX_ROUNDS 5

/* Marks left-out branches at or above `near` of a limit at x; returns how many left-out
 * limits are violated (above 1 + SCREEN_VIOL). With mark false only counts. */
static int screen_scan(opf_t *o, const double *x, unsigned char *keep, double near, bool mark)
{
    update_cache(o, x);
    int viol = 0;
    for (int k = 0; k < o->nl; k++) {
        if (keep[k])
            continue;
        double ratio = limit_ratio(o, x, k);
        if (ratio > 1 + SCREEN_VIOL)
            viol++;
        if (mark && ratio >= near)
            keep[k] = 1;
    }
    return viol;
}

/* Output (MW) of gen g at marginal price lam ($/MWh): the P in [lo, hi] where its marginal
 * cost reaches lam (costs are convex in the shipped cases; any other cost still gives a
 * point in the range). */
static double gen_at_price(const gf_pf_gencost_t *cost, double lo, double hi, double lam)
{
    if (cost->model == GF_PF_COST_POLY && cost->n <= 3) {
        double a = cost->n == 3 ? cost->c[0] : 0, b = cost->n >= 2 ? cost->c[cost->n - 2] : 0;
        if (a > 0)
            return fmin(fmax((lam - b) / (2 * a), lo), hi);
        return lam > b ? hi : lo;
    }
    double d1;
    gf__pf_cost(cost, lo, &d1, NULL);
    if (d1 >= lam)
        return lo;
    gf__pf_cost(cost, hi, &d1, NULL);
    if (d1 <= lam)
        return hi;
    for (int it = 0; it < 50; it++) {
        double mid = 0.5 * (lo + hi);
        gf__pf_cost(cost, mid, &d1, NULL);
        if (d1 < lam)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* The first screen of a cold start: branches whose flow or angle difference reaches
 * SCREEN_START of a limit in a DC power flow of the merit-order dispatch (the network-blind
 * economic dispatch that a limit-free OPF approaches). Costs well under a millisecond on
 * case118; a limit it misses is caught by the check after the solve. Leaves keep alone if
 * the DC flow cannot be solved. */
#define SCREEN_START 0.8
static void screen_start(const opf_t *o, unsigned char *keep)
{
    const gf_pf_net_t *n = o->n;
    int nb = n->nb, ng = n->ng, nl = n->nl;
    double base = n->base, load = 0, pmin = 0, pmax = 0;
    for (int i = 0; i < nb; i++)
        load += n->pd[i] + n->gs[i];
    double *lo = gf_xmalloc((size_t)(2 * ng + 1) * sizeof *lo), *hi = lo + ng;
    for (int g = 0; g < ng; g++) {
        lo[g] = n->pmin[g] * base;
        hi[g] = fmax(fmin(n->pmax[g], load + n->pmin[g]), n->pmin[g]) * base;
        pmin += lo[g];
        pmax += hi[g];
    }
    double *pg = gf_xcalloc((size_t)ng + 1, sizeof *pg);
    double *inj = gf_xcalloc((size_t)nb + 1, sizeof *inj);
    int *rp = NULL, *ci = NULL;
    double *av = NULL;
    gf__splu_t lu;
    memset(&lu, 0, sizeof lu);
    double target = fmin(fmax(load * base, pmin), pmax);
    if (nb < 2)
        goto out; /* no branch to screen */
    /* price bisection between the cheapest and dearest marginal costs */
    double plo = INFINITY, phi = -INFINITY;
    for (int g = 0; g < ng; g++) {
        double d1;
        gf__pf_cost(&n->cost[g], lo[g], &d1, NULL);
        plo = fmin(plo, d1);
        gf__pf_cost(&n->cost[g], hi[g], &d1, NULL);
        phi = fmax(phi, d1);
    }
    if (!(plo <= phi) || !isfinite(plo) || !isfinite(phi))
        goto out;
    plo -= 1;
    phi += 1;
    double slo = pmin, shi = pmax;
    for (int it = 0; it < 60; it++) {
        double mid = 0.5 * (plo + phi), sum = 0;
        for (int g = 0; g < ng; g++)
            sum += gen_at_price(&n->cost[g], lo[g], hi[g], mid);
        if (sum < target) {
            plo = mid;
            slo = sum;
        } else {
            phi = mid;
            shi = sum;
        }
    }
    /* interpolate between the two sides: splits the load among units at the same price */
    double w = shi > slo ? (target - slo) / (shi - slo) : 0;
    for (int g = 0; g < ng; g++) {
        double a = gen_at_price(&n->cost[g], lo[g], hi[g], plo);
        double b = gen_at_price(&n->cost[g], lo[g], hi[g], phi);
        pg[g] = (a + w * (b - a)) / base;
    }
    /* DC power flow: B theta = P + phase-shift injections, reference angle fixed */
    for (int i = 0; i < nb; i++)
        inj[i] = -n->pd[i] - n->gs[i];
    for (int g = 0; g < ng; g++)
        inj[n->gen_bus[g]] += pg[g];
    for (int k = 0; k < nl; k++) {
        inj[n->f[k]] += n->bdc[k] * n->shift[k];
        inj[n->t[k]] -= n->bdc[k] * n->shift[k];
    }
    /* reduced matrix without the reference bus, CSR on Ybus's pattern */
    int nr = nb - 1, ref = n->ref;
    rp = gf_xcalloc((size_t)nr + 2, sizeof *rp);
    ci = gf_xcalloc((size_t)n->yp[nb] + 1 + (size_t)nb, sizeof *ci);
    av = gf_xcalloc((size_t)n->yp[nb] + 1 + (size_t)nb, sizeof *av);
    int z = 0;
    for (int i = 0, r = 0; i < nb; i++) {
        if (i == ref)
            continue;
        rp[r] = z;
        for (int q = n->yp[i]; q < n->yp[i + 1]; q++) {
            int j = n->yj[q];
            if (j == ref)
                continue;
            ci[z] = j < ref ? j : j - 1;
            av[z++] = 0;
        }
        r++;
    }
    rp[nr] = z;
    /* values: B_ii = sum b, B_ij = -b per branch, found by column search in the row */
    for (int k = 0; k < nl; k++) {
        int f = n->f[k], t = n->t[k];
        double b = n->bdc[k];
        int ends[2][2] = {{f, t}, {t, f}};
        for (int e = 0; e < 2; e++) {
            int i = ends[e][0], j = ends[e][1];
            if (i == ref)
                continue;
            int r = i < ref ? i : i - 1;
            int cj = j < ref ? j : j - 1;
            int cd = r;
            for (int q = rp[r]; q < rp[r + 1]; q++) {
                if (ci[q] == cd)
                    av[q] += b;
                else if (j != ref && ci[q] == cj)
                    av[q] -= b;
            }
        }
    }
    if (gf__splu_analyze(&lu, nr, rp, ci) != 0 || gf__splu_factor(&lu, av) != 0)
        goto out;
    double *th = gf_xcalloc((size_t)nb + 1, sizeof *th);
    for (int i = 0, r = 0; i < nb; i++)
        if (i != ref)
            av[r++] = inj[i];
    gf__splu_solve(&lu, av);
    for (int i = 0, r = 0; i < nb; i++)
        th[i] = i == ref ? 0 : av[r++];
    for (int k = 0; k < nl; k++) {
        double d = th[n->f[k]] - th[n->t[k]], ratio = 0;
        if (n->rate[k] > 0)
            ratio = fabs(n->bdc[k] * (d - n->shift[k])) / n->rate[k];
        if (n->angmax[k] < GF__PF_INF)
            ratio = fmax(ratio, n->angmax[k] > 0 ? d / n->angmax[k] : 1);
        if (n->angmin[k] > -GF__PF_INF)
            ratio = fmax(ratio, n->angmin[k] < 0 ? d / n->angmin[k] : 1);
        if (ratio >= SCREEN_START)
            keep[k] = 1;
    }
    free(th);
out:
    gf__splu_cleanup(&lu);
    free(rp);
    free(ci);
    free(av);
    free(lo);
    free(pg);
    free(inj);
}

static int solve_opf(const gf_pf_case_t *c, const gf_pf_opts_t *opts, bool dc,
                     gf_pf_result_t **out, gf_err_t *err)
{
    *out = NULL;
    gf_pf_opts_t defaults;
    if (opts == NULL) {
        gf_pf_opts_init(&defaults);
        opts = &defaults;
    }
    if (c->gencost == NULL && opts->n_costs < c->n_gen)
        return gf_err_set(err, GF_EUNPROCESSABLE, "no_gencost",
                          "the case has no mpc.gencost; an OPF needs generator costs");
    double t0 = gf_now_mono();
    int rc = 0;
    gf_pf_result_t *pfr = NULL, *r = NULL;
    IpoptProblem nlp = NULL;
    double *xl = NULL, *xu = NULL, *gl = NULL, *gu = NULL, *x = NULL, *gv = NULL, *lam = NULL,
           *zl = NULL, *zu = NULL, *lam_all = NULL;
    int *rowmap = NULL;
    unsigned char *keep = NULL;
    bool locked = false;
    opf_t o;
    memset(&o, 0, sizeof o);
    gf_pf_net_t *n = gf_pf_net_new(c, opts, err);
    if (n == NULL)
        return err ? err->rc : GF_EINVAL;
    const gf_pf_result_t *warm = opts->warm;
    if (opts->screen_limits)
        keep = gf_xcalloc((size_t)n->nl + 1, 1);
    opf_setup(&o, n, dc, keep);
    if (warm != NULL && (warm->_nx != o.nx || warm->_ng != o.m_all || warm->_x == NULL)) {
        rc = gf_err_set(err, GF_EINVAL, "bad_option",
                        "warm start point does not match this problem (%d/%d variables, %d/%d "
                        "constraints)",
                        warm->_nx, o.nx, warm->_ng, o.m_all);
        goto out;
    }
    if (keep != NULL) {
        /* start from the limits that were near in the warm-start point, or near in a DC
         * flow of the merit-order dispatch */
        if (warm != NULL)
            screen_scan(&o, warm->_x, keep, SCREEN_NEAR, true);
        else
            screen_start(&o, keep);
        opf_cleanup(&o);
        opf_setup(&o, n, dc, keep);
    }
    if (!dc && opts->init == GF_PF_INIT_PF && warm == NULL) {
        gf_err_t perr = {0};
        gf_pf_solve_pf(c, opts, &pfr, &perr); /* a non-converged flow still gives a start */
        gf_err_cleanup(&perr);
    }
    XALLOC(xl, o.nx);
    XALLOC(xu, o.nx);
    XALLOC(x, o.nx);
    XALLOC(zl, o.nx);
    XALLOC(zu, o.nx);
    XALLOC(lam_all, o.m_all);
    if (warm != NULL) {
        memcpy(x, warm->_x, (size_t)o.nx * sizeof *x);
        memcpy(zl, warm->_zl, (size_t)o.nx * sizeof *x);
        memcpy(zu, warm->_zu, (size_t)o.nx * sizeof *x);
        memcpy(lam_all, warm->_lam, (size_t)o.m_all * sizeof *x);
    }
    int iters = 0, rounds = 0;
    double obj = 0;
    enum ApplicationReturnStatus st = Internal_Error;
    for (;;) {
        rounds++;
        free(gl);
        free(gu);
        free(gv);
        free(lam);
        free(rowmap);
        XALLOC(gl, o.m);
        XALLOC(gu, o.m);
        XALLOC(gv, o.m);
        XALLOC(lam, o.m);
        XALLOC(rowmap, o.m);
        opf_full_rows(&o, rowmap);
        /* round 1 starts from the caller's warm point or the chosen initial point; later
         * rounds from the last solution's primal point, with slacks and multipliers set by
         * Ipopt (a full primal-dual warm start from a point that violates the limits just
         * added took 2-3x the iterations on case1354 and case2869) */
        bool start_warm = warm != NULL && rounds == 1;
        if (start_warm || rounds > 1) {
            double *x_keep = gf_xmalloc((size_t)o.nx * sizeof *x);
            memcpy(x_keep, x, (size_t)o.nx * sizeof *x);
            opf_bounds(&o, opts, pfr, xl, xu, gl, gu, x);
            memcpy(x, x_keep, (size_t)o.nx * sizeof *x);
            free(x_keep);
            for (int i = 0; i < o.m; i++)
                lam[i] = lam_all[rowmap[i]];
            if (!start_warm) {
                memset(zl, 0, (size_t)o.nx * sizeof *zl);
                memset(zu, 0, (size_t)o.nx * sizeof *zu);
            }
        } else {
            opf_bounds(&o, opts, pfr, xl, xu, gl, gu, x);
        }
        double left = opts->max_cpu_time - (gf_now_mono() - t0);
        pthread_mutex_lock(&ipopt_lock);
        locked = true;
        nlp = CreateIpoptProblem(o.nx, xl, xu, o.m, gl, gu, o.nnzj, o.nnzh, 0, eval_f, eval_g,
                                 eval_grad_f, eval_jac_g, eval_h);
        if (nlp == NULL) {
            rc = gf_err_set(err, GF_EINTERNAL, "opf_create_failed", "CreateIpoptProblem failed");
            goto out;
        }
        OPT_STR("option_file_name", ""); /* never read ipopt.opt from the cwd */
        OPT_STR("sb", "yes");
        OPT_INT("print_level", opts->print_level);
        if (opts->print_level >= 6)
            OPT_STR("print_timing_statistics", "yes");
        OPT_STR("linear_solver", "mumps");
        /* SCOTCH ordering (Debian's MUMPS has no METIS: asking for it falls back to the
         * automatic choice, which is SCOTCH here) and no MUMPS (permuting) scaling: 1.5-2x
         * less CPU than Ipopt's defaults on case1354/case2869. SCOTCH 7 orders on several
         * threads and is then not reproducible; gf_pf_process_init makes it single-threaded
         * and the reset before each solve makes the ordering depend on the matrix only. */
        OPT_INT("mumps_pivot_order", 3);
        OPT_INT("mumps_scaling", 0);
        OPT_INT("mumps_permuting_scaling", 0);
        /* no residual check and iterative refinement of each step: one MUMPS solve less per
         * iteration, -20 % CPU on case118 with the same iterates on every shipped case */
        OPT_STR("fast_step_computation", "yes");
        OPT_NUM("max_cpu_time", fmax(left, 1e-3));
        OPT_NUM("tol", opts->tol);
        OPT_INT("max_iter", opts->max_iter - iters > 1 ? opts->max_iter - iters : 1);
        OPT_NUM("nlp_lower_bound_inf", -0.5 * GF__PF_INF);
        OPT_NUM("nlp_upper_bound_inf", 0.5 * GF__PF_INF);
        if (dc) {
            OPT_STR("jac_c_constant", "yes");
            OPT_STR("jac_d_constant", "yes");
            OPT_STR("hessian_constant", "yes");
        }
        if (start_warm) {
            OPT_STR("warm_start_init_point", "yes");
            OPT_NUM("warm_start_bound_push", 1e-9);
            OPT_NUM("warm_start_mult_bound_push", 1e-9);
            OPT_NUM("mu_init", 1e-6);
        }
        if (!SetIntermediateCallback(nlp, on_iter)) {
            rc = gf_err_set(err, GF_EINTERNAL, "opf_callback_failed", "SetIntermediateCallback");
            goto out;
        }
        o.iters = 0;
        o.cache_ok = false;
        o.opts = opts;
        o.iters_before = iters;
        SCOTCH_randomReset(); /* MUMPS's ordering: the same for the same matrix (see below) */
        st = IpoptSolve(nlp, x, gv, &obj, lam, zl, zu, &o);
        FreeIpoptProblem(nlp);
        nlp = NULL;
        pthread_mutex_unlock(&ipopt_lock);
        locked = false;
        iters += o.iters;
        if (opts->print_level > 0)
            printf("screening: solve %d with %d of %d branch limits: %d iterations, Ipopt "
                   "status %d, objective %.6f\n",
                   rounds, o.nrated + o.nang, o.nrated_all + o.nang_all, o.iters, (int)st, obj);
        memset(lam_all, 0, (size_t)o.m_all * sizeof *lam_all);
        for (int i = 0; i < o.m; i++)
            lam_all[rowmap[i]] = lam[i];
        int src0;
        gf_pf_ipopt_status_code((int)st, &src0);
        if (keep == NULL || src0 != 0)
            break; /* full model, or a failure (infeasible relaxation: infeasible model) */
        if (screen_scan(&o, x, keep, 2, false) == 0)
            break; /* no left-out limit violated: the full model's solution */
        if (rounds >= SCREEN_MAX_ROUNDS) {
            free(keep);
            keep = NULL; /* last resort: every limit */
        } else {
            screen_scan(&o, x, keep, SCREEN_NEAR, true);
        }
        opf_cleanup(&o);
        opf_setup(&o, n, dc, keep);
    }
    o.iters = iters;
    int src;
    const char *code = gf_pf_ipopt_status_code((int)st, &src);

    /* results */
    r = gf__pf_result_new(n, dc ? GF_PF_KIND_DCOPF : GF_PF_KIND_ACOPF);
    int nb = n->nb, ng = n->ng;
    double base = n->base;
    double *vm = gf_xmalloc((size_t)nb * sizeof *vm), *qg = gf_xcalloc((size_t)ng, sizeof *qg);
    for (int i = 0; i < nb; i++)
        vm[i] = dc ? 1.0 : x[o.ovm + i];
    for (int g = 0; g < ng; g++)
        qg[g] = dc ? 0 : x[o.oqg + g];
    if (dc) { /* lossless model: flows are +-b (Va_f - Va_t - shift), no reactive power */
        gf__pf_result_fill(r, n, vm, x + o.ova, x + o.opg, qg);
        r->losses_mw = 0;
        for (int k = 0; k < n->nl; k++) {
            gf_pf_branch_res_t *br = &r->branch[n->br_row[k]];
            double pf = n->bdc[k] * (x[o.ova + n->f[k]] - x[o.ova + n->t[k]] - n->shift[k]);
            br->pf_mw = pf * base;
            br->pt_mw = -pf * base;
            br->qf_mvar = br->qt_mvar = br->pl_mw = br->ql_mvar = 0;
            double rate = c->branch[n->br_row[k]].rate_a;
            br->loading_percent = rate > 0 ? 100 * fabs(br->pf_mw) / rate : 0;
        }
        double mx = 0;
        for (int i = 0; i < o.m; i++)
            if (i < o.csf)
                mx = fmax(mx, fabs(gv[i]) * base);
        r->max_mismatch = mx;
    } else {
        gf__pf_result_fill(r, n, vm, x + o.ova, x + o.opg, qg);
    }
    r->objective = obj;
    r->iterations = o.iters;
    r->converged = src == 0;
    snprintf(r->status, sizeof r->status, "%s", code);
    double lam_ref = lam[o.cp + n->ref] / base;
    bool flow_binding = false;
    for (int i = 0; i < nb; i++) {
        gf_pf_bus_res_t *b = &r->bus[n->bus_row[i]];
        b->lmp = lam[o.cp + i] / base;
        b->lam_q = dc ? 0 : lam[o.cq + i] / base;
        b->lmp_energy = lam_ref;
        if (!dc) {
            double v = x[o.ovm + i];
            if (v >= n->vmax[i] - 1e-6 && zu[o.ovm + i] > 1e-6)
                gf__pf_result_add_binding(r, GF_PF_BIND_VM_MAX, (size_t)n->bus_row[i], v,
                                          n->vmax[i], zu[o.ovm + i]);
            if (v <= n->vmin[i] + 1e-6 && zl[o.ovm + i] > 1e-6)
                gf__pf_result_add_binding(r, GF_PF_BIND_VM_MIN, (size_t)n->bus_row[i], v,
                                          n->vmin[i], zl[o.ovm + i]);
        }
    }
    for (int g = 0; g < ng; g++) {
        gf_pf_gen_res_t *gr = &r->gen[n->gen_row[g]];
        double p = x[o.opg + g];
        gr->at_pmax = p >= n->pmax[g] - 1e-6;
        gr->at_pmin = p <= n->pmin[g] + 1e-6;
        if (gr->at_pmax && zu[o.opg + g] > 1e-6)
            gf__pf_result_add_binding(r, GF_PF_BIND_PG_MAX, (size_t)n->gen_row[g], p * base,
                                      n->pmax[g] * base, zu[o.opg + g] / base);
        if (gr->at_pmin && zl[o.opg + g] > 1e-6)
            gf__pf_result_add_binding(r, GF_PF_BIND_PG_MIN, (size_t)n->gen_row[g], p * base,
                                      n->pmin[g] * base, zl[o.opg + g] / base);
        if (!dc) {
            double q = x[o.oqg + g];
            gr->at_qmax = q >= n->qmax[g] - 1e-6;
            gr->at_qmin = q <= n->qmin[g] + 1e-6;
            if (gr->at_qmax && zu[o.oqg + g] > 1e-6)
                gf__pf_result_add_binding(r, GF_PF_BIND_QG_MAX, (size_t)n->gen_row[g], q * base,
                                          n->qmax[g] * base, zu[o.oqg + g] / base);
            if (gr->at_qmin && zl[o.oqg + g] > 1e-6)
                gf__pf_result_add_binding(r, GF_PF_BIND_QG_MIN, (size_t)n->gen_row[g], q * base,
                                          n->qmin[g] * base, zl[o.oqg + g] / base);
        }
    }
    for (int rr = 0; rr < o.nrated; rr++) {
        int k = o.rated[rr];
        gf_pf_branch_res_t *br = &r->branch[n->br_row[k]];
        double rate = n->rate[k];
        if (dc) {
            double mu = lam[o.csf + rr] / base; /* $/MWh per MW of limit, signed */
            br->mu_sf = mu > 0 ? mu : 0;
            br->mu_st = mu < 0 ? -mu : 0;
            double pf = gv[o.csf + rr];
            if (fabs(mu) > 1e-6 && fabs(fabs(pf - n->bdc[k] * n->shift[k]) - rate) < 1e-6) {
                gf__pf_result_add_binding(r, mu > 0 ? GF_PF_BIND_SF : GF_PF_BIND_ST,
                                          (size_t)n->br_row[k], fabs(br->pf_mw), rate * base,
                                          fabs(mu));
                flow_binding = true;
            }
        } else {
            /* d cost / d rate (MVA) = lambda * 2 rate (p.u.) / base */
            br->mu_sf = lam[o.csf + rr] * 2 * rate / base;
            br->mu_st = lam[o.cst + rr] * 2 * rate / base;
            double sf = sqrt(fmax(gv[o.csf + rr], 0)), stt = sqrt(fmax(gv[o.cst + rr], 0));
            if (br->mu_sf > 1e-6 && sf >= rate * (1 - 1e-5)) {
                gf__pf_result_add_binding(r, GF_PF_BIND_SF, (size_t)n->br_row[k], sf * base,
                                          rate * base, br->mu_sf);
                flow_binding = true;
            }
            if (br->mu_st > 1e-6 && stt >= rate * (1 - 1e-5)) {
                gf__pf_result_add_binding(r, GF_PF_BIND_ST, (size_t)n->br_row[k], stt * base,
                                          rate * base, br->mu_st);
                flow_binding = true;
            }
        }
    }
    for (int a = 0; a < o.nang; a++) {
        int k = o.angbr[a];
        double d = gv[o.cang + a], mu = lam[o.cang + a];
        if (mu > 1e-6 && d >= n->angmax[k] - 1e-6)
            gf__pf_result_add_binding(r, GF_PF_BIND_ANG_MAX, (size_t)n->br_row[k],
                                      d * 180 / M_PI, n->angmax[k] * 180 / M_PI, mu * M_PI / 180);
        if (mu < -1e-6 && d <= n->angmin[k] + 1e-6)
            gf__pf_result_add_binding(r, GF_PF_BIND_ANG_MIN, (size_t)n->br_row[k],
                                      d * 180 / M_PI, n->angmin[k] * 180 / M_PI,
                                      -mu * M_PI / 180);
    }
    /* LMP split: energy = reference-bus price. DC is lossless, so the rest is congestion.
     * AC: without binding flow limits the rest is the loss component; otherwise the split of
     * the rest between losses and congestion is not computed (NaN -> null in JSON). */
    for (int i = 0; i < nb; i++) {
        gf_pf_bus_res_t *b = &r->bus[n->bus_row[i]];
        double rest = b->lmp - b->lmp_energy;
        if (dc) {
            b->lmp_congestion = rest;
            b->lmp_loss = 0;
        } else if (!flow_binding) {
            b->lmp_congestion = 0;
            b->lmp_loss = rest;
        } else {
            b->lmp_congestion = NAN;
            b->lmp_loss = NAN;
        }
    }
    free(vm);
    free(qg);
    /* keep the primal-dual point for warm starts */
    r->_nx = o.nx;
    r->_ng = o.m_all;
    r->_x = x;
    r->_zl = zl;
    r->_zu = zu;
    r->_lam = lam_all;
    x = zl = zu = lam_all = NULL;
    r->screen_rounds = keep != NULL || rounds > 1 ? rounds : 0;
    r->limits_enforced = o.nrated + o.nang;
    r->limits_total = o.nrated_all + o.nang_all;
    r->time_s = gf_now_mono() - t0;
    if (src != 0) {
        rc = gf_err_set(err, src, code, "%s OPF: Ipopt returned status %d (%s) after %d "
                        "iterations", dc ? "DC" : "AC", (int)st, code, o.iters);
    }
    *out = r;
    r = NULL;
out:
    if (nlp != NULL)
        FreeIpoptProblem(nlp);
    if (locked)
        pthread_mutex_unlock(&ipopt_lock);
    gf_pf_result_free(r);
    gf_pf_result_free(pfr);
    free(xl);
    free(xu);
    free(gl);
    free(gu);
    free(x);
    free(gv);
    free(lam);
    free(zl);
    free(zu);
    free(lam_all);
    free(rowmap);
    free(keep);
    opf_cleanup(&o);
    gf_pf_net_free(n);
    return rc;
}

int gf_pf_solve_acopf(const gf_pf_case_t *c, const gf_pf_opts_t *o, gf_pf_result_t **out,
                      gf_err_t *err)
{
    return solve_opf(c, o, false, out, err);
}

int gf_pf_solve_dcopf(const gf_pf_case_t *c, const gf_pf_opts_t *o, gf_pf_result_t **out,
                      gf_err_t *err)
{
    return solve_opf(c, o, true, out, err);
}

/* ------------------------------------------------------------------ test hooks */

/* Evaluate the AC model at x for derivative checks (used by the unit tests through
 * powerflow/opf_debug.h): fills g, the Jacobian values and the Hessian values of
 * obj_factor*f + lambda^T g, with the structure arrays. Returns 0 or GF_E*. */
#include "powerflow/opf_debug.h"

struct gf_pf_opf_debug {
    gf_pf_net_t *n;
    opf_t o;
};

gf_pf_opf_debug_t *gf_pf_opf_debug_new(const gf_pf_case_t *c, bool dc, gf_err_t *err)
{
    gf_pf_net_t *n = gf_pf_net_new(c, NULL, err);
    if (n == NULL)
        return NULL;
    gf_pf_opf_debug_t *d = gf_xcalloc(1, sizeof *d);
    d->n = n;
    opf_setup(&d->o, n, dc, NULL);
    return d;
}

void gf_pf_opf_debug_free(gf_pf_opf_debug_t *d)
{
    if (d == NULL)
        return;
    opf_cleanup(&d->o);
    gf_pf_net_free(d->n);
    free(d);
}

void gf_pf_opf_debug_sizes(const gf_pf_opf_debug_t *d, int *nx, int *m, int *nnzj, int *nnzh)
{
    *nx = d->o.nx;
    *m = d->o.m;
    *nnzj = d->o.nnzj;
    *nnzh = d->o.nnzh;
}

int gf_pf_opf_debug_eval(gf_pf_opf_debug_t *d, const double *x, double obj_factor,
                         const double *lambda, double *f, double *grad, double *g, int *jrow,
                         int *jcol, double *jval, int *hrow, int *hcol, double *hval)
{
    opf_t *o = &d->o;
    double *xx = (double *)x, *ll = (double *)lambda;
    bool ok = eval_f(o->nx, xx, TRUE, f, o) && eval_grad_f(o->nx, xx, FALSE, grad, o) &&
              eval_g(o->nx, xx, FALSE, o->m, g, o) &&
              eval_jac_g(o->nx, xx, FALSE, o->m, o->nnzj, jrow, jcol, NULL, o) &&
              eval_jac_g(o->nx, xx, FALSE, o->m, o->nnzj, NULL, NULL, jval, o) &&
              eval_h(o->nx, xx, FALSE, obj_factor, o->m, ll, TRUE, o->nnzh, hrow, hcol, NULL, o) &&
              eval_h(o->nx, xx, FALSE, obj_factor, o->m, ll, TRUE, o->nnzh, NULL, NULL, hval, o);
    return ok ? 0 : GF_EINVAL;
}
