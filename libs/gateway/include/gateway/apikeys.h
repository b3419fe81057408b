/*
 * gateway/apikeys.h - the gateway's API keys: a store of SHA-256 hashes with scopes, and the
 * table of which scope each gateway route needs.
 *
 * The keys file (written by scripts/keys.sh, read by gf-keycheck) holds one key a line:
 *
 *     sha256:<64 lowercase hex digits>  <scope>[,<scope>...]  <name>
 *
 * Blank lines and lines starting with '#' are skipped. Scopes: ingest, read, operate, admin
 * (admin grants every scope). Names are 1-64 characters of [A-Za-z0-9._-]. The file never
 * holds a key itself, only its hash; nothing here logs or returns a key.
 *
 * Scopes needed (gf_gw_keys_required_scope), on gateway paths:
 *   GET/HEAD anything                                        read (only asked for when the
 *                                                            gateway checks reads)
 *   POST /api/ingestion/readings|demand|demand/flags         ingest
 *   POST /api/trainer/jobs, /api/trainer/models/{n}/aliases  operate (train, promote, roll back)
 *   PUT /api/trainer/schedule/{region}                       operate (retraining schedule)
 *   POST /api/simulation/powerflow|opf|contingencies|schedule operate (studies)
 *   POST /api/forecast/predict, /api/compliance/ask          read (they change nothing)
 *   any other method or path                                 admin (deny by default)
 */
#ifndef GF_GATEWAY_APIKEYS_H
#define GF_GATEWAY_APIKEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

enum {
    GF_GW_SCOPE_INGEST = 1u << 0,
    GF_GW_SCOPE_READ = 1u << 1,
    GF_GW_SCOPE_OPERATE = 1u << 2,
    GF_GW_SCOPE_ADMIN = 1u << 3,
};

#define GF_GW_KEY_HASH_HEX 64
#define GF_GW_KEY_NAME_MAX 64

typedef struct gf_gw_keys gf_gw_keys_t;

/* Parse the text of a keys file (len bytes, need not be NUL-terminated). Returns a new store
 * (free with gf_gw_keys_free) or NULL with err GF_EINVAL "bad_keys_file" naming the line. */
gf_gw_keys_t *gf_gw_keys_parse(const char *text, size_t len, gf_err_t *err);
void gf_gw_keys_free(gf_gw_keys_t *k);

/* Number of keys in the store. */
size_t gf_gw_keys_count(const gf_gw_keys_t *k);

/* Look up a presented key (the X-API-Key value). Returns true when its hash is in the store,
 * with *scopes and *name (borrowed from the store) set; false otherwise. */
bool gf_gw_keys_find(const gf_gw_keys_t *k, const char *key, unsigned *scopes, const char **name);

/* hex receives the lowercase SHA-256 of key and a NUL (GF_GW_KEY_HASH_HEX + 1 bytes). */
void gf_gw_key_hash(const char *key, char hex[GF_GW_KEY_HASH_HEX + 1]);

/* A scope name ("ingest") to its bit; 0 when unknown. len: the name's length. */
unsigned gf_gw_scope_parse(const char *name, size_t len);
/* The name of one scope bit ("operate"); "admin" for anything else. */
const char *gf_gw_scope_name(unsigned bit);

/* The scope a request needs: method and the gateway path (query string allowed, ignored). */
unsigned gf_gw_keys_required_scope(const char *method, const char *path);

/* True when scopes grant `need` (admin grants all). */
bool gf_gw_keys_allows(unsigned scopes, unsigned need);

#endif
