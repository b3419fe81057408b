/*
 * tz.c - a small TZif reader (RFC 8536) for local calendar features.
 *
 * Why our own reader: localtime_r() consults the process-wide TZ, so converting in several
 * zones at once would need setenv("TZ") + tzset(), which is neither thread-safe nor cheap.
 * Reading the TZif file ourselves gives an immutable per-zone table that any thread can query.
 * We read the version-2+ 64-bit block when present (else the 32-bit one) and the footer's
 * POSIX TZ rule (only the "Mm.w.d" form, which every North American zone uses) for instants
 * after the last stored transition. Leap-second records are skipped (zoneinfo "right/" zones
 * are not used). Bounds are checked against the buffer length before every read.
 */
#include "features/tz.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t utoff;
    int isdst;
} tz_type_t;

typedef struct {
    int month, week, wday; /* Mm.w.d: week 1-5 (5 = last), wday 0 = Sunday */
    int32_t secs;          /* local time of day of the change, seconds */
} tz_rule_date_t;

struct gf_feat_tz {
    char name[64];
    size_t ntrans;
    int64_t *trans;     /* ascending UTC instants */
    unsigned char *idx; /* type index in force from trans[i] */
    size_t ntypes;
    tz_type_t *types;
    int has_rule;             /* footer rule usable after the last transition */
    int32_t std_off, dst_off; /* seconds east of UTC */
    int rule_has_dst;
    tz_rule_date_t start, end;
};

/* ------------------------------------------------------------------ civil dates */

int64_t gf_feat_days_from_civil(int y, int m, int d)
{
    /* H. Hinnant's days_from_civil. */
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void gf_feat_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (mm <= 2));
    *m = mm;
    *d = dd;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* ------------------------------------------------------------------ POSIX TZ footer */

static const char *parse_name(const char *p)
{
    if (*p == '<') {
        p++;
        while (*p && *p != '>')
            p++;
        return *p == '>' ? p + 1 : NULL;
    }
    const char *s = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] -> seconds; hours up to 167 (RFC 8536 extension). */
static const char *parse_hms(const char *p, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
    }
    if (*p < '0' || *p > '9')
        return NULL;
    int32_t h = 0, mi = 0, se = 0;
    while (*p >= '0' && *p <= '9' && h < 1000)
        h = h * 10 + (*p++ - '0');
    if (h > 167)
        return NULL;
    if (*p == ':') {
        p++;
        if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
            return NULL;
        mi = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
        if (*p == ':') {
            p++;
            if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
                return NULL;
            se = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
        }
    }
    *out = sign * (h * 3600 + mi * 60 + se);
    return p;
}

static const char *parse_int(const char *p, int *out, int lo, int hi)
{
    if (*p < '0' || *p > '9')
        return NULL;
    int v = 0;
    while (*p >= '0' && *p <= '9' && v <= hi)
        v = v * 10 + (*p++ - '0');
    if (v < lo || v > hi)
        return NULL;
    *out = v;
    return p;
}

static const char *parse_rule_date(const char *p, tz_rule_date_t *rd)
{
    if (*p != 'M')
        return NULL; /* Jn and n forms are not used by the zones we serve */
    p++;
    if (!(p = parse_int(p, &rd->month, 1, 12)) || *p++ != '.')
        return NULL;
    if (!(p = parse_int(p, &rd->week, 1, 5)) || *p++ != '.')
        return NULL;
    if (!(p = parse_int(p, &rd->wday, 0, 6)))
        return NULL;
    rd->secs = 7200;
    if (*p == '/') {
        if (!(p = parse_hms(p + 1, &rd->secs)))
            return NULL;
    }
    return p;
}

/* Fill tz's rule fields from a footer like "EST5EDT,M3.2.0,M11.1.0"; 0 or -1. */
static int parse_footer(struct gf_feat_tz *tz, const char *s)
{
    const char *p = parse_name(s);
    int32_t off;
    if (p == NULL || !(p = parse_hms(p, &off)))
        return -1;
    tz->std_off = -off; /* POSIX offsets are positive west */
    tz->rule_has_dst = 0;
    if (*p == '\0')
        return 0;
    if (!(p = parse_name(p)))
        return -1;
    tz->dst_off = tz->std_off + 3600;
    if (*p != ',' && *p != '\0') {
        if (!(p = parse_hms(p, &off)))
            return -1;
        tz->dst_off = -off;
    }
    if (*p != ',')
        return -1; /* DST without a rule: no default rule supported */
    if (!(p = parse_rule_date(p + 1, &tz->start)) || *p != ',')
        return -1;
    if (!(p = parse_rule_date(p + 1, &tz->end)) || *p != '\0')
        return -1;
    tz->rule_has_dst = 1;
    return 0;
}

