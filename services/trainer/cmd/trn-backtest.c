/*
 * trn-backtest - rolling-origin backtest of the day-ahead models over the last full year of
 * the bundled history, refitted as the scheduled retraining does.
 *
 *   build/bin/trn-backtest [-d DATA_DIR] [-r R1,R2,...] [-y DAYS] [-w REFIT_DAYS] [-t NTHREAD]
 *                          [-n] [-W HALF_LIFE_DAYS] [-c CALIB_DAYS] [-F FEATURE,...]
 *                          [-j OUT_DIR] [-T TEMP]
 *
 * Per region (default: the seven ISOs and NYC):
 *   1. The year = the last DAYS (364) full UTC days of the data. The trainer's own run
 *      (trn_train_region: parameter search, calibration cross-fits, refit) is made on the data
 *      before it, and backtests that model, never refitted, over the whole year: the "fixed"
 *      column (a model trained once, the situation before scheduled retraining).
 *   2. Every REFIT_DAYS (7) from the start of the year the model is refitted on every hour
 *      before that day (trn_fit_until: the chosen parameters, the round count scaled to the
 *      rows; what a promoted scheduled run serves, see trn_refit_full), and forecasts each of
 *      the next REFIT_DAYS days at 00:00 UTC for hours 1..24 from the data known then.
 *   3. Intervals: before each refit's week the split-conformal table (features/calib.h,
 *      horizons pooled +-2) is rebuilt from the most recent CALIB_DAYS (364) days of
 *      out-of-sample residuals: the trainer's calibration pool from before the year, then
 *      the backtest's own resolved forecasts. Coverage of p10-p90 and mean width in MW on the
 *      year's hours, which neither the model nor the table saw.
 * MAPE is reported for the whole year and for its two halves: design choices are made on the
 * first half (H1), the second half (H2) is the report. Hours imputed upstream or without a
 * same-hour-yesterday / last-week value are skipped for every column alike.
 *
 * -n skips the parameter search (default parameters), -W weights every fit's rows by recency
 * (trn_config_t.recency_halflife_days), -F appends features to the default spec, -j writes one JSON
 * per region (per-horizon coverage, per-refit rounds). Faster iteration: -w 28 (13 refits instead
 * of 52) and/or -r with a few regions. -T picks the temperature inputs as trn-bench -w does (none,
 * past = as loaded, obs, fc:SIGMA; trn_weather.h). nthread defaults to 1. Re-executes itself once
 * with OMP_WAIT_POLICY=passive (see xgb/xgb.h).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../trn_data.h"
#include "../trn_metrics.h"
#include "../trn_train.h"
#include "../trn_weather.h"
#include "../trn_xgb.h"
#include "core/util.h"
#include "features/calib.h"
#include "xgb/xgb.h"

#define DAY ((int64_t)86400)

typedef struct opts {
    const char *dir, *json_dir, *temp_mode;
    int days, refit_days, calib_days;
    trn_config_t cfg;
} opts_t;

/* Direct-interval calibration variants scored side by side on the same forecasts (the first
 * is the trainer's): horizons pooled +-pool, the most recent `days` of residuals. */
static const struct {
    int pool, days;
} variants[] = {{TRN_CALIB_POOL, 364}, {0, 364}, {TRN_CALIB_POOL, 91}, {TRN_CALIB_POOL, 182}};
#define NVAR (sizeof variants / sizeof variants[0])

/* The year's backtest, hour by hour (origin-major, 24 per day from y0). */
typedef struct year {
    int64_t y0;
    size_t ndays, n;
    double *act, *fixed, *weekly, *lo, *hi, *scl;
    unsigned char *skip;
    int fits;
    json_t *refits;
    /* recursive leads, by day block (block 0 unused): hours scored, covered, width sum MW */
    double rec_n[TRN_REC_BLOCKS], rec_in[TRN_REC_BLOCKS], rec_width[TRN_REC_BLOCKS];
    /* the same hours under the former rule: the direct row of the hour in its block widened
     * by sqrt(block) */
    double old_in[TRN_REC_BLOCKS], old_width[TRN_REC_BLOCKS];
    /* calibration variants, by half of the year and horizon: hours, covered, width sum MW */
    double var_n[NVAR][2][24], var_in[NVAR][2][24], var_w[NVAR][2][24];
} year_t;

