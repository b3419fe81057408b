/*
 * ing_wx_pull.c - the Open-Meteo temperature forecast puller (core in ing_wx.c).
 *
 * Off unless GF_INGEST_WX_REGIONS names at least one region=latitude,longitude. A timer on
 * the loop fires every GF_INGEST_WX_INTERVAL_S (first run one second after start); a run asks
 * /v1/forecast for each configured region in turn (gf_httpc_request, async, whole-request
 * timeout) and writes the hours from the current hour on as forecasts issued at the instant
 * of the request (ing_temp_build: the same EVAL as POST /v1/temperature/forecasts, one
 * region, all keys in KEYS), then moves on to the next region. A re-run stores a new issue
 * per pull; re-writing the same issue changes nothing.
 *
 * Errors (Open-Meteo's error object, HTTP errors, bad shapes, timeouts, Redis) end that
 * region's pull and are counted; the run goes on with the next region and the next tick
 * starts over. The status is part of GET /v1/temperature/regions ("puller") and counted in
 * gf_ingestion_wx_pulls_total{result}. The optional API key (GF_INGEST_WX_API_KEY, for the
 * commercial host) rides in the query string: the HTTP client redacts URLs in its errors and
 * the status and log lines have the key removed from the provider's text.
 */
#include "ing_app.h"

#include "core/httpc.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"
#include "ing_temp.h"
#include "ing_wx.h"

#include <stdlib.h>
#include <string.h>

static gf_metric_t *m_pulls, *m_rows;

struct ing_wx_puller {
    ing_app_t *app;
    ing_wx_puller_cfg_t cfg;
    ing_wx_site_t sites[ING_WX_MAX_SITES];
    size_t nsites;
    struct event *timer;
    int busy;
    size_t site;    /* the region being pulled */
    int64_t issued; /* this pull's request instant */
    ing_temp_batch_t b;
    ing_cmd_t cmd;
    /* status */
    size_t pulls_ok, pulls_failed, rows_total;
    double last_ok_at, last_error_at;
    char last_error_code[48], last_error_msg[256], last_error_region[GF_REGION_MAX + 1];
};

static void pull_site(ing_wx_puller_t *p);

/* One region's pull ended (err NULL: fine); go on with the next one. */
static void site_done(ing_wx_puller_t *p, const gf_err_t *err)
{
    const char *reg = p->sites[p->site].region;
    if (err == NULL || err->rc == 0) {
        p->pulls_ok++;
        p->last_ok_at = gf_now_wall();
        gf_metric_add(m_pulls, 1, "ok");
    } else {
        p->pulls_failed++;
        p->last_error_at = gf_now_wall();
        snprintf(p->last_error_code, sizeof p->last_error_code, "%s", err->code);
        snprintf(p->last_error_msg, sizeof p->last_error_msg, "%s", err->message);
        snprintf(p->last_error_region, sizeof p->last_error_region, "%s", reg);
        gf_redact_secret(p->last_error_msg, p->cfg.api_key);
        gf_metric_add(m_pulls, 1, err->code);
        GF_LOG(GF_LOG_WARN, "wx_pull_failed", "Open-Meteo pull for %s failed: %s: %s", reg,
               err->code, p->last_error_msg);
    }
    ing_temp_batch_cleanup(&p->b);
    if (++p->site < p->nsites)
        pull_site(p);
    else
        p->busy = 0;
}

static void on_upsert(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    ing_wx_puller_t *p = priv;
    gf_err_t err = {0};
    size_t n = 0;
    p->app->cb_pending--;
    int rc = ing_temp_apply_reply(reply, &n, &err);
    if (rc == 0) {
        p->rows_total += p->b.n;
        gf_metric_add(m_rows, (double)p->b.n);
        GF_LOG(GF_LOG_INFO, "wx_pull", "Open-Meteo %s: %zu hours, %zu new",
               p->sites[p->site].region, p->b.n, n);
    }
    site_done(p, rc == 0 ? NULL : &err);
    gf_err_cleanup(&err);
}

static void on_resp(int status, const char *body, size_t len, const gf_err_t *herr, void *arg)
{
    ing_wx_puller_t *p = arg;
    gf_err_t err = {0};
    p->app->cb_pending--;
    if (status == 0) {
        site_done(p, herr);
        return;
    }
    int64_t hour = ing_floor_div(p->issued, 3600) * 3600;
    int rc = ing_wx_parse(body ? body : "", len, p->sites[p->site].region, p->issued, hour, &p->b,
                          &err);
    if (rc == 0 && status != 200)
        rc = gf_err_set(&err, GF_EUNAVAIL, "openmeteo_error", "Open-Meteo answered HTTP %d",
                        status);
    if (rc == 0 && p->b.n > ING_TEMP_CHUNK)
        rc = gf_err_set(&err, GF_EINVAL, "openmeteo_bad_response", "too many hours");
    if (rc != 0 || p->b.n == 0) {
        site_done(p, rc ? &err : NULL);
        gf_err_cleanup(&err);
        return;
    }
    ing_temp_build(ING_TEMP_FC, p->b.rows, p->b.n, &p->cmd);
    if (gf_redis_cmd_argv(p->app->redis, on_upsert, p, p->cmd.argc, p->cmd.argv, p->cmd.argvlen) ==
        0) {
        p->app->cb_pending++;
        return;
    }
    gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
    site_done(p, &err);
    gf_err_cleanup(&err);
}

