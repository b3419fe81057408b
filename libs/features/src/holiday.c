/*
 * holiday.c - US federal holidays by rule (see features/holiday.h for the rules).
 * Pure date arithmetic on day numbers; no state, thread-safe.
 */
#include "features/holiday.h"

#include "features/tz.h"

static const char *const names[GF_FEAT_HOL_COUNT] = {
    "none",         "new_year", "mlk",      "presidents", "memorial",     "juneteenth",
    "independence", "labor",    "columbus", "veterans",   "thanksgiving", "christmas",
};

const char *gf_feat_holiday_name(gf_feat_holiday_t h)
{
    return (h >= 0 && h < GF_FEAT_HOL_COUNT) ? names[h] : "none";
}

/* Weekday of a day number, 0 = Monday. */
static int wday(int64_t days)
{
    return (int)(((days + 3) % 7 + 7) % 7);
}

/* Day number of the n-th (1-based; n = -1: last) weekday `wd` (0 = Monday) of y-m. */
static int64_t nth_weekday(int y, int m, int wd, int n)
{
    if (n > 0) {
        int64_t first = gf_feat_days_from_civil(y, m, 1);
        return first + (wd - wday(first) + 7) % 7 + 7 * (n - 1);
    }
    int64_t last = gf_feat_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
    return last - (wday(last) - wd + 7) % 7;
}

/* Calendar day number of holiday h in `year`, or -1 when it does not exist. */
static int64_t actual_day(int year, gf_feat_holiday_t h)
{
    switch (h) {
    case GF_FEAT_HOL_NEW_YEAR:
        return gf_feat_days_from_civil(year, 1, 1);
    case GF_FEAT_HOL_MLK:
        return year >= 1986 ? nth_weekday(year, 1, 0, 3) : -1;
    case GF_FEAT_HOL_PRESIDENTS:
        return nth_weekday(year, 2, 0, 3);
    case GF_FEAT_HOL_MEMORIAL:
        return nth_weekday(year, 5, 0, -1);
    case GF_FEAT_HOL_JUNETEENTH:
        return year >= 2021 ? gf_feat_days_from_civil(year, 6, 19) : -1;
    case GF_FEAT_HOL_INDEPENDENCE:
        return gf_feat_days_from_civil(year, 7, 4);
    case GF_FEAT_HOL_LABOR:
        return nth_weekday(year, 9, 0, 1);
    case GF_FEAT_HOL_COLUMBUS:
        return nth_weekday(year, 10, 0, 2);
    case GF_FEAT_HOL_VETERANS:
        return gf_feat_days_from_civil(year, 11, 11);
    case GF_FEAT_HOL_THANKSGIVING:
        return nth_weekday(year, 11, 3, 4);
    case GF_FEAT_HOL_CHRISTMAS:
        return gf_feat_days_from_civil(year, 12, 25);
    default:
        return -1;
    }
}

static int64_t observed_day(int year, gf_feat_holiday_t h)
{
    int64_t d = actual_day(year, h);
    if (d < 0)
        return d;
    int wd = wday(d);
    if (wd == 5) /* Saturday -> Friday before */
        return d - 1;
    if (wd == 6) /* Sunday -> Monday after */
        return d + 1;
    return d;
}

int gf_feat_us_holiday_date(int year, gf_feat_holiday_t h, int observed, int *y, int *m, int *d)
{
    int64_t day = observed ? observed_day(year, h) : actual_day(year, h);
    if (day < 0 || h <= GF_FEAT_HOL_NONE || h >= GF_FEAT_HOL_COUNT)
        return -1;
    gf_feat_civil_from_days(day, y, m, d);
    return 0;
}

gf_feat_holiday_t gf_feat_us_holiday_observed(int y, int m, int d)
{
    int64_t day = gf_feat_days_from_civil(y, m, d);
    /* New Year of y+1 may be observed on Dec 31 of y. */
    if (m == 12 && d == 31 && observed_day(y + 1, GF_FEAT_HOL_NEW_YEAR) == day)
        return GF_FEAT_HOL_NEW_YEAR;
    for (int h = GF_FEAT_HOL_NEW_YEAR; h < GF_FEAT_HOL_COUNT; h++)
        if (observed_day(y, (gf_feat_holiday_t)h) == day)
            return (gf_feat_holiday_t)h;
    return GF_FEAT_HOL_NONE;
}

gf_feat_holiday_t gf_feat_us_holiday_actual(int y, int m, int d)
{
    int64_t day = gf_feat_days_from_civil(y, m, d);
    for (int h = GF_FEAT_HOL_NEW_YEAR; h < GF_FEAT_HOL_COUNT; h++)
        if (actual_day(y, (gf_feat_holiday_t)h) == day)
            return (gf_feat_holiday_t)h;
    return GF_FEAT_HOL_NONE;
}

int gf_feat_us_is_holiday(int y, int m, int d)
{
    return gf_feat_us_holiday_observed(y, m, d) != GF_FEAT_HOL_NONE ||
           gf_feat_us_holiday_actual(y, m, d) != GF_FEAT_HOL_NONE;
}

static int is_holiday_day(int64_t day)
{
    int y, m, d;
    gf_feat_civil_from_days(day, &y, &m, &d);
    return gf_feat_us_is_holiday(y, m, d);
}

int gf_feat_us_is_bridge(int y, int m, int d)
{
    int64_t day = gf_feat_days_from_civil(y, m, d);
    int wd = wday(day);
    if (is_holiday_day(day))
        return 0;
    if (wd == 0 && is_holiday_day(day + 1) && wday(day + 1) == 1)
        return 1;
    if (wd == 4 && is_holiday_day(day - 1) && wday(day - 1) == 3)
        return 1;
    return 0;
}
