/*
 * fuzz_forecast_predict.c - libFuzzer target for the POST /v1/predict body parser
 * (fc_predict_parse) and its binding to a model's feature names (fc_predict_bind), exactly as
 * the forecast service calls them. Contract checked on every input: an error always carries a
 * GF_E* code and a snake_case code; a success gives >= 1 row, a model name the registry
 * accepts, and bound rows whose values are finite floats or NaN.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/forecast/fc_predict.h"

static const char *const NAMES[] = {"hour", "dow", "lag_24", "temp_last"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fc_predict_req_t req;
    gf_err_t err = {0};
    fc_predict_limits_t lim = {.max_rows = 2000, .max_cols = 64};
    int rc = fc_predict_parse((const char *)data, size, &lim, &req, &err);
    if (rc == 0) {
        if (req.nrows < 1 || req.nrows > lim.max_rows || !gf_reg_name_valid(req.model))
            abort();
        float *x = malloc(req.nrows * 4 * sizeof *x);
        rc = fc_predict_bind(&req, NAMES, 4, x, &err);
        if (rc == 0) {
            for (size_t i = 0; i < req.nrows * 4; i++)
                if (isinf(x[i]))
                    abort();
        } else if (rc != GF_EUNPROCESSABLE && rc != GF_EINVAL) {
            abort();
        }
        free(x);
    } else if (rc != GF_EINVAL && rc != GF_ETOOBIG) {
        abort();
    }
    if (rc != 0 && (err.rc != rc || err.code[0] == '\0'))
        abort();
    json_decref(gf_err_to_json(&err));
    gf_err_cleanup(&err);
    fc_predict_req_cleanup(&req);
    return 0;
}
