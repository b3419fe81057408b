/*
 * ing_time.c - see ing_time.h. Builds on gf_time_parse/gf_days_from_civil (core) and the
 * TZif reader of libs/features.
 */
#include "ing_time.h"

#include "core/util.h"
#include "features/tz.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int ing_time_parse_ms(const char *s, size_t len, int64_t *out_ms)
{
    double t;
    if (gf_time_parse(s, len, &t) != 0)
        return -1;
    *out_ms = (int64_t)llround(t * 1000.0);
    return 0;
}

static int digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i] - '0';
        if (c > 9)
            return -1;
        x = x * 10 + (int)c;
    }
    *v = x;
    return 0;
}

int ing_time_parse_local(const char *s, size_t len, int64_t *out_s, int *has_zone)
{
    if (len >= 20) {
        double t;
        if (gf_time_parse(s, len, &t) != 0)
            return -1;
        *out_s = (int64_t)floor(t);
        *has_zone = 1;
        return 0;
    }
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d))
        return -1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap))
        return -1;
    if (len > 10) {
        if ((s[10] != 'T' && s[10] != ' ') || len < 13 || digits(s + 11, 2, &h))
            return -1;
        if (len > 13) {
            if (len < 16 || s[13] != ':' || digits(s + 14, 2, &mi))
                return -1;
            if (len > 16 && (len != 19 || s[16] != ':' || digits(s + 17, 2, &se)))
                return -1;
        }
    }
    if (h > 23 || mi > 59 || se > 59)
        return -1;
    *out_s = gf_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    *has_zone = 0;
    return 0;
}

int64_t ing_floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

char *ing_time_yyyymm(int64_t t, char out[7])
{
    int y, m, d;
    gf_feat_civil_from_days(ing_floor_div(t, 86400), &y, &m, &d);
    unsigned yy = (unsigned)(y < 0 ? 0 : y % 10000);
    out[0] = (char)('0' + yy / 1000);
    out[1] = (char)('0' + yy / 100 % 10);
    out[2] = (char)('0' + yy / 10 % 10);
    out[3] = (char)('0' + yy % 10);
    out[4] = (char)('0' + m / 10);
    out[5] = (char)('0' + m % 10);
    out[6] = '\0';
    return out;
}

int64_t ing_time_month_start(int64_t t)
{
    int y, m, d;
    gf_feat_civil_from_days(ing_floor_div(t, 86400), &y, &m, &d);
    return gf_days_from_civil(y, (unsigned)m, 1) * 86400;
}

int64_t ing_time_next_month(int64_t month_start)
{
    return ing_time_month_start(month_start + 32 * 86400);
}

void ing_tz_init_fixed(ing_tz_t *tz, int32_t offset_s)
{
    tz->fixed_offset_s = offset_s;
    tz->zone = NULL;
}

int ing_tz_parse_offset(const char *s, int32_t *out_s)
{
    if (!strcmp(s, "Z") || !strcmp(s, "z")) {
        *out_s = 0;
        return 0;
    }
    if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':')
        return -1;
    for (int i = 1; i < 6; i++)
        if (i != 3 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[1] - '0') * 10 + (s[2] - '0'), m = (s[4] - '0') * 10 + (s[5] - '0');
    if (h > 18 || m > 59)
        return -1;
    *out_s = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return 0;
}

int ing_tz_init_iana(ing_tz_t *tz, const char *name, gf_err_t *err)
{
    tz->fixed_offset_s = 0;
    tz->zone = gf_feat_tz_load(name, err);
    return tz->zone ? 0 : GF_EINVAL;
}

void ing_tz_cleanup(ing_tz_t *tz)
{
    if (tz->zone)
        gf_feat_tz_free(tz->zone);
    tz->zone = NULL;
}

int ing_tz_local_to_utc(const ing_tz_t *tz, int64_t local_s, int64_t *out)
{
    if (tz->zone == NULL) {
        *out = local_s - tz->fixed_offset_s;
        return 0;
    }
    /* Offsets lie within +-26 h, so the offsets in force a day either side are the only
     * candidates; one is valid when it is the offset in force at the instant it gives. */
    int32_t cand[2] = {gf_feat_tz_offset(tz->zone, local_s - 86400, NULL),
                       gf_feat_tz_offset(tz->zone, local_s + 86400, NULL)};
    int found = 0;
    int64_t best = 0;
    for (int i = 0; i < 2; i++) {
        int64_t u = local_s - cand[i];
        if (gf_feat_tz_offset(tz->zone, u, NULL) == cand[i] && (!found || u < best)) {
            best = u;
            found = 1;
        }
    }
    if (!found)
        return -1;
    *out = best;
    return 0;
}
