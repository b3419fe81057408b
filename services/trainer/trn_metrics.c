/*
 * trn_metrics.c - MAE, RMSE, MAPE, sMAPE, R^2 and empirical quantiles.
 */
#include "trn_metrics.h"

#include <math.h>
#include <stdlib.h>

void trn_metrics_compute(const double *actual, const double *pred, const unsigned char *skip,
                         size_t n, trn_metrics_t *out)
{
    double sae = 0, sse = 0, sape = 0, ssape = 0, sy = 0, syy = 0;
    size_t cnt = 0, cnt_pct = 0, cnt_s = 0;
    for (size_t i = 0; i < n; i++) {
        double a = actual[i], p = pred[i];
        if ((skip && skip[i]) || isnan(a) || isnan(p))
            continue;
        double e = a - p;
        sae += fabs(e);
        sse += e * e;
        sy += a;
        syy += a * a;
        cnt++;
        if (a != 0) {
            sape += fabs(e / a);
            cnt_pct++;
        }
        if (fabs(a) + fabs(p) > 0) {
            ssape += 2 * fabs(e) / (fabs(a) + fabs(p));
            cnt_s++;
        }
    }
    out->n = cnt;
    if (cnt == 0) {
        out->mae = out->rmse = out->mape = out->smape = out->r2 = NAN;
        return;
    }
    out->mae = sae / cnt;
    out->rmse = sqrt(sse / cnt);
    out->mape = cnt_pct ? 100.0 * sape / cnt_pct : NAN;
    out->smape = cnt_s ? 100.0 * ssape / cnt_s : NAN;
    double sst = syy - sy * sy / cnt;
    out->r2 = sst > 0 ? 1.0 - sse / sst : NAN;
}

static json_t *num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *trn_metrics_to_json(const trn_metrics_t *m)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:I}", "mae", num(m->mae), "rmse", num(m->rmse),
                     "mape", num(m->mape), "smape", num(m->smape), "r2", num(m->r2), "n",
                     (json_int_t)m->n);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double trn_quantile_sorted_inplace(double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    if (q <= 0)
        return v[0];
    if (q >= 1)
        return v[n - 1];
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)pos;
    double frac = pos - (double)lo;
    return lo + 1 < n ? v[lo] + frac * (v[lo + 1] - v[lo]) : v[lo];
}
