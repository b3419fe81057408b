/*
 * core/jscan.h - the project's one JSON scanner for hot request bodies, and the UTF-8 rules.
 *
 * A pull scanner over JSON text held in one buffer: no tree, no allocation on the usual path.
 * The caller walks the document with small calls (peek the next token, read a string into
 * its own buffer, read a number, skip any value). It checks the full RFC 8259 grammar on
 * everything it passes over, including values it skips: strings (escapes, \u with surrogate
 * pairs, UTF-8 validity, no raw control characters), numbers in every JSON form, literals,
 * nesting up to GF_JSCAN_MAX_DEPTH. Lone surrogate escapes are refused (as jansson does),
 * since they cannot be turned into UTF-8. Used where a body is too large or too hot for
 * jansson (ingestion readings and demand import, the forecast's POST /v1/predict); small
 * documents keep using jansson.
 *
 * Numbers (one rule for every caller): the value is always the double nearest to the decimal
 * text, as strtod gives. Fast path: when the first 19 significant digits hold the whole
 * significand, that significand is at most 2^53 and the power of ten is within +-22, one
 * multiply or divide of two exact doubles gives the correctly rounded result (Clinger 1990);
 * anything else goes to strtod. (The forecast scanner used to take the fast path only up to
 * 15 digits; values are the same, only 16-digit numbers got faster.) Out-of-range values
 * come back as +-inf or 0 as strtod gives them: the caller decides what to refuse.
 *
 * Errors: the first error sticks; every later call fails at once. gf_jscan_t then holds a
 * message (a static English string), the byte offset, and the 1-based line and column (bytes)
 * where it happened. The scanner borrows the buffer; it must outlive the scanner.
 */
#ifndef GF_CORE_JSCAN_H
#define GF_CORE_JSCAN_H

#include <stddef.h>
#include <stdint.h>

#define GF_JSCAN_MAX_DEPTH 512

typedef struct gf_jscan {
    const char *buf;
    size_t len;
    size_t pos;
    size_t line;       /* 1-based line of pos */
    size_t line_start; /* offset of the first byte of that line */
    /* option (set after gf_jscan_init): refuse \u0000 in strings, so that every decoded
     * string is a C string ("\u0000 is not allowed") */
    int no_nul;
    /* error state: set once */
    const char *err_msg; /* static string, NULL while no error */
    size_t err_pos, err_line, err_col;
} gf_jscan_t;

/* Start scanning buf[0..len). Can't fail. */
void gf_jscan_init(gf_jscan_t *j, const char *buf, size_t len);

/* (the out-of-line halves of the three inline functions below) */
int gf_jscan__peek_slow(gf_jscan_t *j, int newlines);
int gf_jscan__expect_fail(gf_jscan_t *j, int c);

/* Skip whitespace and return the next byte without consuming it, or -1 at end of input
 * (or after an error). Inline: callers peek once per token, and compact JSON has no
 * whitespace to skip. */
static inline int gf_jscan_peek(gf_jscan_t *j)
{
    if (j->pos < j->len && j->err_msg == NULL && (unsigned char)j->buf[j->pos] > ' ')
        return (unsigned char)j->buf[j->pos];
    return gf_jscan__peek_slow(j, 1);
}

/* Skip whitespace but not newlines (NDJSON record ends); return the next byte or -1. */
static inline int gf_jscan_peek_inline(gf_jscan_t *j)
{
    if (j->pos < j->len && j->err_msg == NULL && (unsigned char)j->buf[j->pos] > ' ')
        return (unsigned char)j->buf[j->pos];
    return gf_jscan__peek_slow(j, 0);
}

/* Consume byte c (after whitespace). Returns 0, or -1 with an error when it is not there. */
static inline int gf_jscan_expect(gf_jscan_t *j, int c)
{
    if (gf_jscan_peek(j) == c) {
        j->pos++;
        return 0;
    }
    return gf_jscan__expect_fail(j, c);
}

/* Read a string token. Decodes escapes into out (capacity cap, always NUL-terminated when
 * cap > 0); *outlen gets the full decoded length even when it did not fit (check
 * *outlen >= cap for truncation). out may be NULL to validate only. Returns 0 or -1. */
int gf_jscan_string(gf_jscan_t *j, char *out, size_t cap, size_t *outlen);

/* Read a number token (the rule above): *v gets its value. Returns 0 or -1. */
int gf_jscan_number(gf_jscan_t *j, double *v);

/* Read one literal (true, false, null). *which: 't', 'f' or 'n'. Returns 0 or -1. */
int gf_jscan_literal(gf_jscan_t *j, int *which);

/* Skip one complete value of any type (checked). Returns 0 or -1. */
int gf_jscan_skip(gf_jscan_t *j);

/* Set an error at the current position (first error wins). Returns -1. */
int gf_jscan_fail(gf_jscan_t *j, const char *msg);

/* Length (2..4) of the valid UTF-8 sequence starting at s[0] (a byte >= 0x80; at most n bytes
 * readable), or 0 when it is not one: shortest form only, no UTF-16 surrogates, nothing above
 * U+10FFFF. */
size_t gf_utf8_len(const unsigned char *s, size_t n);

/* 1 when s[0..n) is valid UTF-8 text (the rules of gf_utf8_len) without NUL bytes, else 0. */
int gf_utf8_valid(const char *s, size_t n);

#endif
