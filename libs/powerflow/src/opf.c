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
 * Branch limits are screened by default (opf_screen.c): the model holds the flow and
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
#include "opf_internal.h"

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

/* Coefficients (a, c, p, q) of Pf, Qf, Pt, Qt of branch k. */
static void flow_coef(const gf_pf_net_t *n, int k, double co[4][4])
{
    double v[4][4] = {{n->gff[k], 0, n->gft[k], n->bft[k]},
                      {-n->bff[k], 0, -n->bft[k], n->gft[k]},
                      {0, n->gtt[k], n->gtf[k], -n->btf[k]},
                      {0, -n->btt[k], -n->btf[k], -n->gtf[k]}};
    memcpy(co, v, sizeof v);
}

void gf__opf_update_cache(opf_t *o, const double *x)
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
    gf__opf_update_cache(o, x);
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
    gf__opf_update_cache(o, x);
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
    gf__opf_update_cache(o, x);
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

static Bool on_iter(Index alg_mod, Index iter, Number obj, Number inf_pr, Number inf_du, Number mu,
                    Number d_norm, Number reg, Number a_du, Number a_pr, Index ls, UserDataPtr ud)
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
                 o->jp_y, o->jq_y,  o->jp_g,  o->jq_g,    o->jsf,   o->jst,  o->jang,
                 o->jseg, o->hrow,  o->hcol,  o->hd,      o->hp,    o->hg,   o->bf,
                 o->bgr,  o->bcs,   o->xlast, o->rpos,    o->apos};
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

/* The arrays of one OPF call: the point and its bounds in the current model's layout, and the
 * constraint multipliers in the full model's (lam_all: the warm-start layout, whatever was
 * screened). */
typedef struct opf_point {
    double *xl, *xu, *x, *zl, *zu; /* per variable (the same in every screened model) */
    double *gl, *gu, *gv, *lam;    /* per row of the current model */
    int *rowmap;                   /* current row -> full-model row */
    double *lam_all;               /* per row of the full model */
} opf_point_t;

static void opf_point_free(opf_point_t *pt)
{
    free(pt->xl);
    free(pt->xu);
    free(pt->x);
    free(pt->zl);
    free(pt->zu);
    free(pt->gl);
    free(pt->gu);
    free(pt->gv);
    free(pt->lam);
    free(pt->rowmap);
    free(pt->lam_all);
    memset(pt, 0, sizeof *pt);
}

/* Set up o's model for n with its first screen: the limits near in the warm-start point, or
 * near in a DC flow of the merit-order dispatch (keep NULL: every limit). Fails GF_EINVAL
 * "bad_option" when the warm-start point does not fit the problem. */
static int opf_prepare(opf_t *o, const gf_pf_net_t *n, const gf_pf_opts_t *opts, bool dc,
                       unsigned char *keep, gf_err_t *err)
{
    const gf_pf_result_t *warm = opts->warm;
    opf_setup(o, n, dc, keep);
    if (warm != NULL && (warm->_nx != o->nx || warm->_ng != o->m_all || warm->_x == NULL))
        return gf_err_set(err, GF_EINVAL, "bad_option",
                          "warm start point does not match this problem (%d/%d variables, %d/%d "
                          "constraints)",
                          warm->_nx, o->nx, warm->_ng, o->m_all);
    if (keep != NULL) {
        if (warm != NULL)
            gf__opf_screen_scan(o, warm->_x, keep, SCREEN_NEAR, true);
        else
            gf__opf_screen_start(o, keep);
        opf_cleanup(o);
        opf_setup(o, n, dc, keep);
    }
    return 0;
}

/* The per-variable arrays, from the warm-start point when there is one. */
static void opf_point_init(opf_point_t *pt, const opf_t *o, const gf_pf_result_t *warm)
{
    XALLOC(pt->xl, o->nx);
    XALLOC(pt->xu, o->nx);
    XALLOC(pt->x, o->nx);
    XALLOC(pt->zl, o->nx);
    XALLOC(pt->zu, o->nx);
    XALLOC(pt->lam_all, o->m_all);
    if (warm != NULL) {
        memcpy(pt->x, warm->_x, (size_t)o->nx * sizeof *pt->x);
        memcpy(pt->zl, warm->_zl, (size_t)o->nx * sizeof *pt->x);
        memcpy(pt->zu, warm->_zu, (size_t)o->nx * sizeof *pt->x);
        memcpy(pt->lam_all, warm->_lam, (size_t)o->m_all * sizeof *pt->x);
    }
}

