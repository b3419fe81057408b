/*
 * fc-seed: a small, honest demand model for one region, straight from the Redis data, for
 * tests and demos of the forecast service (the trainer service does the real job: parameter
 * search, backtests, champion/challenger).
 *
 *   fc-seed train --region PJM [--train-to T] [--val-days 42] [--rounds 80] [--depth 6]
 *                 [--eta 0.1] [--seed 1] [--stride 24] [--no-promote]
 *       Rows: libs/features default spec (the trainer's), origins every --stride hours at
 *       00:00 UTC, horizons 1..24, label = demand / scale. The model is fitted on targets
 *       before val_start = train_to - val_days; residual quantiles by horizon (levels
 *       0.05 .. 0.95, model output units) come from the day-ahead forecasts of the validation
 *       days, so the intervals are out-of-sample (features/calib.h as the trainer: horizons
 *       pooled +-2 h, conformal ranks; no cross-fitted year, so one season only). Hours after
 * train_to are never read: they stay a held-back slice (default train_to = the region's last hour -
 * 28 days). Registers load:<R> (UBJSON, spec, metrics with residual_quantiles, params) and points
 *       "production" at it unless --no-promote. Prints {"name","version",...}.
 *   fc-seed alias --region PJM --version N [--alias production]
 *       Move an alias (published on gf:reg:events like any registry change).
 *   fc-seed rows --region PJM --start T --horizon H [--version N]
 *       The feature rows of horizons 1..H (H <= 24) from origin T for the production (or given)
 *       version, built by gf_feat_build from the Redis data: prints
 *       {"version":N,"body":{POST /v1/predict compact body},"scale":[...]}, so a test can check
 *       /v1/forecast against /v1/predict on rows the service did not build.
 *
 * Redis: GF_REDIS_CLUSTER (a Redis Cluster seed list) when set, else GF_REDIS_HOST (127.0.0.1)
 * and GF_REDIS_PORT (6379). Exit 0, 1 on failure, 2 on usage.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "core/redis.h"
#include "core/region.h"
#include "core/util.h"
#include "../fc_model.h"
#include "../fc_series.h"
#include "../fc_xgb.h"
#include "features/calib.h"
#include "features/features.h"
#include "registry/registry.h"

#define NQ 7
static const double levels[NQ] = {0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95};

typedef struct opts {
    const char *cmd, *region, *alias;
    int64_t train_to, start;
    int val_days, rounds, depth, seed, stride, promote, horizon;
    double eta;
    long version;
} opts_t;

static int usage(void)
{
    fprintf(stderr, "usage: fc-seed train|alias|rows --region R [options] (see the source head)\n");
    return 2;
}

static int parse_time(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end == '\0' && end != s) {
        *out = v;
        return 0;
    }
    double t;
    if (gf_time_parse(s, strlen(s), &t) != 0)
        return -1;
    *out = (int64_t)t;
    return 0;
}

static int die(const gf_err_t *err)
{
    fprintf(stderr, "fc-seed: %s: %s\n", err->code, err->message);
    return 1;
}

/* The region's time zone and stored first/last hour (gf:region:{R}, libs/features' reader). */
static int region_info(gf_rcluster_t *c, const char *region, char *tz, size_t len, int64_t *first,
                       int64_t *last, gf_err_t *err)
{
    gf_feat_demand_t d;
    int rc = gf_feat_demand_info(c, region, &d, err);
    if (rc != 0)
        return rc;
    if (!d.has_range || d.tz[0] == '\0')
        return gf_err_set(err, GF_ENOTFOUND, "unknown_region",
                          "region '%s' has no demand data or no time zone", region);
    snprintf(tz, len, "%s", d.tz);
    *first = d.first;
    *last = d.last;
    return 0;
}

/* ---------------------------------------------------------------- train */

