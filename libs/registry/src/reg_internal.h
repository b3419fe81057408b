/*
 * reg_internal.h - what the parts of the registry (registry.c, reg_register.c, reg_load.c,
 * reg_alias.c, reg_json.c) share but do not export: the command runner, reply and field
 * helpers, the checks every entry point makes first.
 */
#ifndef GF_REG_INTERNAL_H
#define GF_REG_INTERNAL_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/util.h"
#include "registry/registry.h"
#include "registry/sha256.h"

#define KEYLEN 128 /* a key built by gf_reg_key */

/* "2026-01-05T10:00:00.123Z" (UTC, now) into buf. */
void gf__reg_now(char *buf, size_t len);
/* Strict decimal int64 parse of a whole string; 0 on success. */
int gf__reg_parse_i64(const char *s, size_t len, int64_t *out);
/* 1 when reason is NULL or at most GF_REG_REASON_MAX chars without controls (tab allowed). */
int gf__reg_reason_valid(const char *reason);
/* 0, or GF_EINVAL "bad_name". */
int gf__reg_check_name(const char *name, gf_err_t *err);
/* A string reply element as int64 (0), -1 when it is not one. */
int gf__reg_field_i64(redisReply *e, int64_t *out);
/* A string reply element as a new string; dflt's copy when it is not a string. */
char *gf__reg_field_dup(redisReply *e, const char *dflt);

/* Run one command. Returns 0 with *out set, or GF_EUNAVAIL: "redis_unavailable" when the
 * connection failed (reply NULL), else the kit's mapping of an error reply
 * (gf_redis_reply_check). On an error reply *out is still set (so callers can map their
 * scripts' own errors); the caller frees *out in every case. */
int gf__reg_run(gf_rcluster_t *c, int argc, const char **argv, const size_t *lens, redisReply **out,
                gf_err_t *err);
/* Same with (at most 16) NUL-terminated string arguments. */
int gf__reg_runs(gf_rcluster_t *c, int argc, const char **argv, redisReply **out, gf_err_t *err);
/* Free r and fail with GF_EINTERNAL "redis_protocol" naming the command. */
int gf__reg_bad_reply(redisReply *r, gf_err_t *err, const char *what);

#endif
