/*
 * pf.c - AC power flow: Newton-Raphson in polar coordinates.
 *
 * Unknowns: the angle of every non-reference bus and the magnitude of every PQ bus
 * (interleaved per bus, so the Jacobian rows and columns follow the bus order). The
 * Jacobian pattern comes from Ybus and is analysed once per solve; each iteration refills
 * the values and refactors with the sparse LU in splu.c. With enforce_q_lims, generators
 * outside [Qmin, Qmax] after convergence pin their bus to the limit (PV -> PQ) and the flow
 * is solved again, as MATPOWER's runpf does.
 */
#include "pf_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"

typedef struct pfw {
    const gf_pf_net_t *n;
    int *type;    /* working bus types (Q limits change them) */
    double *qfix; /* p.u. Q generation pinned at PQ-converted buses */
    int *vt, *vv; /* bus -> unknown index of angle / magnitude, or -1 */
    int nx;
    int *jp, *jc, *jsrc; /* Jacobian CSR; jsrc = 4 * Ybus position + block */
    double *jv, *p, *q, *blk, *f, *dx;
    gf__splu_t lu;
    bool have_lu;
    const unsigned char *dead; /* N-1: buses cut off by the outage (held fixed), or NULL */
} pfw_t;

static void pfw_cleanup(pfw_t *w)
{
    free(w->type);
    free(w->qfix);
    free(w->vt);
    free(w->vv);
    free(w->jp);
    free(w->jc);
    free(w->jsrc);
    free(w->jv);
    free(w->p);
    free(w->q);
    free(w->blk);
    free(w->f);
    free(w->dx);
    if (w->have_lu)
        gf__splu_cleanup(&w->lu);
}

/* Number the unknowns and build the Jacobian pattern for the current bus types. */
static void pfw_structure(pfw_t *w)
{
    const gf_pf_net_t *n = w->n;
    int nb = n->nb, nx = 0;
    for (int i = 0; i < nb; i++) {
        w->vt[i] = w->type[i] != GF_PF_REF ? nx++ : -1;
        w->vv[i] = w->type[i] == GF_PF_PQ ? nx++ : -1;
    }
    w->nx = nx;
    free(w->jp);
    free(w->jc);
    free(w->jsrc);
    free(w->jv);
    free(w->f);
    free(w->dx);
    w->jp = gf_xcalloc((size_t)nx + 1, sizeof *w->jp);
    size_t cap = 4 * (size_t)n->yp[nb] + 1;
    w->jc = gf_xmalloc(cap * sizeof *w->jc);
    w->jsrc = gf_xmalloc(cap * sizeof *w->jsrc);
    int nz = 0, row = 0;
    for (int i = 0; i < nb; i++) {
        for (int e = 0; e < 2; e++) { /* e = 0: P equation, 1: Q equation */
            if ((e == 0 && w->vt[i] < 0) || (e == 1 && w->vv[i] < 0))
                continue;
            for (int q = n->yp[i]; q < n->yp[i + 1]; q++) {
                int j = n->yj[q];
                if (w->vt[j] >= 0) {
                    w->jc[nz] = w->vt[j];
                    w->jsrc[nz++] = 4 * q + 2 * e;
                }
                if (w->vv[j] >= 0) {
                    w->jc[nz] = w->vv[j];
                    w->jsrc[nz++] = 4 * q + 2 * e + 1;
                }
            }
            w->jp[++row] = nz;
        }
    }
    w->jv = gf_xmalloc(((size_t)nz + 1) * sizeof *w->jv);
    w->f = gf_xmalloc(((size_t)nx + 1) * sizeof *w->f);
    w->dx = gf_xmalloc(((size_t)nx + 1) * sizeof *w->dx);
    if (w->have_lu)
        gf__splu_cleanup(&w->lu);
    gf__splu_analyze(&w->lu, nx, w->jp, w->jc);
    w->have_lu = true;
}

/* Injections P, Q (p.u., network side incl. shunts) and, if jac, the four derivative blocks
 * per Ybus entry: blk[4q] = dP/dVa, +1 dP/dVm, +2 dQ/dVa, +3 dQ/dVm. */
