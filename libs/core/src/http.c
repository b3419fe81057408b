/*
 * http.c - router, request lifecycle and replies on evhttp (see core/http.h).
 *
 * Lifecycle of one request: on_request() allocates the gf_req_t, resolves the route
 * (404/405 answered here), checks the body (413/415), then calls the handler. Whatever
 * reply function the handler calls ends in finish(): send, access-log line, metrics, free.
 * That is the only place a gf_req_t is freed.
 */
#include "core/http.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_ROUTE_BODY (1024 * 1024)

struct req_chunk {
    struct req_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

struct gf_server {
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    char svc[32];
    void *app;
    size_t max_body;
    const gf_route_t **routes;
    size_t nroutes, caproutes;
    size_t inflight;
    size_t sending; /* replies handed to evhttp whose bytes are not all written yet */
    gf_metric_t *m_requests;
    gf_metric_t *m_duration;
    gf_metric_t *m_inflight;
};

/* ---------------------------------------------------------------- arena */

void *gf_req_alloc(gf_req_t *r, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct req_chunk *c = r->_arena;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > 4096 ? n : 4096;
        c = gf_xmalloc(sizeof *c + cap);
        c->cap = cap;
        c->used = 0;
        c->next = r->_arena;
        r->_arena = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

char *gf_req_strdup(gf_req_t *r, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = gf_req_alloc(r, n);
    memcpy(d, s, n);
    return d;
}

/* ---------------------------------------------------------------- server */

gf_server_t *gf_server_new(struct event_base *base, const char *svc, void *app, size_t max_body,
                           gf_err_t *err)
{
    gf_server_t *s = gf_xcalloc(1, sizeof *s);
    s->base = base;
    s->app = app;
    s->max_body = max_body;
    snprintf(s->svc, sizeof s->svc, "%s", svc);
    s->http = evhttp_new(base);
    if (s->http == NULL) {
        free(s);
        gf_err_set(err, GF_EINTERNAL, "evhttp_new", "evhttp_new failed");
        return NULL;
    }
    /* Let every method reach the router so it can answer 405 in JSON. */
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                            EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_max_body_size(s->http, (ev_ssize_t)max_body);
    evhttp_set_max_headers_size(s->http, 64 * 1024);
    evhttp_set_timeout(s->http, 60);
    s->m_requests = gf_metric_counter("http_requests_total",
                                      "HTTP requests by route template, "
                                      "method and status code.",
                                      "route,method,code");
    s->m_duration = gf_metric_histogram("http_request_duration_seconds",
                                        "HTTP request latency from arrival to reply.", "route",
                                        NULL, 0);
    s->m_inflight = gf_metric_gauge("http_requests_in_flight", "Requests not yet replied to.",
                                    NULL);
    return s;
}

void gf_server_free(gf_server_t *s)
{
    if (s == NULL)
        return;
    if (s->http)
        evhttp_free(s->http);
    free(s->routes);
    free(s);
}

int gf_server_add_routes(gf_server_t *s, const gf_route_t *routes, size_t n, gf_err_t *err)
{
    for (size_t i = 0; i < n; i++) {
        const gf_route_t *rt = &routes[i];
        if (rt->pattern == NULL || rt->pattern[0] != '/' || rt->method == NULL ||
            rt->handler == NULL)
            return gf_err_set(err, GF_EINVAL, "bad_route", "route %zu is incomplete", i);
        if (s->nroutes == s->caproutes) {
            s->caproutes = s->caproutes ? s->caproutes * 2 : 16;
            s->routes = gf_xrealloc(s->routes, s->caproutes * sizeof *s->routes);
        }
        s->routes[s->nroutes++] = rt;
    }
    return 0;
}

size_t gf_server_route_count(const gf_server_t *s)
{
    return s->nroutes;
}

const gf_route_t *gf_server_route(const gf_server_t *s, size_t i)
{
    return i < s->nroutes ? s->routes[i] : NULL;
}

size_t gf_server_inflight(const gf_server_t *s)
{
    return s->inflight;
}

size_t gf_server_sending(const gf_server_t *s)
{
    return s->sending;
}

void gf_server_stop_accepting(gf_server_t *s)
{
    if (s->bound != NULL) {
        evhttp_del_accept_socket(s->http, s->bound);
        s->bound = NULL;
    }
}

/* ---------------------------------------------------------------- routing */

bool gf_route_match(const char *pattern, const char *path, char *scratch, size_t *nparams,
                    const char **names, const char **values)
{
    size_t np = 0;
    const char *p = pattern, *q = path;
    char *out = scratch;
    while (*p && *q) {
        if (*p != '/' || *q != '/')
            return false;
        p++;
        q++;
        const char *pe = strchr(p, '/');
        const char *qe = strchr(q, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p);
        size_t ql = qe ? (size_t)(qe - q) : strlen(q);
        if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
            if (ql == 0 || np == GF_MAX_PATH_PARAMS)
                return false;
            if (names)
                names[np] = p; /* caller trims braces via gf_req_param */
            memcpy(out, q, ql);
            out[ql] = '\0';
            if (values)
                values[np] = out;
            out += ql + 1;
            np++;
        } else if (pl != ql || memcmp(p, q, pl) != 0) {
            return false;
        }
        p += pl;
        q += ql;
    }
    if (*p || *q)
        return false;
    *nparams = np;
    return true;
}

const char *gf_req_param(const gf_req_t *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->nparams; i++) {
        const char *pn = r->param_name[i]; /* points at "{name}..." inside the pattern */
        if (strncmp(pn + 1, name, n) == 0 && pn[n + 1] == '}')
            return r->param_value[i];
    }
    return NULL;
}

