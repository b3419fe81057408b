/*
 * util.h - small helpers shared by the compliance modules (not part of the public API).
 *
 * cmp__xmalloc/xrealloc/xstrdup abort on out-of-memory (like gf_xmalloc in the style guide), so
 * call sites stay short. CMP__PUSH grows a (ptr, len, cap) triple by doubling. Text is built
 * with the kit's gf_sbuf_t (core/sbuf.h).
 */
#ifndef GF_COMPLIANCE_UTIL_H
#define GF_COMPLIANCE_UTIL_H

#include <stddef.h>

void *cmp__xmalloc(size_t n);
void *cmp__xcalloc(size_t n, size_t size);
void *cmp__xrealloc(void *p, size_t n);
char *cmp__xstrdup(const char *s);
char *cmp__xstrndup(const char *s, size_t n);

/* Grow arr (element type inferred) so that arr[len] is writable; returns a pointer to it. */
#define CMP__PUSH(arr, len, cap)                                                         \
    (((len) >= (cap) ? ((cap) = (cap) ? (cap) * 2 : 8,                                   \
                        (arr) = cmp__xrealloc((arr), (cap) * sizeof(*(arr))))            \
                     : (void *)0),                                                      \
     &(arr)[(len)++])

/* Length of the valid UTF-8 prefix check: returns 1 when s[0..n) is valid UTF-8 with no NUL
 * bytes and no overlong forms or surrogates, 0 otherwise. */
int cmp__utf8_valid(const char *s, size_t n);

/* Monotonic clock in seconds. */
double cmp__now(void);

#endif
