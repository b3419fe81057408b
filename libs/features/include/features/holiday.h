/*
 * features/holiday.h - US federal public holidays computed by rule, with observed days and
 * bridge days. Pure functions of the date; thread-safe, no tables to load.
 *
 * Rules: fixed-date holidays (New Year, Juneteenth from 2021, Independence, Veterans,
 * Christmas) falling on a Saturday are observed the Friday before, on a Sunday the Monday
 * after (5 U.S.C. 6103; New Year on a Saturday is observed on Dec 31 of the previous year).
 * Floating holidays: MLK (3rd Mon Jan, from 1986), Presidents (3rd Mon Feb), Memorial
 * (last Mon May), Labor (1st Mon Sep), Columbus (2nd Mon Oct), Thanksgiving (4th Thu Nov).
 * A bridge day is a working weekday squeezed between a holiday and a weekend: the Monday
 * before a Tuesday holiday or the Friday after a Thursday holiday (day after Thanksgiving).
 */
#ifndef GF_FEATURES_HOLIDAY_H
#define GF_FEATURES_HOLIDAY_H

typedef enum gf_feat_holiday {
    GF_FEAT_HOL_NONE = 0,
    GF_FEAT_HOL_NEW_YEAR,
    GF_FEAT_HOL_MLK,
    GF_FEAT_HOL_PRESIDENTS,
    GF_FEAT_HOL_MEMORIAL,
    GF_FEAT_HOL_JUNETEENTH,
    GF_FEAT_HOL_INDEPENDENCE,
    GF_FEAT_HOL_LABOR,
    GF_FEAT_HOL_COLUMBUS,
    GF_FEAT_HOL_VETERANS,
    GF_FEAT_HOL_THANKSGIVING,
    GF_FEAT_HOL_CHRISTMAS,
    GF_FEAT_HOL_COUNT
} gf_feat_holiday_t;

/* Short snake_case name ("thanksgiving"); "none" for GF_FEAT_HOL_NONE. Static string. */
const char *gf_feat_holiday_name(gf_feat_holiday_t h);

/* The date of holiday h in `year`: the calendar date when observed == 0, the observed
 * (day-off) date when observed == 1 (may fall in year-1 for New Year). Returns 0, or -1 when
 * h does not exist that year (Juneteenth before 2021, MLK before 1986, NONE). */
int gf_feat_us_holiday_date(int year, gf_feat_holiday_t h, int observed, int *y, int *m, int *d);

/* Which holiday's observed day-off y-m-d is, or GF_FEAT_HOL_NONE. */
gf_feat_holiday_t gf_feat_us_holiday_observed(int y, int m, int d);

/* Which holiday's calendar date y-m-d is (ignoring observation), or GF_FEAT_HOL_NONE. */
gf_feat_holiday_t gf_feat_us_holiday_actual(int y, int m, int d);

/* 1 when y-m-d is a holiday in either sense (calendar date or observed day off). */
int gf_feat_us_is_holiday(int y, int m, int d);

/* 1 when y-m-d is a bridge day (see above), else 0. */
int gf_feat_us_is_bridge(int y, int m, int d);

#endif