static const char *method_name(enum evhttp_cmd_type c)
{
    switch (c) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    }
    return "OTHER";
}

/* ---------------------------------------------------------------- replies */

/* evhttp calls this once the reply's last byte is written (not when the client went away
 * mid-write: the drain then stops waiting after a short grace, see gf_server_sending). */
static void on_reply_written(struct evhttp_request *ev, void *arg)
{
    (void)ev;
    gf_server_t *s = arg;
    if (s->sending > 0)
        s->sending--;
}

static void finish(gf_req_t *r, int status, struct evbuffer *body)
{
    gf_server_t *s = r->srv;
    s->sending++;
    evhttp_request_set_on_complete_cb(r->ev, on_reply_written, s);
    struct evkeyvalq *oh = evhttp_request_get_output_headers(r->ev);
    if (evhttp_add_header(oh, "X-Request-Id", r->id) != 0)
        GF_LOG(GF_LOG_WARN, "http", "could not add X-Request-Id");
    size_t out = body ? evbuffer_get_length(body) : 0;
    evhttp_send_reply(r->ev, status, NULL, body);

    double dur = gf_now_mono() - r->t_start;
    const char *route = r->route ? r->route->pattern : "unmatched";
    const char *method = method_name(evhttp_request_get_command(r->ev));
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    gf_metric_add(s->m_requests, 1, route, method, code);
    gf_metric_observe(s->m_duration, dur, route);
    s->inflight--;
    gf_metric_set(s->m_inflight, (double)s->inflight);

    if (GF_LOG_INFO >= gf_log_min_level) {
        json_t *f = json_object();
        json_object_set_new(f, "req_id", json_string(r->id));
        json_object_set_new(f, "method", json_string(method));
        json_object_set_new(f, "route", json_string(route));
        json_object_set_new(f, "status", json_integer(status));
        json_object_set_new(f, "dur_ms", json_real(round(dur * 1e5) / 100.0));
        json_object_set_new(f, "in", json_integer((json_int_t)r->body_len));
        json_object_set_new(f, "out", json_integer((json_int_t)out));
        if (r->err_code)
            json_object_set_new(f, "err", json_string(r->err_code));
        gf_log_json(status >= 500 ? GF_LOG_ERROR : GF_LOG_INFO, "request", f);
    }
    if (body)
        evbuffer_free(body);
    json_decref(r->json);
    if (r->query) {
        evhttp_clear_headers(r->query);
        free(r->query);
    }
    struct req_chunk *c = r->_arena;
    while (c) {
        struct req_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(r);
}

void gf_reply_header(gf_req_t *r, const char *name, const char *value)
{
    if (evhttp_add_header(evhttp_request_get_output_headers(r->ev), name, value) != 0)
        GF_LOG(GF_LOG_WARN, "http", "could not add header %s", name);
}

void gf_reply_raw(gf_req_t *r, int status, const char *content_type, const char *data, size_t len)
{
    struct evbuffer *b = evbuffer_new();
    if (b == NULL || (len > 0 && evbuffer_add(b, data, len) != 0)) {
        /* Out of memory in libevent: send an empty 500 rather than nothing. */
        if (b)
            evbuffer_free(b);
        b = NULL;
        status = 500;
    }
    if (content_type)
        gf_reply_header(r, "Content-Type", content_type);
    finish(r, status, b);
}

void gf_reply_json(gf_req_t *r, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
                                             JSON_REAL_PRECISION(12))
                      : NULL;
    json_decref(body);
    if (text == NULL) {
        gf_reply_raw(r, status, "application/json", "null", 4);
        return;
    }
    struct evbuffer *b = evbuffer_new();
    size_t n = strlen(text);
    /* evbuffer_add_reference would avoid a copy, but the copy is cheap next to the dump. */
    if (b == NULL || evbuffer_add(b, text, n) != 0 || evbuffer_add(b, "\n", 1) != 0) {
        if (b)
            evbuffer_free(b);
        b = NULL;
        status = 500;
    }
    free(text);
    gf_reply_header(r, "Content-Type", "application/json");
    finish(r, status, b);
}