/* Split-conformal table (H rows) from the pool's residuals of hours before `cut`, the most
 * recent `keep` of them. */
static void pool_table(const trn_resid_set_t *p, int64_t cut, size_t keep, int H, int pool,
                       double *q)
{
    trn_resid_set_t f = {0};
    for (size_t i = 0; i < p->n; i++)
        if (p->t[i] < cut)
            trn_resid_push(&f, p->res[i], p->hz[i], 1, p->t[i]);
    size_t from = f.n > keep ? f.n - keep : 0;
    gf_feat_calib_quantiles(f.res + from, f.hz + from, f.n - from, H, pool, trn_quantile_levels,
                            TRN_NQ, TRN_CALIB_MIN_N, q);
    trn_resid_cleanup(&f);
}

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void year_alloc(year_t *y, int64_t y0, size_t ndays)
{
    memset(y, 0, sizeof *y);
    y->y0 = y0;
    y->ndays = ndays;
    y->n = ndays * 24;
    y->act = gf_xmalloc(y->n * sizeof *y->act);
    y->fixed = gf_xmalloc(y->n * sizeof *y->fixed);
    y->weekly = gf_xmalloc(y->n * sizeof *y->weekly);
    y->lo = gf_xmalloc(y->n * sizeof *y->lo);
    y->hi = gf_xmalloc(y->n * sizeof *y->hi);
    y->scl = gf_xmalloc(y->n * sizeof *y->scl);
    y->skip = gf_xmalloc(y->n);
    y->refits = json_array();
}

static void year_free(year_t *y)
{
    free(y->act);
    free(y->fixed);
    free(y->weekly);
    free(y->lo);
    free(y->hi);
    free(y->scl);
    free(y->skip);
    json_decref(y->refits);
}

/* Weekly refits and forecasts over the year (steps 2 and 3 above), with the recursive leads
 * 25..168 of every forecast scored for coverage (y->rec_*). */
