/*
 * ing-fake-openmeteo: a stand-in for Open-Meteo's GET /v1/forecast, for the ingestion
 * temperature puller's tests (no network on the test machines). It answers in the documented
 * shape for hourly=temperature_2m with timeformat=unixtime:
 *   {"latitude":..,"longitude":..,"generationtime_ms":0.1,"utc_offset_seconds":0,
 *    "timezone":"GMT","timezone_abbreviation":"GMT","elevation":10.0,
 *    "hourly_units":{"time":"unixtime","temperature_2m":"°C"},
 *    "hourly":{"time":[...],"temperature_2m":[...]}}
 * with forecast_days x 24 hours from the current UTC day's midnight (as Open-Meteo does with
 * timezone=GMT). Values are deterministic so tests can check them: round(latitude) + (UTC
 * hour of day) / 4, and null at 05:00 UTC (Open-Meteo sends nulls where a model has no value),
 * which the puller must skip.
 * Errors, as Open-Meteo gives them ({"error":true,"reason":"..."} with HTTP 400): a latitude
 * outside -90..90, hourly other than temperature_2m, timeformat other than unixtime; and by
 * apikey: "bad..." -> 400 quoting the key back; "flaky" -> the 2nd request of the process
 * answers 500.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/svc.h"
#include "core/util.h"

static int nrequests;

static void refuse(gf_req_t *r, int status, const char *reason)
{
    gf_reply_json(r, status, json_pack("{s:b,s:s}", "error", 1, "reason", reason));
}

static void h_forecast_get(gf_req_t *r)
{
    nrequests++;
    struct evkeyvalq q;
    q.tqh_first = NULL;
    q.tqh_last = &q.tqh_first;
    const char *uri = evhttp_request_get_uri(r->ev);
    const char *qs = strchr(uri, '?');
    if (qs == NULL || evhttp_parse_query_str(qs + 1, &q) != 0) {
        refuse(r, 400,
               "Parameter 'latitude' and 'longitude' must have the same number of "
               "elements");
        return;
    }
    const char *lat = evhttp_find_header(&q, "latitude"),
               *lon = evhttp_find_header(&q, "longitude");
    const char *hourly = evhttp_find_header(&q, "hourly"),
               *tf = evhttp_find_header(&q, "timeformat");
    const char *days = evhttp_find_header(&q, "forecast_days"),
               *key = evhttp_find_header(&q, "apikey");
    double la = lat ? atof(lat) : NAN, lo = lon ? atof(lon) : NAN;
    int nd = days ? atoi(days) : 7;
    char msg[300];
    if (key && !strncmp(key, "bad", 3)) {
        snprintf(msg, sizeof msg, "The supplied API key %.200s is invalid.", key);
        refuse(r, 400, msg);
    } else if (key && !strcmp(key, "flaky") && nrequests == 2) {
        refuse(r, 500, "Internal server error, please retry");
    } else if (!(la >= -90 && la <= 90) || !(lo >= -180 && lo <= 180)) {
        snprintf(msg, sizeof msg, "Latitude must be in range of -90 to 90°. Given: %.1f.", la);
        refuse(r, 400, msg);
    } else if (hourly == NULL || strcmp(hourly, "temperature_2m") != 0) {
        refuse(r, 400, "Cannot initialize WeatherVariable from invalid String value");
    } else if (tf == NULL || strcmp(tf, "unixtime") != 0) {
        refuse(r, 400, "this fake answers timeformat=unixtime only");
    } else if (nd < 1 || nd > 16) {
        refuse(r, 400, "Forecast days is invalid. Allowed range 0 to 16.");
    } else {
        int64_t day0 = (int64_t)gf_now_wall() / 86400 * 86400;
        json_t *t = json_array(), *v = json_array();
        for (int64_t h = day0; h < day0 + (int64_t)nd * 86400; h += 3600) {
            int hod = (int)(h / 3600 % 24);
            json_array_append_new(t, json_integer(h));
            json_array_append_new(v, hod == 5 ? json_null() : json_real(round(la) + hod / 4.0));
        }
        json_t *o = json_pack("{s:f,s:f,s:f,s:i,s:s,s:s,s:f,s:{s:s,s:s},s:{s:o,s:o}}", "latitude",
                              la, "longitude", lo, "generationtime_ms", 0.1, "utc_offset_seconds",
                              0, "timezone", "GMT", "timezone_abbreviation", "GMT", "elevation",
                              10.0, "hourly_units", "time", "unixtime", "temperature_2m", "°C",
                              "hourly", "time", t, "temperature_2m", v);
        gf_reply_json(r, 200, o);
    }
    evhttp_clear_headers(&q);
}

static const gf_route_t routes[] = {
    {"GET", "/v1/forecast", h_forecast_get, 0, NULL},
};

static const gf_service_def_t def = {
    .name = "fake-openmeteo",
    .version = "0.1.0",
    .default_port = 0,
    .routes = routes,
    .nroutes = 1,
};

int main(int argc, char **argv)
{
    return gf_service_main(&def, argc, argv);
}
