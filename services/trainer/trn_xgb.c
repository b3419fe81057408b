/*
 * trn_xgb.c - XGBoost C API wrapper for training (see trn_xgb.h for the thread notes).
 */
#include "trn_xgb.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

void trn_matrix_init(trn_matrix_t *m, size_t ncol)
{
    memset(m, 0, sizeof *m);
    m->ncol = ncol;
}

void trn_matrix_push(trn_matrix_t *m, const double *row, double y)
{
    if (m->nrow == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        float *nx = gf_xrealloc(m->x, cap * m->ncol * sizeof *nx);
        m->x = nx;
        float *ny = gf_xrealloc(m->y, cap * sizeof *ny);
        m->y = ny;
        m->cap = cap;
    }
    float *dst = m->x + m->nrow * m->ncol;
    for (size_t j = 0; j < m->ncol; j++)
        dst[j] = (float)row[j];
    m->y[m->nrow++] = (float)y;
}

void trn_matrix_push_w(trn_matrix_t *m, const double *row, double y, double w)
{
    size_t cap = m->cap;
    trn_matrix_push(m, row, y);
    if (m->w == NULL || m->cap != cap)
        m->w = gf_xrealloc(m->w, m->cap * sizeof *m->w);
    m->w[m->nrow - 1] = (float)w;
}

void trn_matrix_cleanup(trn_matrix_t *m)
{
    free(m->x);
    free(m->y);
    free(m->w);
    memset(m, 0, sizeof *m);
}

int trn_default_nthread(void)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    double load = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1)
            load = 0;
        fclose(f);
    }
    long freec = ncpu - lround(load);
    if (freec < 1)
        freec = 1;
    if (freec > ncpu)
        freec = ncpu;
    return (int)freec;
}

void trn_xgb_params_default(trn_xgb_params_t *p)
{
    p->max_depth = 6;
    p->eta = 0.05;
    p->min_child_weight = 5;
    p->subsample = 0.8;
    p->colsample_bytree = 0.8;
    p->lambda = 1;
    p->alpha = 0;
    p->gamma = 0;
    p->objective = "reg:squarederror";
    p->max_rounds = 2000;
    p->nthread = trn_default_nthread();
    p->seed = 1;
}

json_t *trn_xgb_params_to_json(const trn_xgb_params_t *p)
{
    return json_pack("{s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:s, s:i}", "max_depth",
                     p->max_depth, "eta", p->eta, "min_child_weight", p->min_child_weight,
                     "subsample", p->subsample, "colsample_bytree", p->colsample_bytree, "lambda",
                     p->lambda, "alpha", p->alpha, "gamma", p->gamma, "objective", p->objective,
                     "seed", p->seed);
}

static int set_params(BoosterHandle b, const trn_xgb_params_t *p, gf_err_t *err)
{
    int rc = 0;
    char v[64];
#define SETP(name, fmt, val)                                                                       \
    do {                                                                                           \
        snprintf(v, sizeof v, fmt, val);                                                           \
        GF_XGB_TRY(XGBoosterSetParam(b, name, v));                                                 \
    } while (0)
    SETP("booster", "%s", "gbtree");
    SETP("tree_method", "%s", "hist");
    SETP("objective", "%s", p->objective);
    SETP("eval_metric", "%s", "mae");
    SETP("max_depth", "%d", p->max_depth);
    SETP("eta", "%.17g", p->eta);
    SETP("min_child_weight", "%.17g", p->min_child_weight);
    SETP("subsample", "%.17g", p->subsample);
    SETP("colsample_bytree", "%.17g", p->colsample_bytree);
    SETP("lambda", "%.17g", p->lambda);
    SETP("alpha", "%.17g", p->alpha);
    SETP("gamma", "%.17g", p->gamma);
    SETP("nthread", "%d", p->nthread > 0 ? p->nthread : 1);
    SETP("seed", "%d", p->seed);
    SETP("verbosity", "%d", 0);
#undef SETP
    return 0;
fail:
    return rc;
}

static int make_dmatrix(const trn_matrix_t *m, DMatrixHandle *out, gf_err_t *err)
{
    int rc = 0;
    *out = NULL;
    GF_XGB_TRY(XGDMatrixCreateFromMat(m->x, m->nrow, m->ncol, NAN, out));
    GF_XGB_TRY(XGDMatrixSetFloatInfo(*out, "label", m->y, m->nrow));
    if (m->w != NULL)
        GF_XGB_TRY(XGDMatrixSetFloatInfo(*out, "weight", m->w, m->nrow));
    return 0;
fail:
    if (*out)
        XGDMatrixFree(*out);
    *out = NULL;
    return rc;
}

/* "[12]\tval-mae:0.0123" -> 0.0123 */
static double parse_eval(const char *s)
{
    const char *c = s ? strrchr(s, ':') : NULL;
    return c ? strtod(c + 1, NULL) : NAN;
}

