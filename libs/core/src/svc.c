/*
 * svc.c - the common life of a service (see core/svc.h): config, loop, server, standard
 * routes, Redis, signals, drain.
 */
#include "core/svc.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"

#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#ifndef GF_GIT_REV
#define GF_GIT_REV "unknown"
#endif

#define MAX_CHECKS 8

static const gf_cfg_opt_t kit_opts[] = {
    {"GF_BIND", GF_CFG_STR, "127.0.0.1", 0, -1, "address to listen on"},
    {"GF_PORT", GF_CFG_INT, "0", 0, 65535, "port to listen on (0 = pick a free port, logged)"},
    {"GF_REDIS_HOST", GF_CFG_STR, "127.0.0.1", 0, -1, "Redis host"},
    {"GF_REDIS_PORT", GF_CFG_INT, "6379", 1, 65535, "Redis port"},
    {"GF_LOG_LEVEL", GF_CFG_STR, "info", 0, -1, "debug, info, warn or error"},
    {"GF_MAX_BODY_BYTES", GF_CFG_INT, "67108864", 1024, 1073741824,
     "hard cap on any request body (routes have smaller limits)"},
    {"GF_DRAIN_SECONDS", GF_CFG_DOUBLE, "10", 0, 600,
     "how long SIGTERM waits for requests in flight"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static struct {
    const char *name;
    gf_ready_fn fn;
    void *arg;
} checks[MAX_CHECKS];
static size_t nchecks;
static gf_service_t *the_service;

gf_service_t *gf_req_service(const gf_req_t *r)
{
    (void)r;
    return the_service;
}

void gf_service_add_check(gf_service_t *svc, const char *name, gf_ready_fn fn, void *arg)
{
    (void)svc;
    if (nchecks < MAX_CHECKS) {
        checks[nchecks].name = name;
        checks[nchecks].fn = fn;
        checks[nchecks].arg = arg;
        nchecks++;
    }
}

/* ---------------------------------------------------------------- standard routes */

static void h_healthz_get(gf_req_t *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string("ok"));
    json_object_set_new(o, "service", json_string(the_service->def->name));
    gf_reply_json(r, 200, o);
}

static void h_readyz_get(gf_req_t *r)
{
    gf_service_t *svc = the_service;
    bool all = !svc->draining;
    json_t *o = json_object();
    json_t *c = json_object();
    for (size_t i = 0; i < nchecks; i++) {
        char why[256] = "";
        bool ok = checks[i].fn(svc, checks[i].arg, why, sizeof why);
        json_t *e = json_object();
        json_object_set_new(e, "ok", json_boolean(ok));
        if (!ok && why[0])
            json_object_set_new(e, "reason", json_string(why));
        json_object_set_new(c, checks[i].name, e);
        all = all && ok;
    }
    json_object_set_new(o, "ready", json_boolean(all));
    json_object_set_new(o, "service", json_string(svc->def->name));
    if (svc->draining)
        json_object_set_new(o, "reason", json_string("draining"));
    json_object_set_new(o, "checks", c);
    if (!all) {
        /* 503 with the error shape, plus the check details so operators see which one. */
        gf_err_t e = {0};
        gf_err_set(&e, GF_EUNAVAIL, "not_ready", "%s is not ready", svc->def->name);
        json_t *body = gf_err_to_json(&e);
        json_object_update(body, o);
        json_decref(o);
        r->err_code = "not_ready";
        gf_err_cleanup(&e);
        gf_reply_json(r, 503, body);
        return;
    }
    gf_reply_json(r, 200, o);
}

static void h_metrics_get(gf_req_t *r)
{
    size_t len = 0;
    char *text = gf_metrics_render(&len);
    gf_reply_raw(r, 200, GF_METRICS_CONTENT_TYPE, text, len);
    free(text);
}

static void h_info_get(gf_req_t *r)
{
    gf_service_t *svc = the_service;
    char started[40];
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(svc->def->name));
    json_object_set_new(o, "version", json_string(svc->def->version));
    json_object_set_new(o, "git_revision", json_string(GF_GIT_REV));
    json_object_set_new(o, "started_at",
                        json_string(gf_time_format_ms(svc->started_wall, started, sizeof started)));
    json_object_set_new(o, "uptime_seconds",
                        json_real(round((gf_now_wall() - svc->started_wall) * 1000) / 1000));
    if (svc->def->info) {
        json_t *extra = svc->def->info(svc, svc->app);
        if (extra) {
            json_object_update(o, extra);
            json_decref(extra);
        }
    }
    gf_reply_json(r, 200, o);
}

