/*
 * fuzz_ingestion_openmeteo.c - arbitrary bytes as an Open-Meteo /v1/forecast response body
 * through the puller's parser (ing_wx_parse) and the forecast write-command builder.
 * Invariants: an error leaves the batch as it was; otherwise every row added is a whole hour
 * at or after from_hour, issued at the pull instant, with a temperature in -90..70 degC.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/ingestion/ing_wx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const int64_t issued = 1467331200, from = issued - 7200;
    ing_temp_batch_t b;
    ing_temp_batch_init(&b);
    gf_err_t err = {0};
    int rc = ing_wx_parse((const char *)data, size, "NYC", issued, from, &b, &err);
    if (rc != 0 && (b.n != 0 || err.code[0] == '\0'))
        abort();
    for (size_t i = 0; i < b.n; i++) {
        const ing_temp_row_t *r = &b.rows[i];
        if (r->hour % 3600 != 0 || r->hour < from || r->issued != issued ||
            !(r->temp_c >= -90 && r->temp_c <= 70) || strcmp(r->region, "NYC") != 0)
            abort();
    }
    if (rc == 0 && b.n > 0) {
        ing_cmd_t cmd;
        ing_cmd_init(&cmd);
        ing_temp_build(ING_TEMP_FC, b.rows, b.n, &cmd);
        ing_cmd_cleanup(&cmd);
    }
    ing_temp_batch_cleanup(&b);
    gf_err_cleanup(&err);
    return 0;
}
