/*
 * fc_predict.c - direct scanner for POST /v1/predict bodies (see fc_predict.h).
 *
 * Why not jansson: a 10,000 x 50 compact body is ~4 MB of numbers; building a json_t per
 * value costs an allocation each and runs near 50 MB/s here. This scanner reads the fixed
 * shape of the body in one pass, writes floats straight into a growing matrix and allocates
 * only per column name and per doubling of the buffers.
 *
 * The scanner accepts exactly RFC 8259 JSON for the parts it reads (strict number grammar,
 * UTF-8 validated strings, \u escapes with surrogate pairs, no trailing garbage) and refuses
 * anything outside the documented shape, so it never has to skip unknown values.
 */
#include "fc_predict.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================== scanner state */

typedef struct scan {
    const char *p, *end, *start;
    gf_err_t *err;
    char *sbuf; /* decoded string scratch */
    size_t scap;
    fc_predict_req_t *r;
    size_t max_rows, max_cols;
} scan_t;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        abort(); /* out of memory: project policy */
    return q;
}

static int syntax(scan_t *s, const char *what)
{
    gf_err_set(s->err, GF_EINVAL, "invalid_json", "%s at byte %zu", what,
               (size_t)(s->p - s->start));
    return GF_EINVAL;
}

static inline void ws(scan_t *s)
{
    const char *p = s->p, *end = s->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    s->p = p;
}

static inline int expect(scan_t *s, char ch, const char *what)
{
    ws(s);
    if (s->p >= s->end || *s->p != ch)
        return syntax(s, what);
    s->p++;
    return 0;
}

/* ================================================================== strings */

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Length of a valid UTF-8 sequence starting at p (lead byte >= 0x80), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    unsigned cp = c & (0xff >> (n + 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static void sbuf_put(scan_t *s, size_t *n, const char *src, size_t len)
{
    if (*n + len + 1 > s->scap) {
        s->scap = (*n + len + 1) * 2;
        s->sbuf = xrealloc(s->sbuf, s->scap);
    }
    memcpy(s->sbuf + *n, src, len);
    *n += len;
}

/* Parse a string at s->p (after whitespace). *out points either into the input (no escapes)
 * or into s->sbuf (valid until the next string); *len its byte length. NUL bytes (\u0000)
 * are refused, so the result is usable as a C string after copying. */
static int str(scan_t *s, const char **out, size_t *len)
{
    ws(s);
    if (s->p >= s->end || *s->p != '"')
        return syntax(s, "expected a string");
    const char *p = ++s->p, *end = s->end;
    /* fast path: plain ASCII up to the closing quote */
    const char *q = p;
    while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 &&
           (unsigned char)*q < 0x80)
        q++;
    if (q < end && *q == '"') {
        *out = p;
        *len = (size_t)(q - p);
        s->p = q + 1;
        return 0;
    }
    size_t n = 0;
    sbuf_put(s, &n, p, (size_t)(q - p));
    p = q;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            s->sbuf[n] = '\0';
            *out = s->sbuf;
            *len = n;
            s->p = p + 1;
            return 0;
        }
        if (c < 0x20) {
            s->p = p;
            return syntax(s, "control character in string");
        }
        if (c >= 0x80) {
            size_t k = utf8_len((const unsigned char *)p, (const unsigned char *)end);
            if (k == 0) {
                s->p = p;
                return syntax(s, "invalid UTF-8 in string");
            }
            sbuf_put(s, &n, p, k);
            p += k;
            continue;
        }
        if (c != '\\') {
            sbuf_put(s, &n, p, 1);
            p++;
            continue;
        }
        if (end - p < 2) {
            s->p = p;
            return syntax(s, "unterminated escape");
        }
        char e = p[1], ch;
        p += 2;
        switch (e) {
        case '"': ch = '"'; break;
        case '\\': ch = '\\'; break;
        case '/': ch = '/'; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (end - p < 4 || hex4(p, &cp) != 0) {
                s->p = p;
                return syntax(s, "bad \\u escape");
            }
            p += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) != 0 ||
                    lo < 0xdc00 || lo > 0xdfff) {
                    s->p = p;
                    return syntax(s, "lone surrogate in \\u escape");
                }
                p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                s->p = p;
                return syntax(s, "lone surrogate in \\u escape");
            }
            if (cp == 0) {
                s->p = p;
                return syntax(s, "\\u0000 is not allowed");
            }
            char u[4];
            size_t k;
            if (cp < 0x80)
                u[0] = (char)cp, k = 1;
            else if (cp < 0x800)
                u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), k = 2;
            else if (cp < 0x10000)
                u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
                u[2] = (char)(0x80 | (cp & 0x3f)), k = 3;
            else
                u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)),
                k = 4;
            sbuf_put(s, &n, u, k);
            continue;
        }
        default:
            s->p = p - 2;
            return syntax(s, "bad escape");
        }
        sbuf_put(s, &n, &ch, 1);
    }
    s->p = p;
    return syntax(s, "unterminated string");
}

