/*
 * demand.c - the stored demand history reader (see features/demand.h).
 *
 * A load checks its arguments, then sends HMGET gf:region:{R} and one HGETALL per month. When
 * an end of the range comes from gf:region:{R} the HMGET is answered first (the months depend
 * on it); otherwise all go in one pipeline of the kit's handle (core/rcluster.h), which reads
 * every reply, so the handle stays usable after an error reply.
 * Entries are decoded into one scratch array, sorted by hour and split into the caller's
 * arrays. A month hash holds each hour once and an entry outside its month is malformed, so
 * the hours come out strictly ascending.
 */
#include "features/demand.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/region.h"
#include "core/util.h"
#include "feat_internal.h"
#include "features/tz.h"

#define KEY_MAX 96

typedef struct point {
    int64_t hour;
    double mw, temp;
} point_t;

/* ------------------------------------------------------------------ syntax */

int64_t feat_floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

int gf_feat_demand_stamp_parse(const char *s, size_t len, int64_t *out)
{
    size_t i = s != NULL && len > 0 && s[0] == '-';
    if (s == NULL || i == len || len - i > 19 || (s[i] == '0' && (len - i > 1 || i == 1)))
        return -1; /* empty, too long, a leading zero, "-0" */
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits stay below 2^64 */
    }
    int neg = s[0] == '-';
    if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
        return -1;
    *out = neg ? -(int64_t)(v - 1) - 1 : (int64_t)v;
    return 0;
}

/* A finite decimal of exactly n bytes: digits, '.', sign, exponent; no hex, inf, nan, blank. */
int feat_parse_decimal(const char *s, size_t n, double *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '+' || ch == 'e' ||
              ch == 'E'))
            return -1;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (end != buf + n || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int gf_feat_demand_entry_parse(const redisReply *field, const redisReply *value, int64_t *hour,
                               double *mw, double *temp, int *with_temp)
{
    int64_t h;
    double d, t = NAN;
    if (field == NULL || value == NULL || field->type != REDIS_REPLY_STRING ||
        value->type != REDIS_REPLY_STRING ||
        gf_feat_demand_stamp_parse(field->str, field->len, &h) != 0 || h % 3600 != 0)
        return -1;
    const char *s = value->str;
    const char *comma = memchr(s, ',', value->len);
    size_t dn = comma ? (size_t)(comma - s) : value->len;
    if (feat_parse_decimal(s, dn, &d) != 0 ||
        (comma && value->len - dn > 1 &&
         feat_parse_decimal(comma + 1, value->len - dn - 1, &t) != 0))
        return -1;
    *hour = h;
    *mw = d;
    *temp = t;
    if (with_temp)
        *with_temp = comma != NULL;
    return 0;
}

/* ------------------------------------------------------------------ keys */

/* Start of the UTC month holding t; *ym = YYYY*100+MM of it (the year clamped to 0..9999 as
 * the writer's keys have always been). */
int64_t feat_month_of(int64_t t, int *ym)
{
    int y, m, d;
    gf_feat_civil_from_days(feat_floor_div(t, 86400), &y, &m, &d);
    *ym = (y < 0 ? 0 : y % 10000) * 100 + m;
    return gf_feat_days_from_civil(y, m, 1) * 86400;
}

char *gf_feat_demand_key(char *buf, size_t n, const char *region, int64_t t)
{
    int ym;
    feat_month_of(t, &ym);
    snprintf(buf, n, "gf:demand:{%s}:%06d", region, ym);
    return buf;
}

char *gf_feat_demand_region_key(char *buf, size_t n, const char *region)
{
    snprintf(buf, n, "gf:region:{%s}", region);
    return buf;
}

char *gf_feat_demand_flags_key(char *buf, size_t n, const char *region)
{
    snprintf(buf, n, "gf:dflags:{%s}", region);
    return buf;
}

int64_t gf_feat_demand_month(int64_t t)
{
    int ym;
    return feat_month_of(t, &ym);
}

int64_t gf_feat_demand_month_next(int64_t t)
{
    int ym;
    return feat_month_of(feat_month_of(t, &ym) + 32 * 86400, &ym);
}

/* ------------------------------------------------------------------ load */

void gf_feat_demand_cleanup(gf_feat_demand_t *d)
{
    if (d == NULL)
        return;
    free(d->hour);
    free(d->demand_mw);
    free(d->temperature_c);
    memset(d, 0, sizeof *d);
}

/* A reply of the handle: NULL (err already says why: unreachable) or an error reply is a
 * failure of Redis, not of the data. */
int feat_reply_failed(const redisReply *r, const gf_err_t *why, gf_err_t *err)
{
    if (r == NULL)
        return gf_err_set(err, GF_EUNAVAIL, why->code[0] ? why->code : "redis_unavailable",
                          "redis: %s", why->message[0] ? why->message : "no reply");
    if (r->type == REDIS_REPLY_ERROR)
        return gf_err_set(err, GF_EUNAVAIL, "redis_error", "redis: %.200s", r->str);
    return 0;
}

/* The HMGET tz first last reply into d. */
static int take_region(gf_feat_demand_t *d, const redisReply *r, const char *key, gf_err_t *err)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3)
        return gf_err_set(err, GF_EINTERNAL, "bad_reply", "HMGET %s: unexpected reply", key);
    const redisReply *tz = r->element[0], *f = r->element[1], *l = r->element[2];
    if (tz->type == REDIS_REPLY_STRING)
        snprintf(d->tz, sizeof d->tz, "%s", tz->str);
    int64_t a, b;
    if (f->type == REDIS_REPLY_STRING && l->type == REDIS_REPLY_STRING &&
        gf_feat_demand_stamp_parse(f->str, f->len, &a) == 0 &&
        gf_feat_demand_stamp_parse(l->str, l->len, &b) == 0) {
        d->has_range = 1;
        d->first = a;
        d->last = b;
    }
    return 0;
}

