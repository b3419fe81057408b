/*
 * fuzz_ingestion_temp.c - arbitrary bytes as a POST /v1/temperature[/forecasts] body through
 * the parser the service uses (ing_temp_parse) and the write-command builder
 * (ing_temp_build, per region as the writer sends it). The first byte picks the kind
 * (observations or forecasts), the format (CSV or JSON), the hour label and whether a UTC
 * offset applies to stamps without a zone; the rest is the body.
 * Invariants: a refused body leaves no rows; otherwise accepted + rejected == rows seen; every
 * row is on a whole hour, in a known-syntax region, with a temperature in -90..70 degC that
 * is a multiple of 0.01; the kept rejections are all in the JSON list.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/ingestion/ing_temp.h"
#include "core/region.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    ing_temp_opts_t o;
    ing_temp_opts_default(&o);
    o.kind = sel & 1 ? ING_TEMP_FC : ING_TEMP_OBS;
    o.format = sel & 2 ? ING_TEMP_JSON : ING_TEMP_CSV;
    o.label = sel & 4 ? ING_HOUR_ENDING : ING_HOUR_BEGINNING;
    o.now = 1767225600; /* 2026-01-01 */
    o.max_rows = 1000;
    o.max_rejects_kept = 5;
    ing_tz_t tz;
    ing_tz_init_fixed(&tz, -5 * 3600);
    if (sel & 8)
        o.tz = &tz;
    ing_temp_batch_t b;
    ing_temp_batch_init(&b);
    gf_err_t err = {0};
    int rc = ing_temp_parse(&o, (const char *)data, size, &b, &err);
    if (rc != 0 && (b.n != 0 || err.code[0] == '\0'))
        abort();
    if (rc == 0) {
        if (b.n + b.rejected != b.rows_total)
            abort();
        for (size_t i = 0; i < b.n; i++) {
            const ing_temp_row_t *r = &b.rows[i];
            if (r->hour % 3600 != 0 || !(r->temp_c >= -90 && r->temp_c <= 70) ||
                fabs(r->temp_c * 100 - round(r->temp_c * 100)) > 1e-6 ||
                !gf_region_valid_n(r->region, strlen(r->region)) ||
                (o.kind == ING_TEMP_FC && r->issued > o.now + 300))
                abort();
            if (i > 0 && strcmp(b.rows[i - 1].region, r->region) > 0)
                abort(); /* sorted by region: one hash tag per write command */
        }
        json_t *rj = ing_temp_rejections_json(&b);
        size_t kept = b.rejected < o.max_rejects_kept ? b.rejected : o.max_rejects_kept;
        if (json_array_size(rj) != kept)
            abort();
        json_decref(rj);
        ing_cmd_t cmd;
        ing_cmd_init(&cmd);
        for (size_t i = 0; i < b.n;) {
            size_t j = i;
            while (j < b.n && j - i < ING_TEMP_CHUNK &&
                   strcmp(b.rows[j].region, b.rows[i].region) == 0)
                j++;
            ing_temp_build(o.kind, b.rows + i, j - i, &cmd);
            if (cmd.argc < 9)
                abort();
            i = j;
        }
        ing_cmd_cleanup(&cmd);
    }
    ing_temp_batch_cleanup(&b);
    gf_err_cleanup(&err);
    return 0;
}
