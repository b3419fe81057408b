/*
 * trn_train.c - the training run of one region (see trn_train.h for the time layout).
 *
 * Rows: one per (origin, horizon), features from gf_feat_build (which cannot read at or after
 * the origin), target = demand / scale (the spec's level normalisation). Rows whose target
 * hour is missing or imputed upstream are dropped from training; test hours that are imputed,
 * or where a baseline has no value, are skipped for the model and both baselines alike, so
 * the three are scored on the same hours.
 */
#include "trn_train.h"
#include "trn_weather.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "features/calib.h"
#include "features/tz.h"

const double trn_quantile_levels[TRN_NQ] = {0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95};

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void trn_config_default(trn_config_t *c)
{
    c->horizon = 24;
    c->issue_hour_utc = 0;
    c->test_days = 28;
    c->test_start = 0;
    c->val_days = 56;
    c->train_stride_h = 24;
    c->max_train_days = 0;
    c->search = 1;
    c->patience = 50;
    c->nthread = trn_default_nthread();
    c->refit_full = 0;
    c->model_format = "ubj";
    c->max_rounds = 0;
    c->calib_days = 364;
    c->calib_folds = 4;
    c->progress = NULL;
    c->progress_arg = NULL;
}

/* ------------------------------------------------------------------ progress */

typedef struct {
    const trn_config_t *cfg;
    trn_progress_t p;
    int cancelled;
} prog_t;

/* Report a stage; returns non-zero when the caller cancelled. */
static int prog_stage(prog_t *pg, const char *stage, int cand, int ncand)
{
    pg->p.stage = stage;
    pg->p.candidate = cand;
    pg->p.candidates = ncand;
    pg->p.round = 0;
    pg->p.max_rounds = 0;
    if (pg->cfg->progress && !pg->cancelled && pg->cfg->progress(pg->cfg->progress_arg, &pg->p))
        pg->cancelled = 1;
    return pg->cancelled;
}

static int prog_round(void *arg, int round, int max_rounds)
{
    prog_t *pg = arg;
    pg->p.round = round;
    pg->p.max_rounds = max_rounds;
    if (pg->cfg->progress && !pg->cancelled && pg->cfg->progress(pg->cfg->progress_arg, &pg->p))
        pg->cancelled = 1;
    return pg->cancelled;
}

