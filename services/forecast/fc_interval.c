/*
 * fc_interval.c - residual-quantile prediction intervals (see fc_interval.h for the JSON
 * contract with the trainer).
 */
#include "fc_interval.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static fc_quantiles_t *fail_q(fc_quantiles_t *q, gf_err_t *err, const char *msg)
{
    fc_quantiles_free(q);
    gf_err_set(err, GF_EUNPROCESSABLE, "bad_residual_quantiles", "residual_quantiles: %s", msg);
    return NULL;
}

/* n rows of nl quantiles into out (row-major): finite numbers, non-decreasing, or a row
 * holding a null (all NaN: the trainer had no residuals there). NULL, or what is wrong. */
static const char *parse_rows(const json_t *rows, size_t n, size_t nl, float *out)
{
    for (size_t h = 0; h < n; h++) {
        json_t *row = json_array_get(rows, h);
        if (!json_is_array(row) || json_array_size(row) != nl)
            return "every row needs one value per level";
        int has_null = 0;
        for (size_t k = 0; k < nl; k++) {
            json_t *v = json_array_get(row, k);
            double d = json_number_value(v);
            if (json_is_null(v)) {
                has_null = 1;
                continue;
            }
            if (!json_is_number(v) || !isfinite(d) || fabs(d) > 1e30)
                return "quantiles must be finite numbers or null";
            out[h * nl + k] = (float)d;
            if (k > 0 && !has_null && out[h * nl + k] < out[h * nl + k - 1])
                return "each row must be non-decreasing";
        }
        if (has_null)
            for (size_t k = 0; k < nl; k++)
                out[h * nl + k] = NAN;
    }
    return NULL;
}

fc_quantiles_t *fc_quantiles_parse(const json_t *rq, gf_err_t *err)
{
    if (!json_is_object(rq))
        return fail_q(NULL, err, "must be an object");
    json_t *units = json_object_get(rq, "units");
    if (units != NULL &&
        !(json_is_string(units) && strcmp(json_string_value(units), "model_output") == 0))
        return fail_q(NULL, err, "units must be \"model_output\" when given");
    json_t *levels = json_object_get(rq, "levels"), *rows = json_object_get(rq, "by_horizon");
    size_t nl = json_array_size(levels), nh = json_array_size(rows);
    if (!json_is_array(levels) || nl < 1 || nl > FC_Q_MAX_LEVELS)
        return fail_q(NULL, err, "levels must be an array of 1..16 numbers");
    if (!json_is_array(rows) || nh < 1 || nh > FC_Q_MAX_HORIZON)
        return fail_q(NULL, err, "by_horizon must be an array of 1..8784 rows");
    fc_quantiles_t *q = gf_xcalloc(1, sizeof *q);
    q->nlevels = nl;
    q->nh = nh;
    q->q = gf_xmalloc(nh * nl * sizeof *q->q);
    for (size_t k = 0; k < nl; k++) {
        json_t *v = json_array_get(levels, k);
        double l = json_number_value(v);
        if (!json_is_number(v) || !(l > 0 && l < 1) || (k > 0 && !(l > q->levels[k - 1])))
            return fail_q(q, err, "levels must be strictly increasing numbers in (0,1)");
        q->levels[k] = l;
    }
    const char *msg = parse_rows(rows, nh, nl, q->q);
    if (msg != NULL)
        return fail_q(q, err, msg);
    json_t *rec = json_object_get(rq, "recursive_by_lead");
    if (rec != NULL) {
        size_t nr = json_array_size(rec);
        if (!json_is_array(rec) || nr < 1 || nh + nr > FC_Q_MAX_HORIZON)
            return fail_q(q, err,
                          "recursive_by_lead must be an array of 1..8784 - by_horizon rows");
        q->nrec = nr;
        q->rec = gf_xmalloc(nr * nl * sizeof *q->rec);
        if ((msg = parse_rows(rec, nr, nl, q->rec)) != NULL)
            return fail_q(q, err, msg);
    }
    return q;
}

static int from_text(const char *text, fc_quantiles_t **out, gf_err_t *err)
{
    if (text == NULL)
        return 0;
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    if (j == NULL)
        return gf_err_set(err, GF_EUNPROCESSABLE, "bad_residual_quantiles",
                          "model metrics/params are not JSON: %s", je.text);
    json_t *rq = json_object_get(j, "residual_quantiles");
    if (rq == NULL) /* the whole training result stored as metrics */
        rq = json_object_get(json_object_get(j, "metrics"), "residual_quantiles");
    int rc = 0;
    if (rq != NULL) {
        *out = fc_quantiles_parse(rq, err);
        if (*out == NULL)
            rc = GF_EUNPROCESSABLE;
    }
    json_decref(j);
    return rc;
}

int fc_quantiles_from_texts(const char *metrics_json, const char *params_json, fc_quantiles_t **out,
                            gf_err_t *err)
{
    *out = NULL;
    int rc = from_text(metrics_json, out, err);
    if (rc != 0 || *out != NULL)
        return rc;
    return from_text(params_json, out, err);
}

void fc_quantiles_free(fc_quantiles_t *q)
{
    if (q == NULL)
        return;
    free(q->q);
    free(q->rec);
    free(q);
}

int fc_quantiles_level_index(const fc_quantiles_t *q, double level)
{
    for (size_t k = 0; k < q->nlevels; k++)
        if (fabs(q->levels[k] - level) < 1e-9)
            return (int)k;
    return -1;
}

int fc_quantiles_apply(const fc_quantiles_t *q, const float *point, const int32_t *horizon,
                       size_t n, float *out, gf_err_t *err)
{
    for (size_t i = 0; i < n; i++)
        if (horizon[i] < 1)
            return gf_err_set(err, GF_EINVAL, "bad_horizon", "horizon %d of row %zu is < 1",
                              (int)horizon[i], i);
    size_t nl = q->nlevels;
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)horizon[i] > q->nh ? q->nh : (size_t)horizon[i];
        const float *row = q->q + (h - 1) * nl;
        for (size_t k = 0; k < nl; k++)
            out[i * nl + k] = point[i] + row[k];
    }
    return 0;
}