/* HMGET gf:region:{R} tz first last into d. */
static int read_region(gf_rcluster_t *c, gf_feat_demand_t *d, const char *key, gf_err_t *err)
{
    gf_err_t e = {0};
    redisReply *r = gf_rcluster_cmd(c, &e, "HMGET %s tz first last", key);
    int rc = feat_reply_failed(r, &e, err);
    if (rc == 0)
        rc = take_region(d, r, key, err);
    if (r)
        freeReplyObject(r);
    gf_err_cleanup(&e);
    return rc;
}

/* Decode one month's HGETALL (the month [m0, m1) of `key`), keeping hours in [from, to). */
static int take_month(gf_feat_demand_t *d, const redisReply *r, const char *key, int64_t m0,
                      int64_t m1, int64_t from, int64_t to, unsigned flags, point_t **pts,
                      size_t *cap, gf_err_t *err)
{
    if (r->type != REDIS_REPLY_ARRAY)
        return gf_err_set(err, GF_EINTERNAL, "bad_reply", "HGETALL %s: unexpected reply", key);
    for (size_t k = 0; k + 1 < r->elements; k += 2) {
        point_t p;
        int wt = 0;
        if (gf_feat_demand_entry_parse(r->element[k], r->element[k + 1], &p.hour, &p.mw, &p.temp,
                                       &wt) != 0 ||
            p.hour < m0 || p.hour >= m1) {
            if (flags & GF_FEAT_DEMAND_SKIP_BAD) {
                d->n_bad++;
                continue;
            }
            const redisReply *f = r->element[k];
            return gf_err_set(err, GF_EINTERNAL, "bad_stored_value", "%s: malformed entry '%.40s'",
                              key, f->type == REDIS_REPLY_STRING ? f->str : "(not a string)");
        }
        if (p.hour < from || p.hour >= to)
            continue;
        if (d->n == *cap) {
            *cap = *cap ? *cap * 2 : 1024;
            *pts = gf_xrealloc(*pts, *cap * sizeof **pts);
        }
        (*pts)[d->n++] = p;
        d->with_temp |= wt;
    }
    return 0;
}

static int cmp_point(const void *a, const void *b)
{
    int64_t x = ((const point_t *)a)->hour, y = ((const point_t *)b)->hour;
    return (x > y) - (x < y);
}

static int in_bounds(int64_t t)
{
    return t >= GF_FEAT_DEMAND_T_MIN && t <= GF_FEAT_DEMAND_T_END;
}

int gf_feat_demand_info(gf_rcluster_t *c, const char *region, gf_feat_demand_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (!gf_region_valid(region))
        return gf_err_set(err, GF_EINVAL, "bad_region", "region '%.40s' is not valid", region);
    char rkey[KEY_MAX];
    int rc = read_region(c, out, gf_feat_demand_region_key(rkey, sizeof rkey, region), err);
    if (rc != 0)
        gf_feat_demand_cleanup(out);
    return rc;
}

