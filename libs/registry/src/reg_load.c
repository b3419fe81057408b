/*
 * reg_load.c - reading versions (metadata, checked blob), the latest version, version and model
 * lists.
 */
#include "reg_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================== load */

void gf_reg_version_free(gf_reg_version_t *v)
{
    if (v == NULL)
        return;
    free(v->spec_json);
    free(v->metrics_json);
    free(v->params_json);
    free(v->tags_json);
    free(v->job);
    free(v->deprecated_json);
    free(v->blob);
    free(v);
}

int gf_reg_version_load(gf_rcluster_t *c, const char *name, int64_t version, int flags,
                        gf_reg_version_t **out, gf_err_t *err)
{
    *out = NULL;
    int rc = gf__reg_check_name(name, err);
    if (rc)
        return rc;
    if (version < 1)
        return gf_err_set(err, GF_ENOTFOUND, "unknown_version",
                          "model '%s' has no version %" PRId64, name, version);
    char kvers[KEYLEN], kv[KEYLEN], kblob[KEYLEN], kdep[KEYLEN], sver[24];
    gf_reg_key(kvers, sizeof kvers, name, "versions", 0);
    gf_reg_key(kv, sizeof kv, name, "v", version);
    gf_reg_key(kblob, sizeof kblob, name, "blob", version);
    gf_reg_key(kdep, sizeof kdep, name, "deprecated", 0);
    snprintf(sver, sizeof sver, "%" PRId64, version);

    /* Visibility is decided by the versions zset only: a hash without its zset entry is a
     * registration still in flight (impossible with the script, but cheap to respect). */
    redisReply *r = NULL;
    const char *zs[] = {"ZSCORE", kvers, sver};
    if ((rc = gf__reg_runs(c, 3, zs, &r, err)) != 0)
        goto out;
    if (r->type == REDIS_REPLY_NIL) {
        rc = gf_err_set(err, GF_ENOTFOUND, "unknown_version", "model '%s' has no version %s", name,
                        sver);
        goto out;
    }
    freeReplyObject(r);
    r = NULL;

    const char *hm[] = {"HMGET",  kv,     "sha256", "size",      "spec",    "metrics",
                        "params", "tags", "job",    "data_from", "data_to", "created_at"};
    if ((rc = gf__reg_runs(c, 12, hm, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 10) {
        rc = gf__reg_bad_reply(r, err, "HMGET");
        r = NULL;
        goto out;
    }
    redisReply **e = r->element;
    gf_reg_version_t *v = gf_xcalloc(1, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", name);
    v->version = version;
    int64_t size = 0;
    if (e[0]->type != REDIS_REPLY_STRING || e[0]->len != 64 || gf__reg_field_i64(e[1], &size) ||
        size < 0 || e[2]->type != REDIS_REPLY_STRING || gf__reg_field_i64(e[7], &v->data_from) ||
        gf__reg_field_i64(e[8], &v->data_to) || e[9]->type != REDIS_REPLY_STRING ||
        e[9]->len >= 32) {
        gf_reg_version_free(v);
        rc = gf_err_set(err, GF_EINTERNAL, "corrupt_metadata",
                        "metadata of %s version %s is incomplete or malformed", name, sver);
        goto out;
    }
    memcpy(v->sha256, e[0]->str, 64);
    v->sha256[64] = '\0';
    v->size = (size_t)size;
    v->spec_json = gf__reg_field_dup(e[2], "{}");
    v->metrics_json = gf__reg_field_dup(e[3], "{}");
    v->params_json = gf__reg_field_dup(e[4], "{}");
    v->tags_json = gf__reg_field_dup(e[5], "[]");
    v->job = gf__reg_field_dup(e[6], "");
    memcpy(v->created_at, e[9]->str, e[9]->len);
    v->created_at[e[9]->len] = '\0';
    freeReplyObject(r);
    r = NULL;

    const char *hg[] = {"HGET", kdep, sver};
    if ((rc = gf__reg_runs(c, 3, hg, &r, err)) != 0) {
        gf_reg_version_free(v);
        goto out;
    }
    if (r->type == REDIS_REPLY_STRING)
        v->deprecated_json = gf_xstrndup(r->str, r->len);
    freeReplyObject(r);
    r = NULL;

    if (flags & GF_REG_WITH_BLOB) {
        const char *get[] = {"GET", kblob};
        if ((rc = gf__reg_runs(c, 2, get, &r, err)) != 0) {
            gf_reg_version_free(v);
            goto out;
        }
        if (r->type != REDIS_REPLY_STRING) {
            gf_reg_version_free(v);
            rc = gf_err_set(err, GF_EINTERNAL, "blob_missing",
                            "model bytes of %s version %s are missing", name, sver);
            goto out;
        }
        char sha[GF_REG_SHA256_HEX_LEN + 1];
        gf_reg_sha256_hex(r->str, r->len, sha);
        if (r->len != v->size || strcmp(sha, v->sha256) != 0) {
            rc = gf_err_set(err, GF_EINTERNAL, "checksum_mismatch",
                            "model bytes of %s version %s are corrupt: %zu bytes sha256 %.12s..., "
                            "recorded %zu bytes sha256 %.12s...",
                            name, sver, r->len, sha, v->size, v->sha256);
            gf_reg_version_free(v);
            goto out;
        }
        v->blob = gf_xmalloc(r->len + 1);
        memcpy(v->blob, r->str, r->len);
        v->blob[r->len] = '\0';
        v->blob_len = r->len;
    }
    *out = v;
out:
    freeReplyObject(r);
    return rc;
}

int gf_reg_latest(gf_rcluster_t *c, const char *name, int64_t *out, gf_err_t *err)
{
    *out = 0;
    int rc = gf__reg_check_name(name, err);
    if (rc)
        return rc;
    char kvers[KEYLEN];
    gf_reg_key(kvers, sizeof kvers, name, "versions", 0);
    redisReply *r = NULL;
    const char *argv[] = {"ZRANGE", kvers, "-1", "-1"};
    if ((rc = gf__reg_runs(c, 4, argv, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = gf__reg_bad_reply(r, err, "ZRANGE");
        r = NULL;
        goto out;
    }
    if (r->elements == 1 && gf__reg_field_i64(r->element[0], out) != 0) {
        rc = gf__reg_bad_reply(r, err, "ZRANGE");
        r = NULL;
    }
out:
    freeReplyObject(r);
    return rc;
}

int gf_reg_ref_resolve(gf_rcluster_t *c, const char *name, const char *ref, int64_t *out,
                       gf_err_t *err)
{
    int64_t version = 0;
    int rc;
    if (ref == NULL || strcmp(ref, "latest") == 0) {
        if ((rc = gf_reg_latest(c, name, &version, err)) != 0)
            return rc;
        if (version == 0)
            return gf_err_set(err, GF_ENOTFOUND, "unknown_model", "model '%s' has no versions",
                              name);
    } else if (ref[0] >= '0' && ref[0] <= '9') {
        if (gf__reg_parse_i64(ref, strlen(ref), &version) != 0)
            return gf_err_set(err, GF_EINVAL, "bad_version", "bad version '%.40s'", ref);
    } else if ((rc = gf_reg_alias_get(c, name, ref, &version, err)) != 0) {
        return rc;
    }
    *out = version;
    return 0;
}

int gf_reg_version_load_ref(gf_rcluster_t *c, const char *name, const char *ref, int flags,
                            gf_reg_version_t **out, gf_err_t *err)
{
    *out = NULL;
    int64_t version = 0;
    int rc = gf_reg_ref_resolve(c, name, ref, &version, err);
    if (rc != 0)
        return rc;
    return gf_reg_version_load(c, name, version, flags, out, err);
}

int gf_reg_versions_list(gf_rcluster_t *c, const char *name, int64_t **out, size_t *n,
                         gf_err_t *err)
{
    *out = NULL;
    *n = 0;
    int rc = gf__reg_check_name(name, err);
    if (rc)
        return rc;
    char kvers[KEYLEN];
    gf_reg_key(kvers, sizeof kvers, name, "versions", 0);
    redisReply *r = NULL;
    const char *argv[] = {"ZRANGE", kvers, "0", "-1"};
    if ((rc = gf__reg_runs(c, 4, argv, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = gf__reg_bad_reply(r, err, "ZRANGE");
        r = NULL;
        goto out;
    }
    if (r->elements > 0) {
        int64_t *v = gf_xmalloc(r->elements * sizeof *v);
        for (size_t i = 0; i < r->elements; i++) {
            if (gf__reg_field_i64(r->element[i], &v[i]) != 0) {
                free(v);
                rc = gf__reg_bad_reply(r, err, "ZRANGE");
                r = NULL;
                goto out;
            }
        }
        *out = v;
        *n = r->elements;
    }
out:
    freeReplyObject(r);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void gf_reg_strv_free(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int gf_reg_models_list(gf_rcluster_t *c, char ***out, size_t *n, gf_err_t *err)
{
    *out = NULL;
    *n = 0;
    redisReply *r = NULL;
    const char *argv[] = {"SMEMBERS", GF_REG_MODELS_KEY};
    int rc = gf__reg_runs(c, 2, argv, &r, err);
    if (rc)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = gf__reg_bad_reply(r, err, "SMEMBERS");
        r = NULL;
        goto out;
    }
    if (r->elements > 0) {
        char **v = gf_xmalloc(r->elements * sizeof *v);
        size_t k = 0;
        for (size_t i = 0; i < r->elements; i++)
            if (r->element[i]->type == REDIS_REPLY_STRING)
                v[k++] = gf_xstrndup(r->element[i]->str, r->element[i]->len);
        qsort(v, k, sizeof *v, cmp_str);
        *out = v;
        *n = k;
    }
out:
    freeReplyObject(r);
    return rc;
}
