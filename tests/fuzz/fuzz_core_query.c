/*
 * fuzz_core_query.c - the kit's parsers of outside text: query strings (gf_query_parse, then
 * the typed conversions the getters apply), route matching of request paths, and RFC 3339
 * timestamps (gf_time_parse).
 */
#include <event2/keyvalq_struct.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "core/http.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';

    struct evkeyvalq q;
    if (gf_query_parse(s, &q) == 0) {
        struct evkeyval *kv;
        TAILQ_FOREACH(kv, &q, next)
        {
            double t;
            (void)gf_time_parse(kv->value, strlen(kv->value), &t);
        }
        evhttp_clear_headers(&q);
    }
    double t;
    (void)gf_time_parse((const char *)data, size, &t);

    char *scratch = malloc(size + 1);
    size_t np;
    const char *names[GF_MAX_PATH_PARAMS], *values[GF_MAX_PATH_PARAMS];
    (void)gf_route_match("/v1/documents/{id}/articles/{n}", s, scratch, &np, names, values);
    (void)gf_route_match("/v1/jobs/{id}", s, scratch, &np, names, values);
    free(scratch);
    free(s);
    return 0;
}
