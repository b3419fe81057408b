/*
 * httpc.c - small HTTP/1.1 client on evhttp (see core/httpc.h).
 *
 * One connection per request (service-to-service calls are few and short; keepalive
 * pooling can come when a profile shows the need). A timer enforces the whole-request
 * deadline, because evhttp's own timeout is per read/write, not per request.
 *
 * https:// runs evhttp over libevent's OpenSSL bufferevent (Debian's libevent-openssl and
 * OpenSSL: no TLS code of our own): TLS 1.2 or later, the peer's certificate verified
 * against the system's CA store (OpenSSL's default paths, which honour SSL_CERT_FILE and
 * SSL_CERT_DIR) and matched to the URL's host name (or IP address), SNI sent.
 *
 * URLs are redacted (gf_url_redact) before they go into any error message: a key in the
 * query string (EIA's api_key) or a password in the user-info part never leaves here.
 */
#include "core/httpc.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct call {
    struct evhttp_connection *conn;
    struct evhttp_request *req;
    struct event *deadline;
    struct bufferevent *tls; /* the TLS bufferevent of an https call (owned by conn), or NULL */
    gf_httpc_cb cb;
    void *arg;
    char url[512]; /* redacted: safe for messages */
    int done;
} call_t;

static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static SSL_CTX *tls_ctx;

static void tls_init(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return;
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_default_verify_paths(ctx) != 1) {
        SSL_CTX_free(ctx);
        return;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    tls_ctx = ctx;
}

