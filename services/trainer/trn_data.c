/*
 * trn_data.c - region history loaders (CSV and Redis) onto a regular hourly grid.
 *
 * Both loaders first collect (stamp, demand, temp) points, then place them on the grid
 * [first, last] so a gap stays NaN. A value that is not a finite number is refused
 * (bad_csv / bad_stored_value) rather than guessed; an empty temperature is NaN. Redis is
 * read by libs/features' gf_feat_demand_load, the reader the other services use as well.
 */
#include "trn_data.h"
#include "core/util.h"

#include "features/weather.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/demand.h"
#include "features/tz.h"

typedef struct {
    int64_t t;
    double demand, temp;
} point_t;

typedef struct {
    point_t *p;
    size_t n, cap;
    int with_temp;
} points_t;

static void points_push(points_t *ps, int64_t t, double demand, double temp)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 4096;
        point_t *np = gf_xrealloc(ps->p, cap * sizeof *np);
        ps->p = np;
        ps->cap = cap;
    }
    ps->p[ps->n++] = (point_t){t, demand, temp};
}

int trn_parse_stamp(const char *s, size_t len, int64_t *out)
{
    if (len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != 'Z')
        return -1;
    static const int pos[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
        if (s[pos[i]] < '0' || s[pos[i]] > '9')
            return -1;
#define D2(i) ((s[i] - '0') * 10 + (s[i + 1] - '0'))
    int y = D2(0) * 100 + D2(2), mo = D2(5), d = D2(8), h = D2(11), mi = D2(14), se = D2(17);
#undef D2
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
        return -1;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    *out = gf_feat_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

/* Strict number parse of s[0..len): finite, whole field consumed. */
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

/* Split a CSV line into up to max fields (no quotes in the data files). Returns count. */
static size_t split(char *line, const char **f, size_t *fl, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        char *c = strchr(p, ',');
        f[n] = p;
        fl[n] = c ? (size_t)(c - p) : strlen(p);
        n++;
        if (c == NULL)
            break;
        p = c + 1;
    }
    return n;
}

static void chomp(char *line)
{
    size_t l = strlen(line);
    while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
        line[--l] = '\0';
}

/* Put the points on the grid; fills d->series, d->n_values. */
static int to_grid(trn_data_t *d, points_t *ps, gf_err_t *err)
{
    int64_t first = INT64_MAX, last = INT64_MIN;
    for (size_t i = 0; i < ps->n; i++) {
        if (ps->p[i].t % 3600 != 0)
            return gf_err_set(err, GF_EINVAL, "bad_csv", "stamp %lld is not a whole hour",
                              (long long)ps->p[i].t);
        if (ps->p[i].t < first)
            first = ps->p[i].t;
        if (ps->p[i].t > last)
            last = ps->p[i].t;
    }
    if (ps->n == 0)
        return gf_err_set(err, GF_ENOTFOUND, "unknown_region", "no demand for region '%s'",
                          d->region);
    size_t n = (size_t)((last - first) / 3600 + 1);
    int rc = gf_feat_series_alloc(&d->series, first, n, ps->with_temp, err);
    if (rc)
        return rc;
    d->imputed = gf_xcalloc(n, 1);
    for (size_t i = 0; i < ps->n; i++) {
        size_t k = (size_t)((ps->p[i].t - first) / 3600);
        if (isnan(d->series.demand[k]))
            d->n_values++;
        d->series.demand[k] = ps->p[i].demand;
        if (d->series.temp)
            d->series.temp[k] = ps->p[i].temp;
    }
    return 0;
}

static int load_flags_csv(trn_data_t *d, const char *path, gf_err_t *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return gf_err_set(err, GF_EUNAVAIL, "io_error", "cannot open %s", path);
    char line[512];
    size_t rlen = strlen(d->region);
    long lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (lineno == 1)
            continue;
        chomp(line);
        const char *fld[4];
        size_t fl[4];
        if (split(line, fld, fl, 4) < 3)
            continue;
        if (fl[1] != rlen || memcmp(fld[1], d->region, rlen) != 0)
            continue;
        int64_t t;
        if (trn_parse_stamp(fld[0], fl[0], &t) != 0) {
            fclose(f);
            return gf_err_set(err, GF_EINVAL, "bad_csv", "%s:%ld: bad timestamp", path, lineno);
        }
        long k = gf_feat_series_index(&d->series, t);
        if (k >= 0 && !d->imputed[k]) {
            d->imputed[k] = 1;
            d->n_imputed++;
        }
    }
    fclose(f);
    return 0;
}

int trn_data_load_csv(trn_data_t *d, const char *csv_path, const char *flags_path,
                      const char *region, const char *tz, int64_t from, int64_t to, gf_err_t *err)
{
    memset(d, 0, sizeof *d);
    snprintf(d->region, sizeof d->region, "%s", region);
    snprintf(d->tz, sizeof d->tz, "%s", tz ? tz : "UTC");
    FILE *f = fopen(csv_path, "r");
    if (f == NULL)
        return gf_err_set(err, GF_EUNAVAIL, "io_error", "cannot open %s", csv_path);
    points_t ps = {0};
    char line[512];
    long lineno = 0;
    size_t rlen = strlen(region);
    int rc = 0, seen = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        chomp(line);
        if (lineno == 1) {
            ps.with_temp = strstr(line, "temperature_c") != NULL;
            continue;
        }
        /* fast reject: the region is the second field, after a 20-char stamp */
        if (strlen(line) <= 21 + rlen || strncmp(line + 21, region, rlen) != 0 ||
            line[21 + rlen] != ',') {
            if (seen)
                break; /* the file is sorted by region: our block is over */
            continue;
        }
        seen = 1;
        const char *fld[4];
        size_t fl[4];
        size_t nf = split(line, fld, fl, 4);
        int64_t t;
        double dem, temp = NAN;
        if (nf < 3 || trn_parse_stamp(fld[0], fl[0], &t) != 0 ||
            parse_num(fld[2], fl[2], &dem) != 0 ||
            (nf == 4 && fl[3] > 0 && parse_num(fld[3], fl[3], &temp) != 0)) {
            rc = gf_err_set(err, GF_EINVAL, "bad_csv", "%s:%ld: malformed row", csv_path, lineno);
            goto out;
        }
        if (t < from || t > to)
            continue;
        points_push(&ps, t, dem, temp);
    }
    if (ferror(f)) {
        rc = gf_err_set(err, GF_EUNAVAIL, "io_error", "read error on %s", csv_path);
        goto out;
    }
    rc = to_grid(d, &ps, err);
    if (rc == 0 && flags_path != NULL)
        rc = load_flags_csv(d, flags_path, err);
