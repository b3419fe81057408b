/*
 * registry/registry.h - the Redis-backed model registry (think MLflow's, kept in Redis).
 *
 * A model NAME ("load:PJM") has numbered, immutable VERSIONS 1, 2, 3...; each holds the model
 * bytes (blob), their SHA-256, the feature spec (JSON text, opaque here), metrics (JSON
 * object), parameters (JSON object), the training data range, the creation time, the job that
 * made it and tags. ALIASES ("production", "staging", any [a-z][a-z0-9_-]{0,31}) point at
 * versions; every alias change is atomic, appended to an audit history and published on
 * GF_REG_CHANNEL so forecast services reload without a restart.
 *
 * Redis keys (hash tag = the model name, so every key of one model sits in one cluster slot
 * and one Lua script can touch them all; see CONTRIBUTING.md):
 *   gf:reg:models                 set     model names
 *   gf:reg:{N}:seq                string  last version number handed out (INCR)
 *   gf:reg:{N}:versions           zset    published versions (member = score = version)
 *   gf:reg:{N}:v:<n>              hash    version metadata (fields: see registry/README.md)
 *   gf:reg:{N}:blob:<n>           string  model bytes
 *   gf:reg:{N}:aliases            hash    alias -> version
 *   gf:reg:{N}:history            list    alias changes, JSON, oldest first
 *   gf:reg:{N}:deprecated         hash    version -> JSON {who, reason, at}
 *   gf:reg:{N}:idem               hash    idempotency key -> "<version>:<sha256>"
 *
 * Atomicity: a registration runs ONE Lua script that takes the next version (INCR), writes
 * the blob and the metadata and only then adds the version to the versions zset, so a reader
 * that lists or loads versions never sees a half-written one; two concurrent registrations
 * get distinct versions. An alias change is one Lua script too (check the version exists,
 * optional compare-and-set on the current value, HSET, RPUSH history, PUBLISH).
 *
 * Connections: the kit's blocking handle (`gf_rcluster_t *`, core/rcluster.h: one Redis or a
 * Redis Cluster, the same calls), owned by the caller. Every multi-key step is one script on
 * the keys of one model (one hash tag); gf:reg:models is written and read on its own. A
 * Redis that cannot be reached gives GF_EUNAVAIL ("redis_unavailable"); the handle stays
 * usable (gf_rcluster_ensure / gf_rcluster_worker rebuild its connections). Every function
 * here takes a caller-owned gf_err_t *err (may be NULL) and returns 0 or a negative GF_E*
 * code. Nothing here logs, prints or exits.
 */
#ifndef GF_REGISTRY_REGISTRY_H
#define GF_REGISTRY_REGISTRY_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rcluster.h"

/* Channel that carries one JSON message per alias change:
 * {"event":"alias","name":"load:PJM","alias":"production","from":2,"to":3,
 *  "at":"2026-01-05T10:00:00.123Z","who":"alice"}   ("from" is null for a new alias). */
#define GF_REG_CHANNEL "gf:reg:events"
/* The set of registered model names (one key; read it alone). */
#define GF_REG_MODELS_KEY "gf:reg:models"

#define GF_REG_NAME_MAX 64                     /* model name: [A-Za-z0-9][A-Za-z0-9:._-]{0,63} */
#define GF_REG_ALIAS_MAX 32                    /* alias: [a-z][a-z0-9_-]{0,31} */
#define GF_REG_WHO_MAX 64                      /* who: 1..64 printable ASCII chars */
#define GF_REG_REASON_MAX 512                  /* reason: 0..512 bytes of UTF-8 */
#define GF_REG_TAG_MAX 64                      /* one tag: 1..64 chars [A-Za-z0-9:._=-] */
#define GF_REG_TAGS_MAX 32                     /* tags per version */
#define GF_REG_BLOB_MAX (256u * 1024u * 1024u) /* Redis' own string limit is 512 MB */

/* ------------------------------------------------------------------ types */

/* Input of gf_reg_register. Everything is borrowed for the duration of the call.
 * spec_json: any JSON text (the feature spec; stored verbatim after a syntax check).
 * metrics_json / params_json: JSON objects, or NULL for "{}".
 * data_from / data_to: training range, UTC epoch seconds (0 = unknown). job: may be NULL. */
typedef struct gf_reg_new {
    const void *blob;
    size_t blob_len;
    const char *spec_json;
    const char *metrics_json;
    const char *params_json;
    int64_t data_from;
    int64_t data_to;
    const char *job;
    const char *const *tags;
    size_t ntags;
    const char *idem_key; /* NULL, or 1-128 printable chars: see gf_reg_register */
} gf_reg_new_t;

/* One version as loaded. Owned by the caller; free with gf_reg_version_free. Every string is
 * NUL-terminated and non-NULL (JSON texts default to "{}" / "[]"). blob is NULL unless the
 * version was loaded with GF_REG_WITH_BLOB; then it holds blob_len bytes (+1 NUL) whose
 * SHA-256 was checked against sha256. */
