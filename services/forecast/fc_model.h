/*
 * fc_model.h - a loaded, verified, immutable forecast model and the holder that swaps it.
 *
 * Loading (fc_model_new and the registry wrappers): the model bytes go through
 * XGBoosterLoadModelFromBuffer; XGBoosterGetNumFeature must equal the number of feature names
 * in the version's spec; the booster's own JSON dump is parsed into the native evaluator
 * (fc_tree.h); then, at EVERY load, the native evaluator is proven equal to
 * XGBoosterPredictFromDense on check rows (synthetic rows from the model's thresholds plus
 * optional caller rows), within rtol relative (float semantics); a model that differs is
 * refused. The booster is freed before returning: serving uses the native evaluator only.
 *
 * Feature spec: the ordered feature names come from the spec JSON's "features" array (the
 * libs/features format, {"version":1,...,"features":["horizon","hour",...]}) or, for older
 * or hand-made specs, a "names" array. The spec is otherwise opaque here; the serving code
 * builds rows with libs/features from the same text.
 *
 * Lifetime: an fc_model_t is refcounted (C11 atomics) and never changes after load, so any
 * number of threads may predict with it. fc_model_new returns it with one reference;
 * fc_model_retain adds one; fc_model_release drops one and frees on the last. A request keeps
 * the model it started with by holding a reference until it replies.
 *
 * fc_holder_t is the per-model-name slot a service reads on each request: fc_holder_get
 * returns a retained model (or NULL), fc_holder_set swaps in a new one and releases the old;
 * requests already in flight keep theirs. A mutex guards the pointer (held for a load and an
 * atomic increment only).
 */
#ifndef FC_MODEL_H
#define FC_MODEL_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rcluster.h"
#include "fc_interval.h"
#include "features/features.h"
#include "fc_tree.h"
#include "fc_xgb.h"
#include "registry/registry.h"

#define FC_FEATURE_NAME_MAX 128
#define FC_FEATURES_MAX 4096

typedef struct fc_model fc_model_t;

typedef struct fc_model_opts {
    size_t check_rows;       /* synthetic check rows; 0 = 256 */
    uint64_t check_seed;     /* 0 = a fixed default, so loads are reproducible */
    const float *extra_rows; /* optional caller rows, n_extra x num_features, NaN = missing */
    size_t n_extra;
    double rtol; /* relative tolerance; 0 = 1e-5 */
} fc_model_opts_t;

/* Ordered feature names of a spec JSON text. *names is a malloc'd array of malloc'd strings
 * (free with gf_reg_strv_free). Fails GF_EUNPROCESSABLE "bad_feature_spec" (no
 * "features"/"names" array, a non-string, empty, over-long or duplicate name, > 4096 names). */
int fc_spec_names(const char *spec_json, char ***names, size_t *n, gf_err_t *err);

/* The load-time proof: predict `rows` rows of x (num_features columns, NaN = missing) with the
 * native forest and with booster b (XGBoosterPredictFromDense); 0 when every pair agrees within
 * rtol relative (|a-b| <= rtol * max(|a|,|b|,1e-6)), raising *max_rel to the largest seen.
 * Fails GF_EINTERNAL "evaluator_mismatch" naming the first differing row, or "xgboost_error". */
int fc_forest_verify(const fc_forest_t *f, BoosterHandle b, const float *x, size_t rows,
                     double rtol, double *max_rel, gf_err_t *err);

/* Load and verify a model from its parts (all borrowed). name may be "" and version 0 for
 * models that do not come from the registry. Returns a new model (one reference) or NULL with
 * err: "bad_feature_spec", "spec_mismatch" (GF_EUNPROCESSABLE: XGBoost's feature count differs
 * from the spec's), "xgboost_error" (GF_EINTERNAL: bytes XGBoost cannot load),
 * "bad_model_json"/"unsupported_model", "evaluator_mismatch" (GF_EINTERNAL: native evaluator
 * differs from XGBoost; message gives row, both values), "bad_residual_quantiles". */
fc_model_t *fc_model_new(const char *name, int64_t version, const void *bytes, size_t len,
                         const char *spec_json, const char *metrics_json, const char *params_json,
                         const fc_model_opts_t *opts, gf_err_t *err);

/* The same from a registry version loaded WITH its blob (checksum already verified). */
fc_model_t *fc_model_from_version(const gf_reg_version_t *v, const fc_model_opts_t *opts,
                                  gf_err_t *err);

