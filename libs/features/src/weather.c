/*
 * weather.c - stored temperature observations and forecasts (see features/weather.h).
 *
 * A load sends one HGETALL per month of gf:tobs:{R} and one per day of gf:tfc:{R} in one
 * pipeline and reads every reply, even after an error, so the context stays in step (as
 * demand.c does). Entries outside the hash's month/day are malformed.
 */
#include "features/weather.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/region.h"
#include "core/util.h"
#include "feat_internal.h"
#include "features/demand.h"
#include "features/features.h"
#include "features/tz.h"

#define KEY_MAX 96

/* ------------------------------------------------------------------ forecasts in memory */

void gf_feat_tfc_push(gf_feat_tfc_t *f, int64_t target, int64_t issued, double temp_c)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 256;
        f->target = gf_xrealloc(f->target, f->cap * sizeof *f->target);
        f->issued = gf_xrealloc(f->issued, f->cap * sizeof *f->issued);
        f->temp_c = gf_xrealloc(f->temp_c, f->cap * sizeof *f->temp_c);
    }
    f->target[f->n] = target;
    f->issued[f->n] = issued;
    f->temp_c[f->n] = temp_c;
    f->n++;
}

typedef struct {
    int64_t target, issued;
    double t;
    size_t seq;
} tfc_ent_t;

static int cmp_ent(const void *a, const void *b)
{
    const tfc_ent_t *x = a, *y = b;
    if (x->target != y->target)
        return x->target < y->target ? -1 : 1;
    if (x->issued != y->issued)
        return x->issued < y->issued ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

void gf_feat_tfc_sort(gf_feat_tfc_t *f)
{
    if (f->n == 0)
        return;
    tfc_ent_t *e = gf_xmalloc(f->n * sizeof *e);
    for (size_t i = 0; i < f->n; i++)
        e[i] = (tfc_ent_t){f->target[i], f->issued[i], f->temp_c[i], i};
    qsort(e, f->n, sizeof *e, cmp_ent);
    size_t k = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (k > 0 && f->target[k - 1] == e[i].target && f->issued[k - 1] == e[i].issued)
            k--; /* the later push of an equal pair wins */
        f->target[k] = e[i].target;
        f->issued[k] = e[i].issued;
        f->temp_c[k] = e[i].t;
        k++;
    }
    f->n = k;
    free(e);
}

void gf_feat_tfc_cleanup(gf_feat_tfc_t *f)
{
    if (f == NULL)
        return;
    free(f->target);
    free(f->issued);
    free(f->temp_c);
    memset(f, 0, sizeof *f);
}

double gf_feat_tfc_at(const gf_feat_tfc_t *f, int64_t target, int64_t asof, int64_t *issued)
{
    if (issued)
        *issued = 0;
    if (f == NULL || f->n == 0)
        return NAN;
    /* First entry with (target, issued) >= (target, asof): the one before it, when it has the
     * same target, is the latest issue strictly before asof. */
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->target[mid] < target || (f->target[mid] == target && f->issued[mid] < asof))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || f->target[lo - 1] != target)
        return NAN;
    if (issued)
        *issued = f->issued[lo - 1];
    return f->temp_c[lo - 1];
}

/* ------------------------------------------------------------------ syntax and keys */

static int temp_value(const redisReply *v, double *t)
{
    return v != NULL && v->type == REDIS_REPLY_STRING &&
                   feat_parse_decimal(v->str, v->len, t) == 0 && *t >= GF_FEAT_TEMP_MIN_C &&
                   *t <= GF_FEAT_TEMP_MAX_C
               ? 0
               : -1;
}

int gf_feat_tobs_entry_parse(const redisReply *field, const redisReply *value, int64_t *hour,
                             double *temp_c)
{
    int64_t h;
    double t;
    if (field == NULL || field->type != REDIS_REPLY_STRING ||
        gf_feat_demand_stamp_parse(field->str, field->len, &h) != 0 || h % 3600 != 0 ||
        temp_value(value, &t) != 0)
        return -1;
    *hour = h;
    *temp_c = t;
    return 0;
}

