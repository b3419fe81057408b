/*
 * trn_metrics.h - forecast accuracy metrics and empirical quantiles. Pure functions.
 *
 * All metrics skip hours where skip[i] != 0 (imputed upstream) or where actual or prediction
 * is NaN. MAPE additionally skips actual == 0. Percentages are in percent (3.1 = 3.1 %).
 */
#ifndef GF_TRAINER_TRN_METRICS_H
#define GF_TRAINER_TRN_METRICS_H

#include <jansson.h>
#include <stddef.h>

typedef struct trn_metrics {
    double mae, rmse, mape, smape, r2; /* NaN when n == 0 (r2 also when actuals are constant) */
    size_t n;                          /* hours scored */
} trn_metrics_t;

/* Score pred against actual over n hours; skip may be NULL. Can't fail. */
void trn_metrics_compute(const double *actual, const double *pred, const unsigned char *skip,
                         size_t n, trn_metrics_t *out);

/* New reference {"mae":…,"rmse":…,"mape":…,"smape":…,"r2":…,"n":…}; NaN as null. */
json_t *trn_metrics_to_json(const trn_metrics_t *m);

/* Quantile q (0..1) of v[0..n) by linear interpolation between order statistics (type 7).
 * Sorts v in place. NaN when n == 0. */
double trn_quantile_sorted_inplace(double *v, size_t n, double q);

#endif