/* Load name@ref from the registry (ref: alias, version number or "latest"), verify, return a
 * new model. Registry failures as in registry.h (unknown_alias, checksum_mismatch, ...). */
fc_model_t *fc_model_load(gf_rcluster_t *c, const char *name, const char *ref,
                          const fc_model_opts_t *opts, gf_err_t *err);

/* Add a reference; returns m (NULL-safe). */
fc_model_t *fc_model_retain(fc_model_t *m);
/* Drop a reference, free on the last (NULL-safe). */
void fc_model_release(fc_model_t *m);

/* Borrowed accessors, valid while the caller holds a reference. */
const char *fc_model_name(const fc_model_t *m);
int64_t fc_model_version(const fc_model_t *m);
size_t fc_model_num_features(const fc_model_t *m);
const char *const *fc_model_feature_names(const fc_model_t *m);
/* Column index of a feature name (len bytes, need not be NUL-terminated), or -1. */
long fc_model_feature_index(const fc_model_t *m, const char *name, size_t len);
const char *fc_model_spec_json(const fc_model_t *m);
/* The spec parsed by libs/features (gf_feat_build needs it), or NULL when the spec text is not
 * a libs/features spec with exactly the model's columns (such models serve raw predictions
 * only). */
const gf_feat_spec_t *fc_model_feat_spec(const fc_model_t *m);
/* created_at of the registry version ("" for models not loaded from the registry). */
const char *fc_model_created_at(const fc_model_t *m);
const fc_forest_t *fc_model_forest(const fc_model_t *m);
/* NULL when the version carries no residual_quantiles. */
const fc_quantiles_t *fc_model_quantiles(const fc_model_t *m);
/* Largest relative difference native vs XGBoost seen at load, and the rows compared. */
double fc_model_check_max_rel(const fc_model_t *m);
size_t fc_model_check_count(const fc_model_t *m);

/* Point predictions of `rows` rows (row-major, num_features columns, NaN = missing) with the
 * native evaluator into out[rows]. Can't fail. */
void fc_model_predict(const fc_model_t *m, const float *x, size_t rows, float *out);

/* Interval bounds for `rows` predicted points: out[i * nlevels + k] (levels: see
 * fc_model_quantiles(m)->levels). Horizons come from `horizons` (one per row, >= 1) or, when
 * NULL, from each row's "horizon" feature (libs/features names it so). NaN where the trainer
 * had no residuals at that horizon. Fails GF_EUNPROCESSABLE "no_intervals" (version carries no
 * residual_quantiles) or "no_horizon" (horizons NULL and the spec has no "horizon" feature, or
 * a row's horizon value is missing or < 1), GF_EINVAL "bad_horizon". */
int fc_model_intervals(const fc_model_t *m, const float *x, const float *point,
                       const int32_t *horizons, size_t rows, float *out, gf_err_t *err);

/* ------------------------------------------------------------------ holder */

typedef struct fc_holder {
    pthread_mutex_t _mu;
    fc_model_t *_model;
    atomic_uint_fast64_t _swaps;
} fc_holder_t;

/* Caller storage; starts empty. Can't fail. */
void fc_holder_init(fc_holder_t *h);
/* Releases the held model. The holder must no longer be used by other threads. */
void fc_holder_cleanup(fc_holder_t *h);
/* A new reference to the current model (the caller releases it), or NULL when empty. */
fc_model_t *fc_holder_get(fc_holder_t *h);
/* Install m (steals the caller's reference; NULL empties the holder) and release the old one.
 * Returns the number of swaps so far. */
uint64_t fc_holder_set(fc_holder_t *h, fc_model_t *m);

/* Resolve name in the registry (alias, version number or "latest") and, unless h already
 * holds that very version of that model, load + verify it and install it. The current model
 * stays when anything fails, so a bad new version never evicts a serving one. Call it at
 * start, on every GF_REG_CHANNEL event whose name and alias match, and after a Redis
 * reconnect (pub/sub does not replay missed events).
 * Returns 1 when a new model was installed, 0 when h already had it, or a negative GF_E* with
 * err set (registry and load failures as for fc_model_load). */
int fc_holder_reload(fc_holder_t *h, gf_rcluster_t *c, const char *name, const char *ref,
                     const fc_model_opts_t *opts, gf_err_t *err);

#endif
