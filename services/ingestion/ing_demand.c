/*
 * ing_demand.c - demand history import (see ing_demand.h).
 *
 * Sections: row checks shared by both formats; CSV records -> rows; JSON element splitter
 * -> rows; the importer; the Redis upsert script and its argument builder; the blocking
 * file importer. (Read-back is gf_feat_demand_load in libs/features.)
 */
#include "ing_demand.h"
#include "core/util.h"

#include "core/jscan.h"
#include "ing_csv.h"
#include "ing_keys.h"
#include "core/region.h"

#include "core/redis.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ELEMENT 65536
#define GROUP_MAX 1000 /* rows per HSET (Lua unpack limit is 8000 values) */

enum { COL_TS, COL_REGION, COL_VALUE, COL_EXTRA, NCOLS }; /* EXTRA: temperature or raw */

/* Column names (CSV header) = member names (JSON rows) of each kind, in COL_* order. */
static const char *const *col_names(ing_import_kind_t kind)
{
    static const char *const demand[NCOLS] = {"timestamp", "region", "demand_mw", "temperature_c"};
    static const char *const flags[NCOLS] = {"timestamp", "region", "category", "raw_demand"};
    return kind == ING_IMPORT_FLAGS ? flags : demand;
}

typedef struct reject_rec {
    size_t line;
    long index; /* JSON: 0-based element; CSV: -1 */
    char code[32];
    char reason[160];
} reject_rec_t;

struct ing_demand_import {
    ing_demand_opts_t o;
    ing_demand_flush_cb cb;
    void *ud;
    ing_demand_stats_t st;
    ing_demand_row_t *rows;
    size_t nrows;
    reject_rec_t *rejects;
    size_t nrejects;
    int rc;        /* sticky error */
    gf_err_t *err; /* caller's err during a feed/finish call */
    /* CSV */
    ing_csv_t csv;
    int header_done;
    int col[NCOLS];
    size_t hdr_fields;   /* fields of the header: every row must have as many */
    int dec_comma;       /* ';'-separated CSV: ',' is the decimal separator */
    const char *num_why; /* why the last parse_num refused, for the row's reason */
    /* JSON splitter */
    int jmode;       /* J_START, J_ARRAY, J_NDJSON, J_ELEM, J_END */
    int jneed_comma; /* array: an element was read, ',' or ']' expected */
    int jdepth, jin_str, jesc;
    int jin_array; /* the elements belong to an array (not NDJSON) */
    size_t jelems; /* elements read */
    char *elem;
    size_t elem_len;
    size_t jline, jcol;         /* position of the next byte */
    size_t elem_line, elem_col; /* where the current element started */
};

enum { J_START, J_ARRAY, J_NDJSON, J_ELEM, J_END };

void ing_demand_opts_default(ing_demand_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->chunk_rows = 4096;
    o->max_rejects_kept = 100;
}

/* ------------------------------------------------------------------ row checks */

static void add_reject(ing_demand_import_t *imp, size_t line, const char *code, const char *reason)
{
    imp->st.rows_rejected++;
    if (imp->nrejects >= imp->o.max_rejects_kept)
        return;
    reject_rec_t *r = &imp->rejects[imp->nrejects++];
    r->line = line;
    r->index = imp->o.format == ING_FMT_JSON ? (long)imp->jelems : -1;
    snprintf(r->code, sizeof r->code, "%s", code);
    ing_printable(r->reason, sizeof r->reason, reason, strlen(reason));
}

static int flush(ing_demand_import_t *imp)
{
    if (imp->nrows == 0 || imp->rc != 0)
        return imp->rc;
    int rc = imp->cb(imp->ud, imp->rows, imp->nrows, imp->err);
    imp->nrows = 0;
    if (rc != 0)
        imp->rc = rc;
    return rc;
}

