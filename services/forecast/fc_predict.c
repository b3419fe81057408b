/*
 * fc_predict.c - POST /v1/predict bodies on the kit's JSON scanner (see fc_predict.h).
 *
 * Why not jansson: a 10,000 x 50 compact body is ~4 MB of numbers; building a json_t per
 * value costs an allocation each and runs near 50 MB/s here. This parser walks the fixed
 * shape of the body in one pass with core/jscan.h, writes floats straight into a growing
 * matrix and allocates only per column name and per doubling of the buffers.
 *
 * The scanner accepts exactly RFC 8259 JSON for the parts read here (strict number grammar,
 * UTF-8 validated strings, \u escapes with surrogate pairs, no trailing garbage; \u0000 is
 * refused so that names are C strings) and this file refuses anything outside the documented
 * shape, so it never has to skip unknown values.
 */
#include "fc_predict.h"

#include "core/jscan.h"
#include "core/util.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================== scanner state */

typedef struct scan {
    gf_jscan_t j;
    gf_err_t *err;
    char *sbuf; /* decoded string scratch */
    size_t scap;
    fc_predict_req_t *r;
    size_t max_rows, max_cols;
} scan_t;

/* The scanner's error as the API's: "invalid_json", message with the byte offset. */
static int syntax_err(scan_t *s)
{
    gf_err_set(s->err, GF_EINVAL, "invalid_json", "%s at byte %zu", s->j.err_msg, s->j.err_pos);
    return GF_EINVAL;
}

static int syntax(scan_t *s, const char *what)
{
    gf_jscan_fail(&s->j, what);
    return syntax_err(s);
}

/* Next byte after whitespace (not consumed), or -1 at the end. */
static inline int peek(scan_t *s)
{
    return gf_jscan_peek(&s->j);
}

/* Consume ch when it is next (after whitespace): 1, else 0. */
static inline int accept(scan_t *s, int ch)
{
    if (gf_jscan_peek(&s->j) != ch)
        return 0;
    s->j.pos++;
    return 1;
}

static inline int expect(scan_t *s, int ch, const char *what)
{
    return accept(s, ch) ? 0 : syntax(s, what);
}

/* A string into s->sbuf (valid until the next string); *len its byte length. NUL bytes
 * (\u0000) are refused, so the result is a C string. */
static int str(scan_t *s, const char **out, size_t *len)
{
    if (s->scap == 0) {
        s->scap = 256;
        s->sbuf = gf_xmalloc(s->scap);
    }
    gf_jscan_t at = s->j;
    size_t n;
    if (gf_jscan_string(&s->j, s->sbuf, s->scap, &n) != 0)
        return syntax_err(s);
    if (n >= s->scap) { /* a long string: decode it again into a buffer that holds it */
        s->scap = n + 1;
        s->sbuf = gf_xrealloc(s->sbuf, s->scap);
        s->j = at;
        if (gf_jscan_string(&s->j, s->sbuf, s->scap, &n) != 0)
            return syntax_err(s);
    }
    *out = s->sbuf;
    *len = n;
    return 0;
}

/* A JSON number (the kit's one number rule, core/jscan.h). */
static int num(scan_t *s, double *out)
{
    return gf_jscan_number(&s->j, out) == 0 ? 0 : syntax_err(s);
}

/* A feature value: number -> float, null -> NaN. Returns 0, 1 when the value is of another
 * type or outside float range (caller reports bad_value), or a syntax error. */
