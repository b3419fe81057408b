/*
 * xgb_train.h - train tiny XGBoost models through the C API for the forecast tests and the
 * benchmark (header-only, test code). Data are synthetic and deterministic, with NaNs.
 */
#ifndef FC_TEST_XGB_TRAIN_H
#define FC_TEST_XGB_TRAIN_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

/* Deterministic synthetic rows: x is rows x cols, about 10% NaN; y a nonlinear target. */
static void fc_test_data(size_t rows, size_t cols, uint64_t seed, float *x, float *y)
{
    uint64_t s = seed;
    for (size_t r = 0; r < rows; r++) {
        double acc = 0;
        for (size_t c = 0; c < cols; c++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (double)(s >> 11) / 9007199254740992.0;
            float v = (float)(u * 20.0 - 10.0);
            if ((s >> 5) % 10 == 0)
                v = NAN;
            x[r * cols + c] = v;
            if (!isnan(v))
                acc += (c % 2 ? sin(v) : 0.05 * v * v) * (double)(c + 1);
        }
        y[r] = (float)(acc + 100.0);
    }
}

/* Train `rounds` rounds; bytes of the saved model (format "json" or "ubj") go to *out, a
 * malloc'd copy. Returns 0, or -1 with a message on stderr. objective e.g. "reg:squarederror";
 * for binary:logistic the labels are thresholded at their median-ish value 100. */
static int fc_test_train(const float *x, const float *y, size_t rows, size_t cols,
                         const char *objective, int rounds, const char *format, char **out,
                         size_t *out_len)
{
    DMatrixHandle d = NULL;
    BoosterHandle b = NULL;
    float *lab = malloc(rows * sizeof *lab);
    int rc = -1;
    for (size_t i = 0; i < rows; i++) {
        lab[i] = y[i];
        if (strstr(objective, "logistic"))
            lab[i] = y[i] > 100.0f ? 1.0f : 0.0f;
        else if (strstr(objective, "poisson") || strstr(objective, "gamma"))
            lab[i] = y[i] > 0 ? y[i] / 10.0f + 0.1f : 0.1f;
        else if (strstr(objective, "huber")) /* residuals of order 1, or no split pays */
            lab[i] = (y[i] - 100.0f) / 10.0f;
    }
    if (XGDMatrixCreateFromMat(x, rows, cols, NAN, &d) != 0 ||
        XGDMatrixSetFloatInfo(d, "label", lab, rows) != 0 || XGBoosterCreate(&d, 1, &b) != 0 ||
        XGBoosterSetParam(b, "objective", objective) != 0 ||
        XGBoosterSetParam(b, "max_depth", "5") != 0 || XGBoosterSetParam(b, "eta", "0.3") != 0 ||
        XGBoosterSetParam(b, "nthread", "1") != 0 ||
        XGBoosterSetParam(b, "tree_method", "hist") != 0) {
        fprintf(stderr, "xgb setup: %s\n", XGBGetLastError());
        goto out;
    }
    for (int i = 0; i < rounds; i++)
        if (XGBoosterUpdateOneIter(b, i, d) != 0) {
            fprintf(stderr, "xgb train: %s\n", XGBGetLastError());
            goto out;
        }
    char cfg[64];
    snprintf(cfg, sizeof cfg, "{\"format\":\"%s\"}", format);
    bst_ulong n = 0;
    const char *p = NULL;
    if (XGBoosterSaveModelToBuffer(b, cfg, &n, &p) != 0) {
        fprintf(stderr, "xgb save: %s\n", XGBGetLastError());
        goto out;
    }
    *out = malloc(n + 1);
    memcpy(*out, p, n);
    (*out)[n] = '\0';
    *out_len = n;
    rc = 0;
out:
    if (b)
        XGBoosterFree(b);
    if (d)
        XGDMatrixFree(d);
    free(lab);
    return rc;
}

/* {"features":["f0",...,"f<cols-1>"]} into buf. */
static const char *fc_test_spec(size_t cols, char *buf, size_t len)
{
    size_t o = (size_t)snprintf(buf, len, "{\"version\":1,\"features\":[");
    for (size_t c = 0; c < cols && o < len; c++)
        o += (size_t)snprintf(buf + o, len - o, "%s\"f%zu\"", c ? "," : "", c);
    if (o < len)
        snprintf(buf + o, len - o, "]}");
    return buf;
}

#endif