/* Checks a row whose fields are already split out; appends it or rejects it. */
static int take_row(ing_demand_import_t *imp, size_t line, const char *ts, size_t tsn,
                    const char *reg, size_t regn, int value_ok, double value, const char *value_txt,
                    size_t value_n, int temp_state, double temp)
{
    ing_demand_row_t row;
    char reason[160];
    memset(&row, 0, sizeof row);
    const char *code = ing_hour_of(imp->o.tz, imp->o.label, ts, tsn, &row.hour);
    if (code) {
        snprintf(reason, sizeof reason, "timestamp '%.*s' %s", (int)(tsn > 40 ? 40 : tsn), ts,
                 ing_stamp_reason(code));
        add_reject(imp, line, code, reason);
        return 0;
    }
    if (!gf_region_valid_n(reg, regn)) {
        add_reject(imp, line, "invalid_region",
                   "region must be 1-16 characters of A-Z a-z 0-9 _ -");
        return 0;
    }
    if (imp->o.regions && ing_regions_find(imp->o.regions, reg, regn) == NULL) {
        snprintf(reason, sizeof reason, "region '%.*s' is not known", (int)regn, reg);
        add_reject(imp, line, "unknown_region", reason);
        return 0;
    }
    memcpy(row.region, reg, regn);
    if (imp->o.kind == ING_IMPORT_FLAGS) {
        if (value_n == 0 || value_n >= sizeof row.category) {
            add_reject(imp, line, "bad_category", "category must be 1-31 characters");
            return 0;
        }
        /* a category is a code (IDENTICAL_RUN, MISSING, ...): printable ASCII, so that what
         * is stored is what GET /v1/demand can show */
        for (size_t i = 0; i < value_n; i++)
            if ((unsigned char)value_txt[i] < 0x20 || (unsigned char)value_txt[i] > 0x7e ||
                value_txt[i] == ',') {
                add_reject(imp, line, "bad_category",
                           "category must be printable ASCII without ','");
                return 0;
            }
        memcpy(row.category, value_txt, value_n);
    } else {
        if (!value_ok) {
            snprintf(reason, sizeof reason, "demand_mw must be a finite number%s%s",
                     imp->num_why ? ": " : "", imp->num_why ? imp->num_why : "");
            add_reject(imp, line, "bad_demand", reason);
            return 0;
        }
        if (value < 0) {
            add_reject(imp, line, "negative_demand", "demand_mw must not be negative");
            return 0;
        }
        if (value > ING_DEMAND_MAX_MW) {
            snprintf(reason, sizeof reason, "demand_mw must be at most %g MW", ING_DEMAND_MAX_MW);
            add_reject(imp, line, "demand_out_of_range", reason);
            return 0;
        }
        row.demand_mw = value;
        if (temp_state < 0) {
            snprintf(reason, sizeof reason, "temperature_c must be a number or empty%s%s",
                     imp->num_why ? ": " : "", imp->num_why ? imp->num_why : "");
            add_reject(imp, line, "bad_temperature", reason);
            return 0;
        }
        if (temp_state > 0 && (temp < -90 || temp > 70)) {
            add_reject(imp, line, "temperature_out_of_range",
                       "temperature_c must lie within -90..70");
            return 0;
        }
        row.has_temp = temp_state > 0;
        row.temperature_c = temp;
    }
    imp->rows[imp->nrows++] = row;
    imp->st.rows_ok++;
    if (imp->nrows == imp->o.chunk_rows)
        return flush(imp);
    return 0;
}

/* ------------------------------------------------------------------ CSV */

/* Decimal text -> finite double (ing_parse_decimal with this file's separator). 1 on
 * success; on refusal imp->num_why may say why. */
static int parse_num(ing_demand_import_t *imp, const char *p, size_t n, double *v)
{
    return ing_parse_decimal(p, n, imp->dec_comma, &imp->num_why, v);
}

static int header(ing_demand_import_t *imp, size_t line, const ing_csv_field_t *f, size_t nf)
{
    const char *const *names = col_names(imp->o.kind);
    for (int k = 0; k < NCOLS; k++)
        imp->col[k] = -1;
    /* Names match case-insensitively; a column named twice or not known refuses the file
     * (a misspelt temperature_c must not drop the temperatures without a word). */
    for (size_t i = 0; i < nf; i++) {
        const char *p = f[i].p;
        size_t n = f[i].n;
        ing_trim(&p, &n);
        int k = 0;
        while (k < NCOLS && !(strlen(names[k]) == n && strncasecmp(names[k], p, n) == 0))
            k++;
        if (k == NCOLS) {
            char col[44];
            imp->rc = gf_err_set(imp->err, GF_EINVAL, "bad_header",
                                 "line %zu: unknown column '%s' (the columns are %s,%s,%s and "
                                 "optionally %s)",
                                 line, ing_printable(col, sizeof col, p, n > 40 ? 40 : n), names[0],
                                 names[1], names[2], names[3]);
            return imp->rc;
        }
        if (imp->col[k] >= 0) {
            imp->rc = gf_err_set(imp->err, GF_EINVAL, "bad_header",
                                 "line %zu: column %s is named twice", line, names[k]);
            return imp->rc;
        }
        imp->col[k] = (int)i;
    }
    for (int k = 0; k < COL_EXTRA; k++)
        if (imp->col[k] < 0) {
            imp->rc = gf_err_set(imp->err, GF_EINVAL, "bad_header",
                                 "line %zu: the header must name the columns %s,%s,%s", line,
                                 names[0], names[1], names[2]);
            return imp->rc;
        }
    imp->hdr_fields = nf;
    imp->dec_comma = ing_csv_delim(&imp->csv) == ';';
    imp->header_done = 1;
    return 0;
}

