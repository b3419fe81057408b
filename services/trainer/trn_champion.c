/*
 * trn_champion.c - champion/challenger scoring and decision (see trn_champion.h).
 *
 * The champion is rebuilt exactly as the forecast service serves it: its own stored feature
 * spec through gf_feat_build on the same series, its bytes through XGBoost, prediction MW =
 * output x scale. Only hours that the challenger's backtest scored (res->test_skip == 0) and
 * that the champion could predict count, and both MAPEs are recomputed on those hours.
 */
#include "trn_champion.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "trn_metrics.h"
#include "trn_xgb.h"

static int unusable(gf_err_t *err, const char *what, const char *detail)
{
    return gf_err_set(err, GF_EUNPROCESSABLE, "champion_unusable", "%s: %.160s", what, detail);
}

/* Target stamp of backtest hour j (origin-major, one origin per day from test_from). */
static int64_t test_stamp(const trn_result_t *res, size_t j)
{
    return res->test_from + (int64_t)(j / (size_t)res->horizon) * 86400 +
           3600 * (int64_t)(j % (size_t)res->horizon);
}

int trn_cc_score(const trn_data_t *d, const trn_result_t *res, const char *spec_json,
                 const unsigned char *blob, size_t blob_len, int64_t seen_to, trn_cc_t *cc,
                 gf_err_t *err)
{
    gf_err_t e = {0};
    gf_feat_spec_t *spec = NULL;
    BoosterHandle b = NULL;
    double *buf = NULL, *py = NULL, *champ = NULL, *act = NULL;
    float *fx = NULL;
    unsigned char *skip = NULL;
    int rc = 0;
    const int H = res->horizon;
    if (res->test_n == 0 || res->test_pred == NULL || res->test_skip == NULL || H < 1)
        return unusable(err, "no backtest", "the run kept no test hours");
    spec = gf_feat_spec_loads(spec_json, strlen(spec_json), &e);
    if (spec == NULL) {
        rc = unusable(err, "feature spec does not parse", e.message);
        goto out;
    }
    if (trn_xgb_load(blob, blob_len, &b, &e) != 0) {
        rc = unusable(err, "model bytes do not load", e.message);
        goto out;
    }
    bst_ulong nf = 0;
    size_t nc = gf_feat_spec_ncols(spec);
    if (XGBoosterGetNumFeature(b, &nf) != 0 || (size_t)nf != nc) {
        char msg[96];
        snprintf(msg, sizeof msg, "model has %llu features, spec %zu", (unsigned long long)nf, nc);
        rc = unusable(err, "feature count mismatch", msg);
        goto out;
    }
    size_t ndays = res->test_n / (size_t)H;
    buf = gf_xmalloc((size_t)H * nc * sizeof *buf);
    fx = gf_xmalloc((size_t)H * nc * sizeof *fx);
    py = gf_xmalloc((size_t)H * sizeof *py);
    champ = gf_xmalloc(res->test_n * sizeof *champ);
    act = gf_xmalloc(res->test_n * sizeof *act);
    skip = gf_xmalloc(res->test_n);
    const gf_feat_series_t *s = &d->series;
    for (size_t di = 0; di < ndays; di++) {
        int64_t o = res->test_from + (int64_t)di * 86400;
        double scale = NAN;
        gf_err_cleanup(&e);
        int brc = gf_feat_build(spec, s, o, 1, H, buf, &scale, &e);
        if (brc == 0) {
            for (size_t i = 0; i < (size_t)H * nc; i++)
                fx[i] = (float)buf[i];
            if (trn_xgb_predict(b, fx, (size_t)H, nc, py, &e) != 0) {
                rc = unusable(err, "prediction failed", e.message);
                goto out;
            }
        }
        for (int h = 0; h < H; h++) {
            size_t j = di * (size_t)H + (size_t)h;
            long k = gf_feat_series_index(s, o + 3600 * (int64_t)h);
            act[j] = k >= 0 ? s->demand[k] : NAN;
            champ[j] = brc == 0 ? py[h] * scale : NAN;
            skip[j] = res->test_skip[j] || !isfinite(champ[j]) || !isfinite(res->test_pred[j]);
        }
    }
    /* hours the champion never saw, when there are enough of them */
    size_t unseen = 0;
    for (size_t j = 0; j < res->test_n; j++)
        if (!skip[j] && test_stamp(res, j) > seen_to)
            unseen++;
    cc->unseen_only = unseen >= TRN_CC_MIN_UNSEEN_HOURS && unseen < res->test_n;
    for (size_t j = 0; cc->unseen_only && j < res->test_n; j++)
        if (test_stamp(res, j) <= seen_to)
            skip[j] = 1;
    trn_metrics_t mc, mn;
    trn_metrics_compute(act, champ, skip, res->test_n, &mc);
    trn_metrics_compute(act, res->test_pred, skip, res->test_n, &mn);
    if (mc.n == 0) {
        rc = unusable(err, "no test hour", "the champion predicted none of the test hours");
        goto out;
    }
    cc->scored = 1;
    cc->champion_mape = mc.mape;
    cc->challenger_mape = mn.mape;
    cc->hours = mc.n;
out:
    gf_err_cleanup(&e);
    if (b)
        XGBoosterFree(b);
    gf_feat_spec_free(spec);
    free(buf);
    free(fx);
    free(py);
    free(champ);
    free(act);
    free(skip);
    return rc;
}