static void injections(const gf_pf_net_t *n, const double *vm, const double *va, double *p,
                       double *q, double *blk)
{
    for (int i = 0; i < n->nb; i++) {
        double pi = 0, qi = 0;
        for (int e = n->yp[i]; e < n->yp[i + 1]; e++) {
            int j = n->yj[e];
            double d = va[i] - va[j], c = cos(d), s = sin(d);
            double G = n->yg[e], B = n->yb[e];
            double a = G * c + B * s, b = G * s - B * c;
            pi += vm[i] * vm[j] * a;
            qi += vm[i] * vm[j] * b;
            if (blk != NULL && j != i) {
                blk[4 * e] = vm[i] * vm[j] * b;
                blk[4 * e + 1] = vm[i] * a;
                blk[4 * e + 2] = -vm[i] * vm[j] * a;
                blk[4 * e + 3] = vm[i] * b;
            }
        }
        p[i] = pi;
        q[i] = qi;
        if (blk != NULL) {
            int e = n->ydiag[i];
            double G = n->yg[e], B = n->yb[e], v = vm[i];
            blk[4 * e] = -qi - B * v * v;
            blk[4 * e + 1] = pi / v + G * v;
            blk[4 * e + 2] = pi - G * v * v;
            blk[4 * e + 3] = qi / v - B * v;
        }
    }
}

/* Scheduled net injections (p.u.) at bus i. */
static double sched_p(const gf_pf_net_t *n, int i, const double *pg)
{
    double s = -n->pd[i];
    for (int q = n->gb_ptr[i]; q < n->gb_ptr[i + 1]; q++)
        s += pg[n->gb_idx[q]];
    return s;
}

/* Newton iterations at fixed bus types. Returns iterations used (>= 0) when converged,
 * -1 when not converged, -2 on a singular Jacobian. *mis = final max |mismatch|. */
static int newton(pfw_t *w, const gf_pf_opts_t *o, double *vm, double *va, const double *pg,
                  double *mis, int *iters)
{
    const gf_pf_net_t *n = w->n;
    for (int it = 0;; it++) {
        injections(n, vm, va, w->p, w->q, w->blk);
        double mx = 0;
        for (int i = 0; i < n->nb; i++) {
            bool dead = w->dead != NULL && w->dead[i];
            if (w->vt[i] >= 0) {
                w->f[w->vt[i]] = dead ? 0 : w->p[i] - sched_p(n, i, pg);
                mx = fmax(mx, fabs(w->f[w->vt[i]]));
            }
            if (w->vv[i] >= 0) {
                w->f[w->vv[i]] = dead ? 0 : w->q[i] - (w->qfix[i] - n->qd[i]);
                mx = fmax(mx, fabs(w->f[w->vv[i]]));
            }
        }
        *mis = mx;
        if (!isfinite(mx))
            return -1;
        if (mx < o->pf_tol)
            return 0;
        if (it >= o->pf_max_iter || *iters >= 10 * o->pf_max_iter)
            return -1;
        for (int z = 0; z < w->jp[w->nx]; z++)
            w->jv[z] = w->blk[w->jsrc[z]];
        if (w->dead != NULL) /* a cut-off bus keeps its state: identity rows */
            for (int i = 0; i < n->nb; i++) {
                if (!w->dead[i])
                    continue;
                int rows[2] = {w->vt[i], w->vv[i]};
                for (int e = 0; e < 2; e++)
                    if (rows[e] >= 0)
                        for (int z = w->jp[rows[e]]; z < w->jp[rows[e] + 1]; z++)
                            w->jv[z] = w->jc[z] == rows[e] ? 1.0 : 0.0;
            }
        if (gf__splu_factor(&w->lu, w->jv) != 0)
            return -2;
        for (int z = 0; z < w->nx; z++)
            w->dx[z] = -w->f[z];
        gf__splu_solve(&w->lu, w->dx);
        for (int i = 0; i < n->nb; i++) {
            if (w->vt[i] >= 0)
                va[i] += w->dx[w->vt[i]];
            if (w->vv[i] >= 0)
                vm[i] += w->dx[w->vv[i]];
        }
        (*iters)++;
    }
}

struct gf__pf_n1ctx {
    gf_pf_net_t *n;
    pfw_t w;              /* base bus types, numbering, Jacobian pattern, symbolic LU */
    double *vm, *va, *pg; /* base solution (internal index) */
};

