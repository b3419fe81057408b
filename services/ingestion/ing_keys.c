/*
 * ing_keys.c - key builders (see ing_keys.h and the table in CONTRIBUTING.md).
 */
#include "ing_keys.h"

#include "ing_time.h"

#include "features/demand.h"
#include "features/tz.h"

#include <stdio.h>

/* The demand series keys come from libs/features, whose reader every service uses. */
char *ing_key_region(char *buf, size_t n, const char *region)
{
    return gf_feat_demand_region_key(buf, n, region);
}

char *ing_key_demand(char *buf, size_t n, const char *region, int64_t hour_epoch)
{
    return gf_feat_demand_key(buf, n, region, hour_epoch);
}

char *ing_key_dflags(char *buf, size_t n, const char *region)
{
    snprintf(buf, n, "gf:dflags:{%s}", region);
    return buf;
}

char *ing_key_agg_min(char *buf, size_t n, const char *region, int64_t epoch)
{
    int y, m, d;
    gf_feat_civil_from_days(ing_floor_div(epoch, 86400), &y, &m, &d);
    snprintf(buf, n, "gf:agg:{%s}:min:%04d%02d%02d", region, y, m, d);
    return buf;
}

char *ing_key_agg_hour(char *buf, size_t n, const char *region, int64_t epoch)
{
    char ym[7];
    snprintf(buf, n, "gf:agg:{%s}:hour:%s", region, ing_time_yyyymm(epoch, ym));
    return buf;
}

char *ing_key_seen(char *buf, size_t n, int64_t epoch)
{
    snprintf(buf, n, "gf:seen:%lld", (long long)(ing_floor_div(epoch, 3600) * 3600));
    return buf;
}

char *ing_key_meters(char *buf, size_t n, const char *region)
{
    snprintf(buf, n, "gf:meters:{%s}", region);
    return buf;
}
