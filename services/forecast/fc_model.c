/*
 * fc_model.c - load, verify and share forecast models (see fc_model.h).
 *
 * Invariant: a fc_model_t that exists has passed the native-vs-XGBoost check and never
 * changes; only its refcount moves. The XGBoost booster lives only inside fc_model_new.
 */
#include "fc_model.h"
#include "core/util.h"

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_xgb.h"
#include "features/features.h"

struct fc_model {
    atomic_int refs;
    char name[GF_REG_NAME_MAX + 1];
    int64_t version;
    char **names;
    size_t nnames;
    uint32_t *slots; /* open-addressing table of name index + 1, size nslots (power of 2) */
    size_t nslots;
    char *spec_json;
    fc_forest_t *forest;
    fc_quantiles_t *quantiles;
    double check_max_rel;
    size_t check_count;
    gf_feat_spec_t *feat_spec; /* NULL unless the spec is a libs/features spec */
    char created_at[32];
};

/* ------------------------------------------------------------------ spec names */

static uint64_t hash_name(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int fc_spec_names(const char *spec_json, char ***names, size_t *n, gf_err_t *err)
{
    *names = NULL;
    *n = 0;
    json_error_t je;
    json_t *j = json_loads(spec_json ? spec_json : "", 0, &je);
    if (j == NULL)
        return gf_err_set(err, GF_EUNPROCESSABLE, "bad_feature_spec",
                          "feature spec is not a JSON object: %s", je.text);
    json_t *arr = json_object_get(j, "features");
    if (arr == NULL)
        arr = json_object_get(j, "names");
    size_t k = json_array_size(arr);
    int rc = 0;
    if (!json_is_array(arr) || k == 0 || k > FC_FEATURES_MAX) {
        rc = gf_err_set(err, GF_EUNPROCESSABLE, "bad_feature_spec",
                        "feature spec needs a \"features\" array of 1..%d names", FC_FEATURES_MAX);
        goto out;
    }
    char **v = gf_xcalloc(k, sizeof *v);
    for (size_t i = 0; i < k; i++) {
        json_t *s = json_array_get(arr, i);
        size_t len = json_string_length(s);
        if (!json_is_string(s) || len == 0 || len > FC_FEATURE_NAME_MAX ||
            strlen(json_string_value(s)) != len) {
            gf_reg_strv_free(v, k);
            rc = gf_err_set(err, GF_EUNPROCESSABLE, "bad_feature_spec",
                            "feature %zu of the spec is not a name of 1..%d bytes", i,
                            FC_FEATURE_NAME_MAX);
            goto out;
        }
        for (size_t p = 0; p < i; p++)
            if (strcmp(v[p], json_string_value(s)) == 0) {
                gf_reg_strv_free(v, k);
                rc = gf_err_set(err, GF_EUNPROCESSABLE, "bad_feature_spec",
                                "feature '%s' appears twice in the spec", json_string_value(s));
                goto out;
            }
        v[i] = gf_xstrdup(json_string_value(s));
    }
    *names = v;
    *n = k;
out:
    json_decref(j);
    return rc;
}

static void build_index(fc_model_t *m)
{
    size_t ns = 16;
    while (ns < m->nnames * 2)
        ns *= 2;
    m->nslots = ns;
    m->slots = gf_xcalloc(ns, sizeof *m->slots);
    for (size_t i = 0; i < m->nnames; i++) {
        size_t s = hash_name(m->names[i], strlen(m->names[i])) & (ns - 1);
        while (m->slots[s] != 0)
            s = (s + 1) & (ns - 1);
        m->slots[s] = (uint32_t)i + 1;
    }
}

long fc_model_feature_index(const fc_model_t *m, const char *name, size_t len)
{
    size_t s = hash_name(name, len) & (m->nslots - 1);
    while (m->slots[s] != 0) {
        const char *cand = m->names[m->slots[s] - 1];
        if (strncmp(cand, name, len) == 0 && cand[len] == '\0')
            return (long)m->slots[s] - 1;
        s = (s + 1) & (m->nslots - 1);
    }
    return -1;
}

/* ------------------------------------------------------------------ load + verify */

static void model_free(fc_model_t *m)
{
    if (m == NULL)
        return;
    gf_reg_strv_free(m->names, m->nnames);
    free(m->slots);
    gf_feat_spec_free(m->feat_spec);
    free(m->spec_json);
    fc_forest_free(m->forest);
    fc_quantiles_free(m->quantiles);
    free(m);
}

int fc_forest_verify(const fc_forest_t *f, BoosterHandle b, const float *x, size_t rows,
                     double rtol, double *max_rel, gf_err_t *err)
{
    size_t nf = fc_forest_num_features(f);
    float *a = gf_xmalloc(rows * sizeof *a), *ref = gf_xmalloc(rows * sizeof *ref);
    int rc = gf_xgb_predict_dense(b, x, rows, nf, ref, err);
    if (rc != 0)
        goto out;
    fc_forest_predict(f, x, rows, nf, a);
    for (size_t i = 0; i < rows; i++) {
        double d = fabs((double)a[i] - (double)ref[i]);
        double scale = fmax(fmax(fabs((double)a[i]), fabs((double)ref[i])), 1e-6);
        double rel = d / scale;
        if (!(rel <= rtol)) { /* also catches NaN */
            rc = gf_err_set(err, GF_EINTERNAL, "evaluator_mismatch",
                            "native evaluator differs from XGBoost on check row %zu: %.9g vs "
                            "%.9g (relative %.3g > %.3g); model refused",
                            i, (double)a[i], (double)ref[i], rel, rtol);
            goto out;
        }
        if (rel > *max_rel)
            *max_rel = rel;
    }
out:
    free(a);
    free(ref);
    return rc;
}

/* The libs/features spec of a model, when its spec text is one whose columns are exactly the
 * model's feature names; NULL otherwise (hand-made "names" specs serve /v1/predict only). */
static gf_feat_spec_t *feat_spec_of(const char *spec_json, const fc_model_t *m)
{
    gf_err_t e = {0};
    gf_feat_spec_t *s = gf_feat_spec_loads(spec_json, strlen(spec_json), &e);
    gf_err_cleanup(&e);
    if (s == NULL)
        return NULL;
    if (gf_feat_spec_ncols(s) != m->nnames) {
        gf_feat_spec_free(s);
        return NULL;
    }
    for (size_t i = 0; i < m->nnames; i++)
        if (strcmp(gf_feat_spec_name(s, i), m->names[i]) != 0) {
            gf_feat_spec_free(s);
            return NULL;
        }
    return s;
}

/* A load goes through ~10x the model's size in short-lived allocations (the booster, its
 * JSON text, the jansson tree of it) while what stays is the flat forest (16 bytes a node).
 * glibc keeps the freed pages in the loading thread's arena: measured with the eight
 * production models, 8.7 MB in use and 69.6 MB held (VmRSS 76 MB). malloc_trim returns the
 * free pages of every arena to the system. */
static void release_load_memory(void)
{
    malloc_trim(0);
}

fc_model_t *fc_model_new(const char *name, int64_t version, const void *bytes, size_t len,
                         const char *spec_json, const char *metrics_json, const char *params_json,
                         const fc_model_opts_t *opts, gf_err_t *err)
{
    fc_model_opts_t o = opts ? *opts : (fc_model_opts_t){0};
    if (o.check_rows == 0)
        o.check_rows = 256;
    if (o.check_seed == 0)
        o.check_seed = 0x6766666f72656361ULL;
    if (o.rtol <= 0)
        o.rtol = 1e-5;

    BoosterHandle b = NULL;
    char *dump = NULL;
    float *rows = NULL;
    fc_model_t *m = gf_xcalloc(1, sizeof *m);
    atomic_init(&m->refs, 1);
    snprintf(m->name, sizeof m->name, "%s", name ? name : "");
    m->version = version;
    if (bytes == NULL || len == 0) {
        gf_err_set(err, GF_EINVAL, "empty_model", "model bytes are empty");
        goto fail;
    }
    if (fc_spec_names(spec_json, &m->names, &m->nnames, err) != 0)
        goto fail;
    build_index(m);
    m->spec_json = gf_xstrdup(spec_json);
    if (fc_quantiles_from_texts(metrics_json, params_json, &m->quantiles, err) != 0)
        goto fail;
    m->feat_spec = feat_spec_of(spec_json, m);

    if ((b = fc_xgb_load(bytes, len, err)) == NULL)
        goto fail;
    size_t nf = 0, dlen = 0;
    if (fc_xgb_num_features(b, &nf, err) != 0)
        goto fail;
    if (nf != m->nnames) {
        gf_err_set(err, GF_EUNPROCESSABLE, "spec_mismatch",
                   "model %s@%lld expects %zu features but its spec names %zu", m->name,
                   (long long)version, nf, m->nnames);
        goto fail;
    }
    if (fc_xgb_dump_json(b, &dump, &dlen, err) != 0)
        goto fail;
    m->forest = fc_forest_parse(dump, dlen, err);
    free(dump); /* the largest transient: XGBoost's JSON text of the whole model */
    dump = NULL;
    if (m->forest == NULL)
        goto fail;
    if (fc_forest_num_features(m->forest) != nf) {
        gf_err_set(err, GF_EINTERNAL, "spec_mismatch",
                   "XGBoost JSON says %zu features, the booster %zu",
                   fc_forest_num_features(m->forest), nf);
        goto fail;
    }
    rows = gf_xmalloc(o.check_rows * nf * sizeof *rows);
    fc_forest_check_rows(m->forest, o.check_rows, o.check_seed, rows);
    if (fc_forest_verify(m->forest, b, rows, o.check_rows, o.rtol, &m->check_max_rel, err) != 0)
        goto fail;
    m->check_count += o.check_rows;
    if (o.extra_rows != NULL && o.n_extra > 0) {
        if (fc_forest_verify(m->forest, b, o.extra_rows, o.n_extra, o.rtol, &m->check_max_rel,
                             err) != 0)
            goto fail;
        m->check_count += o.n_extra;
    }
    free(rows);
    XGBoosterFree(b);
    release_load_memory();
    return m;
fail:
    free(rows);
    free(dump);
    if (b != NULL)
        XGBoosterFree(b);
    model_free(m);
    release_load_memory();
    return NULL;
}

fc_model_t *fc_model_from_version(const gf_reg_version_t *v, const fc_model_opts_t *opts,
                                  gf_err_t *err)
{
    if (v->blob == NULL) {
        gf_err_set(err, GF_EINVAL, "no_blob", "version was loaded without its model bytes");
        return NULL;
    }
    fc_model_t *m = fc_model_new(v->name, v->version, v->blob, v->blob_len, v->spec_json,
                                 v->metrics_json, v->params_json, opts, err);
    if (m != NULL)
        snprintf(m->created_at, sizeof m->created_at, "%s", v->created_at);
    return m;
}

fc_model_t *fc_model_load(gf_rcluster_t *c, const char *name, const char *ref,
                          const fc_model_opts_t *opts, gf_err_t *err)
{
    gf_reg_version_t *v = NULL;
    if (gf_reg_version_load_ref(c, name, ref, GF_REG_WITH_BLOB, &v, err) != 0)
        return NULL;
    fc_model_t *m = fc_model_from_version(v, opts, err);
    gf_reg_version_free(v);
    return m;
}

/* ------------------------------------------------------------------ refcount + accessors */

fc_model_t *fc_model_retain(fc_model_t *m)
{
    if (m != NULL)
        atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

void fc_model_release(fc_model_t *m)
{
    if (m != NULL && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        model_free(m);
}

const char *fc_model_name(const fc_model_t *m)
{
    return m->name;
}

int64_t fc_model_version(const fc_model_t *m)
{
    return m->version;
}

const gf_feat_spec_t *fc_model_feat_spec(const fc_model_t *m)
{
    return m->feat_spec;
}

const char *fc_model_created_at(const fc_model_t *m)
{
    return m->created_at;
}

size_t fc_model_num_features(const fc_model_t *m)
{
    return m->nnames;
}

const char *const *fc_model_feature_names(const fc_model_t *m)
{
    return (const char *const *)m->names;
}

const char *fc_model_spec_json(const fc_model_t *m)
{
    return m->spec_json;
}

const fc_forest_t *fc_model_forest(const fc_model_t *m)
{
    return m->forest;
}

const fc_quantiles_t *fc_model_quantiles(const fc_model_t *m)
{
    return m->quantiles;
}

double fc_model_check_max_rel(const fc_model_t *m)
{
    return m->check_max_rel;
}

size_t fc_model_check_count(const fc_model_t *m)
{
    return m->check_count;
}

void fc_model_predict(const fc_model_t *m, const float *x, size_t rows, float *out)
{
    fc_forest_predict(m->forest, x, rows, m->nnames, out);
}

/* ------------------------------------------------------------------ holder */

void fc_holder_init(fc_holder_t *h)
{
    pthread_mutex_init(&h->_mu, NULL);
    h->_model = NULL;
    atomic_init(&h->_swaps, 0);
}

void fc_holder_cleanup(fc_holder_t *h)
{
    fc_model_release(h->_model);
    h->_model = NULL;
    pthread_mutex_destroy(&h->_mu);
}

fc_model_t *fc_holder_get(fc_holder_t *h)
{
    pthread_mutex_lock(&h->_mu);
    fc_model_t *m = fc_model_retain(h->_model);
    pthread_mutex_unlock(&h->_mu);
    return m;
}

uint64_t fc_holder_set(fc_holder_t *h, fc_model_t *m)
{
    pthread_mutex_lock(&h->_mu);
    fc_model_t *old = h->_model;
    h->_model = m;
    uint64_t n = atomic_fetch_add(&h->_swaps, 1) + 1;
    pthread_mutex_unlock(&h->_mu);
    fc_model_release(old); /* outside the lock: freeing a model may take a while */
    return n;
}

/* ------------------------------------------------------------------ intervals */

int fc_model_intervals(const fc_model_t *m, const float *x, const float *point,
                       const int32_t *horizons, size_t rows, float *out, gf_err_t *err)
{
    if (m->quantiles == NULL)
        return gf_err_set(err, GF_EUNPROCESSABLE, "no_intervals",
                          "model %s@%lld carries no residual quantiles", m->name,
                          (long long)m->version);
    if (horizons != NULL)
        return fc_quantiles_apply(m->quantiles, point, horizons, rows, out, err);
    long hc = fc_model_feature_index(m, "horizon", 7);
    if (hc < 0)
        return gf_err_set(err, GF_EUNPROCESSABLE, "no_horizon",
                          "give \"horizons\": the model has no \"horizon\" feature");
    int32_t *h = gf_xmalloc((rows ? rows : 1) * sizeof *h);
    for (size_t i = 0; i < rows; i++) {
        float v = x[i * m->nnames + (size_t)hc];
        if (!(v >= 1.0f && v <= 1e6f)) {
            free(h);
            return gf_err_set(err, GF_EUNPROCESSABLE, "no_horizon",
                              "row %zu: feature \"horizon\" is missing or < 1", i);
        }
        h[i] = (int32_t)lrintf(v);
    }
    int rc = fc_quantiles_apply(m->quantiles, point, h, rows, out, err);
    free(h);
    return rc;
}

/* ------------------------------------------------------------------ reload */

int fc_holder_reload(fc_holder_t *h, gf_rcluster_t *c, const char *name, const char *ref,
                     const fc_model_opts_t *opts, gf_err_t *err)
{
    int64_t version = 0;
    int rc = gf_reg_ref_resolve(c, name, ref, &version, err);
    if (rc != 0)
        return rc;
    fc_model_t *cur = fc_holder_get(h);
    int same = cur != NULL && cur->version == version && strcmp(cur->name, name) == 0;
    fc_model_release(cur);
    if (same)
        return 0;
    gf_reg_version_t *v = NULL;
    if ((rc = gf_reg_version_load(c, name, version, GF_REG_WITH_BLOB, &v, err)) != 0)
        return rc;
    fc_model_t *m = fc_model_from_version(v, opts, err);
    gf_reg_version_free(v);
    if (m == NULL)
        return err ? err->rc : GF_EINTERNAL;
    fc_holder_set(h, m);
    return 1;
}
