/*
 * util.c - checked allocation, clocks and RFC 3339 time (see core/util.h).
 * Time conversion uses the civil-from-days algorithms (H. Hinnant), so no libc time zone
 * state is touched and every function here is thread-safe.
 */
#include "core/util.h"
#include "core/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void *gf_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "{\"lvl\":\"fatal\",\"evt\":\"oom\",\"bytes\":%zu}\n", n);
        abort();
    }
    return p;
}

void *gf_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        fprintf(stderr, "{\"lvl\":\"fatal\",\"evt\":\"oom\",\"bytes\":%zu}\n", n * size);
        abort();
    }
    return p;
}

void *gf_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fprintf(stderr, "{\"lvl\":\"fatal\",\"evt\":\"oom\",\"bytes\":%zu}\n", n);
        abort();
    }
    return q;
}

/* jansson allocates through the kit too, so no json_t constructor returns NULL for lack of
 * memory. jansson wants its allocator set before its first use: hence before main. */
__attribute__((constructor)) static void json_alloc_through_kit(void)
{
    json_set_alloc_funcs(gf_xmalloc, free);
}

char *gf_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = gf_xmalloc(n);
    memcpy(d, s, n);
    return d;
}

char *gf_xstrndup(const char *s, size_t n)
{
    char *d = gf_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

double gf_now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double gf_now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int64_t gf_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

char *gf_time_format(int64_t t, char *buf, size_t len)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
    return buf;
}

char *gf_time_format_ms(double t, char *buf, size_t len)
{
    int64_t whole = (int64_t)t;
    if ((double)whole > t)
        whole--;
    int ms = (int)((t - (double)whole) * 1000.0);
    if (ms > 999)
        ms = 999;
    char tmp[32];
    gf_time_format(whole, tmp, sizeof tmp);
    tmp[19] = '\0'; /* drop the Z */
    snprintf(buf, len, "%s.%03dZ", tmp, ms);
    return buf;
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int gf_time_parse(const char *s, size_t len, double *out)
{
    int y, mo, d, h, mi, se;
    /* YYYY-MM-DDTHH:MM:SS is 19 chars */
    if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return GF_EINVAL;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return GF_EINVAL;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60)
        return GF_EINVAL;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return GF_EINVAL;
    size_t i = 19;
    double frac = 0;
    if (i < len && s[i] == '.') {
        i++;
        double scale = 0.1;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            frac += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start)
            return GF_EINVAL;
    }
    int off = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return GF_EINVAL;
        off = (oh * 60 + om) * 60 * (s[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        return GF_EINVAL;
    }
    if (i != len)
        return GF_EINVAL;
    if (se == 60)
        se = 59; /* leap second: clamp */
    int64_t days = gf_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = (double)(days * 86400 + h * 3600 + mi * 60 + se - off) + frac;
    return 0;
}

void gf_random_hex(char *buf, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];
    if (n > sizeof raw)
        n = sizeof raw;
    if (getrandom(raw, n, 0) != (ssize_t)n) {
        /* getrandom cannot fail for small sizes once the pool is initialised; fall back. */
        for (size_t i = 0; i < n; i++)
            raw[i] = (unsigned char)rand();
    }
    for (size_t i = 0; i < n; i++) {
        buf[2 * i] = hex[raw[i] >> 4];
        buf[2 * i + 1] = hex[raw[i] & 15];
    }
    buf[2 * n] = '\0';
}

char *gf_url_redact(const char *url, char *out, size_t n)
{
    size_t o = 0;
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (o + 1 < n)                                                                             \
            out[o++] = (c);                                                                        \
    } while (0)
    const char *p = url;
    const char *scheme_end = strstr(url, "://");
    const char *q = strchr(url, '?');
    if (scheme_end != NULL && (q == NULL || scheme_end < q)) {
        for (; p < scheme_end + 3; p++)
            PUT(*p);
        /* authority: [userinfo@]host[:port], up to the first '/', '?' or '#' */
        size_t alen = strcspn(p, "/?#");
        const char *at = NULL;
        for (const char *a = p; a < p + alen; a++)
            if (*a == '@')
                at = a;
        if (at != NULL)
            p = at + 1;
    }
    for (; *p && *p != '?' && *p != '#'; p++)
        PUT(*p);
    if (*p == '?') {
        PUT('?');
        p++;
        while (*p && *p != '#') {
            size_t name = strcspn(p, "=&#");
            for (size_t i = 0; i < name; i++)
                PUT(p[i]);
            p += name;
            if (*p == '=') {
                PUT('=');
                PUT('*');
                PUT('*');
                PUT('*');
                p += 1 + strcspn(p + 1, "&#");
            }
            if (*p == '&') {
                PUT('&');
                p++;
            }
        }
    }
#undef PUT
    if (n > 0)
        out[o] = '\0';
    return out;
}

size_t gf_redact_secret(char *s, const char *secret)
{
    size_t sl = secret ? strlen(secret) : 0, count = 0;
    if (s == NULL || sl < 4)
        return 0;
    char *hit;
    char *from = s;
    while ((hit = strstr(from, secret)) != NULL) {
        memcpy(hit, "***", 3);
        memmove(hit + 3, hit + sl, strlen(hit + sl) + 1);
        from = hit + 3;
        count++;
    }
    return count;
}