void gf_reply_error(gf_req_t *r, const gf_err_t *err)
{
    int rc = err ? err->rc : GF_EINTERNAL;
    if (rc == 0)
        rc = GF_EINTERNAL;
    /* Keep the code in request memory: err may be the caller's stack. */
    r->err_code = gf_req_strdup(r, (err && err->code[0]) ? err->code : gf_err_default_code(rc));
    gf_reply_json(r, gf_err_http_status(rc), gf_err_to_json(err));
}

void gf_reply_errorf(gf_req_t *r, int rc, const char *code, const char *fmt, ...)
{
    gf_err_t e = {0};
    va_list ap;
    va_start(ap, fmt);
    gf_err_vset(&e, rc, code, fmt, ap);
    va_end(ap);
    gf_reply_error(r, &e);
    gf_err_cleanup(&e);
}

/* ---------------------------------------------------------------- request entry */

static bool valid_request_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= 39 || !(isalnum(c) || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return n > 0;
}

static bool media_ok(const char *accepted, const char *ctype)
{
    if (ctype == NULL)
        return false;
    size_t ml = strcspn(ctype, ";");
    while (ml > 0 && ctype[ml - 1] == ' ')
        ml--;
    const char *a = accepted;
    while (*a) {
        size_t al = strcspn(a, ",");
        if (al == ml && strncasecmp(a, ctype, ml) == 0)
            return true;
        a += al;
        if (*a == ',')
            a++;
    }
    return false;
}

