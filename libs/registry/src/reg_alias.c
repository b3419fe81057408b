/*
 * reg_alias.c - aliases: set (compare-and-set, audited, published in one Lua script), get,
 * list, history, rollback, and parsing the published events.
 */
#include "reg_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================== aliases */

/* KEYS: versions, aliases, history, deprecated.
 * ARGV: alias, version, expect_from (-1 any), who, reason, at, name, force, channel.
 * Returns {from, changed}; errors GFNOVERSION, GFDEPRECATED, GFCONFLICT <current>. */
static const char LUA_ALIAS[] =
    "if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then\n"
    "  return redis.error_reply('GFNOVERSION')\n"
    "end\n"
    "if ARGV[8] ~= '1' and redis.call('HEXISTS', KEYS[4], ARGV[2]) == 1 then\n"
    "  return redis.error_reply('GFDEPRECATED')\n"
    "end\n"
    "local cur = redis.call('HGET', KEYS[2], ARGV[1])\n"
    "local from = 0\n"
    "if cur then from = tonumber(cur) end\n"
    "local exp = tonumber(ARGV[3])\n"
    "if exp >= 0 and exp ~= from then\n"
    "  return redis.error_reply('GFCONFLICT ' .. from)\n"
    "end\n"
    "local to = tonumber(ARGV[2])\n"
    "if from == to then return {from, 0} end\n"
    "redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])\n"
    "local fromj = cjson.null\n"
    "if from > 0 then fromj = from end\n"
    "redis.call('RPUSH', KEYS[3], cjson.encode({alias = ARGV[1], from = fromj, to = to,\n"
    "  who = ARGV[4], reason = ARGV[5], at = ARGV[6]}))\n"
    "redis.call('PUBLISH', ARGV[9], cjson.encode({event = 'alias', name = ARGV[7],\n"
    "  alias = ARGV[1], from = fromj, to = to, at = ARGV[6], who = ARGV[4]}))\n"
    "return {from, 1}\n";

static int check_alias(const char *alias, gf_err_t *err)
{
    if (!gf_reg_alias_valid(alias))
        return gf_err_set(err, GF_EINVAL, "bad_alias", "alias must match [a-z][a-z0-9_-]{0,31}");
    return 0;
}

int gf_reg_alias_set(gf_rcluster_t *c, const char *name, const char *alias, int64_t version,
                     int64_t expect_from, const char *who, const char *reason, int force,
                     int64_t *out_from, gf_err_t *err)
{
    int rc;
    if ((rc = gf__reg_check_name(name, err)) || (rc = check_alias(alias, err)))
        return rc;
    if (!gf_reg_who_valid(who))
        return gf_err_set(err, GF_EINVAL, "bad_who", "who must be 1-64 printable ASCII chars");
    if (!gf__reg_reason_valid(reason))
        return gf_err_set(err, GF_EINVAL, "bad_reason", "reason: at most %d chars, no controls",
                          GF_REG_REASON_MAX);
    if (version < 1)
        return gf_err_set(err, GF_EINVAL, "bad_version", "version must be >= 1");
    /* cjson in the script would replace invalid UTF-8 silently; refuse it here instead. */
    json_t *probe = json_string(reason ? reason : "");
    if (probe == NULL)
        return gf_err_set(err, GF_EINVAL, "bad_reason", "reason is not valid UTF-8");
    json_decref(probe);

    char kvers[KEYLEN], kal[KEYLEN], khist[KEYLEN], kdep[KEYLEN];
    char sver[24], sexp[24], at[32];
    gf_reg_key(kvers, sizeof kvers, name, "versions", 0);
    gf_reg_key(kal, sizeof kal, name, "aliases", 0);
    gf_reg_key(khist, sizeof khist, name, "history", 0);
    gf_reg_key(kdep, sizeof kdep, name, "deprecated", 0);
    snprintf(sver, sizeof sver, "%" PRId64, version);
    snprintf(sexp, sizeof sexp, "%" PRId64, expect_from < 0 ? (int64_t)-1 : expect_from);
    gf__reg_now(at, sizeof at);
    const char *argv[] = {"EVAL",
                          LUA_ALIAS,
                          "4",
                          kvers,
                          kal,
                          khist,
                          kdep,
                          alias,
                          sver,
                          sexp,
                          who,
                          reason ? reason : "",
                          at,
                          name,
                          force ? "1" : "0",
                          GF_REG_CHANNEL};
    redisReply *r = NULL;
    rc = gf__reg_runs(c, 16, argv, &r, err);
    if (rc != 0 && r != NULL && r->type == REDIS_REPLY_ERROR) {
        if (strstr(r->str, "GFNOVERSION"))
            rc = gf_err_set(err, GF_ENOTFOUND, "unknown_version", "model '%s' has no version %s",
                            name, sver);
        else if (strstr(r->str, "GFDEPRECATED"))
            rc = gf_err_set(err, GF_ECONFLICT, "version_deprecated",
                            "version %s of '%s' is deprecated", sver, name);
        else if (strstr(r->str, "GFCONFLICT")) {
            const char *p = strstr(r->str, "GFCONFLICT") + 10;
            rc = gf_err_set(err, GF_ECONFLICT, "alias_changed",
                            "alias '%s' points at version%.20s, not %s as expected", alias, p,
                            sexp);
        }
        goto out;
    }
    if (rc)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER) {
        rc = gf__reg_bad_reply(r, err, "alias script");
        r = NULL;
        goto out;
    }
    if (out_from)
        *out_from = r->element[0]->integer;
