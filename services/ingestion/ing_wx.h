/*
 * ing_wx.h - the Open-Meteo forecast puller core: region -> coordinates config, the request
 * URL, the response parser. No network here; the service's puller (ing_wx_pull.c) fetches with the
 * kit's HTTP client and writes the rows like a forecast import (ing_temp_build).
 *
 * API (https://open-meteo.com/en/docs, route /v1/forecast), the fields used:
 *   request   latitude, longitude (decimal degrees, WGS 84), hourly=temperature_2m,
 *             timeformat=unixtime, timezone=GMT, temperature_unit=celsius, forecast_days
 *             (1..16), past_days=0, and apikey only when one is configured (the commercial
 *             customer-api host; the free host needs none);
 *   response  hourly.time (array of UTC epoch seconds, hour starts), hourly.temperature_2m
 *             (same length, degC or null), hourly_units.temperature_2m ("°C"; "°F" is
 *             converted); an error is {"error":true,"reason":"..."} with HTTP 400.
 * temperature_2m is the air temperature 2 m above ground, the hour's instantaneous value.
 * Open-Meteo does not say which model run a value comes from, so a row's issue time is the
 * instant the puller asked: the forecast was known then (never earlier), which is what the
 * features' "issued before the origin" rule needs.
 *
 * Ownership: ing_wx_url returns a malloc'd string; rows go into a caller's ing_temp_batch_t.
 */
#ifndef GF_INGESTION_ING_WX_H
#define GF_INGESTION_ING_WX_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ing_regions.h"
#include "ing_temp.h"

#define ING_WX_BASE_URL "https://api.open-meteo.com/v1/forecast"
#define ING_WX_MAX_SITES 64
/* Hours a response may carry at most (16 forecast days + slack). */
#define ING_WX_MAX_HOURS 1024

typedef struct ing_wx_site {
    char region[GF_REGION_MAX + 1];
    double lat, lon;
} ing_wx_site_t;

/* "NYC=40.71,-74.01;PJM=39.95,-75.16" (';'-separated region=latitude,longitude; blanks
 * around items fine) into out[cap]. Regions must be in the catalog (when given), each once;
 * latitude -90..90, longitude -180..180. Returns 0 (*n sites; an empty text gives 0) or
 * GF_EINVAL "bad_config" naming the item. */
int ing_wx_sites_parse(const char *text, const ing_regions_t *regions, ing_wx_site_t *out,
                       size_t cap, size_t *n, gf_err_t *err);

/* The request URL for one site (see above); api_key NULL or "" sends none. Caller frees.
 * NULL with GF_EINVAL "bad_config" (forecast_days outside 1..16). */
char *ing_wx_url(const char *base_url, const ing_wx_site_t *site, int forecast_days,
                 const char *api_key, gf_err_t *err);

/* Parse a response body for site `region`: every hour with a value and hour start >=
 * from_hour becomes a forecast row (issued = `issued`) appended to out (sorted by hour
 * afterwards). Returns 0; GF_EUNAVAIL "openmeteo_error" (an error object: its reason);
 * GF_EINVAL "openmeteo_bad_response" (not the documented shape: bad JSON, missing arrays,
 * lengths that differ, a time that is not a whole hour, a value not a number or out of
 * -90..70 degC, an unknown unit, too many hours). On error out gets no rows. */
int ing_wx_parse(const char *body, size_t len, const char *region, int64_t issued,
                 int64_t from_hour, ing_temp_batch_t *out, gf_err_t *err);

#endif
