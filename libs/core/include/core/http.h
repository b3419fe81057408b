/*
 * core/http.h - the HTTP server of the service kit, on libevent's evhttp.
 *
 * A server owns a route table: {method, path pattern, handler, body limit, media types}.
 * Patterns are literal segments and `{name}` parameters ("/v1/jobs/{id}"). The kit answers
 * by itself, always in the JSON error shape: 404 (no pattern matches the path), 405 with
 * Allow (a pattern matches, the method does not), 413 (body over the route's limit),
 * 415 (body with a media type the route does not take). evhttp's own body cap is set to the
 * server's hard cap (GF_MAX_BODY_BYTES); route limits sit below it so the router, not evhttp
 * (which answers in HTML), produces the 413.
 *
 * Every request gets one gf_req_t. A handler must reply exactly once, now or later from a
 * callback (async handlers keep `r` and reply when their work is done), with gf_reply_json
 * (steals the body), gf_reply_error, gf_reply_text or gf_reply_raw. The reply writes the
 * access-log line, counts the metrics and frees the gf_req_t: `r` is invalid afterwards.
 * Everything allocated with gf_req_alloc dies with the request.
 *
 * Threading: one event loop thread runs the server; handlers run on it. Work on other
 * threads replies by handing the result back to the loop (gf_loop_call).
 */
#ifndef GF_CORE_HTTP_H
#define GF_CORE_HTTP_H

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

typedef struct gf_server gf_server_t;
typedef struct gf_req gf_req_t;

/* Returns nothing: the handler replies (now or later). */
typedef void (*gf_handler_fn)(gf_req_t *r);

typedef struct gf_route {
    const char *method;  /* "GET", "POST", "PUT", "DELETE", "PATCH" */
    const char *pattern; /* "/v1/jobs/{id}" */
    gf_handler_fn handler;
    size_t max_body;   /* 0 = the server default (GF_MAX_BODY_BYTES) */
    const char *media; /* accepted request media types, comma-separated
                          ("application/json,application/x-ndjson"); NULL = any */
} gf_route_t;

#define GF_MAX_PATH_PARAMS 4

struct gf_req {
    struct evhttp_request *ev;
    gf_server_t *srv;
    const gf_route_t *route; /* NULL when the kit answered (404/405) */
    void *app;               /* the server's application pointer */
    char id[40];             /* request id (X-Request-Id or fresh) */
    double t_start;          /* gf_now_mono() at arrival */
    const char *path;        /* decoded path, request-owned */
    size_t nparams;
    const char *param_name[GF_MAX_PATH_PARAMS];
    const char *param_value[GF_MAX_PATH_PARAMS];
    struct evkeyvalq *query; /* parsed lazily, request-owned */
    const char *body;        /* contiguous body bytes (may be NULL when empty) */
    size_t body_len;
    json_t *json;         /* parsed body (gf_req_json), request-owned */
    const char *err_code; /* code of an error reply, for the access log */
    void *user;           /* free for the handler (async state) */
    struct req_chunk *_arena;
};

/* Create a server on `base`. app is handed to handlers as r->app. max_body is the hard
 * cap for any body. Returns NULL on failure (err filled). */
gf_server_t *gf_server_new(struct event_base *base, const char *svc, void *app, size_t max_body,
                           gf_err_t *err);
void gf_server_free(gf_server_t *s);

/* Register routes (the array must outlive the server). Can be called several times. */
int gf_server_add_routes(gf_server_t *s, const gf_route_t *routes, size_t n, gf_err_t *err);

/* Bind and listen; port 0 picks a free port, *bound_port gets the real one. */
int gf_server_listen(gf_server_t *s, const char *addr, int port, int *bound_port, gf_err_t *err);

/* Stop accepting new connections (drain). Requests in flight continue. */
void gf_server_stop_accepting(gf_server_t *s);

/* Requests received but not yet replied to. */
size_t gf_server_inflight(const gf_server_t *s);

/* Replies handed to evhttp whose bytes are not all on the wire yet (a large body to a slow
 * client). A reply whose client vanished mid-write may never complete, so callers waiting for
 * zero should bound the wait. */
