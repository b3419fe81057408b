/*
 * rerank.c - XGBoost ranking model: load, score, train (rerank.h).
 */
#include "rerank.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "util.h"
#include "xgb/xgb.h"

struct cmp_reranker {
    BoosterHandle b;
};

cmp_reranker_t *cmp_reranker_load(const char *path, gf_err_t *err)
{
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        gf_err_set(err, GF_ENOTFOUND, "rerank_model_missing", "cannot read %s", path);
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            buf = gf_xrealloc(buf, cap);
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    fclose(f);
    cmp_reranker_t *r = gf_xcalloc(1, sizeof *r);
    GF_XGB_TRY(XGBoosterCreate(NULL, 0, &r->b));
    GF_XGB_TRY(XGBoosterLoadModelFromBuffer(r->b, buf, (bst_ulong)n));
    GF_XGB_TRY(XGBoosterSetParam(r->b, "nthread", "1"));
    free(buf);
    return r;
fail:
    (void)rc;
    free(buf);
    cmp_reranker_free(r);
    return NULL;
}

void cmp_reranker_free(cmp_reranker_t *r)
{
    if (r == NULL)
        return;
    if (r->b)
        XGBoosterFree(r->b);
    free(r);
}

int cmp_reranker_score(const cmp_reranker_t *r, const float *x, size_t rows, float *out,
                       gf_err_t *err)
{
    if (rows == 0)
        return 0;
    return gf_xgb_predict_dense(r->b, x, rows, CMP_RR_NFEAT, out, err);
}

int cmp_reranker_train(const float *x, const float *y, size_t rows, const unsigned *groups,
                       size_t n_groups, int rounds, int depth, double eta, const char *path,
                       gf_err_t *err)
{
    int rc = 0;
    DMatrixHandle d = NULL;
    BoosterHandle b = NULL;
    char v[32];
    GF_XGB_TRY(XGDMatrixCreateFromMat(x, (bst_ulong)rows, CMP_RR_NFEAT, NAN, &d));
    GF_XGB_TRY(XGDMatrixSetFloatInfo(d, "label", y, (bst_ulong)rows));
    GF_XGB_TRY(XGDMatrixSetUIntInfo(d, "group", groups, (bst_ulong)n_groups));
    GF_XGB_TRY(XGBoosterCreate(&d, 1, &b));
    GF_XGB_TRY(XGBoosterSetParam(b, "objective", "rank:pairwise"));
    GF_XGB_TRY(XGBoosterSetParam(b, "eval_metric", "ndcg@5"));
    snprintf(v, sizeof v, "%d", depth);
    GF_XGB_TRY(XGBoosterSetParam(b, "max_depth", v));
    snprintf(v, sizeof v, "%g", eta);
    GF_XGB_TRY(XGBoosterSetParam(b, "eta", v));
    GF_XGB_TRY(XGBoosterSetParam(b, "min_child_weight", "1"));
    GF_XGB_TRY(XGBoosterSetParam(b, "subsample", "1"));
    GF_XGB_TRY(XGBoosterSetParam(b, "nthread", "1"));
    GF_XGB_TRY(XGBoosterSetParam(b, "seed", "7"));
    for (int i = 0; i < rounds; i++)
        GF_XGB_TRY(XGBoosterUpdateOneIter(b, i, d));
    GF_XGB_TRY(XGBoosterSaveModel(b, path));
fail:
    if (b)
        XGBoosterFree(b);
    if (d)
        XGDMatrixFree(d);
    return rc;
}
