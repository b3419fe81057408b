/*
 * trn_train.h - one region's training run: features, per-region parameter search on a
 * time-ordered validation split, seasonal-naive baselines, rolling-origin day-ahead backtest,
 * residual quantiles by horizon, and the model bytes. No HTTP, no Redis: the caller loads a
 * trn_data_t and stores the trn_result_t (trn_result_to_json) wherever it wants.
 *
 * Time layout (all origins at cfg.issue_hour_utc, horizons 1..cfg.horizon):
 *
 *   |---- train (search) ----|-- val (val_days) --|---- test (test_days) ----|
 *   t0                    val_start          test_start               last full day
 *
 * Model selection only ever sees data before test_start: candidates are fitted on targets
 * before val_start and ranked by validation MAE (early stopping picks the round count); the
 * winner is refitted on everything before test_start and then scored on the test period,
 * one forecast per day issued at the origin with only data known then (gf_feat_build).
 * trn_refit_full refits that model once more on all data, including the test period, with
 * the same parameters and the round count scaled to the rows (the trainer does this for a
 * version it promotes; the metrics stay those of the backtested model).
 */
#ifndef GF_TRAINER_TRN_TRAIN_H
#define GF_TRAINER_TRN_TRAIN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "features/features.h"
#include "trn_data.h"
#include "trn_metrics.h"
#include "trn_xgb.h"

/* Where a training run is, for progress reports. stage: "features" (building rows), "search"
 * (candidate i of n, boosting round r of at most max_rounds), "calibration", "refit",
 * "backtest", "save"; trn_refit_full: "final_refit". */
typedef struct trn_progress {
    const char *stage;
    int candidate, candidates; /* 1-based; 0 outside the search */
    int round, max_rounds;     /* rounds of the current fit; 0 outside fits */
} trn_progress_t;

/* Progress hook: called at every stage change and after every boosting round (keep it cheap;
 * throttle inside). A non-zero return cancels the run: trn_train_region then fails with
 * GF_EUNAVAIL "cancelled". */
typedef int (*trn_progress_fn)(void *arg, const trn_progress_t *p);

typedef struct trn_config {
    int horizon;              /* hours ahead, 1..GF_FEAT_MAX_HORIZON (24) */
    int issue_hour_utc;       /* 0..23 (0) */
    int test_days;            /* backtest days at the end of the data (28) */
    int64_t test_start;       /* first test origin; 0 = the last test_days full days */
    int val_days;             /* validation days right before the test period (56) */
    int train_stride_h;       /* training origins every N hours, aligned to the issue hour (24) */
    int max_train_days;       /* 0 = all history before the validation period */
    int search;               /* 1 = small grid search, 0 = default params only (1) */
    int patience;             /* early-stopping patience in rounds (50) */
    int nthread;              /* XGBoost threads (trn_default_nthread()) */
    const char *model_format; /* "ubj" (default) or "json" */
    int max_rounds;           /* 0 = default; else a cap on every candidate's boosting rounds
                                 (an expert knob: small values cripple the model on purpose) */
    int calib_days;           /* interval calibration: days before the validation window that
                                 are cross-fitted for out-of-sample residuals (364; 0 = none) */
    int calib_folds;          /* blocks of that window, one extra fit each (4) */
    const char *const *extra_features; /* NULL-terminated feature names appended to the
                                          default spec (experiments: trn-backtest -F); NULL */
    double recency_halflife_days;      /* > 0: every fit weights its rows 2^(-age / half-life),
                                          age = the target's distance to the end of the fit's data
                                          (the block, for the calibration cross-fits); 0 = off */
    trn_progress_fn progress;          /* NULL = none */
    void *progress_arg;
} trn_config_t;

void trn_config_default(trn_config_t *c);

/* Out-of-sample residuals for interval calibration: in model output units, each with its
 * horizon (or recursive lead), its scale and the stamp of the hour it forecast (INT64_MIN when
 * not known). Arrays of n (capacity cap); zero-initialise, free with trn_resid_cleanup. */
typedef struct trn_resid_set {
    double *res, *scl;
    int *hz;
    int64_t *t;
    size_t n, cap;
} trn_resid_set_t;

void trn_resid_push(trn_resid_set_t *c, double res, int hz, double scl, int64_t t);
void trn_resid_cleanup(trn_resid_set_t *c);

