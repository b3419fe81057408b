/*
 * fuzz_forecast_quantiles.c - libFuzzer target for fc_quantiles_from_texts, the reader of the
 * residual-quantile table (direct rows and the recursive leads) that the forecast service
 * takes from every model version's metrics text. On success the table must be well formed
 * (levels strictly increasing in (0,1), rows non-decreasing or all NaN) and is applied to a
 * few points at horizons inside and beyond it.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/forecast/fc_interval.h"

static void check_rows(const float *q, size_t n, size_t nl)
{
    for (size_t h = 0; h < n; h++) {
        const float *row = q + h * nl;
        if (isnan(row[0])) {
            for (size_t k = 0; k < nl; k++)
                if (!isnan(row[k]))
                    abort();
            continue;
        }
        for (size_t k = 1; k < nl; k++)
            if (!(row[k] >= row[k - 1]))
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    gf_err_t err = {0};
    fc_quantiles_t *q = NULL;
    int rc = fc_quantiles_from_texts(text, NULL, &q, &err);
    free(text);
    if (rc != 0) {
        if (q != NULL || rc != GF_EUNPROCESSABLE || strcmp(err.code, "bad_residual_quantiles"))
            abort();
        gf_err_cleanup(&err);
        return 0;
    }
    if (q == NULL)
        return 0;
    if (q->nlevels < 1 || q->nlevels > FC_Q_MAX_LEVELS || q->nh < 1 ||
        q->nh + q->nrec > FC_Q_MAX_HORIZON || (q->nrec > 0) != (q->rec != NULL))
        abort();
    for (size_t k = 0; k < q->nlevels; k++)
        if (!(q->levels[k] > 0 && q->levels[k] < 1) ||
            (k > 0 && !(q->levels[k] > q->levels[k - 1])))
            abort();
    check_rows(q->q, q->nh, q->nlevels);
    if (q->rec)
        check_rows(q->rec, q->nrec, q->nlevels);
    float pt[3] = {100, 0, -5}, out[3 * FC_Q_MAX_LEVELS];
    int32_t hz[3] = {1, (int32_t)q->nh, (int32_t)q->nh + 7};
    if (fc_quantiles_apply(q, pt, hz, 3, out, &err) != 0)
        abort();
    fc_quantiles_free(q);
    return 0;
}
