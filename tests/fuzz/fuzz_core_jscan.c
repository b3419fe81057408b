/*
 * fuzz_core_jscan.c - the kit's JSON scanner (core/jscan.h) on arbitrary bytes, checked
 * against jansson: a whole document jansson accepts, the scanner accepts too (unless it nests
 * deeper than GF_JSCAN_MAX_DEPTH or holds a raw NUL byte), and a document the scanner accepts,
 * jansson accepts too unless a number overflows a double (the scanner gives inf and leaves that to
 * the caller). A token walk then checks every string decodes to valid UTF-8 (or is cut at the
 * buffer size it reports), numbers are never NaN, and errors carry a position inside the input.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/jscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    const char *buf = (const char *)data;

    /* 1. one whole document, against jansson */
    gf_jscan_t j;
    gf_jscan_init(&j, buf, size);
    int ok = gf_jscan_skip(&j) == 0 && gf_jscan_peek(&j) < 0 && j.err_msg == NULL;
    int deep = j.err_msg && strcmp(j.err_msg, "nesting too deep") == 0;
    json_error_t jerr;
    json_t *doc = json_loadb(buf, size, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
                             &jerr);
    /* (jansson reads a raw NUL byte as the end of the input: RFC 8259 has no such rule) */
    if (doc && !ok && !deep && memchr(buf, 0, size) == NULL)
        abort();
    if (!doc && ok && strstr(jerr.text, "overflow") == NULL)
        abort();
    json_decref(doc);
    if (j.err_msg && (j.err_pos > size || j.err_line < 1 || j.err_col < 1))
        abort();

    /* 2. token walk: strings, numbers, literals, punctuation, in any order */
    gf_jscan_init(&j, buf, size);
    j.no_nul = size > 0 && data[0] & 1;
    for (int c = gf_jscan_peek(&j); c >= 0; c = gf_jscan_peek(&j)) {
        if (c == '"') {
            char out[32];
            size_t n = 0;
            if (gf_jscan_string(&j, out, sizeof out, &n) != 0)
                break;
            if (out[n < sizeof out ? n : sizeof out - 1] != '\0')
                abort();
            if (n < sizeof out && memchr(out, 0, n) == NULL && !gf_utf8_valid(out, n))
                abort();
            if (j.no_nul && n < sizeof out && memchr(out, 0, n) != NULL)
                abort();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            double v;
            if (gf_jscan_number(&j, &v) != 0)
                break;
            if (isnan(v))
                abort();
        } else if (c == 't' || c == 'f' || c == 'n') {
            if (gf_jscan_literal(&j, NULL) != 0)
                break;
        } else if (c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':') {
            gf_jscan_expect(&j, c);
        } else {
            gf_jscan_fail(&j, "stop");
            break;
        }
    }
    if (j.err_msg && j.err_pos > size)
        abort();
    return 0;
}