static const gf_route_t std_routes[] = {
    {"GET", "/healthz", h_healthz_get, 0, NULL},
    {"GET", "/readyz", h_readyz_get, 0, NULL},
    {"GET", "/metrics", h_metrics_get, 0, NULL},
    {"GET", "/v1/info", h_info_get, 0, NULL},
};

static bool redis_check(gf_service_t *svc, void *arg, char *why, size_t whylen)
{
    (void)arg;
    if (gf_redis_ready(svc->redis))
        return true;
    gf_redis_why(svc->redis, why, whylen);
    return false;
}

/* ---------------------------------------------------------------- signals and drain */

static struct event *drain_timer;
static double drain_deadline;
static double idle_since; /* when the last request in flight was replied to */

#define FLUSH_GRACE_SECONDS 2.0

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gf_service_t *svc = arg;
    size_t left = gf_server_inflight(svc->http);
    double now = gf_now_mono();
    /* Replied is not yet delivered: wait until the replies are written too (bounded, since a
     * client gone mid-write never completes). */
    bool flushed = false;
    if (left == 0) {
        if (idle_since == 0)
            idle_since = now;
        flushed = gf_server_sending(svc->http) == 0 || now - idle_since >= FLUSH_GRACE_SECONDS;
    }
    if ((left == 0 && flushed) || now >= drain_deadline) {
        json_t *f = json_object();
        json_object_set_new(f, "abandoned", json_integer((json_int_t)left));
        gf_log_lifecycle("drained", f);
        event_base_loopexit(svc->base, NULL);
    }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    gf_service_t *svc = arg;
    if (svc->draining) {
        GF_LOG(GF_LOG_WARN, "drain", "second signal %d: stopping now", (int)sig);
        event_base_loopexit(svc->base, NULL);
        return;
    }
    svc->draining = true;
    json_t *f = json_object();
    json_object_set_new(f, "signal", json_integer(sig));
    json_object_set_new(f, "inflight", json_integer((json_int_t)gf_server_inflight(svc->http)));
    gf_log_lifecycle("drain", f);
    gf_server_stop_accepting(svc->http);
    drain_deadline = gf_now_mono() + gf_cfg_double(&svc->cfg, "GF_DRAIN_SECONDS");
    drain_timer = event_new(svc->base, -1, EV_PERSIST, on_drain_tick, svc);
    struct timeval tick = {0, 20000};
    if (drain_timer == NULL || event_add(drain_timer, &tick) != 0)
        event_base_loopexit(svc->base, NULL);
}

/* ---------------------------------------------------------------- main */

