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
    c->model_format = "ubj";
    c->max_rounds = 0;
    c->calib_days = 364;
    c->calib_folds = 4;
    c->recency_halflife_days = 0;
    c->extra_features = NULL;
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
    double halflife_s; /* recency weighting: half-life in seconds (0 = off) */
    int weigh;         /* weight the rows built next (fits only, never evaluation rows) */
    int64_t w_ref;     /* ... by their distance to this stamp */
} builder_t;

/* The rows built next are fitted on: weighted 2^(-|ref - target| / half-life) when the
 * config asks for recency weighting. */
static void rows_for_fit(builder_t *b, int64_t ref)
{
    b->weigh = b->halflife_s > 0;
    b->w_ref = ref;
}

/* The rows built next are for evaluation (no weights). */
static void rows_for_eval(builder_t *b)
{
    b->weigh = 0;
}

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
            const double *row = b->buf + (size_t)(h - 1) * nc;
            if (b->weigh)
                trn_matrix_push_w(m, row, s->demand[k] / scale,
                                  exp2(-fabs((double)(b->w_ref - t)) / b->halflife_s));
            else
                trn_matrix_push(m, row, s->demand[k] / scale);
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

typedef trn_resid_set_t calib_set_t;

/* Room for n more residuals. */
static void resid_reserve(trn_resid_set_t *c, size_t n)
{
    if (c->n + n <= c->cap)
        return;
    c->cap = c->n + n > 2 * c->cap ? c->n + n : 2 * c->cap;
    c->res = gf_xrealloc(c->res, c->cap * sizeof *c->res);
    c->scl = gf_xrealloc(c->scl, c->cap * sizeof *c->scl);
    c->hz = gf_xrealloc(c->hz, c->cap * sizeof *c->hz);
    c->t = gf_xrealloc(c->t, c->cap * sizeof *c->t);
}

void trn_resid_push(trn_resid_set_t *c, double res, int hz, double scl, int64_t t)
{
    resid_reserve(c, c->n < 1024 ? 1024 : 1);
    c->res[c->n] = res;
    c->hz[c->n] = hz;
    c->scl[c->n] = scl;
    c->t[c->n++] = t;
}

void trn_resid_cleanup(trn_resid_set_t *c)
{
    free(c->res);
    free(c->scl);
    free(c->hz);
    free(c->t);
    memset(c, 0, sizeof *c);
}

/* Append the residuals of booster b on the rows of m (which b never saw). */
static int calib_append(const gf_feat_spec_t *spec, BoosterHandle b, const trn_matrix_t *m,
                        calib_set_t *c, gf_err_t *err)
{
    long hc = spec_col(spec, "horizon"), sc = spec_col(spec, "scale");
    size_t nr = m->nrow;
    if (b == NULL || nr == 0 || hc < 0)
        return 0;
    resid_reserve(c, nr);
    double *p = c->res + c->n;
    int rc = trn_xgb_predict(b, m->x, nr, m->ncol, p, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < nr; i++) {
        const float *row = m->x + i * m->ncol;
        p[i] = (double)m->y[i] - p[i];
        c->hz[c->n + i] = (int)lrintf(row[hc]);
        c->scl[c->n + i] = sc >= 0 && isfinite(row[sc]) ? (double)row[sc] : 1.0;
        c->t[c->n + i] = INT64_MIN; /* rows do not carry their stamp */
    }
    c->n += nr;
    return 0;
}

