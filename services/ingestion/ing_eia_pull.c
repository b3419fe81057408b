/*
 * ing_eia_pull.c - the EIA API v2 puller: live hourly regional demand.
 *
 * On when GF_INGEST_EIA_API_KEY is set. A timer on the loop fires every
 * GF_INGEST_EIA_INTERVAL_S (first run one second after start); a run asks for the hours
 * from now - GF_INGEST_EIA_LOOKBACK_H on for the respondents of GF_INGEST_EIA_RESPONDENTS
 * (ing_eia_url), one page of GF_INGEST_EIA_PAGE_LENGTH rows at a time with gf_httpc_request
 * (async, whole-request timeout), and upserts each page exactly like an import
 * (ing_demand_build, the same EVAL script: idempotent by (region, hour)) before asking for
 * the next one, until offset >= response.total. Overlapping runs re-upsert the same hours,
 * which changes nothing, so no cursor needs to survive a restart.
 *
 * Errors (EIA's error objects, HTTP errors, bad shapes, timeouts) end the run; the next
 * tick starts over. The last outcome is reported in GET /v1/summary ("eia") and counted in
 * gf_ingestion_eia_pulls_total{result}.
 *
 * gf_httpc speaks https:// (certificates checked against the system CA store) and http://;
 * the default URL is EIA's own; tests use a local fake (plain http, and https through a
 * local TLS terminator). The key rides in the query string as EIA requires: the client
 * redacts URLs in its errors, and run_done removes the key from EIA's own error text.
 */
#include "ing_app.h"

#include "core/httpc.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/region.h"
#include "core/util.h"
#include "ing_demand.h"
#include "ing_eia.h"
#include "ing_keys.h"

#include <stdlib.h>
#include <string.h>

#define MAX_RESP 64

static gf_metric_t *m_pulls, *m_pages, *m_rows;

struct ing_puller {
    ing_app_t *app;
    ing_puller_cfg_t cfg;
    char *respondents_buf;
    const char *resp[MAX_RESP];
    size_t nresp;
    struct event *timer;
    int busy;
    /* current run */
    int64_t start_hour;
    size_t offset, total, run_rows, run_pages;
    double run_started;
    ing_cmd_t cmd;
    ing_eia_page_t pg;    /* the page being written, one upsert per region */
    const char **regions; /* its regions (pointers into pg.rows) */
    size_t nregions, ri;  /* ri: the next one to write */
    struct {
        char code[GF_REGION_MAX + 1];
        size_t rows;
        int64_t last;
        double mw;
    } acct[MAX_RESP];
    size_t nacct;
    /* status */
    size_t pulls_ok, pulls_failed, rows_total;
    double last_ok_at, last_error_at;
    char last_error_code[48], last_error_msg[256];
};

static void fetch(ing_puller_t *p);

static void run_done(ing_puller_t *p, const gf_err_t *err)
{
    p->busy = 0;
    if (err == NULL || err->rc == 0) {
        p->pulls_ok++;
        p->last_ok_at = gf_now_wall();
        gf_metric_add(m_pulls, 1, "ok");
        GF_LOG(GF_LOG_INFO, "eia_pull", "EIA pull: %zu rows in %zu pages, %.2f s", p->run_rows,
               p->run_pages, gf_now_mono() - p->run_started);
    } else {
        p->pulls_failed++;
        p->last_error_at = gf_now_wall();
        snprintf(p->last_error_code, sizeof p->last_error_code, "%s", err->code);
        snprintf(p->last_error_msg, sizeof p->last_error_msg, "%s", err->message);
        /* URLs come redacted from the HTTP client; EIA's own error text could still quote the
         * key: the status and the log line get the message without it. */
        gf_redact_secret(p->last_error_msg, p->cfg.api_key);
        gf_metric_add(m_pulls, 1, err->code);
        GF_LOG(GF_LOG_WARN, "eia_pull_failed", "EIA pull failed at offset %zu: %s: %s", p->offset,
               err->code, p->last_error_msg);
    }
}

static void page_drop(ing_puller_t *p)
{
    ing_eia_page_free(&p->pg);
    memset(&p->pg, 0, sizeof p->pg);
    free(p->regions);
    p->regions = NULL;
    p->nregions = p->ri = 0;
}

/* The page is stored: count it, then the next page or the end of the run. */
static void page_written(ing_puller_t *p)
{
    page_drop(p);
    for (size_t i = 0; i < p->nacct; i++)
        ing_demand_account(p->acct[i].code, p->acct[i].rows, p->acct[i].last, p->acct[i].mw);
    if (p->offset < p->total)
        fetch(p);
    else
        run_done(p, NULL);
}

