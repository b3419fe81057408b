/*
 * apikeys.c - the gateway's hashed API keys and the route -> scope table (see gateway/apikeys.h).
 */
#include "gateway/apikeys.h"

#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "core/util.h"
#include "registry/sha256.h"

typedef struct entry {
    char hash[GF_GW_KEY_HASH_HEX + 1];
    unsigned scopes;
    char name[GF_GW_KEY_NAME_MAX + 1];
} entry_t;

struct gf_gw_keys {
    entry_t *e;
    size_t n, cap;
};

static const struct {
    const char *name;
    unsigned bit;
} scope_names[] = {
    {"ingest", GF_GW_SCOPE_INGEST},
    {"read", GF_GW_SCOPE_READ},
    {"operate", GF_GW_SCOPE_OPERATE},
    {"admin", GF_GW_SCOPE_ADMIN},
};

/* The route -> scope table. Paths are gateway paths; {x} is one path segment. */
static const struct {
    const char *method;
    const char *pattern;
    unsigned scope;
} rules[] = {
    {"POST", "/api/ingestion/readings", GF_GW_SCOPE_INGEST},
    {"POST", "/api/ingestion/demand", GF_GW_SCOPE_INGEST},
    {"POST", "/api/ingestion/demand/flags", GF_GW_SCOPE_INGEST},
    {"POST", "/api/ingestion/temperature", GF_GW_SCOPE_INGEST},
    {"POST", "/api/ingestion/temperature/forecasts", GF_GW_SCOPE_INGEST},
    {"POST", "/api/trainer/jobs", GF_GW_SCOPE_OPERATE},
    {"POST", "/api/trainer/models/{name}/aliases", GF_GW_SCOPE_OPERATE},
    {"PUT", "/api/trainer/schedule/{region}", GF_GW_SCOPE_OPERATE},
    {"POST", "/api/simulation/powerflow", GF_GW_SCOPE_OPERATE},
    {"POST", "/api/simulation/opf", GF_GW_SCOPE_OPERATE},
    {"POST", "/api/simulation/contingencies", GF_GW_SCOPE_OPERATE},
    {"POST", "/api/simulation/schedule", GF_GW_SCOPE_OPERATE},
    {"POST", "/api/forecast/predict", GF_GW_SCOPE_READ},
    {"POST", "/api/compliance/ask", GF_GW_SCOPE_READ},
};

unsigned gf_gw_scope_parse(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof scope_names / sizeof scope_names[0]; i++)
        if (strlen(scope_names[i].name) == len && memcmp(scope_names[i].name, name, len) == 0)
            return scope_names[i].bit;
    return 0;
}

const char *gf_gw_scope_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof scope_names / sizeof scope_names[0]; i++)
        if (scope_names[i].bit == bit)
            return scope_names[i].name;
    return "admin";
}

bool gf_gw_keys_allows(unsigned scopes, unsigned need)
{
    return (scopes & GF_GW_SCOPE_ADMIN) != 0 || (need != 0 && (scopes & need) == need);
}

unsigned gf_gw_keys_required_scope(const char *method, const char *path)
{
    if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
        return GF_GW_SCOPE_READ;
    size_t plen = strcspn(path, "?");
    if (plen == 0 || plen > 512)
        return GF_GW_SCOPE_ADMIN;
    char p[513], scratch[514];
    memcpy(p, path, plen);
    p[plen] = '\0';
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        size_t np = 0;
        if (!strcmp(method, rules[i].method) &&
            gf_route_match(rules[i].pattern, p, scratch, &np, NULL, NULL))
            return rules[i].scope;
    }
    return GF_GW_SCOPE_ADMIN;
}

void gf_gw_key_hash(const char *key, char hex[GF_GW_KEY_HASH_HEX + 1])
{
    gf_reg_sha256_hex(key, strlen(key), hex);
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* Next whitespace-separated field of [*s, end); false when none. */
static bool field(const char **s, const char *end, const char **f, size_t *flen)
{
    const char *p = *s;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p == end)
        return false;
    *f = p;
    while (p < end && *p != ' ' && *p != '\t')
        p++;
    *flen = (size_t)(p - *f);
    *s = p;
    return true;
}

