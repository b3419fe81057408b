/*
 * ing-fake-eia: a stand-in for the EIA API v2 route electricity/rto/region-data/data, for
 * the ingestion puller's tests (no network on the test machines). It answers
 * GET /v2/electricity/rto/region-data/data in EIA's documented response shape:
 *   {"response":{"total":"N","dateFormat":...,"frequency":"hourly","data":[{"period":
 *    "YYYY-MM-DDTHH","respondent":"ERCO","respondent-name":...,"type":"D","type-name":
 *    "Demand","value":"5012","value-units":"megawatthours"},...]},"request":{...}}
 * with rows for every requested respondent (facets[respondent][], repeated) and every hour
 * ending after `start` up to the last complete hour, sorted by period then respondent, paged
 * by offset/length (at most 5000). Values are deterministic so tests can check them:
 * 5000 + (UTC hour of the hour START), as a string; PJM's hour starting 03:00 has value null
 * (EIA does send nulls), which the puller must skip.
 * Errors, chosen by api_key: "bad..." -> 403 {"error":{"code":"API_KEY_INVALID","message":
 * "... <the key>."}} (the key quoted back);
 * "flaky" -> the 2nd request of the process fails with 500 {"error":"...","code":500};
 * a missing api_key -> 400 the same shape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/svc.h"
#include "core/util.h"

#define MAX_RESP 32

static int nrequests;

static int64_t parse_period(const char *s)
{
    /* "YYYY-MM-DDTHH" (hour ending) -> epoch of the hour end */
    char buf[32];
    snprintf(buf, sizeof buf, "%.13s:00:00Z", s);
    double t;
    if (strlen(s) < 13 || gf_time_parse(buf, strlen(buf), &t) != 0)
        return -1;
    return (int64_t)t;
}

static void h_region_data_get(gf_req_t *r)
{
    nrequests++;
    struct evkeyvalq q;
    q.tqh_first = NULL;
    q.tqh_last = &q.tqh_first;
    const char *uri = evhttp_request_get_uri(r->ev);
    const char *qs = strchr(uri, '?');
    if (qs == NULL || evhttp_parse_query_str(qs + 1, &q) != 0) {
        gf_reply_json(r, 400, json_pack("{s:s,s:i}", "error", "bad query", "code", 400));
        return;
    }
    const char *key = NULL, *start = NULL, *resp[MAX_RESP];
    size_t nresp = 0, offset = 0, length = 5000;
    char keys[64][48];
    size_t nk = 0;
    for (struct evkeyval *kv = q.tqh_first; kv != NULL && nk < 64; kv = kv->next.tqe_next) {
        /* evhttp decodes values, not keys ("facets%5Brespondent%5D%5B%5D"). */
        char *dk = evhttp_uridecode(kv->key, 0, NULL);
        snprintf(keys[nk], sizeof keys[nk], "%s", dk ? dk : kv->key);
        free(dk);
        const char *k = keys[nk++];
        if (!strcmp(k, "api_key"))
            key = kv->value;
        else if (!strcmp(k, "start"))
            start = kv->value;
        else if (!strcmp(k, "facets[respondent][]") && nresp < MAX_RESP)
            resp[nresp++] = kv->value;
        else if (!strcmp(k, "offset"))
            offset = (size_t)strtoul(kv->value, NULL, 10);
        else if (!strcmp(k, "length"))
            length = (size_t)strtoul(kv->value, NULL, 10);
    }
    if (key == NULL) {
        gf_reply_json(r, 400,
                      json_pack("{s:s,s:i}", "error", "No api_key was supplied.", "code", 400));
    } else if (!strncmp(key, "bad", 3)) {
        /* Like many APIs, the message quotes the key it refused. */
        char msg[300];
        snprintf(msg, sizeof msg, "An invalid api_key was supplied: %.200s.", key);
        gf_reply_json(r, 403,
                      json_pack("{s:{s:s,s:s}}", "error", "code", "API_KEY_INVALID", "message",
                                msg));
    } else if (!strcmp(key, "flaky") && nrequests == 2) {
        gf_reply_json(r, 500,
                      json_pack("{s:s,s:i}", "error", "Our servers are busy; try again later.",
                                "code", 500));
    } else if (length == 0 || length > 5000) {
        gf_reply_json(r, 400,
                      json_pack("{s:s,s:i}", "error", "length must be 1..5000", "code", 400));
    } else {
        int64_t now_end = ((int64_t)gf_now_wall() / 3600) * 3600; /* last complete hour's end */
        int64_t first_end = start ? parse_period(start) : now_end - 24 * 3600;
        if (first_end < 0)
            first_end = now_end - 24 * 3600;
        size_t total = 0, k = 0;
        json_t *data = json_array();
        for (int64_t e = first_end; e <= now_end; e += 3600) {
            for (size_t i = 0; i < nresp; i++, total++) {
                if (k >= length || total < offset)
                    continue;
                k++;
                char per[40], val[32];
                gf_time_format(e, per, sizeof per);
                per[13] = '\0';
                int64_t hour_of_day = ((e - 3600) / 3600) % 24;
                snprintf(val, sizeof val, "%lld", (long long)(5000 + hour_of_day));
                json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "period", per, "respondent",
                                        resp[i], "respondent-name", resp[i], "type", "D",
                                        "type-name", "Demand", "value-units", "megawatthours");
                json_object_set_new(row, "value",
                                    !strcmp(resp[i], "PJM") && hour_of_day == 3 ? json_null()
                                                                                : json_string(val));
                json_array_append_new(data, row);
            }
        }
        char tot[32];
        snprintf(tot, sizeof tot, "%zu", total);
        json_t *o = json_pack("{s:{s:s,s:s,s:s,s:o},s:{s:s}}", "response", "total", tot,
                              "dateFormat", "YYYY-MM-DD\"T\"HH24", "frequency", "hourly", "data",
                              data, "request", "command", "/v2/electricity/rto/region-data/data/");
        gf_reply_json(r, 200, o);
    }
    evhttp_clear_headers(&q);
}

static const gf_route_t routes[] = {
    {"GET", "/v2/electricity/rto/region-data/data", h_region_data_get, 0, NULL},
};

static const gf_service_def_t def = {
    .name = "fake-eia",
    .version = "0.1.0",
    .default_port = 0,
    .routes = routes,
    .nroutes = 1,
};

int main(int argc, char **argv)
{
    return gf_service_main(&def, argc, argv);
}