/* A TLS bufferevent for host, verifying its certificate; NULL with err on failure. */
static struct bufferevent *tls_bev(struct event_base *base, const char *host, gf_err_t *err)
{
    pthread_once(&tls_once, tls_init);
    if (tls_ctx == NULL) {
        gf_err_set(err, GF_EINTERNAL, "tls_init", "cannot set up TLS (OpenSSL context)");
        return NULL;
    }
    SSL *ssl = SSL_new(tls_ctx);
    if (ssl == NULL) {
        gf_err_set(err, GF_EINTERNAL, "tls_init", "cannot set up TLS (SSL_new)");
        return NULL;
    }
    unsigned char addr[16];
    int is_ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
    int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1
                   : (SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1);
    if (!ok) {
        SSL_free(ssl);
        gf_err_set(err, GF_EINVAL, "bad_url", "cannot verify TLS for host %.100s", host);
        return NULL;
    }
    struct bufferevent *bev = bufferevent_openssl_socket_new(base, -1, ssl,
                                                             BUFFEREVENT_SSL_CONNECTING,
                                                             BEV_OPT_CLOSE_ON_FREE |
                                                                 BEV_OPT_DEFER_CALLBACKS);
    if (bev == NULL) {
        SSL_free(ssl);
        gf_err_set(err, GF_EINTERNAL, "tls_init", "cannot set up TLS (bufferevent)");
        return NULL;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

static void call_free(call_t *c)
{
    if (c->deadline)
        event_free(c->deadline);
    if (c->conn)
        evhttp_connection_free(c->conn);
    free(c);
}

/* evhttp frees the request after the completion callback; the connection is ours. Freeing
 * the connection inside the request callback is not allowed, so defer it to the loop. */
static void on_free_later(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    call_free(arg);
}

static void complete(call_t *c, int status, const char *body, size_t len, const gf_err_t *err)
{
    if (c->done)
        return;
    c->done = 1;
    c->cb(status, body, len, err, c->arg);
    struct timeval zero = {0, 0};
    event_del(c->deadline);
    event_base_once(evhttp_connection_get_base(c->conn), -1, EV_TIMEOUT, on_free_later, c, &zero);
}

static void on_response(struct evhttp_request *req, void *arg)
{
    call_t *c = arg;
    if (c->done)
        return;
    if (req == NULL || evhttp_request_get_response_code(req) == 0) {
        gf_err_t e = {0};
        unsigned long tls_err = c->tls ? bufferevent_get_openssl_error(c->tls) : 0;
        if (tls_err != 0) {
            char why[160];
            ERR_error_string_n(tls_err, why, sizeof why);
            gf_err_set(&e, GF_EUNAVAIL, "upstream_unavailable", "no answer (TLS: %s) from %s", why,
                       c->url);
        } else {
            gf_err_set(&e, GF_EUNAVAIL, "upstream_unavailable", "no answer from %s", c->url);
        }
        complete(c, 0, NULL, 0, &e);
        gf_err_cleanup(&e);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    char *body = gf_xmalloc(len + 1);
    if (len)
        evbuffer_copyout(in, body, len);
    body[len] = '\0';
    complete(c, evhttp_request_get_response_code(req), body, len, NULL);
    free(body);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    call_t *c = arg;
    if (c->done)
        return;
    gf_err_t e = {0};
    gf_err_set(&e, GF_ETIMEOUT, "upstream_timeout", "%s did not answer in time", c->url);
    /* Cancel the request; evhttp will not call on_response afterwards. */
    if (c->req)
        evhttp_cancel_request(c->req);
    c->req = NULL;
    complete(c, 0, NULL, 0, &e);
    gf_err_cleanup(&e);
}

int gf_httpc_request(struct event_base *base, const char *method, const char *url,
                     const char *const *headers, const char *content_type, const char *body,
                     size_t len, double timeout_s, gf_httpc_cb cb, void *arg, gf_err_t *err)
{
    char safe[512];
    gf_url_redact(url, safe, sizeof safe);
    struct evhttp_uri *u = evhttp_uri_parse(url);
    const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
    int https = scheme != NULL && strcmp(scheme, "https") == 0;
    if (u == NULL || evhttp_uri_get_host(u) == NULL || scheme == NULL ||
        (!https && strcmp(scheme, "http") != 0)) {
        if (u)
            evhttp_uri_free(u);
        return gf_err_set(err, GF_EINVAL, "bad_url", "not an http:// or https:// URL: %.200s",
                          safe);
    }
    int port = evhttp_uri_get_port(u);
    if (port < 0)
        port = https ? 443 : 80;
    char target[1024];
    const char *path = evhttp_uri_get_path(u);
    const char *query = evhttp_uri_get_query(u);
    snprintf(target, sizeof target, "%s%s%s", (path && *path) ? path : "/", query ? "?" : "",
             query ? query : "");
    enum evhttp_cmd_type cmd;
    if (!strcmp(method, "GET"))
        cmd = EVHTTP_REQ_GET;
    else if (!strcmp(method, "POST"))
        cmd = EVHTTP_REQ_POST;
    else if (!strcmp(method, "PUT"))
        cmd = EVHTTP_REQ_PUT;
    else if (!strcmp(method, "DELETE"))
        cmd = EVHTTP_REQ_DELETE;
    else {
        evhttp_uri_free(u);
        return gf_err_set(err, GF_EINVAL, "bad_method", "unsupported method %s", method);
    }

    call_t *c = gf_xcalloc(1, sizeof *c);
    c->cb = cb;
    c->arg = arg;
    snprintf(c->url, sizeof c->url, "%s", safe);
    if (https) {
        c->tls = tls_bev(base, evhttp_uri_get_host(u), err);
        if (c->tls == NULL) {
            evhttp_uri_free(u);
            call_free(c);
            return err ? err->rc : GF_EINTERNAL;
        }
        c->conn = evhttp_connection_base_bufferevent_new(base, NULL, c->tls, evhttp_uri_get_host(u),
                                                         (ev_uint16_t)port);
        if (c->conn == NULL) {
            bufferevent_free(c->tls);
            c->tls = NULL;
        }
    } else {
        c->conn = evhttp_connection_base_new(base, NULL, evhttp_uri_get_host(u), (ev_uint16_t)port);
    }
    c->deadline = evtimer_new(base, on_deadline, c);
    if (c->conn == NULL || c->deadline == NULL) {
        evhttp_uri_free(u);
        call_free(c);
        return gf_err_set(err, GF_EINTERNAL, "httpc_alloc", "cannot create connection");
    }
    int secs = (int)timeout_s + 1;
    evhttp_connection_set_timeout(c->conn, secs);
    evhttp_connection_set_retries(c->conn, 0);
    c->req = evhttp_request_new(on_response, c);
    if (c->req == NULL) {
        evhttp_uri_free(u);
        call_free(c);
        return gf_err_set(err, GF_EINTERNAL, "httpc_alloc", "cannot create request");
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
    char hostport[300];
    snprintf(hostport, sizeof hostport, "%s:%d", evhttp_uri_get_host(u), port);
    evhttp_add_header(h, "Host", hostport);
    evhttp_add_header(h, "Connection", "close");
    evhttp_add_header(h, "Accept", "application/json");
    for (size_t i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
        evhttp_add_header(h, headers[i], headers[i + 1]);
    if (body != NULL && len > 0) {
        evhttp_add_header(h, "Content-Type", content_type ? content_type : "application/json");
        evbuffer_add(evhttp_request_get_output_buffer(c->req), body, len);
    }
    evhttp_uri_free(u);
    struct timeval tv = {(time_t)timeout_s, (suseconds_t)((timeout_s - (time_t)timeout_s) * 1e6)};
    if (evtimer_add(c->deadline, &tv) != 0 ||
        evhttp_make_request(c->conn, c->req, cmd, target) != 0) {
        /* evhttp_make_request frees the request on failure */
        c->req = NULL;
        call_free(c);
        return gf_err_set(err, GF_EUNAVAIL, "upstream_unavailable", "cannot send to %.200s", safe);
    }
    return 0;
}

typedef struct sync_result {
    int done;
    int status;
    char *body;
    size_t len;
    gf_err_t err;
} sync_result_t;

static void on_sync(int status, const char *body, size_t len, const gf_err_t *err, void *arg)
{
    sync_result_t *s = arg;
    s->done = 1;
    s->status = status;
    if (err) {
        gf_err_set(&s->err, err->rc, err->code, "%s", err->message);
        return;
    }
    s->body = gf_xmalloc(len + 1);
    memcpy(s->body, body, len);
    s->body[len] = '\0';
    s->len = len;
}

int gf_httpc_fetch(const char *method, const char *url, const char *const *headers,
                   const char *content_type, const char *body, size_t len, double timeout_s,
                   int *status, char **body_out, size_t *len_out, gf_err_t *err)
{
    struct event_base *base = event_base_new();
    if (base == NULL)
        return gf_err_set(err, GF_EINTERNAL, "httpc_alloc", "cannot create event base");
    sync_result_t s = {0};
    int rc = gf_httpc_request(base, method, url, headers, content_type, body, len, timeout_s,
                              on_sync, &s, err);
    if (rc == 0) {
        event_base_dispatch(base);
        if (!s.done)
            rc = gf_err_set(err, GF_EINTERNAL, "httpc_incomplete", "request did not complete");
        else if (s.err.rc) {
            rc = gf_err_set(err, s.err.rc, s.err.code, "%s", s.err.message);
        } else {
            *status = s.status;
            *body_out = s.body;
            s.body = NULL;
            if (len_out)
                *len_out = s.len;
        }
    }
    free(s.body);
    gf_err_cleanup(&s.err);
    event_base_free(base);
    return rc;
}
