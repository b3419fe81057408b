/*
 * registry.c - the Redis-backed model registry: the helpers its parts share (validation, key
 * names, the one command runner). Contracts and the key layout are in registry/registry.h; the
 * field list of a version hash is in libs/registry/README.md. The parts: reg_register.c
 * (register, deprecate), reg_load.c (versions and model lists), reg_alias.c (aliases, history,
 * rollback, events), reg_json.c (JSON views).
 *
 * Invariants of the registry (kept by its parts):
 *   - a version number is taken with INCR, so concurrent registrations never share one;
 *   - a version becomes visible (ZADD to gf:reg:{N}:versions) in the same Lua script that
 *     writes its blob and metadata, so readers see all of it or none of it;
 *   - an alias change (check, set, history, publish) is one Lua script;
 *   - every blob read is checked against the SHA-256 and size recorded at registration.
 * Every hiredis reply is checked for NULL (connection gone -> GF_EUNAVAIL) and for
 * REDIS_REPLY_ERROR, and freed once, top-level only.
 */
#include "reg_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/redis.h"
#include "core/util.h"

/* ================================================================== small helpers */

void gf__reg_now(char *buf, size_t len)
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
int gf__reg_parse_i64(const char *s, size_t len, int64_t *out)
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

int gf__reg_reason_valid(const char *reason)
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

int gf__reg_check_name(const char *name, gf_err_t *err)
{
    if (!gf_reg_name_valid(name))
        return gf_err_set(err, GF_EINVAL, "bad_name",
                          "model name must match [A-Za-z0-9][A-Za-z0-9:._-]{0,63}");
    return 0;
}

int gf__reg_field_i64(redisReply *e, int64_t *out)
{
    return e->type == REDIS_REPLY_STRING ? gf__reg_parse_i64(e->str, e->len, out) : -1;
}

char *gf__reg_field_dup(redisReply *e, const char *dflt)
{
    if (e->type == REDIS_REPLY_STRING)
        return gf_xstrndup(e->str, e->len);
    return gf_xstrndup(dflt, strlen(dflt));
}

/* ================================================================== hiredis plumbing */

/* Run one command. Returns 0 with *out set, or GF_EUNAVAIL: "redis_unavailable" when the
 * connection failed (reply NULL); for an error reply the kit's mapping (gf_redis_reply_check:
 * "redis_unavailable" for LOADING/BUSY, "redis_oom", "redis_error"), the same 503 every service
 * answers. On an error reply *out is still set (so callers can map their scripts' own errors);
 * the caller frees *out in every case. */
int gf__reg_run(gf_rcluster_t *c, int argc, const char **argv, const size_t *lens, redisReply **out,
                gf_err_t *err)
{
    *out = NULL;
    if (c == NULL)
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "redis: no connection");
    gf_err_t e = {0};
    redisReply *r = gf_rcluster_cmd_argv(c, argc, argv, lens, &e);
    if (r == NULL) { /* unreachable, or refused before sending (redis_crossslot: a bug) */
        int rc = gf_err_set(err, e.rc ? e.rc : GF_EUNAVAIL,
                            e.code[0] ? e.code : "redis_unavailable", "redis: %s", e.message);
        gf_err_cleanup(&e);
        return rc;
    }
    *out = r;
    return gf_redis_reply_check(r, err);
}

/* Same with NUL-terminated string arguments. */
int gf__reg_runs(gf_rcluster_t *c, int argc, const char **argv, redisReply **out, gf_err_t *err)
{
    size_t lens[16];
    if (argc > 16)
        return gf_err_set(err, GF_EINTERNAL, "internal", "too many arguments");
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return gf__reg_run(c, argc, argv, lens, out, err);
}

int gf__reg_bad_reply(redisReply *r, gf_err_t *err, const char *what)
{
    freeReplyObject(r);
    return gf_err_set(err, GF_EINTERNAL, "redis_protocol", "unexpected reply to %s", what);
}
