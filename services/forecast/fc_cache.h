/*
 * fc_cache.h - recent /v1/forecast responses, so a dashboard polling every few seconds costs a
 * Redis HMGET and a copy.
 *
 * An entry is found by its key (region, origin, offset, horizon, history, levels and the model
 * version: a new model never sees an old model's answer) and is valid only while its stamp
 * still matches (the region's `last` and `rows` from gf:region:{R}, which every ingestion
 * import bumps: new data invalidates) and for at most `ttl` seconds (a correction that keeps
 * last/rows unchanged is seen within ttl). Direct-mapped: a colliding key evicts the other.
 *
 * Loop thread only (no locking). Bodies are copied in; fc_cache_get returns a borrowed pointer
 * valid until the next put.
 */
#ifndef FC_CACHE_H
#define FC_CACHE_H

#include <stddef.h>

typedef struct fc_cache fc_cache_t;

/* slots = 0 disables the cache (get always misses, put does nothing). Never NULL. */
fc_cache_t *fc_cache_new(size_t slots, double ttl);
void fc_cache_free(fc_cache_t *c);

/* The body stored under key when its stamp equals `stamp` and it is younger than ttl at `now`;
 * NULL otherwise. */
const char *fc_cache_get(fc_cache_t *c, const char *key, const char *stamp, double now,
                         size_t *len);

/* Store a copy of body under key (replacing whatever held the slot). */
void fc_cache_put(fc_cache_t *c, const char *key, const char *stamp, double now, const char *body,
                  size_t len);

/* Entries held now. */
size_t fc_cache_count(const fc_cache_t *c);

#endif
