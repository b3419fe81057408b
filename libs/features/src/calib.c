/*
 * calib.c - split-conformal residual quantiles by horizon (see features/calib.h).
 */
#include "features/calib.h"

#include <math.h>
#include <stdlib.h>

#include "core/util.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The conformal order statistic of sorted v[n] at level p (see the header). */
static double conformal_rank(const double *v, size_t n, double p)
{
    if (p == 0.5) {
        double pos = 0.5 * (double)(n - 1);
        size_t lo = (size_t)pos;
        return lo + 1 < n ? v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo]) : v[lo];
    }
    double r = p * (double)(n + 1);
    long k = p < 0.5 ? (long)floor(r + 1e-9) : (long)ceil(r - 1e-9);
    if (k < 1)
        k = 1;
    if (k > (long)n)
        k = (long)n;
    return v[k - 1];
}

size_t gf_feat_calib_quantiles(const double *res, const int *hz, size_t n, int H, int pool,
                               const double *levels, size_t nl, size_t min_n, double *out)
{
    if (H < 1)
        return 0;
    if (pool < 0)
        pool = 0;
    double *v = gf_xmalloc((n ? n : 1) * sizeof *v);
    size_t smallest = (size_t)-1;
    for (int h = 1; h <= H; h++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (hz[i] >= 1 && hz[i] <= H && abs(hz[i] - h) <= pool && !isnan(res[i]))
                v[m++] = res[i];
        if (m < smallest)
            smallest = m;
        double *row = out + (size_t)(h - 1) * nl;
        if (m == 0 || m < min_n) {
            for (size_t k = 0; k < nl; k++)
                row[k] = NAN;
            continue;
        }
        qsort(v, m, sizeof *v, cmp_double);
        for (size_t k = 0; k < nl; k++)
            row[k] = conformal_rank(v, m, levels[k]);
    }
    free(v);
    return smallest;
}

size_t gf_feat_calib_coverage(const double *q, int H, size_t nl, size_t lo_k, size_t hi_k,
                              const double *res, const int *hz, const double *scale, size_t n,
                              double *coverage, double *mean_width)
{
    size_t cnt = 0, in = 0;
    double width = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(res[i]) || hz[i] < 1 || hz[i] > H)
            continue;
        const double *row = q + (size_t)(hz[i] - 1) * nl;
        if (isnan(row[lo_k]) || isnan(row[hi_k]))
            continue;
        cnt++;
        in += res[i] >= row[lo_k] && res[i] <= row[hi_k];
        width += (row[hi_k] - row[lo_k]) * (scale ? scale[i] : 1.0);
    }
    *coverage = cnt ? (double)in / (double)cnt : NAN;
    *mean_width = cnt ? width / (double)cnt : NAN;
    return cnt;
}
