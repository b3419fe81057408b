/*
 * sim_forecast.h - the simulation service's client of the forecast service: one region's
 * hourly forecast and its peak, for forecast-driven loads (CONTRIBUTING.md "Service-to-service
 * contracts": GET /v1/forecast?region=R&start=T&horizon=H).
 *
 * sim_forecast_fetch asks over HTTP (blocking, with the env's deadline; a worker thread);
 * sim_forecast_parse turns the forecast service's answer (status + body, outside input) into
 * the points or an error of this service's vocabulary. Both leave *out empty on failure.
 */
#ifndef GF_SIMULATION_SIM_FORECAST_H
#define GF_SIMULATION_SIM_FORECAST_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"
#include "sim_exec.h"

/* Forecast of one region: mw[i] for the hours start, start+1h, ... (n of them), plus the
 * region's peak. */
typedef struct sim_forecast {
    double *mw; /* n points, owned */
    size_t n;
    double peak_mw;
    json_t *model; /* owned: {"name","version"} as the forecast service reported, or null */
} sim_forecast_t;

/* The forecast service's answer to a forecast of `region` for `hours` hours: HTTP status and
 * body (any bytes). 0 with *out filled (the first `hours` points; peak_mw > 0), or:
 *   404 -> GF_ENOTFOUND unknown_region; 503 -> GF_EUNAVAIL forecast_unavailable;
 *   422 -> GF_EUNPROCESSABLE with the forecast's own code (forecast_failed when it has none
 *   or it is too long); any other non-200 -> GF_EUNPROCESSABLE forecast_failed;
 *   200 without enough numeric points or a positive peak_mw -> GF_EUNAVAIL
 *   forecast_bad_response.
 * Messages name the region and the forecast's own message and code. Caller cleans *out up. */
int sim_forecast_parse(int status, const char *body, size_t len, const char *region, int hours,
                       sim_forecast_t *out, gf_err_t *err);

/* Ask env->forecast_url for `hours` hours of `region` from `start` (epoch s) and parse the
 * answer. Besides sim_forecast_parse's errors: GF_EUNAVAIL forecast_not_configured (no URL),
 * GF_EINVAL invalid_region (not a region code; nothing is sent), GF_ETIMEOUT
 * forecast_timeout, GF_EUNAVAIL forecast_unavailable (not reachable). */
int sim_forecast_fetch(const sim_env_t *env, const char *region, double start, int hours,
                       sim_forecast_t *out, gf_err_t *err);

/* Free what *f owns and zero it; safe on a zeroed or failed one. */
void sim_forecast_cleanup(sim_forecast_t *f);

#endif