static int parse_line(const char *s, const char *end, entry_t *e, const char **why)
{
    const char *f;
    size_t fl;
    if (!field(&s, end, &f, &fl) || fl != 7 + GF_GW_KEY_HASH_HEX || memcmp(f, "sha256:", 7)) {
        *why = "the first field is not sha256:<64 hex digits>";
        return -1;
    }
    for (size_t i = 0; i < GF_GW_KEY_HASH_HEX; i++) {
        char c = f[7 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            *why = "the first field is not sha256:<64 lowercase hex digits>";
            return -1;
        }
    }
    memcpy(e->hash, f + 7, GF_GW_KEY_HASH_HEX);
    e->hash[GF_GW_KEY_HASH_HEX] = '\0';
    if (!field(&s, end, &f, &fl)) {
        *why = "no scopes";
        return -1;
    }
    e->scopes = 0;
    for (const char *a = f, *fe = f + fl; a < fe;) {
        const char *c = memchr(a, ',', (size_t)(fe - a));
        size_t n = c ? (size_t)(c - a) : (size_t)(fe - a);
        unsigned bit = gf_gw_scope_parse(a, n);
        if (bit == 0) {
            *why = "unknown scope (ingest, read, operate, admin)";
            return -1;
        }
        e->scopes |= bit;
        a += n + (c ? 1 : 0);
        if (c && a == fe) {
            *why = "empty scope";
            return -1;
        }
    }
    if (!field(&s, end, &f, &fl) || fl > GF_GW_KEY_NAME_MAX) {
        *why = "no name, or a name over 64 characters";
        return -1;
    }
    for (size_t i = 0; i < fl; i++)
        if (!name_char(f[i])) {
            *why = "the name has characters outside [A-Za-z0-9._-]";
            return -1;
        }
    memcpy(e->name, f, fl);
    e->name[fl] = '\0';
    if (field(&s, end, &f, &fl)) {
        *why = "extra fields after the name";
        return -1;
    }
    return 0;
}

gf_gw_keys_t *gf_gw_keys_parse(const char *text, size_t len, gf_err_t *err)
{
    gf_gw_keys_t *k = gf_xcalloc(1, sizeof *k);
    const char *p = text, *end = text + len;
    for (size_t line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le > p && le[-1] == '\r')
            le--;
        const char *q = p;
        while (q < le && (*q == ' ' || *q == '\t'))
            q++;
        if (q < le && *q != '#') {
            entry_t e;
            const char *why = NULL;
            if (memchr(q, '\0', (size_t)(le - q)) != NULL) {
                why = "a NUL byte";
            } else if (parse_line(q, le, &e, &why) == 0) {
                for (size_t i = 0; i < k->n; i++)
                    if (!memcmp(k->e[i].hash, e.hash, GF_GW_KEY_HASH_HEX))
                        why = "the same key twice";
            }
            if (why != NULL) {
                gf_err_set(err, GF_EINVAL, "bad_keys_file", "keys file line %zu: %s", line, why);
                gf_gw_keys_free(k);
                return NULL;
            }
            if (k->n == k->cap) {
                k->cap = k->cap ? 2 * k->cap : 16;
                k->e = gf_xrealloc(k->e, k->cap * sizeof *k->e);
            }
            k->e[k->n++] = e;
        }
        p = nl ? nl + 1 : end;
    }
    return k;
}

void gf_gw_keys_free(gf_gw_keys_t *k)
{
    if (k == NULL)
        return;
    free(k->e);
    free(k);
}

size_t gf_gw_keys_count(const gf_gw_keys_t *k)
{
    return k ? k->n : 0;
}

bool gf_gw_keys_find(const gf_gw_keys_t *k, const char *key, unsigned *scopes, const char **name)
{
    if (k == NULL || key == NULL || key[0] == '\0')
        return false;
    char hex[GF_GW_KEY_HASH_HEX + 1];
    gf_gw_key_hash(key, hex);
    for (size_t i = 0; i < k->n; i++) {
        if (!memcmp(k->e[i].hash, hex, GF_GW_KEY_HASH_HEX)) {
            *scopes = k->e[i].scopes;
            *name = k->e[i].name;
            return true;
        }
    }
    return false;
}
