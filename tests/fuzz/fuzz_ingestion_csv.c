/*
 * fuzz_ingestion_csv.c - arbitrary bytes as a POST /v1/demand body through the streaming
 * importer the service uses (ing_demand_import_new/feed/finish) with the upsert command
 * builder (ing_demand_build) as flush callback. The first byte picks the format (CSV or
 * JSON), the kind (demand or flags), the hour label and a chunk size; the rest is fed in
 * those chunks (a CSV may be ','- or ';'-separated: the importer decides from the header).
 * Invariants: rows_ok + rows_rejected == rows_total; each flushed row is on a whole hour with
 * a finite demand in [0, ING_DEMAND_MAX_MW]; every rejection kept is in the JSON list (none
 * lost to text that JSON cannot carry).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/ingestion/ing_demand.h"

static int on_flush(void *ud, const ing_demand_row_t *rows, size_t n, gf_err_t *err)
{
    (void)err;
    ing_cmd_t *cmd = ud;
    for (size_t i = 0; i < n; i++)
        if (rows[i].hour % 3600 != 0 || !isfinite(rows[i].demand_mw) || rows[i].demand_mw < 0 ||
            rows[i].demand_mw > ING_DEMAND_MAX_MW)
            abort();
    const char **regions;
    size_t nr = ing_demand_regions_of(rows, n, &regions);
    for (size_t i = 0; i < nr; i++)
        ing_demand_build(rows[0].category[0] ? ING_IMPORT_FLAGS : ING_IMPORT_DEMAND, rows, n,
                         regions[i], NULL, cmd);
    free(regions);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    ing_demand_opts_t o;
    ing_demand_opts_default(&o);
    o.format = sel & 1 ? ING_FMT_JSON : ING_FMT_CSV;
    o.kind = sel & 2 ? ING_IMPORT_FLAGS : ING_IMPORT_DEMAND;
    o.label = sel & 4 ? ING_HOUR_ENDING : ING_HOUR_BEGINNING;
    o.chunk_rows = 3;
    o.max_rejects_kept = 4;
    size_t step = 1 + (sel >> 3);
    ing_cmd_t cmd;
    ing_cmd_init(&cmd);
    ing_demand_import_t *imp = ing_demand_import_new(&o, on_flush, &cmd);
    gf_err_t err = {0};
    int rc = 0;
    for (size_t i = 0; i < size && rc == 0; i += step)
        rc = ing_demand_import_feed(imp, (const char *)data + i, size - i < step ? size - i : step,
                                    &err);
    if (rc == 0)
        rc = ing_demand_import_finish(imp, &err);
    const ing_demand_stats_t *st = ing_demand_import_stats(imp);
    if (rc == 0 && st->rows_ok + st->rows_rejected != st->rows_total)
        abort();
    json_t *rj = ing_demand_import_rejections_json(imp);
    size_t kept = st->rows_rejected < o.max_rejects_kept ? st->rows_rejected : o.max_rejects_kept;
    if (rc == 0 && json_array_size(rj) != kept)
        abort();
    json_decref(rj);
    ing_demand_import_free(imp);
    ing_cmd_cleanup(&cmd);
    gf_err_cleanup(&err);
    return 0;
}
