/*
 * xgb.c - the shared XGBoost helpers (xgb/xgb.h).
 *
 * Notes on Debian's 1.7.4 that the code depends on:
 *   - XGBoosterPredictFromDense needs "cache_id":0 in its config JSON (undocumented; without
 *     it the call fails), and takes the data as an __array_interface__ JSON text carrying
 *     the pointer as an integer;
 *   - "missing":NaN is accepted by XGBoost's own JSON reader;
 *   - out_result points into thread-local scratch: copied before returning.
 */
#include "xgb/xgb.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *gf_xgb_last_error(void)
{
    const char *e = XGBGetLastError();
    return e && e[0] ? e : "(no message)";
}

int gf_xgb_wait_policy_passive(void)
{
    const char *p = getenv("OMP_WAIT_POLICY");
    return p != NULL && strcasecmp(p, "passive") == 0;
}

int gf_xgb_passive_reexec(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") != NULL)
        return 0;
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0)
        return -1;
    /* valgrind's preload is in LD_PRELOAD: a re-exec would run the program outside the tool
     * (no --trace-children), silently skipping the check. Stay. */
    const char *pre = getenv("LD_PRELOAD");
    if (pre != NULL && strstr(pre, "vgpreload") != NULL)
        return 1;
    /* the resolved path rather than /proc/self/exe itself, which under a tool names the tool */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    execv(self, argv);
    return -1;
}

int gf_xgb_predict_dense(BoosterHandle b, const float *x, size_t rows, size_t cols, float *out,
                         gf_err_t *err)
{
    int rc = 0;
    char arr[256];
    snprintf(arr, sizeof arr,
             "{\"data\":[%" PRIuPTR ",true],\"shape\":[%zu,%zu],\"typestr\":\"<f4\",\"version\":3}",
             (uintptr_t)x, rows, cols);
    static const char cfg[] = "{\"type\":0,\"training\":false,\"iteration_begin\":0,"
                              "\"iteration_end\":0,\"strict_shape\":false,\"missing\":NaN,"
                              "\"cache_id\":0}";
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    GF_XGB_TRY(XGBoosterPredictFromDense(b, arr, cfg, NULL, &shape, &dim, &res));
    /* Non-strict shape: (rows,) for one output per row. Anything else is not one score per row
     * (a multi-output model). */
    if (!((dim == 1 && shape[0] == rows) || (dim == 2 && shape[0] == rows && shape[1] == 1)))
        return gf_err_set(err, GF_EINTERNAL, "xgboost_shape",
                          "XGBoost predicted %" PRIu64 "-d output for %zu rows; "
                          "want one value per row",
                          (uint64_t)dim, rows);
    memcpy(out, res, rows * sizeof *out);
    return 0;
fail:
    return rc;
}