/* ================================================================== numbers */

static const double pow10_tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Strict JSON number at s->p. Exact fast path when the decimal mantissa has <= 15 significant
 * digits and |exponent| <= 22 (both factors exact doubles, one rounding); strtod otherwise. */
static int num(scan_t *s, double *out)
{
    const char *p = s->p, *end = s->end, *b = p;
    int neg = 0;
    if (p < end && *p == '-')
        neg = 1, p++;
    if (p >= end || *p < '0' || *p > '9')
        return syntax(s, "expected a number");
    uint64_t m = 0;
    int digits = 0, exp10 = 0;
    if (*p == '0') {
        p++;
    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (digits < 19)
                m = m * 10 + (uint64_t)(*p - '0'), digits += (m != 0);
            else
                exp10++, digits++;
            p++;
        }
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9') {
            s->p = p;
            return syntax(s, "digit expected after '.'");
        }
        while (p < end && *p >= '0' && *p <= '9') {
            if (digits < 19) {
                m = m * 10 + (uint64_t)(*p - '0');
                digits += (m != 0);
                exp10--;
            } else {
                digits++;
            }
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p == '-', p++;
        if (p >= end || *p < '0' || *p > '9') {
            s->p = p;
            return syntax(s, "digit expected in exponent");
        }
        int e = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (e < 100000)
                e = e * 10 + (*p - '0');
            p++;
        }
        exp10 += eneg ? -e : e;
    }
    s->p = p;
    if (digits <= 15 && exp10 >= -22 && exp10 <= 22) {
        double d = (double)m;
        d = exp10 < 0 ? d / pow10_tab[-exp10] : d * pow10_tab[exp10];
        *out = neg ? -d : d;
        return 0;
    }
    char tmp[512];
    size_t n = (size_t)(p - b);
    if (n >= sizeof tmp) { /* absurdly long literal: strtod on a heap copy */
        char *h = xrealloc(NULL, n + 1);
        memcpy(h, b, n);
        h[n] = '\0';
        *out = strtod(h, NULL);
        free(h);
        return 0;
    }
    memcpy(tmp, b, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    return 0;
}

/* A feature value: number -> float, null -> NaN. Returns 0, 1 when the value is of another
 * type or outside float range (caller reports bad_value), or a syntax error. */
static inline int value(scan_t *s, float *out)
{
    ws(s);
    if (s->p >= s->end)
        return syntax(s, "unexpected end of input");
    char c = *s->p;
    if (c == 'n') {
        if (s->end - s->p >= 4 && memcmp(s->p, "null", 4) == 0) {
            s->p += 4;
            *out = NAN;
            return 0;
        }
        return syntax(s, "invalid literal");
    }
    if (c != '-' && (c < '0' || c > '9'))
        return 1;
    double d;
    int rc = num(s, &d);
    if (rc)
        return rc;
    if (!(fabs(d) <= FLT_MAX))
        return 1;
    *out = (float)d;
    return 0;
}

static int bad_value(scan_t *s, size_t row, size_t col, const char *colname)
{
    gf_err_set(s->err, GF_EINVAL, "bad_value",
               "row %zu, column %zu%s%.64s%s: value must be a number within float range or null",
               row, col, colname ? " ('" : "", colname ? colname : "", colname ? "')" : "");
    json_t *d = json_pack("{s:s, s:I, s:I}", "field", "rows", "row", (json_int_t)row, "column",
                          (json_int_t)col);
    gf_err_add_detail(s->err, d);
    return GF_EINVAL;
}

