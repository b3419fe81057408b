/*
 * err.c - GF_E* codes, their HTTP statuses and the JSON error body.
 * See core/err.h for the ownership rules.
 */
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    int rc;
    int status;
    const char *code;
} table[] = {
    {GF_OK, 200, "ok"},
    {GF_EINVAL, 400, "invalid_argument"},
    {GF_ENOTFOUND, 404, "not_found"},
    {GF_ECONFLICT, 409, "conflict"},
    {GF_ETOOBIG, 413, "payload_too_large"},
    {GF_EUNAVAIL, 503, "unavailable"},
    {GF_EINTERNAL, 500, "internal"},
    {GF_EUNPROCESSABLE, 422, "unprocessable"},
    {GF_EMEDIATYPE, 415, "unsupported_media_type"},
    {GF_EMETHOD, 405, "method_not_allowed"},
    {GF_ERATE, 429, "rate_limited"},
    {GF_ETIMEOUT, 504, "timeout"},
    {GF_EUNAUTH, 401, "unauthorized"},
};

int gf_err_http_status(int rc)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].rc == rc)
            return table[i].status;
    return 500;
}

const char *gf_err_default_code(int rc)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].rc == rc)
            return table[i].code;
    return "internal";
}

int gf_err_vset(gf_err_t *err, int rc, const char *code, const char *fmt, va_list ap)
{
    if (err == NULL)
        return rc;
    if (err->details != NULL) {
        json_decref(err->details);
        err->details = NULL;
    }
    err->rc = rc;
    snprintf(err->code, sizeof err->code, "%s", code ? code : gf_err_default_code(rc));
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return rc;
}

int gf_err_set(gf_err_t *err, int rc, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gf_err_vset(err, rc, code, fmt, ap);
    va_end(ap);
    return rc;
}

void gf_err_add_detail(gf_err_t *err, json_t *detail)
{
    if (err == NULL || detail == NULL) {
        json_decref(detail);
        return;
    }
    if (err->details == NULL)
        err->details = json_array();
    if (err->details == NULL || json_array_append_new(err->details, detail) != 0)
        json_decref(detail);
}

void gf_err_add_field(gf_err_t *err, const char *field, const char *reason)
{
    json_t *d = json_object();
    if (d == NULL)
        return;
    json_object_set_new(d, "field", json_string(field ? field : ""));
    if (reason != NULL)
        json_object_set_new(d, "reason", json_string(reason));
    gf_err_add_detail(err, d);
}

void gf_err_cleanup(gf_err_t *err)
{
    if (err == NULL)
        return;
    json_decref(err->details);
    memset(err, 0, sizeof *err);
}

json_t *gf_err_to_json(const gf_err_t *err)
{
    json_t *e = json_object();
    json_t *root = json_object();
    int rc = err ? err->rc : GF_EINTERNAL;
    const char *code = (err && err->code[0]) ? err->code : gf_err_default_code(rc);
    /* json_string rejects invalid UTF-8; messages may quote user input, so fall back. */
    json_t *msg = json_string(err ? err->message : "internal error");
    if (msg == NULL)
        msg = json_string("(message not valid UTF-8)");
    json_object_set_new(e, "code", json_string(code));
    json_object_set_new(e, "message", msg);
    json_object_set_new(e, "details",
                        err && err->details ? json_deep_copy(err->details) : json_array());
    json_object_set_new(root, "error", e);
    return root;
}
