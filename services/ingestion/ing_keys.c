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
    return gf_feat_demand_flags_key(buf, n, region);
}

char *ing_key_agg_min(char *buf, size_t n, const char *region, unsigned bucket, int64_t epoch)
{
    int y, m, d;
    gf_feat_civil_from_days(ing_floor_div(epoch, 86400), &y, &m, &d);
    snprintf(buf, n, "gf:agg:{%s:%u}:min:%04d%02d%02d", region, bucket, y, m, d);
    return buf;
}

char *ing_key_agg_hour(char *buf, size_t n, const char *region, unsigned bucket, int64_t epoch)
{
    char ym[7];
    snprintf(buf, n, "gf:agg:{%s:%u}:hour:%s", region, bucket, ing_time_yyyymm(epoch, ym));
    return buf;
}

/* gf:<family>:{R:b} */
static char *part_key(char *buf, size_t n, const char *family, const char *region, unsigned bucket)
{
    snprintf(buf, n, "gf:%s:{%s:%u}", family, region, bucket);
    return buf;
}

char *ing_key_raw(char *buf, size_t n, const char *region, unsigned bucket)
{
    return part_key(buf, n, "raw", region, bucket);
}

char *ing_key_clean(char *buf, size_t n, const char *region, unsigned bucket)
{
    return part_key(buf, n, "clean", region, bucket);
}

char *ing_key_meters(char *buf, size_t n, const char *region, unsigned bucket)
{
    return part_key(buf, n, "meters", region, bucket);
}

char *ing_key_late(char *buf, size_t n, const char *region, unsigned bucket)
{
    return part_key(buf, n, "late", region, bucket);
}

char *ing_key_anomalies(char *buf, size_t n, const char *region, const char *type)
{
    if (type)
        snprintf(buf, n, "gf:anomalies:{%s}:%s", region, type);
    else
        snprintf(buf, n, "gf:anomalies:{%s}", region);
    return buf;
}

char *ing_key_anomaly_data(char *buf, size_t n, const char *region)
{
    snprintf(buf, n, "gf:anomaly:{%s}:data", region);
    return buf;
}
