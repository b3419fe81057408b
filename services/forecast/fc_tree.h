/*
 * fc_tree.h - a native evaluator for XGBoost gradient-boosted trees.
 *
 * fc_forest_parse() reads XGBoost's own JSON model (XGBoosterSaveModelToBuffer with
 * {"format":"json"}, schema of XGBoost 1.7) into flat arrays: one 12-byte node per reachable
 * tree node, children of a split stored side by side (right = left + 1), trees one after the
 * other. fc_forest_predict() then walks them with XGBoost's exact float semantics:
 *   - features and split conditions are float; go left when x < cond, right otherwise;
 *   - NaN is "missing" and takes the node's default direction;
 *   - the prediction starts at the base margin (base_score through the objective's link) and
 *     adds each tree's leaf in tree order in float, as XGBoost's CPU predictor does; the
 *     objective's transform (identity, sigmoid or exp) is applied last.
 * Supported: booster "gbtree" with numerical splits, one output (num_class 0, num_target 1),
 * any num_parallel_tree; objectives reg:squarederror, reg:squaredlogerror,
 * reg:pseudohubererror, reg:absoluteerror, binary:logitraw (identity), reg:logistic,
 * binary:logistic (sigmoid), count:poisson, reg:gamma, reg:tweedie (exp). Anything else
 * (dart, gblinear, categorical splits, multi-class, vector leaves) is refused with
 * GF_EUNPROCESSABLE "unsupported_model" naming what. The model loader (fc_model.h) proves the
 * evaluator equal to XGBoost on every load anyway.
 *
 * Ownership: a forest is immutable after parse and may be shared by threads; free it once.
 */
#ifndef FC_TREE_H
#define FC_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct fc_forest fc_forest_t;

/* Parse XGBoost JSON (len bytes, need not be NUL-terminated). Returns a new forest the caller
 * frees with fc_forest_free, or NULL with err: GF_EINVAL "bad_model_json" (not JSON or not
 * XGBoost's schema, with the path of the offending member), GF_EUNPROCESSABLE
 * "unsupported_model". */
fc_forest_t *fc_forest_parse(const char *json, size_t len, gf_err_t *err);

void fc_forest_free(fc_forest_t *f);

/* Number of input columns the model was trained with (learner num_feature). */
size_t fc_forest_num_features(const fc_forest_t *f);
size_t fc_forest_num_trees(const fc_forest_t *f);
size_t fc_forest_num_nodes(const fc_forest_t *f);
/* Objective name, borrowed. */
const char *fc_forest_objective(const fc_forest_t *f);
/* base_score as stored (output space). */
double fc_forest_base_score(const fc_forest_t *f);

/* Predict `rows` rows of x (row-major, row r at x + r * stride, stride >= num_features;
 * NaN = missing) into out[rows]. Can't fail. Thread-safe. */
void fc_forest_predict(const fc_forest_t *f, const float *x, size_t rows, size_t stride,
                       float *out);

/* Fill out (rows x num_features floats) with deterministic check rows built from the model's
 * own split thresholds: values exactly at, just below and just above thresholds, NaN, values
 * outside every threshold, so every branch and default direction gets exercised. Row 0 is all
 * NaN. Can't fail. */
void fc_forest_check_rows(const fc_forest_t *f, size_t rows, uint64_t seed, float *out);

#endif
