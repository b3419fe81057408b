/*
 * fuzz_gateway_keys.c - libFuzzer target for the gateway's keys file parser (gf_gw_keys_parse)
 * and the scope a request path needs (gf_gw_keys_required_scope, fed the X-Original-URI that
 * nginx passes on). Contract: a store, or NULL with GF_EINVAL "bad_keys_file"; exactly one
 * scope bit for any path; a parsed store finds no key whose hash it does not hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/apikeys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gf_err_t err = {0};
    gf_gw_keys_t *k = gf_gw_keys_parse((const char *)data, size, &err);
    if (k == NULL) {
        if (err.rc != GF_EINVAL || strcmp(err.code, "bad_keys_file") != 0)
            abort();
    } else {
        unsigned scopes = 0;
        const char *name = NULL;
        if (gf_gw_keys_find(k, "", &scopes, &name))
            abort();
        gf_gw_keys_free(k);
    }
    gf_err_cleanup(&err);

    char *path = malloc(size + 1);
    if (path == NULL)
        return 0;
    memcpy(path, data, size);
    path[size] = '\0';
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        unsigned need = gf_gw_keys_required_scope(methods[i], path);
        if (need == 0 || (need & (need - 1)) != 0 || need > GF_GW_SCOPE_ADMIN)
            abort();
    }
    free(path);
    return 0;
}