static int run_weeks(const opts_t *o, const trn_data_t *d, const trn_result_t *res, year_t *y,
                     gf_err_t *err)
{
    enum { H = 24, NR = H * TRN_REC_BLOCKS };
    const gf_feat_series_t *s = &d->series;
    trn_resid_set_t pool = {0}, rpool = {0};
    for (size_t i = 0; i < res->cal_n_before_test; i++)
        trn_resid_push(&pool, res->cal_res[i], res->cal_hz[i], 1, INT64_MIN);
    for (size_t i = 0; i < res->rec_n_before_test; i++)
        trn_resid_push(&rpool, res->rec_res[i], res->rec_hz[i], 1, INT64_MIN);
    trn_predictor_t pr;
    trn_predictor_init(&pr, res->spec, H);
    double q[H * TRN_NQ], qr[NR * TRN_NQ], mw[NR], sc[NR], qv[NVAR][H * TRN_NQ];
    const size_t keep = (size_t)o->calib_days * H;
    int rc = 0;
    for (size_t w0 = 0; w0 < y->ndays && rc == 0; w0 += (size_t)o->refit_days) {
        int64_t cut = y->y0 + (int64_t)w0 * DAY;
        BoosterHandle b = NULL;
        int rounds = res->rounds;
        size_t rows = res->n_train_rows;
        double t0 = now_mono();
        if (w0 == 0) /* the trainer's model was fitted on everything before the year */
            rc = trn_xgb_load(res->model, res->model_len, &b, err);
        else
            rc = trn_fit_until(d, &o->cfg, res, cut, &b, &rounds, &rows, err);
        if (rc)
            break;
        y->fits++;
        json_array_append_new(y->refits, json_pack("{s:I, s:i, s:I, s:f}", "cut", (json_int_t)cut,
                                                   "rounds", rounds, "rows", (json_int_t)rows,
                                                   "seconds", now_mono() - t0));
        /* tables from the out-of-sample residuals of hours before the refit */
        pool_table(&pool, cut, keep, H, TRN_CALIB_POOL, q);
        pool_table(&rpool, cut, keep * (TRN_REC_BLOCKS - 1), NR, TRN_CALIB_POOL, qr);
        for (size_t v = 0; v < NVAR; v++)
            pool_table(&pool, cut, (size_t)variants[v].days * H, H, variants[v].pool, qv[v]);
        size_t w1 = w0 + (size_t)o->refit_days < y->ndays ? w0 + (size_t)o->refit_days : y->ndays;
        for (size_t di = w0; di < w1 && rc == 0; di++) {
            int64_t org = y->y0 + (int64_t)di * DAY;
            int prc = trn_predict_recursive(&pr, b, s, org, TRN_REC_BLOCKS, mw, sc, err);
            if (prc != 0 && prc != GF_EUNPROCESSABLE) {
                rc = prc;
                break;
            }
            for (int k = 0; k < NR; k++) {
                long i = gf_feat_series_index(s, org + 3600 * (int64_t)k);
                double act = i >= 0 && !d->imputed[i] ? s->demand[i] : NAN;
                double lo = mw[k] + q[(k < H ? k : 0) * TRN_NQ + 1] * sc[k];
                double hi = mw[k] + q[(k < H ? k : 0) * TRN_NQ + 5] * sc[k];
                if (k >= H) {
                    lo = mw[k] + qr[k * TRN_NQ + 1] * sc[k];
                    hi = mw[k] + qr[k * TRN_NQ + 5] * sc[k];
                }
                if (isfinite(act) && isfinite(mw[k]))
                    trn_resid_push(k < H ? &pool : &rpool, (act - mw[k]) / sc[k], k + 1, sc[k],
                                   org + 3600 * (int64_t)k);
                if (k < H) {
                    size_t j = di * H + (size_t)k;
                    y->weekly[j] = mw[k];
                    y->scl[j] = sc[k];
                    y->lo[j] = lo;
                    int half = di >= y->ndays / 2;
                    for (size_t v = 0; isfinite(act) && isfinite(mw[k]) && v < NVAR; v++) {
                        double vl = mw[k] + qv[v][k * TRN_NQ + 1] * sc[k],
                               vh = mw[k] + qv[v][k * TRN_NQ + 5] * sc[k];
                        if (!isfinite(vl) || !isfinite(vh))
                            continue;
                        y->var_n[v][half][k]++;
                        y->var_in[v][half][k] += act >= vl && act <= vh;
                        y->var_w[v][half][k] += vh - vl;
                    }
                    y->hi[j] = hi;
                } else if (isfinite(act) && isfinite(lo) && isfinite(hi)) {
                    int in = act >= lo && act <= hi, blk = k / H;
                    y->rec_n[blk]++;
                    y->rec_in[blk] += in;
                    y->rec_width[blk] += hi - lo;
                    double wd = sqrt((double)(blk + 1)),
                           ol = mw[k] + q[(k % H) * TRN_NQ + 1] * sc[k] * wd,
                           oh = mw[k] + q[(k % H) * TRN_NQ + 5] * sc[k] * wd;
                    y->old_in[blk] += act >= ol && act <= oh;
                    y->old_width[blk] += oh - ol;
                }
            }
        }
        XGBoosterFree(b);
    }
    trn_predictor_cleanup(&pr);
    trn_resid_cleanup(&pool);
    trn_resid_cleanup(&rpool);
    return rc;
}

/* MAPE of pred over origins [d0, d1) of the year, on the hours every column scored. */
static double mape_days(const year_t *y, const double *pred, size_t d0, size_t d1)
{
    trn_metrics_t m;
    trn_metrics_compute(y->act + d0 * 24, pred + d0 * 24, y->skip + d0 * 24, (d1 - d0) * 24, &m);
    return m.mape;
}

