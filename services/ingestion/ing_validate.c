/*
 * ing_validate.c - per-reading rules (see ing_validate.h). Pure functions of the reading,
 * the config and the caller's clock, so the same batch validates the same way in tests.
 */
#include "ing_validate.h"
#include "core/region.h"

#include <math.h>
#include <string.h>

void ing_validate_cfg_default(ing_validate_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_kw = 1000;
    cfg->max_kwh = 1000;
    cfg->min_voltage_v = 80;
    cfg->max_voltage_v = 300;
    cfg->max_future_skew_s = 300;
    cfg->max_age_s = 7 * 86400;
}

static int set(ing_reading_t *r, int code, int field)
{
    r->code = (uint8_t)code;
    r->field = (uint8_t)field;
    return code;
}

static int meter_ok(const char *m)
{
    if (m[0] == '\0')
        return 0;
    for (const unsigned char *p = (const unsigned char *)m; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '|')
            return 0;
    return 1;
}

int ing_validate_reading(const ing_validate_cfg_t *cfg, ing_reading_t *r, int64_t now_ms)
{
    if (r->code != ING_R_OK)
        return r->code;
    if (!(r->has & ING_HAS_METER))
        return set(r, ING_R_MISSING_FIELD, ING_F_METER_ID);
    if (!(r->has & ING_HAS_TS))
        return set(r, ING_R_MISSING_FIELD, ING_F_TS);
    if (!(r->has & ING_HAS_REGION))
        return set(r, ING_R_MISSING_FIELD, ING_F_REGION);
    if (!(r->has & (ING_HAS_KWH | ING_HAS_KW)))
        return set(r, ING_R_NO_MEASURE, ING_F_NONE);
    if (!meter_ok(r->meter_id))
        return set(r, ING_R_BAD_METER, ING_F_METER_ID);
    if (r->has & ING_HAS_KWH) {
        if (r->kwh < 0)
            return set(r, ING_R_NEG_ENERGY, ING_F_KWH);
        if (r->kwh > cfg->max_kwh)
            return set(r, ING_R_ENERGY_RANGE, ING_F_KWH);
    }
    if (r->has & ING_HAS_KW) {
        if (r->kw < 0)
            return set(r, ING_R_NEG_POWER, ING_F_KW);
        if (r->kw > cfg->max_kw)
            return set(r, ING_R_POWER_RANGE, ING_F_KW);
    }
    if ((r->has & ING_HAS_VOLTAGE) &&
        (r->voltage_v < cfg->min_voltage_v || r->voltage_v > cfg->max_voltage_v))
        return set(r, ING_R_VOLTAGE_RANGE, ING_F_VOLTAGE);
    if (r->ts_ms > now_ms + cfg->max_future_skew_s * 1000)
        return set(r, ING_R_FUTURE, ING_F_TS);
    if (r->ts_ms < now_ms - cfg->max_age_s * 1000)
        return set(r, ING_R_TOO_OLD, ING_F_TS);
    size_t rl = strlen(r->region);
    if (!gf_region_valid_n(r->region, rl) ||
        (cfg->regions && ing_regions_find(cfg->regions, r->region, rl) == NULL))
        return set(r, ING_R_UNKNOWN_REGION, ING_F_REGION);
    return ING_R_OK;
}

size_t ing_validate_batch(const ing_validate_cfg_t *cfg, ing_batch_t *b, int64_t now_ms)
{
    size_t ok = 0;
    for (size_t i = 0; i < b->n; i++)
        ok += ing_validate_reading(cfg, &b->v[i], now_ms) == ING_R_OK;
    b->accepted = ok;
    return ok;
}