static int cancelled(gf_err_t *err)
{
    return gf_err_set(err, GF_EUNAVAIL, "cancelled", "training was cancelled");
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* ------------------------------------------------------------------ row building */

typedef struct {
    const gf_feat_spec_t *spec;
    const trn_data_t *d;
    int horizon;
    double *buf; /* horizon * ncols */
    double seconds;
    size_t rows;
} builder_t;

/* Rows of origins [o_from, o_to) every `step` seconds whose target stamp < t_limit. */
static int build_rows(builder_t *b, int64_t o_from, int64_t o_to, int64_t step, int64_t t_limit,
                      trn_matrix_t *m, gf_err_t *err)
{
    const gf_feat_series_t *s = &b->d->series;
    size_t nc = gf_feat_spec_ncols(b->spec);
    for (int64_t o = o_from; o < o_to; o += step) {
        double scale;
        gf_err_t e = {0};
        double t0 = now_mono();
        int rc = gf_feat_build(b->spec, s, o, 1, b->horizon, b->buf, &scale, &e);
        b->seconds += now_mono() - t0;
        b->rows += (size_t)b->horizon;
        if (rc == GF_EUNPROCESSABLE) { /* a gap: no rows from this origin */
            gf_err_cleanup(&e);
            continue;
        }
        if (rc) {
            gf_err_set(err, e.rc, e.code, "%s", e.message);
            gf_err_cleanup(&e);
            return rc;
        }
        for (int h = 1; h <= b->horizon; h++) {
            int64_t t = o + 3600 * (int64_t)(h - 1);
            if (t >= t_limit)
                break;
            long k = gf_feat_series_index(s, t);
            if (k < 0 || isnan(s->demand[k]) || b->d->imputed[k])
                continue;
            trn_matrix_push(m, b->buf + (size_t)(h - 1) * nc, s->demand[k] / scale);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ candidates */

static int candidates(const trn_config_t *cfg, trn_xgb_params_t *out, int max)
{
    int n = 0;
    trn_xgb_params_t p;
    trn_xgb_params_default(&p);
    p.nthread = cfg->nthread;
    if (cfg->max_rounds > 0)
        p.max_rounds = cfg->max_rounds;
    out[n++] = p;
    if (!cfg->search)
        return n;
    trn_xgb_params_t q = p;
    q.max_depth = 8;
    q.min_child_weight = 10;
    q.colsample_bytree = 0.6;
    if (n < max)
        out[n++] = q;
    q = p;
    q.max_depth = 4;
    q.eta = 0.1;
    if (n < max)
        out[n++] = q;
    q = p;
    q.objective = "reg:absoluteerror";
    if (n < max)
        out[n++] = q;
    /* strongly regularised: the EIA histories hold only ~2 years before the test period */
    q = p;
    q.max_depth = 5;
    q.eta = 0.03;
    q.min_child_weight = 20;
    q.subsample = 0.7;
    q.colsample_bytree = 0.5;
    q.lambda = 5;
    if (n < max)
        out[n++] = q;
    q.objective = "reg:absoluteerror";
    if (n < max)
        out[n++] = q;
    return n;
}

/* ------------------------------------------------------------------ calibration */

static long spec_col(const gf_feat_spec_t *spec, const char *name)
{
    for (size_t i = 0; i < gf_feat_spec_ncols(spec); i++)
        if (strcmp(gf_feat_spec_name(spec, i), name) == 0)
            return (long)i;
    return -1;
}

/* Out-of-sample residuals collected for interval calibration (model output units), with
 * each one's horizon and scale (1 when the spec has none). */
typedef struct calib_set {
    double *res, *scl;
    int *hz;
    size_t n;
} calib_set_t;

/* Append the residuals of booster b on the rows of m (which b never saw). */
static int calib_append(const gf_feat_spec_t *spec, BoosterHandle b, const trn_matrix_t *m,
                        calib_set_t *c, gf_err_t *err)
{
    long hc = spec_col(spec, "horizon"), sc = spec_col(spec, "scale");
    size_t nr = m->nrow;
    if (b == NULL || nr == 0 || hc < 0)
        return 0;
    c->res = gf_xrealloc(c->res, (c->n + nr) * sizeof *c->res);
    c->scl = gf_xrealloc(c->scl, (c->n + nr) * sizeof *c->scl);
    c->hz = gf_xrealloc(c->hz, (c->n + nr) * sizeof *c->hz);
    double *p = c->res + c->n;
    int rc = trn_xgb_predict(b, m->x, nr, m->ncol, p, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < nr; i++) {
        const float *row = m->x + i * m->ncol;
        p[i] = (double)m->y[i] - p[i];
        c->hz[c->n + i] = (int)lrintf(row[hc]);
        c->scl[c->n + i] = sc >= 0 && isfinite(row[sc]) ? (double)row[sc] : 1.0;
    }
    c->n += nr;
    return 0;
}

static void calib_set_cleanup(calib_set_t *c)
{
    free(c->res);
    free(c->scl);
    free(c->hz);
    memset(c, 0, sizeof *c);
}

/* The table the trainer stored before conformal calibration, for comparison: per horizon,
 * plain (linear) empirical quantiles of the last `days` validation days' residuals. */
static void calib_old_style(const double *res, const int *hz, size_t n, size_t days, int H,
                            double *out)
{
    double *v = gf_xmalloc((days ? days : 1) * sizeof *v);
    for (int h = 1; h <= H; h++) {
        size_t m = 0;
        for (size_t i = n; i > 0 && m < days; i--)
            if (hz[i - 1] == h && !isnan(res[i - 1]))
                v[m++] = res[i - 1];
        for (int q = 0; q < TRN_NQ; q++)
            out[(h - 1) * TRN_NQ + q] = trn_quantile_sorted_inplace(v, m, trn_quantile_levels[q]);
    }
    free(v);
}

/* Cross-fitted residuals over the cfg->calib_days before val_start (clamped to the history):
 * the window is cut into cfg->calib_folds blocks of whole days; for each block the chosen
 * parameters are fitted on every training row whose target is outside the block and a week
 * around it (rounds scaled to the rows as for the refit), and the block's day-ahead forecasts
 * give residuals the fit never saw. The blocks cover every season, which a validation window
 * of a few weeks cannot. */
static int calib_cross_fit(builder_t *b, const trn_config_t *cfg, const trn_xgb_params_t *p,
                           int best_rounds, size_t tr_rows, int64_t first, int64_t val_start,
                           prog_t *pg, calib_set_t *cal, gf_err_t *err)
{
    const int64_t day = 86400, gap = 7 * day, stride = 3600 * (int64_t)cfg->train_stride_h;
    int K = cfg->calib_folds;
    if (cfg->calib_days < 1 || K < 1 || best_rounds < 1 || tr_rows == 0)
        return 0;
    int64_t from = val_start - (int64_t)cfg->calib_days * day;
    if (from < first + 28 * day) /* keep four weeks of history before the first block */
        from = first + 28 * day;
    int64_t days = (val_start - from) / day;
    if (days < K)
        return 0;
    size_t nc = gf_feat_spec_ncols(b->spec);
    int rc = 0;
    for (int k = 0; k < K && rc == 0; k++) {
        int64_t bs = from + days * k / K * day, be = from + days * (k + 1) / K * day;
        trn_matrix_t fit, blk;
        trn_matrix_init(&fit, nc);
        trn_matrix_init(&blk, nc);
        BoosterHandle bh = NULL;
        if (prog_stage(pg, "calibration", k + 1, K)) {
            rc = cancelled(err);
        } else if (!(rc = build_rows(b, first, bs - gap, stride, bs - gap, &fit, err)) &&
                   !(rc = build_rows(b, be + gap, val_start, stride, val_start, &fit, err)) &&
                   !(rc = build_rows(b, bs, be, day, be, &blk, err)) && fit.nrow > 0) {
            trn_xgb_params_t fp = *p;
            fp.max_rounds = (int)lround(best_rounds * (double)fit.nrow / (double)tr_rows);
            if (fp.max_rounds < 1)
                fp.max_rounds = 1;
            if (!(rc = trn_xgb_fit_hook(&fit, NULL, &fp, 0, prog_round, pg, &bh, NULL, NULL,
                                        err)))
                rc = calib_append(b->spec, bh, &blk, cal, err);
        }
        if (bh)
            XGBoosterFree(bh);
        trn_matrix_cleanup(&fit);
        trn_matrix_cleanup(&blk);
    }
    return rc;
}

/* ------------------------------------------------------------------ run */

static int64_t last_value_stamp(const trn_data_t *d)
{
    for (size_t i = d->series.n; i > 0; i--)
        if (!isnan(d->series.demand[i - 1]))
            return d->series.t0 + 3600 * (int64_t)(i - 1);
    return INT64_MIN;
}

int trn_train_region(const trn_data_t *d, const trn_config_t *cfg, trn_result_t *out,
                     gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->region, sizeof out->region, "%s", d->region);
    out->horizon = cfg->horizon;
    snprintf(out->model_format, sizeof out->model_format, "%s",
             cfg->model_format ? cfg->model_format : "ubj");
    out->search = json_array();
    trn_matrix_t tr, va, ref, te;
    BoosterHandle best_b = NULL, final_b = NULL, cand_b = NULL;
    double *pred = NULL, *act = NULL, *nd = NULL, *nw = NULL, *scl = NULL;
    calib_set_t cal = {0};
    unsigned char *skip = NULL;
    builder_t b = {0};
    prog_t pg = {.cfg = cfg};
    int rc = 0;
    const int H = cfg->horizon;
    memset(&tr, 0, sizeof tr);
    memset(&va, 0, sizeof va);
    memset(&ref, 0, sizeof ref);
    memset(&te, 0, sizeof te);

    if (H < 1 || H > GF_FEAT_MAX_HORIZON || cfg->issue_hour_utc < 0 ||
        cfg->issue_hour_utc > 23 || cfg->test_days < 1 || cfg->val_days < 1 ||
        cfg->train_stride_h < 1 || 24 % cfg->train_stride_h != 0)
        return gf_err_set(err, GF_EINVAL, "bad_config",
                          "horizon 1..%d, issue hour 0..23, test/val days >= 1, stride dividing 24",
                          GF_FEAT_MAX_HORIZON);
    out->spec = gf_feat_spec_new_default(d->tz, trn_temp_blocks(d), err);
    if (out->spec == NULL)
        return err ? err->rc : GF_EINVAL;
    const size_t nc = gf_feat_spec_ncols(out->spec);
    b.spec = out->spec;
    b.d = d;
    b.horizon = H;
    b.buf = malloc((size_t)H * nc * sizeof *b.buf);
    if (b.buf == NULL)
        abort();

    /* time layout */
    const int64_t day = 86400, issue = 3600 * (int64_t)cfg->issue_hour_utc;
    int64_t t_last = last_value_stamp(d);
    int64_t last_origin = floor_div(t_last - 3600 * (int64_t)(H - 1) - issue, day) * day + issue;
    int64_t test_start = cfg->test_start ? cfg->test_start
                                         : last_origin - (int64_t)(cfg->test_days - 1) * day;
    int64_t test_end = test_start + (int64_t)(cfg->test_days - 1) * day; /* last test origin */
    if (test_end > last_origin)
        test_end = last_origin;
    int64_t val_start = test_start - (int64_t)cfg->val_days * day;
    int64_t first = floor_div(d->series.t0 + 7 * day, day) * day + issue;
    if (first < d->series.t0 + 7 * day)
        first += day;
    if (cfg->max_train_days > 0 && first < val_start - (int64_t)cfg->max_train_days * day)
        first = val_start - (int64_t)cfg->max_train_days * day;
    if (t_last == INT64_MIN || (test_start - issue) % day != 0 || test_end < test_start ||
        val_start - first < 28 * day) {
        rc = gf_err_set(err, GF_EUNPROCESSABLE, "not_enough_data",
                        "region '%s' has too little history for %d validation and %d test days",
                        d->region, cfg->val_days, cfg->test_days);
        goto out;
    }
    const int64_t stride = 3600 * (int64_t)cfg->train_stride_h;

    /* rows */
    if (prog_stage(&pg, "features", 0, 0)) {
        rc = cancelled(err);
        goto out;
    }
    trn_matrix_init(&tr, nc);
    trn_matrix_init(&va, nc);
    trn_matrix_init(&ref, nc);
    if ((rc = build_rows(&b, first, val_start, stride, val_start, &tr, err)) ||
        (rc = build_rows(&b, val_start, test_start, day, test_start, &va, err)) ||
        (rc = build_rows(&b, first, test_start, stride, test_start, &ref, err)))
        goto out;
    out->n_train_rows = ref.nrow;
    out->n_val_rows = va.nrow;

    /* search: fit on train, rank by validation MAE */
    double t_train = now_mono();
    trn_xgb_params_t cand[8];
    int ncand = candidates(cfg, cand, 8);
    int best_i = -1, best_rounds = 0;
    double best_score = INFINITY;
    for (int i = 0; i < ncand; i++) {
        BoosterHandle bh = NULL;
        int rounds = 0;
        double score = NAN;
        if (prog_stage(&pg, "search", i + 1, ncand)) {
            rc = cancelled(err);
            goto out;
        }
        if ((rc = trn_xgb_fit_hook(&tr, &va, &cand[i], cfg->patience, prog_round, &pg, &bh,
                                   &rounds, &score, err)))
            goto out;
        json_t *pj = trn_xgb_params_to_json(&cand[i]);
        json_array_append_new(out->search, json_pack("{s:o, s:f, s:i}", "params", pj, "val_mae",
                                                     isfinite(score) ? score : -1.0, "rounds",
                                                     rounds));
        if (score < best_score) {
            best_score = score;
            best_i = i;
            best_rounds = rounds;
            XGBoosterFree(cand_b);
            cand_b = bh;
        } else {
            XGBoosterFree(bh);
        }
    }
    if (best_i < 0) {
        rc = gf_err_set(err, GF_EINTERNAL, "search_failed", "no candidate could be scored");
        goto out;
    }
    out->params = cand[best_i];
    out->val_mae = best_score;
    /* Calibration residuals (all out of sample): cross-fitted blocks of the year before the
     * validation window, the chosen candidate on the validation days, and (below) the
     * refitted model on the backtest days. */
    if ((rc = calib_cross_fit(&b, cfg, &cand[best_i], best_rounds, tr.nrow, first, val_start,
                              &pg, &cal, err)))
        goto out;
    out->n_cal_cross = cal.n;
    if ((rc = calib_append(out->spec, cand_b, &va, &cal, err)))
        goto out;
    out->n_cal_val = cal.n - out->n_cal_cross;
    /* refit on train + val, rounds scaled with the data */
    trn_xgb_params_t rp = cand[best_i];
    rp.max_rounds = (int)lround(best_rounds * (double)ref.nrow / (double)(tr.nrow ? tr.nrow : 1));
    if (rp.max_rounds < 1)
        rp.max_rounds = 1;
    if (prog_stage(&pg, "refit", 0, 0)) {
        rc = cancelled(err);
        goto out;
    }
    if ((rc = trn_xgb_fit_hook(&ref, NULL, &rp, 0, prog_round, &pg, &best_b, NULL, NULL, err)))
        goto out;
    out->rounds = rp.max_rounds;
    out->train_seconds = now_mono() - t_train;

    /* backtest: one forecast per test day, issued at the origin */
    if (prog_stage(&pg, "backtest", 0, 0)) {
        rc = cancelled(err);
        goto out;
    }
    size_t ndays = (size_t)((test_end - test_start) / day + 1);
    size_t nh = ndays * (size_t)H;
    pred = malloc(nh * sizeof *pred);
    act = malloc(nh * sizeof *act);
    nd = malloc(nh * sizeof *nd);
    nw = malloc(nh * sizeof *nw);
    scl = malloc(nh * sizeof *scl);
    skip = calloc(nh, 1);
    float *fx = malloc((size_t)H * nc * sizeof *fx);
    double *py = malloc((size_t)H * sizeof *py);
    if (!pred || !act || !nd || !nw || !scl || !skip || !fx || !py)
        abort();
    const gf_feat_series_t *s = &d->series;
    for (size_t di = 0; di < ndays; di++) {
        int64_t o = test_start + (int64_t)di * day;
        double scale;
        gf_err_t e = {0};
        double t0 = now_mono();
        int brc = gf_feat_build(out->spec, s, o, 1, H, b.buf, &scale, &e);
        b.seconds += now_mono() - t0;
        b.rows += (size_t)H;
        gf_err_cleanup(&e);
        if (brc == 0) {
            for (size_t i = 0; i < (size_t)H * nc; i++)
                fx[i] = (float)b.buf[i];
            if ((rc = trn_xgb_predict(best_b, fx, (size_t)H, nc, py, err))) {
                free(fx);
                free(py);
                goto out;
            }
        }
        for (int h = 1; h <= H; h++) {
            size_t j = di * (size_t)H + (size_t)(h - 1);
            int64_t t = o + 3600 * (int64_t)(h - 1);
            long k = gf_feat_series_index(s, t);
            long k1 = gf_feat_series_index(s, t - day), k7 = gf_feat_series_index(s, t - 7 * day);
            act[j] = k >= 0 ? s->demand[k] : NAN;
            nd[j] = k1 >= 0 ? s->demand[k1] : NAN;
            nw[j] = k7 >= 0 ? s->demand[k7] : NAN;
            pred[j] = brc == 0 ? py[h - 1] * scale : NAN;
            scl[j] = scale;
            skip[j] = k < 0 || d->imputed[k] || isnan(act[j]) || isnan(nd[j]) || isnan(nw[j]) ||
                      isnan(pred[j]);
            if (skip[j])
                out->n_test_skipped++;
        }
    }
    free(fx);
    free(py);
    out->test_from = test_start;
    out->test_to = test_end + 3600 * (int64_t)(H - 1);
    out->n_test_hours = nh - out->n_test_skipped;
    trn_metrics_compute(act, pred, skip, nh, &out->m_model);
    trn_metrics_compute(act, nd, skip, nh, &out->m_naive_day);
    trn_metrics_compute(act, nw, skip, nh, &out->m_naive_week);
    out->m_by_horizon = calloc((size_t)H, sizeof *out->m_by_horizon);
    out->resid_q = calloc((size_t)H * TRN_NQ, sizeof *out->resid_q);
    if (!out->m_by_horizon || !out->resid_q)
        abort();
    /* Old-style table for comparison: per horizon, no pooling, plain empirical quantiles of
     * the last 28 validation days (what a 28-day backtest alone gave). */
    double qv[GF_FEAT_MAX_HORIZON * TRN_NQ], qo[GF_FEAT_MAX_HORIZON * TRN_NQ];
    calib_old_style(cal.res, cal.hz, cal.n, 28, H, qo);
    /* Intervals calibrated on the validation residuals only, checked on the backtest days
     * (out of sample for both the model and the calibration). */
    gf_feat_calib_quantiles(cal.res, cal.hz, cal.n, H, TRN_CALIB_POOL, trn_quantile_levels,
                            TRN_NQ, TRN_CALIB_MIN_N, qv);
    for (int h = 0; h < H; h++) {
        double *ha = malloc(ndays * sizeof *ha), *hp = malloc(ndays * sizeof *hp);
        unsigned char *hs = malloc(ndays);
        if (!ha || !hp || !hs)
            abort();
        for (size_t di = 0; di < ndays; di++) {
            size_t j = di * (size_t)H + (size_t)h;
            ha[di] = act[j];
            hp[di] = pred[j];
            hs[di] = skip[j];
        }
        trn_metrics_compute(ha, hp, hs, ndays, &out->m_by_horizon[h]);
        free(ha);
        free(hp);
        free(hs);
    }

    {
        size_t base = cal.n;
        cal.res = gf_xrealloc(cal.res, (cal.n + nh) * sizeof *cal.res);
        cal.hz = gf_xrealloc(cal.hz, (cal.n + nh) * sizeof *cal.hz);
        cal.scl = gf_xrealloc(cal.scl, (cal.n + nh) * sizeof *cal.scl);
        for (size_t j = 0; j < nh; j++) {
            if (skip[j])
                continue;
            cal.res[cal.n] = (act[j] - pred[j]) / scl[j];
            cal.hz[cal.n] = (int)(j % (size_t)H) + 1;
            cal.scl[cal.n++] = scl[j];
        }
        size_t lo = 1, hi = 5; /* levels 0.10 and 0.90 */
        out->iv_test_n = gf_feat_calib_coverage(qv, H, TRN_NQ, lo, hi, cal.res + base,
                                                cal.hz + base, cal.scl + base, cal.n - base,
                                                &out->iv_test_coverage, &out->iv_test_width);
        gf_feat_calib_coverage(qo, H, TRN_NQ, lo, hi, cal.res + base, cal.hz + base,
                               cal.scl + base, cal.n - base, &out->iv_old_coverage,
                               &out->iv_old_width);
        /* The stored table: every out-of-sample residual of the run. */
        out->n_cal = cal.n;
        gf_feat_calib_quantiles(cal.res, cal.hz, cal.n, H, TRN_CALIB_POOL, trn_quantile_levels,
                                TRN_NQ, TRN_CALIB_MIN_N, out->resid_q);
    }

    /* the stored model */
    BoosterHandle store = best_b;
    out->train_from = first;
    out->train_to = test_start - 3600;
    if (cfg->refit_full) {
        trn_matrix_t full;
        trn_matrix_init(&full, nc);
        double tf = now_mono();
        if ((rc = build_rows(&b, first, last_origin + 1, stride, t_last + 1, &full, err))) {
            trn_matrix_cleanup(&full);
            goto out;
        }
        trn_xgb_params_t fp = rp;
        fp.max_rounds = (int)lround(rp.max_rounds * (double)full.nrow / (double)ref.nrow);
        if (fp.max_rounds < 1)
            fp.max_rounds = 1;
        rc = trn_xgb_fit_hook(&full, NULL, &fp, 0, prog_round, &pg, &final_b, NULL, NULL, err);
        out->n_train_rows = full.nrow;
        trn_matrix_cleanup(&full);
        if (rc)
            goto out;
        store = final_b;
        out->rounds = fp.max_rounds;
        out->train_to = t_last;
        out->train_seconds += now_mono() - tf;
    }
    if (prog_stage(&pg, "save", 0, 0)) {
        rc = cancelled(err);
        goto out;
    }
    if ((rc = trn_xgb_save(store, out->model_format, &out->model, &out->model_len, err)))
        goto out;
    /* keep the hour-by-hour backtest for champion scoring */
    out->test_pred = pred;
    out->test_skip = skip;
    out->test_n = nh;
    pred = NULL;
    skip = NULL;
out:
    out->feature_seconds = b.seconds;
    out->feature_rows = b.rows;
    if (best_b)
        XGBoosterFree(best_b);
    if (cand_b)
        XGBoosterFree(cand_b);
    calib_set_cleanup(&cal);
    if (final_b)
        XGBoosterFree(final_b);
    trn_matrix_cleanup(&tr);
    trn_matrix_cleanup(&va);
    trn_matrix_cleanup(&ref);
    trn_matrix_cleanup(&te);
    free(b.buf);
    free(pred);
    free(act);
    free(nd);
    free(nw);
    free(scl);
    free(skip);
    return rc;
}

/* ------------------------------------------------------------------ JSON */

static json_t *stamp_json(int64_t t)
{
    int y, m, d;
    int64_t days = floor_div(t, 86400), sod = t - days * 86400;
    gf_feat_civil_from_days(days, &y, &m, &d);
    char buf[32];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(sod / 3600),
             (int)(sod % 3600 / 60), (int)(sod % 60));
    return json_string(buf);
}

static json_t *range_json(int64_t from, int64_t to)
{
    return json_pack("{s:o, s:o, s:I, s:I}", "from", stamp_json(from), "to", stamp_json(to),
                     "from_epoch", (json_int_t)from, "to_epoch", (json_int_t)to);
}

char *trn_base64(const unsigned char *buf, size_t len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (out == NULL)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)buf[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)buf[i + 1] << 8;
        if (i + 2 < len)
            v |= buf[i + 2];
        out[o++] = tbl[v >> 18 & 63];
        out[o++] = tbl[v >> 12 & 63];
        out[o++] = i + 1 < len ? tbl[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static json_t *num_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *trn_result_to_json(const trn_result_t *r, int with_model)
{
    json_t *j = json_object();
    json_object_set_new(j, "region", json_string(r->region));
    json_object_set_new(j, "model_format", json_string(r->model_format));
    json_object_set_new(j, "model_bytes", json_integer((json_int_t)r->model_len));
    if (with_model && r->model) {
        char *b64 = trn_base64(r->model, r->model_len);
        json_object_set_new(j, "model_b64", json_string(b64));
        free(b64);
    }
    if (r->spec) {
        json_object_set_new(j, "feature_spec", gf_feat_spec_to_json(r->spec));
        json_object_set_new(j, "feature_spec_hash", json_string(gf_feat_spec_hash(r->spec)));
        json_object_set_new(j, "n_features", json_integer((json_int_t)gf_feat_spec_ncols(r->spec)));
    }
    json_t *params = trn_xgb_params_to_json(&r->params);
    json_object_set_new(params, "rounds", json_integer(r->rounds));
    json_object_set_new(params, "val_mae", isfinite(r->val_mae) ? json_real(r->val_mae)
                                                                : json_null());
    json_object_set_new(j, "params", params);
    json_object_set_new(j, "horizon", json_integer(r->horizon));
    json_t *m = json_object();
    json_object_set_new(m, "model", trn_metrics_to_json(&r->m_model));
    json_object_set_new(m, "same_hour_yesterday", trn_metrics_to_json(&r->m_naive_day));
    json_object_set_new(m, "same_hour_last_week", trn_metrics_to_json(&r->m_naive_week));
    json_t *bh = json_array();
    for (int h = 0; r->m_by_horizon && h < r->horizon; h++)
        json_array_append_new(bh, trn_metrics_to_json(&r->m_by_horizon[h]));
    json_object_set_new(m, "by_horizon", bh);
    json_t *lv = json_array(), *qh = json_array();
    for (int q = 0; q < TRN_NQ; q++)
        json_array_append_new(lv, json_real(trn_quantile_levels[q]));
    for (int h = 0; r->resid_q && h < r->horizon; h++) {
        json_t *row = json_array();
        for (int q = 0; q < TRN_NQ; q++) {
            double x = r->resid_q[h * TRN_NQ + q];
            json_array_append_new(row, isfinite(x) ? json_real(x) : json_null());
        }
        json_array_append_new(qh, row);
    }
    json_object_set_new(m, "residual_quantiles",
                        json_pack("{s:s, s:o, s:o}", "units", "model_output", "levels", lv,
                                  "by_horizon", qh));
    json_object_set_new(
        m, "intervals",
        json_pack("{s:s, s:i, s:I, s:I, s:I, s:o, s:o, s:I, s:o, s:o}", "method",
                  "split_conformal", "pool_hours", TRN_CALIB_POOL, "calibration_residuals",
                  (json_int_t)r->n_cal, "cross_fitted_residuals", (json_int_t)r->n_cal_cross,
                  "validation_residuals", (json_int_t)r->n_cal_val, "test_coverage_p10_p90",
                  num_or_null(r->iv_test_coverage), "test_mean_width_p10_p90",
                  num_or_null(r->iv_test_width), "test_hours", (json_int_t)r->iv_test_n,
                  "per_horizon_28d_coverage_p10_p90", num_or_null(r->iv_old_coverage),
                  "per_horizon_28d_mean_width_p10_p90", num_or_null(r->iv_old_width)));
    json_object_set_new(j, "metrics", m);
    json_object_set_new(j, "train_range", range_json(r->train_from, r->train_to));
    json_object_set_new(j, "test_range", range_json(r->test_from, r->test_to));
    json_object_set_new(j, "rows",
                        json_pack("{s:I, s:I, s:I, s:I}", "train", (json_int_t)r->n_train_rows,
                                  "val", (json_int_t)r->n_val_rows, "test_hours",
                                  (json_int_t)r->n_test_hours, "test_skipped",
                                  (json_int_t)r->n_test_skipped));
    json_object_set_new(j, "timing",
                        json_pack("{s:f, s:f, s:I}", "train_seconds", r->train_seconds,
                                  "feature_seconds", r->feature_seconds, "feature_rows",
                                  (json_int_t)r->feature_rows));
    json_object_set_new(j, "search", r->search ? json_incref(r->search) : json_array());
    return j;
}

void trn_result_cleanup(trn_result_t *r)
{
    if (r == NULL)
        return;
    gf_feat_spec_free(r->spec);
    free(r->model);
    free(r->m_by_horizon);
    free(r->resid_q);
    free(r->test_pred);
    free(r->test_skip);
    json_decref(r->search);
    memset(r, 0, sizeof *r);
}