/* The bounds and starting point of solve number `round` of o's (possibly re-screened) model. */
static void opf_round_start(const opf_t *o, const gf_pf_opts_t *opts, const gf_pf_result_t *pfr,
                            opf_point_t *pt, bool start_warm, int round)
{
    free(pt->gl);
    free(pt->gu);
    free(pt->gv);
    free(pt->lam);
    free(pt->rowmap);
    XALLOC(pt->gl, o->m);
    XALLOC(pt->gu, o->m);
    XALLOC(pt->gv, o->m);
    XALLOC(pt->lam, o->m);
    XALLOC(pt->rowmap, o->m);
    opf_full_rows(o, pt->rowmap);
    /* round 1 starts from the caller's warm point or the chosen initial point; later
     * rounds from the last solution's primal point, with slacks and multipliers set by
     * Ipopt (a full primal-dual warm start from a point that violates the limits just
     * added took 2-3x the iterations on case1354 and case2869) */
    if (start_warm || round > 1) {
        double *x_keep = gf_xmalloc((size_t)o->nx * sizeof *pt->x);
        memcpy(x_keep, pt->x, (size_t)o->nx * sizeof *pt->x);
        opf_bounds(o, opts, pfr, pt->xl, pt->xu, pt->gl, pt->gu, pt->x);
        memcpy(pt->x, x_keep, (size_t)o->nx * sizeof *pt->x);
        free(x_keep);
        for (int i = 0; i < o->m; i++)
            pt->lam[i] = pt->lam_all[pt->rowmap[i]];
        if (!start_warm) {
            memset(pt->zl, 0, (size_t)o->nx * sizeof *pt->zl);
            memset(pt->zu, 0, (size_t)o->nx * sizeof *pt->zu);
        }
    } else {
        opf_bounds(o, opts, pfr, pt->xl, pt->xu, pt->gl, pt->gu, pt->x);
    }
}

/* One Ipopt solve of o's model from pt, under ipopt_lock, with `left` seconds of CPU and the
 * iterations that earlier solves used (iters_before) counted against max_iter. *st and *obj
 * get Ipopt's status and objective, o->iters its iteration count. 0, or GF_EINTERNAL when
 * Ipopt could not be set up. */
static int opf_ipopt(opf_t *o, const gf_pf_opts_t *opts, opf_point_t *pt, bool start_warm,
                     double left, int iters_before, enum ApplicationReturnStatus *st, double *obj,
                     gf_err_t *err)
{
    int rc = 0;
    bool dc = o->dc;
    pthread_mutex_lock(&ipopt_lock);
    IpoptProblem nlp = CreateIpoptProblem(o->nx, pt->xl, pt->xu, o->m, pt->gl, pt->gu, o->nnzj,
                                          o->nnzh, 0, eval_f, eval_g, eval_grad_f, eval_jac_g,
                                          eval_h);
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
    OPT_INT("max_iter", opts->max_iter - iters_before > 1 ? opts->max_iter - iters_before : 1);
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
    o->iters = 0;
    o->cache_ok = false;
    o->opts = opts;
    o->iters_before = iters_before;
    SCOTCH_randomReset(); /* MUMPS's ordering: the same for the same matrix (see above) */
    *st = IpoptSolve(nlp, pt->x, pt->gv, obj, pt->lam, pt->zl, pt->zu, o);
out:
    if (nlp != NULL)
        FreeIpoptProblem(nlp);
    pthread_mutex_unlock(&ipopt_lock);
    return rc;
}

/* Voltages, dispatch and flows of the solution into r (DC: lossless flows from the angles,
 * no reactive power). */