int gf_service_main(const gf_service_def_t *def, int argc, char **argv)
{
    static gf_cfg_opt_t port_opt[2];
    port_opt[0] = kit_opts[1];
    static char port_def[8];
    snprintf(port_def, sizeof port_def, "%d", def->default_port);
    port_opt[0].def = port_def;
    const gf_cfg_opt_t *tables[] = {kit_opts, gf_rcluster_cfg_opts, port_opt,
                                    def->opts ? def->opts : &kit_opts[7], NULL};

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("gf-%s %s: GridFlow %s service\n\n", def->name, def->version, def->name);
            if (def->usage)
                printf("%s\n\n", def->usage);
            gf_cfg_print_help(stdout, tables);
            return 0;
        }
        if (!strcmp(argv[i], "--routes")) {
            /* The route table as the gateway exposes it, for the API contract test. */
            for (size_t k = 0; k < sizeof std_routes / sizeof std_routes[0]; k++)
                printf("%s %s\n", std_routes[k].method, std_routes[k].pattern);
            for (size_t k = 0; k < def->nroutes; k++)
                printf("%s %s\n", def->routes[k].method, def->routes[k].pattern);
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("gf-%s %s (%s)\n", def->name, def->version, GF_GIT_REV);
            return 0;
        }
        fprintf(stderr, "gf-%s: unknown argument '%s' (see --help)\n", def->name, argv[i]);
        return 2;
    }

    static gf_service_t svc;
    memset(&svc, 0, sizeof svc);
    svc.def = def;
    the_service = &svc;
    gf_err_t err = {0};
    int status = 1;
    struct event *sigterm = NULL, *sigint = NULL;

    if (gf_cfg_load(&svc.cfg, tables, &err) != 0) {
        fprintf(stderr, "gf-%s: %s\n", def->name, err.message);
        gf_err_cleanup(&err);
        return 2;
    }
    if (gf_log_init(def->name, gf_cfg_str(&svc.cfg, "GF_LOG_LEVEL")) != 0) {
        fprintf(stderr, "gf-%s: GF_LOG_LEVEL=\"%s\" is invalid: expected debug|info|warn|error\n",
                def->name, gf_cfg_str(&svc.cfg, "GF_LOG_LEVEL"));
        gf_cfg_cleanup(&svc.cfg);
        return 2;
    }
    svc.redis_conf = gf_redis_conf_from_cfg(&svc.cfg);
    if (svc.redis_conf.cluster[0] != '\0') { /* a malformed seed list is a config error */
        gf_rc_addr_t seeds[GF_RC_MAX_SEEDS];
        size_t nseeds;
        if (gf_rc_parse_seeds(svc.redis_conf.cluster, seeds, GF_RC_MAX_SEEDS, &nseeds, &err) != 0) {
            fprintf(stderr, "gf-%s: %s\n", def->name, err.message);
            gf_err_cleanup(&err);
            gf_cfg_cleanup(&svc.cfg);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    svc.started_wall = gf_now_wall();
    gf_metrics_register_process();

    if (evthread_use_pthreads() != 0) {
        gf_err_set(&err, GF_EINTERNAL, "evthread", "evthread_use_pthreads failed");
        goto out;
    }
    svc.base = event_base_new();
    if (svc.base == NULL) {
        gf_err_set(&err, GF_EINTERNAL, "event_base", "event_base_new failed");
        goto out;
    }
    svc.http = gf_server_new(svc.base, def->name, NULL,
                             (size_t)gf_cfg_int(&svc.cfg, "GF_MAX_BODY_BYTES"), &err);
    if (svc.http == NULL)
        goto out;
    if (gf_server_add_routes(svc.http, std_routes, sizeof std_routes / sizeof std_routes[0],
                             &err) != 0 ||
        gf_server_add_routes(svc.http, def->routes, def->nroutes, &err) != 0)
        goto out;
    if (def->uses_redis) {
        svc.redis = gf_redis_new_conf(svc.base, &svc.redis_conf, &err);
        if (svc.redis == NULL)
            goto out;
        gf_service_add_check(&svc, "redis", redis_check, NULL);
    }
    if (def->init && def->init(&svc, &svc.app, &err) != 0)
        goto out;
    /* The server was created before the app existed; hand it over now. */
    gf__server_set_app(svc.http, svc.app);

    if (gf_server_listen(svc.http, gf_cfg_str(&svc.cfg, "GF_BIND"),
                         (int)gf_cfg_int(&svc.cfg, "GF_PORT"), &svc.port, &err) != 0)
        goto out;
    sigterm = evsignal_new(svc.base, SIGTERM, on_signal, &svc);
    sigint = evsignal_new(svc.base, SIGINT, on_signal, &svc);
    if (sigterm == NULL || sigint == NULL || event_add(sigterm, NULL) != 0 ||
        event_add(sigint, NULL) != 0) {
        gf_err_set(&err, GF_EINTERNAL, "signals", "cannot install signal handlers");
        goto out;
    }
    {
        json_t *f = json_object();
        json_object_set_new(f, "version", json_string(def->version));
        json_object_set_new(f, "git_revision", json_string(GF_GIT_REV));
        json_object_set_new(f, "bind", json_string(gf_cfg_str(&svc.cfg, "GF_BIND")));
        json_object_set_new(f, "port", json_integer(svc.port));
        json_object_set_new(f, "pid", json_integer(getpid()));
        json_object_set_new(f, "config", gf_cfg_to_json(&svc.cfg));
        gf_log_lifecycle("start", f);
    }
    if (event_base_dispatch(svc.base) != 0)
        gf_err_set(&err, GF_EINTERNAL, "event_loop", "event loop failed");
    else
        status = 0;
    if (def->cleanup)
        def->cleanup(&svc, svc.app);
    svc.app = NULL;

out:
    if (err.rc != 0) {
        json_t *f = json_object();
        json_object_set_new(f, "code", json_string(err.code));
        json_object_set_new(f, "msg", json_string(err.message));
        gf_log_json(GF_LOG_ERROR, "start_failed", f);
        if (svc.app && def->cleanup)
            def->cleanup(&svc, svc.app);
        status = 1;
    } else {
        gf_log_lifecycle("exit", json_pack("{s:s}", "msg", "stopped cleanly"));
    }
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    if (drain_timer) {
        event_free(drain_timer);
        drain_timer = NULL;
    }
    gf_redis_free(svc.redis);
    gf_server_free(svc.http);
    if (svc.base)
        event_base_free(svc.base);
    gf_cfg_cleanup(&svc.cfg);
    gf_err_cleanup(&err);
    gf_metrics_reset();
    nchecks = 0;
    libevent_global_shutdown();
    return status;
}
