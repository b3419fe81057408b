/*
 * sim_forecast.c - the forecast service's client (see sim_forecast.h): the request, and the
 * parsing of its answer kept apart so it is tested (tests/unit/simulation/test_sim_forecast.c)
 * and fuzzed (tests/fuzz/fuzz_simulation_forecast.c) without a forecast service.
 */
#include "sim_forecast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/httpc.h"
#include "core/region.h"
#include "core/util.h"

void sim_forecast_cleanup(sim_forecast_t *f)
{
    free(f->mw);
    json_decref(f->model);
    memset(f, 0, sizeof *f);
}

int sim_forecast_parse(int status, const char *body, size_t len, const char *region, int hours,
                       sim_forecast_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
    if (status != 200) {
        /* 404: the region is not known; 503: the forecast cannot answer now (no production
         * model, Redis down); 422: its own reason (history too short, start beyond the
         * data), kept as its code; anything else is this service's failure to ask. */
        json_t *e = json_object_get(j, "error");
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        int out_rc = status == 404 ? GF_ENOTFOUND : status == 503 ? GF_EUNAVAIL : GF_EUNPROCESSABLE;
        const char *out_code = status == 404   ? "unknown_region"
                               : status == 503 ? "forecast_unavailable"
                               : status == 422 && code && strlen(code) < sizeof err->code
                                   ? code
                                   : "forecast_failed";
        gf_err_set(err, out_rc, out_code, "forecast for %s: %s (%s %d)", region,
                   msg ? msg : "error", code ? code : "http", status);
        json_decref(j);
        return out_rc;
    }
    json_t *pts = json_object_get(j, "points");
    json_t *peak = json_object_get(j, "peak_mw");
    if (!json_is_array(pts) || json_array_size(pts) < (size_t)hours || !json_is_number(peak) ||
        json_number_value(peak) <= 0) {
        json_decref(j);
        return gf_err_set(err, GF_EUNAVAIL, "forecast_bad_response",
                          "the forecast service answered without points or peak_mw");
    }
    out->n = (size_t)hours;
    out->mw = gf_xmalloc(out->n * sizeof(double));
    for (size_t i = 0; i < out->n; i++) {
        json_t *p = json_array_get(pts, i);
        json_t *v = json_object_get(p, "point");
        if (!json_is_number(v)) {
            json_decref(j);
            sim_forecast_cleanup(out);
            return gf_err_set(err, GF_EUNAVAIL, "forecast_bad_response",
                              "forecast point %zu has no value", i);
        }
        out->mw[i] = json_number_value(v);
    }
    out->peak_mw = json_number_value(peak);
    json_t *model = json_object_get(j, "model");
    out->model = model ? json_incref(model) : json_null();
    json_decref(j);
    return 0;
}

int sim_forecast_fetch(const sim_env_t *env, const char *region, double start, int hours,
                       sim_forecast_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (env->forecast_url == NULL || env->forecast_url[0] == '\0')
        return gf_err_set(err, GF_EUNAVAIL, "forecast_not_configured",
                          "no forecast service is configured (GF_FORECAST_URL)");
    char ts[40], url[512];
    gf_time_format((int64_t)start, ts, sizeof ts);
    /* Region codes are [A-Za-z0-9_-]; refuse anything else rather than encode it. */
    if (!gf_region_valid(region))
        return gf_err_set(err, GF_EINVAL, "invalid_region", "region '%.32s' is not valid", region);
    snprintf(url, sizeof url, "%s/v1/forecast?region=%s&start=%s&horizon=%d", env->forecast_url,
             region, ts, hours);
    int status = 0;
    char *body = NULL;
    size_t len = 0;
    int rc = gf_httpc_fetch("GET", url, NULL, NULL, NULL, 0, env->forecast_timeout, &status, &body,
                            &len, err);
    if (rc != 0) {
        if (rc == GF_ETIMEOUT)
            return gf_err_set(err, GF_ETIMEOUT, "forecast_timeout",
                              "the forecast service did not answer within %.1f s",
                              env->forecast_timeout);
        return gf_err_set(err, GF_EUNAVAIL, "forecast_unavailable",
                          "the forecast service at %s is not reachable", env->forecast_url);
    }
    rc = sim_forecast_parse(status, body, len, region, hours, out, err);
    free(body);
    return rc;
}