static void opf_result_flows(gf_pf_result_t *r, const gf_pf_case_t *c, const opf_t *o,
                             const opf_point_t *pt)
{
    const gf_pf_net_t *n = o->n;
    bool dc = o->dc;
    int nb = n->nb, ng = n->ng;
    double base = n->base;
    double *vm = gf_xmalloc((size_t)nb * sizeof *vm), *qg = gf_xcalloc((size_t)ng, sizeof *qg);
    for (int i = 0; i < nb; i++)
        vm[i] = dc ? 1.0 : pt->x[o->ovm + i];
    for (int g = 0; g < ng; g++)
        qg[g] = dc ? 0 : pt->x[o->oqg + g];
    if (dc) { /* lossless model: flows are +-b (Va_f - Va_t - shift), no reactive power */
        gf__pf_result_fill(r, n, vm, pt->x + o->ova, pt->x + o->opg, qg);
        r->losses_mw = 0;
        for (int k = 0; k < n->nl; k++) {
            gf_pf_branch_res_t *br = &r->branch[n->br_row[k]];
            double pf = n->bdc[k] *
                        (pt->x[o->ova + n->f[k]] - pt->x[o->ova + n->t[k]] - n->shift[k]);
            br->pf_mw = pf * base;
            br->pt_mw = -pf * base;
            br->qf_mvar = br->qt_mvar = br->pl_mw = br->ql_mvar = 0;
            double rate = c->branch[n->br_row[k]].rate_a;
            br->loading_percent = rate > 0 ? 100 * fabs(br->pf_mw) / rate : 0;
        }
        double mx = 0;
        for (int i = 0; i < o->m; i++)
            if (i < o->csf)
                mx = fmax(mx, fabs(pt->gv[i]) * base);
        r->max_mismatch = mx;
    } else {
        gf__pf_result_fill(r, n, vm, pt->x + o->ova, pt->x + o->opg, qg);
    }
    free(vm);
    free(qg);
}

/* Bus prices (LMP, reactive price, energy part) and binding voltage limits. */
static void opf_result_buses(gf_pf_result_t *r, const opf_t *o, const opf_point_t *pt)
{
    const gf_pf_net_t *n = o->n;
    double base = n->base;
    double lam_ref = pt->lam[o->cp + n->ref] / base;
    for (int i = 0; i < n->nb; i++) {
        gf_pf_bus_res_t *b = &r->bus[n->bus_row[i]];
        b->lmp = pt->lam[o->cp + i] / base;
        b->lam_q = o->dc ? 0 : pt->lam[o->cq + i] / base;
        b->lmp_energy = lam_ref;
        if (!o->dc) {
            double v = pt->x[o->ovm + i];
            if (v >= n->vmax[i] - 1e-6 && pt->zu[o->ovm + i] > 1e-6)
                gf__pf_result_add_binding(r, GF_PF_BIND_VM_MAX, (size_t)n->bus_row[i], v,
                                          n->vmax[i], pt->zu[o->ovm + i]);
            if (v <= n->vmin[i] + 1e-6 && pt->zl[o->ovm + i] > 1e-6)
                gf__pf_result_add_binding(r, GF_PF_BIND_VM_MIN, (size_t)n->bus_row[i], v,
                                          n->vmin[i], pt->zl[o->ovm + i]);
        }
    }
}

/* Generators at their limits and the binding ones. */
static void opf_result_gens(gf_pf_result_t *r, const opf_t *o, const opf_point_t *pt)
{
    const gf_pf_net_t *n = o->n;
    double base = n->base;
    for (int g = 0; g < n->ng; g++) {
        gf_pf_gen_res_t *gr = &r->gen[n->gen_row[g]];
        double p = pt->x[o->opg + g];
        gr->at_pmax = p >= n->pmax[g] - 1e-6;
        gr->at_pmin = p <= n->pmin[g] + 1e-6;
        if (gr->at_pmax && pt->zu[o->opg + g] > 1e-6)
            gf__pf_result_add_binding(r, GF_PF_BIND_PG_MAX, (size_t)n->gen_row[g], p * base,
                                      n->pmax[g] * base, pt->zu[o->opg + g] / base);
        if (gr->at_pmin && pt->zl[o->opg + g] > 1e-6)
            gf__pf_result_add_binding(r, GF_PF_BIND_PG_MIN, (size_t)n->gen_row[g], p * base,
                                      n->pmin[g] * base, pt->zl[o->opg + g] / base);
        if (!o->dc) {
            double q = pt->x[o->oqg + g];
            gr->at_qmax = q >= n->qmax[g] - 1e-6;
            gr->at_qmin = q <= n->qmin[g] + 1e-6;
            if (gr->at_qmax && pt->zu[o->oqg + g] > 1e-6)
                gf__pf_result_add_binding(r, GF_PF_BIND_QG_MAX, (size_t)n->gen_row[g], q * base,
                                          n->qmax[g] * base, pt->zu[o->oqg + g] / base);
            if (gr->at_qmin && pt->zl[o->oqg + g] > 1e-6)
                gf__pf_result_add_binding(r, GF_PF_BIND_QG_MIN, (size_t)n->gen_row[g], q * base,
                                          n->qmin[g] * base, pt->zl[o->oqg + g] / base);
        }
    }
}