static void on_request(struct evhttp_request *ev, void *arg)
{
    gf_server_t *s = arg;
    gf_req_t *r = gf_xcalloc(1, sizeof *r);
    r->ev = ev;
    r->srv = s;
    r->app = s->app;
    r->t_start = gf_now_mono();
    s->inflight++;
    gf_metric_set(s->m_inflight, (double)s->inflight);

    const char *rid = evhttp_find_header(evhttp_request_get_input_headers(ev), "X-Request-Id");
    if (rid != NULL && valid_request_id(rid))
        snprintf(r->id, sizeof r->id, "%s", rid);
    else
        gf_random_hex(r->id, 16);

    struct evbuffer *in = evhttp_request_get_input_buffer(ev);
    r->body_len = in ? evbuffer_get_length(in) : 0;

    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
    const char *raw_path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (raw_path == NULL || raw_path[0] != '/') {
        gf_reply_errorf(r, GF_EINVAL, "bad_path", "the request path is not valid");
        return;
    }
    size_t dlen = 0;
    char *decoded = evhttp_uridecode(raw_path, 0, &dlen);
    if (decoded == NULL) {
        gf_reply_errorf(r, GF_EINVAL, "bad_path", "the request path is not valid");
        return;
    }
    if (dlen != strlen(decoded) || dlen > 2048) {
        free(decoded);
        gf_reply_errorf(r, GF_EINVAL, "bad_path", "the request path is not valid");
        return;
    }
    char *path = gf_req_alloc(r, dlen + 1);
    memcpy(path, decoded, dlen + 1);
    free(decoded);
    r->path = path;

    enum evhttp_cmd_type cmd = evhttp_request_get_command(ev);
    const char *method = method_name(cmd == EVHTTP_REQ_HEAD ? EVHTTP_REQ_GET : cmd);
    char *scratch = gf_req_alloc(r, dlen + 1);
    char allow[128] = "";
    const gf_route_t *found = NULL;
    for (size_t i = 0; i < s->nroutes && found == NULL; i++) {
        const gf_route_t *rt = s->routes[i];
        size_t np = 0;
        const char *names[GF_MAX_PATH_PARAMS], *values[GF_MAX_PATH_PARAMS];
        if (!gf_route_match(rt->pattern, path, scratch, &np, names, values))
            continue;
        if (strcmp(rt->method, method) != 0) {
            if (strstr(allow, rt->method) == NULL &&
                strlen(allow) + strlen(rt->method) + 3 < sizeof allow) {
                if (allow[0])
                    strcat(allow, ", ");
                strcat(allow, rt->method);
            }
            continue;
        }
        found = rt;
        r->nparams = np;
        for (size_t k = 0; k < np; k++) {
            r->param_name[k] = names[k];
            r->param_value[k] = values[k];
        }
    }
    if (found == NULL) {
        if (r->body_len > DEFAULT_ROUTE_BODY || r->body_len > s->max_body) {
            /* No route will read it: refuse the size first, it is the bigger problem. */
            gf_reply_errorf(r, GF_ETOOBIG, "payload_too_large",
                            "request body of %zu bytes exceeds the limit of %d bytes", r->body_len,
                            DEFAULT_ROUTE_BODY);
        } else if (allow[0]) {
            if (strstr(allow, "GET") && !strstr(allow, "HEAD") && strlen(allow) + 7 < sizeof allow)
                strcat(allow, ", HEAD");
            gf_reply_header(r, "Allow", allow);
            gf_reply_errorf(r, GF_EMETHOD, "method_not_allowed",
                            "method %s is not allowed on %s (allowed: %s)", method_name(cmd), path,
                            allow);
        } else {
            gf_reply_errorf(r, GF_ENOTFOUND, "route_not_found", "no route for %s", path);
        }
        return;
    }
    r->route = found;

    size_t limit = found->max_body ? found->max_body : DEFAULT_ROUTE_BODY;
    if (limit > s->max_body)
        limit = s->max_body;
    if (r->body_len > limit) {
        gf_reply_errorf(r, GF_ETOOBIG, "payload_too_large",
                        "request body of %zu bytes exceeds the limit of %zu bytes", r->body_len,
                        limit);
        return;
    }
    if (r->body_len > 0) {
        const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(ev),
                                               "Content-Type");
        if (found->media != NULL && !media_ok(found->media, ctype)) {
            gf_reply_errorf(r, GF_EMEDIATYPE, "unsupported_media_type",
                            "Content-Type '%.64s' is not accepted here (accepted: %s)",
                            ctype ? ctype : "(none)", found->media);
            return;
        }
        r->body = (const char *)evbuffer_pullup(in, -1);
    }
    found->handler(r);
}

