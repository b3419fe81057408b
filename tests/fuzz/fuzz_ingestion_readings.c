/*
 * fuzz_ingestion_readings.c - arbitrary bytes as a POST /v1/readings body through exactly
 * what the service runs: ing_readings_parse, ing_validate_batch (against a small regions
 * table and a fixed clock), ing_batch_rejections_json and ing_store_build for every chunk
 * (the EVALSHA arguments). Invariants checked: a refused body leaves the batch empty; an
 * accepted reading has all its required fields and finite numbers in range.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/ingestion/ing_readings.h"
#include "../../services/ingestion/ing_store.h"
#include "../../services/ingestion/ing_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ing_regions_t regions;
    static int init;
    if (!init) {
        ing_regions_init(&regions);
        ing_regions_add(&regions, "PJM", "PJM", "America/New_York", NULL);
        ing_regions_add(&regions, "ERCO", "ERCOT", "America/Chicago", NULL);
        init = 1;
    }
    ing_batch_t b;
    ing_batch_init(&b, 5000);
    gf_err_t err = {0};
    int rc = ing_readings_parse(&b, (const char *)data, size, &err);
    if (rc != 0) {
        if (b.n != 0 || err.code[0] == '\0')
            abort();
    } else {
        ing_validate_cfg_t cfg;
        ing_validate_cfg_default(&cfg);
        cfg.regions = &regions;
        ing_validate_batch(&cfg, &b, 1767607200000LL);
        for (size_t i = 0; i < b.n; i++) {
            const ing_reading_t *r = &b.v[i];
            if (r->code != ING_R_OK)
                continue;
            int need = ING_HAS_METER | ING_HAS_TS | ING_HAS_REGION;
            if ((r->has & need) != need || !(r->has & (ING_HAS_KWH | ING_HAS_KW)))
                abort();
            if ((r->has & ING_HAS_KW) && !(r->kw >= 0 && r->kw <= cfg.max_kw))
                abort();
            if ((r->has & ING_HAS_KWH) && !(r->kwh >= 0 && r->kwh <= cfg.max_kwh))
                abort();
        }
        json_decref(ing_batch_rejections_json(&b, 50));
        ing_store_cfg_t scfg;
        ing_store_cfg_default(&scfg);
        scfg.script_sha = "0123456789012345678901234567890123456789";
        scfg.chunk = 64;
        ing_cmd_t cmd;
        ing_cmd_init(&cmd);
        ing_store_plan_t plan;
        ing_store_plan_init(&plan);
        size_t np = ing_store_plan(&scfg, &b, &plan), seen = 0;
        for (size_t i = 0; i < np; i++) {
            ing_store_build(&scfg, &b, &plan, i, &cmd);
            /* EVALSHA sha numkeys, 4 partition keys at least, 12 fixed arguments */
            if (cmd.argc < 19 || plan.parts[i].count > scfg.chunk)
                abort();
            seen += plan.parts[i].count;
        }
        if (seen != b.n)
            abort();
        ing_store_plan_cleanup(&plan);
        ing_cmd_cleanup(&cmd);
    }
    gf_err_cleanup(&err);
    ing_batch_cleanup(&b);
    return 0;
}
