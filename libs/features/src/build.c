/*
 * build.c - series helpers and the feature-row builder.
 *
 * The no-leakage rule is structural: gf_feat_build() first replaces the caller's series by
 * gf_feat_series_until(origin), a view whose length stops before the origin hour, and every
 * read goes through known()/temp_at(), which answer NaN outside the view. No code path here
 * sees an index at or after the origin, whatever the horizon.
 *
 * The one deliberate exception is the target-hour temperature (temp_fc...): for hours from the
 * origin on it reads forecasts, and only those issued before the origin (gf_feat_tfc_at with
 * the origin as cut-off); with series.obs_as_forecast (training only, documented in
 * features.h) a target hour no forecast covers takes the observed value. See target_temps().
 *
 * Cost: features anchored at the origin (rolling windows, level, ramps) are computed once per
 * origin and copied into each horizon's row; per-row work is O(1) per column except the
 * same-hour profiles (O(N)). Calendar values are cached per local date.
 */
#include "features/features.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "feat_internal.h"
#include "features/holiday.h"
#include "features/weather.h"

/* ------------------------------------------------------------------ series */

int gf_feat_series_alloc(gf_feat_series_t *s, int64_t t0, size_t n, int with_temp, gf_err_t *err)
{
    memset(s, 0, sizeof *s);
    if (t0 % 3600 != 0)
        return gf_err_set(err, GF_EINVAL, "bad_series", "series start is not a whole hour");
    if (n > ((size_t)1 << 24))
        return gf_err_set(err, GF_ETOOBIG, "bad_series", "series too long (%zu hours)", n);
    s->t0 = t0;
    s->n = n;
    s->demand = gf_xmalloc(n * sizeof *s->demand);
    s->temp = with_temp ? gf_xmalloc(n * sizeof *s->temp) : NULL;
    for (size_t i = 0; i < n; i++) {
        s->demand[i] = NAN;
        if (s->temp)
            s->temp[i] = NAN;
    }
    return 0;
}

void gf_feat_series_cleanup(gf_feat_series_t *s)
{
    if (s == NULL)
        return;
    free(s->demand);
    free(s->temp);
    memset(s, 0, sizeof *s);
}

long gf_feat_series_index(const gf_feat_series_t *s, int64_t t)
{
    if (t < s->t0 || (t - s->t0) % 3600 != 0)
        return -1;
    int64_t i = (t - s->t0) / 3600;
    return (uint64_t)i < s->n ? (long)i : -1;
}

gf_feat_series_t gf_feat_series_until(const gf_feat_series_t *s, int64_t origin)
{
    gf_feat_series_t v = *s;
    if (origin <= s->t0) {
        v.n = 0;
    } else {
        int64_t k = (origin - s->t0 + 3599) / 3600; /* hours with stamp < origin */
        if ((uint64_t)k < v.n)
            v.n = (size_t)k;
    }
    return v;
}

/* ------------------------------------------------------------------ reads (view only) */

static inline double known(const gf_feat_series_t *v, int64_t i)
{
    return (i >= 0 && (uint64_t)i < v->n) ? v->demand[i] : NAN;
}

static inline double temp_at(const gf_feat_series_t *v, int64_t i)
{
    return (v->temp != NULL && i >= 0 && (uint64_t)i < v->n) ? v->temp[i] : NAN;
}

typedef struct {
    double mean, std, min, max;
    size_t count;
} win_stats_t;

/* Stats of values [end - w, end) of demand (temp when use_temp), NaNs skipped. */
static win_stats_t window(const gf_feat_series_t *v, int64_t end, int w, int use_temp)
{
    win_stats_t st = {NAN, NAN, NAN, NAN, 0};
    double sum = 0, sq = 0, mn = INFINITY, mx = -INFINITY;
    int64_t lo = end - w;
    if (lo < 0)
        lo = 0;
    int64_t hi = end < (int64_t)v->n ? end : (int64_t)v->n;
    const double *a = use_temp ? v->temp : v->demand;
    if (a == NULL)
        return st;
    for (int64_t i = lo; i < hi; i++) {
        double x = a[i];
        if (isnan(x))
            continue;
        sum += x;
        sq += x * x;
        if (x < mn)
            mn = x;
        if (x > mx)
            mx = x;
        st.count++;
    }
    if (st.count == 0)
        return st;
    st.mean = sum / (double)st.count;
    st.min = mn;
    st.max = mx;
    if (st.count >= 2) {
        double var = (sq - sum * st.mean) / (double)(st.count - 1);
        st.std = var > 0 ? sqrt(var) : 0.0;
    }
    return st;
}

