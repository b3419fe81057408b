/*
 * splu.c - sparse LU for the Newton power-flow Jacobian.
 *
 * The power-flow Jacobian is structurally symmetric and, in the polar form, safe to factor
 * without pivoting on a symmetric fill-reducing order (the classic Tinney scheme used by
 * production power-flow codes). So: analyze = minimum-degree ordering on the symmetrised
 * pattern by explicit elimination (grids are sparse and fill stays small) and the filled
 * pattern of L+U; factor = row-by-row (up-looking) elimination into that fixed pattern;
 * solve = two triangular sweeps. A pivot that is zero or tiny relative to its row makes
 * factor fail (-1), which the caller reports as a singular Jacobian.
 *
 * Ownership: all arrays belong to the gf__splu_t; gf__splu_cleanup frees them.
 */
#include "pf_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

typedef struct iset {
    int *v;
    int n, cap;
} iset_t;

static void iset_add(iset_t *s, int x)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i] == x)
            return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->v = gf_xrealloc(s->v, (size_t)s->cap * sizeof *s->v);
    }
    s->v[s->n++] = x;
}

static void iset_del(iset_t *s, int x)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i] == x) {
            s->v[i] = s->v[--s->n];
            return;
        }
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void gf__splu_cleanup(gf__splu_t *lu)
{
    free(lu->perm);
    free(lu->iperm);
    free(lu->rp);
    free(lu->ci);
    free(lu->diag);
    free(lu->val);
    free(lu->amap);
    free(lu->work);
    memset(lu, 0, sizeof *lu);
}

int gf__splu_analyze(gf__splu_t *lu, int n, const int *rp, const int *ci)
{
    memset(lu, 0, sizeof *lu);
    lu->n = n;
    iset_t *adj = gf_xcalloc((size_t)n + 1, sizeof *adj);
    for (int i = 0; i < n; i++)
        for (int q = rp[i]; q < rp[i + 1]; q++)
            if (ci[q] != i) {
                iset_add(&adj[i], ci[q]);
                iset_add(&adj[ci[q]], i);
            }
    lu->perm = gf_xmalloc(((size_t)n + 1) * sizeof *lu->perm);
    lu->iperm = gf_xmalloc(((size_t)n + 1) * sizeof *lu->iperm);
    char *done = gf_xcalloc((size_t)n + 1, 1);
    iset_t *elim = gf_xcalloc((size_t)n + 1, sizeof *elim); /* neighbours at elimination */
    /* degree buckets would be faster; a linear scan is fine at grid sizes */
    for (int k = 0; k < n; k++) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (!done[i] && (best < 0 || adj[i].n < adj[best].n))
                best = i;
        int p = best;
        lu->perm[k] = p;
        lu->iperm[p] = k;
        done[p] = 1;
        iset_t *np = &adj[p];
        for (int a = 0; a < np->n; a++) {
            int u = np->v[a];
            iset_del(&adj[u], p);
            for (int b = 0; b < np->n; b++)
                if (b != a)
                    iset_add(&adj[u], np->v[b]);
        }
        elim[p] = *np; /* steal: the neighbour set is the L column / U row pattern */
        memset(np, 0, sizeof *np);
    }
    /* filled pattern in new numbering: row k = {k} + U(k) + {j : k in U(j)} */
    int *cnt = gf_xcalloc((size_t)n + 1, sizeof *cnt);
    for (int p = 0; p < n; p++) {
        cnt[lu->iperm[p]] += elim[p].n + 1;
        for (int a = 0; a < elim[p].n; a++)
            cnt[lu->iperm[elim[p].v[a]]]++;
    }
    lu->rp = gf_xmalloc(((size_t)n + 1) * sizeof *lu->rp);
    lu->rp[0] = 0;
    for (int k = 0; k < n; k++)
        lu->rp[k + 1] = lu->rp[k] + cnt[k];
    int nnz = lu->rp[n];
    lu->ci = gf_xmalloc(((size_t)nnz + 1) * sizeof *lu->ci);
    memset(cnt, 0, ((size_t)n + 1) * sizeof *cnt);
    for (int p = 0; p < n; p++) {
        int k = lu->iperm[p];
        lu->ci[lu->rp[k] + cnt[k]++] = k;
        for (int a = 0; a < elim[p].n; a++) {
            int m = lu->iperm[elim[p].v[a]];
            lu->ci[lu->rp[k] + cnt[k]++] = m;
            lu->ci[lu->rp[m] + cnt[m]++] = k;
        }
    }
    lu->diag = gf_xmalloc(((size_t)n + 1) * sizeof *lu->diag);
    for (int k = 0; k < n; k++) {
        qsort(lu->ci + lu->rp[k], (size_t)(lu->rp[k + 1] - lu->rp[k]), sizeof *lu->ci, cmp_int);
        for (int q = lu->rp[k]; q < lu->rp[k + 1]; q++)
            if (lu->ci[q] == k)
                lu->diag[k] = q;
    }
    lu->val = gf_xcalloc((size_t)nnz + 1, sizeof *lu->val);
    lu->work = gf_xcalloc((size_t)n + 1, sizeof *lu->work);
    /* map input entries to positions of the filled pattern */
    lu->annz = rp[n];
    lu->amap = gf_xmalloc(((size_t)lu->annz + 1) * sizeof *lu->amap);
    for (int i = 0; i < n; i++) {
        int k = lu->iperm[i];
        for (int q = rp[i]; q < rp[i + 1]; q++) {
            int m = lu->iperm[ci[q]];
            int lo = lu->rp[k], hi = lu->rp[k + 1];
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (lu->ci[mid] < m)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            lu->amap[q] = lo;
        }
    }
    for (int i = 0; i < n; i++) {
        free(adj[i].v);
        free(elim[i].v);
    }
    free(adj);
    free(elim);
    free(done);
    free(cnt);
    return 0;
}