int gf_feat_tfc_field_parse(const char *s, size_t len, int64_t *target, int64_t *issued)
{
    const char *colon = s ? memchr(s, ':', len) : NULL;
    if (colon == NULL)
        return -1;
    size_t a = (size_t)(colon - s);
    int64_t t, i;
    if (gf_feat_demand_stamp_parse(s, a, &t) != 0 || t % 3600 != 0 ||
        gf_feat_demand_stamp_parse(colon + 1, len - a - 1, &i) != 0)
        return -1;
    *target = t;
    *issued = i;
    return 0;
}

int gf_feat_tfc_entry_parse(const redisReply *field, const redisReply *value, int64_t *target,
                            int64_t *issued, double *temp_c)
{
    int64_t t, i;
    double v;
    if (field == NULL || field->type != REDIS_REPLY_STRING ||
        gf_feat_tfc_field_parse(field->str, field->len, &t, &i) != 0 || temp_value(value, &v) != 0)
        return -1;
    *target = t;
    *issued = i;
    *temp_c = v;
    return 0;
}

static int64_t day_of(int64_t t, int *ymd)
{
    int64_t day = feat_floor_div(t, 86400);
    int y, m, d;
    gf_feat_civil_from_days(day, &y, &m, &d);
    *ymd = ((y < 0 ? 0 : y % 10000) * 100 + m) * 100 + d;
    return day * 86400;
}

char *gf_feat_tobs_key(char *buf, size_t n, const char *region, int64_t hour)
{
    int ym;
    feat_month_of(hour, &ym);
    snprintf(buf, n, "gf:tobs:{%s}:%06d", region, ym);
    return buf;
}

char *gf_feat_tfc_key(char *buf, size_t n, const char *region, int64_t target)
{
    int ymd;
    day_of(target, &ymd);
    snprintf(buf, n, "gf:tfc:{%s}:%08d", region, ymd);
    return buf;
}

char *gf_feat_temp_meta_key(char *buf, size_t n, const char *region)
{
    snprintf(buf, n, "gf:temp:{%s}", region);
    return buf;
}

/* ------------------------------------------------------------------ load */

void gf_feat_temp_cleanup(gf_feat_temp_t *t)
{
    if (t == NULL)
        return;
    free(t->hour);
    free(t->temp_c);
    gf_feat_tfc_cleanup(&t->fc);
    memset(t, 0, sizeof *t);
}

typedef struct {
    int64_t hour;
    double t;
} obs_t;

static int cmp_obs(const void *a, const void *b)
{
    int64_t x = ((const obs_t *)a)->hour, y = ((const obs_t *)b)->hour;
    return (x > y) - (x < y);
}

static int bad_entry(gf_feat_temp_t *out, unsigned flags, const char *key, const redisReply *f,
                     gf_err_t *err)
{
    if (flags & GF_FEAT_DEMAND_SKIP_BAD) {
        out->n_bad++;
        return 0;
    }
    return gf_err_set(err, GF_EINTERNAL, "bad_stored_value", "%s: malformed entry '%.40s'", key,
                      f && f->type == REDIS_REPLY_STRING ? f->str : "(not a string)");
}

