/*
 * fc_predict.h - parsing POST /v1/predict bodies and binding them to a model's features.
 *
 * Two body forms (members in any order; anything else is refused):
 *   instances: {"model":"load:PJM","instances":[{"hour":13,"lag_24":0.93,...},...]}
 *   compact:   {"model":"load:PJM","columns":["hour","lag_24",...],"rows":[[13,0.93,...],...]}
 * Optional in both: "horizons":[1,2,...] (one integer >= 1 per row, for intervals).
 * "model" is a registry name, optionally "name@ref" (ref = alias or version number).
 * A value is a JSON number (parsed as double, then rounded to float: the same as a double
 * feature row handed to XGBoost) or null (= missing, NaN). Numbers outside float range are
 * refused.
 *
 * The parser is a single pass with the kit's JSON scanner (core/jscan.h, no jansson tree):
 * values go straight into a float matrix, numbers by the kit's one number rule (the nearest
 * double, as strtod gives it, then rounded to float). Strings are validated as UTF-8 and
 * escapes decoded as in RFC 8259; \u0000 is refused.
 *
 * Parse (fc_predict_parse) checks syntax and shape; errors are GF_EINVAL (400):
 *   "invalid_json" (with byte offset), "not_an_object", "unknown_field", "duplicate_field",
 *   "missing_field", "bad_model", "both_forms", "bad_columns", "duplicate_feature",
 *   "row_length" (row r has k values, want n), "bad_value" (row r, column c: not a number or
 *   null / out of float range), "bad_instance", "bad_horizons";
 * and GF_ETOOBIG (413) "too_many_rows" / "too_many_columns".
 * Bind (fc_predict_bind) checks the names against the model's ordered feature names and
 * writes rows in the model's order; errors are GF_EUNPROCESSABLE (422) "unknown_features" and
 * "missing_features", naming them (message lists up to 10; details one {"field","reason"} per
 * name, up to 50), and GF_EINVAL "duplicate_feature" for an instance naming a feature twice.
 *
 * Ownership: fc_predict_req_t is caller storage; fc_predict_parse fills it (zeroed first) and
 * fc_predict_req_cleanup frees what it holds, also after a failed parse. Fuzzed by
 * tests/fuzz/fuzz_forecast_predict.c.
 */
#ifndef FC_PREDICT_H
#define FC_PREDICT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "registry/registry.h"

#define FC_PREDICT_MAX_ROWS 100000
#define FC_PREDICT_MAX_COLS 4096

typedef struct fc_predict_limits {
    size_t max_rows; /* 0 = FC_PREDICT_MAX_ROWS */
    size_t max_cols; /* 0 = FC_PREDICT_MAX_COLS */
} fc_predict_limits_t;

enum { FC_FORM_ROWS = 1, FC_FORM_INSTANCES = 2 };

typedef struct fc_predict_req {
    char model[GF_REG_NAME_MAX + 1];
    char ref[GF_REG_NAME_MAX + 1]; /* after '@', "" when absent */
    int form;                      /* FC_FORM_ROWS or FC_FORM_INSTANCES */
    size_t nrows;
    size_t ncols;      /* distinct column names seen */
    char **cols;       /* their names, owned */
    int32_t *horizons; /* NULL, or nrows values >= 1 */
    /* FC_FORM_ROWS: nrows x ncols floats in `cols` order */
    float *_vals;
    size_t _vals_cap;
    /* FC_FORM_INSTANCES: (column id, value) pairs; row r is [_row_off[r], _row_off[r+1]) */
    uint32_t *_ids;
    size_t _npairs, _pairs_cap;
    size_t *_row_off;
    size_t _rows_cap;
    /* column-name table of the parser */
    uint32_t *_slots;
    size_t _nslots;
    size_t _cols_cap;
} fc_predict_req_t;

/* Parse len bytes (need not be NUL-terminated). Returns 0 or a negative GF_E*; *out is filled
 * and must be cleaned up either way. lim may be NULL (defaults). */
int fc_predict_parse(const char *body, size_t len, const fc_predict_limits_t *lim,
                     fc_predict_req_t *out, gf_err_t *err);

void fc_predict_req_cleanup(fc_predict_req_t *r);

/* Write req's rows into x (req->nrows x n floats, caller-allocated) in the order of `names`
 * (the model's feature names). Returns 0 or an error as listed above (x partly written). */
int fc_predict_bind(const fc_predict_req_t *req, const char *const *names, size_t n, float *x,
                    gf_err_t *err);

#endif
