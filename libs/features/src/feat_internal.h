/*
 * feat_internal.h - the compiled form of a feature spec, shared by spec.c (parse/serialise)
 * and build.c (compute). Not installed; nothing outside libs/features/src includes it.
 */
#ifndef GF_FEATURES_FEAT_INTERNAL_H
#define GF_FEATURES_FEAT_INTERNAL_H

#include "features/features.h"
#include "features/tz.h"

typedef enum {
    /* calendar of the target hour */
    FK_HORIZON,
    FK_HOUR,
    FK_DOW,
    FK_MONTH,
    FK_DOY,
    FK_WEEKEND,
    FK_DST,
    FK_HOLIDAY,
    FK_BRIDGE,
    FK_PRE_HOLIDAY,
    FK_POST_HOLIDAY,
    FK_XMAS_WEEK,
    FK_HOUR_SIN,
    FK_HOUR_COS,
    FK_DOW_SIN,
    FK_DOW_COS,
    FK_DOY_SIN,
    FK_DOY_COS,
    FK_MONTH_SIN,
    FK_MONTH_COS,
    FK_FDAY_SIN,
    FK_FDAY_COS,
    FK_FWEEK_SIN,
    FK_FWEEK_COS,
    FK_FYEAR_SIN,
    FK_FYEAR_COS,
    /* demand relative to the target */
    FK_LAG,
    FK_SH_MEAN,
    FK_SH_STD,
    FK_SW_MEAN,
    /* demand anchored at the origin */
    FK_LAST,
    FK_ROLL_MEAN,
    FK_ROLL_STD,
    FK_ROLL_MIN,
    FK_ROLL_MAX,
    FK_RAMP,
    FK_LEVEL_DIFF,
    FK_SCALE,
    /* temperature */
    FK_TEMP_LAST,
    FK_TEMP_LAG,
    FK_TEMP_MEAN,
    FK_TEMP_MIN,
    FK_TEMP_MAX,
    FK_HDH,
    FK_CDH,
    FK_HDH_LAG,
    FK_CDH_LAG,
    /* temperature of the target hours, as known at the origin */
    FK_TEMP_FC,
    FK_HDH_FC,
    FK_CDH_FC,
    FK_TEMP_FC_MEAN,
    FK_TEMP_FC_MIN,
    FK_TEMP_FC_MAX,
} feat_kind_t;

enum { FC_TARGET = 0, FC_ORIGIN = 1 }; /* computed per row, or once per origin */

typedef struct {
    feat_kind_t kind;
    int param;  /* N of the name, 0 when none */
    int cls;    /* FC_TARGET or FC_ORIGIN */
    int scaled; /* demand-valued: divided by the scale */
} feat_col_t;

enum { NORM_NONE = 0, NORM_LEVEL24 = 1 };

struct gf_feat_spec {
    gf_feat_tz_t *tz;
    char country[4];
    int normalize;
    double heat_base_c, cool_base_c;
    size_t ncols;
    feat_col_t *cols;
    char **names;
    int uses_temp;
    int uses_temp_fc;
    int fc_window; /* longest temp_fc_*_N window (0: none) */
    char hash[17];
};

/* Shared by demand.c and weather.c (the stored-series readers). */
#include <hiredis/hiredis.h>
int64_t feat_floor_div(int64_t a, int64_t b);
/* A finite decimal of exactly n bytes (no hex, inf, nan, blank): 0, or -1. */
int feat_parse_decimal(const char *s, size_t n, double *out);
/* Start of the UTC month holding t; *ym = YYYY*100+MM (year clamped to 0..9999). */
int64_t feat_month_of(int64_t t, int *ym);
/* A reply of the kit's handle (core/rcluster.h) as an error: GF_EUNAVAIL "redis_unavailable"
 * (r NULL; why, filled by the handle, says what happened) or "redis_error" (an error reply),
 * else 0. */
int feat_reply_failed(const redisReply *r, const gf_err_t *why, gf_err_t *err);

#endif
