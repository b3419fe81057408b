/*
 * meta.c - parse registry requests received from outside (see registry/meta.h).
 *
 * Strict: jansson with JSON_REJECT_DUPLICATES, a closed set of members, exact types, and
 * every string checked against the same validators the registry applies, so a request that
 * parses here cannot be refused later for its shape. Nothing allocated survives the call.
 */
#include "registry/meta.h"

#include <math.h>
#include <string.h>

static int field_err(gf_err_t *err, const char *code, const char *field, const char *fmt,
                     const char *reason)
{
    gf_err_set(err, GF_EINVAL, code, fmt, field);
    gf_err_add_field(err, field, reason);
    return GF_EINVAL;
}

/* A JSON integer >= min that fits int64 (jansson's json_int_t is long long). */
static int get_int(json_t *v, int64_t min, int64_t *out)
{
    if (!json_is_integer(v))
        return -1;
    json_int_t x = json_integer_value(v);
    if (x < min)
        return -1;
    *out = x;
    return 0;
}

int gf_reg_alias_req_parse(const char *body, size_t len, gf_reg_alias_req_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    out->expect_from = -1;
    if (body == NULL)
        len = 0;
    json_error_t je;
    json_t *j = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        gf_err_set(err, GF_EINVAL, "invalid_json",
                   "body is not valid JSON: %s (line %d, column %d)", je.text, je.line, je.column);
        return GF_EINVAL;
    }
    int rc = 0;
    if (!json_is_object(j)) {
        rc = gf_err_set(err, GF_EINVAL, "not_an_object", "body must be a JSON object");
        goto out;
    }
    const char *key;
    json_t *val;
    int have_version = 0;
    json_object_foreach(j, key, val)
    {
        if (strcmp(key, "alias") == 0) {
            const char *s = json_string_value(val);
            if (s == NULL || strlen(s) != json_string_length(val) || !gf_reg_alias_valid(s)) {
                rc = field_err(err, "bad_alias", "alias", "'%s' must match [a-z][a-z0-9_-]{0,31}",
                               "pattern");
                goto out;
            }
            strcpy(out->alias, s);
        } else if (strcmp(key, "version") == 0) {
            if (get_int(val, 1, &out->version) != 0) {
                rc = field_err(err, "bad_version", "version", "'%s' must be an integer >= 1",
                               "integer >= 1");
                goto out;
            }
            have_version = 1;
        } else if (strcmp(key, "rollback") == 0) {
            if (!json_is_boolean(val)) {
                rc = field_err(err, "bad_flag", "rollback", "'%s' must be true or false",
                               "boolean");
                goto out;
            }
            out->rollback = json_is_true(val);
        } else if (strcmp(key, "force") == 0) {
            if (!json_is_boolean(val)) {
                rc = field_err(err, "bad_flag", "force", "'%s' must be true or false", "boolean");
                goto out;
            }
            out->force = json_is_true(val);
        } else if (strcmp(key, "expect") == 0) {
            if (get_int(val, 0, &out->expect_from) != 0) {
                rc = field_err(err, "bad_expect", "expect", "'%s' must be an integer >= 0",
                               "integer >= 0");
                goto out;
            }
        } else if (strcmp(key, "who") == 0) {
            const char *s = json_string_value(val);
            if (s == NULL || strlen(s) != json_string_length(val) || !gf_reg_who_valid(s)) {
                rc = field_err(err, "bad_who", "who", "'%s' must be 1-64 printable ASCII chars",
                               "1-64 printable ASCII");
                goto out;
            }
            strcpy(out->who, s);
        } else if (strcmp(key, "reason") == 0) {
            const char *s = json_string_value(val);
            int ok = s != NULL && strlen(s) == json_string_length(val) &&
                     json_string_length(val) <= GF_REG_REASON_MAX;
            for (size_t i = 0; ok && s[i]; i++)
                if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
                    ok = 0;
            if (!ok) {
                rc = field_err(err, "bad_reason", "reason",
                               "'%s' must be a string of at most 512 bytes without controls",
                               "string <= 512 bytes");
                goto out;
            }
            strcpy(out->reason, s);
        } else {
            gf_err_set(err, GF_EINVAL, "unknown_field", "unknown member '%.64s'", key);
            gf_err_add_field(err, key, "unknown");
            rc = GF_EINVAL;
            goto out;
        }
    }
    if (out->alias[0] == '\0') {
        rc = field_err(err, "missing_field", "alias", "'%s' is required", "required");
        goto out;
    }
    if (out->who[0] == '\0') {
        rc = field_err(err, "missing_field", "who", "'%s' is required", "required");
        goto out;
    }
    if (have_version && out->rollback) {
        rc = field_err(err, "version_and_rollback", "version",
                       "give either '%s' or \"rollback\":true, not both", "exclusive");
        goto out;
    }
    if (!have_version && !out->rollback) {
        rc = field_err(err, "missing_field", "version", "'%s' (or \"rollback\":true) is required",
                       "required");
        goto out;
    }
out:
    json_decref(j);
    return rc;
}

int gf_reg_alias_req_apply(gf_rcluster_t *c, const char *name, const gf_reg_alias_req_t *req,
                           int64_t *out_from, int64_t *out_to, gf_err_t *err)
{
    if (req->rollback) {
        int64_t from = 0;
        int rc = gf_reg_alias_get(c, name, req->alias, &from, err);
        if (rc)
            return rc;
        if (req->expect_from >= 0 && req->expect_from != from)
            return gf_err_set(err, GF_ECONFLICT, "alias_changed",
                              "alias '%s' points at version %lld, not %lld as expected", req->alias,
                              (long long)from, (long long)req->expect_from);
        int64_t to = 0;
        rc = gf_reg_alias_rollback(c, name, req->alias, req->who, req->reason, &to, err);
        if (rc == 0) {
            if (out_from)
                *out_from = from;
            if (out_to)
                *out_to = to;
        }
        return rc;
    }
    int rc = gf_reg_alias_set(c, name, req->alias, req->version, req->expect_from, req->who,
                              req->reason, req->force, out_from, err);
    if (rc == 0 && out_to)
        *out_to = req->version;
    return rc;
}
