/*
 * ing_wx.c - the Open-Meteo forecast puller core (see ing_wx.h).
 */
#include "ing_wx.h"

#include "core/sbuf.h"
#include "core/region.h"
#include "core/util.h"
#include "features/weather.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void trim_copy(char *dst, size_t cap, const char *s, size_t n)
{
    ing_trim(&s, &n);
    snprintf(dst, cap, "%.*s", (int)n, s);
}

/* A decimal in [lo, hi]: 0, or -1. */
static int coord(const char *s, double lo, double hi, double *v)
{
    size_t n = strlen(s);
    return ing_parse_decimal(s, n, 0, NULL, v) && *v >= lo && *v <= hi ? 0 : -1;
}

int ing_wx_sites_parse(const char *text, const ing_regions_t *regions, ing_wx_site_t *out,
                       size_t cap, size_t *n, gf_err_t *err)
{
    *n = 0;
    const char *p = text ? text : "";
    while (*p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[128], reg[32], lat[48], lon[48];
        trim_copy(item, sizeof item, p, len);
        p = end ? end + 1 : p + len;
        if (item[0] == '\0')
            continue;
        const char *eq = strchr(item, '='), *comma = eq ? strchr(eq, ',') : NULL;
        if (eq == NULL || comma == NULL || len >= sizeof item)
            return gf_err_set(err, GF_EINVAL, "bad_config",
                              "GF_INGEST_WX_REGIONS: '%.60s' is not REGION=LATITUDE,LONGITUDE",
                              item);
        trim_copy(reg, sizeof reg, item, (size_t)(eq - item));
        trim_copy(lat, sizeof lat, eq + 1, (size_t)(comma - eq - 1));
        trim_copy(lon, sizeof lon, comma + 1, strlen(comma + 1));
        ing_wx_site_t s;
        memset(&s, 0, sizeof s);
        if (!gf_region_valid_n(reg, strlen(reg)) ||
            (regions && ing_regions_find(regions, reg, strlen(reg)) == NULL))
            return gf_err_set(err, GF_EINVAL, "bad_config",
                              "GF_INGEST_WX_REGIONS: '%.20s' is not a region of the catalog", reg);
        if (coord(lat, -90, 90, &s.lat) != 0 || coord(lon, -180, 180, &s.lon) != 0)
            return gf_err_set(err, GF_EINVAL, "bad_config",
                              "GF_INGEST_WX_REGIONS: %s: latitude must be -90..90 and longitude "
                              "-180..180 (decimal degrees)",
                              reg);
        for (size_t i = 0; i < *n; i++)
            if (strcmp(out[i].region, reg) == 0)
                return gf_err_set(err, GF_EINVAL, "bad_config",
                                  "GF_INGEST_WX_REGIONS: %s is given twice", reg);
        if (*n == cap)
            return gf_err_set(err, GF_EINVAL, "bad_config",
                              "GF_INGEST_WX_REGIONS: at most %zu regions", cap);
        snprintf(s.region, sizeof s.region, "%.*s", GF_REGION_MAX, reg); /* checked above */
        out[(*n)++] = s;
    }
    return 0;
}