static double mean_deg(const gf_feat_series_t *v, int64_t end, int w, double base, int heat)
{
    if (v->temp == NULL)
        return NAN;
    double sum = 0;
    size_t c = 0;
    for (int64_t i = end - w; i < end; i++) {
        double t = temp_at(v, i);
        if (isnan(t))
            continue;
        double d = heat ? base - t : t - base;
        sum += d > 0 ? d : 0;
        c++;
    }
    return c ? sum / (double)c : NAN;
}

static double deg(double t, double base, int heat)
{
    if (isnan(t))
        return NAN;
    double d = heat ? base - t : t - base;
    return d > 0 ? d : 0;
}

/* ------------------------------------------------------------------ target temperature */

/* Temperature of hours [base, base + 3600 n) as known at the origin, into tt[]: the observed
 * value (view only) before the origin when there is one; else the forecast of the latest
 * issue before min(origin, s->tfc_asof); else, with s->obs_as_forecast, the observed value. */
static void target_temps(const gf_feat_series_t *s, const gf_feat_series_t *v, int64_t origin,
                         int64_t base, size_t n, double *tt)
{
    int64_t asof = origin;
    if (s->tfc_asof != 0 && s->tfc_asof < asof)
        asof = s->tfc_asof;
    for (size_t i = 0; i < n; i++) {
        int64_t t = base + 3600 * (int64_t)i;
        double x = NAN;
        if (t < origin)
            x = temp_at(v, (t - v->t0) / 3600);
        if (isnan(x))
            x = gf_feat_tfc_at(s->tfc, t, asof, NULL);
        if (isnan(x) && s->obs_as_forecast && s->temp != NULL) {
            long k = gf_feat_series_index(s, t);
            x = k >= 0 ? s->temp[k] : NAN;
        }
        tt[i] = x;
    }
}

/* Mean / min / max of tt[i - w + 1 .. i], NaNs skipped; NaN when none. */
static double tt_window(const double *tt, int64_t i, int w, feat_kind_t kind)
{
    double sum = 0, mn = INFINITY, mx = -INFINITY;
    int cnt = 0;
    for (int64_t k = i - w + 1; k <= i; k++) {
        if (k < 0 || isnan(tt[k]))
            continue;
        sum += tt[k];
        mn = tt[k] < mn ? tt[k] : mn;
        mx = tt[k] > mx ? tt[k] : mx;
        cnt++;
    }
    if (cnt == 0)
        return NAN;
    return kind == FK_TEMP_FC_MEAN ? sum / cnt : kind == FK_TEMP_FC_MIN ? mn : mx;
}

/* ------------------------------------------------------------------ calendar */

typedef struct {
    int64_t day; /* local day number the cache holds, INT64_MIN when empty */
    double holiday, bridge, pre, post, xmas;
} day_cache_t;

static int is_hol_day(int64_t day)
{
    int y, m, d;
    gf_feat_civil_from_days(day, &y, &m, &d);
    return gf_feat_us_is_holiday(y, m, d);
}

static void fill_day(day_cache_t *c, int64_t day, const gf_feat_civil_t *cv)
{
    if (c->day == day)
        return;
    c->day = day;
    c->holiday = gf_feat_us_is_holiday(cv->year, cv->month, cv->day);
    c->bridge = gf_feat_us_is_bridge(cv->year, cv->month, cv->day);
    c->pre = is_hol_day(day + 1);
    c->post = is_hol_day(day - 1);
    c->xmas = (cv->month == 12 && cv->day >= 24) || (cv->month == 1 && cv->day == 1);
}

/* ------------------------------------------------------------------ build */