static void upsert_next(ing_puller_t *p);

static void on_listed(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    ing_puller_t *p = priv;
    gf_err_t err = {0};
    p->app->cb_pending--;
    if (gf_redis_reply_check(reply, &err) != 0) {
        page_drop(p);
        run_done(p, &err);
        gf_err_cleanup(&err);
        return;
    }
    page_written(p);
}

static void on_upsert(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    ing_puller_t *p = priv;
    gf_err_t err = {0};
    size_t n = 0;
    p->app->cb_pending--;
    if (ing_demand_apply_reply(reply, &n, &err) != 0) {
        page_drop(p);
        run_done(p, &err);
        gf_err_cleanup(&err);
        return;
    }
    p->ri++;
    upsert_next(p);
}

/* One upsert per region of the page (each on its own {R} slot), one after the other; then
 * the page's regions into gf:regions, so a listed region always has data. */
static void upsert_next(ing_puller_t *p)
{
    gf_err_t err = {0};
    int rc;
    if (p->ri < p->nregions) {
        ing_demand_build(ING_IMPORT_DEMAND, p->pg.rows, p->pg.n, p->regions[p->ri], NULL, &p->cmd);
        rc = gf_redis_cmd_argv(p->app->redis, on_upsert, p, p->cmd.argc, p->cmd.argv,
                               p->cmd.argvlen);
    } else {
        ing_cmd_reset(&p->cmd);
        ing_cmd_adds(&p->cmd, "SADD");
        ing_cmd_adds(&p->cmd, ING_KEY_REGIONS);
        for (size_t i = 0; i < p->nregions; i++)
            ing_cmd_adds(&p->cmd, p->regions[i]);
        ing_cmd_finish(&p->cmd);
        rc = gf_redis_cmd_argv(p->app->redis, on_listed, p, p->cmd.argc, p->cmd.argv,
                               p->cmd.argvlen);
    }
    if (rc == 0) {
        p->app->cb_pending++;
        return;
    }
    page_drop(p);
    gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
    run_done(p, &err);
    gf_err_cleanup(&err);
}

static void account_rows(ing_puller_t *p, const ing_eia_page_t *pg)
{
    p->nacct = 0;
    for (size_t i = 0; i < pg->n; i++) {
        const ing_demand_row_t *r = &pg->rows[i];
        size_t k = 0;
        while (k < p->nacct && strcmp(p->acct[k].code, r->region) != 0)
            k++;
        if (k == p->nacct) {
            if (p->nacct == MAX_RESP)
                continue;
            snprintf(p->acct[k].code, sizeof p->acct[k].code, "%s", r->region);
            p->acct[k].rows = 0;
            p->acct[k].last = INT64_MIN;
            p->nacct++;
        }
        p->acct[k].rows++;
        if (r->hour >= p->acct[k].last) {
            p->acct[k].last = r->hour;
            p->acct[k].mw = r->demand_mw;
        }
    }
}

static void on_page(int status, const char *body, size_t len, const gf_err_t *herr, void *arg)
{
    ing_puller_t *p = arg;
    gf_err_t err = {0};
    ing_eia_page_t pg = {0};
    p->app->cb_pending--;
    if (status == 0) {
        run_done(p, herr);
        return;
    }
    gf_metric_add(m_pages, 1);
    p->run_pages++;
    int rc = ing_eia_parse(body ? body : "", len, &pg, &err);
    if (rc == 0 && status != 200)
        rc = gf_err_set(&err, GF_EUNAVAIL, "eia_error", "EIA answered HTTP %d", status);
    if (rc != 0) {
        run_done(p, &err);
        gf_err_cleanup(&err);
        ing_eia_page_free(&pg);
        return;
    }
    size_t got = pg.n + pg.skipped;
    p->total = pg.total;
    p->offset += got;
    p->run_rows += pg.n;
    p->rows_total += pg.n;
    gf_metric_add(m_rows, (double)pg.n);
    if (got == 0)
        p->offset = p->total; /* an empty page ends the run whatever total says */
    if (pg.n == 0) {
        ing_eia_page_free(&pg);
        if (p->offset < p->total)
            fetch(p);
        else
            run_done(p, NULL);
        return;
    }
    account_rows(p, &pg);
    p->pg = pg; /* kept until every region of it is written */
    p->nregions = ing_demand_regions_of(p->pg.rows, p->pg.n, &p->regions);
    p->ri = 0;
    upsert_next(p);
}