static int on_csv_record(void *ud, size_t line, const ing_csv_field_t *f, size_t nf,
                         const char *cerr)
{
    ing_demand_import_t *imp = ud;
    if (!imp->header_done) {
        if (cerr)
            return imp->rc = gf_err_set(imp->err, GF_EINVAL, "bad_header", "line %zu: %s", line,
                                        cerr);
        return header(imp, line, f, nf);
    }
    imp->st.rows_total++;
    if (cerr) {
        add_reject(imp, line, cerr, "malformed CSV record");
        return 0;
    }
    if (nf != imp->hdr_fields) {
        /* More fields than the header: an unquoted separator in a value (1,234) or a
         * shifted row; fewer: a value missing. Either way no column can be trusted. */
        char reason[96];
        snprintf(reason, sizeof reason, "the header has %zu fields, this row %zu%s",
                 imp->hdr_fields, nf,
                 nf > imp->hdr_fields ? " (an unquoted separator in a value?)" : "");
        add_reject(imp, line, "field_count", reason);
        return 0;
    }
    const ing_csv_field_t *ts = &f[imp->col[COL_TS]], *reg = &f[imp->col[COL_REGION]],
                          *val = &f[imp->col[COL_VALUE]];
    const char *tp = ts->p, *rp = reg->p, *vp = val->p;
    size_t tn = ts->n, rn = reg->n, vn = val->n;
    ing_trim(&tp, &tn);
    ing_trim(&rp, &rn);
    ing_trim(&vp, &vn);
    double v = 0, t = NAN;
    int vok = imp->o.kind == ING_IMPORT_FLAGS ? 1 : parse_num(imp, vp, vn, &v);
    int tstate = 0;
    if (vok && imp->o.kind == ING_IMPORT_DEMAND && imp->col[COL_EXTRA] >= 0) {
        const char *xp = f[imp->col[COL_EXTRA]].p;
        size_t xn = f[imp->col[COL_EXTRA]].n;
        ing_trim(&xp, &xn);
        if (xn > 0)
            tstate = parse_num(imp, xp, xn, &t) ? 1 : -1;
    }
    return take_row(imp, line, tp, tn, rp, rn, vok, v, vp, vn, tstate, t);
}

/* ------------------------------------------------------------------ JSON */

static int json_fail(ing_demand_import_t *imp, size_t line, size_t col, const char *msg)
{
    imp->rc = gf_err_set(imp->err, GF_EINVAL, "malformed_json",
                         "malformed JSON at line %zu, column %zu: %s", line, col, msg);
    gf_err_add_detail(imp->err,
                      json_pack("{s:I,s:I}", "line", (json_int_t)line, "column", (json_int_t)col));
    return imp->rc;
}

/* The bit of a row member known to this kind of import (the CSV column names), or 0. */
static int member_bit(ing_import_kind_t kind, const char *key, size_t kn)
{
    const char *const *names = col_names(kind);
    for (int k = 0; k < NCOLS; k++)
        if (strlen(names[k]) == kn && memcmp(names[k], key, kn) == 0)
            return 1 << k;
    return 0;
}

