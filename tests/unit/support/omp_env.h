/*
 * omp_env.h - for the tests of binaries that link XGBoost (header-only, test code; include it
 * as "../support/omp_env.h"): whether OMP_WAIT_POLICY=passive was in the environment the
 * process was exec'd with (/proc/self/environ), which is what libgomp reads at load time
 * (a later setenv() does not count). See gf_xgb_passive_reexec (xgb/xgb.h).
 */
#ifndef GF_TEST_OMP_ENV_H
#define GF_TEST_OMP_ENV_H

#include <stdio.h>
#include <string.h>

/* 1 when OMP_WAIT_POLICY=passive was in the exec-time environment, 0 when not, -1 when
 * /proc/self/environ cannot be read. */
static int gf_test_omp_passive_at_exec(void)
{
    FILE *f = fopen("/proc/self/environ", "rb");
    if (f == NULL)
        return -1;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    int found = 0;
    for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
        found |= strcmp(buf + i, "OMP_WAIT_POLICY=passive") == 0;
    return found;
}

#endif