/* ================================================================== column table */

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void table_insert(fc_predict_req_t *r, uint32_t id)
{
    const char *name = r->cols[id];
    size_t mask = r->_nslots - 1, i = hash_bytes(name, strlen(name)) & mask;
    while (r->_slots[i] != 0)
        i = (i + 1) & mask;
    r->_slots[i] = id + 1;
}

/* Id of column name[0..len), adding it when new. *is_new tells which. Errors: too many. */
static int intern(scan_t *s, const char *name, size_t len, uint32_t *id, int *is_new)
{
    fc_predict_req_t *r = s->r;
    if (r->_nslots == 0) {
        r->_nslots = 64;
        r->_slots = calloc(r->_nslots, sizeof *r->_slots);
        if (r->_slots == NULL)
            abort();
    }
    size_t mask = r->_nslots - 1, i = hash_bytes(name, len) & mask;
    while (r->_slots[i] != 0) {
        const char *c = r->cols[r->_slots[i] - 1];
        if (strncmp(c, name, len) == 0 && c[len] == '\0') {
            *id = r->_slots[i] - 1;
            *is_new = 0;
            return 0;
        }
        i = (i + 1) & mask;
    }
    if (r->ncols >= s->max_cols)
        return gf_err_set(s->err, GF_ETOOBIG, "too_many_columns", "more than %zu feature names",
                          s->max_cols);
    if (len == 0 || len > 128)
        return gf_err_set(s->err, GF_EINVAL, "bad_columns",
                          "feature names must be 1..128 bytes (column %zu)", r->ncols);
    if (r->ncols == r->_cols_cap) {
        r->_cols_cap = r->_cols_cap ? r->_cols_cap * 2 : 16;
        r->cols = xrealloc(r->cols, r->_cols_cap * sizeof *r->cols);
    }
    char *copy = xrealloc(NULL, len + 1);
    memcpy(copy, name, len);
    copy[len] = '\0';
    *id = (uint32_t)r->ncols;
    r->cols[r->ncols++] = copy;
    *is_new = 1;
    if (r->ncols * 2 > r->_nslots) {
        free(r->_slots);
        r->_nslots *= 2;
        r->_slots = calloc(r->_nslots, sizeof *r->_slots);
        if (r->_slots == NULL)
            abort();
        for (uint32_t k = 0; k < r->ncols; k++)
            table_insert(r, k);
    } else {
        table_insert(r, *id);
    }
    return 0;
}

/* ================================================================== members */

static int m_model(scan_t *s)
{
    const char *v;
    size_t n;
    int rc = str(s, &v, &n);
    if (rc)
        return rc;
    const char *at = memchr(v, '@', n);
    size_t nn = at ? (size_t)(at - v) : n, rn = at ? n - nn - 1 : 0;
    fc_predict_req_t *r = s->r;
    if (nn == 0 || nn > GF_REG_NAME_MAX || rn > GF_REG_NAME_MAX || (at && rn == 0))
        goto bad;
    memcpy(r->model, v, nn);
    r->model[nn] = '\0';
    if (at) {
        memcpy(r->ref, at + 1, rn);
        r->ref[rn] = '\0';
    }
    if (!gf_reg_name_valid(r->model) || memchr(r->ref, '@', rn) != NULL)
        goto bad;
    for (size_t i = 0; i < rn; i++) {
        unsigned char c = (unsigned char)r->ref[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            goto bad;
    }
    return 0;
bad:
    r->model[0] = r->ref[0] = '\0';
    gf_err_set(s->err, GF_EINVAL, "bad_model",
               "\"model\" must be a model name like \"load:PJM\", optionally \"@alias\" or "
               "\"@version\"");
    gf_err_add_field(s->err, "model", "model name");
    return GF_EINVAL;
}

static int m_columns(scan_t *s)
{
    int rc = expect(s, '[', "expected '[' for \"columns\"");
    if (rc)
        return rc;
    if (s->r->ncols > 0)
        return gf_err_set(s->err, GF_EINVAL, "both_forms", "give \"columns\"+\"rows\" or "
                          "\"instances\", not both");
    ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return gf_err_set(s->err, GF_EINVAL, "bad_columns", "\"columns\" must not be empty");
    }
    for (;;) {
        const char *v;
        size_t n;
        ws(s);
        if (s->p < s->end && *s->p != '"')
            return gf_err_set(s->err, GF_EINVAL, "bad_columns",
                              "\"columns\" must be an array of strings");
        if ((rc = str(s, &v, &n)) != 0)
            return rc;
        uint32_t id;
        int is_new;
        if ((rc = intern(s, v, n, &id, &is_new)) != 0)
            return rc;
        if (!is_new) {
            gf_err_set(s->err, GF_EINVAL, "duplicate_feature",
                       "feature '%.64s' appears twice in \"columns\"", s->r->cols[id]);
            gf_err_add_field(s->err, s->r->cols[id], "duplicate");
            return GF_EINVAL;
        }
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        return expect(s, ']', "expected ',' or ']' in \"columns\"");
    }
}

