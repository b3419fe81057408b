/*
 * region.c - the region-code check (core/region.h).
 */
#include "core/region.h"

#include <string.h>

int gf_region_valid_n(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > GF_REGION_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int gf_region_valid(const char *s)
{
    return s != NULL && gf_region_valid_n(s, strnlen(s, GF_REGION_MAX + 1));
}