out:
    freeReplyObject(r);
    return rc;
}

int gf_reg_alias_get(gf_rcluster_t *c, const char *name, const char *alias, int64_t *out,
                     gf_err_t *err)
{
    *out = 0;
    int rc;
    if ((rc = gf__reg_check_name(name, err)) || (rc = check_alias(alias, err)))
        return rc;
    char kal[KEYLEN];
    gf_reg_key(kal, sizeof kal, name, "aliases", 0);
    const char *argv[] = {"HGET", kal, alias};
    redisReply *r = NULL;
    if ((rc = gf__reg_runs(c, 3, argv, &r, err)) != 0)
        goto out;
    if (r->type == REDIS_REPLY_NIL) {
        rc = gf_err_set(err, GF_ENOTFOUND, "unknown_alias", "model '%s' has no alias '%s'", name,
                        alias);
        goto out;
    }
    if (gf__reg_field_i64(r, out) != 0) {
        rc = gf__reg_bad_reply(r, err, "HGET alias");
        r = NULL;
    }
out:
    freeReplyObject(r);
    return rc;
}

static int cmp_alias(const void *a, const void *b)
{
    return strcmp(((const gf_reg_alias_t *)a)->alias, ((const gf_reg_alias_t *)b)->alias);
}

int gf_reg_aliases_list(gf_rcluster_t *c, const char *name, gf_reg_alias_t **out, size_t *n,
                        gf_err_t *err)
{
    *out = NULL;
    *n = 0;
    int rc = gf__reg_check_name(name, err);
    if (rc)
        return rc;
    char kal[KEYLEN];
    gf_reg_key(kal, sizeof kal, name, "aliases", 0);
    const char *argv[] = {"HGETALL", kal};
    redisReply *r = NULL;
    if ((rc = gf__reg_runs(c, 2, argv, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
        rc = gf__reg_bad_reply(r, err, "HGETALL aliases");
        r = NULL;
        goto out;
    }
    size_t k = 0;
    gf_reg_alias_t *a = r->elements ? gf_xmalloc(r->elements / 2 * sizeof *a) : NULL;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        redisReply *ka = r->element[i], *va = r->element[i + 1];
        if (ka->type != REDIS_REPLY_STRING || ka->len > GF_REG_ALIAS_MAX ||
            gf__reg_field_i64(va, &a[k].version) != 0)
            continue;
        memcpy(a[k].alias, ka->str, ka->len);
        a[k].alias[ka->len] = '\0';
        k++;
    }
    if (k > 0)
        qsort(a, k, sizeof *a, cmp_alias);
    else {
        free(a);
        a = NULL;
    }
    *out = a;
    *n = k;
out:
    freeReplyObject(r);
    return rc;
}

/* Fill one change from its stored JSON; 0 on success. */
static int change_parse(const char *text, size_t len, gf_reg_change_t *h)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (j == NULL)
        return -1;
    memset(h, 0, sizeof *h);
    const char *alias = json_string_value(json_object_get(j, "alias"));
    const char *who = json_string_value(json_object_get(j, "who"));
    const char *reason = json_string_value(json_object_get(j, "reason"));
    const char *at = json_string_value(json_object_get(j, "at"));
    json_t *from = json_object_get(j, "from"), *to = json_object_get(j, "to");
    int ok = alias && who && at && json_is_number(to) &&
             (from == NULL || json_is_null(from) || json_is_number(from));
    if (ok) {
        snprintf(h->alias, sizeof h->alias, "%s", alias);
        snprintf(h->who, sizeof h->who, "%s", who);
        snprintf(h->reason, sizeof h->reason, "%s", reason ? reason : "");
        snprintf(h->at, sizeof h->at, "%s", at);
        h->from = json_is_number(from) ? (int64_t)json_number_value(from) : 0;
        h->to = (int64_t)json_number_value(to);
    }
    json_decref(j);
    return ok ? 0 : -1;
}