static inline int value(scan_t *s, float *out)
{
    int c = peek(s);
    if (c < 0)
        return syntax(s, "unexpected end of input");
    if (c == 'n') {
        if (gf_jscan_literal(&s->j, NULL) != 0)
            return syntax_err(s);
        *out = NAN;
        return 0;
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
        r->_slots = gf_xcalloc(r->_nslots, sizeof *r->_slots);
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
        r->cols = gf_xrealloc(r->cols, r->_cols_cap * sizeof *r->cols);
    }
    char *copy = gf_xstrndup(name, len);
    *id = (uint32_t)r->ncols;
    r->cols[r->ncols++] = copy;
    *is_new = 1;
    if (r->ncols * 2 > r->_nslots) {
        free(r->_slots);
        r->_nslots *= 2;
        r->_slots = gf_xcalloc(r->_nslots, sizeof *r->_slots);
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
        return gf_err_set(s->err, GF_EINVAL, "both_forms",
                          "give \"columns\"+\"rows\" or "
                          "\"instances\", not both");
    if (accept(s, ']'))
        return gf_err_set(s->err, GF_EINVAL, "bad_columns", "\"columns\" must not be empty");
    for (;;) {
        const char *v;
        size_t n;
        int c = peek(s);
        if (c >= 0 && c != '"')
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
        if (accept(s, ','))
            continue;
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
    if (accept(s, ']'))
        return 0;
    size_t w = 0; /* width of the first row; all rows must match */
    for (;;) {
        if (r->nrows >= s->max_rows)
            return too_many_rows(s);
        if ((rc = expect(s, '[', "expected '[' starting a row")) != 0)
            return rc;
        size_t k = 0;
        if (!accept(s, ']')) {
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
                    r->_vals = gf_xrealloc(r->_vals, r->_vals_cap * sizeof *r->_vals);
                }
                rc = value(s, &r->_vals[at]);
                if (rc == 1)
                    return bad_value(s, r->nrows, k, k < r->ncols && r->cols ? r->cols[k] : NULL);
                if (rc)
                    return rc;
                k++;
                if (accept(s, ','))
                    continue;
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
        if (accept(s, ','))
            continue;
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
    r->_row_off = gf_xmalloc(r->_rows_cap * sizeof *r->_row_off);
    r->_row_off[0] = 0;
    if (accept(s, ']'))
        return 0;
    for (;;) {
        if (r->nrows >= s->max_rows)
            return too_many_rows(s);
        if (!accept(s, '{'))
            return gf_err_set(s->err, GF_EINVAL, "bad_instance",
                              "instance %zu must be an object of feature: value", r->nrows);
        size_t k = 0;
        if (!accept(s, '}')) {
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
                    r->_ids = gf_xrealloc(r->_ids, r->_pairs_cap * sizeof *r->_ids);
                    r->_vals = gf_xrealloc(r->_vals, r->_pairs_cap * sizeof *r->_vals);
                }
                rc = value(s, &r->_vals[r->_npairs]);
                if (rc == 1)
                    return bad_value(s, r->nrows, k - 1, r->cols[id]);
                if (rc)
                    return rc;
                r->_ids[r->_npairs++] = id;
                if (accept(s, ','))
                    continue;
                if ((rc = expect(s, '}', "expected ',' or '}' in an instance")) != 0)
                    return rc;
                break;
            }
        }
        r->nrows++;
        if (r->nrows + 1 > r->_rows_cap) {
            r->_rows_cap *= 2;
            r->_row_off = gf_xrealloc(r->_row_off, r->_rows_cap * sizeof *r->_row_off);
        }
        r->_row_off[r->nrows] = r->_npairs;
        if (accept(s, ','))
            continue;
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
    if (accept(s, ']'))
        return 0;
    for (;;) {
        if (*n >= s->max_rows)
            return too_many_rows(s);
        double d;
        int c = peek(s);
        if (!(c == '-' || (c >= '0' && c <= '9')))
            goto bad;
        if ((rc = num(s, &d)) != 0)
            return rc;
        if (!(d >= 1 && d <= 1e6 && d == floor(d)))
            goto bad;
        if (*n >= cap) {
            cap = cap ? cap * 2 : 256;
            r->horizons = gf_xrealloc(r->horizons, cap * sizeof *r->horizons);
        }
        r->horizons[(*n)++] = (int32_t)d;
        if (accept(s, ','))
            continue;
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
    scan_t s = {.err = err, .r = out};
    gf_jscan_init(&s.j, body ? body : "", body ? len : 0);
    s.j.no_nul = 1;
    s.max_rows = lim && lim->max_rows ? lim->max_rows : FC_PREDICT_MAX_ROWS;
    s.max_cols = lim && lim->max_cols ? lim->max_cols : FC_PREDICT_MAX_COLS;
    enum { M_MODEL = 1, M_COLUMNS = 2, M_ROWS = 4, M_INSTANCES = 8, M_HORIZONS = 16 };
    unsigned seen = 0;
    size_t width = 0, nh = 0;
    int rc;
    int c = peek(&s);
    if (c < 0)
        return syntax(&s, "empty body");
    if (c != '{') {
        if (c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' ||
            c == 'n')
            rc = gf_err_set(err, GF_EINVAL, "not_an_object", "body must be a JSON object");
        else
            rc = syntax(&s, "expected '{'");
        goto out;
    }
    s.j.pos++;
    if (!accept(&s, '}')) {
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
            case M_MODEL:
                rc = m_model(&s);
                break;
            case M_COLUMNS:
                rc = m_columns(&s);
                break;
            case M_ROWS:
                rc = m_rows(&s, &width);
                break;
            case M_INSTANCES:
                rc = m_instances(&s);
                break;
            default:
                rc = m_horizons(&s, &nh);
                break;
            }
            if (rc)
                goto out;
            if (accept(&s, ','))
                continue;
            if ((rc = expect(&s, '}', "expected ',' or '}' after a member")) != 0)
                goto out;
            break;
        }
    }
    if (peek(&s) >= 0) {
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
    long *map = gf_xmalloc(req->ncols * sizeof *map);
    unsigned char *covered = gf_xcalloc(n, 1);
    size_t *stamp = NULL;
    report_t rep = {{0}, 0, NULL};
    int rc = 0;
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
    stamp = gf_xcalloc(n, sizeof *stamp);
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