static int backtest_region(const opts_t *o, const char *region, json_t **out, gf_err_t *err)
{
    trn_data_t d;
    trn_result_t res;
    year_t y;
    memset(&d, 0, sizeof d);
    memset(&res, 0, sizeof res);
    memset(&y, 0, sizeof y);
    double t0 = now_mono();
    int rc = trn_data_load_bundled(&d, o->dir, region, err);
    if (rc)
        goto out;
    trn_data_temp_mode(&d, o->temp_mode, o->cfg.issue_hour_utc);
    int64_t t_last = INT64_MIN;
    for (size_t i = d.series.n; i > 0 && t_last == INT64_MIN; i--)
        if (!isnan(d.series.demand[i - 1]))
            t_last = d.series.t0 + 3600 * (int64_t)(i - 1);
    int64_t last_origin = (t_last - 23 * 3600) / DAY * DAY;
    trn_config_t cfg = o->cfg;
    cfg.test_days = o->days;
    cfg.test_start = last_origin - (int64_t)(o->days - 1) * DAY;
    if ((rc = trn_train_region(&d, &cfg, &res, err)))
        goto out;
    year_alloc(&y, res.test_from, res.test_n / 24);
    for (size_t j = 0; j < y.n; j++) {
        long k = gf_feat_series_index(&d.series,
                                      y.y0 + (int64_t)(j / 24) * DAY + 3600 * (int64_t)(j % 24));
        y.act[j] = k >= 0 ? d.series.demand[k] : NAN;
        y.fixed[j] = res.test_pred[j];
        y.skip[j] = res.test_skip[j];
    }
    double t1 = now_mono();
    if ((rc = run_weeks(o, &d, &res, &y, err)))
        goto out;
    double t_weeks = now_mono() - t1;
    /* every column on the same hours */
    size_t n_cov = 0, n_in = 0;
    double width = 0, cov_h[24] = {0}, n_h[24] = {0};
    for (size_t j = 0; j < y.n; j++) {
        if (!isfinite(y.weekly[j]) || !isfinite(y.fixed[j]))
            y.skip[j] = 1;
        if (y.skip[j] || !isfinite(y.lo[j]) || !isfinite(y.hi[j]))
            continue;
        int in = y.act[j] >= y.lo[j] && y.act[j] <= y.hi[j];
        n_cov++;
        n_in += (size_t)in;
        width += y.hi[j] - y.lo[j];
        cov_h[j % 24] += in;
        n_h[j % 24]++;
    }
    double *naive = gf_xmalloc(y.n * sizeof *naive);
    for (size_t j = 0; j < y.n; j++) {
        long k = gf_feat_series_index(&d.series, y.y0 + (int64_t)(j / 24) * DAY +
                                                     3600 * (int64_t)(j % 24) - DAY);
        naive[j] = k >= 0 ? d.series.demand[k] : NAN;
    }
    size_t half = y.ndays / 2;
    trn_metrics_t mw;
    trn_metrics_compute(y.act, y.weekly, y.skip, y.n, &mw);
    double cov = n_cov ? (double)n_in / (double)n_cov : NAN, wid = n_cov ? width / n_cov : NAN;
    double hmin = 1, hmax = 0;
    json_t *jh = json_array();
    for (int h = 0; h < 24; h++) {
        double c = n_h[h] > 0 ? cov_h[h] / n_h[h] : NAN;
        json_array_append_new(jh, json_real(c));
        if (c < hmin)
            hmin = c;
        if (c > hmax)
            hmax = c;
    }
    double rn = 0, rin = 0, rw = 0, oin = 0, ow = 0;
    json_t *jr = json_array();
    for (int c = 1; c < TRN_REC_BLOCKS; c++) {
        rn += y.rec_n[c];
        rin += y.rec_in[c];
        rw += y.rec_width[c];
        oin += y.old_in[c];
        ow += y.old_width[c];
        json_array_append_new(jr, json_pack("{s:i, s:o, s:o}", "block", c + 1, "coverage_p10_p90",
                                            y.rec_n[c] > 0 ? json_real(y.rec_in[c] / y.rec_n[c])
                                                           : json_null(),
                                            "mean_width_mw",
                                            y.rec_n[c] > 0 ? json_real(y.rec_width[c] / y.rec_n[c])
                                                           : json_null()));
    }
    double rcov = rn > 0 ? rin / rn : NAN, rwid = rn > 0 ? rw / rn : NAN;
    json_t *jv = json_array();
    for (size_t v = 0; v < NVAR; v++) {
        json_t *halves = json_array();
        for (int hf = 0; hf < 2; hf++) {
            double n = 0, in = 0, w = 0, lo = 1, hi = 0;
            for (int h = 0; h < 24; h++) {
                n += y.var_n[v][hf][h];
                in += y.var_in[v][hf][h];
                w += y.var_w[v][hf][h];
                double c = y.var_n[v][hf][h] > 0 ? y.var_in[v][hf][h] / y.var_n[v][hf][h] : NAN;
                lo = c < lo ? c : lo;
                hi = c > hi ? c : hi;
            }
            json_array_append_new(halves, json_pack("{s:f, s:f, s:f, s:f}", "coverage",
                                                    n > 0 ? in / n : 0.0, "mean_width_mw",
                                                    n > 0 ? w / n : 0.0, "horizon_min", lo,
                                                    "horizon_max", hi));
            fprintf(stderr,
                    "%s variant pool=%d days=%d %s: coverage %.1f %% (by horizon %.1f .. "
                    "%.1f), width %.0f MW\n",
                    region, variants[v].pool, variants[v].days, hf ? "H2" : "H1",
                    n > 0 ? 100 * in / n : 0.0, 100 * lo, 100 * hi, n > 0 ? w / n : 0.0);
        }
        json_array_append_new(jv, json_pack("{s:i, s:i, s:o}", "pool", variants[v].pool, "days",
                                            variants[v].days, "halves", halves));
    }
    double ocov = rn > 0 ? oin / rn : NAN, owid = rn > 0 ? ow / rn : NAN;
    char from[32], to[32];
    trn_stamp_fmt(y.y0, from, sizeof from);
    trn_stamp_fmt(y.y0 + (int64_t)(y.ndays - 1) * DAY, to, sizeof to);
    printf("| %s | %.10s .. %.10s | %zu | %.2f | %.2f | **%.2f** | %.2f / %.2f | %.2f / %.2f | "
           "%.1f / %.0f | %.1f .. %.1f | %.1f / %.0f | %.1f / %.0f | %d | %.0f |\n",
           region, from, to, mw.n, mape_days(&y, naive, 0, y.ndays),
           mape_days(&y, y.fixed, 0, y.ndays), mw.mape, mape_days(&y, y.fixed, 0, half),
           mape_days(&y, y.weekly, 0, half), mape_days(&y, y.fixed, half, y.ndays),
           mape_days(&y, y.weekly, half, y.ndays), 100 * cov, wid, 100 * hmin, 100 * hmax,
           100 * rcov, rwid, 100 * ocov, owid, y.fits, now_mono() - t0);
    fflush(stdout);
    *out = json_pack(
        "{s:s, s:s, s:s, s:I, s:f, s:f, s:f, s:{s:f, s:f}, s:{s:f, s:f}, s:f, s:f, s:o, s:i, "
        "s:f, s:f, s:o, s:O, s:{s:o, s:o, s:o, s:o, s:o}, s:o}",
        "region", region, "from", from, "to", to, "hours", (json_int_t)mw.n,
        "mape_same_hour_yesterday", mape_days(&y, naive, 0, y.ndays), "mape_fixed",
        mape_days(&y, y.fixed, 0, y.ndays), "mape_weekly", mw.mape, "h1", "fixed",
        mape_days(&y, y.fixed, 0, half), "weekly", mape_days(&y, y.weekly, 0, half), "h2", "fixed",
        mape_days(&y, y.fixed, half, y.ndays), "weekly", mape_days(&y, y.weekly, half, y.ndays),
        "coverage_p10_p90", cov, "mean_width_p10_p90_mw", wid, "coverage_by_horizon", jh, "fits",
        y.fits, "weekly_seconds", t_weeks, "total_seconds", now_mono() - t0, "params",
        trn_xgb_params_to_json(&res.params), "refits", y.refits, "recursive", "coverage_p10_p90",
        isfinite(rcov) ? json_real(rcov) : json_null(), "mean_width_p10_p90_mw",
        isfinite(rwid) ? json_real(rwid) : json_null(), "by_block", jr,
        "sqrt_widened_coverage_p10_p90", isfinite(ocov) ? json_real(ocov) : json_null(),
        "sqrt_widened_mean_width_mw", isfinite(owid) ? json_real(owid) : json_null(),
        "calibration_variants", jv);
    free(naive);
out:
    year_free(&y);
    trn_result_cleanup(&res);
    trn_data_cleanup(&d);
    return rc;
}

