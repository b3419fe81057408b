/*
 * jscan.c - JSON pull scanner and UTF-8 checks (see core/jscan.h for the contract).
 *
 * Hot loops: whitespace, plain ASCII string bytes and digits each have a tight loop; only
 * escapes and non-ASCII bytes take the slow path. Numbers use the exact fast path
 * (significand <= 2^53 and |exp10| <= 22 give a correctly rounded double from one multiply
 * or divide, Clinger 1990) and strtod otherwise.
 */
#include "core/jscan.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void gf_jscan_init(gf_jscan_t *j, const char *buf, size_t len)
{
    memset(j, 0, sizeof *j);
    j->buf = buf;
    j->len = len;
    j->line = 1;
}

int gf_jscan_fail(gf_jscan_t *j, const char *msg)
{
    if (j->err_msg == NULL) {
        j->err_msg = msg;
        j->err_pos = j->pos;
        j->err_line = j->line;
        j->err_col = j->pos - j->line_start + 1;
    }
    return -1;
}

static inline void skip_ws(gf_jscan_t *j, int newlines)
{
    const char *b = j->buf;
    size_t p = j->pos, n = j->len;
    while (p < n) {
        char c = b[p];
        if (c == ' ' || c == '\t' || c == '\r') {
            p++;
        } else if (c == '\n' && newlines) {
            p++;
            j->line++;
            j->line_start = p;
        } else {
            break;
        }
    }
    j->pos = p;
}

int gf_jscan__peek_slow(gf_jscan_t *j, int newlines)
{
    if (j->err_msg)
        return -1;
    skip_ws(j, newlines);
    return j->pos < j->len ? (unsigned char)j->buf[j->pos] : -1;
}

int gf_jscan__expect_fail(gf_jscan_t *j, int c)
{
    int got = gf_jscan_peek(j);
    if (j->err_msg)
        return -1;
    switch (c) {
    case ':':
        return gf_jscan_fail(j, got < 0 ? "unexpected end of input, expected ':'"
                                        : "expected ':' after object key");
    case '"':
        return gf_jscan_fail(j, got < 0 ? "unexpected end of input, expected a string"
                                        : "expected a string");
    default:
        return gf_jscan_fail(j, got < 0 ? "unexpected end of input" : "unexpected character");
    }
}

/* ------------------------------------------------------------------ strings */

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static inline void put(char *out, size_t cap, size_t *n, char c)
{
    if (*n + 1 < cap)
        out[*n] = c;
    (*n)++;
}

size_t gf_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
            return 0; /* overlong, or a UTF-16 surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
            return 0; /* overlong, or above U+10FFFF */
        return 4;
    }
    return 0;
}

int gf_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        if (s[i] >= 0x80) {
            size_t k = gf_utf8_len(s + i, n - i);
            if (k == 0)
                return 0;
            i += k;
        } else if (s[i] == 0) {
            return 0;
        } else {
            i++;
        }
    }
    return 1;
}