typedef struct gf_reg_version {
    char name[GF_REG_NAME_MAX + 1];
    int64_t version;
    char sha256[65]; /* lowercase hex */
    size_t size;     /* blob length recorded at registration */
    char *spec_json;
    char *metrics_json;
    char *params_json;
    char *tags_json; /* JSON array of strings */
    char *job;       /* "" when none */
    int64_t data_from;
    int64_t data_to;
    char created_at[32];   /* RFC 3339 UTC, millisecond precision */
    char *deprecated_json; /* NULL, or {"who","reason","at"} when deprecated */
    unsigned char *blob;
    size_t blob_len;
} gf_reg_version_t;

/* One alias change, as kept in the history (and as in the event message). from == 0 means
 * the alias did not exist before. */
typedef struct gf_reg_change {
    char alias[GF_REG_ALIAS_MAX + 1];
    int64_t from;
    int64_t to;
    char who[GF_REG_WHO_MAX + 1];
    char reason[GF_REG_REASON_MAX + 1];
    char at[32];
} gf_reg_change_t;

/* One alias and its version. */
typedef struct gf_reg_alias {
    char alias[GF_REG_ALIAS_MAX + 1];
    int64_t version;
} gf_reg_alias_t;

/* A parsed registry event (the GF_REG_CHANNEL message). */
typedef struct gf_reg_event {
    char name[GF_REG_NAME_MAX + 1];
    char alias[GF_REG_ALIAS_MAX + 1];
    int64_t from; /* 0 = none */
    int64_t to;
    char at[32];
    char who[GF_REG_WHO_MAX + 1];
} gf_reg_event_t;

enum { GF_REG_WITH_BLOB = 1 };

/* ------------------------------------------------------------------ validation (pure) */

/* 1 when the text is a valid model name / alias / who / tag, else 0. Can't fail. */
int gf_reg_name_valid(const char *name);
int gf_reg_alias_valid(const char *alias);
int gf_reg_who_valid(const char *who);
int gf_reg_tag_valid(const char *tag);

/* Key of one family for a model, written into buf (>= 128 bytes is always enough). Returns
 * buf. `version` is used by the per-version families only. Family: "seq", "versions", "v",
 * "blob", "aliases", "history", "deprecated", "idem". Exposed for tests and the key table. */
char *gf_reg_key(char *buf, size_t len, const char *name, const char *family, int64_t version);

/* ------------------------------------------------------------------ versions */

/* Register a new version of `name`: validates the input, computes the SHA-256 and writes
 * everything in one atomic step. *out_version gets the new number (1 for the first).
 * Idempotent retries: when in->idem_key (e.g. "<job id>:<region>") already
 * registered a version of `name` with the same bytes, *out_version gets that version and
 * nothing is written (the number taken by INCR is left unused).
 * Fails: GF_EINVAL (bad_name, bad_json, bad_tag, bad_idem_key, ...), GF_ETOOBIG
 * (blob_too_big), GF_ECONFLICT (idem_key_reused: the key registered other bytes under this
 * name), GF_EUNAVAIL. */
int gf_reg_register(gf_rcluster_t *c, const char *name, const gf_reg_new_t *in,
                    int64_t *out_version, gf_err_t *err);

/* Load one version; flags = GF_REG_WITH_BLOB also fetches the blob and checks it.
 * *out is a new object the caller frees with gf_reg_version_free.
 * Fails: GF_ENOTFOUND (unknown_model, unknown_version), GF_EINTERNAL with code
 * "checksum_mismatch" (blob bytes differ from the recorded SHA-256 or size) or "blob_missing"
 * (blob key gone) or "corrupt_metadata", GF_EUNAVAIL. */
int gf_reg_version_load(gf_rcluster_t *c, const char *name, int64_t version, int flags,
                        gf_reg_version_t **out, gf_err_t *err);

/* The version `ref` names now: a version number ("3", not checked to exist), "latest" (NULL
 * too), or an alias. Fails: GF_ENOTFOUND ("unknown_model": no versions for "latest";
 * "unknown_alias"), GF_EINVAL ("bad_version", "bad_name", "bad_alias"), GF_EUNAVAIL. */
int gf_reg_ref_resolve(gf_rcluster_t *c, const char *name, const char *ref, int64_t *out,
                       gf_err_t *err);

/* Resolve `ref` (gf_reg_ref_resolve) and load that version.
 * Same failures as gf_reg_version_load, plus GF_ENOTFOUND "unknown_alias". */
int gf_reg_version_load_ref(gf_rcluster_t *c, const char *name, const char *ref, int flags,
                            gf_reg_version_t **out, gf_err_t *err);

void gf_reg_version_free(gf_reg_version_t *v);

/* Published versions of `name`, ascending. *out is malloc'd (caller frees; NULL when n = 0).
 * An unknown model gives 0 versions and rc 0. Fails: GF_EINVAL (bad_name), GF_EUNAVAIL. */
