/*
 * fc_forecast.c - direct and recursive hourly forecasts (see fc_forecast.h).
 */
#include "fc_forecast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

int fc_forecast_run(const fc_model_t *m, const gf_feat_series_t *s, int64_t origin, int skip,
                    int horizon, fc_forecast_t *out, gf_err_t *err)
{
    const gf_feat_spec_t *spec = fc_model_feat_spec(m);
    if (spec == NULL)
        return gf_err_set(err, GF_EUNPROCESSABLE, "no_feature_spec",
                          "model %s@%lld has no libs/features spec: it serves /v1/predict only",
                          fc_model_name(m), (long long)fc_model_version(m));
    if (horizon < 1 || skip < 0 || skip + horizon > FC_FORECAST_MAX_H)
        return gf_err_set(err, GF_EINVAL, "bad_horizon", "horizon must be within 1..%d",
                          FC_FORECAST_MAX_H);
    if (origin % 3600 != 0)
        return gf_err_set(err, GF_EINVAL, "bad_origin", "the origin must be a whole UTC hour");
    const fc_quantiles_t *q = fc_model_quantiles(m);
    int D = q ? (int)q->nh : 24;
    if (D < 1)
        D = 1;
    if (D > FC_FORECAST_MAX_H)
        D = FC_FORECAST_MAX_H;
    int N = skip + horizon;
    size_t nc = gf_feat_spec_ncols(spec), nl = q ? q->nlevels : 0;

    memset(out, 0, sizeof *out);
    out->n = (size_t)horizon;
    out->nlevels = nl;
    out->direct_h = D;

    int rc = 0;
    size_t block = (size_t)(N < D ? N : D);
    double *xd = gf_xmalloc(block * nc * sizeof *xd);
    float *x = gf_xmalloc(block * nc * sizeof *x);
    float *pt = gf_xmalloc(block * sizeof *pt);
    float *bnd = gf_xmalloc((block * (nl ? nl : 1)) * sizeof *bnd);
    int32_t *hz = gf_xmalloc(block * sizeof *hz);

    /* Recursive blocks read a copy of the history whose hours from the origin on are filled
     * with the forecasts of the blocks before. */
    gf_feat_series_t w = {0};
    gf_feat_series_t known = gf_feat_series_until(s, origin);
    size_t base = 0;
    if (N > D) {
        if (known.n == 0 || known.t0 > origin) {
            rc = gf_err_set(err, GF_EUNPROCESSABLE, "insufficient_history",
                            "no history before the origin");
            goto out;
        }
        base = (size_t)((origin - known.t0) / 3600);
        if ((rc = gf_feat_series_alloc(&w, known.t0, base + (size_t)N, known.temp != NULL, err)) !=
            0)
            goto out;
        memcpy(w.demand, known.demand, known.n * sizeof *w.demand);
        if (known.temp)
            memcpy(w.temp, known.temp, known.n * sizeof *w.temp);
        /* later blocks read the forecasts known at the request's origin, not at theirs */
        w.tfc = s->tfc;
        w.tfc_asof = origin;
    }

    for (int c = 0; c * D < N; c++) {
        int64_t oc = origin + (int64_t)c * D * 3600;
        int hl = N - c * D < D ? N - c * D : D;
        double scale = NAN;
        rc = gf_feat_build(spec, c == 0 ? s : &w, oc, 1, hl, xd, &scale, err);
        if (rc != 0)
            goto out;
        for (size_t i = 0; i < (size_t)hl * nc; i++)
            x[i] = (float)xd[i];
        fc_model_predict(m, x, (size_t)hl, pt);
        if (nl) {
            for (int j = 0; j < hl; j++)
                hz[j] = j + 1;
            if ((rc = fc_model_intervals(m, x, pt, hz, (size_t)hl, bnd, err)) != 0)
                goto out;
        }
        double widen = sqrt((double)(c + 1));
        for (int j = 0; j < hl; j++) {
            /* a recursive lead with its own calibrated row, else the widened direct one */
            size_t lead = (size_t)(c * D + j + 1);
            const float *rrow = c > 0 && q && (size_t)D == q->nh && lead - q->nh <= q->nrec
                                    ? q->rec + (lead - q->nh - 1) * nl
                                    : NULL;
            int k = c * D + j;
            double mw = (double)pt[j] * scale;
            if (N > D)
                w.demand[base + (size_t)k] = mw;
            if (k < skip)
                continue;
            size_t i = (size_t)(k - skip);
            out->ts[i] = origin + 3600 * (int64_t)k;
            out->point[i] = mw;
            out->scale[i] = scale;
            out->recursive[i] = c > 0;
            for (size_t l = 0; l < nl; l++) {
                float b = bnd[(size_t)j * nl + l];
                if (rrow != NULL)
                    out->bound[i][l] = isnan(rrow[l]) ? NAN : mw + (double)rrow[l] * scale;
                else if (isnan(b))
                    out->bound[i][l] = NAN;
                else if (c == 0)
                    out->bound[i][l] = (double)b * scale;
                else
                    out->bound[i][l] = mw + ((double)b - (double)pt[j]) * scale * widen;
            }
        }
    }
out:
    gf_feat_series_cleanup(&w);
    free(xd);
    free(x);
    free(pt);
    free(bnd);
    free(hz);
    return rc;
}