int gf_feat_demand_load(gf_rcluster_t *c, const char *region, int64_t from, int64_t to,
                        unsigned flags, gf_feat_demand_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (!gf_region_valid(region))
        return gf_err_set(err, GF_EINVAL, "bad_region", "region '%.40s' is not valid", region);
    int open_from = from == GF_FEAT_DEMAND_FIRST, open_to = to == GF_FEAT_DEMAND_LAST;
    if ((!open_from && !in_bounds(from)) || (!open_to && !in_bounds(to)) ||
        (!open_from && !open_to && (to <= from || to - from > GF_FEAT_DEMAND_MAX_SPAN)))
        return gf_err_set(err, GF_EINVAL, "bad_range",
                          "need from < to within years 1-9999 and at most 20 years apart");

    char rkey[KEY_MAX], key[KEY_MAX];
    gf_feat_demand_region_key(rkey, sizeof rkey, region);
    int rc = 0;
    gf_rcluster_pipe_t *p = NULL;
    redisReply **rep = NULL;
    size_t nrep = 0;
    point_t *pts = NULL;
    size_t cap = 0;
    gf_err_t e = {0};
    if (open_from || open_to) {
        if ((rc = read_region(c, out, rkey, err)) != 0)
            goto out;
        if (!out->has_range) {
            rc = gf_err_set(err, GF_ENOTFOUND, "unknown_region", "region '%s' has no stored range",
                            region);
            goto out;
        }
        if (open_from)
            from = out->first;
        if (open_to)
            to = in_bounds(out->last) ? out->last + 3600 : out->last;
        if (!in_bounds(from) || !in_bounds(to) || to <= from ||
            to - from > GF_FEAT_DEMAND_MAX_SPAN) {
            rc = gf_err_set(err, GF_ENOTFOUND, "unknown_region", "region '%s' has no usable range",
                            region);
            goto out;
        }
    }

    /* One pipeline: the region entry (unless read above), then one HGETALL per month. Every
     * key has the tag {R}: on a cluster they all go to the master of that one slot. */
    p = gf_rcluster_pipe_new(c);
    size_t first_month = 0;
    if (!open_from && !open_to) {
        const char *hmget[] = {"HMGET", rkey, "tz", "first", "last"};
        const size_t lens[] = {5, strlen(rkey), 2, 5, 4};
        if ((rc = gf_rcluster_pipe_add(p, 5, hmget, lens, err)) != 0)
            goto out;
        first_month = 1;
    }
    for (int64_t m = gf_feat_demand_month(from); m < to; m = gf_feat_demand_month_next(m)) {
        const char *argv[] = {"HGETALL", gf_feat_demand_key(key, sizeof key, region, m)};
        const size_t lens[] = {7, strlen(key)};
        if ((rc = gf_rcluster_pipe_add(p, 2, argv, lens, err)) != 0)
            goto out;
    }
    nrep = gf_rcluster_pipe_len(p);
    int xrc = gf_rcluster_pipe_exec(p, &rep, &e);
    if (first_month && (rc = feat_reply_failed(rep[0], &e, err)) == 0)
        rc = take_region(out, rep[0], rkey, err);
    int64_t m0 = gf_feat_demand_month(from);
    for (size_t i = first_month; rc == 0 && i < nrep; i++) {
        int64_t m1 = gf_feat_demand_month_next(m0);
        if ((rc = feat_reply_failed(rep[i], &e, err)) == 0)
            rc = take_month(out, rep[i], gf_feat_demand_key(key, sizeof key, region, m0), m0, m1,
                            from, to, flags, &pts, &cap, err);
        m0 = m1;
    }
    if (rc == 0 && xrc != 0) /* every reply read said nothing, yet one was missing */
        rc = gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "redis: %s", e.message);
    if (rc == 0 && out->n > 0) {
        qsort(pts, out->n, sizeof *pts, cmp_point);
        out->hour = gf_xmalloc(out->n * sizeof *out->hour);
        out->demand_mw = gf_xmalloc(out->n * sizeof *out->demand_mw);
        out->temperature_c = gf_xmalloc(out->n * sizeof *out->temperature_c);
        for (size_t i = 0; i < out->n; i++) {
            out->hour[i] = pts[i].hour;
            out->demand_mw[i] = pts[i].mw;
            out->temperature_c[i] = pts[i].temp;
        }
    }
out:
    free(pts);
    if (rep)
        gf_rcluster_replies_free(rep, nrep);
    gf_rcluster_pipe_free(p);
    gf_err_cleanup(&e);
    if (rc != 0)
        gf_feat_demand_cleanup(out);
    return rc;
}
