/*
 * sbuf.c - growable byte string (see core/sbuf.h). Capacity starts at 64 bytes and doubles,
 * so n appends cost O(total length); the NUL always follows the last byte.
 */
#include "core/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* Make room for n more bytes plus the NUL. */
static void reserve(gf_sbuf_t *b, size_t n)
{
    if (b->len + n + 1 <= b->_cap)
        return;
    size_t cap = b->_cap ? b->_cap : 64;
    while (cap < b->len + n + 1)
        cap *= 2;
    b->s = gf_xrealloc(b->s, cap);
    b->_cap = cap;
}

void gf_sbuf_add(gf_sbuf_t *b, const void *p, size_t n)
{
    reserve(b, n);
    if (n > 0)
        memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void gf_sbuf_adds(gf_sbuf_t *b, const char *s)
{
    gf_sbuf_add(b, s, strlen(s));
}

void gf_sbuf_addf(gf_sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    reserve(b, 0);
    /* Format into the free space; when it does not fit, grow to the size vsnprintf reported
     * and format again. */
    va_start(ap, fmt);
    int n = vsnprintf(b->s + b->len, b->_cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->s[b->len] = '\0';
        return;
    }
    if ((size_t)n >= b->_cap - b->len) {
        reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, b->_cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

char *gf_sbuf_take(gf_sbuf_t *b)
{
    char *s = b->s ? b->s : gf_xstrdup("");
    b->s = NULL;
    b->len = b->_cap = 0;
    return s;
}

void gf_sbuf_cleanup(gf_sbuf_t *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->_cap = 0;
}