int gf_feat_build(const gf_feat_spec_t *spec, const gf_feat_series_t *s, int64_t origin,
                  int h_first, int h_last, double *out, double *scale_out, gf_err_t *err)
{
    const size_t nc = spec->ncols;
    if (origin % 3600 != 0)
        return gf_err_set(err, GF_EINVAL, "bad_origin", "origin is not a whole UTC hour");
    if (s->t0 % 3600 != 0)
        return gf_err_set(err, GF_EINVAL, "bad_series", "series start is not a whole hour");
    if (h_first < 1 || h_last < h_first || h_last > GF_FEAT_MAX_HORIZON)
        return gf_err_set(err, GF_EINVAL, "bad_horizon",
                          "horizons must satisfy 1 <= %d <= %d "
                          "<= %d",
                          h_first, h_last, GF_FEAT_MAX_HORIZON);

    /* From here on only the view is used: hours with stamp < origin. */
    const gf_feat_series_t view = gf_feat_series_until(s, origin);
    const gf_feat_series_t *v = &view;
    const int64_t io = (origin - s->t0) / 3600; /* index of the origin hour (may be out) */
    const size_t nrows = (size_t)(h_last - h_first + 1);

    double scale = 1.0;
    if (spec->normalize == NORM_LEVEL24) {
        win_stats_t lv = window(v, io, 24, 0);
        scale = lv.count > 0 && lv.mean > 0 ? lv.mean : NAN;
    }
    if (scale_out)
        *scale_out = scale;
    if (isnan(scale)) {
        for (size_t i = 0; i < nrows * nc; i++)
            out[i] = NAN;
        return gf_err_set(err, GF_EUNPROCESSABLE, "insufficient_history",
                          "no positive demand in the 24 hours before the origin");
    }
    const double inv = 1.0 / scale;

    /* Target-hour temperature: hours [origin - W, origin + h_last - 1], W the longest window. */
    double tt[2 * GF_FEAT_MAX_HORIZON + 1];
    const int64_t tt_w = spec->fc_window > 0 ? spec->fc_window - 1 : 0;
    const int64_t tt_base = origin - 3600 * tt_w;
    if (spec->uses_temp_fc)
        target_temps(s, v, origin, tt_base, (size_t)(tt_w + h_last), tt);

    /* Origin-anchored columns, once. */
    double *orow = out; /* computed into the first row, copied to the others below */
    for (size_t c = 0; c < nc; c++) {
        const feat_col_t *col = &spec->cols[c];
        if (col->cls != FC_ORIGIN)
            continue;
        double x = NAN;
        int p = col->param;
        switch (col->kind) {
        case FK_LAST:
            x = known(v, io - 1);
            break;
        case FK_ROLL_MEAN:
            x = window(v, io, p, 0).mean;
            break;
        case FK_ROLL_STD:
            x = window(v, io, p, 0).std;
            break;
        case FK_ROLL_MIN:
            x = window(v, io, p, 0).min;
            break;
        case FK_ROLL_MAX:
            x = window(v, io, p, 0).max;
            break;
        case FK_RAMP:
            x = known(v, io - 1) - known(v, io - 1 - p);
            break;
        case FK_LEVEL_DIFF:
            x = window(v, io, 24, 0).mean - window(v, io - p, 24, 0).mean;
            break;
        case FK_SCALE:
            x = scale;
            break;
        case FK_TEMP_LAST:
            x = temp_at(v, io - 1);
            break;
        case FK_TEMP_MEAN:
            x = window(v, io, p, 1).mean;
            break;
        case FK_TEMP_MIN:
            x = window(v, io, p, 1).min;
            break;
        case FK_TEMP_MAX:
            x = window(v, io, p, 1).max;
            break;
        case FK_HDH:
            x = mean_deg(v, io, p, spec->heat_base_c, 1);
            break;
        case FK_CDH:
            x = mean_deg(v, io, p, spec->cool_base_c, 0);
            break;
        default:
            break;
        }
        orow[c] = col->scaled ? x * inv : x;
    }

    day_cache_t dc = {INT64_MIN, 0, 0, 0, 0, 0};
    const double two_pi = 2.0 * M_PI;
    for (size_t r = 0; r < nrows; r++) {
        int h = h_first + (int)r;
        double *row = out + r * nc;
        int64_t t = origin + 3600 * (int64_t)(h - 1);
        int64_t it = io + h - 1;
        gf_feat_civil_t cv;
        gf_feat_tz_civil(spec->tz, t, &cv);
        int64_t lday = gf_feat_days_from_civil(cv.year, cv.month, cv.day);
        double hod = cv.hour + cv.minute / 60.0;
        double ph_day = hod / 24.0;
        double ph_week = (cv.wday * 24.0 + hod) / 168.0;
        double ph_year = (cv.yday - 1 + hod / 24.0) / 365.2425;
        for (size_t c = 0; c < nc; c++) {
            const feat_col_t *col = &spec->cols[c];
            if (col->cls == FC_ORIGIN) {
                if (r > 0)
                    row[c] = orow[c];
                continue;
            }
            double x = NAN;
            int p = col->param;
            switch (col->kind) {
            case FK_HORIZON:
                x = h;
                break;
            case FK_HOUR:
                x = cv.hour;
                break;
            case FK_DOW:
                x = cv.wday;
                break;
            case FK_MONTH:
                x = cv.month;
                break;
            case FK_DOY:
                x = cv.yday;
                break;
            case FK_WEEKEND:
                x = cv.wday >= 5;
                break;
            case FK_DST:
                x = cv.isdst;
                break;
            case FK_HOLIDAY:
                fill_day(&dc, lday, &cv);
                x = dc.holiday;
                break;
            case FK_BRIDGE:
                fill_day(&dc, lday, &cv);
                x = dc.bridge;
                break;
            case FK_PRE_HOLIDAY:
                fill_day(&dc, lday, &cv);
                x = dc.pre;
                break;
            case FK_POST_HOLIDAY:
                fill_day(&dc, lday, &cv);
                x = dc.post;
                break;
            case FK_XMAS_WEEK:
                fill_day(&dc, lday, &cv);
                x = dc.xmas;
                break;
            case FK_HOUR_SIN:
                x = sin(two_pi * ph_day);
                break;
            case FK_HOUR_COS:
                x = cos(two_pi * ph_day);
                break;
            case FK_DOW_SIN:
                x = sin(two_pi * cv.wday / 7.0);
                break;
            case FK_DOW_COS:
                x = cos(two_pi * cv.wday / 7.0);
                break;
            case FK_DOY_SIN:
                x = sin(two_pi * (cv.yday - 1) / 365.2425);
                break;
            case FK_DOY_COS:
                x = cos(two_pi * (cv.yday - 1) / 365.2425);
                break;
            case FK_MONTH_SIN:
                x = sin(two_pi * (cv.month - 1) / 12.0);
                break;
            case FK_MONTH_COS:
                x = cos(two_pi * (cv.month - 1) / 12.0);
                break;
            case FK_FDAY_SIN:
                x = sin(two_pi * p * ph_day);
                break;
            case FK_FDAY_COS:
                x = cos(two_pi * p * ph_day);
                break;
            case FK_FWEEK_SIN:
                x = sin(two_pi * p * ph_week);
                break;
            case FK_FWEEK_COS:
                x = cos(two_pi * p * ph_week);
                break;
            case FK_FYEAR_SIN:
                x = sin(two_pi * p * ph_year);
                break;
            case FK_FYEAR_COS:
                x = cos(two_pi * p * ph_year);
                break;
            case FK_LAG:
                x = known(v, it - p) * inv;
                break;
            case FK_SH_MEAN:
            case FK_SH_STD:
            case FK_SW_MEAN: {
                int step = col->kind == FK_SW_MEAN ? 168 : 24;
                double sum = 0, sq = 0;
                int cnt = 0;
                for (int k = 1; k <= p; k++) {
                    double y = known(v, it - (int64_t)step * k);
                    if (isnan(y))
                        continue;
                    sum += y;
                    sq += y * y;
                    cnt++;
                }
                if (col->kind == FK_SH_STD) {
                    if (cnt >= 2) {
                        double m = sum / cnt;
                        double var = (sq - sum * m) / (cnt - 1);
                        x = (var > 0 ? sqrt(var) : 0.0) * inv;
                    }
                } else if (cnt > 0) {
                    x = sum / cnt * inv;
                }
                break;
            }
            case FK_TEMP_LAG:
                x = temp_at(v, it - p);
                break;
            case FK_HDH_LAG:
                x = deg(temp_at(v, it - p), spec->heat_base_c, 1);
                break;
            case FK_CDH_LAG:
                x = deg(temp_at(v, it - p), spec->cool_base_c, 0);
                break;
            case FK_TEMP_FC:
                x = tt[tt_w + h - 1];
                break;
            case FK_HDH_FC:
                x = deg(tt[tt_w + h - 1], spec->heat_base_c, 1);
                break;
            case FK_CDH_FC:
                x = deg(tt[tt_w + h - 1], spec->cool_base_c, 0);
                break;
            case FK_TEMP_FC_MEAN:
            case FK_TEMP_FC_MIN:
            case FK_TEMP_FC_MAX:
                x = tt_window(tt, tt_w + h - 1, p, col->kind);
                break;
            default:
                break;
            }
            row[c] = x;
        }
    }
    return 0;
}
