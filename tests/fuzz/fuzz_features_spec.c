/*
 * fuzz_features_spec.c - feature-spec JSON (stored with every model version, read by the
 * forecast service) through gf_feat_spec_loads, the exact parser serving uses; a spec that
 * parses must round-trip to the same hash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "features/features.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gf_err_t err = {0};
    gf_feat_spec_t *s = gf_feat_spec_loads((const char *)data, size, &err);
    if (s != NULL) {
        char *text = gf_feat_spec_dumps(s);
        gf_feat_spec_t *t = gf_feat_spec_loads(text, strlen(text), NULL);
        if (t == NULL || strcmp(gf_feat_spec_hash(s), gf_feat_spec_hash(t)) != 0)
            abort();
        gf_feat_spec_free(t);
        free(text);
        gf_feat_spec_free(s);
    }
    gf_err_cleanup(&err);
    return 0;
}