static int solve_pf(const gf_pf_case_t *c, const gf_pf_opts_t *o, gf_pf_result_t **out,
                    gf_err_t *err, gf__pf_n1ctx_t **keep)
{
    *out = NULL;
    gf_pf_opts_t defaults;
    if (o == NULL) {
        gf_pf_opts_init(&defaults);
        o = &defaults;
    }
    double t0 = gf_now_mono();
    gf_pf_net_t *n = gf_pf_net_new(c, o, err);
    if (n == NULL)
        return err ? err->rc : GF_EINVAL;
    int nb = n->nb, ng = n->ng, rc = 0;
    pfw_t w;
    memset(&w, 0, sizeof w);
    w.n = n;
    w.type = gf_xmalloc((size_t)nb * sizeof *w.type);
    memcpy(w.type, n->type, (size_t)nb * sizeof *w.type);
    w.qfix = gf_xcalloc((size_t)nb, sizeof *w.qfix);
    w.vt = gf_xmalloc((size_t)nb * sizeof *w.vt);
    w.vv = gf_xmalloc((size_t)nb * sizeof *w.vv);
    w.p = gf_xmalloc((size_t)nb * sizeof *w.p);
    w.q = gf_xmalloc((size_t)nb * sizeof *w.q);
    w.blk = gf_xmalloc(4 * (size_t)n->yp[nb] * sizeof *w.blk);
    double *vm = gf_xmalloc((size_t)nb * sizeof *vm), *va = gf_xmalloc((size_t)nb * sizeof *va);
    double *pg = gf_xmalloc((size_t)ng * sizeof *pg), *qg = gf_xcalloc((size_t)ng, sizeof *qg);
    char *pinned = gf_xcalloc((size_t)ng + 1, 1);
    for (int g = 0; g < ng; g++)
        pg[g] = n->pg0[g];
    for (int i = 0; i < nb; i++) {
        vm[i] = o->flat_start ? 1.0 : n->vm0[i];
        va[i] = o->flat_start ? 0.0 : n->va0[i];
        if (!(vm[i] > 0.1))
            vm[i] = 1.0;
        if (w.type[i] != GF_PF_PQ) /* generator set-point (first gen at the bus) */
            vm[i] = c->gen[n->gen_row[n->gb_idx[n->gb_ptr[i]]]].vg;
        if (!(vm[i] > 0.1))
            vm[i] = 1.0;
    }
    for (int i = 0; i < nb; i++)
        if (w.type[i] != GF_PF_PQ) /* a PQ bus with gens takes their Qg as fixed injection */
            continue;
        else
            for (int q = n->gb_ptr[i]; q < n->gb_ptr[i + 1]; q++)
                w.qfix[i] += n->qg0[n->gb_idx[q]];

    int iters = 0, st = 0;
    double mis = 0;
    for (int round = 0; round < 20; round++) {
        pfw_structure(&w);
        st = newton(&w, o, vm, va, pg, &mis, &iters);
        if (st != 0 || !o->enforce_q_lims)
            break;
        /* Q at each PV bus = network Q + load; check the sum against its gens' range */
        bool changed = false;
        for (int i = 0; i < nb; i++) {
            if (w.type[i] != GF_PF_PV)
                continue;
            double qtot = w.q[i] + n->qd[i], qmax = 0, qmin = 0;
            for (int q = n->gb_ptr[i]; q < n->gb_ptr[i + 1]; q++) {
                qmax += n->qmax[n->gb_idx[q]];
                qmin += n->qmin[n->gb_idx[q]];
            }
            if (qtot > qmax + 1e-9 || qtot < qmin - 1e-9) {
                w.type[i] = GF_PF_PQ;
                w.qfix[i] = qtot > qmax ? qmax : qmin;
                for (int q = n->gb_ptr[i]; q < n->gb_ptr[i + 1]; q++)
                    pinned[n->gb_idx[q]] = qtot > qmax ? 1 : 2;
                changed = true;
            }
        }
        if (!changed)
            break;
    }

    /* generator outputs: slack P at the reference bus (first gen takes it), Q shared at
     * PV/REF buses in proportion to the gens' Q ranges (evenly when ranges are infinite) */
    injections(n, vm, va, w.p, w.q, NULL);
    for (int i = 0; i < nb; i++) {
        int g0 = n->gb_ptr[i], g1 = n->gb_ptr[i + 1];
        if (g0 == g1)
            continue;
        if (i == n->ref) {
            double other = 0;
            for (int q = g0 + 1; q < g1; q++)
                other += pg[n->gb_idx[q]];
            pg[n->gb_idx[g0]] = w.p[i] + n->pd[i] - other;
        }
        double qtot = w.q[i] + n->qd[i];
        if (n->type[i] == GF_PF_PQ) { /* gens at a PQ bus keep their Qg */
            for (int q = g0; q < g1; q++)
                qg[n->gb_idx[q]] = n->qg0[n->gb_idx[q]];
            continue;
        }
        double range = 0, qmin = 0;
        bool finite = true;
        for (int q = g0; q < g1; q++) {
            int g = n->gb_idx[q];
            finite = finite && n->qmax[g] < GF__PF_INF && n->qmin[g] > -GF__PF_INF;
            range += n->qmax[g] - n->qmin[g];
            qmin += n->qmin[g];
        }
        for (int q = g0; q < g1; q++) {
            int g = n->gb_idx[q];
            if (finite && range > 1e-9)
                qg[g] = n->qmin[g] + (qtot - qmin) * (n->qmax[g] - n->qmin[g]) / range;
            else
                qg[g] = qtot / (g1 - g0);
        }
    }

    gf_pf_result_t *r = gf__pf_result_new(n, GF_PF_KIND_PF);
    gf__pf_result_fill(r, n, vm, va, pg, qg);
    r->iterations = iters;
    r->max_mismatch = mis * n->base;
    r->converged = st == 0;
    for (int g = 0; g < ng; g++) {
        gf_pf_gen_res_t *gr = &r->gen[n->gen_row[g]];
        gr->at_qmax = pinned[g] == 1 || (qg[g] >= n->qmax[g] - 1e-9);
        gr->at_qmin = pinned[g] == 2 || (qg[g] <= n->qmin[g] + 1e-9);
        gr->at_pmax = pg[g] >= n->pmax[g] - 1e-9;
        gr->at_pmin = pg[g] <= n->pmin[g] + 1e-9;
    }
    if (c->gencost != NULL || o->n_costs > 0) {
        double cost = 0;
        for (int g = 0; g < ng; g++)
            cost += gf__pf_cost(&n->cost[g], pg[g] * n->base, NULL, NULL);
        r->objective = cost;
    }
    if (st == 0) {
        snprintf(r->status, sizeof r->status, "converged");
    } else if (st == -2) {
        snprintf(r->status, sizeof r->status, "pf_singular_jacobian");
        rc = gf_err_set(err, GF_EUNPROCESSABLE, "pf_singular_jacobian",
                        "power flow Jacobian is singular after %d iterations", iters);
    } else {
        snprintf(r->status, sizeof r->status, "pf_not_converged");
        rc = gf_err_set(err, GF_EUNPROCESSABLE, "pf_not_converged",
                        "power flow did not converge in %d iterations (max mismatch %.3g MVA)",
                        iters, mis * n->base);
    }
    r->time_s = gf_now_mono() - t0;
    *out = r;
    if (keep != NULL && st == 0 && !o->enforce_q_lims) {
        gf__pf_n1ctx_t *x = gf_xcalloc(1, sizeof *x);
        x->n = n;
        x->w = w;
        x->vm = vm;
        x->va = va;
        x->pg = pg;
        *keep = x;
        free(qg);
        free(pinned);
        return rc;
    }
    free(vm);
    free(va);
    free(pg);
    free(qg);
    free(pinned);
    pfw_cleanup(&w);
    gf_pf_net_free(n);
    return rc;
}