static void pull_site(ing_wx_puller_t *p)
{
    gf_err_t err = {0};
    ing_temp_batch_init(&p->b);
    p->issued = (int64_t)gf_now_wall();
    char *url = ing_wx_url(p->cfg.url, &p->sites[p->site], p->cfg.forecast_days, p->cfg.api_key,
                           &err);
    if (url == NULL || gf_httpc_request(p->app->base, "GET", url, NULL, NULL, NULL, 0,
                                        p->cfg.timeout_s, on_resp, p, &err) != 0)
        site_done(p, &err);
    else
        p->app->cb_pending++;
    free(url);
    gf_err_cleanup(&err);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ing_wx_puller_t *p = arg;
    struct timeval tv = {p->cfg.interval_s, 0};
    evtimer_add(p->timer, &tv);
    if (p->busy)
        return;
    p->busy = 1;
    p->site = 0;
    pull_site(p);
}

ing_wx_puller_t *ing_wx_puller_new(ing_app_t *app, const ing_wx_puller_cfg_t *cfg, gf_err_t *err)
{
    ing_wx_site_t sites[ING_WX_MAX_SITES];
    size_t n = 0;
    if (ing_wx_sites_parse(cfg->regions, &app->regions, sites, ING_WX_MAX_SITES, &n, err) != 0 ||
        n == 0)
        return NULL; /* off (err untouched), or a bad config (err set) */
    if (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0) {
        char safe[256];
        gf_err_set(err, GF_EINVAL, "bad_config",
                   "GF_INGEST_WX_URL: '%s' is not an http:// or https:// URL",
                   gf_url_redact(cfg->url, safe, sizeof safe));
        return NULL;
    }
    if (cfg->forecast_days < 1 || cfg->forecast_days > 16) {
        gf_err_set(err, GF_EINVAL, "bad_config", "GF_INGEST_WX_FORECAST_DAYS must be 1..16");
        return NULL;
    }
    if (m_pulls == NULL) {
        m_pulls = gf_metric_counter("gf_ingestion_wx_pulls_total",
                                    "Open-Meteo pulls (one per region) by result.", "result");
        m_rows = gf_metric_counter("gf_ingestion_wx_rows_total",
                                   "Temperature forecast hours stored by the puller.", NULL);
    }
    ing_wx_puller_t *p = gf_xcalloc(1, sizeof *p);
    p->app = app;
    p->cfg = *cfg;
    memcpy(p->sites, sites, n * sizeof *sites);
    p->nsites = n;
    ing_cmd_init(&p->cmd);
    p->timer = evtimer_new(app->base, on_tick, p);
    struct timeval tv = {1, 0};
    evtimer_add(p->timer, &tv);
    GF_LOG(GF_LOG_INFO, "wx_puller", "Open-Meteo puller on: %zu regions every %d s", n,
           cfg->interval_s);
    return p;
}

void ing_wx_puller_stop(ing_wx_puller_t *p)
{
    if (p && p->timer)
        evtimer_del(p->timer);
}

void ing_wx_puller_free(ing_wx_puller_t *p)
{
    if (p == NULL)
        return;
    if (p->timer)
        event_free(p->timer);
    ing_cmd_cleanup(&p->cmd);
    ing_temp_batch_cleanup(&p->b);
    free(p);
}

json_t *ing_wx_puller_status(const ing_wx_puller_t *p)
{
    if (p == NULL)
        return json_null();
    char buf[40];
    json_t *o = json_object();
    json_t *regs = json_array();
    for (size_t i = 0; i < p->nsites; i++)
        json_array_append_new(regs,
                              json_pack("{s:s,s:f,s:f}", "region", p->sites[i].region, "latitude",
                                        p->sites[i].lat, "longitude", p->sites[i].lon));
    json_object_set_new(o, "source", json_string("open-meteo"));
    json_object_set_new(o, "regions", regs);
    json_object_set_new(o, "running", json_boolean(p->busy));
    json_object_set_new(o, "pulls_ok", json_integer((json_int_t)p->pulls_ok));
    json_object_set_new(o, "pulls_failed", json_integer((json_int_t)p->pulls_failed));
    json_object_set_new(o, "rows", json_integer((json_int_t)p->rows_total));
    json_object_set_new(o, "last_ok",
                        p->last_ok_at > 0
                            ? json_string(gf_time_format_ms(p->last_ok_at, buf, sizeof buf))
                            : json_null());
    if (p->last_error_at > 0)
        json_object_set_new(o, "last_error",
                            json_pack("{s:s,s:s,s:s,s:s}", "code", p->last_error_code, "message",
                                      p->last_error_msg, "region", p->last_error_region, "at",
                                      gf_time_format_ms(p->last_error_at, buf, sizeof buf)));
    else
        json_object_set_new(o, "last_error", json_null());
    return o;
}