char *ing_wx_url(const char *base_url, const ing_wx_site_t *site, int forecast_days,
                 const char *api_key, gf_err_t *err)
{
    if (forecast_days < 1 || forecast_days > 16) {
        gf_err_set(err, GF_EINVAL, "bad_config", "forecast_days must be 1..16");
        return NULL;
    }
    gf_sbuf_t b = {0};
    gf_sbuf_adds(&b, base_url ? base_url : ING_WX_BASE_URL);
    gf_sbuf_addf(&b,
                 "?latitude=%.4f&longitude=%.4f&hourly=temperature_2m&timeformat=unixtime"
                 "&timezone=GMT&temperature_unit=celsius&past_days=0&forecast_days=%d",
                 site->lat, site->lon, forecast_days);
    if (api_key && api_key[0]) {
        gf_sbuf_adds(&b, "&apikey="); /* percent-encoded: all but RFC 3986 unreserved */
        for (const unsigned char *k = (const unsigned char *)api_key; *k; k++) {
            if ((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') ||
                *k == '-' || *k == '.' || *k == '_' || *k == '~')
                gf_sbuf_add(&b, (const char *)k, 1);
            else
                gf_sbuf_addf(&b, "%%%02X", *k);
        }
    }
    return gf_sbuf_take(&b);
}

static int bad(gf_err_t *err, const char *fmt, const char *what)
{
    return gf_err_set(err, GF_EINVAL, "openmeteo_bad_response", fmt, what);
}

int ing_wx_parse(const char *body, size_t len, const char *region, int64_t issued,
                 int64_t from_hour, ing_temp_batch_t *out, gf_err_t *err)
{
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    size_t n0 = out->n;
    int rc = 0;
    if (root == NULL || !json_is_object(root)) {
        rc = gf_err_set(err, GF_EINVAL, "openmeteo_bad_response",
                        "Open-Meteo answered something that is not a JSON object%s%.100s",
                        root ? "" : ": ", root ? "" : je.text);
        goto out;
    }
    json_t *e = json_object_get(root, "error");
    if (json_is_true(e)) {
        const char *why = json_string_value(json_object_get(root, "reason"));
        rc = gf_err_set(err, GF_EUNAVAIL, "openmeteo_error",
                        "Open-Meteo refused the request: %.200s", why ? why : "(no reason given)");
        goto out;
    }
    json_t *hourly = json_object_get(root, "hourly");
    json_t *times = json_object_get(hourly, "time");
    json_t *temps = json_object_get(hourly, "temperature_2m");
    if (!json_is_array(times) || !json_is_array(temps)) {
        rc = bad(err, "the response has no %s arrays", "hourly.time / hourly.temperature_2m");
        goto out;
    }
    size_t n = json_array_size(times);
    if (json_array_size(temps) != n || n > ING_WX_MAX_HOURS) {
        rc = bad(err, "%s",
                 "hourly.time and hourly.temperature_2m differ in length or are "
                 "too long");
        goto out;
    }
    const char *unit = json_string_value(
        json_object_get(json_object_get(root, "hourly_units"), "temperature_2m"));
    int is_f = 0;
    if (unit && strcmp(unit, "°F") == 0)
        is_f = 1;
    else if (unit && strcmp(unit, "°C") != 0) {
        rc = bad(err, "unknown temperature unit '%.20s'", unit);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(times, i), *v = json_array_get(temps, i);
        if (!json_is_integer(t) || json_integer_value(t) % 3600 != 0) {
            rc = bad(err, "%s", "hourly.time holds a value that is not a whole UTC hour");
            goto out;
        }
        if (json_is_null(v))
            continue; /* no value for that hour */
        double c = json_number_value(v);
        if (!json_is_number(v) || !isfinite(c)) {
            rc = bad(err, "%s", "hourly.temperature_2m holds a value that is not a number");
            goto out;
        }
        c = is_f ? ing_temp_f_to_c(c) : round(c * 100.0) / 100.0;
        if (!(c >= GF_FEAT_TEMP_MIN_C && c <= GF_FEAT_TEMP_MAX_C)) {
            rc = bad(err, "%s", "hourly.temperature_2m holds a value outside -90..70 degC");
            goto out;
        }
        int64_t h = (int64_t)json_integer_value(t);
        if (h < from_hour)
            continue;
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 256;
            out->rows = gf_xrealloc(out->rows, out->cap * sizeof *out->rows);
        }
        ing_temp_row_t *r = &out->rows[out->n++];
        memset(r, 0, sizeof *r);
        r->hour = h;
        r->issued = issued;
        r->temp_c = c == 0 ? 0.0 : c;
        snprintf(r->region, sizeof r->region, "%s", region);
    }
out:
    if (rc != 0)
        out->n = n0;
    json_decref(root);
    return rc;
}