int gf_pf_solve_pf(const gf_pf_case_t *c, const gf_pf_opts_t *o, gf_pf_result_t **out,
                   gf_err_t *err)
{
    return solve_pf(c, o, out, err, NULL);
}

int gf__pf_n1_prepare(const gf_pf_case_t *c, const gf_pf_opts_t *o, gf_pf_result_t **out,
                      gf__pf_n1ctx_t **ctx, gf_err_t *err)
{
    *ctx = NULL;
    return solve_pf(c, o, out, err, ctx);
}

const gf_pf_net_t *gf__pf_n1_net(const gf__pf_n1ctx_t *x)
{
    return x->n;
}

void gf__pf_n1_free(gf__pf_n1ctx_t *x)
{
    if (x == NULL)
        return;
    free(x->vm);
    free(x->va);
    free(x->pg);
    pfw_cleanup(&x->w);
    gf_pf_net_free(x->n);
    free(x);
}

/* Per-thread state of outage solves: a shallow copy of the base network whose Ybus values
 * are this thread's, and the Newton arrays; the pattern and symbolic LU are the base's. */
struct gf__pf_n1ws {
    gf_pf_net_t net;
    pfw_t w;
    double *vm, *va;
};

gf__pf_n1ws_t *gf__pf_n1ws_new(const gf__pf_n1ctx_t *x)
{
    const gf_pf_net_t *n = x->n;
    int nb = n->nb, nnz = n->yp[nb], nx = x->w.nx, jnz = x->w.jp[nx];
    gf__pf_n1ws_t *s = gf_xcalloc(1, sizeof *s);
    s->net = *n;
    s->net.yg = gf_xmalloc(((size_t)nnz + 1) * sizeof *s->net.yg);
    s->net.yb = gf_xmalloc(((size_t)nnz + 1) * sizeof *s->net.yb);
    s->w = x->w; /* borrowed: type, qfix, vt, vv, jp, jc, jsrc, lu pattern */
    s->w.n = &s->net;
    s->w.jv = gf_xmalloc(((size_t)jnz + 1) * sizeof *s->w.jv);
    s->w.p = gf_xmalloc(((size_t)nb + 1) * sizeof *s->w.p);
    s->w.q = gf_xmalloc(((size_t)nb + 1) * sizeof *s->w.q);
    s->w.blk = gf_xmalloc((4 * (size_t)nnz + 1) * sizeof *s->w.blk);
    s->w.f = gf_xmalloc(((size_t)nx + 1) * sizeof *s->w.f);
    s->w.dx = gf_xmalloc(((size_t)nx + 1) * sizeof *s->w.dx);
    s->w.lu.val = gf_xcalloc((size_t)x->w.lu.rp[nx] + 1, sizeof *s->w.lu.val);
    s->w.lu.work = gf_xcalloc((size_t)nx + 1, sizeof *s->w.lu.work);
    s->vm = gf_xmalloc(((size_t)nb + 1) * sizeof *s->vm);
    s->va = gf_xmalloc(((size_t)nb + 1) * sizeof *s->va);
    return s;
}

