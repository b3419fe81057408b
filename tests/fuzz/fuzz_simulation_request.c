/*
 * fuzz_simulation_request.c - the simulation routes' body parser (sim_request_parse) on
 * arbitrary JSON, for every route kind, then the row checks against a small case.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "powerflow/case.h"
#include "sim_request.h"

static const char case9[] =
    "function mpc = t\nmpc.version = '2';\nmpc.baseMVA = 100;\n"
    "mpc.bus = [1 3 0 0 0 0 1 1 0 345 1 1.1 0.9; 2 1 90 30 0 0 1 1 0 345 1 1.1 0.9];\n"
    "mpc.gen = [1 0 0 300 -300 1 100 1 250 10];\n"
    "mpc.branch = [1 2 0.01 0.085 0.176 250 250 250 0 0 1 -360 360];\n"
    "mpc.gencost = [2 1500 0 3 0.11 5 150];\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gf_pf_case_t *c;
    if (c == NULL) {
        gf_err_t e = {0};
        if (gf_pf_case_parse(case9, sizeof case9 - 1, &c, &e) != 0)
            abort();
    }
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (j == NULL)
        return 0;
    for (int k = SIM_PF; k <= SIM_SCHEDULE; k++) {
        sim_request_t q;
        gf_err_t e = {0};
        if (sim_request_parse(j, (sim_kind_t)k, &q, &e) == 0) {
            gf_err_t e2 = {0};
            (void)sim_request_check(&q, c, &e2);
            gf_err_cleanup(&e2);
        }
        sim_request_cleanup(&q);
        gf_err_cleanup(&e);
    }
    json_decref(j);
    return 0;
}
