/*
 * registry/meta.h - parsing registry requests that arrive from outside.
 *
 * The trainer's POST /v1/models/{name}/aliases body (promotion or rollback):
 *   {"alias":"production","version":3,"who":"alice","reason":"better MAPE"}
 *   {"alias":"production","rollback":true,"who":"alice","reason":"v3 drifts"}
 * Optional members: "expect":2 (compare-and-set: the alias must currently point at 2; 0 = it
 * must not exist yet), "force":true (allow a deprecated version). Exactly one of "version"
 * and "rollback":true. Unknown members, duplicate members and wrong types are refused.
 *
 * Errors (all GF_EINVAL = HTTP 400, details [{"field","reason"}]): "invalid_json" (with the
 * line/column), "not_an_object", "missing_field", "unknown_field", "bad_alias", "bad_version",
 * "bad_who", "bad_reason", "bad_expect", "bad_flag", "version_and_rollback". Fuzzed by
 * tests/fuzz/fuzz_registry_meta.c.
 */
#ifndef GF_REGISTRY_META_H
#define GF_REGISTRY_META_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rcluster.h"
#include "registry/registry.h"

/* Caller storage; filled by gf_reg_alias_req_parse. */
typedef struct gf_reg_alias_req {
    char alias[GF_REG_ALIAS_MAX + 1];
    int64_t version;     /* >= 1, or 0 when rollback */
    int rollback;        /* 1 for {"rollback":true} */
    int64_t expect_from; /* -1 when absent */
    int force;
    char who[GF_REG_WHO_MAX + 1];
    char reason[GF_REG_REASON_MAX + 1]; /* "" when absent */
} gf_reg_alias_req_t;

/* Parse `len` bytes of body (need not be NUL-terminated). Returns 0 or GF_EINVAL; on error
 * *out is unspecified. Allocates nothing that outlives the call. */
int gf_reg_alias_req_parse(const char *body, size_t len, gf_reg_alias_req_t *out, gf_err_t *err);

/* Apply a parsed request: gf_reg_alias_set or gf_reg_alias_rollback. *out_from / *out_to
 * (may be NULL) get the versions before and after. Same failures as those two. */
int gf_reg_alias_req_apply(gf_rcluster_t *c, const char *name, const gf_reg_alias_req_t *req,
                           int64_t *out_from, int64_t *out_to, gf_err_t *err);

#endif
