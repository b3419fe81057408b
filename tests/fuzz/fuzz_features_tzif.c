/*
 * fuzz_features_tzif.c - TZif bytes through gf_feat_tz_parse, then offsets and civil times
 * over a spread of instants (the footer-rule path included).
 */
#include <stdint.h>
#include <stdlib.h>

#include "features/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gf_feat_tz_t *tz = gf_feat_tz_parse("fuzz", data, size, NULL);
    if (tz == NULL)
        return 0;
    gf_feat_civil_t c;
    for (int64_t t = -4000000000LL; t < 8000000000LL; t += 123456789)
        gf_feat_tz_civil(tz, t, &c);
    gf_feat_tz_free(tz);
    return 0;
}
