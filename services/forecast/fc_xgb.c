/*
 * fc_xgb.c - XGBoost 1.7 C API wrappers for the forecast model core (see fc_xgb.h).
 */
#include "fc_xgb.h"
#include "core/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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