void trn_cc_decide(trn_cc_t *cc, int allow_promote, double min_gain_pct)
{
    const char *which = cc->unseen_only ? " it never saw" : "";
    cc->promote = 0;
    if (!isfinite(cc->challenger_mape)) {
        snprintf(cc->reason, sizeof cc->reason, "the new model has no test score");
    } else if (!allow_promote) {
        snprintf(cc->reason, sizeof cc->reason, "promotion disabled by the job options");
    } else if (!cc->has_champion) {
        cc->promote = 1;
        snprintf(cc->reason, sizeof cc->reason, "no production version yet");
    } else if (!cc->scored || !isfinite(cc->champion_mape)) {
        cc->promote = 1;
        snprintf(cc->reason, sizeof cc->reason, "production v%lld cannot be scored on the new data",
                 (long long)cc->champion_version);
    } else if (cc->challenger_mape < cc->champion_mape &&
               cc->challenger_mape <= cc->champion_mape * (1.0 - min_gain_pct / 100.0)) {
        cc->promote = 1;
        snprintf(cc->reason, sizeof cc->reason,
                 "MAPE %.3f %% beats production v%lld at %.3f %% on the same %zu test hours%s",
                 cc->challenger_mape, (long long)cc->champion_version, cc->champion_mape, cc->hours,
                 which);
    } else if (cc->challenger_mape < cc->champion_mape) {
        snprintf(cc->reason, sizeof cc->reason,
                 "MAPE %.3f %% is below production v%lld at %.3f %% on the same %zu test hours%s "
                 "but not by the required %.2f %%",
                 cc->challenger_mape, (long long)cc->champion_version, cc->champion_mape, cc->hours,
                 which, min_gain_pct);
    } else {
        snprintf(cc->reason, sizeof cc->reason,
                 "MAPE %.3f %% does not beat production v%lld at %.3f %% on the same %zu test "
                 "hours%s",
                 cc->challenger_mape, (long long)cc->champion_version, cc->champion_mape, cc->hours,
                 which);
    }
}

static json_t *num_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *trn_cc_to_json(const trn_cc_t *cc)
{
    json_t *o = json_object();
    json_object_set_new(o, "champion_version",
                        cc->has_champion ? json_integer((json_int_t)cc->champion_version)
                                         : json_null());
    json_object_set_new(o, "champion_mape",
                        cc->scored ? num_or_null(cc->champion_mape) : json_null());
    json_object_set_new(o, "challenger_mape", num_or_null(cc->challenger_mape));
    json_object_set_new(o, "hours", json_integer((json_int_t)cc->hours));
    json_object_set_new(o, "champion_scored", json_boolean(cc->scored));
    json_object_set_new(o, "champion_saw_test_period", json_boolean(cc->champion_saw_test));
    json_object_set_new(o, "unseen_hours_only", json_boolean(cc->unseen_only));
    json_object_set_new(o, "note", cc->note[0] ? json_string(cc->note) : json_null());
    json_object_set_new(o, "promote", json_boolean(cc->promote));
    json_object_set_new(o, "reason", json_string(cc->reason));
    return o;
}