/* One complete top-level element (an object, checked by the scanner) -> one row. */
static int json_element(ing_demand_import_t *imp)
{
    gf_jscan_t j;
    gf_jscan_init(&j, imp->elem, imp->elem_len);
    size_t line = imp->elem_line;
    char ts[48] = "", reg[32] = "", cat[40] = "";
    size_t tsn = 0, regn = 0, catn = 0;
    int bad_ts = 0, bad_reg = 0, vok = 0, tstate = 0;
    unsigned seen = 0; /* known members met, one bit each */
    char unknown[24] = "", dup[24] = "";
    double v = 0, t = NAN;
    imp->st.rows_total++;
    j.pos++; /* the splitter starts elements at '{' only */
    int c = gf_jscan_peek(&j);
    while (c != '}') {
        char key[24];
        size_t kn;
        if (gf_jscan_string(&j, key, sizeof key, &kn) || gf_jscan_expect(&j, ':'))
            goto syntax;
        c = gf_jscan_peek(&j);
        int bit = member_bit(imp->o.kind, key, kn);
        if (bit == 0 && unknown[0] == '\0')
            snprintf(unknown, sizeof unknown, "%s", key);
        else if (bit != 0 && (seen & (unsigned)bit) && dup[0] == '\0')
            snprintf(dup, sizeof dup, "%s", key);
        seen |= (unsigned)bit;
        if (strcmp(key, "timestamp") == 0 || strcmp(key, "region") == 0 ||
            (imp->o.kind == ING_IMPORT_FLAGS && strcmp(key, "category") == 0)) {
            char *out = key[0] == 't' ? ts : key[0] == 'r' ? reg : cat;
            size_t cap = key[0] == 't' ? sizeof ts : key[0] == 'r' ? sizeof reg : sizeof cat;
            size_t *n = key[0] == 't' ? &tsn : key[0] == 'r' ? &regn : &catn;
            if (c == '"') {
                if (gf_jscan_string(&j, out, cap, n))
                    goto syntax;
                if (*n >= cap)
                    *n = cap; /* too long: fails the checks below */
            } else {
                if (gf_jscan_skip(&j))
                    goto syntax;
                if (key[0] == 't')
                    bad_ts = 1;
                else if (key[0] == 'r')
                    bad_reg = 1;
            }
        } else if (imp->o.kind == ING_IMPORT_DEMAND &&
                   (strcmp(key, "demand_mw") == 0 || strcmp(key, "temperature_c") == 0)) {
            int is_t = key[0] == 't';
            double x = 0;
            int ok = 0;
            if (c == '-' || (c >= '0' && c <= '9')) {
                if (gf_jscan_number(&j, &x))
                    goto syntax;
                ok = isfinite(x);
            } else if (c == 'n' && is_t) {
                if (gf_jscan_literal(&j, NULL))
                    goto syntax;
                ok = 2; /* null temperature: none */
            } else if (gf_jscan_skip(&j)) {
                goto syntax;
            }
            if (is_t) {
                tstate = ok == 2 ? 0 : ok ? 1 : -1;
                t = x;
            } else {
                vok = ok;
                v = x;
            }
        } else if (gf_jscan_skip(&j)) {
            goto syntax;
        }
        c = gf_jscan_peek(&j);
        if (c == ',') {
            j.pos++;
            c = gf_jscan_peek(&j);
            if (c == '}') {
                gf_jscan_fail(&j, "expected a string");
                goto syntax;
            }
        } else if (c != '}') {
            gf_jscan_fail(&j, c < 0 ? "unexpected end of input in object"
                                    : "expected ',' or '}' in object");
            goto syntax;
        }
    }
    j.pos++;
    if (gf_jscan_peek(&j) >= 0) {
        gf_jscan_fail(&j, "unexpected data after the object");
        goto syntax;
    }
    if (unknown[0] || dup[0]) {
        char reason[96];
        snprintf(reason, sizeof reason, unknown[0] ? "unknown member '%s'" : "member '%s' twice",
                 unknown[0] ? unknown : dup);
        add_reject(imp, line, unknown[0] ? "unknown_field" : "duplicate_field", reason);
        return 0;
    }
    if (bad_ts || tsn == 0) {
        add_reject(imp, line, bad_ts ? "invalid_timestamp" : "missing_field",
                   "timestamp must be a string");
        return 0;
    }
    if (bad_reg || regn == 0) {
        add_reject(imp, line, bad_reg ? "invalid_region" : "missing_field",
                   "region must be a string");
        return 0;
    }
    return take_row(imp, line, ts, tsn, reg, regn, vok, v, cat, catn, tstate, t);
syntax:
    return json_fail(imp, line + j.err_line - 1,
                     j.err_line == 1 ? imp->elem_col + j.err_col - 1 : j.err_col, j.err_msg);
}

static int elem_put(ing_demand_import_t *imp, char c)
{
    if (imp->elem_len == MAX_ELEMENT) {
        imp->rc = gf_err_set(imp->err, GF_EINVAL, "element_too_large",
                             "line %zu: a JSON row is larger than %d bytes", imp->elem_line,
                             MAX_ELEMENT);
        return imp->rc;
    }
    imp->elem[imp->elem_len++] = c;
    return 0;
}