static void fetch(ing_puller_t *p)
{
    gf_err_t err = {0};
    ing_eia_req_t req = {
        .base_url = p->cfg.url,
        .api_key = p->cfg.api_key,
        .respondents = p->resp,
        .nrespondents = p->nresp,
        .start_hour = p->start_hour,
        .offset = p->offset,
        .length = (size_t)p->cfg.page_length,
    };
    char *url = ing_eia_url(&req, &err);
    if (url == NULL || gf_httpc_request(p->app->base, "GET", url, NULL, NULL, NULL, 0,
                                        p->cfg.timeout_s, on_page, p, &err) != 0)
        run_done(p, &err);
    else
        p->app->cb_pending++;
    free(url);
    gf_err_cleanup(&err);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ing_puller_t *p = arg;
    struct timeval tv = {p->cfg.interval_s, 0};
    evtimer_add(p->timer, &tv);
    if (p->busy)
        return;
    if (!gf_redis_usable(p->app->redis)) {
        gf_err_t err = {0};
        gf_err_set(&err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
        run_done(p, &err);
        return;
    }
    p->busy = 1;
    p->offset = p->total = p->run_rows = p->run_pages = 0;
    p->run_started = gf_now_mono();
    int64_t now_hour = ((int64_t)gf_now_wall() / 3600) * 3600;
    p->start_hour = now_hour - (int64_t)p->cfg.lookback_h * 3600;
    fetch(p);
}

ing_puller_t *ing_puller_new(ing_app_t *app, const ing_puller_cfg_t *cfg, gf_err_t *err)
{
    if (cfg->api_key == NULL || cfg->api_key[0] == '\0')
        return NULL;
    if (m_pulls == NULL) {
        m_pulls = gf_metric_counter("gf_ingestion_eia_pulls_total",
                                    "EIA puller runs by result (ok or the error code).", "result");
        m_pages = gf_metric_counter("gf_ingestion_eia_pages_total", "EIA pages fetched.", NULL);
        m_rows = gf_metric_counter("gf_ingestion_eia_rows_total", "EIA rows upserted.", NULL);
    }
    ing_puller_t *p = gf_xcalloc(1, sizeof *p);
    p->app = app;
    p->cfg = *cfg;
    ing_cmd_init(&p->cmd);
    p->respondents_buf = gf_xstrdup(cfg->respondents ? cfg->respondents : "");
    for (char *save = NULL, *tok = strtok_r(p->respondents_buf, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save)) {
        if (p->nresp == MAX_RESP || !gf_region_valid_n(tok, strlen(tok))) {
            gf_err_set(err, GF_EINVAL, "bad_config",
                       "GF_INGEST_EIA_RESPONDENTS: '%s' is not a region code (at most %d)", tok,
                       MAX_RESP);
            ing_puller_free(p);
            return NULL;
        }
        p->resp[p->nresp++] = tok;
    }
    if (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0) {
        char safe[256];
        gf_err_set(err, GF_EINVAL, "bad_config",
                   "GF_INGEST_EIA_URL: '%s' is not an http:// or https:// URL",
                   gf_url_redact(cfg->url, safe, sizeof safe));
        ing_puller_free(p);
        return NULL;
    }
    p->timer = evtimer_new(app->base, on_tick, p);
    struct timeval tv = {1, 0};
    evtimer_add(p->timer, &tv);
    GF_LOG(GF_LOG_INFO, "eia_puller", "EIA puller on: %zu respondents every %d s", p->nresp,
           cfg->interval_s);
    return p;
}

void ing_puller_stop(ing_puller_t *p)
{
    if (p && p->timer)
        evtimer_del(p->timer);
}

void ing_puller_free(ing_puller_t *p)
{
    if (p == NULL)
        return;
    if (p->timer)
        event_free(p->timer);
    ing_cmd_cleanup(&p->cmd);
    page_drop(p);
    free(p->respondents_buf);
    free(p);
}

json_t *ing_puller_status(const ing_puller_t *p)
{
    char buf[40];
    json_t *o = json_object();
    json_object_set_new(o, "respondents", json_integer((json_int_t)p->nresp));
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
                            json_pack("{s:s,s:s,s:s}", "code", p->last_error_code, "message",
                                      p->last_error_msg, "at",
                                      gf_time_format_ms(p->last_error_at, buf, sizeof buf)));
    else
        json_object_set_new(o, "last_error", json_null());
    return o;
}
