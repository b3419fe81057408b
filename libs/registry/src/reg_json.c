/*
 * reg_json.c - JSON views of versions, alias changes, one model and all models.
 */
#include "reg_internal.h"

#include <inttypes.h>
#include <stdlib.h>

/* ================================================================== JSON views */

static json_t *load_text(const char *text)
{
    json_error_t je;
    return json_loads(text ? text : "null", JSON_DECODE_ANY, &je);
}

json_t *gf_reg_version_to_json(const gf_reg_version_t *v)
{
    json_t *spec = load_text(v->spec_json), *metrics = load_text(v->metrics_json);
    json_t *params = load_text(v->params_json), *tags = load_text(v->tags_json);
    json_t *dep = v->deprecated_json ? load_text(v->deprecated_json) : json_null();
    if (!spec || !metrics || !params || !tags || !dep) {
        json_decref(spec);
        json_decref(metrics);
        json_decref(params);
        json_decref(tags);
        json_decref(dep);
        return NULL;
    }
    return json_pack("{s:s, s:I, s:s, s:I, s:o, s:o, s:o, s:{s:I, s:I}, s:s, s:s, s:o, s:o}",
                     "name", v->name, "version", (json_int_t)v->version, "sha256", v->sha256,
                     "size", (json_int_t)v->size, "spec", spec, "metrics", metrics, "params",
                     params, "data_range", "from", (json_int_t)v->data_from, "to",
                     (json_int_t)v->data_to, "created_at", v->created_at, "job", v->job, "tags",
                     tags, "deprecated", dep);
}

json_t *gf_reg_change_to_json(const gf_reg_change_t *h)
{
    return json_pack("{s:s, s:o, s:I, s:s, s:s, s:s}", "alias", h->alias, "from",
                     h->from > 0 ? json_integer(h->from) : json_null(), "to", (json_int_t)h->to,
                     "who", h->who, "reason", h->reason, "at", h->at);
}

static int aliases_json(gf_rcluster_t *c, const char *name, json_t **out, gf_err_t *err)
{
    gf_reg_alias_t *a = NULL;
    size_t n = 0;
    int rc = gf_reg_aliases_list(c, name, &a, &n, err);
    if (rc)
        return rc;
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, a[i].alias, json_integer(a[i].version));
    free(a);
    *out = o;
    return 0;
}

int gf_reg_models_to_json(gf_rcluster_t *c, json_t **out, gf_err_t *err)
{
    *out = NULL;
    char **names = NULL;
    size_t n = 0;
    int rc = gf_reg_models_list(c, &names, &n, err);
    if (rc)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        int64_t *vers = NULL;
        size_t nv = 0;
        json_t *al = NULL;
        if (!gf_reg_name_valid(names[i]))
            continue;
        if ((rc = gf_reg_versions_list(c, names[i], &vers, &nv, err)) != 0 ||
            (rc = aliases_json(c, names[i], &al, err)) != 0) {
            free(vers);
            json_decref(arr);
            goto out;
        }
        json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:o}", "name", names[i], "latest",
                                             (json_int_t)(nv ? vers[nv - 1] : 0), "versions",
                                             (json_int_t)nv, "aliases", al));
        free(vers);
    }
    *out = json_pack("{s:o}", "models", arr);
out:
    gf_reg_strv_free(names, n);
    return rc;
}

int gf_reg_model_to_json(gf_rcluster_t *c, const char *name, json_t **out, gf_err_t *err)
{
    *out = NULL;
    int64_t *vers = NULL;
    size_t nv = 0, nh = 0;
    gf_reg_change_t *h = NULL;
    json_t *al = NULL, *va = NULL, *ha = NULL;
    int rc = gf_reg_versions_list(c, name, &vers, &nv, err);
    if (rc)
        goto out;
    if (nv == 0) {
        rc = gf_err_set(err, GF_ENOTFOUND, "unknown_model", "model '%s' is not registered", name);
        goto out;
    }
    if ((rc = aliases_json(c, name, &al, err)) != 0 ||
        (rc = gf_reg_history_load(c, name, NULL, &h, &nh, err)) != 0)
        goto out;
    va = json_array();
    for (size_t i = 0; i < nv; i++) {
        gf_reg_version_t *v = NULL;
        if ((rc = gf_reg_version_load(c, name, vers[i], 0, &v, err)) != 0)
            goto out;
        json_t *vj = gf_reg_version_to_json(v);
        gf_reg_version_free(v);
        if (vj == NULL) {
            rc = gf_err_set(err, GF_EINTERNAL, "corrupt_metadata",
                            "stored JSON of version %" PRId64 " does not parse", vers[i]);
            goto out;
        }
        json_array_append_new(va, vj);
    }
    ha = json_array();
    for (size_t i = 0; i < nh; i++)
        json_array_append_new(ha, gf_reg_change_to_json(&h[i]));
    *out = json_pack("{s:s, s:o, s:o, s:o}", "name", name, "aliases", al, "versions", va, "history",
                     ha);
    al = va = ha = NULL;
out:
    json_decref(al);
    json_decref(va);
    json_decref(ha);
    free(vers);
    free(h);
    return rc;
}
