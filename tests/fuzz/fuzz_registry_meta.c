/*
 * fuzz_registry_meta.c - libFuzzer target for gf_reg_alias_req_parse, the parser of the
 * trainer's POST /v1/models/{name}/aliases body. Checks the contract on every input: 0 with
 * a request that satisfies the registry's own validators, or GF_EINVAL with a code set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gf_reg_alias_req_t req;
    gf_err_t err = {0};
    int rc = gf_reg_alias_req_parse((const char *)data, size, &req, &err);
    if (rc == 0) {
        if (!gf_reg_alias_valid(req.alias) || !gf_reg_who_valid(req.who) ||
            (req.rollback ? req.version != 0 : req.version < 1) || req.expect_from < -1 ||
            strlen(req.reason) > GF_REG_REASON_MAX)
            abort();
    } else if (rc != GF_EINVAL || err.code[0] == '\0') {
        abort();
    }
    json_t *j = gf_err_to_json(&err);
    json_decref(j);
    gf_err_cleanup(&err);
    return 0;
}
