/*
 * sim_keys.c - key builders (see sim_keys.h and the table in CONTRIBUTING.md).
 */
#include "sim_keys.h"

#include <stdio.h>

char *sim_key_job(char *buf, size_t n, const char *id)
{
    snprintf(buf, n, "gf:simjob:{%s}", id);
    return buf;
}
