/*
 * ing_cmd.c - argv builder (see ing_cmd.h). Arguments are stored as offsets into one text
 * buffer while it may still move; ing_cmd_finish turns them into pointers.
 */
#include "ing_cmd.h"

#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ing_cmd_init(ing_cmd_t *c)
{
    memset(c, 0, sizeof *c);
}

void ing_cmd_cleanup(ing_cmd_t *c)
{
    free(c->argv);
    free(c->argvlen);
    free(c->_buf);
    free(c->_off);
    free(c->aux);
    memset(c, 0, sizeof *c);
}

void ing_cmd_reset(ing_cmd_t *c)
{
    c->argc = 0;
    c->_len = 0;
}

static void reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap * 2 : 16384;
    while (n < need)
        n *= 2;
    *buf = gf_xrealloc(*buf, n);
    *cap = n;
}

void ing_cmd_add(ing_cmd_t *c, const char *s, size_t n)
{
    if (c->argc == c->_cap_args) {
        int cap = c->_cap_args ? c->_cap_args * 2 : 256;
        c->_off = gf_xrealloc(c->_off, (size_t)cap * sizeof *c->_off);
        c->argvlen = gf_xrealloc(c->argvlen, (size_t)cap * sizeof *c->argvlen);
        c->argv = gf_xrealloc(c->argv, (size_t)cap * sizeof *c->argv);
        c->_cap_args = cap;
    }
    reserve(&c->_buf, &c->_cap, c->_len + n);
    if (n)
        memcpy(c->_buf + c->_len, s, n);
    c->_off[c->argc] = c->_len;
    c->argvlen[c->argc] = n;
    c->argc++;
    c->_len += n;
}

void ing_cmd_append(ing_cmd_t *c, const char *s, size_t n)
{
    reserve(&c->_buf, &c->_cap, c->_len + n);
    memcpy(c->_buf + c->_len, s, n);
    c->_len += n;
    c->argvlen[c->argc - 1] += n;
}

void ing_cmd_aux_reset(ing_cmd_t *c)
{
    c->aux_len = 0;
}

void ing_cmd_aux_append(ing_cmd_t *c, const char *s, size_t n)
{
    reserve(&c->aux, &c->_aux_cap, c->aux_len + n);
    memcpy(c->aux + c->aux_len, s, n);
    c->aux_len += n;
}

void ing_cmd_adds(ing_cmd_t *c, const char *s)
{
    ing_cmd_add(c, s, strlen(s));
}

static size_t fmt_u64(uint64_t v, char *out)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

void ing_cmd_add_i64(ing_cmd_t *c, int64_t v)
{
    char b[24];
    size_t n = 0;
    if (v < 0) {
        b[n++] = '-';
        n += fmt_u64((uint64_t)0 - (uint64_t)v, b + n);
    } else {
        n = fmt_u64((uint64_t)v, b);
    }
    ing_cmd_add(c, b, n);
}

size_t ing_fmt_double(double v, char *buf)
{
    double a = fabs(v);
    if (isfinite(v) && a < 1e12) {
        /* r / 1e6 is correctly rounded, and so is strtod of the printed decimal: when they
         * give back v, the short text is exact. */
        double r = nearbyint(a * 1e6);
        if (r / 1e6 == a) {
            uint64_t u = (uint64_t)r, ip = u / 1000000, fp = u % 1000000;
            size_t n = 0;
            if (signbit(v) && u != 0)
                buf[n++] = '-';
            n += fmt_u64(ip, buf + n);
            if (fp) {
                buf[n++] = '.';
                for (int i = 5; i >= 0 && fp; i--) {
                    uint64_t p = 1;
                    for (int k = 0; k < i; k++)
                        p *= 10;
                    buf[n++] = (char)('0' + fp / p);
                    fp %= p;
                }
            }
            buf[n] = '\0';
            return n;
        }
    }
    return (size_t)snprintf(buf, 32, "%.17g", v);
}

void ing_cmd_add_double(ing_cmd_t *c, double v)
{
    char b[32];
    size_t n = ing_fmt_double(v, b);
    ing_cmd_add(c, b, n);
}

void ing_cmd_finish(ing_cmd_t *c)
{
    for (int i = 0; i < c->argc; i++)
        c->argv[i] = c->_buf + c->_off[i];
}
