/*
 * registry.c - the Redis-backed model registry. Contracts and the key layout are in
 * registry/registry.h; the field list of a version hash is in libs/registry/README.md.
 *
 * Invariants kept here:
 *   - a version number is taken with INCR, so concurrent registrations never share one;
 *   - a version becomes visible (ZADD to gf:reg:{N}:versions) in the same Lua script that
 *     writes its blob and metadata, so readers see all of it or none of it;
 *   - an alias change (check, set, history, publish) is one Lua script;
 *   - every blob read is checked against the SHA-256 and size recorded at registration.
 * Every hiredis reply is checked for NULL (connection gone -> GF_EUNAVAIL) and for
 * REDIS_REPLY_ERROR, and freed once, top-level only.
 */
#include "registry/registry.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/redis.h"
#include "registry/sha256.h"

/* ================================================================== small helpers */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        abort(); /* out of memory: same policy as gf_xmalloc */
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void now_rfc3339(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    time_t t = ts.tv_sec;
    gmtime_r(&t, &tm);
    char day[24];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%.19s.%03dZ", day, (int)(ts.tv_nsec / 1000000) % 1000);
}

/* Strict decimal int64 parse of a whole string; 0 on success. */
static int parse_i64(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 20)
        return -1;
    char tmp[24];
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (!(isdigit((unsigned char)tmp[0]) || (tmp[0] == '-' && len > 1)))
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(tmp, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int gf_reg_name_valid(const char *name)
{
    if (name == NULL || !isalnum((unsigned char)name[0]))
        return 0;
    size_t i = 1;
    for (; name[i]; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (i >= GF_REG_NAME_MAX)
            return 0;
        if (!(isalnum(ch) || ch == ':' || ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

int gf_reg_alias_valid(const char *alias)
{
    if (alias == NULL || !(alias[0] >= 'a' && alias[0] <= 'z'))
        return 0;
    for (size_t i = 1; alias[i]; i++) {
        char ch = alias[i];
        if (i >= GF_REG_ALIAS_MAX)
            return 0;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

int gf_reg_who_valid(const char *who)
{
    if (who == NULL || who[0] == '\0')
        return 0;
    size_t i = 0;
    for (; who[i]; i++)
        if ((unsigned char)who[i] < 0x20 || (unsigned char)who[i] > 0x7e)
            return 0;
    return i <= GF_REG_WHO_MAX;
}

int gf_reg_tag_valid(const char *tag)
{
    if (tag == NULL || tag[0] == '\0')
        return 0;
    size_t i = 0;
    for (; tag[i]; i++) {
        unsigned char ch = (unsigned char)tag[i];
        if (!(isalnum(ch) || ch == ':' || ch == '.' || ch == '_' || ch == '=' || ch == '-'))
            return 0;
    }
    return i <= GF_REG_TAG_MAX;
}

static int job_valid(const char *job)
{
    size_t i = 0;
    for (; job[i]; i++)
        if ((unsigned char)job[i] < 0x20 || (unsigned char)job[i] > 0x7e)
            return 0;
    return i <= 128;
}

static int reason_valid(const char *reason)
{
    if (reason == NULL)
        return 1;
    size_t n = strlen(reason);
    if (n > GF_REG_REASON_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)reason[i] < 0x20 && reason[i] != '\t')
            return 0;
    return 1;
}

char *gf_reg_key(char *buf, size_t len, const char *name, const char *family, int64_t version)
{
    if (strcmp(family, "v") == 0 || strcmp(family, "blob") == 0)
        snprintf(buf, len, "gf:reg:{%s}:%s:%" PRId64, name, family, version);
    else
        snprintf(buf, len, "gf:reg:{%s}:%s", name, family);
    return buf;
}

#define KEYLEN 128

static int check_name(const char *name, gf_err_t *err)
{
    if (!gf_reg_name_valid(name))
        return gf_err_set(err, GF_EINVAL, "bad_name",
                          "model name must match [A-Za-z0-9][A-Za-z0-9:._-]{0,63}");
    return 0;
}

/* ================================================================== hiredis plumbing */

/* Run one command. Returns 0 with *out set, or an error: GF_EUNAVAIL when the connection
 * failed (reply NULL) or Redis does not serve yet (LOADING, BUSY), GF_EINTERNAL "redis_error"
 * on another error reply. On an error reply *out
 * is still set (so callers can map script errors); the caller frees *out in every case. */
static int run(redisContext *c, int argc, const char **argv, const size_t *lens,
               redisReply **out, gf_err_t *err)
{
    *out = NULL;
    if (c == NULL || c->err)
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "redis: %s",
                          c ? c->errstr : "no connection");
    redisReply *r = redisCommandArgv(c, argc, argv, lens);
    if (r == NULL)
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "redis: %s",
                          c->errstr[0] ? c->errstr : "connection lost");
    *out = r;
    /* LOADING, BUSY: Redis does not serve yet; the answer says nothing about the registry. */
    if (gf_redis_reply_not_ready(r))
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "redis: %.200s", r->str);
    if (r->type == REDIS_REPLY_ERROR)
        return gf_err_set(err, GF_EINTERNAL, "redis_error", "redis: %.200s", r->str);
    return 0;
}

/* Same with NUL-terminated string arguments. */
static int runs(redisContext *c, int argc, const char **argv, redisReply **out, gf_err_t *err)
{
    size_t lens[16];
    if (argc > 16)
        return gf_err_set(err, GF_EINTERNAL, "internal", "too many arguments");
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return run(c, argc, argv, lens, out, err);
}

static int bad_reply(redisReply *r, gf_err_t *err, const char *what)
{
    freeReplyObject(r);
    return gf_err_set(err, GF_EINTERNAL, "redis_protocol", "unexpected reply to %s", what);
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
        return gf_err_set(err, GF_EINVAL, "bad_json", "%s is not valid JSON: %s (line %d)",
                          field, je.text, je.line);
    int ok = (!want_object || json_is_object(j)) && (!want_array || json_is_array(j));
    json_decref(j);
    if (!ok)
        return gf_err_set(err, GF_EINVAL, "bad_json", "%s must be a JSON %s", field,
                          want_object ? "object" : "array");
    return 0;
}

int gf_reg_register(redisContext *c, const char *name, const gf_reg_new_t *in,
                    int64_t *out_version, gf_err_t *err)
{
    int rc = check_name(name, err);
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
    if (tags_text == NULL)
        abort();

    char sha[GF_REG_SHA256_HEX_LEN + 1];
    gf_reg_sha256_hex(in->blob, in->blob_len, sha);
    char created[32];
    now_rfc3339(created, sizeof created);

    redisReply *r = NULL;
    const char *sadd[] = {"SADD", GF_REG_MODELS_KEY, name};
    if ((rc = runs(c, 3, sadd, &r, err)) != 0)
        goto out;
    freeReplyObject(r);
    r = NULL;

    char kseq[KEYLEN], kvers[KEYLEN], kv[KEYLEN], kblob[KEYLEN], kidem[KEYLEN];
    gf_reg_key(kseq, sizeof kseq, name, "seq", 0);
    const char *incr[] = {"INCR", kseq};
    if ((rc = runs(c, 2, incr, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_INTEGER || r->integer < 1) {
        rc = bad_reply(r, err, "INCR");
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
        "EVAL", LUA_REGISTER, "4", kvers, kv, kblob, kidem, sver, (const char *)in->blob,
        in->idem_key ? in->idem_key : "", sha, "name", name, "version", sver, "sha256", sha,
        "size", ssize,
        "spec", in->spec_json, "metrics", in->metrics_json ? in->metrics_json : "{}",
        "params", in->params_json ? in->params_json : "{}", "tags", tags_text,
        "job", in->job ? in->job : "", "data_from", sfrom, "data_to", sto,
        "created_at", created,
    };
    int argc = (int)(sizeof argv / sizeof argv[0]);
    size_t lens[sizeof argv / sizeof argv[0]];
    for (int i = 0; i < argc; i++)
        lens[i] = i == 8 ? in->blob_len : strlen(argv[i]);
    rc = run(c, argc, argv, lens, &r, err);
    if (rc == GF_EINTERNAL && r != NULL && r->type == REDIS_REPLY_ERROR &&
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
        rc = bad_reply(r, err, "register script");
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

static int field_i64(redisReply *e, int64_t *out)
{
    return e->type == REDIS_REPLY_STRING ? parse_i64(e->str, e->len, out) : -1;
}

static char *field_dup(redisReply *e, const char *dflt)
{
    if (e->type == REDIS_REPLY_STRING)
        return xstrndup(e->str, e->len);
    return xstrndup(dflt, strlen(dflt));
}

int gf_reg_version_load(redisContext *c, const char *name, int64_t version, int flags,
                        gf_reg_version_t **out, gf_err_t *err)
{
    *out = NULL;
    int rc = check_name(name, err);
    if (rc)
        return rc;
    if (version < 1)
        return gf_err_set(err, GF_ENOTFOUND, "unknown_version",
                          "model '%s' has no version %" PRId64,
                          name, version);
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
    if ((rc = runs(c, 3, zs, &r, err)) != 0)
        goto out;
    if (r->type == REDIS_REPLY_NIL) {
        rc = gf_err_set(err, GF_ENOTFOUND, "unknown_version", "model '%s' has no version %s",
                        name, sver);
        goto out;
    }
    freeReplyObject(r);
    r = NULL;

    const char *hm[] = {"HMGET", kv, "sha256", "size", "spec", "metrics", "params", "tags",
                        "job", "data_from", "data_to", "created_at"};
    if ((rc = runs(c, 12, hm, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 10) {
        rc = bad_reply(r, err, "HMGET");
        r = NULL;
        goto out;
    }
    redisReply **e = r->element;
    gf_reg_version_t *v = calloc(1, sizeof *v);
    if (v == NULL)
        abort();
    snprintf(v->name, sizeof v->name, "%s", name);
    v->version = version;
    int64_t size = 0;
    if (e[0]->type != REDIS_REPLY_STRING || e[0]->len != 64 || field_i64(e[1], &size) ||
        size < 0 || e[2]->type != REDIS_REPLY_STRING || field_i64(e[7], &v->data_from) ||
        field_i64(e[8], &v->data_to) || e[9]->type != REDIS_REPLY_STRING || e[9]->len >= 32) {
        gf_reg_version_free(v);
        rc = gf_err_set(err, GF_EINTERNAL, "corrupt_metadata",
                        "metadata of %s version %s is incomplete or malformed", name, sver);
        goto out;
    }
    memcpy(v->sha256, e[0]->str, 64);
    v->sha256[64] = '\0';
    v->size = (size_t)size;
    v->spec_json = field_dup(e[2], "{}");
    v->metrics_json = field_dup(e[3], "{}");
    v->params_json = field_dup(e[4], "{}");
    v->tags_json = field_dup(e[5], "[]");
    v->job = field_dup(e[6], "");
    memcpy(v->created_at, e[9]->str, e[9]->len);
    v->created_at[e[9]->len] = '\0';
    freeReplyObject(r);
    r = NULL;

    const char *hg[] = {"HGET", kdep, sver};
    if ((rc = runs(c, 3, hg, &r, err)) != 0) {
        gf_reg_version_free(v);
        goto out;
    }
    if (r->type == REDIS_REPLY_STRING)
        v->deprecated_json = xstrndup(r->str, r->len);
    freeReplyObject(r);
    r = NULL;

    if (flags & GF_REG_WITH_BLOB) {
        const char *get[] = {"GET", kblob};
        if ((rc = runs(c, 2, get, &r, err)) != 0) {
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
        v->blob = xmalloc(r->len + 1);
        memcpy(v->blob, r->str, r->len);
        v->blob[r->len] = '\0';
        v->blob_len = r->len;
    }
    *out = v;
out:
    freeReplyObject(r);
    return rc;
}

int gf_reg_latest(redisContext *c, const char *name, int64_t *out, gf_err_t *err)
{
    *out = 0;
    int rc = check_name(name, err);
    if (rc)
        return rc;
    char kvers[KEYLEN];
    gf_reg_key(kvers, sizeof kvers, name, "versions", 0);
    redisReply *r = NULL;
    const char *argv[] = {"ZRANGE", kvers, "-1", "-1"};
    if ((rc = runs(c, 4, argv, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = bad_reply(r, err, "ZRANGE");
        r = NULL;
        goto out;
    }
    if (r->elements == 1 && field_i64(r->element[0], out) != 0) {
        rc = bad_reply(r, err, "ZRANGE");
        r = NULL;
    }
out:
    freeReplyObject(r);
    return rc;
}

int gf_reg_ref_resolve(redisContext *c, const char *name, const char *ref, int64_t *out,
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
        if (parse_i64(ref, strlen(ref), &version) != 0)
            return gf_err_set(err, GF_EINVAL, "bad_version", "bad version '%.40s'", ref);
    } else if ((rc = gf_reg_alias_get(c, name, ref, &version, err)) != 0) {
        return rc;
    }
    *out = version;
    return 0;
}

int gf_reg_version_load_ref(redisContext *c, const char *name, const char *ref, int flags,
                            gf_reg_version_t **out, gf_err_t *err)
{
    *out = NULL;
    int64_t version = 0;
    int rc = gf_reg_ref_resolve(c, name, ref, &version, err);
    if (rc != 0)
        return rc;
    return gf_reg_version_load(c, name, version, flags, out, err);
}

int gf_reg_versions_list(redisContext *c, const char *name, int64_t **out, size_t *n,
                         gf_err_t *err)
{
    *out = NULL;
    *n = 0;
    int rc = check_name(name, err);
    if (rc)
        return rc;
    char kvers[KEYLEN];
    gf_reg_key(kvers, sizeof kvers, name, "versions", 0);
    redisReply *r = NULL;
    const char *argv[] = {"ZRANGE", kvers, "0", "-1"};
    if ((rc = runs(c, 4, argv, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = bad_reply(r, err, "ZRANGE");
        r = NULL;
        goto out;
    }
    if (r->elements > 0) {
        int64_t *v = xmalloc(r->elements * sizeof *v);
        for (size_t i = 0; i < r->elements; i++) {
            if (field_i64(r->element[i], &v[i]) != 0) {
                free(v);
                rc = bad_reply(r, err, "ZRANGE");
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

int gf_reg_models_list(redisContext *c, char ***out, size_t *n, gf_err_t *err)
{
    *out = NULL;
    *n = 0;
    redisReply *r = NULL;
    const char *argv[] = {"SMEMBERS", GF_REG_MODELS_KEY};
    int rc = runs(c, 2, argv, &r, err);
    if (rc)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = bad_reply(r, err, "SMEMBERS");
        r = NULL;
        goto out;
    }
    if (r->elements > 0) {
        char **v = xmalloc(r->elements * sizeof *v);
        size_t k = 0;
        for (size_t i = 0; i < r->elements; i++)
            if (r->element[i]->type == REDIS_REPLY_STRING)
                v[k++] = xstrndup(r->element[i]->str, r->element[i]->len);
        qsort(v, k, sizeof *v, cmp_str);
        *out = v;
        *n = k;
    }
out:
    freeReplyObject(r);
    return rc;
}

/* ================================================================== deprecate */

int gf_reg_deprecate(redisContext *c, const char *name, int64_t version, const char *who,
                     const char *reason, gf_err_t *err)
{
    int rc = check_name(name, err);
    if (rc)
        return rc;
    if (!gf_reg_who_valid(who))
        return gf_err_set(err, GF_EINVAL, "bad_who", "who must be 1-64 printable ASCII chars");
    if (!reason_valid(reason))
        return gf_err_set(err, GF_EINVAL, "bad_reason", "reason: at most %d chars, no controls",
                          GF_REG_REASON_MAX);
    char kvers[KEYLEN], kdep[KEYLEN], sver[24], at[32];
    gf_reg_key(kvers, sizeof kvers, name, "versions", 0);
    gf_reg_key(kdep, sizeof kdep, name, "deprecated", 0);
    snprintf(sver, sizeof sver, "%" PRId64, version);
    now_rfc3339(at, sizeof at);
    json_t *j = json_pack("{s:s, s:s, s:s}", "who", who, "reason", reason ? reason : "", "at", at);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL)
        return gf_err_set(err, GF_EINVAL, "bad_reason", "reason is not valid UTF-8");
    static const char lua[] =
        "if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end\n"
        "redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])\n"
        "return 1\n";
    const char *argv[] = {"EVAL", lua, "2", kvers, kdep, sver, text};
    redisReply *r = NULL;
    if ((rc = runs(c, 7, argv, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_INTEGER) {
        rc = bad_reply(r, err, "deprecate script");
        r = NULL;
        goto out;
    }
    if (r->integer == 0)
        rc = gf_err_set(err, GF_ENOTFOUND, "unknown_version", "model '%s' has no version %s",
                        name, sver);
out:
    freeReplyObject(r);
    free(text);
    return rc;
}

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

int gf_reg_alias_set(redisContext *c, const char *name, const char *alias, int64_t version,
                     int64_t expect_from, const char *who, const char *reason, int force,
                     int64_t *out_from, gf_err_t *err)
{
    int rc;
    if ((rc = check_name(name, err)) || (rc = check_alias(alias, err)))
        return rc;
    if (!gf_reg_who_valid(who))
        return gf_err_set(err, GF_EINVAL, "bad_who", "who must be 1-64 printable ASCII chars");
    if (!reason_valid(reason))
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
    now_rfc3339(at, sizeof at);
    const char *argv[] = {"EVAL", LUA_ALIAS, "4", kvers, kal, khist, kdep,
                          alias, sver, sexp, who, reason ? reason : "", at, name,
                          force ? "1" : "0", GF_REG_CHANNEL};
    redisReply *r = NULL;
    rc = runs(c, 16, argv, &r, err);
    if (rc == GF_EINTERNAL && r != NULL && r->type == REDIS_REPLY_ERROR) {
        if (strstr(r->str, "GFNOVERSION"))
            rc = gf_err_set(err, GF_ENOTFOUND, "unknown_version",
                            "model '%s' has no version %s", name, sver);
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
        rc = bad_reply(r, err, "alias script");
        r = NULL;
        goto out;
    }
    if (out_from)
        *out_from = r->element[0]->integer;
out:
    freeReplyObject(r);
    return rc;
}

int gf_reg_alias_get(redisContext *c, const char *name, const char *alias, int64_t *out,
                     gf_err_t *err)
{
    *out = 0;
    int rc;
    if ((rc = check_name(name, err)) || (rc = check_alias(alias, err)))
        return rc;
    char kal[KEYLEN];
    gf_reg_key(kal, sizeof kal, name, "aliases", 0);
    const char *argv[] = {"HGET", kal, alias};
    redisReply *r = NULL;
    if ((rc = runs(c, 3, argv, &r, err)) != 0)
        goto out;
    if (r->type == REDIS_REPLY_NIL) {
        rc = gf_err_set(err, GF_ENOTFOUND, "unknown_alias", "model '%s' has no alias '%s'", name,
                        alias);
        goto out;
    }
    if (field_i64(r, out) != 0) {
        rc = bad_reply(r, err, "HGET alias");
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

int gf_reg_aliases_list(redisContext *c, const char *name, gf_reg_alias_t **out, size_t *n,
                        gf_err_t *err)
{
    *out = NULL;
    *n = 0;
    int rc = check_name(name, err);
    if (rc)
        return rc;
    char kal[KEYLEN];
    gf_reg_key(kal, sizeof kal, name, "aliases", 0);
    const char *argv[] = {"HGETALL", kal};
    redisReply *r = NULL;
    if ((rc = runs(c, 2, argv, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
        rc = bad_reply(r, err, "HGETALL aliases");
        r = NULL;
        goto out;
    }
    size_t k = 0;
    gf_reg_alias_t *a = r->elements ? xmalloc(r->elements / 2 * sizeof *a) : NULL;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        redisReply *ka = r->element[i], *va = r->element[i + 1];
        if (ka->type != REDIS_REPLY_STRING || ka->len > GF_REG_ALIAS_MAX ||
            field_i64(va, &a[k].version) != 0)
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
    int ok = alias && who && at && json_is_number(to) && (from == NULL || json_is_null(from) ||
                                                           json_is_number(from));
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

int gf_reg_history_load(redisContext *c, const char *name, const char *alias,
                        gf_reg_change_t **out, size_t *n, gf_err_t *err)
{
    *out = NULL;
    *n = 0;
    int rc = check_name(name, err);
    if (rc)
        return rc;
    if (alias != NULL && (rc = check_alias(alias, err)) != 0)
        return rc;
    char kh[KEYLEN];
    gf_reg_key(kh, sizeof kh, name, "history", 0);
    const char *argv[] = {"LRANGE", kh, "0", "-1"};
    redisReply *r = NULL;
    if ((rc = runs(c, 4, argv, &r, err)) != 0)
        goto out;
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = bad_reply(r, err, "LRANGE history");
        r = NULL;
        goto out;
    }
    gf_reg_change_t *h = r->elements ? xmalloc(r->elements * sizeof *h) : NULL;
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

int gf_reg_alias_rollback(redisContext *c, const char *name, const char *alias,
                          const char *who, const char *reason, int64_t *out_to, gf_err_t *err)
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
                     (json_int_t)v->data_to, "created_at", v->created_at, "job", v->job,
                     "tags", tags, "deprecated", dep);
}

json_t *gf_reg_change_to_json(const gf_reg_change_t *h)
{
    return json_pack("{s:s, s:o, s:I, s:s, s:s, s:s}", "alias", h->alias, "from",
                     h->from > 0 ? json_integer(h->from) : json_null(), "to",
                     (json_int_t)h->to, "who", h->who, "reason", h->reason, "at", h->at);
}

static int aliases_json(redisContext *c, const char *name, json_t **out, gf_err_t *err)
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

int gf_reg_models_to_json(redisContext *c, json_t **out, gf_err_t *err)
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

int gf_reg_model_to_json(redisContext *c, const char *name, json_t **out, gf_err_t *err)
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
        rc = gf_err_set(err, GF_ENOTFOUND, "unknown_model", "model '%s' is not registered",
                        name);
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
    *out = json_pack("{s:s, s:o, s:o, s:o}", "name", name, "aliases", al, "versions", va,
                     "history", ha);
    al = va = ha = NULL;
out:
    json_decref(al);
    json_decref(va);
    json_decref(ha);
    free(vers);
    free(h);
    return rc;
}