static int cmd_train(gf_rcluster_t *c, const opts_t *o)
{
    gf_err_t e = {0}, *err = &e;
    int rc = 1;
    gf_feat_series_t s = {0};
    gf_feat_spec_t *spec = NULL;
    char *spec_json = NULL, *metrics = NULL, *params = NULL;
    float *x = NULL, *y = NULL;
    double *xd = NULL, *res = NULL;
    int *rhz = NULL;
    size_t nres = 0;
    DMatrixHandle d = NULL;
    BoosterHandle b = NULL;
    fc_model_t *m = NULL;
    unsigned char *bytes = NULL;
    char tz[64], name[80];
    int64_t first = 0, last = 0, v = 0;

    snprintf(name, sizeof name, "load:%s", o->region);
    if (region_info(c, o->region, tz, sizeof tz, &first, &last, err) != 0)
        goto fail;
    int64_t train_to = o->train_to ? o->train_to : (last + 3600) - 28 * 86400;
    train_to -= ((train_to % 86400) + 86400) % 86400;
    int64_t val_start = train_to - (int64_t)o->val_days * 86400;
    if (fc_series_load_sync(c, o->region, first - first % 3600, train_to, &s, err) != 0)
        goto fail;
    if ((spec = gf_feat_spec_new_default(tz, s.temp != NULL, err)) == NULL)
        goto fail;
    spec_json = gf_feat_spec_dumps(spec);
    size_t nc = gf_feat_spec_ncols(spec);
    int lookback = gf_feat_spec_lookback(spec, 24);
    int64_t o0 = first + (int64_t)lookback * 3600;
    o0 += (86400 - ((o0 % 86400) + 86400) % 86400) % 86400;
    size_t max_rows = (size_t)((val_start - o0) / 3600 / o->stride + 2) * 24;
    if (val_start - o0 < 14 * 86400) {
        gf_err_set(err, GF_EUNPROCESSABLE, "not_enough_data",
                   "need at least %d + 14 days of history before the validation period",
                   lookback / 24);
        goto fail;
    }
    x = gf_xmalloc(max_rows * nc * sizeof *x);
    y = gf_xmalloc(max_rows * sizeof *y);
    xd = gf_xmalloc(24 * nc * sizeof *xd);
    size_t n = 0;
    for (int64_t org = o0; org + 24 * 3600 <= val_start; org += (int64_t)o->stride * 3600) {
        double scale;
        gf_err_t e2 = {0};
        if (gf_feat_build(spec, &s, org, 1, 24, xd, &scale, &e2) != 0) {
            gf_err_cleanup(&e2);
            continue;
        }
        for (int h = 0; h < 24; h++) {
            long k = gf_feat_series_index(&s, org + 3600 * h);
            if (k < 0 || isnan(s.demand[k]) || !(scale > 0) || n >= max_rows)
                continue;
            for (size_t j = 0; j < nc; j++)
                x[n * nc + j] = (float)xd[(size_t)h * nc + j];
            y[n++] = (float)(s.demand[k] / scale);
        }
    }
    char buf[32];
    if (XGDMatrixCreateFromMat(x, n, nc, NAN, &d) != 0 ||
        XGDMatrixSetFloatInfo(d, "label", y, n) != 0 || XGBoosterCreate(&d, 1, &b) != 0 ||
        XGBoosterSetParam(b, "objective", "reg:squarederror") != 0 ||
        XGBoosterSetParam(b, "tree_method", "hist") != 0 ||
        XGBoosterSetParam(b, "nthread", "2") != 0) {
        gf_err_set(err, GF_EINTERNAL, "xgboost_error", "%s", XGBGetLastError());
        goto fail;
    }
    snprintf(buf, sizeof buf, "%d", o->depth);
    XGBoosterSetParam(b, "max_depth", buf);
    snprintf(buf, sizeof buf, "%g", o->eta);
    XGBoosterSetParam(b, "eta", buf);
    snprintf(buf, sizeof buf, "%d", o->seed);
    XGBoosterSetParam(b, "seed", buf);
    for (int i = 0; i < o->rounds; i++)
        if (XGBoosterUpdateOneIter(b, i, d) != 0) {
            gf_err_set(err, GF_EINTERNAL, "xgboost_error", "%s", XGBGetLastError());
            goto fail;
        }
    bst_ulong blen = 0;
    const char *bptr = NULL;
    if (XGBoosterSaveModelToBuffer(b, "{\"format\": \"ubj\"}", &blen, &bptr) != 0) {
        gf_err_set(err, GF_EINTERNAL, "xgboost_error", "%s", XGBGetLastError());
        goto fail;
    }
    bytes = gf_xmalloc(blen);
    memcpy(bytes, bptr, blen);

    /* Out-of-sample residuals: day-ahead forecasts of the validation days. */
    if ((m = fc_model_new(name, 0, bytes, blen, spec_json, NULL, NULL, NULL, err)) == NULL)
        goto fail;
    size_t ndays = (size_t)o->val_days;
    res = gf_xmalloc(ndays * 24 * sizeof *res);
    rhz = gf_xmalloc(ndays * 24 * sizeof *rhz);
    double abs_sum = 0;
    size_t abs_n = 0;
    float pt[24];
    float *xr = gf_xmalloc(24 * nc * sizeof *xr);
    for (int64_t org = val_start; org + 24 * 3600 <= train_to; org += 86400) {
        double scale;
        gf_err_t e2 = {0};
        if (gf_feat_build(spec, &s, org, 1, 24, xd, &scale, &e2) != 0) {
            gf_err_cleanup(&e2);
            continue;
        }
        for (size_t j = 0; j < 24 * nc; j++)
            xr[j] = (float)xd[j];
        fc_model_predict(m, xr, 24, pt);
        for (int h = 0; h < 24; h++) {
            long k = gf_feat_series_index(&s, org + 3600 * h);
            if (k < 0 || isnan(s.demand[k]) || nres >= ndays * 24)
                continue;
            rhz[nres] = h + 1;
            res[nres++] = s.demand[k] / scale - (double)pt[h];
            abs_sum += fabs(s.demand[k] - (double)pt[h] * scale);
            abs_n++;
        }
    }
    free(xr);
    /* the trainer's calibration (features/calib.h): horizons pooled +-2 h, conformal ranks */
    double q[24 * NQ];
    gf_feat_calib_quantiles(res, rhz, nres, 24, 2, levels, NQ, 20, q);
    json_t *byh = json_array();
    for (int h = 0; h < 24; h++) {
        json_t *row = json_array();
        for (int l = 0; l < NQ; l++)
            json_array_append_new(row,
                                  isnan(q[h * NQ + l]) ? json_null() : json_real(q[h * NQ + l]));
        json_array_append_new(byh, row);
    }
    json_t *lv = json_array();
    for (int l = 0; l < NQ; l++)
        json_array_append_new(lv, json_real(levels[l]));
    json_t *mj = json_pack("{s:{s:s,s:o,s:o},s:f,s:I,s:s}", "residual_quantiles", "units",
                           "model_output", "levels", lv, "by_horizon", byh, "val_mae_mw",
                           abs_n ? abs_sum / (double)abs_n : 0.0, "val_hours", (json_int_t)abs_n,
                           "seeded_by", "fc-seed");
    metrics = json_dumps(mj, JSON_COMPACT);
    json_decref(mj);
    json_t *pj = json_pack("{s:i,s:i,s:i,s:i,s:f,s:i,s:s}", "issue_hour_utc", 0, "horizon", 24,
                           "rounds", o->rounds, "max_depth", o->depth, "eta", o->eta, "stride_h",
                           o->stride, "objective", "reg:squarederror");
    params = json_dumps(pj, JSON_COMPACT);
    json_decref(pj);

    gf_reg_new_t in = {.blob = bytes,
                       .blob_len = blen,
                       .spec_json = spec_json,
                       .metrics_json = metrics,
                       .params_json = params,
                       .data_from = first,
                       .data_to = train_to - 3600,
                       .job = "fc-seed"};
    if (gf_reg_register(c, name, &in, &v, err) != 0)
        goto fail;
    if (o->promote &&
        gf_reg_alias_set(c, name, "production", v, -1, "fc-seed", "seed model", 0, NULL, err) != 0)
        goto fail;
    char t1[40];
    printf("{\"name\":\"%s\",\"version\":%lld,\"rows\":%zu,\"val_mae_mw\":%.3f,\"val_hours\":%zu,"
           "\"train_to\":\"%s\",\"promoted\":%s}\n",
           name, (long long)v, n, abs_n ? abs_sum / (double)abs_n : 0.0, abs_n,
           gf_time_format(train_to, t1, sizeof t1), o->promote ? "true" : "false");
    rc = 0;
fail:
    if (rc)
        die(err);
    gf_err_cleanup(err);
    free(res);
    free(rhz);
    fc_model_release(m);
    if (b)
        XGBoosterFree(b);
    if (d)
        XGDMatrixFree(d);
    free(bytes);
    free(x);
    free(y);
    free(xd);
    free(spec_json);
    free(metrics);
    free(params);
    gf_feat_spec_free(spec);
    gf_feat_series_cleanup(&s);
    return rc;
}

