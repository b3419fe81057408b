/*
 * util.h - small helpers shared by the compliance modules (not part of the public API).
 *
 * Allocation is the kit's gf_xmalloc family (core/util.h, included here): it aborts on
 * out-of-memory, so call sites stay short. CMP__PUSH grows a (ptr, len, cap) triple by doubling.
 * Text is built with the kit's gf_sbuf_t (core/sbuf.h).
 */
#ifndef GF_COMPLIANCE_UTIL_H
#define GF_COMPLIANCE_UTIL_H

#include <stddef.h>

#include "core/util.h"

/* Grow arr (element type inferred) so that arr[len] is writable; returns a pointer to it. */
#define CMP__PUSH(arr, len, cap)                                                                   \
    (((len) >= (cap)                                                                               \
          ? ((cap) = (cap) ? (cap)*2 : 8, (arr) = gf_xrealloc((arr), (cap) * sizeof(*(arr))))      \
          : (void *)0),                                                                            \
     &(arr)[(len)++])

/* Monotonic clock in seconds. */
double cmp__now(void);

#endif