static int too_many_rows(scan_t *s)
{
    return gf_err_set(s->err, GF_ETOOBIG, "too_many_rows", "more than %zu rows", s->max_rows);
}

static int m_rows(scan_t *s, size_t *width)
{
    fc_predict_req_t *r = s->r;
    int rc = expect(s, '[', "expected '[' for \"rows\"");
    if (rc)
        return rc;
    ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    size_t w = 0; /* width of the first row; all rows must match */
    for (;;) {
        if (r->nrows >= s->max_rows)
            return too_many_rows(s);
        if ((rc = expect(s, '[', "expected '[' starting a row")) != 0)
            return rc;
        size_t k = 0;
        ws(s);
        if (s->p < s->end && *s->p == ']') {
            s->p++;
        } else {
            for (;;) {
                size_t at = r->nrows * w + k;
                if (r->nrows == 0 && k >= s->max_cols)
                    return gf_err_set(s->err, GF_ETOOBIG, "too_many_columns",
                                      "row 0 has more than %zu values", s->max_cols);
                if (r->nrows > 0 && k >= w)
                    return gf_err_set(s->err, GF_EINVAL, "row_length",
                                      "row %zu has more than %zu values", r->nrows, w);
                if (at >= r->_vals_cap) {
                    r->_vals_cap = r->_vals_cap ? r->_vals_cap * 2 : 1024;
                    r->_vals = xrealloc(r->_vals, r->_vals_cap * sizeof *r->_vals);
                }
                rc = value(s, &r->_vals[at]);
                if (rc == 1)
                    return bad_value(s, r->nrows, k,
                                     k < r->ncols && r->cols ? r->cols[k] : NULL);
                if (rc)
                    return rc;
                k++;
                ws(s);
                if (s->p < s->end && *s->p == ',') {
                    s->p++;
                    continue;
                }
                if ((rc = expect(s, ']', "expected ',' or ']' in a row")) != 0)
                    return rc;
                break;
            }
        }
        if (r->nrows == 0)
            w = k;
        else if (k != w)
            return gf_err_set(s->err, GF_EINVAL, "row_length", "row %zu has %zu values, row 0 %zu",
                              r->nrows, k, w);
        r->nrows++;
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if ((rc = expect(s, ']', "expected ',' or ']' after a row")) != 0)
            return rc;
        *width = w;
        return 0;
    }
}