int trn_xgb_fit(const trn_matrix_t *train, const trn_matrix_t *val, const trn_xgb_params_t *p,
                int patience, BoosterHandle *out, int *best_rounds, double *best_score,
                gf_err_t *err)
{
    return trn_xgb_fit_hook(train, val, p, patience, NULL, NULL, out, best_rounds, best_score, err);
}

int trn_xgb_fit_hook(const trn_matrix_t *train, const trn_matrix_t *val, const trn_xgb_params_t *p,
                     int patience, trn_round_fn hook, void *hook_arg, BoosterHandle *out,
                     int *best_rounds, double *best_score, gf_err_t *err)
{
    DMatrixHandle dtrain = NULL, dval = NULL;
    BoosterHandle b = NULL, sliced = NULL;
    int rc = GF_EINTERNAL;
    *out = NULL;
    if (train->nrow == 0)
        return gf_err_set(err, GF_EUNPROCESSABLE, "no_training_rows", "no training rows");
    if (make_dmatrix(train, &dtrain, err) != 0)
        goto fail;
    if (val && val->nrow > 0 && make_dmatrix(val, &dval, err) != 0)
        goto fail;
    GF_XGB_TRY(XGBoosterCreate(&dtrain, 1, &b));
    if (set_params(b, p, err) != 0)
        goto fail;
    int best = 0;
    double best_mae = INFINITY;
    for (int it = 0; it < p->max_rounds; it++) {
        GF_XGB_TRY(XGBoosterUpdateOneIter(b, it, dtrain));
        if (hook != NULL && hook(hook_arg, it + 1, p->max_rounds) != 0) {
            gf_err_set(err, GF_EUNAVAIL, "cancelled", "training was cancelled");
            rc = GF_EUNAVAIL;
            goto fail;
        }
        if (dval == NULL)
            continue;
        const char *res = NULL;
        const char *names[] = {"val"};
        GF_XGB_TRY(XGBoosterEvalOneIter(b, it, &dval, names, 1, &res));
        double mae = parse_eval(res);
        if (mae < best_mae) {
            best_mae = mae;
            best = it + 1;
        } else if (it + 1 - best >= patience) {
            break;
        }
    }
    if (dval == NULL) {
        best = p->max_rounds;
        best_mae = NAN;
    } else {
        GF_XGB_TRY(XGBoosterSlice(b, 0, best, 1, &sliced));
        XGBoosterFree(b);
        b = sliced;
        sliced = NULL;
    }
    if (best_rounds)
        *best_rounds = best;
    if (best_score)
        *best_score = best_mae;
    *out = b;
    b = NULL;
    rc = 0;
fail:
    if (sliced)
        XGBoosterFree(sliced);
    if (b)
        XGBoosterFree(b);
    if (dtrain)
        XGDMatrixFree(dtrain);
    if (dval)
        XGDMatrixFree(dval);
    return rc;
}

int trn_xgb_predict(BoosterHandle b, const float *x, size_t nrow, size_t ncol, double *out,
                    gf_err_t *err)
{
    DMatrixHandle d = NULL;
    int rc = GF_EINTERNAL;
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    GF_XGB_TRY(XGDMatrixCreateFromMat(x, nrow, ncol, NAN, &d));
    GF_XGB_TRY(XGBoosterPredictFromDMatrix(
        b, d,
        "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
        "\"strict_shape\":false}",
        &shape, &dim, &res));
    if (dim < 1 || shape[0] != nrow || (dim == 2 && shape[1] != 1) || dim > 2) {
        gf_err_set(err, GF_EINTERNAL, "xgboost_error", "unexpected prediction shape");
        goto fail;
    }
    for (size_t i = 0; i < nrow; i++)
        out[i] = res[i];
    rc = 0;
fail:
    if (d)
        XGDMatrixFree(d);
    return rc;
}

int trn_xgb_save(BoosterHandle b, const char *format, unsigned char **buf, size_t *len,
                 gf_err_t *err)
{
    char cfg[64];
    bst_ulong n = 0;
    const char *data = NULL;
    int rc = 0;
    *buf = NULL;
    *len = 0;
    if (strcmp(format, "ubj") != 0 && strcmp(format, "json") != 0)
        return gf_err_set(err, GF_EINVAL, "bad_model_format", "model format must be ubj or json");
    snprintf(cfg, sizeof cfg, "{\"format\":\"%s\"}", format);
    GF_XGB_TRY(XGBoosterSaveModelToBuffer(b, cfg, &n, &data));
    *buf = gf_xmalloc(n);
    memcpy(*buf, data, n);
    *len = n;
    return 0;
fail:
    return rc;
}

int trn_xgb_load(const unsigned char *buf, size_t len, BoosterHandle *out, gf_err_t *err)
{
    BoosterHandle b = NULL;
    int rc = 0;
    *out = NULL;
    GF_XGB_TRY(XGBoosterCreate(NULL, 0, &b));
    GF_XGB_TRY(XGBoosterLoadModelFromBuffer(b, buf, len));
    *out = b;
    return 0;
fail:
    if (b)
        XGBoosterFree(b);
    return rc;
}