/* Levels of the stored residual quantiles. */
#define TRN_NQ 7
extern const double trn_quantile_levels[TRN_NQ]; /* 0.05 0.10 0.25 0.50 0.75 0.90 0.95 */
/* Interval calibration (features/calib.h): residuals of horizons h-2..h+2 pooled, at least 20
 * of them for a horizon to get an interval. */
#define TRN_CALIB_POOL 2
#define TRN_CALIB_MIN_N 20
/* Recursive forecasts (the forecast service's horizons past the direct ones): day blocks of
 * `horizon` hours, the first direct, each later one issued from the previous block's end on
 * the history filled with the earlier blocks' forecasts (as services/forecast fc_forecast.c).
 * Their intervals are calibrated per lead hour like the direct ones (resid_q_rec). */
#define TRN_REC_BLOCKS 7

typedef struct trn_result {
    char region[32];
    gf_feat_spec_t *spec; /* owned */
    unsigned char *model; /* owned, model_len bytes in model_format */
    size_t model_len;
    char model_format[8];
    trn_xgb_params_t params; /* chosen (objective points to a static string) */
    int rounds;              /* boosting rounds of the stored model */
    double val_mae;          /* validation MAE (model output units) of the chosen params */
    int horizon;
    trn_metrics_t m_model, m_naive_day, m_naive_week; /* backtest, same hours for all three */
    trn_metrics_t *m_by_horizon;                      /* horizon entries (model), owned */
    /* Split-conformal residual quantiles (features/calib.h) in model output units,
     * r = (actual - prediction) / scale (the spec's normalisation scale, 1 without one), from
     * every out-of-sample forecast of the run: the chosen search candidate (fitted before the
     * validation window) on the validation days, and the refit model on the backtest days;
     * horizons pooled +-TRN_CALIB_POOL. Quantile j of horizon h at resid_q[(h-1)*TRN_NQ + j],
     * ascending in j. Interval at serving time for model output o and scale s:
     * bound_j = (o + q_j) * s MW. Owned. */
    double *resid_q;
    size_t n_cal, n_cal_cross, n_cal_val; /* calibration residuals: all, cross-fitted, from
                                             the validation days */
    /* The same method calibrated on the validation residuals only, scored on the backtest
     * hours (out of sample for the calibration too): p10-p90 coverage and mean width (MW);
     * and, for comparison, the former table (per horizon, plain quantiles of 28 days). */
    double iv_test_coverage, iv_test_width, iv_old_coverage, iv_old_width;
    size_t iv_test_n;
    /* Recursive leads horizon+1 .. horizon*TRN_REC_BLOCKS: split-conformal quantiles of the
     * recursive residuals (the cross-fitted blocks, validation days with the chosen
     * candidate, backtest days with the stored model), lead L at resid_q_rec[(L-horizon-1)*TRN_NQ +
     * j], each residual divided by its block's scale; the same check as above (table from the
     * validation days, scored on the backtest days). Owned. */
    double *resid_q_rec;
    size_t n_cal_rec;
    double iv_rec_coverage, iv_rec_width;
    size_t iv_rec_n;
    int64_t train_from, train_to; /* first origin / last target stamp the stored model was
                                     fitted on */
    int fit_stride_h;             /* hours between its training origins */
    /* Set by trn_refit_full when it replaced the model: the backtested model's round count,
     * last target stamp and rows, and the refit's wall time. */
    int refit, eval_rounds;
    int64_t eval_train_to;
    size_t eval_rows;
    double refit_seconds;
    int64_t test_from, test_to; /* first/last scored target stamp */
    size_t n_train_rows, n_val_rows, n_test_hours, n_test_skipped;
    double train_seconds;   /* search + refit(s) */
    double feature_seconds; /* time in gf_feat_build */
    size_t feature_rows;    /* rows built */
    json_t *search;         /* owned array: {params, val_mae, rounds} per candidate */
    /* The backtest, hour by hour (test_n = test days x horizon, origin-major from test_from):
     * the model's prediction in MW (NaN when none) and the skip mask used for all three
     * scores. Lets a caller score another model (the champion) on exactly these hours. Owned. */
    double *test_pred;
    unsigned char *test_skip;
    size_t test_n;
    /* The calibration pool behind resid_q (n_cal residuals in model output units and their
     * horizons; the first cal_n_before_test come from before the test period). Owned. */
    double *cal_res;
    int *cal_hz;
    size_t cal_n_before_test;
    double *rec_res; /* the recursive pool: residuals, leads (horizon+1..), the first */
    int *rec_hz;     /* rec_n_before_test from before the test period */
    size_t rec_n_before_test;
} trn_result_t;