int gf_server_listen(gf_server_t *s, const char *addr, int port, int *bound_port, gf_err_t *err)
{
    evhttp_set_gencb(s->http, on_request, s);
    s->bound = evhttp_bind_socket_with_handle(s->http, addr, (ev_uint16_t)port);
    if (s->bound == NULL)
        return gf_err_set(err, GF_EUNAVAIL, "bind_failed", "cannot listen on %s:%d", addr, port);
    if (bound_port != NULL) {
        evutil_socket_t fd = evhttp_bound_socket_get_fd(s->bound);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        *bound_port = port;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
            if (ss.ss_family == AF_INET)
                *bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            else if (ss.ss_family == AF_INET6)
                *bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- body and query */

json_t *gf_req_json(gf_req_t *r, gf_err_t *err)
{
    if (r->json)
        return r->json;
    if (r->body_len == 0) {
        gf_err_set(err, GF_EINVAL, "empty_body", "a JSON request body is required");
        return NULL;
    }
    json_error_t je;
    r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
    if (r->json == NULL) {
        gf_err_set(err, GF_EINVAL, "invalid_json", "invalid JSON at line %d column %d: %s", je.line,
                   je.column, je.text);
        json_t *d = json_object();
        json_object_set_new(d, "line", json_integer(je.line));
        json_object_set_new(d, "column", json_integer(je.column));
        json_object_set_new(d, "position", json_integer(je.position));
        gf_err_add_detail(err, d);
    }
    return r->json;
}

int gf_query_parse(const char *qs, struct evkeyvalq *out)
{
    TAILQ_INIT(out);
    if (qs == NULL || *qs == '\0')
        return 0;
    if (evhttp_parse_query_str(qs, out) != 0) {
        evhttp_clear_headers(out);
        return GF_EINVAL;
    }
    return 0;
}

static int ensure_query(gf_req_t *r, gf_err_t *err)
{
    if (r->query)
        return 0;
    r->query = gf_xmalloc(sizeof *r->query);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->ev);
    const char *qs = uri ? evhttp_uri_get_query(uri) : NULL;
    if (gf_query_parse(qs, r->query) != 0) {
        TAILQ_INIT(r->query);
        return gf_err_set(err, GF_EINVAL, "invalid_query", "the query string is malformed");
    }
    return 0;
}

static int param_fail(gf_err_t *err, const char *name, const char *reason)
{
    gf_err_set(err, GF_EINVAL, "invalid_parameter", "query parameter '%s': %s", name, reason);
    gf_err_add_field(err, name, reason);
    return GF_EINVAL;
}

/* The single value of `name`, NULL when absent; GF_EINVAL if repeated. */
static int lookup(gf_req_t *r, const char *name, const char **out, gf_err_t *err)
{
    int rc = ensure_query(r, err);
    if (rc)
        return rc;
    *out = NULL;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, r->query, next)
    {
        if (strcmp(kv->key, name) != 0)
            continue;
        if (*out != NULL)
            return param_fail(err, name, "given more than once");
        *out = kv->value;
    }
    return 0;
}

int gf_query_str(gf_req_t *r, const char *name, const char *def, const char **out, gf_err_t *err)
{
    const char *v;
    int rc = lookup(r, name, &v, err);
    if (rc)
        return rc;
    *out = v ? v : def;
    return 0;
}

int gf_query_long(gf_req_t *r, const char *name, long min, long max, long def, long *out,
                  gf_err_t *err)
{
    const char *v;
    int rc = lookup(r, name, &v, err);
    if (rc)
        return rc;
    if (v == NULL) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno == ERANGE || isspace((unsigned char)*v))
        return param_fail(err, name, "must be an integer");
    if (x < min || x > max) {
        char reason[96];
        snprintf(reason, sizeof reason, "must be between %ld and %ld", min, max);
        return param_fail(err, name, reason);
    }
    *out = x;
    return 0;
}