static void calib_set_cleanup(calib_set_t *c)
{
    trn_resid_cleanup(c);
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

/* Recursive residuals of booster b (which never saw a target at or after o_from) from the
 * origins o_from, o_from + 1 day, ... < o_to: lead L > horizon gets (actual - forecast) /
 * scale of its block; hours imputed upstream or without an actual are left out. */
static int rec_collect(const builder_t *bd, BoosterHandle b, int64_t o_from, int64_t o_to,
                       calib_set_t *set, gf_err_t *err)
{
    const int H = bd->horizon, N = H * TRN_REC_BLOCKS;
    const gf_feat_series_t *s = &bd->d->series;
    double *mw = gf_xmalloc((size_t)N * sizeof *mw), *sc = gf_xmalloc((size_t)N * sizeof *sc);
    trn_predictor_t pr;
    trn_predictor_init(&pr, bd->spec, H);
    int rc = 0;
    for (int64_t o = o_from; o < o_to; o += 86400) {
        int prc = trn_predict_recursive(&pr, b, s, o, TRN_REC_BLOCKS, mw, sc, err);
        if (prc == GF_EUNPROCESSABLE)
            continue;
        if ((rc = prc) != 0)
            break;
        for (int k = H; k < N; k++) {
            long i = gf_feat_series_index(s, o + 3600 * (int64_t)k);
            if (i < 0 || isnan(s->demand[i]) || bd->d->imputed[i] || !isfinite(mw[k]))
                continue;
            trn_resid_push(set, (s->demand[i] - mw[k]) / sc[k], k + 1, sc[k],
                           o + 3600 * (int64_t)k);
        }
    }
    trn_predictor_cleanup(&pr);
    free(mw);
    free(sc);
    return rc;
}

/* Cross-fitted residuals over the cfg->calib_days before val_start (clamped to the history):
 * the window is cut into cfg->calib_folds blocks of whole days; for each block the chosen
 * parameters are fitted on every training row whose target is outside the block and a week
 * around it (rounds scaled to the rows as for the refit), and the block's day-ahead forecasts
 * give residuals the fit never saw. The blocks cover every season, which a validation window
 * of a few weeks cannot. */
static int calib_cross_fit(builder_t *b, const trn_config_t *cfg, const trn_xgb_params_t *p,
                           int best_rounds, size_t tr_rows, int64_t first, int64_t val_start,
                           prog_t *pg, calib_set_t *cal, calib_set_t *rec, gf_err_t *err)
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
        rows_for_fit(b, bs);
        if (prog_stage(pg, "calibration", k + 1, K)) {
            rc = cancelled(err);
        } else if (!(rc = build_rows(b, first, bs - gap, stride, bs - gap, &fit, err)) &&
                   !(rc = build_rows(b, be + gap, val_start, stride, val_start, &fit, err)) &&
                   (rows_for_eval(b), 1) && !(rc = build_rows(b, bs, be, day, be, &blk, err)) &&
                   fit.nrow > 0) {
            trn_xgb_params_t fp = *p;
            fp.max_rounds = (int)lround(best_rounds * (double)fit.nrow / (double)tr_rows);
            if (fp.max_rounds < 1)
                fp.max_rounds = 1;
            if (!(rc = trn_xgb_fit_hook(&fit, NULL, &fp, 0, prog_round, pg, &bh, NULL, NULL,
                                        err)) &&
                !(rc = calib_append(b->spec, bh, &blk, cal, err)))
                rc = rec_collect(b, bh, bs, be, rec, err);
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

/* One region's run: the time layout, the row sets, the search's outcome, the backtest hour by
 * hour. Each phase below fills its part; run_cleanup frees whatever was made. */
typedef struct train_run {
    const trn_data_t *d;
    const trn_config_t *cfg;
    trn_result_t *out;
    builder_t b;
    prog_t pg;
    int H;
    size_t nc;
    /* time layout (trn_train.h) */
    int64_t t_last, last_origin, first, val_start, test_start, test_end, stride;
    trn_matrix_t tr, va, ref;
    /* search */
    int best_i, best_rounds;
    trn_xgb_params_t cand[8];
    BoosterHandle cand_b; /* the chosen candidate, fitted before the validation window */
    BoosterHandle best_b; /* the refit on everything before the test period */
    trn_xgb_params_t rp;  /* its parameters and round count */
    double t_train;
    calib_set_t cal;
    calib_set_t rec; /* recursive residuals, leads H+1 .. H*TRN_REC_BLOCKS */
    /* backtest, origin-major: ndays x H */
    size_t ndays, nh;
    double *pred, *act, *nd, *nw, *scl;
    unsigned char *skip;
} train_run_t;

#define DAY ((int64_t)86400)

/* The default spec of the region, plus cfg->extra_features. NULL with err set. */
static gf_feat_spec_t *spec_for(const trn_data_t *d, const trn_config_t *cfg, gf_err_t *err)
{
    gf_feat_spec_t *spec = gf_feat_spec_new_default(d->tz, trn_temp_blocks(d), err);
    if (spec == NULL || cfg->extra_features == NULL || cfg->extra_features[0] == NULL)
        return spec;
    json_t *j = gf_feat_spec_to_json(spec);
    json_t *names = json_object_get(j, "features");
    for (size_t i = 0; cfg->extra_features[i]; i++)
        json_array_append_new(names, json_string(cfg->extra_features[i]));
    gf_feat_spec_free(spec);
    spec = gf_feat_spec_parse(j, err);
    json_decref(j);
    return spec;
}

/* Config check, feature spec and the time layout; GF_EUNPROCESSABLE "not_enough_data" when
 * the history cannot hold train + val + test. */
static int run_layout(train_run_t *r, gf_err_t *err)
{
    const trn_config_t *cfg = r->cfg;
    const trn_data_t *d = r->d;
    if (r->H < 1 || r->H > GF_FEAT_MAX_HORIZON || cfg->issue_hour_utc < 0 ||
        cfg->issue_hour_utc > 23 || cfg->test_days < 1 || cfg->val_days < 1 ||
        cfg->train_stride_h < 1 || 24 % cfg->train_stride_h != 0)
        return gf_err_set(err, GF_EINVAL, "bad_config",
                          "horizon 1..%d, issue hour 0..23, test/val days >= 1, stride dividing 24",
                          GF_FEAT_MAX_HORIZON);
    r->out->spec = spec_for(d, cfg, err);
    if (r->out->spec == NULL)
        return err ? err->rc : GF_EINVAL;
    r->nc = gf_feat_spec_ncols(r->out->spec);
    r->b.spec = r->out->spec;
    r->b.d = d;
    r->b.horizon = r->H;
    r->b.halflife_s = cfg->recency_halflife_days * 86400.0;
    r->b.buf = gf_xmalloc((size_t)r->H * r->nc * sizeof *r->b.buf);

    const int64_t issue = 3600 * (int64_t)cfg->issue_hour_utc;
    r->t_last = last_value_stamp(d);
    r->last_origin = floor_div(r->t_last - 3600 * (int64_t)(r->H - 1) - issue, DAY) * DAY + issue;
    r->test_start = cfg->test_start ? cfg->test_start
                                    : r->last_origin - (int64_t)(cfg->test_days - 1) * DAY;
    r->test_end = r->test_start + (int64_t)(cfg->test_days - 1) * DAY; /* last test origin */
    if (r->test_end > r->last_origin)
        r->test_end = r->last_origin;
    r->val_start = r->test_start - (int64_t)cfg->val_days * DAY;
    r->first = floor_div(d->series.t0 + 7 * DAY, DAY) * DAY + issue;
    if (r->first < d->series.t0 + 7 * DAY)
        r->first += DAY;
    if (cfg->max_train_days > 0 && r->first < r->val_start - (int64_t)cfg->max_train_days * DAY)
        r->first = r->val_start - (int64_t)cfg->max_train_days * DAY;
    r->stride = 3600 * (int64_t)cfg->train_stride_h;
    if (r->t_last == INT64_MIN || (r->test_start - issue) % DAY != 0 ||
        r->test_end < r->test_start || r->val_start - r->first < 28 * DAY)
        return gf_err_set(err, GF_EUNPROCESSABLE, "not_enough_data",
                          "region '%s' has too little history for %d validation and %d test days",
                          d->region, cfg->val_days, cfg->test_days);
    return 0;
}

/* Rows: search training set (before val_start), validation days, refit set (before the test). */
static int run_rows(train_run_t *r, gf_err_t *err)
{
    int rc;
    if (prog_stage(&r->pg, "features", 0, 0))
        return cancelled(err);
    rows_for_fit(&r->b, r->val_start);
    if ((rc = build_rows(&r->b, r->first, r->val_start, r->stride, r->val_start, &r->tr, err)))
        return rc;
    rows_for_eval(&r->b);
    if ((rc = build_rows(&r->b, r->val_start, r->test_start, DAY, r->test_start, &r->va, err)))
        return rc;
    rows_for_fit(&r->b, r->test_start);
    if ((rc = build_rows(&r->b, r->first, r->test_start, r->stride, r->test_start, &r->ref, err)))
        return rc;
    r->out->n_train_rows = r->ref.nrow;
    r->out->n_val_rows = r->va.nrow;
    return 0;
}

/* Search: every candidate fitted on the training rows, ranked by validation MAE with early
 * stopping; keeps the winner's booster (cand_b), index and round count. */
static int run_search(train_run_t *r, gf_err_t *err)
{
    r->t_train = now_mono();
    int ncand = candidates(r->cfg, r->cand, 8);
    double best_score = INFINITY;
    r->best_i = -1;
    for (int i = 0; i < ncand; i++) {
        BoosterHandle bh = NULL;
        int rounds = 0, rc;
        double score = NAN;
        if (prog_stage(&r->pg, "search", i + 1, ncand))
            return cancelled(err);
        if ((rc = trn_xgb_fit_hook(&r->tr, &r->va, &r->cand[i], r->cfg->patience, prog_round,
                                   &r->pg, &bh, &rounds, &score, err)))
            return rc;
        json_t *pj = trn_xgb_params_to_json(&r->cand[i]);
        json_array_append_new(r->out->search,
                              json_pack("{s:o, s:f, s:i}", "params", pj, "val_mae",
                                        isfinite(score) ? score : -1.0, "rounds", rounds));
        if (score < best_score) {
            best_score = score;
            r->best_i = i;
            r->best_rounds = rounds;
            XGBoosterFree(r->cand_b);
            r->cand_b = bh;
        } else {
            XGBoosterFree(bh);
        }
    }
    if (r->best_i < 0)
        return gf_err_set(err, GF_EINTERNAL, "search_failed", "no candidate could be scored");
    r->out->params = r->cand[r->best_i];
    r->out->val_mae = best_score;
    return 0;
}

/* Rounds for a fit on `rows` rows when `rounds` were chosen on `chosen_rows` (at least 1). */
static int scaled_rounds(int rounds, size_t rows, size_t chosen_rows)
{
    long n = lround(rounds * (double)rows / (double)(chosen_rows ? chosen_rows : 1));
    return n < 1 ? 1 : (int)n;
}

/* Calibration residuals (all out of sample): cross-fitted blocks of the year before the
 * validation window and the chosen candidate on the validation days; the backtest days are
 * added by run_intervals. */
static int run_calibration(train_run_t *r, gf_err_t *err)
{
    int rc;
    if ((rc = calib_cross_fit(&r->b, r->cfg, &r->cand[r->best_i], r->best_rounds, r->tr.nrow,
                              r->first, r->val_start, &r->pg, &r->cal, &r->rec, err)))
        return rc;
    r->out->n_cal_cross = r->cal.n;
    if ((rc = calib_append(r->out->spec, r->cand_b, &r->va, &r->cal, err)))
        return rc;
    r->out->n_cal_val = r->cal.n - r->out->n_cal_cross;
    return rec_collect(&r->b, r->cand_b, r->val_start, r->test_start, &r->rec, err);
}

/* Refit the winner on train + val, rounds scaled with the data: the backtested model. */
static int run_refit(train_run_t *r, gf_err_t *err)
{
    int rc;
    r->rp = r->cand[r->best_i];
    r->rp.max_rounds = scaled_rounds(r->best_rounds, r->ref.nrow, r->tr.nrow);
    if (prog_stage(&r->pg, "refit", 0, 0))
        return cancelled(err);
    if ((rc = trn_xgb_fit_hook(&r->ref, NULL, &r->rp, 0, prog_round, &r->pg, &r->best_b, NULL, NULL,
                               err)))
        return rc;
    r->out->rounds = r->rp.max_rounds;
    r->out->train_seconds = now_mono() - r->t_train;
    return 0;
}

/* Backtest: one forecast per test day issued at the origin; the model, both baselines, the
 * actuals and the common skip mask, hour by hour. */
static int run_backtest(train_run_t *r, gf_err_t *err)
{
    const int H = r->H;
    const gf_feat_series_t *s = &r->d->series;
    if (prog_stage(&r->pg, "backtest", 0, 0))
        return cancelled(err);
    r->ndays = (size_t)((r->test_end - r->test_start) / DAY + 1);
    r->nh = r->ndays * (size_t)H;
    r->pred = gf_xmalloc(r->nh * sizeof *r->pred);
    r->act = gf_xmalloc(r->nh * sizeof *r->act);
    r->nd = gf_xmalloc(r->nh * sizeof *r->nd);
    r->nw = gf_xmalloc(r->nh * sizeof *r->nw);
    r->scl = gf_xmalloc(r->nh * sizeof *r->scl);
    r->skip = gf_xcalloc(r->nh, 1);
    trn_predictor_t pr;
    trn_predictor_init(&pr, r->out->spec, H);
    int rc = 0;
    for (size_t di = 0; di < r->ndays && rc == 0; di++) {
        int64_t o = r->test_start + (int64_t)di * DAY;
        double scale;
        double t0 = now_mono();
        int brc = trn_predict_origin(&pr, r->best_b, s, o, r->pred + di * (size_t)H, &scale, err);
        r->b.seconds += now_mono() - t0;
        r->b.rows += (size_t)H;
        if (brc != 0 && brc != GF_EUNPROCESSABLE) {
            rc = brc;
            break;
        }
        for (int h = 1; h <= H; h++) {
            size_t j = di * (size_t)H + (size_t)(h - 1);
            int64_t t = o + 3600 * (int64_t)(h - 1);
            long k = gf_feat_series_index(s, t);
            long k1 = gf_feat_series_index(s, t - DAY), k7 = gf_feat_series_index(s, t - 7 * DAY);
            r->act[j] = k >= 0 ? s->demand[k] : NAN;
            r->nd[j] = k1 >= 0 ? s->demand[k1] : NAN;
            r->nw[j] = k7 >= 0 ? s->demand[k7] : NAN;
            r->scl[j] = scale;
            r->skip[j] = k < 0 || r->d->imputed[k] || isnan(r->act[j]) || isnan(r->nd[j]) ||
                         isnan(r->nw[j]) || isnan(r->pred[j]);
            if (r->skip[j])
                r->out->n_test_skipped++;
        }
    }
    trn_predictor_cleanup(&pr);
    r->out->rec_n_before_test = r->rec.n;
    if (rc == 0)
        rc = rec_collect(&r->b, r->best_b, r->test_start, r->test_end + 1, &r->rec, err);
    return rc;
}

/* Scores of the model and both baselines on the same hours, overall and by horizon. */
static void run_scores(train_run_t *r)
{
    trn_result_t *out = r->out;
    const int H = r->H;
    out->test_from = r->test_start;
    out->test_to = r->test_end + 3600 * (int64_t)(H - 1);
    out->n_test_hours = r->nh - out->n_test_skipped;
    trn_metrics_compute(r->act, r->pred, r->skip, r->nh, &out->m_model);
    trn_metrics_compute(r->act, r->nd, r->skip, r->nh, &out->m_naive_day);
    trn_metrics_compute(r->act, r->nw, r->skip, r->nh, &out->m_naive_week);
    out->m_by_horizon = gf_xcalloc((size_t)H, sizeof *out->m_by_horizon);
    double *ha = gf_xmalloc(r->ndays * sizeof *ha), *hp = gf_xmalloc(r->ndays * sizeof *hp);
    unsigned char *hs = gf_xmalloc(r->ndays);
    for (int h = 0; h < H; h++) {
        for (size_t di = 0; di < r->ndays; di++) {
            size_t j = di * (size_t)H + (size_t)h;
            ha[di] = r->act[j];
            hp[di] = r->pred[j];
            hs[di] = r->skip[j];
        }
        trn_metrics_compute(ha, hp, hs, r->ndays, &out->m_by_horizon[h]);
    }
    free(ha);
    free(hp);
    free(hs);
}

/* Intervals: the table calibrated without the backtest residuals is checked on the backtest
 * hours (out of sample for the calibration too), next to the former per-horizon 28-day table;
 * the stored table then uses every out-of-sample residual of the run. */
static void run_intervals(train_run_t *r)
{
    trn_result_t *out = r->out;
    calib_set_t *cal = &r->cal;
    const int H = r->H;
    double qv[GF_FEAT_MAX_HORIZON * TRN_NQ], qo[GF_FEAT_MAX_HORIZON * TRN_NQ];
    calib_old_style(cal->res, cal->hz, cal->n, 28, H, qo);
    gf_feat_calib_quantiles(cal->res, cal->hz, cal->n, H, TRN_CALIB_POOL, trn_quantile_levels,
                            TRN_NQ, TRN_CALIB_MIN_N, qv);
    size_t base = cal->n;
    for (size_t j = 0; j < r->nh; j++)
        if (!r->skip[j])
            trn_resid_push(cal, (r->act[j] - r->pred[j]) / r->scl[j], (int)(j % (size_t)H) + 1,
                           r->scl[j],
                           r->test_start + (int64_t)(j / (size_t)H) * DAY +
                               3600 * (int64_t)(j % (size_t)H));
    size_t lo = 1, hi = 5; /* levels 0.10 and 0.90 */
    out->iv_test_n = gf_feat_calib_coverage(qv, H, TRN_NQ, lo, hi, cal->res + base, cal->hz + base,
                                            cal->scl + base, cal->n - base, &out->iv_test_coverage,
                                            &out->iv_test_width);
    gf_feat_calib_coverage(qo, H, TRN_NQ, lo, hi, cal->res + base, cal->hz + base, cal->scl + base,
                           cal->n - base, &out->iv_old_coverage, &out->iv_old_width);
    out->n_cal = cal->n;
    out->resid_q = gf_xcalloc((size_t)H * TRN_NQ, sizeof *out->resid_q);
    gf_feat_calib_quantiles(cal->res, cal->hz, cal->n, H, TRN_CALIB_POOL, trn_quantile_levels,
                            TRN_NQ, TRN_CALIB_MIN_N, out->resid_q);
    /* recursive leads: the same method on the recursive residuals, over horizons 1..H*B of
     * which only the leads past H have any */
    const int NR = H * TRN_REC_BLOCKS;
    calib_set_t *rc_ = &r->rec;
    size_t rb = out->rec_n_before_test;
    double *qr = gf_xmalloc((size_t)NR * TRN_NQ * sizeof *qr);
    gf_feat_calib_quantiles(rc_->res, rc_->hz, rb, NR, TRN_CALIB_POOL, trn_quantile_levels, TRN_NQ,
                            TRN_CALIB_MIN_N, qr);
    out->iv_rec_n = gf_feat_calib_coverage(qr, NR, TRN_NQ, lo, hi, rc_->res + rb, rc_->hz + rb,
                                           rc_->scl + rb, rc_->n - rb, &out->iv_rec_coverage,
                                           &out->iv_rec_width);
    gf_feat_calib_quantiles(rc_->res, rc_->hz, rc_->n, NR, TRN_CALIB_POOL, trn_quantile_levels,
                            TRN_NQ, TRN_CALIB_MIN_N, qr);
    out->n_cal_rec = rc_->n;
    out->resid_q_rec = gf_xmalloc((size_t)(NR - H) * TRN_NQ * sizeof *out->resid_q_rec);
    memcpy(out->resid_q_rec, qr + (size_t)H * TRN_NQ,
           (size_t)(NR - H) * TRN_NQ * sizeof *out->resid_q_rec);
    free(qr);
    out->rec_res = rc_->res;
    out->rec_hz = rc_->hz;
    rc_->res = NULL;
    rc_->hz = NULL;
    /* the pool, for callers that calibrate again (trn-backtest) */
    out->cal_res = cal->res;
    out->cal_hz = cal->hz;
    out->cal_n_before_test = base;
    cal->res = NULL;
    cal->hz = NULL;
}

/* The stored model (the backtested refit) and the hour-by-hour backtest for the champion. */
static int run_save(train_run_t *r, gf_err_t *err)
{
    trn_result_t *out = r->out;
    int rc;
    out->train_from = r->first;
    out->train_to = r->test_start - 3600;
    out->fit_stride_h = r->cfg->train_stride_h;
    if (prog_stage(&r->pg, "save", 0, 0))
        return cancelled(err);
    if ((rc = trn_xgb_save(r->best_b, out->model_format, &out->model, &out->model_len, err)))
        return rc;
    out->test_pred = r->pred;
    out->test_skip = r->skip;
    out->test_n = r->nh;
    r->pred = NULL;
    r->skip = NULL;
    return 0;
}

static void run_cleanup(train_run_t *r)
{
    r->out->feature_seconds = r->b.seconds;
    r->out->feature_rows = r->b.rows;
    if (r->best_b)
        XGBoosterFree(r->best_b);
    if (r->cand_b)
        XGBoosterFree(r->cand_b);
    calib_set_cleanup(&r->cal);
    calib_set_cleanup(&r->rec);
    trn_matrix_cleanup(&r->tr);
    trn_matrix_cleanup(&r->va);
    trn_matrix_cleanup(&r->ref);
    free(r->b.buf);
    free(r->pred);
    free(r->act);
    free(r->nd);
    free(r->nw);
    free(r->scl);
    free(r->skip);
}

int trn_train_region(const trn_data_t *d, const trn_config_t *cfg, trn_result_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->region, sizeof out->region, "%s", d->region);
    out->horizon = cfg->horizon;
    snprintf(out->model_format, sizeof out->model_format, "%s",
             cfg->model_format ? cfg->model_format : "ubj");
    out->search = json_array();
    train_run_t r = {.d = d, .cfg = cfg, .out = out, .pg = {.cfg = cfg}, .H = cfg->horizon};
    int rc = run_layout(&r, err);
    if (rc == 0) {
        trn_matrix_init(&r.tr, r.nc);
        trn_matrix_init(&r.va, r.nc);
        trn_matrix_init(&r.ref, r.nc);
    }
    if (rc == 0 && (rc = run_rows(&r, err)) == 0 && (rc = run_search(&r, err)) == 0 &&
        (rc = run_calibration(&r, err)) == 0 && (rc = run_refit(&r, err)) == 0 &&
        (rc = run_backtest(&r, err)) == 0) {
        run_scores(&r);
        run_intervals(&r);
        rc = run_save(&r, err);
    }
    run_cleanup(&r);
    return rc;
}

/* ------------------------------------------------------------------ refits, prediction */

int trn_fit_until(const trn_data_t *d, const trn_config_t *cfg, const trn_result_t *res,
                  int64_t cut, BoosterHandle *out, int *rounds, size_t *rows, gf_err_t *err)
{
    *out = NULL;
    if (res->spec == NULL || res->n_train_rows == 0 || res->rounds < 1)
        return gf_err_set(err, GF_EINVAL, "bad_refit", "nothing trained to refit");
    const int H = res->horizon;
    const int64_t issue = res->train_from - floor_div(res->train_from, DAY) * DAY;
    /* origins whose every horizon ends before the cut */
    int64_t last_origin = floor_div(cut - 1 - 3600 * (int64_t)(H - 1) - issue, DAY) * DAY + issue;
    size_t nc = gf_feat_spec_ncols(res->spec);
    builder_t b = {.spec = res->spec,
                   .d = d,
                   .horizon = H,
                   .halflife_s = cfg->recency_halflife_days * 86400.0};
    b.buf = gf_xmalloc((size_t)H * nc * sizeof *b.buf);
    trn_matrix_t full;
    trn_matrix_init(&full, nc);
    prog_t pg = {.cfg = cfg, .p = {.stage = "final_refit"}};
    int stride_h = res->fit_stride_h > 0 ? res->fit_stride_h : cfg->train_stride_h;
    rows_for_fit(&b, cut);
    int rc = build_rows(&b, res->train_from, last_origin + 1, 3600 * (int64_t)stride_h, cut, &full,
                        err);
    trn_xgb_params_t fp = res->params;
    fp.nthread = cfg->nthread;
    fp.max_rounds = scaled_rounds(res->rounds, full.nrow, res->n_train_rows);
    if (rc == 0 &&
        (rc = trn_xgb_fit_hook(&full, NULL, &fp, 0, prog_round, &pg, out, NULL, NULL, err)) == 0) {
        *rounds = fp.max_rounds;
        *rows = full.nrow;
    }
    trn_matrix_cleanup(&full);
    free(b.buf);
    return rc;
}

int trn_refit_full(const trn_data_t *d, const trn_config_t *cfg, trn_result_t *res, gf_err_t *err)
{
    if (res->spec == NULL || res->model == NULL || res->n_train_rows == 0 || res->rounds < 1)
        return gf_err_set(err, GF_EINVAL, "bad_refit", "nothing trained to refit");
    int64_t t_last = last_value_stamp(d);
    if (t_last == INT64_MIN || t_last <= res->train_to)
        return 0; /* nothing newer than the evaluated model saw: it is the refit */
    prog_t pg = {.cfg = cfg};
    if (prog_stage(&pg, "final_refit", 0, 0))
        return cancelled(err);
    BoosterHandle bh = NULL;
    unsigned char *model = NULL;
    size_t len = 0, rows = 0;
    int rounds = 0;
    double t0 = now_mono();
    int rc = trn_fit_until(d, cfg, res, t_last + 1, &bh, &rounds, &rows, err);
    if (rc == 0 && rows > res->n_train_rows &&
        (rc = trn_xgb_save(bh, res->model_format, &model, &len, err)) == 0) {
        res->refit = 1;
        res->eval_rounds = res->rounds;
        res->eval_train_to = res->train_to;
        res->eval_rows = res->n_train_rows;
        free(res->model);
        res->model = model;
        res->model_len = len;
        res->rounds = rounds;
        res->n_train_rows = rows;
        res->train_to = t_last;
        res->refit_seconds = now_mono() - t0;
    }
    if (bh)
        XGBoosterFree(bh);
    return rc;
}

void trn_predictor_init(trn_predictor_t *p, const gf_feat_spec_t *spec, int horizon)
{
    p->spec = spec;
    p->horizon = horizon;
    p->nc = gf_feat_spec_ncols(spec);
    p->buf = gf_xmalloc((size_t)horizon * p->nc * sizeof *p->buf);
    p->fx = gf_xmalloc((size_t)horizon * p->nc * sizeof *p->fx);
    p->py = gf_xmalloc((size_t)horizon * sizeof *p->py);
}

void trn_predictor_cleanup(trn_predictor_t *p)
{
    free(p->buf);
    free(p->fx);
    free(p->py);
    memset(p, 0, sizeof *p);
}

int trn_predict_origin(trn_predictor_t *p, BoosterHandle b, const gf_feat_series_t *s,
                       int64_t origin, double *mw, double *scale, gf_err_t *err)
{
    const int H = p->horizon;
    gf_err_t e = {0};
    *scale = NAN;
    for (int h = 0; h < H; h++)
        mw[h] = NAN;
    int rc = gf_feat_build(p->spec, s, origin, 1, H, p->buf, scale, &e);
    if (rc != 0) {
        if (rc != GF_EUNPROCESSABLE)
            gf_err_set(err, e.rc, e.code, "%s", e.message);
        gf_err_cleanup(&e);
        return rc;
    }
    for (size_t i = 0; i < (size_t)H * p->nc; i++)
        p->fx[i] = (float)p->buf[i];
    if ((rc = trn_xgb_predict(b, p->fx, (size_t)H, p->nc, p->py, err)) != 0)
        return rc;
    for (int h = 0; h < H; h++)
        mw[h] = p->py[h] * *scale;
    return 0;
}

int trn_predict_recursive(trn_predictor_t *p, BoosterHandle b, const gf_feat_series_t *s,
                          int64_t origin, int blocks, double *mw, double *scale, gf_err_t *err)
{
    const int H = p->horizon;
    for (int k = 0; k < blocks * H; k++)
        mw[k] = scale[k] = NAN;
    gf_feat_series_t known = gf_feat_series_until(s, origin), w = {0};
    if (known.n == 0 || known.t0 > origin)
        return GF_EUNPROCESSABLE;
    size_t base = (size_t)((origin - known.t0) / 3600);
    int rc = gf_feat_series_alloc(&w, known.t0, base + (size_t)(blocks * H), known.temp != NULL,
                                  err);
    if (rc)
        return rc;
    memcpy(w.demand, known.demand, known.n * sizeof *w.demand);
    if (known.temp)
        memcpy(w.temp, known.temp, known.n * sizeof *w.temp);
    /* temperature forecasts as the forecast service reads them: issued before the real origin */
    w.tfc = s->tfc;
    w.tfc_asof = origin;
    w.obs_as_forecast = s->obs_as_forecast;
    for (int c = 0; c < blocks; c++) {
        double sc;
        rc = trn_predict_origin(p, b, &w, origin + 3600 * (int64_t)(c * H), mw + c * H, &sc, err);
        if (rc == GF_EUNPROCESSABLE && c > 0) {
            rc = 0; /* later blocks stay NaN */
            break;
        }
        if (rc)
            break;
        for (int h = 0; h < H; h++) {
            scale[c * H + h] = sc;
            w.demand[base + (size_t)(c * H + h)] = mw[c * H + h];
        }
    }
    gf_feat_series_cleanup(&w);
    return rc;
}

/* ------------------------------------------------------------------ JSON */

void trn_stamp_fmt(int64_t t, char *buf, size_t len)
{
    int y, m, d;
    int64_t days = floor_div(t, 86400), sod = t - days * 86400;
    gf_feat_civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(sod / 3600),
             (int)(sod % 3600 / 60), (int)(sod % 60));
}

