/*
 * ing_anomaly.c - robust-baseline load anomalies and implausible meter values
 * (see ing_anomaly.h).
 */
#include "ing_anomaly.h"

#include "core/util.h"
#include "ing_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEEK (7 * 86400)
#define MAX_WEEKS 52

void ing_anomaly_cfg_default(ing_anomaly_cfg_t *cfg)
{
    cfg->weeks = 4;
    cfg->min_history = 3;
    cfg->z_warn = 3.5;
    cfg->z_crit = 6;
    cfg->min_rel_dev = 0.10;
    cfg->mad_floor_rel = 0.02;
}

const char *ing_anomaly_type_str(int type)
{
    switch (type) {
    case ING_AN_SPIKE:
        return "spike";
    case ING_AN_DROP:
        return "drop";
    case ING_AN_METER_IMPLAUSIBLE:
        return "meter_implausible";
    default:
        return "unknown";
    }
}

const char *ing_severity_str(int severity)
{
    return severity == ING_SEV_CRITICAL ? "critical" : "warning";
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v). */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Index of hour t in the ascending array, or -1. */
static long find(const int64_t *hour, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (hour[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && hour[lo] == t ? (long)lo : -1;
}

static void emit(ing_anomaly_t *out, size_t cap, size_t k, const ing_anomaly_t *a)
{
    if (k < cap)
        out[k] = *a;
}

size_t ing_anomaly_series(const ing_anomaly_cfg_t *cfg, const char *region, const int64_t *hour,
                          const double *value, size_t n, size_t from, ing_anomaly_t *out,
                          size_t cap)
{
    int weeks = cfg->weeks < 1 ? 1 : cfg->weeks > MAX_WEEKS ? MAX_WEEKS : cfg->weeks;
    size_t found = 0;
    for (size_t i = from; i < n; i++) {
        double actual = value[i];
        if (!isfinite(actual))
            continue;
        double base[MAX_WEEKS], dev[MAX_WEEKS];
        size_t m = 0;
        for (int w = 1; w <= weeks; w++) {
            long j = find(hour, i, hour[i] - (int64_t)w * WEEK);
            if (j >= 0 && isfinite(value[j]))
                base[m++] = value[j];
        }
        if (m < cfg->min_history || m == 0)
            continue;
        double med = median(base, m);
        for (size_t k = 0; k < m; k++)
            dev[k] = fabs(base[k] - med);
        double mad = median(dev, m);
        double spread = 1.4826 * fmax(mad, cfg->mad_floor_rel * fabs(med));
        if (spread <= 0)
            spread = 1e-9;
        double diff = actual - med;
        double z = diff / spread;
        if (fabs(z) < cfg->z_warn || fabs(diff) < cfg->min_rel_dev * fabs(med))
            continue;
        ing_anomaly_t a;
        memset(&a, 0, sizeof a);
        a.type = diff > 0 ? ING_AN_SPIKE : ING_AN_DROP;
        a.severity = fabs(z) >= cfg->z_crit ? ING_SEV_CRITICAL : ING_SEV_WARNING;
        snprintf(a.region, sizeof a.region, "%s", region);
        a.t = hour[i];
        a.expected = med;
        a.actual = actual;
        a.score = z;
        emit(out, cap, found++, &a);
    }
    return found;
}

/* Distance of v beyond the violated limit, relative to it (to `upper` when it is 0). */
static double out_of_range(double v, double limit, double upper)
{
    double scale = limit != 0 ? fabs(limit) : fabs(upper);
    return scale > 0 ? fabs(v - limit) / scale : fabs(v - limit);
}

size_t ing_anomaly_meters(const ing_validate_cfg_t *vcfg, const ing_batch_t *b, ing_anomaly_t *out,
                          size_t cap)
{
    size_t found = 0;
    for (size_t i = 0; i < b->n; i++) {
        const ing_reading_t *r = &b->v[i];
        ing_anomaly_t a;
        memset(&a, 0, sizeof a);
        double upper;
        switch (r->code) {
        case ING_R_NEG_ENERGY:
            a.field = "kwh", a.expected = 0, a.actual = r->kwh, upper = vcfg->max_kwh;
            break;
        case ING_R_ENERGY_RANGE:
            a.field = "kwh", a.expected = vcfg->max_kwh, a.actual = r->kwh, upper = vcfg->max_kwh;
            break;
        case ING_R_NEG_POWER:
            a.field = "kw", a.expected = 0, a.actual = r->kw, upper = vcfg->max_kw;
            break;
        case ING_R_POWER_RANGE:
            a.field = "kw", a.expected = vcfg->max_kw, a.actual = r->kw, upper = vcfg->max_kw;
            break;
        case ING_R_VOLTAGE_RANGE:
            a.field = "voltage_v";
            a.actual = r->voltage_v;
            a.expected = r->voltage_v < vcfg->min_voltage_v ? vcfg->min_voltage_v
                                                            : vcfg->max_voltage_v;
            upper = vcfg->max_voltage_v;
            break;
        default:
            continue;
        }
        /* a region outside the catalog would name a key of its own: not stored */
        if (vcfg->regions && ing_regions_find(vcfg->regions, r->region, strlen(r->region)) == NULL)
            continue;
        a.type = ING_AN_METER_IMPLAUSIBLE;
        a.severity = (a.actual < 0 || (a.expected > 0 && a.actual > 2 * a.expected) ||
                      (a.expected > 0 && a.actual < 0.5 * a.expected))
                         ? ING_SEV_CRITICAL
                         : ING_SEV_WARNING;
        a.score = out_of_range(a.actual, a.expected, upper);
        snprintf(a.region, sizeof a.region, "%s", r->region);
        snprintf(a.meter_id, sizeof a.meter_id, "%s", r->meter_id);
        a.t = a.t_last = (r->has & ING_HAS_TS) ? ing_floor_div(r->ts_ms, 1000) : 0;
        a.count = 1;
        /* one record per meter (and region) of the batch */
        size_t k = 0, lim = found < cap ? found : cap;
        while (k < lim &&
               (strcmp(out[k].meter_id, a.meter_id) != 0 || strcmp(out[k].region, a.region) != 0))
            k++;
        if (k < lim) {
            ing_anomaly_t *e = &out[k];
            e->count++;
            if (a.t < e->t)
                e->t = a.t;
            if (a.t_last > e->t_last)
                e->t_last = a.t_last;
            if (a.score > e->score) {
                e->field = a.field, e->expected = a.expected, e->actual = a.actual;
                e->score = a.score;
            }
            if (a.severity > e->severity)
                e->severity = a.severity;
            continue;
        }
        emit(out, cap, found++, &a);
    }
    return found;
}

json_t *ing_anomalies_to_json(const ing_anomaly_t *a, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        char ts[32];
        gf_time_format(a[i].t, ts, sizeof ts);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:f,s:f,s:f}", "type",
                              ing_anomaly_type_str(a[i].type), "severity",
                              ing_severity_str(a[i].severity), "region", a[i].region, "t", ts,
                              "expected", a[i].expected, "actual", a[i].actual, "score",
                              isfinite(a[i].score) ? a[i].score : 0.0);
        if (o && a[i].type == ING_AN_METER_IMPLAUSIBLE) {
            json_t *m = json_string(a[i].meter_id);
            json_object_set_new(o, "meter_id", m ? m : json_string("(invalid UTF-8)"));
            json_object_set_new(o, "field", json_string(a[i].field ? a[i].field : ""));
            char last[32];
            json_object_set_new(o, "first_seen", json_string(ts));
            json_object_set_new(o, "last_seen",
                                json_string(
                                    gf_time_format(a[i].t_last > a[i].t ? a[i].t_last : a[i].t,
                                                   last, sizeof last)));
            json_object_set_new(o, "count",
                                json_integer((json_int_t)(a[i].count ? a[i].count : 1)));
        }
        if (o)
            json_array_append_new(arr, o);
    }
    return arr;
}