size_t gf_server_sending(const gf_server_t *s);

/* Number of registered routes and the i-th one (for the route listing / docs checks). */
size_t gf_server_route_count(const gf_server_t *s);
const gf_route_t *gf_server_route(const gf_server_t *s, size_t i);

/* ---------------------------------------------------------------- replies (exactly once) */

/* Reply with a JSON body (stolen; NULL sends `null`). */
void gf_reply_json(gf_req_t *r, int status, json_t *body);
/* Reply with the error shape; status from err->rc. */
void gf_reply_error(gf_req_t *r, const gf_err_t *err);
/* Shorthand: build the error and reply. */
void gf_reply_errorf(gf_req_t *r, int rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Reply with raw bytes and a content type (copied). */
void gf_reply_raw(gf_req_t *r, int status, const char *content_type, const char *data, size_t len);
/* Add a response header before replying (copied). */
void gf_reply_header(gf_req_t *r, const char *name, const char *value);

/* ---------------------------------------------------------------- request access */

/* Path parameter by name; NULL when the route has none of that name. */
const char *gf_req_param(const gf_req_t *r, const char *name);
/* Request header (borrowed) or NULL. */
const char *gf_req_header(const gf_req_t *r, const char *name);
/* Request-scoped allocation, freed after the reply. Never NULL. */
void *gf_req_alloc(gf_req_t *r, size_t n);
char *gf_req_strdup(gf_req_t *r, const char *s);

/* Parse the body as JSON (once; cached in r->json, request-owned). On failure returns NULL
 * with err = GF_EINVAL "invalid_json" naming line and column. An empty body is an error. */
json_t *gf_req_json(gf_req_t *r, gf_err_t *err);

/* Query parameters. Each getter returns 0 and writes *out (the default when absent), or
 * GF_EINVAL with err naming the parameter ("invalid_parameter", details [{field, reason}]).
 * A parameter given twice is an error too. Strings are borrowed for the request's life. */
int gf_query_str(gf_req_t *r, const char *name, const char *def, const char **out, gf_err_t *err);
int gf_query_long(gf_req_t *r, const char *name, long min, long max, long def, long *out,
                  gf_err_t *err);
int gf_query_double(gf_req_t *r, const char *name, double min, double max, double def, double *out,
                    gf_err_t *err);
int gf_query_bool(gf_req_t *r, const char *name, bool def, bool *out, gf_err_t *err);
/* RFC 3339 timestamp (or a plain date YYYY-MM-DD = midnight UTC) to epoch seconds. */
int gf_query_time(gf_req_t *r, const char *name, double def, double *out, gf_err_t *err);
/* A range of two gf_query_time parameters (absent = NAN): when both are given, `to` must be
 * after `from`, else 400 "bad_range" naming them (the one answer every route gives). */
int gf_query_range(gf_req_t *r, const char *from_name, const char *to_name, double *from,
                   double *to, gf_err_t *err);
/* Reject parameters not in the NULL-terminated list (400 "unknown_parameter"). */
int gf_query_only(gf_req_t *r, const char *const *allowed, gf_err_t *err);

/* ---------------------------------------------------------------- helpers for tests */

/* Split a query string ("a=1&b=x%20y") into a list; 0 or GF_EINVAL on bad encoding. */
int gf_query_parse(const char *qs, struct evkeyvalq *out);

/* Match a path against a pattern; fills names/values (values point into `scratch`, which
 * must hold strlen(path)+1 bytes). Returns true on a match. */
bool gf_route_match(const char *pattern, const char *path, char *scratch, size_t *nparams,
                    const char **names, const char **values);

/* Run `fn(arg)` on the loop thread of `base` soon (thread-safe; the base must have been
 * made thread-aware by evthread_use_pthreads, which gf_service_main does). 0 or GF_EINTERNAL. */
int gf_loop_call(struct event_base *base, void (*fn)(void *), void *arg);

/* Kit-internal: set the application pointer after creation (the service runner). */
void gf__server_set_app(gf_server_t *s, void *app);

#endif
