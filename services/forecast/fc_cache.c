/*
 * fc_cache.c - direct-mapped response cache (see fc_cache.h).
 */
#include "fc_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

typedef struct slot {
    char *key, *stamp, *body;
    size_t len;
    double at;
} slot_t;

struct fc_cache {
    size_t n, used;
    double ttl;
    slot_t *s;
};

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

fc_cache_t *fc_cache_new(size_t slots, double ttl)
{
    fc_cache_t *c = gf_xcalloc(1, sizeof *c);
    c->n = slots;
    c->ttl = ttl;
    c->s = slots ? gf_xcalloc(slots, sizeof *c->s) : NULL;
    return c;
}

static void slot_clear(slot_t *s)
{
    free(s->key);
    free(s->stamp);
    free(s->body);
    memset(s, 0, sizeof *s);
}

void fc_cache_free(fc_cache_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        slot_clear(&c->s[i]);
    free(c->s);
    free(c);
}

const char *fc_cache_get(fc_cache_t *c, const char *key, const char *stamp, double now, size_t *len)
{
    if (c->n == 0)
        return NULL;
    slot_t *s = &c->s[fnv(key) % c->n];
    if (s->key == NULL || strcmp(s->key, key) != 0)
        return NULL;
    if (strcmp(s->stamp, stamp) != 0 || now - s->at > c->ttl || now < s->at) {
        slot_clear(s);
        c->used--;
        return NULL;
    }
    *len = s->len;
    return s->body;
}

void fc_cache_put(fc_cache_t *c, const char *key, const char *stamp, double now, const char *body,
                  size_t len)
{
    if (c->n == 0)
        return;
    slot_t *s = &c->s[fnv(key) % c->n];
    if (s->key)
        slot_clear(s);
    else
        c->used++;
    s->key = gf_xstrdup(key);
    s->stamp = gf_xstrdup(stamp);
    s->body = gf_xmalloc(len + 1);
    memcpy(s->body, body, len);
    s->body[len] = '\0';
    s->len = len;
    s->at = now;
}

size_t fc_cache_count(const fc_cache_t *c)
{
    return c->used;
}