int gf_reg_history_load(gf_rcluster_t *c, const char *name, const char *alias,
                        gf_reg_change_t **out, size_t *n, gf_err_t *err)
{
    *out = NULL;
    *n = 0;
    int rc = gf__reg_check_name(name, err);
    if (rc)
        return rc;
    if (alias != NULL && (rc = check_alias(alias, err)) != 0)
        return rc;
    char kh[KEYLEN];
    gf_reg_key(kh, sizeof kh, name, "history", 0);
    const char *argv[] = {"LRANGE", kh, "0", "-1"};
    redisReply *r = NULL;
    if ((rc = gf__reg_runs(c, 4, argv, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = gf__reg_bad_reply(r, err, "LRANGE history");
        r = NULL;
        goto out;
    }
    gf_reg_change_t *h = r->elements ? gf_xmalloc(r->elements * sizeof *h) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_STRING || change_parse(e->str, e->len, &h[k]) != 0) {
            free(h);
            rc = gf_err_set(err, GF_EINTERNAL, "corrupt_metadata",
                            "history entry %zu of '%s' is malformed", i, name);
            goto out;
        }
        if (alias == NULL || strcmp(h[k].alias, alias) == 0)
            k++;
    }
    if (k == 0) {
        free(h);
        h = NULL;
    }
    *out = h;
    *n = k;
out:
    freeReplyObject(r);
    return rc;
}

int gf_reg_alias_rollback(gf_rcluster_t *c, const char *name, const char *alias, const char *who,
                          const char *reason, int64_t *out_to, gf_err_t *err)
{
    gf_reg_change_t *h = NULL;
    size_t n = 0;
    int rc = gf_reg_history_load(c, name, alias, &h, &n, err);
    if (rc)
        return rc;
    if (n == 0) {
        rc = gf_err_set(err, GF_ENOTFOUND, "unknown_alias", "alias '%s' of '%s' has no history",
                        alias, name);
        goto out;
    }
    gf_reg_change_t last = h[n - 1];
    if (last.from == 0) {
        rc = gf_err_set(err, GF_ECONFLICT, "no_previous_version",
                        "alias '%s' was created by its latest change; nothing to roll back to",
                        alias);
        goto out;
    }
    /* force: rolling back to a version deprecated since is still the operator's call. */
    rc = gf_reg_alias_set(c, name, alias, last.from, last.to, who, reason, 1, NULL, err);
    if (rc == 0 && out_to)
        *out_to = last.from;
out:
    free(h);
    return rc;
}

int gf_reg_event_parse(const char *msg, size_t len, gf_reg_event_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *j = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        return gf_err_set(err, GF_EINVAL, "bad_event", "event is not JSON: %s", je.text);
    const char *ev = json_string_value(json_object_get(j, "event"));
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *alias = json_string_value(json_object_get(j, "alias"));
    const char *at = json_string_value(json_object_get(j, "at"));
    const char *who = json_string_value(json_object_get(j, "who"));
    json_t *from = json_object_get(j, "from"), *to = json_object_get(j, "to");
    int ok = ev && strcmp(ev, "alias") == 0 && gf_reg_name_valid(name) &&
             gf_reg_alias_valid(alias) && json_is_integer(to) && json_integer_value(to) >= 1 &&
             (from == NULL || json_is_null(from) || json_is_integer(from));
    if (ok) {
        snprintf(out->name, sizeof out->name, "%s", name);
        snprintf(out->alias, sizeof out->alias, "%s", alias);
        snprintf(out->at, sizeof out->at, "%s", at ? at : "");
        snprintf(out->who, sizeof out->who, "%s", who ? who : "");
        out->from = json_is_integer(from) ? json_integer_value(from) : 0;
        out->to = json_integer_value(to);
    }
    json_decref(j);
    return ok ? 0 : gf_err_set(err, GF_EINVAL, "bad_event", "not a registry alias event");
}
