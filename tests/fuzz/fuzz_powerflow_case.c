/*
 * fuzz_powerflow_case.c - libFuzzer target for the MATPOWER case parser
 * (gf_pf_case_parse, the function the simulation service calls on uploaded cases).
 * A parsed case is also duplicated and every bus looked up, so the index built by the
 * parser is exercised. Seeds: tests/fuzz/corpus/powerflow_case/; dictionary:
 * tests/fuzz/fuzz_powerflow_case.dict.
 */
#include <stddef.h>
#include <stdint.h>

#include "powerflow/case.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gf_pf_case_t *c = NULL;
    gf_err_t err = {0};
    int rc = gf_pf_case_parse((const char *)data, size, &c, &err);
    if (rc == 0) {
        gf_pf_case_t *d = gf_pf_case_dup(c);
        for (size_t i = 0; i < d->n_bus; i++)
            if (gf_pf_case_bus_index(d, d->bus[i].id) != (long)i)
                __builtin_trap();
        gf_pf_case_free(d);
        gf_pf_case_free(c);
    } else if (c != NULL || err.code[0] == '\0') {
        __builtin_trap();
    }
    gf_err_cleanup(&err);
    return 0;
}