/* ---------------------------------------------------------------- alias, rows */

static int cmd_alias(gf_rcluster_t *c, const opts_t *o)
{
    gf_err_t err = {0};
    char name[80];
    snprintf(name, sizeof name, "load:%s", o->region);
    int64_t from = 0;
    if (gf_reg_alias_set(c, name, o->alias, o->version, -1, "fc-seed", "fc-seed alias", 1, &from,
                         &err) != 0)
        return die(&err);
    printf("{\"alias\":\"%s\",\"from\":%lld,\"to\":%ld}\n", o->alias, (long long)from, o->version);
    return 0;
}

static void print_float(const double v)
{
    float f = (float)v;
    if (isnan(f))
        fputs("null", stdout);
    else
        printf("%.9g", (double)f);
}

static int cmd_rows(gf_rcluster_t *c, const opts_t *o)
{
    gf_err_t err = {0};
    char name[80], ref[32];
    snprintf(name, sizeof name, "load:%s", o->region);
    if (o->version > 0)
        snprintf(ref, sizeof ref, "%ld", o->version);
    else
        snprintf(ref, sizeof ref, "production");
    gf_reg_version_t *v = NULL;
    if (gf_reg_version_load_ref(c, name, ref, 0, &v, &err) != 0)
        return die(&err);
    gf_feat_spec_t *spec = gf_feat_spec_loads(v->spec_json, strlen(v->spec_json), &err);
    if (spec == NULL) {
        gf_reg_version_free(v);
        return die(&err);
    }
    int lb = gf_feat_spec_lookback(spec, o->horizon);
    gf_feat_series_t s = {0};
    size_t nc = gf_feat_spec_ncols(spec);
    double *xd = gf_xmalloc((size_t)o->horizon * nc * sizeof *xd), scale = NAN;
    int rc = fc_series_load_sync(c, o->region, o->start - (int64_t)lb * 3600, o->start, &s, &err);
    if (rc == 0)
        rc = gf_feat_build(spec, &s, o->start, 1, o->horizon, xd, &scale, &err);
    if (rc == 0) {
        printf("{\"version\":%lld,\"scale\":[", (long long)v->version);
        for (int h = 0; h < o->horizon; h++)
            printf("%s%.17g", h ? "," : "", scale);
        printf("],\"body\":{\"model\":\"%s\",\"columns\":[", name);
        for (size_t j = 0; j < nc; j++)
            printf("%s\"%s\"", j ? "," : "", gf_feat_spec_name(spec, j));
        printf("],\"rows\":[");
        for (int h = 0; h < o->horizon; h++) {
            printf("%s[", h ? "," : "");
            for (size_t j = 0; j < nc; j++) {
                if (j)
                    putchar(',');
                print_float(xd[(size_t)h * nc + j]);
            }
            putchar(']');
        }
        printf("]}}\n");
    }
    free(xd);
    gf_feat_series_cleanup(&s);
    gf_feat_spec_free(spec);
    gf_reg_version_free(v);
    return rc ? die(&err) : 0;
}