static json_t *stamp_json(int64_t t)
{
    char buf[32];
    trn_stamp_fmt(t, buf, sizeof buf);
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
    char *out = gf_xmalloc((len + 2) / 3 * 4 + 1);
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

/* n rows of TRN_NQ quantiles (null where NaN). */
static json_t *q_rows(const double *q, int n)
{
    json_t *rows = json_array();
    for (int h = 0; h < n; h++) {
        json_t *row = json_array();
        for (int k = 0; k < TRN_NQ; k++) {
            double x = q[h * TRN_NQ + k];
            json_array_append_new(row, isfinite(x) ? json_real(x) : json_null());
        }
        json_array_append_new(rows, row);
    }
    return rows;
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
    json_object_set_new(params, "val_mae",
                        isfinite(r->val_mae) ? json_real(r->val_mae) : json_null());
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
    if (r->resid_q) {
        json_decref(qh);
        qh = q_rows(r->resid_q, r->horizon);
    }
    json_t *rq = json_pack("{s:s, s:o, s:o}", "units", "model_output", "levels", lv, "by_horizon",
                           qh);
    if (r->resid_q_rec)
        json_object_set_new(rq, "recursive_by_lead",
                            q_rows(r->resid_q_rec, r->horizon * (TRN_REC_BLOCKS - 1)));
    json_object_set_new(m, "residual_quantiles", rq);
    json_object_set_new(m, "intervals",
                        json_pack("{s:s, s:i, s:I, s:I, s:I, s:o, s:o, s:I, s:o, s:o}", "method",
                                  "split_conformal", "pool_hours", TRN_CALIB_POOL,
                                  "calibration_residuals", (json_int_t)r->n_cal,
                                  "cross_fitted_residuals", (json_int_t)r->n_cal_cross,
                                  "validation_residuals", (json_int_t)r->n_cal_val,
                                  "test_coverage_p10_p90", num_or_null(r->iv_test_coverage),
                                  "test_mean_width_p10_p90", num_or_null(r->iv_test_width),
                                  "test_hours", (json_int_t)r->iv_test_n,
                                  "per_horizon_28d_coverage_p10_p90",
                                  num_or_null(r->iv_old_coverage),
                                  "per_horizon_28d_mean_width_p10_p90",
                                  num_or_null(r->iv_old_width)));
    json_object_set_new(json_object_get(m, "intervals"), "recursive",
                        json_pack("{s:i, s:I, s:o, s:o, s:I}", "leads_from", r->horizon + 1,
                                  "calibration_residuals", (json_int_t)r->n_cal_rec,
                                  "test_coverage_p10_p90", num_or_null(r->iv_rec_coverage),
                                  "test_mean_width_p10_p90", num_or_null(r->iv_rec_width),
                                  "test_hours", (json_int_t)r->iv_rec_n));
    json_object_set_new(j, "metrics", m);
    json_object_set_new(j, "train_range", range_json(r->train_from, r->train_to));
    if (r->refit)
        json_object_set_new(j, "refit",
                            json_pack("{s:i, s:i, s:I, s:I, s:o, s:o, s:f}", "rounds", r->rounds,
                                      "evaluated_rounds", r->eval_rounds, "rows",
                                      (json_int_t)r->n_train_rows, "evaluated_rows",
                                      (json_int_t)r->eval_rows, "data_to", stamp_json(r->train_to),
                                      "evaluated_data_to", stamp_json(r->eval_train_to), "seconds",
                                      r->refit_seconds));
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
    free(r->cal_res);
    free(r->cal_hz);
    free(r->rec_res);
    free(r->rec_hz);
    free(r->resid_q_rec);
    json_decref(r->search);
    memset(r, 0, sizeof *r);
}
