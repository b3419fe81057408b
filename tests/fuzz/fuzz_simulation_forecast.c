/*
 * fuzz_simulation_forecast.c - the forecast service's answer as the simulation parses it
 * (sim_forecast_parse) on arbitrary bytes: as a 200 for 1, 24 and 168 hours, and as the
 * error statuses it maps (404, 422, 503, 500).
 */
#include <stdint.h>
#include <stdlib.h>

#include "sim_forecast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int statuses[] = {200, 404, 422, 503, 500};
    static const int hours[] = {1, 24, 168};
    for (size_t s = 0; s < sizeof statuses / sizeof statuses[0]; s++)
        for (size_t h = 0; h < sizeof hours / sizeof hours[0]; h++) {
            sim_forecast_t f;
            gf_err_t e = {0};
            int rc = sim_forecast_parse(statuses[s], (const char *)data, size, "PJM", hours[h], &f,
                                        &e);
            if (rc == 0 && (f.n != (size_t)hours[h] || f.mw == NULL || !(f.peak_mw > 0)))
                abort();
            if (rc != 0 && (f.mw != NULL || e.code[0] == '\0'))
                abort();
            sim_forecast_cleanup(&f);
            gf_err_cleanup(&e);
        }
    return 0;
}
