/*
 * trn_keys.c - key builders (see trn_keys.h and the table in CONTRIBUTING.md).
 */
#include "trn_keys.h"

#include <stdio.h>

char *trn_key_job(char *buf, size_t n, const char *id)
{
    snprintf(buf, n, "gf:job:{%s}", id);
    return buf;
}

char *trn_key_sched(char *buf, size_t n, const char *region)
{
    snprintf(buf, n, "gf:sched:{%s}", region);
    return buf;
}

char *trn_key_sched_lock(char *buf, size_t n, const char *region)
{
    snprintf(buf, n, "gf:sched:{%s}:lock", region);
    return buf;
}