static int json_feed(ing_demand_import_t *imp, const char *data, size_t len)
{
    for (size_t i = 0; i < len && imp->rc == 0; i++) {
        char c = data[i];
        size_t line = imp->jline, col = imp->jcol;
        if (c == '\n') {
            imp->jline++;
            imp->jcol = 1;
        } else {
            imp->jcol++;
        }
        if (imp->jmode == J_ELEM) {
            if (elem_put(imp, c) != 0)
                return imp->rc;
            if (imp->jin_str) {
                if (imp->jesc)
                    imp->jesc = 0;
                else if (c == '\\')
                    imp->jesc = 1;
                else if (c == '"')
                    imp->jin_str = 0;
                continue;
            }
            if (c == '"')
                imp->jin_str = 1;
            else if (c == '{' || c == '[')
                imp->jdepth++;
            else if (c == '}' || c == ']')
                imp->jdepth--;
            if (imp->jdepth <= 0) {
                json_element(imp);
                imp->jelems++;
                imp->elem_len = 0;
                imp->jdepth = 0;
                imp->jmode = imp->jin_array ? J_ARRAY : J_NDJSON;
                imp->jneed_comma = 1;
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        switch (imp->jmode) {
        case J_START:
            if (c == '[') {
                imp->jmode = J_ARRAY;
                imp->jin_array = 1;
                imp->jneed_comma = 0;
                continue;
            }
            imp->jmode = J_NDJSON; /* and this byte starts the first NDJSON row */
            /* fall through */
        case J_NDJSON:
        case J_ARRAY:
            if (imp->jmode == J_ARRAY) {
                /* ']' closes after an element, or an empty array; ',' only after an element */
                if (c == ']' && (imp->jneed_comma || imp->jelems == 0)) {
                    imp->jmode = J_END;
                    continue;
                }
                if (imp->jneed_comma) {
                    if (c != ',')
                        return json_fail(imp, line, col, "expected ',' or ']' in array");
                    imp->jneed_comma = 0;
                    continue;
                }
            }
            if (c != '{')
                return json_fail(imp, line, col, "expected a JSON object");
            imp->jmode = J_ELEM;
            imp->jdepth = 1;
            imp->jin_str = imp->jesc = 0;
            imp->elem_len = 0;
            imp->elem_line = line;
            imp->elem_col = col;
            imp->elem[imp->elem_len++] = c;
            continue;
        case J_END:
            return json_fail(imp, line, col, "unexpected data after the array");
        }
    }
    return imp->rc;
}

static int json_finish(ing_demand_import_t *imp)
{
    if (imp->rc)
        return imp->rc;
    if (imp->jmode == J_START)
        return imp->rc = gf_err_set(imp->err, GF_EINVAL, "empty_input", "the body holds no rows");
    if (imp->jmode == J_ELEM)
        return json_fail(imp, imp->jline, imp->jcol, "unexpected end of input in a row");
    if (imp->jmode == J_ARRAY)
        return json_fail(imp, imp->jline, imp->jcol, "unexpected end of input in the array");
    return 0;
}

/* ------------------------------------------------------------------ importer */

ing_demand_import_t *ing_demand_import_new(const ing_demand_opts_t *o, ing_demand_flush_cb cb,
                                           void *ud)
{
    ing_demand_import_t *imp = gf_xcalloc(1, sizeof *imp);
    imp->o = *o;
    if (imp->o.chunk_rows == 0)
        imp->o.chunk_rows = 4096;
    imp->cb = cb;
    imp->ud = ud;
    imp->rows = gf_xmalloc(imp->o.chunk_rows * sizeof *imp->rows);
    imp->rejects = gf_xcalloc(imp->o.max_rejects_kept ? imp->o.max_rejects_kept : 1,
                              sizeof *imp->rejects);
    if (o->format == ING_FMT_CSV) {
        ing_csv_init(&imp->csv, on_csv_record, imp);
        ing_csv_auto_delim(&imp->csv);
    } else {
        imp->elem = gf_xmalloc(MAX_ELEMENT);
        imp->jline = imp->jcol = 1;
    }
    return imp;
}

void ing_demand_import_free(ing_demand_import_t *imp)
{
    if (imp == NULL)
        return;
    if (imp->o.format == ING_FMT_CSV)
        ing_csv_cleanup(&imp->csv);
    free(imp->elem);
    free(imp->rows);
    free(imp->rejects);
    free(imp);
}

static int sticky(ing_demand_import_t *imp, gf_err_t *err)
{
    if (imp->rc && err && err->rc == 0)
        gf_err_set(err, imp->rc, "import_failed", "the import already failed");
    return imp->rc;
}

int ing_demand_import_feed(ing_demand_import_t *imp, const char *data, size_t len, gf_err_t *err)
{
    if (imp->rc)
        return sticky(imp, err);
    imp->err = err;
    if (imp->o.format == ING_FMT_CSV)
        ing_csv_feed(&imp->csv, data, len);
    else
        json_feed(imp, data, len);
    imp->err = NULL;
    return imp->rc;
}

int ing_demand_import_finish(ing_demand_import_t *imp, gf_err_t *err)
{
    if (imp->rc)
        return sticky(imp, err);
    imp->err = err;
    if (imp->o.format == ING_FMT_CSV) {
        ing_csv_finish(&imp->csv);
        if (imp->rc == 0 && !imp->header_done)
            imp->rc = gf_err_set(err, GF_EINVAL, "missing_header", "the CSV has no header line");
    } else {
        json_finish(imp);
    }
    if (imp->rc == 0)
        flush(imp);
    imp->err = NULL;
    return imp->rc;
}

const ing_demand_stats_t *ing_demand_import_stats(const ing_demand_import_t *imp)
{
    return &imp->st;
}

void ing_demand_import_add_new(ing_demand_import_t *imp, size_t n)
{
    imp->st.rows_new += n;
}

json_t *ing_demand_import_rejections_json(const ing_demand_import_t *imp)
{
    json_t *a = json_array();
    for (size_t i = 0; i < imp->nrejects; i++) {
        const reject_rec_t *rr = &imp->rejects[i];
        json_t *o = json_pack("{s:I,s:s,s:s}", "line", (json_int_t)rr->line, "code", rr->code,
                              "reason", rr->reason);
        if (rr->index >= 0)
            json_object_set_new(o, "index", json_integer(rr->index));
        json_array_append_new(a, o);
    }
    return a;
}

/* ------------------------------------------------------------------ Redis upsert */

/* One command per region (every key of it carries the {R} tag, so it runs on one cluster
 * slot). KEYS[1] = gf:region:{R}, KEYS[2..] = the series keys (gf:demand:{R}:YYYYMM months,
 * or gf:dflags:{R}); ARGV[1] = R, ARGV[2] = "1" to keep gf:region:{R} rows/first/last/code
 * (demand) or "0" (flags), then groups of [index into KEYS, count, count pairs of (hour
 * epoch, value)]. One HSET per group; its return value counts new fields. */
static const char script_src[] =
    "local r, meta = ARGV[1], ARGV[2] == '1'\n"
    "local i, n, total, lo, hi = 3, #ARGV, 0, nil, nil\n"
    "while i <= n do\n"
    "  local key, cnt = KEYS[tonumber(ARGV[i])], tonumber(ARGV[i+1])\n"
    "  local args = {}\n"
    "  for k = 0, cnt - 1 do\n"
    "    local ep = ARGV[i + 2 + 2 * k]\n"
    "    args[2 * k + 1] = ep\n"
    "    args[2 * k + 2] = ARGV[i + 3 + 2 * k]\n"
    "    local e = tonumber(ep)\n"
    "    if not lo or e < lo then lo = e end\n"
    "    if not hi or e > hi then hi = e end\n"
    "  end\n"
    "  i = i + 2 + 2 * cnt\n"
    "  total = total + redis.call('HSET', key, unpack(args))\n"
    "end\n"
    "if meta and lo then\n"
    "  local rk = KEYS[1]\n"
    "  if total > 0 then redis.call('HINCRBY', rk, 'rows', total) end\n"
    "  local cur = redis.call('HMGET', rk, 'first', 'last', 'code')\n"
    "  local f, l = tonumber(cur[1]), tonumber(cur[2])\n"
    "  if not f or lo < f then redis.call('HSET', rk, 'first', string.format('%d', lo)) end\n"
    "  if not l or hi > l then redis.call('HSET', rk, 'last', string.format('%d', hi)) end\n"
    "  if not cur[3] then redis.call('HSET', rk, 'code', r) end\n"
    "end\n"
    "return total\n";

const char *ing_demand_script(void)
{
    return script_src;
}

size_t ing_demand_regions_of(const ing_demand_row_t *rows, size_t n, const char ***out)
{
    const char **v = NULL;
    size_t nv = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        /* rows come in runs of one region: compare with the last one first */
        if (nv > 0 && strcmp(v[nv - 1], rows[i].region) == 0)
            continue;
        while (k < nv && strcmp(v[k], rows[i].region) != 0)
            k++;
        if (k < nv)
            continue;
        if (nv == cap) {
            cap = cap ? cap * 2 : 8;
            v = gf_xrealloc(v, cap * sizeof *v);
        }
        v[nv++] = rows[i].region;
    }
    *out = v;
    return nv;
}

/* The series key of a row (demand month or flags). */
static void series_key(ing_import_kind_t kind, const ing_demand_row_t *row, char key[96])
{
    if (kind == ING_IMPORT_FLAGS)
        ing_key_dflags(key, 96, row->region);
    else
        ing_key_demand(key, 96, row->region, row->hour);
}

void ing_demand_build(ing_import_kind_t kind, const ing_demand_row_t *rows, size_t n,
                      const char *region, const char *sha, ing_cmd_t *out)
{
    ing_cmd_reset(out);
    if (sha) {
        ing_cmd_adds(out, "EVALSHA");
        ing_cmd_adds(out, sha);
    } else {
        ing_cmd_adds(out, "EVAL");
        ing_cmd_add(out, script_src, sizeof script_src - 1);
    }
    /* The distinct series keys of the region's rows (a few months at most per chunk). */
    int64_t *month = NULL; /* demand: month start of each key; flags: one key */
    size_t nkeys = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].region, region) != 0)
            continue;
        int64_t m = kind == ING_IMPORT_FLAGS ? 0 : ing_time_month_start(rows[i].hour);
        size_t k = 0;
        while (k < nkeys && month[k] != m)
            k++;
        if (k < nkeys)
            continue;
        if (nkeys == cap) {
            cap = cap ? cap * 2 : 8;
            month = gf_xrealloc(month, cap * sizeof *month);
        }
        month[nkeys++] = m;
    }
    ing_cmd_add_i64(out, (int64_t)nkeys + 1);
    char key[96];
    ing_key_region(key, sizeof key, region);
    ing_cmd_adds(out, key);
    for (size_t k = 0; k < nkeys; k++) {
        ing_demand_row_t probe = {.hour = month[k]};
        snprintf(probe.region, sizeof probe.region, "%s", region);
        series_key(kind, &probe, key);
        ing_cmd_adds(out, key);
    }
    ing_cmd_adds(out, region);
    ing_cmd_adds(out, kind == ING_IMPORT_FLAGS ? "0" : "1");
    size_t i = 0;
    while (i < n) {
        if (strcmp(rows[i].region, region) != 0) {
            i++;
            continue;
        }
        /* a group: consecutive rows of the region in one key, at most GROUP_MAX */
        int64_t m = kind == ING_IMPORT_FLAGS ? 0 : ing_time_month_start(rows[i].hour);
        size_t k = 0;
        while (month[k] != m)
            k++;
        size_t j = i + 1;
        while (j < n && j - i < GROUP_MAX && strcmp(rows[j].region, region) == 0 &&
               (kind == ING_IMPORT_FLAGS || ing_time_month_start(rows[j].hour) == m))
            j++;
        ing_cmd_add_i64(out, (int64_t)k + 2);
        ing_cmd_add_i64(out, (int64_t)(j - i));
        for (size_t r = i; r < j; r++) {
            ing_cmd_add_i64(out, rows[r].hour);
            if (kind == ING_IMPORT_FLAGS) {
                ing_cmd_adds(out, rows[r].category);
            } else {
                char v[72];
                size_t vn = ing_fmt_double(rows[r].demand_mw, v);
                if (rows[r].has_temp) {
                    v[vn++] = ',';
                    vn += ing_fmt_double(rows[r].temperature_c, v + vn);
                }
                ing_cmd_add(out, v, vn);
            }
        }
        i = j;
    }
    free(month);
    ing_cmd_finish(out);
}

