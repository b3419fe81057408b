/*
 * core/httpc.h - HTTP client for service-to-service calls (simulation -> forecast), with a
 * whole-request timeout.
 *
 * gf_httpc_request runs on an existing event loop and calls back exactly once: with the
 * status and body, or with status 0 and an error (GF_ETIMEOUT "upstream_timeout",
 * GF_EUNAVAIL "upstream_unavailable"). The body pointer lives only during the callback.
 * gf_httpc_fetch is the blocking form for worker threads: it runs a private event loop.
 */
#ifndef GF_CORE_HTTPC_H
#define GF_CORE_HTTPC_H

#include <event2/event.h>
#include <stddef.h>

#include "core/err.h"

typedef void (*gf_httpc_cb)(int status, const char *body, size_t len, const gf_err_t *err,
                            void *arg);

/* url: "http://host:port/path?query". body may be NULL. headers: NULL or a NULL-terminated
 * list of name, value pairs ({"Authorization", "Bearer x", NULL}). Returns 0 (cb will run)
 * or an error (bad URL: GF_EINVAL; cb will not run). */
int gf_httpc_request(struct event_base *base, const char *method, const char *url,
                     const char *const *headers, const char *content_type, const char *body,
                     size_t len, double timeout_s, gf_httpc_cb cb, void *arg, gf_err_t *err);

/* Blocking. On success returns 0 with *status and a malloc'd NUL-terminated *body_out
 * (caller frees) of *len_out bytes; on failure a GF_E* code with err filled. */
int gf_httpc_fetch(const char *method, const char *url, const char *const *headers,
                   const char *content_type, const char *body, size_t len, double timeout_s,
                   int *status, char **body_out, size_t *len_out, gf_err_t *err);

#endif
