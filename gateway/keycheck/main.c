/*
 * gf-keycheck: the gateway's API-key and scope check. nginx asks it about each request that
 * needs a key (auth_request subrequest to GET /v1/check with the caller's X-API-Key and the
 * original method and URI); it answers 200 (allowed, X-GF-Key-Name: the key's name),
 * 401 (no key or an unknown one) or 403 (X-GF-Missing-Scope: the scope the route needs).
 *
 * The keys file (GF_KEYCHECK_KEYS_FILE, hashes only: gateway/apikeys.h) is looked at on every
 * check: when its inode, size or modification time changed it is read again and swapped in
 * whole, so `scripts/keys.sh add|revoke` (which replaces the file by a rename) takes effect on
 * the next request without a restart. A file that does not parse is refused with a log line
 * naming the line number; the keys loaded before stay in force. A missing file means no keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/svc.h"
#include "core/util.h"
#include "gateway/apikeys.h"

typedef struct kc_app {
    const char *path;
    gf_gw_keys_t *keys;
    struct stat seen; /* the file version loaded (st_ino 0: none yet) */
    bool have_seen;
    bool valid; /* the last version looked at parsed */
} kc_app_t;

static gf_metric_t *m_checks, *m_reloads;

static const gf_cfg_opt_t opts[] = {
    {"GF_KEYCHECK_KEYS_FILE", GF_CFG_STR, "var/gateway/keys", 0, -1,
     "the hashed keys file (scripts/keys.sh writes it)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static bool same_version(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = gf_xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap >= (16u << 20)) { /* a keys file of 16 MiB is not a keys file */
                free(buf);
                fclose(f);
                errno = EFBIG;
                return NULL;
            }
            cap *= 2;
            buf = gf_xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

/* Load the keys file again when it changed since the last look. */
static void refresh(kc_app_t *app)
{
    struct stat st;
    if (stat(app->path, &st) != 0) {
        if (app->have_seen || app->keys == NULL) {
            GF_LOG(GF_LOG_WARN, "keys_file_missing", "%s: %s; no key is accepted", app->path,
                   strerror(errno));
            gf_gw_keys_free(app->keys);
            gf_err_t err = {0};
            app->keys = gf_gw_keys_parse("", 0, &err);
            app->have_seen = false;
            app->valid = true;
        }
        return;
    }
    if (app->have_seen && same_version(&st, &app->seen))
        return;
    app->seen = st;
    app->have_seen = true;
    size_t len = 0;
    char *text = read_file(app->path, &len);
    if (text == NULL) {
        GF_LOG(GF_LOG_ERROR, "keys_file_unreadable", "%s: %s; the keys loaded before stay",
               app->path, strerror(errno));
        gf_metric_add(m_reloads, 1, "unreadable");
        app->valid = false;
        return;
    }
    gf_err_t err = {0};
    gf_gw_keys_t *k = gf_gw_keys_parse(text, len, &err);
    free(text);
    if (k == NULL) {
        GF_LOG(GF_LOG_ERROR, "keys_file_invalid", "%s: %s; the keys loaded before stay", app->path,
               err.message);
        gf_err_cleanup(&err);
        gf_metric_add(m_reloads, 1, "invalid");
        app->valid = false;
        return;
    }
    gf_gw_keys_free(app->keys);
    app->keys = k;
    app->valid = true;
    gf_metric_add(m_reloads, 1, "ok");
    GF_LOG(GF_LOG_INFO, "keys_loaded", "%zu keys from %s", gf_gw_keys_count(k), app->path);
}

static void h_check_get(gf_req_t *r)
{
    kc_app_t *app = r->app;
    const char *method = gf_req_header(r, "X-Original-Method");
    const char *uri = gf_req_header(r, "X-Original-URI");
    const char *key = gf_req_header(r, "X-API-Key");
    if (method == NULL || uri == NULL) {
        gf_reply_errorf(r, GF_EINVAL, "missing_header",
                        "X-Original-Method and X-Original-URI are required");
        return;
    }
    refresh(app);
    unsigned scopes = 0;
    const char *name = NULL;
    if (key == NULL || key[0] == '\0') {
        gf_metric_add(m_checks, 1, "missing_key");
        gf_reply_header(r, "X-GF-Error", "missing_key");
        gf_reply_errorf(r, GF_EUNAUTH, "unauthorized", "this route needs an X-API-Key header");
        return;
    }
    if (!gf_gw_keys_find(app->keys, key, &scopes, &name)) {
        gf_metric_add(m_checks, 1, "unknown_key");
        gf_reply_header(r, "X-GF-Error", "unknown_key");
        gf_reply_errorf(r, GF_EUNAUTH, "unauthorized", "the X-API-Key is not a known key");
        return;
    }
    unsigned need = gf_gw_keys_required_scope(method, uri);
    if (!gf_gw_keys_allows(scopes, need)) {
        gf_metric_add(m_checks, 1, "forbidden");
        gf_reply_header(r, "X-GF-Missing-Scope", gf_gw_scope_name(need));
        gf_reply_header(r, "X-GF-Key-Name", name);
        gf_err_t e = {0};
        gf_err_set(&e, GF_EUNAUTH, "forbidden", "the key lacks the scope '%s'",
                   gf_gw_scope_name(need));
        gf_reply_json(r, 403, gf_err_to_json(&e));
        gf_err_cleanup(&e);
        return;
    }
    gf_metric_add(m_checks, 1, "ok");
    gf_reply_header(r, "X-GF-Key-Name", name);
    gf_reply_json(r, 200, json_pack("{s:s,s:s}", "key", name, "scope", gf_gw_scope_name(need)));
}

static const gf_route_t routes[] = {
    {"GET", "/v1/check", h_check_get, 0, NULL},
};

static bool keys_ready(gf_service_t *svc, void *arg, char *why, size_t whylen)
{
    (void)arg;
    kc_app_t *app = svc->app;
    if (app != NULL && app->valid)
        return true;
    snprintf(why, whylen, "the keys file does not parse (see the log)");
    return false;
}

static int init(gf_service_t *svc, void **app_out, gf_err_t *err)
{
    (void)err;
    kc_app_t *app = gf_xcalloc(1, sizeof *app);
    app->path = gf_cfg_str(&svc->cfg, "GF_KEYCHECK_KEYS_FILE");
    m_checks = gf_metric_counter("gf_keycheck_checks_total",
                                 "Key checks by result (ok, missing_key, unknown_key, forbidden).",
                                 "result");
    m_reloads = gf_metric_counter("gf_keycheck_reloads_total",
                                  "Keys file loads by result (ok, invalid, unreadable).", "result");
    refresh(app);
    gf_service_add_check(svc, "keys", keys_ready, NULL);
    *app_out = app;
    return 0;
}

static void cleanup(gf_service_t *svc, void *app_)
{
    (void)svc;
    kc_app_t *app = app_;
    if (app == NULL)
        return;
    gf_gw_keys_free(app->keys);
    free(app);
}

static json_t *info(gf_service_t *svc, void *app_)
{
    (void)svc;
    kc_app_t *app = app_;
    return json_pack("{s:I}", "keys", (json_int_t)(app ? gf_gw_keys_count(app->keys) : 0));
}

static const gf_service_def_t def = {
    .name = "keycheck",
    .version = "0.1.0",
    .default_port = 8106,
    .uses_redis = false,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .opts = opts,
    .init = init,
    .cleanup = cleanup,
    .info = info,
};

int main(int argc, char **argv)
{
    return gf_service_main(&def, argc, argv);
}
