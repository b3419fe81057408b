/*
 * reg_register.c - registering a model version (one Lua script makes it visible) and deprecating
 * one (see reg_internal.h for the shared helpers).
 */
#include "reg_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int job_valid(const char *job)
{
    size_t i = 0;
    for (; job[i]; i++)
        if ((unsigned char)job[i] < 0x20 || (unsigned char)job[i] > 0x7e)
            return 0;
    return i <= 128;
}

/* ================================================================== register */

/* KEYS: versions, v, blob, idem.  ARGV: version, blob, idempotency key ("" = none), sha256,
 * then the field/value pairs of the hash. A key that already registered a version of this
 * model gets that version back when the bytes are the same (a retried registration), an error
 * when they differ. The version key must be new (a reused number would mean a corrupt seq counter).
 * Returns {version, created}. */
static const char LUA_REGISTER[] =
    "if ARGV[3] ~= '' then\n"
    "  local prev = redis.call('HGET', KEYS[4], ARGV[3])\n"
    "  if prev then\n"
    "    local sep = string.find(prev, ':', 1, true)\n"
    "    if string.sub(prev, sep + 1) ~= ARGV[4] then\n"
    "      return redis.error_reply('GFIDEMREUSED ' .. string.sub(prev, 1, sep - 1))\n"
    "    end\n"
    "    return {tonumber(string.sub(prev, 1, sep - 1)), 0}\n"
    "  end\n"
    "end\n"
    "if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then\n"
    "  return redis.error_reply('GFEXISTS version already written')\n"
    "end\n"
    "redis.call('SET', KEYS[3], ARGV[2])\n"
    "local f = {}\n"
    "for i = 5, #ARGV do f[#f + 1] = ARGV[i] end\n"
    "redis.call('HSET', KEYS[2], unpack(f))\n"
    "if ARGV[3] ~= '' then\n"
    "  redis.call('HSET', KEYS[4], ARGV[3], ARGV[1] .. ':' .. ARGV[4])\n"
    "end\n"
    "redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])\n"
    "return {tonumber(ARGV[1]), 1}\n";

static int check_json(const char *text, const char *field, int want_object, int want_array,
                      gf_err_t *err)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        return gf_err_set(err, GF_EINVAL, "bad_json", "%s is not valid JSON: %s (line %d)", field,
                          je.text, je.line);
    int ok = (!want_object || json_is_object(j)) && (!want_array || json_is_array(j));
    json_decref(j);
    if (!ok)
        return gf_err_set(err, GF_EINVAL, "bad_json", "%s must be a JSON %s", field,
                          want_object ? "object" : "array");
    return 0;
}