void gf__pf_n1ws_free(gf__pf_n1ws_t *s)
{
    if (s == NULL)
        return;
    free(s->net.yg);
    free(s->net.yb);
    free(s->w.jv);
    free(s->w.p);
    free(s->w.q);
    free(s->w.blk);
    free(s->w.f);
    free(s->w.dx);
    free(s->w.lu.val);
    free(s->w.lu.work);
    free(s->vm);
    free(s->va);
    free(s);
}

int gf__pf_n1_outage(const gf__pf_n1ctx_t *x, gf__pf_n1ws_t *s, int k, const unsigned char *dead,
                     const gf_pf_opts_t *o, const double **vm, const double **va, int *iters,
                     double *mis)
{
    const gf_pf_net_t *n = x->n;
    int nb = n->nb, nnz = n->yp[nb], f = n->f[k], t = n->t[k];
    memcpy(s->net.yg, n->yg, (size_t)nnz * sizeof *n->yg);
    memcpy(s->net.yb, n->yb, (size_t)nnz * sizeof *n->yb);
    s->net.yg[n->ydiag[f]] -= n->gff[k];
    s->net.yb[n->ydiag[f]] -= n->bff[k];
    s->net.yg[n->ydiag[t]] -= n->gtt[k];
    s->net.yb[n->ydiag[t]] -= n->btt[k];
    s->net.yg[n->pos_ft[k]] -= n->gft[k];
    s->net.yb[n->pos_ft[k]] -= n->bft[k];
    s->net.yg[n->pos_tf[k]] -= n->gtf[k];
    s->net.yb[n->pos_tf[k]] -= n->btf[k];
    memcpy(s->vm, x->vm, (size_t)nb * sizeof *s->vm);
    memcpy(s->va, x->va, (size_t)nb * sizeof *s->va);
    s->w.dead = dead;
    *iters = 0;
    int st = newton(&s->w, o, s->vm, s->va, x->pg, mis, iters);
    *vm = s->vm;
    *va = s->va;
    return st;
}
