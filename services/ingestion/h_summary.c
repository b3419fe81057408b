/*
 * h_summary.c - GET /v1/summary: this instance's live figures (ing_live_summary), the EIA
 * puller's status, and the anomalies seen over the last 24 hours in every region (counted in
 * Redis, all instances; null when a region could not be read). Replies once the count is in.
 */
#include "ing_app.h"

#include "core/util.h"

#include <stdlib.h>

typedef struct sum_req {
    gf_req_t *r;
    json_t *o;
} sum_req_t;

static void on_open_anomalies(long long n, int failed, void *ud)
{
    sum_req_t *s = ud;
    json_object_set_new(s->o, "open_anomalies", failed ? json_null() : json_integer(n));
    gf_reply_json(s->r, 200, s->o);
    free(s);
}

void h_summary_get(gf_req_t *r)
{
    ing_app_t *app = r->app;
    gf_err_t err = {0};
    long rate = app->summary_rate_s;
    static const char *const allowed[] = {"rate_s", NULL};
    if (gf_query_only(r, allowed, &err) != 0 ||
        gf_query_long(r, "rate_s", 1, 60, app->summary_rate_s, &rate, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    int64_t now = (int64_t)gf_now_wall();
    json_t *o = ing_live_summary(app->live, now, (int)rate, &app->regions);
    json_object_set_new(o, "eia", app->puller ? ing_puller_status(app->puller) : json_null());
    /* Anomalies active over the last 24 hours (stored per region, all instances). */
    sum_req_t *s = gf_xmalloc(sizeof *s);
    s->r = r;
    s->o = o;
    ing_anomaly_count_since(app, now - 86400, on_open_anomalies, s);
}
