/*
 * fuzz_trainer_schedule.c - libFuzzer target for trn_sched_parse_put, the parser of the
 * trainer's PUT /v1/schedule/{region} body (after JSON parsing). Checks the contract on every
 * input: 0 with a document whose settings are in range and whose job options parse again, or
 * GF_EINVAL with a code set and nothing returned.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/trainer/trn_schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (body == NULL)
        return 0;
    trn_sched_defaults_t d = {.enabled = 1, .every_hours = 0, .after_days = 7};
    d.opts = (trn_job_opts_t){.test_days = 28,
                              .val_days = 56,
                              .search = 1,
                              .promote = 1,
                              .min_gain_pct = 1.0};
    json_t *out = NULL;
    gf_err_t err = {0};
    int rc = trn_sched_parse_put(body, NULL, "PJM", &d, 1700000000.0, &out, &err);
    if (rc == 0) {
        trn_sched_eff_t e;
        trn_sched_effective(out, &d, &e);
        trn_job_opts_t o;
        gf_err_t oe = {0};
        if (out == NULL || e.every_hours < 0 || e.every_hours > TRN_SCHED_MAX_EVERY_HOURS ||
            e.after_days < 0 || e.after_days > TRN_SCHED_MAX_AFTER_DAYS ||
            trn_sched_job_opts(out, &d, &o, &oe) != 0 || !o.scheduled ||
            !(o.min_gain_pct >= 0 && o.min_gain_pct <= 50))
            abort();
        gf_err_cleanup(&oe);
    } else if (rc != GF_EINVAL || err.code[0] == '\0' || out != NULL) {
        abort();
    }
    json_decref(out);
    gf_err_cleanup(&err);
    json_decref(body);
    return 0;
}