int gf_query_double(gf_req_t *r, const char *name, double min, double max, double def, double *out,
                    gf_err_t *err)
{
    const char *v;
    int rc = lookup(r, name, &v, err);
    if (rc)
        return rc;
    if (v == NULL) {
        *out = def;
        return 0;
    }
    char *end;
    double x = strtod(v, &end);
    if (*v == '\0' || *end != '\0' || !isfinite(x) || isspace((unsigned char)*v))
        return param_fail(err, name, "must be a finite number");
    if (x < min || x > max) {
        char reason[96];
        snprintf(reason, sizeof reason, "must be between %g and %g", min, max);
        return param_fail(err, name, reason);
    }
    *out = x;
    return 0;
}

int gf_query_bool(gf_req_t *r, const char *name, bool def, bool *out, gf_err_t *err)
{
    const char *v;
    int rc = lookup(r, name, &v, err);
    if (rc)
        return rc;
    if (v == NULL)
        *out = def;
    else if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, ""))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = false;
    else
        return param_fail(err, name, "must be true or false");
    return 0;
}

int gf_query_time(gf_req_t *r, const char *name, double def, double *out, gf_err_t *err)
{
    const char *v;
    int rc = lookup(r, name, &v, err);
    if (rc)
        return rc;
    if (v == NULL) {
        *out = def;
        return 0;
    }
    size_t n = strlen(v);
    if (n == 10) { /* YYYY-MM-DD */
        char full[32];
        snprintf(full, sizeof full, "%sT00:00:00Z", v);
        if (gf_time_parse(full, strlen(full), out) == 0)
            return 0;
    } else if (gf_time_parse(v, n, out) == 0) {
        return 0;
    }
    return param_fail(err, name, "must be an RFC 3339 timestamp like 2018-01-01T00:00:00Z");
}

int gf_query_range(gf_req_t *r, const char *from_name, const char *to_name, double *from,
                   double *to, gf_err_t *err)
{
    int rc = gf_query_time(r, from_name, NAN, from, err);
    if (rc == 0)
        rc = gf_query_time(r, to_name, NAN, to, err);
    if (rc)
        return rc;
    if (!isnan(*from) && !isnan(*to) && !(*to > *from)) {
        gf_err_set(err, GF_EINVAL, "bad_range", "'%s' must be after '%s'", to_name, from_name);
        gf_err_add_field(err, to_name, "not after from");
        return GF_EINVAL;
    }
    return 0;
}

int gf_query_only(gf_req_t *r, const char *const *allowed, gf_err_t *err)
{
    int rc = ensure_query(r, err);
    if (rc)
        return rc;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, r->query, next)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], kv->key) != 0)
            i++;
        if (allowed[i] == NULL) {
            gf_err_set(err, GF_EINVAL, "unknown_parameter", "unknown query parameter '%.64s'",
                       kv->key);
            gf_err_add_field(err, kv->key, "not a parameter of this route");
            return GF_EINVAL;
        }
    }
    return 0;
}

const char *gf_req_header(const gf_req_t *r, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

/* ---------------------------------------------------------------- cross-thread calls */

struct loop_call {
    void (*fn)(void *);
    void *arg;
};

static void on_loop_call(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct loop_call *c = arg;
    c->fn(c->arg);
    free(c);
}

int gf_loop_call(struct event_base *base, void (*fn)(void *), void *arg)
{
    struct loop_call *c = gf_xmalloc(sizeof *c);
    c->fn = fn;
    c->arg = arg;
    struct timeval zero = {0, 0};
    if (event_base_once(base, -1, EV_TIMEOUT, on_loop_call, c, &zero) != 0) {
        free(c);
        return GF_EINTERNAL;
    }
    return 0;
}

void gf__server_set_app(gf_server_t *s, void *app)
{
    s->app = app;
}
