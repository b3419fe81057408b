/* pf_test_util.h - shared helpers of the powerflow unit tests (header-only, static). */
#ifndef GF_PF_TEST_UTIL_H
#define GF_PF_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "powerflow/case.h"

/* Load services/simulation/cases/<file> under $GF_TEST_ROOT; fails the test on error. */
static gf_pf_case_t *load_case(const char *file)
{
    const char *root = getenv("GF_TEST_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/services/simulation/cases/%s", root ? root : ".", file);
    gf_pf_case_t *c = NULL;
    gf_err_t e = {0};
    if (gf_pf_case_load(path, &c, &e) != 0)
        fail_msg("%s: %s %s", path, e.code, e.message);
    gf_err_cleanup(&e);
    return c;
}

#endif
