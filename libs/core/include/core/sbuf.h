/*
 * core/sbuf.h - a growable byte string (Redis sds, h2o's buffer in miniature) for building
 * text of unknown length: the Prometheus rendering, prompts, answers, parsed documents.
 *
 * Caller storage: `gf_sbuf_t b = {0};` is an empty buffer. Appends grow it by doubling and keep
 * it NUL-terminated, so b.s is usable as a C string after any append (it may hold NUL bytes
 * given to gf_sbuf_add; b.len counts every byte). Allocation aborts on out-of-memory
 * (gf_xmalloc), so no call can fail. gf_sbuf_take hands the bytes to the caller and empties
 * the buffer; gf_sbuf_cleanup frees them. Not thread-safe (one owner at a time).
 */
#ifndef GF_CORE_SBUF_H
#define GF_CORE_SBUF_H

#include <stddef.h>

typedef struct gf_sbuf {
    char *s;     /* the bytes plus a NUL; NULL until the first append */
    size_t len;  /* bytes in s, the NUL not counted */
    size_t _cap; /* bytes allocated */
} gf_sbuf_t;

/* Append n bytes (may contain NUL). */
void gf_sbuf_add(gf_sbuf_t *b, const void *p, size_t n);
/* Append a C string. */
void gf_sbuf_adds(gf_sbuf_t *b, const char *s);
/* Append printf-style text (any length). */
void gf_sbuf_addf(gf_sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The contents as a malloc'd NUL-terminated string the caller frees ("" when nothing was
 * appended; never NULL); b is empty afterwards. */
char *gf_sbuf_take(gf_sbuf_t *b);

/* Free the contents; b is empty afterwards and may be reused. */
void gf_sbuf_cleanup(gf_sbuf_t *b);

#endif