static int m_instances(scan_t *s)
{
    fc_predict_req_t *r = s->r;
    int rc = expect(s, '[', "expected '[' for \"instances\"");
    if (rc)
        return rc;
    r->_rows_cap = 64;
    r->_row_off = xrealloc(NULL, r->_rows_cap * sizeof *r->_row_off);
    r->_row_off[0] = 0;
    ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (r->nrows >= s->max_rows)
            return too_many_rows(s);
        ws(s);
        if (s->p >= s->end || *s->p != '{')
            return gf_err_set(s->err, GF_EINVAL, "bad_instance",
                              "instance %zu must be an object of feature: value", r->nrows);
        s->p++;
        ws(s);
        size_t k = 0;
        if (s->p < s->end && *s->p == '}') {
            s->p++;
        } else {
            for (;;) {
                const char *key;
                size_t kn;
                uint32_t id;
                int is_new;
                if ((rc = str(s, &key, &kn)) != 0)
                    return rc;
                if ((rc = intern(s, key, kn, &id, &is_new)) != 0)
                    return rc;
                if ((rc = expect(s, ':', "expected ':' after a feature name")) != 0)
                    return rc;
                if (++k > s->max_cols)
                    return gf_err_set(s->err, GF_ETOOBIG, "too_many_columns",
                                      "instance %zu has more than %zu features", r->nrows,
                                      s->max_cols);
                if (r->_npairs >= r->_pairs_cap) {
                    r->_pairs_cap = r->_pairs_cap ? r->_pairs_cap * 2 : 1024;
                    r->_ids = xrealloc(r->_ids, r->_pairs_cap * sizeof *r->_ids);
                    r->_vals = xrealloc(r->_vals, r->_pairs_cap * sizeof *r->_vals);
                }
                rc = value(s, &r->_vals[r->_npairs]);
                if (rc == 1)
                    return bad_value(s, r->nrows, k - 1, r->cols[id]);
                if (rc)
                    return rc;
                r->_ids[r->_npairs++] = id;
                ws(s);
                if (s->p < s->end && *s->p == ',') {
                    s->p++;
                    continue;
                }
                if ((rc = expect(s, '}', "expected ',' or '}' in an instance")) != 0)
                    return rc;
                break;
            }
        }
        r->nrows++;
        if (r->nrows + 1 > r->_rows_cap) {
            r->_rows_cap *= 2;
            r->_row_off = xrealloc(r->_row_off, r->_rows_cap * sizeof *r->_row_off);
        }
        r->_row_off[r->nrows] = r->_npairs;
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        return expect(s, ']', "expected ',' or ']' after an instance");
    }
}

static int m_horizons(scan_t *s, size_t *n)
{
    fc_predict_req_t *r = s->r;
    int rc = expect(s, '[', "expected '[' for \"horizons\"");
    if (rc)
        return rc;
    size_t cap = 0;
    *n = 0;
    ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (*n >= s->max_rows)
            return too_many_rows(s);
        ws(s);
        double d;
        if (s->p >= s->end || !(*s->p == '-' || (*s->p >= '0' && *s->p <= '9')))
            goto bad;
        if ((rc = num(s, &d)) != 0)
            return rc;
        if (!(d >= 1 && d <= 1e6 && d == floor(d)))
            goto bad;
        if (*n >= cap) {
            cap = cap ? cap * 2 : 256;
            r->horizons = xrealloc(r->horizons, cap * sizeof *r->horizons);
        }
        r->horizons[(*n)++] = (int32_t)d;
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        return expect(s, ']', "expected ',' or ']' in \"horizons\"");
    }
bad:
    gf_err_set(s->err, GF_EINVAL, "bad_horizons",
               "\"horizons\" must hold integers 1..1000000 (entry %zu)", *n);
    gf_err_add_field(s->err, "horizons", "integer >= 1");
    return GF_EINVAL;
}

/* ================================================================== parse */

void fc_predict_req_cleanup(fc_predict_req_t *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->ncols; i++)
        free(r->cols[i]);
    free(r->cols);
    free(r->horizons);
    free(r->_vals);
    free(r->_ids);
    free(r->_row_off);
    free(r->_slots);
    memset(r, 0, sizeof *r);
}

