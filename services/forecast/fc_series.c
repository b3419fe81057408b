/*
 * fc_series.c - region history from Redis into a regular hourly grid (see fc_series.h).
 */
#include "fc_series.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "features/tz.h"

int fc_region_valid(const char *region)
{
    size_t n = 0;
    for (const char *p = region; *p; p++, n++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return n >= 1 && n <= 31;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

size_t fc_series_months(int64_t from, int64_t to, int *ym, size_t max)
{
    if (from >= to)
        return 0;
    int y, m, d, ly, lm;
    gf_feat_civil_from_days(floor_div(from, 86400), &y, &m, &d);
    gf_feat_civil_from_days(floor_div(to - 1, 86400), &ly, &lm, &d);
    size_t n = 0;
    while ((y < ly || (y == ly && m <= lm)) && n < max) {
        ym[n++] = y * 100 + m;
        if (++m == 13) {
            m = 1;
            y++;
        }
    }
    return n;
}

static int parse_num(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + len || errno != 0 || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_i64(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 19)
        return -1;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-') {
        neg = 1;
        i = 1;
        if (len == 1)
            return -1;
    }
    int64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

int fc_demand_value_parse(const char *s, size_t len, double *mw, double *temp)
{
    const char *comma = memchr(s, ',', len);
    size_t dl = comma ? (size_t)(comma - s) : len;
    *temp = NAN;
    if (parse_num(s, dl, mw) != 0)
        return -1;
    if (comma && len - dl - 1 > 0 && parse_num(comma + 1, len - dl - 1, temp) != 0)
        return -1;
    return 0;
}

int fc_series_alloc(gf_feat_series_t *s, int64_t t0, size_t n, gf_err_t *err)
{
    return gf_feat_series_alloc(s, t0, n, 1, err);
}

size_t fc_series_fill(gf_feat_series_t *s, const redisReply *r, int *with_temp, size_t *bad)
{
    size_t n = 0;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return 0;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *kf = r->element[i], *vf = r->element[i + 1];
        int64_t t;
        double mw, temp;
        if (kf->type != REDIS_REPLY_STRING || vf->type != REDIS_REPLY_STRING ||
            parse_i64(kf->str, kf->len, &t) != 0 ||
            fc_demand_value_parse(vf->str, vf->len, &mw, &temp) != 0) {
            if (bad)
                (*bad)++;
            continue;
        }
        long k = gf_feat_series_index(s, t);
        if (k < 0)
            continue;
        s->demand[k] = mw;
        if (s->temp)
            s->temp[k] = temp;
        if (with_temp && memchr(vf->str, ',', vf->len))
            *with_temp = 1;
        n++;
    }
    return n;
}

void fc_series_drop_temp(gf_feat_series_t *s)
{
    free(s->temp);
    s->temp = NULL;
}

int fc_region_range_sync(redisContext *c, const char *region, int64_t *first, int64_t *last,
                         gf_err_t *err)
{
    redisReply *r = redisCommand(c, "HMGET gf:region:{%s} first last", region);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        if (r)
            freeReplyObject(r);
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "Redis: %s",
                          c->err ? c->errstr : "error reply");
    }
    int rc = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING ||
        parse_i64(r->element[0]->str, r->element[0]->len, first) != 0 ||
        parse_i64(r->element[1]->str, r->element[1]->len, last) != 0)
        rc = gf_err_set(err, GF_ENOTFOUND, "unknown_region", "region '%s' has no demand data",
                        region);
    freeReplyObject(r);
    return rc;
}

int fc_series_load_sync(redisContext *c, const char *region, int64_t from, int64_t to,
                        gf_feat_series_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (!fc_region_valid(region))
        return gf_err_set(err, GF_EINVAL, "bad_region", "region '%.40s' is not valid", region);
    if (from % 3600 || to % 3600 || to <= from || (to - from) / 3600 > 24 * 366 * 20)
        return gf_err_set(err, GF_EINVAL, "bad_range", "bad hour range");
    int64_t first, last;
    int rc = fc_region_range_sync(c, region, &first, &last, err);
    if (rc)
        return rc;
    rc = fc_series_alloc(out, from, (size_t)((to - from) / 3600), err);
    if (rc)
        return rc;
    int ym[24 * 20 + 2];
    size_t nm = fc_series_months(from, to, ym, sizeof ym / sizeof ym[0]);
    int with_temp = 0;
    for (size_t i = 0; i < nm; i++) {
        redisReply *r = redisCommand(c, "HGETALL gf:demand:{%s}:%06d", region, ym[i]);
        if (r == NULL || r->type == REDIS_REPLY_ERROR) {
            if (r)
                freeReplyObject(r);
            gf_feat_series_cleanup(out);
            return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "Redis: %s",
                              c->err ? c->errstr : "error reply");
        }
        fc_series_fill(out, r, &with_temp, NULL);
        freeReplyObject(r);
    }
    if (!with_temp)
        fc_series_drop_temp(out);
    return 0;
}

double fc_series_peak(const gf_feat_series_t *s, int64_t from, int64_t to)
{
    double peak = NAN;
    for (size_t i = 0; i < s->n; i++) {
        int64_t t = s->t0 + 3600 * (int64_t)i;
        if (t < from || t >= to || isnan(s->demand[i]))
            continue;
        if (isnan(peak) || s->demand[i] > peak)
            peak = s->demand[i];
    }
    return peak;
}