int gf_feat_temp_load(gf_rcluster_t *c, const char *region, int64_t from, int64_t to,
                      unsigned flags, gf_feat_temp_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (!gf_region_valid(region))
        return gf_err_set(err, GF_EINVAL, "bad_region", "region '%.40s' is not valid", region);
    if (from % 3600 != 0 || to % 3600 != 0 || to <= from || to - from > GF_FEAT_TEMP_MAX_SPAN ||
        from < GF_FEAT_DEMAND_T_MIN || to > GF_FEAT_DEMAND_T_END)
        return gf_err_set(err, GF_EINVAL, "bad_range",
                          "need whole hours from < to within years 1-9999, at most 5 years apart");
    /* One pipeline of HGETALLs: the months of observations, then the days of forecasts. All
     * keys carry the tag {R}: on a cluster the pipeline goes to one master. */
    char key[KEY_MAX];
    size_t nmonths = 0, n = 0;
    int ym, rc = 0;
    gf_rcluster_pipe_t *p = gf_rcluster_pipe_new(c);
    for (int64_t m = feat_month_of(from, &ym); m < to && rc == 0;
         m = feat_month_of(m + 32 * 86400, &ym)) {
        const char *argv[] = {"HGETALL", gf_feat_tobs_key(key, sizeof key, region, m)};
        const size_t lens[] = {7, strlen(key)};
        rc = gf_rcluster_pipe_add(p, 2, argv, lens, err);
        nmonths++;
    }
    for (int64_t d = day_of(from, &ym); d < to && rc == 0; d += 86400) {
        const char *argv[] = {"HGETALL", gf_feat_tfc_key(key, sizeof key, region, d)};
        const size_t lens[] = {7, strlen(key)};
        rc = gf_rcluster_pipe_add(p, 2, argv, lens, err);
    }
    redisReply **rep = NULL;
    gf_err_t e = {0};
    if (rc == 0) {
        n = gf_rcluster_pipe_len(p);
        if (gf_rcluster_pipe_exec(p, &rep, &e) != 0 && n == 0)
            rc = feat_reply_failed(NULL, &e, err);
    }
    obs_t *obs = NULL;
    size_t cap = 0;
    int64_t m0 = feat_month_of(from, &ym), d0 = day_of(from, &ym);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int is_obs = i < nmonths;
        int64_t k0 = is_obs ? m0 : d0;
        int64_t k1 = is_obs ? feat_month_of(m0 + 32 * 86400, &ym) : d0 + 86400;
        if (is_obs)
            gf_feat_tobs_key(key, sizeof key, region, k0);
        else
            gf_feat_tfc_key(key, sizeof key, region, k0);
        redisReply *r = rep[i];
        if ((rc = feat_reply_failed(r, &e, err)) == 0 && r->type != REDIS_REPLY_ARRAY)
            rc = gf_err_set(err, GF_EINTERNAL, "bad_reply", "HGETALL %s: unexpected reply", key);
        for (size_t k = 0; rc == 0 && k + 1 < r->elements; k += 2) {
            int64_t h, iss;
            double t;
            int bad = is_obs
                          ? gf_feat_tobs_entry_parse(r->element[k], r->element[k + 1], &h, &t)
                          : gf_feat_tfc_entry_parse(r->element[k], r->element[k + 1], &h, &iss, &t);
            if (bad || h < k0 || h >= k1) {
                rc = bad_entry(out, flags, key, r->element[k], err);
                continue;
            }
            if (h < from || h >= to)
                continue;
            if (!is_obs) {
                gf_feat_tfc_push(&out->fc, h, iss, t);
                continue;
            }
            if (out->n == cap) {
                cap = cap ? cap * 2 : 1024;
                obs = gf_xrealloc(obs, cap * sizeof *obs);
            }
            obs[out->n++] = (obs_t){h, t};
        }
        if (is_obs)
            m0 = k1;
        else
            d0 = k1;
    }
    if (rep)
        gf_rcluster_replies_free(rep, n);
    gf_rcluster_pipe_free(p);
    gf_err_cleanup(&e);
    if (rc == 0) {
        gf_feat_tfc_sort(&out->fc);
        if (out->n > 0) {
            qsort(obs, out->n, sizeof *obs, cmp_obs);
            out->hour = gf_xmalloc(out->n * sizeof *out->hour);
            out->temp_c = gf_xmalloc(out->n * sizeof *out->temp_c);
            for (size_t i = 0; i < out->n; i++) {
                out->hour[i] = obs[i].hour;
                out->temp_c[i] = obs[i].t;
            }
        }
    }
    free(obs);
    if (rc != 0)
        gf_feat_temp_cleanup(out);
    return rc;
}

size_t gf_feat_series_put_temp(gf_feat_series_t *s, const gf_feat_temp_t *t)
{
    size_t set = 0;
    for (size_t i = 0; i < t->n; i++) {
        long k = gf_feat_series_index(s, t->hour[i]);
        if (k < 0)
            continue;
        if (s->temp == NULL) {
            s->temp = gf_xmalloc((s->n ? s->n : 1) * sizeof *s->temp);
            for (size_t j = 0; j < s->n; j++)
                s->temp[j] = NAN;
        }
        s->temp[k] = t->temp_c[i];
        set++;
    }
    return set;
}