/* Branch flow-limit prices and binding flow and angle limits (of the limits in the model: a
 * screened-out limit is not binding). Returns true when a flow limit binds. */
static bool opf_result_branches(gf_pf_result_t *r, const opf_t *o, const opf_point_t *pt)
{
    const gf_pf_net_t *n = o->n;
    double base = n->base;
    bool flow_binding = false;
    for (int rr = 0; rr < o->nrated; rr++) {
        int k = o->rated[rr];
        gf_pf_branch_res_t *br = &r->branch[n->br_row[k]];
        double rate = n->rate[k];
        if (o->dc) {
            double mu = pt->lam[o->csf + rr] / base; /* $/MWh per MW of limit, signed */
            br->mu_sf = mu > 0 ? mu : 0;
            br->mu_st = mu < 0 ? -mu : 0;
            double pf = pt->gv[o->csf + rr];
            if (fabs(mu) > 1e-6 && fabs(fabs(pf - n->bdc[k] * n->shift[k]) - rate) < 1e-6) {
                gf__pf_result_add_binding(r, mu > 0 ? GF_PF_BIND_SF : GF_PF_BIND_ST,
                                          (size_t)n->br_row[k], fabs(br->pf_mw), rate * base,
                                          fabs(mu));
                flow_binding = true;
            }
        } else {
            /* d cost / d rate (MVA) = lambda * 2 rate (p.u.) / base */
            br->mu_sf = pt->lam[o->csf + rr] * 2 * rate / base;
            br->mu_st = pt->lam[o->cst + rr] * 2 * rate / base;
            double sf = sqrt(fmax(pt->gv[o->csf + rr], 0));
            double stt = sqrt(fmax(pt->gv[o->cst + rr], 0));
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
    for (int a = 0; a < o->nang; a++) {
        int k = o->angbr[a];
        double d = pt->gv[o->cang + a], mu = pt->lam[o->cang + a];
        if (mu > 1e-6 && d >= n->angmax[k] - 1e-6)
            gf__pf_result_add_binding(r, GF_PF_BIND_ANG_MAX, (size_t)n->br_row[k], d * 180 / M_PI,
                                      n->angmax[k] * 180 / M_PI, mu * M_PI / 180);
        if (mu < -1e-6 && d <= n->angmin[k] + 1e-6)
            gf__pf_result_add_binding(r, GF_PF_BIND_ANG_MIN, (size_t)n->br_row[k], d * 180 / M_PI,
                                      n->angmin[k] * 180 / M_PI, -mu * M_PI / 180);
    }
    return flow_binding;
}

/* LMP split: energy = reference-bus price. DC is lossless, so the rest is congestion.
 * AC: without binding flow limits the rest is the loss component; otherwise the split of
 * the rest between losses and congestion is not computed (NaN -> null in JSON). */
static void opf_result_lmp_split(gf_pf_result_t *r, const opf_t *o, bool flow_binding)
{
    const gf_pf_net_t *n = o->n;
    for (int i = 0; i < n->nb; i++) {
        gf_pf_bus_res_t *b = &r->bus[n->bus_row[i]];
        double rest = b->lmp - b->lmp_energy;
        if (o->dc) {
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
}

/* Solve the OPF: the model with its first screen (opf_prepare), then solves until no
 * left-out limit is violated (opf_round_start, opf_ipopt, the screening check), then the
 * result (opf_result_*), which keeps the primal-dual point for warm starts. */
static int solve_opf(const gf_pf_case_t *c, const gf_pf_opts_t *opts, bool dc, gf_pf_result_t **out,
                     gf_err_t *err)
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
    gf_pf_result_t *pfr = NULL;
    unsigned char *keep = NULL;
    opf_point_t pt;
    memset(&pt, 0, sizeof pt);
    opf_t o;
    memset(&o, 0, sizeof o);
    gf_pf_net_t *n = gf_pf_net_new(c, opts, err);
    if (n == NULL)
        return err ? err->rc : GF_EINVAL;
    const gf_pf_result_t *warm = opts->warm;
    if (opts->screen_limits)
        keep = gf_xcalloc((size_t)n->nl + 1, 1);
    if ((rc = opf_prepare(&o, n, opts, dc, keep, err)) != 0)
        goto out;
    if (!dc && opts->init == GF_PF_INIT_PF && warm == NULL) {
        gf_err_t perr = {0};
        gf_pf_solve_pf(c, opts, &pfr, &perr); /* a non-converged flow still gives a start */
        gf_err_cleanup(&perr);
    }
    opf_point_init(&pt, &o, warm);

    /* solves: with screening, again with the limits near a violated one added */
    int iters = 0, rounds = 0;
    double obj = 0;
    enum ApplicationReturnStatus st = Internal_Error;
    for (;;) {
        rounds++;
        bool start_warm = warm != NULL && rounds == 1;
        opf_round_start(&o, opts, pfr, &pt, start_warm, rounds);
        double left = opts->max_cpu_time - (gf_now_mono() - t0);
        if ((rc = opf_ipopt(&o, opts, &pt, start_warm, left, iters, &st, &obj, err)) != 0)
            goto out;
        iters += o.iters;
        if (opts->print_level > 0)
            printf("screening: solve %d with %d of %d branch limits: %d iterations, Ipopt "
                   "status %d, objective %.6f\n",
                   rounds, o.nrated + o.nang, o.nrated_all + o.nang_all, o.iters, (int)st, obj);
        memset(pt.lam_all, 0, (size_t)o.m_all * sizeof *pt.lam_all);
        for (int i = 0; i < o.m; i++)
            pt.lam_all[pt.rowmap[i]] = pt.lam[i];
        int src0;
        gf_pf_ipopt_status_code((int)st, &src0);
        if (keep == NULL || src0 != 0)
            break; /* full model, or a failure (infeasible relaxation: infeasible model) */
        if (gf__opf_screen_scan(&o, pt.x, keep, 2, false) == 0)
            break; /* no left-out limit violated: the full model's solution */
        if (rounds >= SCREEN_MAX_ROUNDS) {
            free(keep);
            keep = NULL; /* last resort: every limit */
        } else {
            gf__opf_screen_scan(&o, pt.x, keep, SCREEN_NEAR, true);
        }
        opf_cleanup(&o);
        opf_setup(&o, n, dc, keep);
    }
    o.iters = iters;
    int src;
    const char *code = gf_pf_ipopt_status_code((int)st, &src);

    /* results */
    gf_pf_result_t *r = gf__pf_result_new(n, dc ? GF_PF_KIND_DCOPF : GF_PF_KIND_ACOPF);
    opf_result_flows(r, c, &o, &pt);
    r->objective = obj;
    r->iterations = o.iters;
    r->converged = src == 0;
    snprintf(r->status, sizeof r->status, "%s", code);
    opf_result_buses(r, &o, &pt);
    opf_result_gens(r, &o, &pt);
    opf_result_lmp_split(r, &o, opf_result_branches(r, &o, &pt));
    /* keep the primal-dual point for warm starts */
    r->_nx = o.nx;
    r->_ng = o.m_all;
    r->_x = pt.x;
    r->_zl = pt.zl;
    r->_zu = pt.zu;
    r->_lam = pt.lam_all;
    pt.x = pt.zl = pt.zu = pt.lam_all = NULL;
    r->screen_rounds = keep != NULL || rounds > 1 ? rounds : 0;
    r->limits_enforced = o.nrated + o.nang;
    r->limits_total = o.nrated_all + o.nang_all;
    r->time_s = gf_now_mono() - t0;
    if (src != 0) {
        rc = gf_err_set(err, src, code,
                        "%s OPF: Ipopt returned status %d (%s) after %d "
                        "iterations",
                        dc ? "DC" : "AC", (int)st, code, o.iters);
    }
    *out = r;
out:
    gf_pf_result_free(pfr);
    opf_point_free(&pt);
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