int gf__splu_factor(gf__splu_t *lu, const double *aval)
{
    int n = lu->n;
    double *w = lu->work;
    memset(lu->val, 0, (size_t)lu->rp[n] * sizeof *lu->val);
    for (int q = 0; q < lu->annz; q++)
        lu->val[lu->amap[q]] += aval[q];
    for (int k = 0; k < n; k++) {
        int r0 = lu->rp[k], r1 = lu->rp[k + 1];
        double rowmax = 0;
        for (int q = r0; q < r1; q++) {
            w[lu->ci[q]] = lu->val[q];
            if (fabs(lu->val[q]) > rowmax)
                rowmax = fabs(lu->val[q]);
        }
        for (int q = r0; q < lu->diag[k]; q++) {
            int j = lu->ci[q];
            double l = w[j] / lu->val[lu->diag[j]];
            w[j] = l;
            if (l == 0)
                continue;
            for (int s = lu->diag[j] + 1; s < lu->rp[j + 1]; s++)
                w[lu->ci[s]] -= l * lu->val[s];
        }
        for (int q = r0; q < r1; q++) {
            lu->val[q] = w[lu->ci[q]];
            w[lu->ci[q]] = 0;
        }
        double piv = lu->val[lu->diag[k]];
        if (!isfinite(piv) || fabs(piv) <= 1e-13 * (rowmax > 0 ? rowmax : 1))
            return -1;
    }
    return 0;
}

void gf__splu_solve(gf__splu_t *lu, double *b)
{
    int n = lu->n;
    double *y = lu->work;
    for (int k = 0; k < n; k++)
        y[k] = b[lu->perm[k]];
    for (int k = 0; k < n; k++) { /* L y = Pb, unit diagonal */
        double s = y[k];
        for (int q = lu->rp[k]; q < lu->diag[k]; q++)
            s -= lu->val[q] * y[lu->ci[q]];
        y[k] = s;
    }
    for (int k = n - 1; k >= 0; k--) { /* U x = y */
        double s = y[k];
        for (int q = lu->diag[k] + 1; q < lu->rp[k + 1]; q++)
            s -= lu->val[q] * y[lu->ci[q]];
        y[k] = s / lu->val[lu->diag[k]];
    }
    for (int k = 0; k < n; k++) {
        b[lu->perm[k]] = y[k];
        y[k] = 0;
    }
}
