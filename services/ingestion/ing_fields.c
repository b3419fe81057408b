/*
 * ing_fields.c - field checks shared by the row importers (see ing_fields.h).
 */
#include "ing_fields.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *ing_printable(char *dst, size_t cap, const char *src, size_t n)
{
    size_t k = 0;
    for (; k < n && k + 1 < cap; k++)
        dst[k] = (unsigned char)src[k] >= 0x20 && (unsigned char)src[k] < 0x7f ? src[k] : '?';
    if (cap > 0)
        dst[k] = '\0';
    return dst;
}

void ing_trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

int ing_parse_decimal(const char *p, size_t n, int dec_comma, const char **why, double *v)
{
    char tmp[64];
    if (why)
        *why = NULL;
    ing_trim(&p, &n);
    if (n == 0 || n >= sizeof tmp)
        return 0;
    const char dec = dec_comma ? ',' : '.', other = dec_comma ? '.' : ',';
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == other) {
            if (why)
                *why = dec_comma ? "the decimal separator of ';'-separated CSV is ',' "
                                   "and '.' is not accepted (thousands separator?)"
                                 : "',' is not a decimal separator in ','-separated "
                                   "CSV, and thousands separators are not accepted";
            return 0;
        }
        if (!((c >= '0' && c <= '9') || c == dec || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return 0;
        tmp[i] = c == ',' ? '.' : c;
    }
    tmp[n] = '\0';
    char *end;
    *v = strtod(tmp, &end);
    return *end == '\0' && isfinite(*v);
}

const char *ing_instant_of(const ing_tz_t *tz, const char *s, size_t n, int64_t *t)
{
    int has_zone;
    if (ing_time_parse_local(s, n, t, &has_zone) != 0)
        return "invalid_timestamp";
    if (!has_zone && tz && ing_tz_local_to_utc(tz, *t, t) != 0)
        return "nonexistent_local_time";
    return NULL;
}

const char *ing_hour_of(const ing_tz_t *tz, ing_hour_label_t label, const char *s, size_t n,
                        int64_t *hour)
{
    int64_t t;
    const char *code = ing_instant_of(tz, s, n, &t);
    if (code)
        return code;
    if (label == ING_HOUR_ENDING)
        t -= 3600;
    if (ing_floor_div(t, 3600) * 3600 != t)
        return "not_on_hour";
    *hour = t;
    return NULL;
}

const char *ing_stamp_reason(const char *code)
{
    return strcmp(code, "not_on_hour") == 0         ? "is not on a whole hour"
           : strcmp(code, "invalid_timestamp") == 0 ? "is not a valid date-time"
                                                    : "does not exist in the source zone";
}
