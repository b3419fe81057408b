/*
 * fc_xgb.c - XGBoost 1.7 C API wrappers for the forecast model core (see fc_xgb.h).
 *
 * Notes on Debian's 1.7.4 that the code depends on:
 *   - XGBoosterPredictFromDense needs "cache_id":0 in its config JSON (undocumented; without
 *     it the call fails), and takes the data as an __array_interface__ JSON text carrying
 *     the pointer as an integer;
 *   - "missing":NaN is accepted by XGBoost's own JSON reader;
 *   - out_result points into thread-local scratch: copied before returning.
 */
#include "fc_xgb.h"
#include "core/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *fc_xgb_last_error(void)
{
    const char *e = XGBGetLastError();
    return e && e[0] ? e : "(no message)";
}

int fc_xgb_wait_policy_passive(void)
{
    const char *p = getenv("OMP_WAIT_POLICY");
    return p != NULL && strcasecmp(p, "passive") == 0;
}

int fc_xgb_passive_reexec(int argc, char **argv)
{
    (void)argc;
    if (fc_xgb_wait_policy_passive())
        return 0;
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0)
        return -1;
    /* valgrind's preload is in LD_PRELOAD: a re-exec would run the program outside the tool
     * (no --trace-children), silently skipping the check. Stay; nthread=1 avoids spinning. */
    const char *pre = getenv("LD_PRELOAD");
    if (pre != NULL && strstr(pre, "vgpreload") != NULL)
        return 1;
    execv("/proc/self/exe", argv);
    return -1;
}

BoosterHandle fc_xgb_load(const void *bytes, size_t len, gf_err_t *err)
{
    int rc = 0;
    BoosterHandle b = NULL;
    GF_XGB_TRY(XGBoosterCreate(NULL, 0, &b));
    GF_XGB_TRY(XGBoosterSetParam(b, "nthread", FC_XGB_NTHREAD));
    GF_XGB_TRY(XGBoosterLoadModelFromBuffer(b, bytes, (bst_ulong)len));
    /* Loading resets the learner's configuration; pin the thread count again. */
    GF_XGB_TRY(XGBoosterSetParam(b, "nthread", FC_XGB_NTHREAD));
    return b;
fail:
    (void)rc;
    if (b != NULL)
        XGBoosterFree(b);
    return NULL;
}

int fc_xgb_dump_json(BoosterHandle b, char **out, size_t *out_len, gf_err_t *err)
{
    int rc = 0;
    bst_ulong n = 0;
    const char *p = NULL;
    *out = NULL;
    GF_XGB_TRY(XGBoosterSaveModelToBuffer(b, "{\"format\":\"json\"}", &n, &p));
    char *copy = gf_xmalloc((size_t)n + 1);
    memcpy(copy, p, (size_t)n);
    copy[n] = '\0';
    *out = copy;
    if (out_len)
        *out_len = (size_t)n;
    return 0;
fail:
    return rc;
}

int fc_xgb_num_features(BoosterHandle b, size_t *out, gf_err_t *err)
{
    int rc = 0;
    bst_ulong n = 0;
    GF_XGB_TRY(XGBoosterGetNumFeature(b, &n));
    *out = (size_t)n;
    return 0;
fail:
    return rc;
}

int fc_xgb_predict_dense(BoosterHandle b, const float *x, size_t rows, size_t cols, float *out,
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
    /* Non-strict shape: (rows,) for one output per row. Anything else is not a regressor. */
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