int gf_reg_register(gf_rcluster_t *c, const char *name, const gf_reg_new_t *in,
                    int64_t *out_version, gf_err_t *err)
{
    int rc = gf__reg_check_name(name, err);
    if (rc)
        return rc;
    if (in == NULL || in->blob == NULL || in->blob_len == 0)
        return gf_err_set(err, GF_EINVAL, "empty_blob", "model bytes are required");
    if (in->blob_len > GF_REG_BLOB_MAX)
        return gf_err_set(err, GF_ETOOBIG, "blob_too_big", "model is %zu bytes, limit %u",
                          in->blob_len, GF_REG_BLOB_MAX);
    if (in->spec_json == NULL)
        return gf_err_set(err, GF_EINVAL, "missing_spec", "the feature spec is required");
    if ((rc = check_json(in->spec_json, "spec", 0, 0, err)) ||
        (in->metrics_json && (rc = check_json(in->metrics_json, "metrics", 1, 0, err))) ||
        (in->params_json && (rc = check_json(in->params_json, "params", 1, 0, err))))
        return rc;
    if (in->ntags > GF_REG_TAGS_MAX)
        return gf_err_set(err, GF_EINVAL, "bad_tag", "at most %d tags", GF_REG_TAGS_MAX);
    if (in->job != NULL && !job_valid(in->job))
        return gf_err_set(err, GF_EINVAL, "bad_job", "job id must be 1-128 printable chars");
    if (in->idem_key != NULL && (in->idem_key[0] == '\0' || !job_valid(in->idem_key)))
        return gf_err_set(err, GF_EINVAL, "bad_idem_key",
                          "idempotency key must be 1-128 printable ASCII chars");

    json_t *tags = json_array();
    for (size_t i = 0; i < in->ntags; i++) {
        if (!gf_reg_tag_valid(in->tags[i])) {
            json_decref(tags);
            return gf_err_set(err, GF_EINVAL, "bad_tag",
                              "tag %zu must be 1-64 chars of [A-Za-z0-9:._=-]", i);
        }
        json_array_append_new(tags, json_string(in->tags[i]));
    }
    char *tags_text = json_dumps(tags, JSON_COMPACT);
    json_decref(tags);
    if (tags_text == NULL) /* checked ASCII strings: only memory can fail */
        return gf_err_set(err, GF_EINTERNAL, "internal", "cannot encode the tags");

    char sha[GF_REG_SHA256_HEX_LEN + 1];
    gf_reg_sha256_hex(in->blob, in->blob_len, sha);
    char created[32];
    gf__reg_now(created, sizeof created);

    redisReply *r = NULL;
    const char *sadd[] = {"SADD", GF_REG_MODELS_KEY, name};
    if ((rc = gf__reg_runs(c, 3, sadd, &r, err)) != 0)
        goto out;
    freeReplyObject(r);
    r = NULL;

    char kseq[KEYLEN], kvers[KEYLEN], kv[KEYLEN], kblob[KEYLEN], kidem[KEYLEN];
    gf_reg_key(kseq, sizeof kseq, name, "seq", 0);
    const char *incr[] = {"INCR", kseq};
    if ((rc = gf__reg_runs(c, 2, incr, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_INTEGER || r->integer < 1) {
        rc = gf__reg_bad_reply(r, err, "INCR");
        r = NULL;
        goto out;
    }
    int64_t version = r->integer;
    freeReplyObject(r);
    r = NULL;

    gf_reg_key(kvers, sizeof kvers, name, "versions", 0);
    gf_reg_key(kv, sizeof kv, name, "v", version);
    gf_reg_key(kblob, sizeof kblob, name, "blob", version);
    gf_reg_key(kidem, sizeof kidem, name, "idem", 0);
    char sver[24], ssize[24], sfrom[24], sto[24];
    snprintf(sver, sizeof sver, "%" PRId64, version);
    snprintf(ssize, sizeof ssize, "%zu", in->blob_len);
    snprintf(sfrom, sizeof sfrom, "%" PRId64, in->data_from);
    snprintf(sto, sizeof sto, "%" PRId64, in->data_to);
    const char *argv[] = {
        "EVAL",
        LUA_REGISTER,
        "4",
        kvers,
        kv,
        kblob,
        kidem,
        sver,
        (const char *)in->blob,
        in->idem_key ? in->idem_key : "",
        sha,
        "name",
        name,
        "version",
        sver,
        "sha256",
        sha,
        "size",
        ssize,
        "spec",
        in->spec_json,
        "metrics",
        in->metrics_json ? in->metrics_json : "{}",
        "params",
        in->params_json ? in->params_json : "{}",
        "tags",
        tags_text,
        "job",
        in->job ? in->job : "",
        "data_from",
        sfrom,
        "data_to",
        sto,
        "created_at",
        created,
    };
    int argc = (int)(sizeof argv / sizeof argv[0]);
    size_t lens[sizeof argv / sizeof argv[0]];
    for (int i = 0; i < argc; i++)
        lens[i] = i == 8 ? in->blob_len : strlen(argv[i]);
    rc = gf__reg_run(c, argc, argv, lens, &r, err);
    if (rc != 0 && r != NULL && r->type == REDIS_REPLY_ERROR &&
        strstr(r->str, "GFIDEMREUSED") != NULL) {
        rc = gf_err_set(err, GF_ECONFLICT, "idem_key_reused",
                        "idempotency key '%.64s' already registered version %.20s of '%s' "
                        "with other bytes",
                        in->idem_key, strstr(r->str, "GFIDEMREUSED") + 13, name);
        goto out;
    }
    if (rc)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER || r->element[0]->integer < 1) {
        rc = gf__reg_bad_reply(r, err, "register script");
        r = NULL;
        goto out;
    }
    if (out_version)
        *out_version = r->element[0]->integer;
out:
    freeReplyObject(r);
    free(tags_text);
    return rc;
}

/* ================================================================== deprecate */

int gf_reg_deprecate(gf_rcluster_t *c, const char *name, int64_t version, const char *who,
                     const char *reason, gf_err_t *err)
{
    int rc = gf__reg_check_name(name, err);
    if (rc)
        return rc;
    if (!gf_reg_who_valid(who))
        return gf_err_set(err, GF_EINVAL, "bad_who", "who must be 1-64 printable ASCII chars");
    if (!gf__reg_reason_valid(reason))
        return gf_err_set(err, GF_EINVAL, "bad_reason", "reason: at most %d chars, no controls",
                          GF_REG_REASON_MAX);
    char kvers[KEYLEN], kdep[KEYLEN], sver[24], at[32];
    gf_reg_key(kvers, sizeof kvers, name, "versions", 0);
    gf_reg_key(kdep, sizeof kdep, name, "deprecated", 0);
    snprintf(sver, sizeof sver, "%" PRId64, version);
    gf__reg_now(at, sizeof at);
    json_t *j = json_pack("{s:s, s:s, s:s}", "who", who, "reason", reason ? reason : "", "at", at);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL)
        return gf_err_set(err, GF_EINVAL, "bad_reason", "reason is not valid UTF-8");
    static const char lua[] = "if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end\n"
                              "redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])\n"
                              "return 1\n";
    const char *argv[] = {"EVAL", lua, "2", kvers, kdep, sver, text};
    redisReply *r = NULL;
    if ((rc = gf__reg_runs(c, 7, argv, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_INTEGER) {
        rc = gf__reg_bad_reply(r, err, "deprecate script");
        r = NULL;
        goto out;
    }
    if (r->integer == 0)
        rc = gf_err_set(err, GF_ENOTFOUND, "unknown_version", "model '%s' has no version %s", name,
                        sver);
out:
    freeReplyObject(r);
    free(text);
    return rc;
}