int ing_demand_apply_reply(const redisReply *reply, size_t *new_rows, gf_err_t *err)
{
    if (reply == NULL)
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                          "the connection to Redis failed before the write was confirmed");
    if (reply->type == REDIS_REPLY_ERROR) {
        if (strncmp(reply->str, "NOSCRIPT", 8) == 0)
            return gf_err_set(err, GF_EUNAVAIL, "noscript", "upsert script not loaded");
        return gf_err_set(err, GF_EUNAVAIL, "redis_error", "redis: %s", reply->str);
    }
    if (reply->type != REDIS_REPLY_INTEGER || reply->integer < 0)
        return gf_err_set(err, GF_EINTERNAL, "bad_reply", "upsert script: unexpected reply");
    *new_rows = (size_t)reply->integer;
    return 0;
}

/* ------------------------------------------------------------------ blocking writer */

int ing_demand_writer_init(ing_demand_writer_t *w, gf_rcluster_t *c, ing_import_kind_t kind,
                           gf_err_t *err)
{
    memset(w, 0, sizeof *w);
    w->c = c;
    w->kind = kind;
    w->script.body = script_src;
    ing_cmd_init(&w->cmd);
    return gf_rcluster_script_load_all(c, &w->script, err);
}

void ing_demand_writer_cleanup(ing_demand_writer_t *w)
{
    ing_cmd_cleanup(&w->cmd);
    free(w->listed);
    w->listed = NULL;
    w->nlisted = w->caplisted = 0;
}

