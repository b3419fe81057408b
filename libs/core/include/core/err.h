/*
 * core/err.h - the one error vocabulary of GridFlow.
 *
 * Library functions return 0 or a negative GF_E* code (libuv style). Details go in a
 * caller-owned gf_err_t: a stable snake_case code, a human message and optional details
 * (a jansson array the gf_err_t owns). One table maps codes to HTTP statuses; one function
 * (gf_err_to_json) builds the body {"error":{"code","message","details"}}.
 *
 * Ownership: gf_err_t is caller storage. gf_err_set* replace what was there (freeing old
 * details); gf_err_cleanup frees details. A zero-initialised gf_err_t is "no error".
 */
#ifndef GF_CORE_ERR_H
#define GF_CORE_ERR_H

#include <jansson.h>
#include <stdarg.h>

enum {
    GF_OK = 0,
    GF_EINVAL = -1,         /* 400: bad syntax or parameter */
    GF_ENOTFOUND = -2,      /* 404 */
    GF_ECONFLICT = -3,      /* 409 */
    GF_ETOOBIG = -4,        /* 413 */
    GF_EUNAVAIL = -5,       /* 503: a dependency is down, or not ready */
    GF_EINTERNAL = -6,      /* 500: a bug or an impossible state */
    GF_EUNPROCESSABLE = -7, /* 422: well-formed but semantically refused */
    GF_EMEDIATYPE = -8,     /* 415 */
    GF_EMETHOD = -9,        /* 405 */
    GF_ERATE = -10,         /* 429 */
    GF_ETIMEOUT = -11,      /* 504: an upstream took too long */
    GF_EUNAUTH = -12,       /* 401 */
};

typedef struct gf_err {
    int rc;            /* the GF_E* code, 0 when no error */
    char code[48];     /* stable snake_case identifier, e.g. "unknown_region" */
    char message[256]; /* human text */
    json_t *details;   /* NULL or a JSON array, owned */
} gf_err_t;

/* Set rc, code and a printf-style message; clears previous details. Returns rc, so a
 * caller can write `return gf_err_set(err, GF_EINVAL, "bad_x", "...")`. err may be NULL. */
int gf_err_set(gf_err_t *err, int rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int gf_err_vset(gf_err_t *err, int rc, const char *code, const char *fmt, va_list ap);

/* Append one details entry; steals `detail` (a JSON object). No-op if err is NULL. */
void gf_err_add_detail(gf_err_t *err, json_t *detail);

/* Convenience: append {"field": field, "reason": reason}. */
void gf_err_add_field(gf_err_t *err, const char *field, const char *reason);

/* Free the details and reset to "no error". */
void gf_err_cleanup(gf_err_t *err);

/* HTTP status for a GF_E* code (500 for unknown codes). */
int gf_err_http_status(int rc);

/* Default snake_case code for a GF_E* value ("invalid_argument", "not_found", ...). */
const char *gf_err_default_code(int rc);

/* New reference to {"error":{"code","message","details":[...]}}; never NULL. */
json_t *gf_err_to_json(const gf_err_t *err);

#endif