int gf_reg_versions_list(gf_rcluster_t *c, const char *name, int64_t **out, size_t *n,
                         gf_err_t *err);

/* Latest published version (0 when none). */
int gf_reg_latest(gf_rcluster_t *c, const char *name, int64_t *out, gf_err_t *err);

/* Registered model names, sorted. *out is a malloc'd array of malloc'd strings; free with
 * gf_reg_strv_free(*out, n). */
int gf_reg_models_list(gf_rcluster_t *c, char ***out, size_t *n, gf_err_t *err);
void gf_reg_strv_free(char **v, size_t n);

/* Mark a version deprecated (versions are immutable and never deleted; the mark is advisory,
 * shown in listings, and gf_reg_alias_set refuses to point an alias at a deprecated version
 * unless `force`). Fails: GF_ENOTFOUND (unknown_version), GF_EINVAL, GF_EUNAVAIL. */
int gf_reg_deprecate(gf_rcluster_t *c, const char *name, int64_t version, const char *who,
                     const char *reason, gf_err_t *err);

/* ------------------------------------------------------------------ aliases */

/* Point `alias` at `version`, atomically: checks the version is published, and when
 * expect_from >= 0 that the alias currently points at expect_from (0 = must not exist),
 * then sets it, appends {alias, from, to, who, reason, at} to the history and publishes the
 * event on GF_REG_CHANNEL. *out_from (may be NULL) gets the previous version (0 = none).
 * Setting an alias to the version it already has is a no-op that records nothing.
 * Fails: GF_EINVAL (bad_alias, bad_who, bad_reason), GF_ENOTFOUND (unknown_version),
 * GF_ECONFLICT ("alias_changed": expect_from did not hold; "version_deprecated"),
 * GF_EUNAVAIL. */
int gf_reg_alias_set(gf_rcluster_t *c, const char *name, const char *alias, int64_t version,
                     int64_t expect_from, const char *who, const char *reason, int force,
                     int64_t *out_from, gf_err_t *err);

/* Version an alias points at. Fails: GF_ENOTFOUND (unknown_alias), GF_EINVAL, GF_EUNAVAIL. */
int gf_reg_alias_get(gf_rcluster_t *c, const char *name, const char *alias, int64_t *out,
                     gf_err_t *err);

/* All aliases of a model, sorted by alias. *out is malloc'd (caller frees; NULL when n = 0). */
int gf_reg_aliases_list(gf_rcluster_t *c, const char *name, gf_reg_alias_t **out, size_t *n,
                        gf_err_t *err);

/* Alias history, oldest first; alias NULL = every alias of the model. *out is malloc'd
 * (caller frees; NULL when n = 0). */
int gf_reg_history_load(gf_rcluster_t *c, const char *name, const char *alias,
                        gf_reg_change_t **out, size_t *n, gf_err_t *err);

/* Roll an alias back: set it to the `from` of its latest history entry, with a
 * compare-and-set on the current value (so a concurrent promotion is not clobbered). The
 * rollback is itself a history entry, so rolling back twice returns to where it started.
 * *out_to (may be NULL) gets the version now in force.
 * Fails: GF_ENOTFOUND (unknown_alias: no history), GF_ECONFLICT ("no_previous_version" when
 * the alias was created by its latest change; "alias_changed"), GF_EUNAVAIL. */
int gf_reg_alias_rollback(gf_rcluster_t *c, const char *name, const char *alias, const char *who,
                          const char *reason, int64_t *out_to, gf_err_t *err);

/* Parse one GF_REG_CHANNEL message. Fails: GF_EINVAL ("bad_event"). */
int gf_reg_event_parse(const char *msg, size_t len, gf_reg_event_t *out, gf_err_t *err);

/* ------------------------------------------------------------------ JSON views */

/* New reference: the version as JSON, without the blob:
 * {"name","version","sha256","size","spec":{..},"metrics":{..},"params":{..},
 *  "data_range":{"from","to"},"created_at","job","tags":[..],"deprecated":null|{..}}.
 * Returns NULL only if stored JSON texts do not parse (registered ones always do). */
json_t *gf_reg_version_to_json(const gf_reg_version_t *v);

/* GET /v1/models: *out = new {"models":[{"name","latest","versions":n,
 * "aliases":{"production":3,..}}, ...]}. */
int gf_reg_models_to_json(gf_rcluster_t *c, json_t **out, gf_err_t *err);

/* GET /v1/models/{name}: *out = new {"name","aliases":{..},"versions":[version JSON...],
 * "history":[{"alias","from","to","who","reason","at"},..]}.
 * Fails: GF_ENOTFOUND (unknown_model), GF_EUNAVAIL. */
int gf_reg_model_to_json(gf_rcluster_t *c, const char *name, json_t **out, gf_err_t *err);

/* New reference for one history entry. */
json_t *gf_reg_change_to_json(const gf_reg_change_t *h);

#endif