/* "a,b,c" of a NULL-terminated list (static buffer: main only). */
static const char *optarg_list(const char *const *v)
{
    static char buf[512];
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; v[i] && o + 1 < sizeof buf; i++) {
        int n = snprintf(buf + o, sizeof buf - o, "%s%s", i ? "," : "", v[i]);
        if (n < 0 || (size_t)n >= sizeof buf - o)
            break;
        o += (size_t)n;
    }
    return buf;
}

static void usage(void)
{
    fprintf(stderr, "usage: trn-backtest [-d DATA_DIR] [-r R1,R2] [-y DAYS] [-w REFIT_DAYS] "
                    "[-t NTHREAD] [-n] [-W HALF_LIFE_DAYS] [-c CALIB_DAYS] [-F FEATURE,...] "
                    "[-j OUT_DIR] [-T none|past|obs|fc:SIGMA]\n");
}

int main(int argc, char **argv)
{
    gf_xgb_passive_reexec(argv);
    char regions[512] = "CISO,ERCO,ISNE,MISO,NYIS,PJM,SWPP,NYC";
    opts_t o = {.dir = "/work/shared/data/demand",
                .days = 364,
                .refit_days = 7,
                .calib_days = 364,
                .temp_mode = "past"};
    trn_config_default(&o.cfg);
    o.cfg.nthread = 1;
    int opt;
    const char *extra[16] = {NULL};
    char extra_buf[512] = "";
    while ((opt = getopt(argc, argv, "d:r:y:w:t:nW:c:F:j:T:h")) != -1) {
        switch (opt) {
        case 'd':
            o.dir = optarg;
            break;
        case 'r':
            snprintf(regions, sizeof regions, "%s", optarg);
            break;
        case 'y':
            o.days = atoi(optarg);
            break;
        case 'w':
            o.refit_days = atoi(optarg);
            break;
        case 't':
            o.cfg.nthread = atoi(optarg);
            break;
        case 'n':
            o.cfg.search = 0;
            break;
        case 'W':
            o.cfg.recency_halflife_days = atof(optarg);
            break;
        case 'c':
            o.calib_days = atoi(optarg);
            break;
        case 'F': {
            snprintf(extra_buf, sizeof extra_buf, "%s", optarg);
            size_t n = 0;
            char *fs = NULL;
            for (char *f = strtok_r(extra_buf, ",", &fs); f && n + 1 < 16;
                 f = strtok_r(NULL, ",", &fs))
                extra[n++] = f;
            o.cfg.extra_features = extra;
            break;
        }
        case 'j':
            o.json_dir = optarg;
            break;
        case 'T':
            o.temp_mode = optarg;
            if (!trn_temp_mode_valid(optarg)) {
                usage();
                return 2;
            }
            break;
        default:
            usage();
            return 2;
        }
    }
    if (o.days < 28 || o.days > 728 || o.refit_days < 1 || o.refit_days > o.days ||
        o.calib_days < 7 || o.cfg.nthread < 1 || o.cfg.recency_halflife_days < 0) {
        fprintf(stderr, "trn-backtest: -y 28..728, -w 1..DAYS, -c >= 7, -t >= 1, -W >= 0\n");
        return 2;
    }
    printf("temperature=%s ", o.temp_mode);
    printf("year=%dd refit every %dd nthread=%d search=%d recency half-life=%gd calibration=%dd "
           "extra features=%s\n",
           o.days, o.refit_days, o.cfg.nthread, o.cfg.search, o.cfg.recency_halflife_days,
           o.calib_days, extra[0] ? optarg_list(extra) : "none");
    printf(
        "| region | year (origins, UTC) | hours | same-hour-yesterday MAPE %% | fixed model MAPE "
        "%% | weekly refits MAPE %% | H1 fixed / weekly | H2 fixed / weekly | p10-p90 "
        "coverage %% / mean width MW | coverage by horizon %% (min .. max) | recursive 25-168 h "
        "coverage %% / width MW | the same, former sqrt(block) widening | fits | s |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    int failures = 0;
    char *save = NULL;
    for (char *r = strtok_r(regions, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
        gf_err_t err = {0};
        json_t *j = NULL;
        if (backtest_region(&o, r, &j, &err) != 0) {
            printf("| %s | error %s: %s |\n", r, err.code, err.message);
            failures++;
        } else if (o.json_dir) {
            char path[600];
            snprintf(path, sizeof path, "%s/%s.json", o.json_dir, r);
            if (json_dump_file(j, path, JSON_INDENT(1) | JSON_SORT_KEYS) != 0) {
                fprintf(stderr, "cannot write %s\n", path);
                failures++;
            }
        }
        json_decref(j);
        gf_err_cleanup(&err);
    }
    return failures ? 1 : 0;
}
