/*
 * fuzz_forecast_model_json.c - libFuzzer target for fc_forest_parse, the reader of XGBoost's
 * JSON model that the forecast service runs on every model it loads (the bytes come from the
 * registry through XGBoost, but the parser must not trust them: index ranges, cycles, shapes).
 * On success, every check row and an all-zero row are predicted, which walks every tree.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/forecast/fc_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gf_err_t err = {0};
    fc_forest_t *f = fc_forest_parse((const char *)data, size, &err);
    if (f == NULL) {
        if (err.code[0] == '\0' || (err.rc != GF_EINVAL && err.rc != GF_EUNPROCESSABLE))
            abort();
        gf_err_cleanup(&err);
        return 0;
    }
    size_t nf = fc_forest_num_features(f);
    if (nf > 4096) { /* keep memory bounded; parse already succeeded */
        fc_forest_free(f);
        return 0;
    }
    enum { ROWS = 16 };
    float *x = malloc((ROWS + 1) * nf * sizeof *x), out[ROWS + 1];
    fc_forest_check_rows(f, ROWS, 1, x);
    memset(x + ROWS * nf, 0, nf * sizeof *x);
    fc_forest_predict(f, x, ROWS + 1, nf, out);
    free(x);
    fc_forest_free(f);
    return 0;
}
