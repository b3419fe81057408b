/*
 * opf_screen.c - screening of the OPF's branch limits (used by opf.c through opf_internal.h).
 *
 * Screening of branch limits. The model starts with the limits of the branches that are
 * near them (in the warm-start point, or none on a cold start). After each solve the
 * left-out limits are checked; if any is violated, every left-out branch at or above
 * SCREEN_NEAR of a limit is added and the problem is solved again from the last point.
 * A solution that violates no left-out limit satisfies the full model's KKT conditions
 * with zero multipliers on those limits, so it is the full model's solution; an
 * infeasible relaxation proves the full model infeasible. Rarely binding limits (most of
 * them in real cases) then cost nothing: Ipopt's time here is MUMPS, whose cost grows
 * with the KKT size (measured in BENCHMARKS.md). After SCREEN_MAX_ROUNDS the full model is
 * solved.
 */
#include "opf_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define SCREEN_VIOL 1e-6

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

/* Marks left-out branches at or above `near` of a limit at x; returns how many left-out
 * limits are violated (above 1 + SCREEN_VIOL). With mark false only counts. */
int gf__opf_screen_scan(opf_t *o, const double *x, unsigned char *keep, double near, bool mark)
{
    gf__opf_update_cache(o, x);
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
void gf__opf_screen_start(const opf_t *o, unsigned char *keep)
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
