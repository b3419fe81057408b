/*
 * fc-bench - figures for the forecast model core: prediction latency of the native evaluator
 * vs XGBoosterPredictFromDense (1 and 100 rows per call), and POST /v1/predict body parse
 * throughput (direct scanner vs a jansson tree of the same body).
 *
 *   build/bin/fc-bench [--features 40] [--trees 300] [--depth 6] [--rows 10000] [--runs 7]
 *
 * It trains a model on synthetic data with NaNs through the XGBoost C API (nthread=1),
 * loads it through fc_model_new (so the load-time equality check runs too) and prints one
 * line per figure: the median over --runs runs of the mean time per call, as wall-clock and
 * as this thread's CPU time (the machine is shared: CPU time is the steadier figure). Figures go to
 * tests/bench/results/forecast.md; they are not pass/fail.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xgboost/c_api.h>

#include "../fc_model.h"
#include "core/util.h"
#include "../fc_predict.h"
#include "../fc_xgb.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void data(size_t rows, size_t cols, uint64_t seed, float *x, float *y)
{
    uint64_t s = seed;
    for (size_t r = 0; r < rows; r++) {
        double acc = 0;
        for (size_t c = 0; c < cols; c++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            float v = (float)((double)(s >> 11) / 9007199254740992.0 * 20.0 - 10.0);
            if ((s >> 5) % 10 == 0)
                v = NAN;
            x[r * cols + c] = v;
            if (!isnan(v))
                acc += (c % 3 == 0 ? sin(v) : c % 3 == 1 ? 0.05 * v * v : 0.1 * v) / (1.0 + c);
        }
        y[r] = (float)(acc + 1.0);
    }
}

static char *train(const float *x, const float *y, size_t rows, size_t cols, int trees, int depth,
                   size_t *len)
{
    DMatrixHandle d = NULL;
    BoosterHandle b = NULL;
    char sdepth[16], *out = NULL;
    snprintf(sdepth, sizeof sdepth, "%d", depth);
    if (XGDMatrixCreateFromMat(x, rows, cols, NAN, &d) ||
        XGDMatrixSetFloatInfo(d, "label", y, rows) || XGBoosterCreate(&d, 1, &b) ||
        XGBoosterSetParam(b, "objective", "reg:squarederror") ||
        XGBoosterSetParam(b, "max_depth", sdepth) || XGBoosterSetParam(b, "eta", "0.1") ||
        XGBoosterSetParam(b, "nthread", "2") || XGBoosterSetParam(b, "tree_method", "hist"))
        goto out;
    for (int i = 0; i < trees; i++)
        if (XGBoosterUpdateOneIter(b, i, d))
            goto out;
    bst_ulong n;
    const char *p;
    if (XGBoosterSaveModelToBuffer(b, "{\"format\":\"ubj\"}", &n, &p))
        goto out;
    out = gf_xmalloc(n);
    memcpy(out, p, n);
    *len = n;
out:
    if (out == NULL)
        fprintf(stderr, "fc-bench: training failed: %s\n", XGBGetLastError());
    if (b)
        XGBoosterFree(b);
    if (d)
        XGDMatrixFree(d);
    return out;
}

static char *body(size_t rows, size_t cols, const float *x, int instances, size_t *len)
{
    size_t cap = rows * cols * 32 + cols * 16 + 256, o = 0;
    char *b = gf_xmalloc(cap);
    o += (size_t)snprintf(b + o, cap - o, "{\"model\":\"load:PJM\",");
    if (!instances) {
        o += (size_t)snprintf(b + o, cap - o, "\"columns\":[");
        for (size_t c = 0; c < cols; c++)
            o += (size_t)snprintf(b + o, cap - o, "%s\"f%zu\"", c ? "," : "", c);
        o += (size_t)snprintf(b + o, cap - o, "],\"rows\":[");
    } else {
        o += (size_t)snprintf(b + o, cap - o, "\"instances\":[");
    }
    for (size_t r = 0; r < rows; r++) {
        o += (size_t)snprintf(b + o, cap - o, "%s%c", r ? "," : "", instances ? '{' : '[');
        for (size_t c = 0; c < cols; c++) {
            float v = x[(r % 1000) * cols + c];
            if (instances)
                o += (size_t)snprintf(b + o, cap - o, "%s\"f%zu\":", c ? "," : "", c);
            else if (c)
                b[o++] = ',';
            if (isnan(v))
                o += (size_t)snprintf(b + o, cap - o, "null");
            else
                o += (size_t)snprintf(b + o, cap - o, "%.6g", (double)v);
        }
        o += (size_t)snprintf(b + o, cap - o, "%c", instances ? '}' : ']');
    }
    o += (size_t)snprintf(b + o, cap - o, "]}");
    *len = o;
    return b;
}

int main(int argc, char **argv)
{
    gf_xgb_passive_reexec(argv);
    size_t nfeat = 40, prows = 10000;
    int trees = 300, depth = 6, runs = 7;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--features") == 0)
            nfeat = (size_t)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--trees") == 0)
            trees = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--depth") == 0)
            depth = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rows") == 0)
            prows = (size_t)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: fc-bench [--features N] [--trees N] [--depth N] "
                            "[--rows N] [--runs N]\n");
            return 2;
        }
    }
    if (nfeat < 1 || nfeat > 1000 || trees < 1 || depth < 1 || runs < 1 || prows < 1 ||
        runs > 101) {
        fprintf(stderr, "fc-bench: bad arguments\n");
        return 2;
    }
    const size_t ntrain = 5000;
    float *x = gf_xmalloc(ntrain * nfeat * sizeof *x), *y = gf_xmalloc(ntrain * sizeof *y);
    data(ntrain, nfeat, 7, x, y);
    size_t mlen = 0;
    char *mbytes = train(x, y, ntrain, nfeat, trees, depth, &mlen);
    if (mbytes == NULL)
        return 1;
    char *spec = gf_xmalloc(nfeat * 16 + 64);
    size_t o = (size_t)sprintf(spec, "{\"features\":[");
    for (size_t c = 0; c < nfeat; c++)
        o += (size_t)sprintf(spec + o, "%s\"f%zu\"", c ? "," : "", c);
    sprintf(spec + o, "]}");

    gf_err_t err = {0};
    double t0 = now();
    fc_model_t *m = fc_model_new("load:PJM", 1, mbytes, mlen, spec, NULL, NULL, NULL, &err);
    double tload = now() - t0;
    if (m == NULL) {
        fprintf(stderr, "fc-bench: load failed: %s: %s\n", err.code, err.message);
        return 1;
    }
    BoosterHandle b = fc_xgb_load(mbytes, mlen, &err);
    if (b == NULL)
        return 1;
    printf("model: %zu features, %zu trees, %zu nodes, depth %d, model %zu bytes (ubj)\n", nfeat,
           fc_forest_num_trees(fc_model_forest(m)), fc_forest_num_nodes(fc_model_forest(m)), depth,
           mlen);
    printf("load + verify (XGBoost load, JSON dump, parse, %zu check rows): %.1f ms, max rel "
           "diff %.2g\n",
           fc_model_check_count(m), tload * 1e3, fc_model_check_max_rel(m));
    printf("OMP_WAIT_POLICY=%s, XGBoost nthread=%s\n", getenv("OMP_WAIT_POLICY"), FC_XGB_NTHREAD);

    static const size_t batch[] = {1, 100};
    float out[100], ref[100];
    double *v = gf_xmalloc((size_t)runs * sizeof *v), *vc = gf_xmalloc((size_t)runs * sizeof *vc),
           c0;
    for (size_t bi = 0; bi < 2; bi++) {
        size_t n = batch[bi];
        int iters = n == 1 ? 20000 : 500;
        for (int r = 0; r < runs; r++) {
            t0 = now();
            c0 = cpu();
            for (int i = 0; i < iters; i++)
                fc_model_predict(m, x + (size_t)(i % 40) * nfeat, n, out);
            v[r] = (now() - t0) / iters * 1e6;
            vc[r] = (cpu() - c0) / iters * 1e6;
        }
        double nat = median(v, runs), natc = median(vc, runs);
        iters = n == 1 ? 2000 : 200;
        for (int r = 0; r < runs; r++) {
            t0 = now();
            c0 = cpu();
            for (int i = 0; i < iters; i++)
                if (gf_xgb_predict_dense(b, x + (size_t)(i % 40) * nfeat, n, nfeat, ref, &err))
                    return 1;
            v[r] = (now() - t0) / iters * 1e6;
            vc[r] = (cpu() - c0) / iters * 1e6;
        }
        double xg = median(v, runs), xgc = median(vc, runs);
        fc_model_predict(m, x, n, out);
        gf_xgb_predict_dense(b, x, n, nfeat, ref, &err);
        int same = 1;
        for (size_t i = 0; i < n; i++)
            same &= out[i] == ref[i];
        printf("predict %3zu row%s: native %8.2f us/call (cpu %8.2f)   XGBoosterPredictFromDense "
               "%8.2f us/call (cpu %8.2f)   cpu ratio x%.1f, outputs %s\n",
               n, n == 1 ? " " : "s", nat, natc, xg, xgc, xgc / natc,
               same ? "bit-identical" : "differ");
    }

    for (int inst = 0; inst < 2; inst++) {
        size_t blen;
        char *bd = body(prows, nfeat, x, inst, &blen);
        float *xm = gf_xmalloc(prows * nfeat * sizeof *xm);
        for (int r = 0; r < runs; r++) {
            fc_predict_req_t req;
            t0 = now();
            c0 = cpu();
            if (fc_predict_parse(bd, blen, NULL, &req, &err) != 0 ||
                fc_predict_bind(&req, fc_model_feature_names(m), nfeat, xm, &err) != 0) {
                fprintf(stderr, "fc-bench: parse failed: %s %s\n", err.code, err.message);
                return 1;
            }
            v[r] = blen / (now() - t0) / 1e6;
            vc[r] = blen / (cpu() - c0) / 1e6;
            fc_predict_req_cleanup(&req);
        }
        double mbs = median(v, runs), mbsc = median(vc, runs);
        for (int r = 0; r < runs; r++) {
            json_error_t je;
            t0 = now();
            c0 = cpu();
            json_t *j = json_loadb(bd, blen, 0, &je);
            v[r] = blen / (now() - t0) / 1e6;
            vc[r] = blen / (cpu() - c0) / 1e6;
            json_decref(j);
        }
        double jmbs = median(v, runs), jmbsc = median(vc, runs);
        printf("parse %s body, %zu rows x %zu: %.2f MB, scanner+bind %.0f MB/s (cpu %.0f), "
               "jansson tree only %.0f MB/s (cpu %.0f)\n",
               inst ? "instances" : "compact  ", prows, nfeat, blen / 1e6, mbs, mbsc, jmbs, jmbsc);
        free(xm);
        free(bd);
    }
    free(v);
    free(vc);
    XGBoosterFree(b);
    fc_model_release(m);
    free(spec);
    free(mbytes);
    free(x);
    free(y);
    return 0;
}