/* SADD gf:regions R once per writer, after R's first rows were written. */
static int list_region(ing_demand_writer_t *w, const char *region, gf_err_t *err)
{
    for (size_t i = 0; i < w->nlisted; i++)
        if (strcmp(w->listed[i], region) == 0)
            return 0;
    redisReply *rep = gf_rcluster_cmd(w->c, err, "SADD %s %s", ING_KEY_REGIONS, region);
    if (rep == NULL)
        return GF_EUNAVAIL;
    int rc = gf_redis_reply_check(rep, err);
    freeReplyObject(rep);
    if (rc != 0)
        return rc;
    if (w->nlisted == w->caplisted) {
        w->caplisted = w->caplisted ? w->caplisted * 2 : 8;
        w->listed = gf_xrealloc(w->listed, w->caplisted * sizeof *w->listed);
    }
    snprintf(w->listed[w->nlisted++], sizeof w->listed[0], "%s", region);
    return 0;
}

int ing_demand_write(ing_demand_writer_t *w, const ing_demand_row_t *rows, size_t n, gf_err_t *err)
{
    const char **regions;
    size_t nr = ing_demand_regions_of(rows, n, &regions);
    int rc = 0;
    for (size_t i = 0; i < nr && rc == 0; i++) {
        ing_demand_build(w->kind, rows, n, regions[i], w->script.sha, &w->cmd);
        redisReply *rep = gf_rcluster_cmd_argv(w->c, w->cmd.argc, w->cmd.argv, w->cmd.argvlen, err);
        if (rep != NULL && gf_rc_reply_is(rep, "NOSCRIPT")) {
            /* a master restarted since the load: load it everywhere again, send once more */
            freeReplyObject(rep);
            rep = NULL;
            if (gf_rcluster_script_load_all(w->c, &w->script, err) == 0)
                rep = gf_rcluster_cmd_argv(w->c, w->cmd.argc, w->cmd.argv, w->cmd.argvlen, err);
        }
        size_t added = 0;
        if (rep == NULL && err != NULL && err->rc != 0)
            rc = err->rc; /* err says why (unreachable master, refused command) */
        else
            rc = ing_demand_apply_reply(rep, &added, err);
        if (rep)
            freeReplyObject(rep);
        w->new_rows += added;
        if (rc == 0 && w->kind == ING_IMPORT_DEMAND)
            rc = list_region(w, regions[i], err);
    }
    free(regions);
    return rc;
}

static int sync_flush(void *ud, const ing_demand_row_t *rows, size_t n, gf_err_t *err)
{
    return ing_demand_write(ud, rows, n, err);
}

int ing_demand_import_file_sync(gf_rcluster_t *c, const ing_demand_opts_t *o, const char *path,
                                ing_demand_stats_t *stats, gf_err_t *err)
{
    memset(stats, 0, sizeof *stats);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return gf_err_set(err, GF_ENOTFOUND, "file_not_found", "cannot open %s", path);
    ing_demand_writer_t w;
    int rc = ing_demand_writer_init(&w, c, o->kind, err);
    ing_demand_import_t *imp = NULL;
    char *buf = NULL;
    if (rc != 0)
        goto out;
    imp = ing_demand_import_new(o, sync_flush, &w);
    buf = gf_xmalloc(1 << 18);
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, 1 << 18, f)) > 0)
        rc = ing_demand_import_feed(imp, buf, n, err);
    if (rc == 0)
        rc = ing_demand_import_finish(imp, err);
    *stats = *ing_demand_import_stats(imp);
    stats->rows_new = w.new_rows;
out:
    free(buf);
    ing_demand_import_free(imp);
    ing_demand_writer_cleanup(&w);
    fclose(f);
    return rc;
}