int gf_jscan_string(gf_jscan_t *j, char *out, size_t cap, size_t *outlen)
{
    if (gf_jscan_expect(j, '"') != 0)
        return -1;
    const char *b = j->buf;
    size_t p = j->pos, n = j->len, o = 0;
    if (out == NULL)
        cap = 0;
    for (;;) {
        /* fast path: plain printable ASCII */
        size_t s = p;
        while (p < n) {
            unsigned char c = (unsigned char)b[p];
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
                break;
            p++;
        }
        if (p > s && cap > 0) {
            size_t k = p - s;
            if (o < cap - 1)
                memcpy(out + o, b + s, o + k < cap - 1 ? k : cap - 1 - o);
        }
        o += p - s;
        if (p >= n) {
            j->pos = p;
            return gf_jscan_fail(j, "unterminated string");
        }
        unsigned char c = (unsigned char)b[p];
        if (c == '"') {
            p++;
            break;
        }
        if (c < 0x20) {
            j->pos = p;
            return gf_jscan_fail(j, "control character in string");
        }
        if (c >= 0x80) {
            size_t k = gf_utf8_len((const unsigned char *)b + p, n - p);
            if (k == 0) {
                j->pos = p;
                return gf_jscan_fail(j, "invalid UTF-8 in string");
            }
            for (size_t i = 0; i < k; i++)
                put(out, cap, &o, b[p + i]);
            p += k;
            continue;
        }
        /* backslash */
        if (p + 1 >= n) {
            j->pos = p;
            return gf_jscan_fail(j, "unterminated string");
        }
        char e = b[p + 1];
        char lit = 0;
        switch (e) {
        case '"':
            lit = '"';
            break;
        case '\\':
            lit = '\\';
            break;
        case '/':
            lit = '/';
            break;
        case 'b':
            lit = '\b';
            break;
        case 'f':
            lit = '\f';
            break;
        case 'n':
            lit = '\n';
            break;
        case 'r':
            lit = '\r';
            break;
        case 't':
            lit = '\t';
            break;
        case 'u':
            break;
        default:
            j->pos = p;
            return gf_jscan_fail(j, "invalid escape in string");
        }
        if (lit) {
            put(out, cap, &o, lit);
            p += 2;
            continue;
        }
        unsigned cp;
        if (p + 6 > n || hex4(b + p + 2, &cp) != 0) {
            j->pos = p;
            return gf_jscan_fail(j, "invalid \\u escape");
        }
        if (cp >= 0xdc00 && cp <= 0xdfff) {
            j->pos = p;
            return gf_jscan_fail(j, "lone low surrogate in \\u escape");
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
            unsigned lo;
            if (p + 12 > n || b[p + 6] != '\\' || b[p + 7] != 'u' || hex4(b + p + 8, &lo) ||
                lo < 0xdc00 || lo > 0xdfff) {
                j->pos = p;
                return gf_jscan_fail(j, "high surrogate not followed by a low surrogate");
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            p += 6;
        }
        if (cp == 0 && j->no_nul) {
            j->pos = p;
            return gf_jscan_fail(j, "\\u0000 is not allowed");
        }
        p += 6;
        if (cp < 0x80) {
            put(out, cap, &o, (char)cp);
        } else if (cp < 0x800) {
            put(out, cap, &o, (char)(0xc0 | cp >> 6));
            put(out, cap, &o, (char)(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
            put(out, cap, &o, (char)(0xe0 | cp >> 12));
            put(out, cap, &o, (char)(0x80 | (cp >> 6 & 0x3f)));
            put(out, cap, &o, (char)(0x80 | (cp & 0x3f)));
        } else {
            put(out, cap, &o, (char)(0xf0 | cp >> 18));
            put(out, cap, &o, (char)(0x80 | (cp >> 12 & 0x3f)));
            put(out, cap, &o, (char)(0x80 | (cp >> 6 & 0x3f)));
            put(out, cap, &o, (char)(0x80 | (cp & 0x3f)));
        }
    }
    j->pos = p;
    if (cap > 0)
        out[o < cap ? o : cap - 1] = '\0';
    if (outlen)
        *outlen = o;
    return 0;
}

/* ------------------------------------------------------------------ numbers */

static const double pow10_tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Scan (and optionally convert) a number at j->pos. */
static int number(gf_jscan_t *j, double *v)
{
    const char *b = j->buf;
    size_t n = j->len, p = j->pos, start = p;
    int neg = 0;
    uint64_t mant = 0;
    int ndig = 0;      /* significant digits accumulated into mant */
    int dropped = 0;   /* digits not accumulated (beyond 19) before the point */
    int frac_used = 0; /* fraction digits accumulated */
    int exact = 1;
    if (p < n && b[p] == '-') {
        neg = 1;
        p++;
    }
    if (p >= n || b[p] < '0' || b[p] > '9') {
        j->pos = p;
        return gf_jscan_fail(j, "invalid number");
    }
    if (b[p] == '0') {
        p++;
        if (p < n && b[p] >= '0' && b[p] <= '9') {
            j->pos = p;
            return gf_jscan_fail(j, "leading zero in number");
        }
    } else {
        while (p < n && b[p] >= '0' && b[p] <= '9') {
            if (ndig < 19) {
                mant = mant * 10 + (uint64_t)(b[p] - '0');
                ndig++;
            } else {
                dropped++;
                exact = 0;
            }
            p++;
        }
    }
    if (p < n && b[p] == '.') {
        p++;
        if (p >= n || b[p] < '0' || b[p] > '9') {
            j->pos = p;
            return gf_jscan_fail(j, "digit expected after decimal point");
        }
        while (p < n && b[p] >= '0' && b[p] <= '9') {
            if (ndig < 19) {
                mant = mant * 10 + (uint64_t)(b[p] - '0');
                ndig += mant != 0; /* leading fraction zeros are not significant */
                frac_used++;
            } else {
                exact = 0;
            }
            p++;
        }
    }
    long e10 = 0;
    if (p < n && (b[p] == 'e' || b[p] == 'E')) {
        p++;
        int eneg = 0;
        if (p < n && (b[p] == '+' || b[p] == '-')) {
            eneg = b[p] == '-';
            p++;
        }
        if (p >= n || b[p] < '0' || b[p] > '9') {
            j->pos = p;
            return gf_jscan_fail(j, "digit expected in exponent");
        }
        while (p < n && b[p] >= '0' && b[p] <= '9') {
            if (e10 < 100000)
                e10 = e10 * 10 + (b[p] - '0');
            p++;
        }
        if (eneg)
            e10 = -e10;
    }
    j->pos = p;
    if (v == NULL)
        return 0;
    long scale = e10 + dropped - frac_used;
    if (exact && mant <= (1ULL << 53) && scale >= -22 && scale <= 22) {
        double d = (double)mant;
        d = scale >= 0 ? d * pow10_tab[scale] : d / pow10_tab[-scale];
        *v = neg ? -d : d;
        return 0;
    }
    /* slow path: strtod on a NUL-terminated copy (on the heap for absurdly long text) */
    char tmp[256];
    size_t k = p - start;
    char *c = k < sizeof tmp ? tmp : gf_xmalloc(k + 1);
    memcpy(c, b + start, k);
    c[k] = '\0';
    *v = strtod(c, NULL);
    if (c != tmp)
        free(c);
    return 0;
}

int gf_jscan_number(gf_jscan_t *j, double *v)
{
    int c = gf_jscan_peek(j);
    if (c != '-' && (c < '0' || c > '9'))
        return gf_jscan_fail(j, c < 0 ? "unexpected end of input, expected a number"
                                      : "expected a number");
    return number(j, v);
}

int gf_jscan_literal(gf_jscan_t *j, int *which)
{
    static const char *const lits[3] = {"true", "false", "null"};
    int c = gf_jscan_peek(j);
    for (int i = 0; i < 3; i++) {
        if (c != lits[i][0])
            continue;
        size_t k = strlen(lits[i]);
        if (j->len - j->pos < k || memcmp(j->buf + j->pos, lits[i], k) != 0)
            break;
        j->pos += k;
        if (which)
            *which = c;
        return 0;
    }
    return gf_jscan_fail(j,
                         c < 0 ? "unexpected end of input, expected a value" : "invalid literal");
}

/* ------------------------------------------------------------------ skipping */

static int scalar(gf_jscan_t *j, int c)
{
    if (c == '"')
        return gf_jscan_string(j, NULL, 0, NULL);
    if (c == '-' || (c >= '0' && c <= '9'))
        return number(j, NULL);
    return gf_jscan_literal(j, NULL);
}

int gf_jscan_skip(gf_jscan_t *j)
{
    /* one bit per open container: 1 = object, 0 = array */
    uint8_t stack[GF_JSCAN_MAX_DEPTH / 8];
    int depth = 0;
    for (;;) {
        /* a value is expected here */
        int c = gf_jscan_peek(j);
        if (c == '{' || c == '[') {
            if (depth >= GF_JSCAN_MAX_DEPTH)
                return gf_jscan_fail(j, "nesting too deep");
            j->pos++;
            int obj = c == '{';
            if (obj)
                stack[depth / 8] |= (uint8_t)(1u << (depth % 8));
            else
                stack[depth / 8] &= (uint8_t) ~(1u << (depth % 8));
            depth++;
            int close = obj ? '}' : ']';
            if (gf_jscan_peek(j) == close) {
                j->pos++;
                depth--;
            } else if (obj) {
                if (gf_jscan_string(j, NULL, 0, NULL) || gf_jscan_expect(j, ':'))
                    return -1;
                continue;
            } else {
                continue;
            }
        } else if (c < 0) {
            return gf_jscan_fail(j, "unexpected end of input, expected a value");
        } else if (c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' ||
                   c == 'n') {
            if (scalar(j, c) != 0)
                return -1;
        } else {
            return gf_jscan_fail(j, "unexpected character, expected a value");
        }
        /* a value ended: close containers or move to the next member */
        for (;;) {
            if (depth == 0)
                return 0;
            int obj = stack[(depth - 1) / 8] >> ((depth - 1) % 8) & 1;
            c = gf_jscan_peek(j);
            if (c == ',') {
                j->pos++;
                if (obj && (gf_jscan_string(j, NULL, 0, NULL) || gf_jscan_expect(j, ':')))
                    return -1;
                break;
            }
            if (c == (obj ? '}' : ']')) {
                j->pos++;
                depth--;
                continue;
            }
            return gf_jscan_fail(j, c < 0 ? "unexpected end of input"
                                    : obj ? "expected ',' or '}' in object"
                                          : "expected ',' or ']' in array");
        }
    }
}