int fc_predict_parse(const char *body, size_t len, const fc_predict_limits_t *lim,
                     fc_predict_req_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    scan_t s = {.p = body, .end = body + len, .start = body, .err = err, .r = out};
    s.max_rows = lim && lim->max_rows ? lim->max_rows : FC_PREDICT_MAX_ROWS;
    s.max_cols = lim && lim->max_cols ? lim->max_cols : FC_PREDICT_MAX_COLS;
    if (body == NULL)
        s.p = s.end = s.start = "";
    enum { M_MODEL = 1, M_COLUMNS = 2, M_ROWS = 4, M_INSTANCES = 8, M_HORIZONS = 16 };
    unsigned seen = 0;
    size_t width = 0, nh = 0;
    int rc;
    ws(&s);
    if (s.p >= s.end)
        return syntax(&s, "empty body");
    if (*s.p != '{') {
        if (*s.p == '[' || *s.p == '"' || *s.p == '-' || (*s.p >= '0' && *s.p <= '9') ||
            *s.p == 't' || *s.p == 'f' || *s.p == 'n')
            rc = gf_err_set(err, GF_EINVAL, "not_an_object", "body must be a JSON object");
        else
            rc = syntax(&s, "expected '{'");
        goto out;
    }
    s.p++;
    ws(&s);
    if (s.p < s.end && *s.p == '}') {
        s.p++;
    } else {
        for (;;) {
            const char *key;
            size_t kn;
            if ((rc = str(&s, &key, &kn)) != 0)
                goto out;
            unsigned m = 0;
            if (kn == 5 && memcmp(key, "model", 5) == 0)
                m = M_MODEL;
            else if (kn == 7 && memcmp(key, "columns", 7) == 0)
                m = M_COLUMNS;
            else if (kn == 4 && memcmp(key, "rows", 4) == 0)
                m = M_ROWS;
            else if (kn == 9 && memcmp(key, "instances", 9) == 0)
                m = M_INSTANCES;
            else if (kn == 8 && memcmp(key, "horizons", 8) == 0)
                m = M_HORIZONS;
            if (m == 0) {
                gf_err_set(err, GF_EINVAL, "unknown_field", "unknown member '%.*s'",
                           (int)(kn > 64 ? 64 : kn), key);
                rc = GF_EINVAL;
                goto out;
            }
            if (seen & m) {
                gf_err_set(err, GF_EINVAL, "duplicate_field", "member '%.*s' appears twice",
                           (int)kn, key);
                rc = GF_EINVAL;
                goto out;
            }
            if (((m & (M_COLUMNS | M_ROWS)) && (seen & M_INSTANCES)) ||
                ((m & M_INSTANCES) && (seen & (M_COLUMNS | M_ROWS)))) {
                rc = gf_err_set(err, GF_EINVAL, "both_forms",
                                "give \"columns\"+\"rows\" or \"instances\", not both");
                goto out;
            }
            seen |= m;
            if ((rc = expect(&s, ':', "expected ':' after a member name")) != 0)
                goto out;
            switch (m) {
            case M_MODEL: rc = m_model(&s); break;
            case M_COLUMNS: rc = m_columns(&s); break;
            case M_ROWS: rc = m_rows(&s, &width); break;
            case M_INSTANCES: rc = m_instances(&s); break;
            default: rc = m_horizons(&s, &nh); break;
            }
            if (rc)
                goto out;
            ws(&s);
            if (s.p < s.end && *s.p == ',') {
                s.p++;
                continue;
            }
            if ((rc = expect(&s, '}', "expected ',' or '}' after a member")) != 0)
                goto out;
            break;
        }
    }
    ws(&s);
    if (s.p != s.end) {
        rc = syntax(&s, "trailing characters after the object");
        goto out;
    }
    /* shape checks */
    const char *missing = !(seen & M_MODEL)                              ? "model"
                          : !(seen & (M_ROWS | M_COLUMNS | M_INSTANCES)) ? "instances"
                          : (seen & M_ROWS) && !(seen & M_COLUMNS)       ? "columns"
                          : (seen & M_COLUMNS) && !(seen & M_ROWS)       ? "rows"
                                                                         : NULL;
    if (missing) {
        gf_err_set(err, GF_EINVAL, "missing_field", "member '%s' is required", missing);
        gf_err_add_field(err, missing, "required");
        rc = GF_EINVAL;
        goto out;
    }
    out->form = (seen & M_INSTANCES) ? FC_FORM_INSTANCES : FC_FORM_ROWS;
    if (out->nrows == 0) {
        rc = gf_err_set(err, GF_EINVAL, "no_rows", "at least one row is required");
        goto out;
    }
    if (out->form == FC_FORM_ROWS && width != out->ncols) {
        rc = gf_err_set(err, GF_EINVAL, "row_length", "rows have %zu values, \"columns\" names %zu",
                        width, out->ncols);
        goto out;
    }
    if ((seen & M_HORIZONS) && nh != out->nrows) {
        rc = gf_err_set(err, GF_EINVAL, "bad_horizons", "%zu horizons for %zu rows", nh,
                        out->nrows);
        goto out;
    }
    rc = 0;
out:
    free(s.sbuf);
    return rc;
}

/* ================================================================== bind */

/* Append a name to the "unknown"/"missing" report: message lists up to 10, details up to 50. */
typedef struct report {
    char msg[200];
    size_t n;
    json_t *details;
} report_t;

