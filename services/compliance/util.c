/*
 * util.c - small helpers of the compliance modules (allocation is the kit's gf_xmalloc
 * family, core/util.h; UTF-8 validation is the kit's gf_utf8_valid, core/jscan.h).
 */
#include "util.h"

#include <time.h>

double cmp__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