int main(int argc, char **argv)
{
    gf_xgb_passive_reexec(argv);
    if (argc < 2)
        return usage();
    opts_t o = {.cmd = argv[1],
                .alias = "production",
                .val_days = 42,
                .rounds = 80,
                .depth = 6,
                .seed = 1,
                .stride = 24,
                .promote = 1,
                .horizon = 24,
                .eta = 0.1};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-promote") == 0) {
            o.promote = 0;
            continue;
        }
        if (val == NULL)
            return usage();
        i++;
        if (strcmp(a, "--region") == 0)
            o.region = val;
        else if (strcmp(a, "--alias") == 0)
            o.alias = val;
        else if (strcmp(a, "--train-to") == 0) {
            if (parse_time(val, &o.train_to) != 0)
                return usage();
        } else if (strcmp(a, "--start") == 0) {
            if (parse_time(val, &o.start) != 0)
                return usage();
        } else if (strcmp(a, "--val-days") == 0)
            o.val_days = atoi(val);
        else if (strcmp(a, "--rounds") == 0)
            o.rounds = atoi(val);
        else if (strcmp(a, "--depth") == 0)
            o.depth = atoi(val);
        else if (strcmp(a, "--seed") == 0)
            o.seed = atoi(val);
        else if (strcmp(a, "--stride") == 0)
            o.stride = atoi(val);
        else if (strcmp(a, "--horizon") == 0)
            o.horizon = atoi(val);
        else if (strcmp(a, "--eta") == 0)
            o.eta = atof(val);
        else if (strcmp(a, "--version") == 0)
            o.version = atol(val);
        else
            return usage();
    }
    if (o.region == NULL || !gf_region_valid(o.region) || o.val_days < 7 || o.rounds < 1 ||
        o.depth < 1 || o.stride < 1 || o.horizon < 1 || o.horizon > 24)
        return usage();
    const char *host = getenv("GF_REDIS_HOST");
    const char *port = getenv("GF_REDIS_PORT");
    gf_redis_conf_t where = {.cluster = getenv("GF_REDIS_CLUSTER"),
                             .host = host ? host : "127.0.0.1",
                             .port = port ? atoi(port) : 6379};
    gf_err_t err = {0};
    gf_rcluster_t *c = gf_rcluster_open(&where, 10000, &err);
    if (c == NULL)
        return die(&err);
    int rc;
    if (strcmp(o.cmd, "train") == 0)
        rc = cmd_train(c, &o);
    else if (strcmp(o.cmd, "alias") == 0)
        rc = o.version > 0 ? cmd_alias(c, &o) : usage();
    else if (strcmp(o.cmd, "rows") == 0)
        rc = o.start % 3600 == 0 && o.start > 0 ? cmd_rows(c, &o) : usage();
    else
        rc = usage();
    gf_rcluster_free(c);
    return rc;
}
