/*
 * ing_regions.c - regions table: CSV loader, sorted lookup, metadata save (ing_regions.h).
 */
#include "ing_regions.h"
#include "core/util.h"

#include "ing_csv.h"
#include "ing_keys.h"
#include "core/region.h"

#include "core/redis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ing_regions_init(ing_regions_t *t)
{
    memset(t, 0, sizeof *t);
}

void ing_regions_cleanup(ing_regions_t *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

/* Index of the first entry >= code. */
static size_t lower_bound(const ing_regions_t *t, const char *code, size_t len)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *c = t->v[mid].code;
        size_t cl = strlen(c);
        int r = memcmp(c, code, cl < len ? cl : len);
        if (r == 0)
            r = cl < len ? -1 : cl > len ? 1 : 0;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const ing_region_t *ing_regions_find(const ing_regions_t *t, const char *code, size_t len)
{
    size_t i = lower_bound(t, code, len);
    if (i < t->n && strlen(t->v[i].code) == len && memcmp(t->v[i].code, code, len) == 0)
        return &t->v[i];
    return NULL;
}

int ing_regions_add(ing_regions_t *t, const char *code, const char *name, const char *tz,
                    gf_err_t *err)
{
    size_t len = strlen(code);
    if (!gf_region_valid_n(code, len))
        return gf_err_set(err, GF_EINVAL, "invalid_region_code",
                          "region code must be 1-16 characters of A-Z a-z 0-9 _ -");
    size_t i = lower_bound(t, code, len);
    if (!(i < t->n && strcmp(t->v[i].code, code) == 0)) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 64;
            ing_region_t *v = gf_xrealloc(t->v, cap * sizeof *v);
            t->v = v;
            t->cap = cap;
        }
        memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof *t->v);
        t->n++;
        memset(&t->v[i], 0, sizeof t->v[i]);
        memcpy(t->v[i].code, code, len + 1);
    }
    snprintf(t->v[i].name, sizeof t->v[i].name, "%s", name ? name : "");
    snprintf(t->v[i].tz, sizeof t->v[i].tz, "%s", tz ? tz : "");
    return 0;
}

/* ------------------------------------------------------------------ CSV loading */

struct load_ctx {
    ing_regions_t *t;
    gf_err_t *err;
    int col_code, col_name, col_tz;
    int header_done;
};

static void field_str(const ing_csv_field_t *f, char *out, size_t cap)
{
    size_t n = f->n < cap - 1 ? f->n : cap - 1;
    memcpy(out, f->p, n);
    out[n] = '\0';
}

static int on_region_record(void *ud, size_t line, const ing_csv_field_t *f, size_t nf,
                            const char *cerr)
{
    struct load_ctx *c = ud;
    if (cerr)
        return gf_err_set(c->err, GF_EINVAL, "bad_regions_file", "line %zu: %s", line, cerr);
    if (!c->header_done) {
        c->col_code = c->col_name = c->col_tz = -1;
        for (size_t i = 0; i < nf; i++) {
            char h[64];
            field_str(&f[i], h, sizeof h);
            if (strcmp(h, "region") == 0 || strcmp(h, "code") == 0)
                c->col_code = (int)i;
            else if (strcmp(h, "name") == 0)
                c->col_name = (int)i;
            else if (strcmp(h, "iana_time_zone") == 0 || strcmp(h, "tz") == 0)
                c->col_tz = (int)i;
        }
        if (c->col_code < 0)
            return gf_err_set(c->err, GF_EINVAL, "bad_regions_file",
                              "line %zu: header has no 'region' or 'code' column", line);
        c->header_done = 1;
        return 0;
    }
    char code[64], name[128] = "", tz[64] = "";
    if ((size_t)c->col_code >= nf)
        return gf_err_set(c->err, GF_EINVAL, "bad_regions_file", "line %zu: missing code", line);
    field_str(&f[c->col_code], code, sizeof code);
    if (c->col_name >= 0 && (size_t)c->col_name < nf)
        field_str(&f[c->col_name], name, sizeof name);
    if (c->col_tz >= 0 && (size_t)c->col_tz < nf)
        field_str(&f[c->col_tz], tz, sizeof tz);
    if (ing_regions_add(c->t, code, name, tz, NULL) != 0)
        return gf_err_set(c->err, GF_EINVAL, "bad_regions_file", "line %zu: invalid region code",
                          line);
    return 0;
}

int ing_regions_load_csv(ing_regions_t *t, const char *path, gf_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return gf_err_set(err, errno == ENOENT ? GF_ENOTFOUND : GF_EINVAL, "file_not_found",
                          "cannot open %s", path);
    struct load_ctx c = {.t = t, .err = err};
    ing_csv_t p;
    ing_csv_init(&p, on_region_record, &c);
    char buf[8192];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0)
        rc = ing_csv_feed(&p, buf, n);
    if (rc == 0)
        rc = ing_csv_finish(&p);
    if (rc == 0 && !c.header_done)
        rc = gf_err_set(err, GF_EINVAL, "bad_regions_file", "%s: empty file", path);
    ing_csv_cleanup(&p);
    fclose(f);
    return rc;
}

int ing_regions_save(gf_rcluster_t *c, const ing_regions_t *t, gf_err_t *err)
{
    gf_rcluster_pipe_t *p = gf_rcluster_pipe_new(c);
    int rc = 0;
    for (size_t i = 0; i < t->n && rc == 0; i++) {
        char key[64];
        const ing_region_t *r = &t->v[i];
        ing_key_region(key, sizeof key, r->code);
        const char *argv[] = {"HSET", key, "code", r->code, "name", r->name, "tz", r->tz};
        size_t len[8];
        for (int k = 0; k < 8; k++)
            len[k] = strlen(argv[k]);
        rc = gf_rcluster_pipe_add(p, 8, argv, len, err);
    }
    size_t n = gf_rcluster_pipe_len(p);
    redisReply **rep = NULL;
    if (rc == 0)
        rc = gf_rcluster_pipe_exec(p, &rep, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = gf_redis_reply_check(rep[i], err);
    gf_rcluster_replies_free(rep, n);
    gf_rcluster_pipe_free(p);
    return rc;
}

int ing_regions_check(const ing_regions_t *t, const char *region, gf_err_t *err)
{
    if (!gf_region_valid_n(region, strlen(region))) {
        gf_err_set(err, GF_EINVAL, "invalid_region", "region code is not valid");
        gf_err_add_field(err, "region", "1-16 of [A-Za-z0-9_-]");
        return err->rc;
    }
    if (ing_regions_find(t, region, strlen(region)) == NULL) {
        gf_err_set(err, GF_ENOTFOUND, "unknown_region", "region '%s' is not known", region);
        gf_err_add_field(err, "region", "see GET /v1/regions");
        return err->rc;
    }
    return 0;
}