/* Local seconds-since-epoch (as if UTC) of a rule date in `year`. */
static int64_t rule_local(const tz_rule_date_t *rd, int year)
{
    int64_t first = gf_feat_days_from_civil(year, rd->month, 1);
    /* weekday with 0 = Sunday: 1970-01-01 was a Thursday (4) */
    int wd_first = (int)(((first + 4) % 7 + 7) % 7);
    int64_t day = first + ((rd->wday - wd_first + 7) % 7) + 7 * (rd->week - 1);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int ml = mdays[rd->month - 1];
    if (rd->month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        ml = 29;
    while (day >= first + ml)
        day -= 7;
    return day * 86400 + rd->secs;
}

static int32_t rule_offset(const struct gf_feat_tz *tz, int64_t utc, int *isdst)
{
    if (!tz->rule_has_dst) {
        *isdst = 0;
        return tz->std_off;
    }
    int y, m, d;
    gf_feat_civil_from_days(floor_div(utc + tz->std_off, 86400), &y, &m, &d);
    int64_t start = rule_local(&tz->start, y) - tz->std_off; /* start given in standard time */
    int64_t end = rule_local(&tz->end, y) - tz->dst_off;     /* end given in DST */
    int in;
    if (start < end)
        in = utc >= start && utc < end;
    else
        in = utc < end || utc >= start;
    *isdst = in;
    return in ? tz->dst_off : tz->std_off;
}

/* ------------------------------------------------------------------ TZif */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct {
    uint32_t isut, isstd, leap, time, type, chr;
} tzif_counts_t;

static int read_header(const unsigned char *buf, size_t len, size_t off, tzif_counts_t *c,
                       int *version)
{
    if (len < off || len - off < 44 || memcmp(buf + off, "TZif", 4) != 0)
        return -1;
    *version = buf[off + 4] == 0 ? 1 : buf[off + 4] - '0';
    if (*version < 1 || *version > 9)
        return -1;
    const unsigned char *p = buf + off + 20;
    c->isut = be32(p);
    c->isstd = be32(p + 4);
    c->leap = be32(p + 8);
    c->time = be32(p + 12);
    c->type = be32(p + 16);
    c->chr = be32(p + 20);
    if (c->type == 0 || c->type > 256 || c->time > 100000 || c->leap > 10000 || c->chr > 100000 ||
        c->isut > 256 || c->isstd > 256)
        return -1;
    return 0;
}

static size_t block_len(const tzif_counts_t *c, int tsize)
{
    return (size_t)c->time * (tsize + 1) + (size_t)c->type * 6 + c->chr +
           (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

static gf_feat_tz_t *bad(gf_feat_tz_t *tz, gf_err_t *err, const char *why)
{
    gf_feat_tz_free(tz);
    gf_err_set(err, GF_EINVAL, "bad_tzif", "time zone file is malformed: %s", why);
    return NULL;
}

gf_feat_tz_t *gf_feat_tz_parse(const char *name, const unsigned char *buf, size_t len,
                               gf_err_t *err)
{
    tzif_counts_t c;
    int version;
    if (buf == NULL || read_header(buf, len, 0, &c, &version) != 0)
        return bad(NULL, err, "header");
    size_t off = 44;
    int tsize = 4;
    size_t b1 = block_len(&c, 4);
    if (len - off < b1)
        return bad(NULL, err, "truncated v1 block");
    if (version >= 2) {
        off += b1;
        if (read_header(buf, len, off, &c, &version) != 0)
            return bad(NULL, err, "v2 header");
        off += 44;
        tsize = 8;
        if (len - off < block_len(&c, 8))
            return bad(NULL, err, "truncated v2 block");
    }
    gf_feat_tz_t *tz = gf_xcalloc(1, sizeof *tz);
    snprintf(tz->name, sizeof tz->name, "%s", name ? name : "");
    tz->ntrans = c.time;
    tz->ntypes = c.type;
    tz->trans = gf_xmalloc(c.time * sizeof *tz->trans);
    tz->idx = gf_xmalloc(c.time);
    tz->types = gf_xmalloc(c.type * sizeof *tz->types);
    const unsigned char *p = buf + off;
    for (uint32_t i = 0; i < c.time; i++) {
        tz->trans[i] = tsize == 8 ? be64(p + (size_t)i * 8) : (int32_t)be32(p + (size_t)i * 4);
        if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
            return bad(tz, err, "transitions not ascending");
    }
    p += (size_t)c.time * tsize;
    for (uint32_t i = 0; i < c.time; i++) {
        tz->idx[i] = p[i];
        if (p[i] >= c.type)
            return bad(tz, err, "type index out of range");
    }
    p += c.time;
    for (uint32_t i = 0; i < c.type; i++) {
        int32_t utoff = (int32_t)be32(p + (size_t)i * 6);
        if (utoff < -89999 || utoff > 93599)
            return bad(tz, err, "offset out of range");
        tz->types[i].utoff = utoff;
        tz->types[i].isdst = p[(size_t)i * 6 + 4] != 0;
    }
    off += block_len(&c, tsize);
    /* Footer: "\n" TZ-string "\n" (version 2+). A bad or unsupported footer only disables
     * extrapolation past the last transition; the table itself is still right. */
    if (tsize == 8 && len - off >= 2 && buf[off] == '\n') {
        size_t end = off + 1;
        while (end < len && buf[end] != '\n')
            end++;
        size_t flen = end - off - 1;
        if (end < len && flen > 0 && flen < 128) {
            char footer[128];
            memcpy(footer, buf + off + 1, flen);
            footer[flen] = '\0';
            tz->has_rule = parse_footer(tz, footer) == 0;
        }
    }
    return tz;
}

gf_feat_tz_t *gf_feat_tz_load_dir(const char *dir, const char *name, gf_err_t *err)
{
    size_t nlen = name ? strlen(name) : 0;
    int ok = nlen > 0 && nlen < 64 && name[0] != '/' && strstr(name, "..") == NULL;
    for (size_t i = 0; ok && i < nlen; i++) {
        char ch = name[i];
        ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
             ch == '/' || ch == '_' || ch == '-' || ch == '+';
    }
    if (!ok) {
        gf_err_set(err, GF_EINVAL, "unknown_time_zone", "time zone name is not valid");
        return NULL;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        gf_err_set(err, GF_EINVAL, "unknown_time_zone", "time zone '%s' is not known", name);
        return NULL;
    }
    unsigned char *buf = gf_xmalloc(1 << 16);
    size_t len = fread(buf, 1, 1 << 16, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        gf_err_set(err, GF_EINVAL, "unknown_time_zone", "time zone '%s' cannot be read", name);
        return NULL;
    }
    gf_feat_tz_t *tz = gf_feat_tz_parse(name, buf, len, err);
    free(buf);
    return tz;
}

gf_feat_tz_t *gf_feat_tz_load(const char *name, gf_err_t *err)
{
    return gf_feat_tz_load_dir(GF_FEAT_ZONEINFO_DIR, name, err);
}

void gf_feat_tz_free(gf_feat_tz_t *tz)
{
    if (tz == NULL)
        return;
    free(tz->trans);
    free(tz->idx);
    free(tz->types);
    free(tz);
}

const char *gf_feat_tz_name(const gf_feat_tz_t *tz)
{
    return tz->name;
}

int32_t gf_feat_tz_offset(const gf_feat_tz_t *tz, int64_t utc, int *isdst)
{
    int dummy;
    if (isdst == NULL)
        isdst = &dummy;
    if (tz->ntrans == 0 || utc < tz->trans[0]) {
        if (tz->ntrans == 0 && tz->has_rule)
            return rule_offset(tz, utc, isdst);
        /* before the first transition: type 0 (RFC 8536 section 3.2) */
        *isdst = tz->types[0].isdst;
        return tz->types[0].utoff;
    }
    if (utc >= tz->trans[tz->ntrans - 1] && tz->has_rule)
        return rule_offset(tz, utc, isdst);
    size_t lo = 0, hi = tz->ntrans; /* last trans <= utc */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    const tz_type_t *t = &tz->types[tz->idx[lo]];
    *isdst = t->isdst;
    return t->utoff;
}

void gf_feat_tz_civil(const gf_feat_tz_t *tz, int64_t utc, gf_feat_civil_t *out)
{
    int isdst;
    int32_t off = gf_feat_tz_offset(tz, utc, &isdst);
    int64_t local = utc + off;
    int64_t days = floor_div(local, 86400);
    int64_t sod = local - days * 86400;
    gf_feat_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(sod / 3600);
    out->minute = (int)(sod % 3600 / 60);
    out->second = (int)(sod % 60);
    out->wday = (int)(((days + 3) % 7 + 7) % 7); /* 1970-01-01 = Thursday = 3 (Mon = 0) */
    out->yday = (int)(days - gf_feat_days_from_civil(out->year, 1, 1)) + 1;
    out->utcoff = off;
    out->isdst = isdst;
}
