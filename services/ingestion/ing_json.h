/*
 * ing_json.h - a pull scanner for JSON text held in one buffer: no allocation, no tree.
 *
 * The caller walks the document with small calls (peek the next token, read a string into
 * its own buffer, read a number, skip any value). The scanner checks the full RFC 8259
 * grammar on everything it passes over, including values it skips: strings (escapes,
 * \u with surrogate pairs, UTF-8 validity, no raw control characters), numbers in every
 * JSON form, literals, nesting up to ING_JSON_MAX_DEPTH. Lone surrogate escapes are
 * refused (as jansson does), since they cannot be turned into UTF-8.
 *
 * Errors: the first error sticks; every later call fails at once. ing_json_t then holds a
 * message, the byte offset, and the 1-based line and column (bytes) where it happened.
 * The scanner borrows the buffer; it must outlive the scanner.
 */
#ifndef GF_INGESTION_ING_JSON_H
#define GF_INGESTION_ING_JSON_H

#include <stddef.h>
#include <stdint.h>

#define ING_JSON_MAX_DEPTH 512

typedef struct ing_json {
    const char *buf;
    size_t len;
    size_t pos;
    size_t line;       /* 1-based line of pos */
    size_t line_start; /* offset of the first byte of that line */
    /* error state: set once */
    const char *err_msg; /* static string, NULL while no error */
    size_t err_pos, err_line, err_col;
} ing_json_t;

/* Start scanning buf[0..len). Can't fail. */
void ing_json_init(ing_json_t *j, const char *buf, size_t len);

/* Skip whitespace and return the next byte without consuming it, or -1 at end of input
 * (or after an error). */
int ing_json_peek(ing_json_t *j);
/* Skip whitespace but not newlines (NDJSON record ends); return the next byte or -1. */
int ing_json_peek_inline(ing_json_t *j);
/* Consume byte c (after whitespace). Returns 0, or -1 with an error when it is not there. */
int ing_json_expect(ing_json_t *j, int c);

/* Read a string token. Decodes escapes into out (capacity cap, always NUL-terminated when
 * cap > 0); *outlen gets the full decoded length even when it did not fit (check
 * *outlen >= cap for truncation). out may be NULL to validate only. Returns 0 or -1. */
int ing_json_string(ing_json_t *j, char *out, size_t cap, size_t *outlen);

/* Read a number token: *v gets its value (may be +-inf on overflow: the caller decides).
 * Returns 0 or -1. */
int ing_json_number(ing_json_t *j, double *v);

/* Read one literal (true, false, null). *which: 't', 'f' or 'n'. Returns 0 or -1. */
int ing_json_literal(ing_json_t *j, int *which);

/* Skip one complete value of any type (checked). Returns 0 or -1. */
int ing_json_skip(ing_json_t *j);

/* Set an error at the current position (first error wins). Returns -1. */
int ing_json_fail(ing_json_t *j, const char *msg);

#endif