/* Train and backtest one region. Fills *out (caller cleans up with trn_result_cleanup,
 * also after a failure). Returns 0; GF_EUNPROCESSABLE "not_enough_data" when the history
 * cannot hold train + val + test; GF_E* from features or XGBoost. */
int trn_train_region(const trn_data_t *d, const trn_config_t *cfg, trn_result_t *out,
                     gf_err_t *err);

/* New reference: {"region","model_format","model_bytes","feature_spec":{…},
 * "feature_spec_hash","n_features","params":{…,"rounds"},"horizon","metrics":{"model":{…},
 * "same_hour_yesterday":{…},"same_hour_last_week":{…},"by_horizon":[…],
 * "residual_quantiles":{"units":"model_output","levels":[…],"by_horizon":[[…],…]}},
 * "train_range":{"from","to","from_epoch","to_epoch"},"test_range":{…},"rows":{…},
 * "timing":{…},"search":[…]}. with_model adds "model_b64" (base64 of the model bytes).
 * Metric objects: {"mae","rmse","mape","smape","r2","n"} (percent for mape/smape). */
json_t *trn_result_to_json(const trn_result_t *r, int with_model);

void trn_result_cleanup(trn_result_t *r);

/* Fit res's parameters (res->params, its feature spec, its first origin and origin stride) on
 * every row whose target stamp is < cut, with res->rounds scaled by the row ratio to
 * res->n_train_rows; cfg gives the thread count, recency weighting and the progress hook.
 * *out is a new booster (XGBoosterFree); *rounds and *rows what it was fitted with. */
int trn_fit_until(const trn_data_t *d, const trn_config_t *cfg, const trn_result_t *res,
                  int64_t cut, BoosterHandle *out, int *rounds, size_t *rows, gf_err_t *err);

/* One day-ahead forecast: scratch space for a spec and horizon. */
typedef struct trn_predictor {
    const gf_feat_spec_t *spec;
    int horizon;
    size_t nc;
    double *buf, *py;
    float *fx;
} trn_predictor_t;

void trn_predictor_init(trn_predictor_t *p, const gf_feat_spec_t *spec, int horizon);
void trn_predictor_cleanup(trn_predictor_t *p);

/* Forecast hours origin .. origin + horizon - 1 with booster b from the data known at the
 * origin: mw[h-1] in MW (NaN everywhere on failure), *scale the spec's scale. 0;
 * GF_EUNPROCESSABLE (a gap before the origin; err untouched) or GF_E* with err set. */
int trn_predict_origin(trn_predictor_t *p, BoosterHandle b, const gf_feat_series_t *s,
                       int64_t origin, double *mw, double *scale, gf_err_t *err);

/* Recursive forecast of `blocks` day blocks from origin (see TRN_REC_BLOCKS): mw[k] and the
 * scale of its block scale[k] for k = 0 .. blocks*horizon-1 (NaN from a block that could not
 * be built on). Same returns as trn_predict_origin. */
int trn_predict_recursive(trn_predictor_t *p, BoosterHandle b, const gf_feat_series_t *s,
                          int64_t origin, int blocks, double *mw, double *scale, gf_err_t *err);

/* Refit res's model on every row up to the newest hour of d (the data res was trained on,
 * or newer): same parameters, rounds = res->rounds scaled by the row ratio, same feature spec
 * and first origin. Replaces res->model (and rounds, n_train_rows, train_to), keeping the
 * backtested model's figures in eval_* and setting res->refit = 1. Leaves res unchanged (0)
 * when d has no complete row the model did not see. Progress stage "final_refit" through
 * cfg->progress (cancel: GF_EUNAVAIL "cancelled"); cfg->nthread threads. 0 or GF_E*. */
int trn_refit_full(const trn_data_t *d, const trn_config_t *cfg, trn_result_t *res, gf_err_t *err);

/* UTC stamp t as "YYYY-MM-DDTHH:MM:SSZ" into buf (32 bytes are enough). */
void trn_stamp_fmt(int64_t t, char *buf, size_t len);

/* Standard base64 of buf (RFC 4648, padded); caller frees. */
char *trn_base64(const unsigned char *buf, size_t len);

#endif