static void report_add(report_t *rep, const char *name, const char *reason)
{
    if (rep->n < 10) {
        size_t o = strlen(rep->msg);
        snprintf(rep->msg + o, sizeof rep->msg - o, "%s'%.40s'", rep->n ? ", " : "", name);
    }
    if (rep->n < 50) {
        if (rep->details == NULL)
            rep->details = json_array();
        json_array_append_new(rep->details,
                              json_pack("{s:s, s:s}", "field", name, "reason", reason));
    }
    rep->n++;
}

static int report_fail(report_t *rep, gf_err_t *err, const char *code, const char *what,
                       const char *where)
{
    gf_err_set(err, GF_EUNPROCESSABLE, code, "%zu %s feature%s%s: %s%s", rep->n, what,
               rep->n == 1 ? "" : "s", where, rep->msg, rep->n > 10 ? ", ..." : "");
    size_t i;
    json_t *d;
    json_array_foreach(rep->details, i, d) gf_err_add_detail(err, json_incref(d));
    json_decref(rep->details);
    rep->details = NULL;
    return GF_EUNPROCESSABLE;
}

int fc_predict_bind(const fc_predict_req_t *req, const char *const *names, size_t n, float *x,
                    gf_err_t *err)
{
    /* map request column -> model index through the request's own name table */
    long *map = xrealloc(NULL, (req->ncols ? req->ncols : 1) * sizeof *map);
    unsigned char *covered = calloc(n ? n : 1, 1);
    size_t *stamp = NULL;
    report_t rep = {{0}, 0, NULL};
    int rc = 0;
    if (covered == NULL)
        abort();
    for (size_t c = 0; c < req->ncols; c++)
        map[c] = -1;
    for (size_t j = 0; j < n; j++) {
        size_t len = strlen(names[j]);
        if (req->_nslots == 0)
            break;
        size_t mask = req->_nslots - 1, i = hash_bytes(names[j], len) & mask;
        while (req->_slots[i] != 0) {
            uint32_t id = req->_slots[i] - 1;
            if (strcmp(req->cols[id], names[j]) == 0) {
                map[id] = (long)j;
                covered[j] = 1;
                break;
            }
            i = (i + 1) & mask;
        }
    }
    for (size_t c = 0; c < req->ncols; c++)
        if (map[c] < 0)
            report_add(&rep, req->cols[c], "unknown feature");
    if (rep.n) {
        rc = report_fail(&rep, err, "unknown_features", "unknown", " for this model");
        goto out;
    }
    for (size_t j = 0; j < n; j++)
        if (!covered[j])
            report_add(&rep, names[j], "missing feature");
    if (rep.n) {
        rc = report_fail(&rep, err, "missing_features", "missing", "");
        goto out;
    }
    if (req->form == FC_FORM_ROWS) {
        /* ncols == n here (every request column known and every model column covered) */
        const float *v = req->_vals;
        for (size_t r = 0; r < req->nrows; r++, v += req->ncols) {
            float *row = x + r * n;
            for (size_t c = 0; c < req->ncols; c++)
                row[map[c]] = v[c];
        }
        goto out;
    }
    stamp = calloc(n ? n : 1, sizeof *stamp);
    if (stamp == NULL)
        abort();
    for (size_t r = 0; r < req->nrows; r++) {
        float *row = x + r * n;
        size_t got = 0;
        for (size_t k = req->_row_off[r]; k < req->_row_off[r + 1]; k++) {
            size_t j = (size_t)map[req->_ids[k]];
            if (stamp[j] == r + 1) {
                gf_err_set(err, GF_EINVAL, "duplicate_feature",
                           "instance %zu names feature '%.64s' twice", r, names[j]);
                gf_err_add_field(err, names[j], "duplicate");
                rc = GF_EINVAL;
                goto out;
            }
            stamp[j] = r + 1;
            row[j] = req->_vals[k];
            got++;
        }
        if (got != n) {
            for (size_t j = 0; j < n; j++)
                if (stamp[j] != r + 1)
                    report_add(&rep, names[j], "missing feature");
            char where[48];
            snprintf(where, sizeof where, " in instance %zu", r);
            rc = report_fail(&rep, err, "missing_features", "missing", where);
            goto out;
        }
    }
out:
    json_decref(rep.details);
    free(map);
    free(covered);
    free(stamp);
    return rc;
}