out:
    fclose(f);
    free(ps.p);
    if (rc)
        trn_data_cleanup(d);
    return rc;
}

int trn_region_tz_csv(const char *regions_csv, const char *region, char *tz, size_t len,
                      gf_err_t *err)
{
    FILE *f = fopen(regions_csv, "r");
    if (f == NULL)
        return gf_err_set(err, GF_EUNAVAIL, "io_error", "cannot open %s", regions_csv);
    char line[1024];
    int rc = gf_err_set(err, GF_ENOTFOUND, "unknown_region", "region '%s' is not known", region);
    while (fgets(line, sizeof line, f)) {
        chomp(line);
        /* quote-aware split: region,name,eia_time_zone,iana_time_zone,... */
        char fields[5][128];
        size_t nf = 0, k = 0;
        int q = 0;
        for (const char *p = line; nf < 5; p++) {
            if (*p == '"') {
                q = !q;
            } else if ((*p == ',' && !q) || *p == '\0') {
                fields[nf][k] = '\0';
                nf++;
                k = 0;
                if (*p == '\0')
                    break;
            } else if (k + 1 < sizeof fields[0]) {
                fields[nf][k++] = *p;
            }
        }
        if (nf >= 4 && strcmp(fields[0], region) == 0) {
            snprintf(tz, len, "%s", fields[3]);
            gf_err_cleanup(err);
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

int trn_data_load_bundled(trn_data_t *d, const char *dir, const char *region, gf_err_t *err)
{
    char eia[512], flags[512], regions[512], nyc[512], tz[64];
    snprintf(eia, sizeof eia, "%s/eia930_train.csv", dir);
    snprintf(flags, sizeof flags, "%s/eia930_train_flags.csv", dir);
    snprintf(regions, sizeof regions, "%s/eia930_regions.csv", dir);
    snprintf(nyc, sizeof nyc, "%s/nyc_train.csv", dir);
    if (strcmp(region, "NYC") == 0)
        return trn_data_load_csv(d, nyc, NULL, "NYC", "America/New_York", INT64_MIN, INT64_MAX,
                                 err);
    int rc = trn_region_tz_csv(regions, region, tz, sizeof tz, err);
    return rc ? rc : trn_data_load_csv(d, eia, flags, region, tz, INT64_MIN, INT64_MAX, err);
}

/* ------------------------------------------------------------------ Redis */

int trn_data_load_redis(trn_data_t *d, gf_rcluster_t *c, const char *region, int64_t from,
                        int64_t to, gf_err_t *err)
{
    memset(d, 0, sizeof *d);
    snprintf(d->region, sizeof d->region, "%s", region);
    redisReply *r = NULL;
    gf_feat_demand_t h;
    int rc = gf_feat_demand_load(c, region, from, to == INT64_MAX ? GF_FEAT_DEMAND_LAST : to + 1, 0,
                                 &h, err);
    if (rc == 0 && h.tz[0] == '\0')
        rc = gf_err_set(err, GF_ENOTFOUND, "unknown_region", "region '%s' is not known", region);
    if (rc == 0) {
        snprintf(d->tz, sizeof d->tz, "%s", h.tz);
        points_t ps = {.with_temp = h.with_temp};
        for (size_t i = 0; i < h.n; i++)
            points_push(&ps, h.hour[i], h.demand_mw[i], h.temperature_c[i]);
        rc = to_grid(d, &ps, err);
        free(ps.p);
    }
    gf_feat_demand_cleanup(&h);
    if (rc)
        goto out;
    char fkey[96];
    gf_err_t e = {0};
    r = gf_rcluster_cmd(c, &e, "HKEYS %s", gf_feat_demand_flags_key(fkey, sizeof fkey, region));
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        rc = gf_err_set(err, GF_EUNAVAIL, r ? "redis_error" : "redis_unavailable", "redis: %.200s",
                        r ? r->str : e.message);
        gf_err_cleanup(&e);
        goto out;
    }
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        int64_t t;
        if (r->element[i]->type != REDIS_REPLY_STRING ||
            gf_feat_demand_stamp_parse(r->element[i]->str, r->element[i]->len, &t) != 0)
            continue;
        long k = gf_feat_series_index(&d->series, t);
        if (k >= 0 && !d->imputed[k]) {
            d->imputed[k] = 1;
            d->n_imputed++;
        }
    }
out:
    if (r)
        freeReplyObject(r);
    if (rc)
        trn_data_cleanup(d);
    return rc;
}

void trn_data_cleanup(trn_data_t *d)
{
    if (d == NULL)
        return;
    gf_feat_series_cleanup(&d->series);
    free(d->imputed);
    gf_feat_tfc_cleanup(d->tfc);
    free(d->tfc);
    memset(d, 0, sizeof *d);
}
