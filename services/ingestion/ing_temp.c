/*
 * ing_temp.c - temperature observations and forecasts: parse (CSV, JSON) and write (see
 * ing_temp.h).
 *
 * Sections: the row check shared by both formats; CSV records -> rows; JSON (the pull
 * scanner over the whole body) -> rows; the Redis upsert script, its argument builder and
 * the blocking writer. Keys and stored syntax are libs/features' (features/weather.h).
 */
#include "ing_temp.h"

#include "core/region.h"
#include "core/util.h"
#include "features/weather.h"
#include "ing_csv.h"
#include "core/jscan.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SKEW_S 300

enum { COL_ISSUED, COL_TS, COL_REGION, COL_C, COL_F, NCOLS };
static const char *const col_name[NCOLS] = {"issued_at", "timestamp", "region", "temperature_c",
                                            "temperature_f"};

void ing_temp_opts_default(ing_temp_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->max_rows = 1000000;
    o->max_rejects_kept = 100;
}

void ing_temp_batch_init(ing_temp_batch_t *b)
{
    memset(b, 0, sizeof *b);
}

void ing_temp_batch_cleanup(ing_temp_batch_t *b)
{
    free(b->rows);
    free(b->rejects);
    memset(b, 0, sizeof *b);
}

double ing_temp_f_to_c(double f)
{
    return round((f - 32.0) * 5.0 / 9.0 * 100.0) / 100.0;
}

/* ------------------------------------------------------------------ row check */

typedef struct parser {
    const ing_temp_opts_t *o;
    ing_temp_batch_t *b;
    gf_err_t *err;
    int rc;
    long index; /* JSON element, -1 for CSV */
    /* CSV */
    ing_csv_t csv;
    int header_done, dec_comma;
    int col[NCOLS];
    size_t hdr_fields;
} parser_t;

static void reject(parser_t *p, size_t line, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reject(parser_t *p, size_t line, const char *code, const char *fmt, ...)
{
    ing_temp_batch_t *b = p->b;
    b->rejected++;
    size_t keep = p->o->max_rejects_kept ? p->o->max_rejects_kept : 100;
    if (b->nrejects >= keep)
        return;
    if (b->rejects == NULL)
        b->rejects = gf_xcalloc(keep, sizeof *b->rejects);
    ing_temp_reject_t *r = &b->rejects[b->nrejects++];
    r->line = line;
    r->index = p->index;
    snprintf(r->code, sizeof r->code, "%s", code);
    char tmp[sizeof r->reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    ing_printable(r->reason, sizeof r->reason, tmp, strlen(tmp));
}

/* One row's fields (text already split out; value parsed by the format: vstate 1 = a
 * number in v, 0 = absent, -1 = not a number). Appends it or rejects it. */
static int take_row(parser_t *p, size_t line, const char *iss, size_t issn, const char *ts,
                    size_t tsn, const char *reg, size_t regn, int vstate, double v, int is_f,
                    const char *why)
{
    ing_temp_row_t row;
    memset(&row, 0, sizeof row);
    char txt[48];
    const char *code = ing_hour_of(p->o->tz, p->o->label, ts, tsn, &row.hour);
    if (code) {
        reject(p, line, code, "timestamp '%s' %s",
               ing_printable(txt, sizeof txt, ts, tsn > 40 ? 40 : tsn), ing_stamp_reason(code));
        return 0;
    }
    if (p->o->kind == ING_TEMP_FC) {
        code = ing_instant_of(p->o->tz, iss, issn, &row.issued);
        if (code) {
            reject(p, line, code, "issued_at '%s' %s",
                   ing_printable(txt, sizeof txt, iss, issn > 40 ? 40 : issn),
                   ing_stamp_reason(code));
            return 0;
        }
        if (row.issued > p->o->now + MAX_SKEW_S) {
            reject(p, line, "issued_in_future",
                   "issued_at lies in the future: a forecast is stored once it was made");
            return 0;
        }
    }
    if (!gf_region_valid_n(reg, regn)) {
        reject(p, line, "invalid_region", "region must be 1-16 characters of A-Z a-z 0-9 _ -");
        return 0;
    }
    if (p->o->regions && ing_regions_find(p->o->regions, reg, regn) == NULL) {
        reject(p, line, "unknown_region", "region '%.*s' is not known", (int)regn, reg);
        return 0;
    }
    memcpy(row.region, reg, regn);
    const char *unit = is_f ? "temperature_f" : "temperature_c";
    if (vstate == 0) {
        reject(p, line, "missing_field", "%s is required", unit);
        return 0;
    }
    if (vstate < 0) {
        reject(p, line, "bad_temperature", "%s must be a finite number%s%s", unit, why ? ": " : "",
               why ? why : "");
        return 0;
    }
    double c = is_f ? ing_temp_f_to_c(v) : round(v * 100.0) / 100.0;
    if (!(c >= GF_FEAT_TEMP_MIN_C && c <= GF_FEAT_TEMP_MAX_C)) {
        reject(p, line, "temperature_out_of_range",
               "%s must lie within -90..70 degC (-130..158 degF)", unit);
        return 0;
    }
    row.temp_c = c == 0 ? 0.0 : c; /* no "-0" stored */
    ing_temp_batch_t *b = p->b;
    size_t max = p->o->max_rows ? p->o->max_rows : 1000000;
    if (b->n >= max) {
        p->rc = gf_err_set(p->err, GF_ETOOBIG, "too_many_rows",
                           "more than %zu rows in one request: split it", max);
        return p->rc;
    }
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->rows = gf_xrealloc(b->rows, b->cap * sizeof *b->rows);
    }
    b->rows[b->n++] = row;
    if (is_f)
        b->fahrenheit = 1;
    return 0;
}

/* ------------------------------------------------------------------ CSV */

static int header(parser_t *p, size_t line, const ing_csv_field_t *f, size_t nf)
{
    for (int k = 0; k < NCOLS; k++)
        p->col[k] = -1;
    const char *need = p->o->kind == ING_TEMP_FC
                           ? "issued_at,timestamp,region and one of temperature_c, temperature_f"
                           : "timestamp,region and one of temperature_c, temperature_f";
    for (size_t i = 0; i < nf; i++) {
        const char *s = f[i].p;
        size_t n = f[i].n;
        ing_trim(&s, &n);
        int k = 0;
        while (k < NCOLS && !(strlen(col_name[k]) == n && strncasecmp(col_name[k], s, n) == 0))
            k++;
        if (k == NCOLS || (k == COL_ISSUED && p->o->kind != ING_TEMP_FC)) {
            char col[44];
            return p->rc = gf_err_set(p->err, GF_EINVAL, "bad_header",
                                      "line %zu: unknown column '%s' (the columns are %s)", line,
                                      ing_printable(col, sizeof col, s, n > 40 ? 40 : n), need);
        }
        if (p->col[k] >= 0)
            return p->rc = gf_err_set(p->err, GF_EINVAL, "bad_header",
                                      "line %zu: column %s is named twice", line, col_name[k]);
        p->col[k] = (int)i;
    }
    if (p->col[COL_C] >= 0 && p->col[COL_F] >= 0)
        return p->rc = gf_err_set(p->err, GF_EINVAL, "bad_header",
                                  "line %zu: give temperature_c or temperature_f, not both", line);
    if (p->col[COL_TS] < 0 || p->col[COL_REGION] < 0 || (p->col[COL_C] < 0 && p->col[COL_F] < 0) ||
        (p->o->kind == ING_TEMP_FC && p->col[COL_ISSUED] < 0))
        return p->rc = gf_err_set(p->err, GF_EINVAL, "missing_header",
                                  "line %zu: the header must name the columns %s", line, need);
    p->hdr_fields = nf;
    p->dec_comma = ing_csv_delim(&p->csv) == ';';
    p->header_done = 1;
    return 0;
}

static int on_record(void *ud, size_t line, const ing_csv_field_t *f, size_t nf, const char *cerr)
{
    parser_t *p = ud;
    if (!p->header_done) {
        if (cerr)
            return p->rc = gf_err_set(p->err, GF_EINVAL, "bad_header", "line %zu: %s", line, cerr);
        return header(p, line, f, nf);
    }
    p->b->rows_total++;
    if (cerr) {
        reject(p, line, cerr, "malformed CSV record");
        return 0;
    }
    if (nf != p->hdr_fields) {
        reject(p, line, "field_count", "the header has %zu fields, this row %zu%s", p->hdr_fields,
               nf, nf > p->hdr_fields ? " (an unquoted separator in a value?)" : "");
        return 0;
    }
    const char *s[NCOLS] = {NULL};
    size_t n[NCOLS] = {0};
    for (int k = 0; k < NCOLS; k++)
        if (p->col[k] >= 0) {
            s[k] = f[p->col[k]].p;
            n[k] = f[p->col[k]].n;
            ing_trim(&s[k], &n[k]);
        }
    int is_f = p->col[COL_F] >= 0;
    int k = is_f ? COL_F : COL_C;
    double v = 0;
    const char *why = NULL;
    int vstate = n[k] == 0 ? 0 : ing_parse_decimal(s[k], n[k], p->dec_comma, &why, &v) ? 1 : -1;
    return take_row(p, line, s[COL_ISSUED], n[COL_ISSUED], s[COL_TS], n[COL_TS], s[COL_REGION],
                    n[COL_REGION], vstate, v, is_f, why);
}

static int parse_csv(parser_t *p, const char *body, size_t len)
{
    p->index = -1;
    ing_csv_init(&p->csv, on_record, p);
    ing_csv_auto_delim(&p->csv);
    if (ing_csv_feed(&p->csv, body, len) == 0)
        ing_csv_finish(&p->csv);
    ing_csv_cleanup(&p->csv);
    if (p->rc == 0 && !p->header_done)
        p->rc = gf_err_set(p->err, GF_EINVAL, "empty_input", "the body holds no CSV header");
    return p->rc;
}

/* ------------------------------------------------------------------ JSON */

static int json_fail(parser_t *p, const gf_jscan_t *j)
{
    p->rc = gf_err_set(p->err, GF_EINVAL, "malformed_json",
                       "malformed JSON at line %zu, column %zu: %s", j->err_line, j->err_col,
                       j->err_msg);
    gf_err_add_detail(p->err, json_pack("{s:I,s:I,s:I}", "line", (json_int_t)j->err_line, "column",
                                        (json_int_t)j->err_col, "byte", (json_int_t)j->err_pos));
    return p->rc;
}

/* One object (the scanner at its '{') -> one row. Returns 0, or the sticky error. */
static int json_row(parser_t *p, gf_jscan_t *j)
{
    gf_jscan_peek(j); /* past blanks and new lines: the row's own line */
    size_t line = j->line;
    char txt[3][48] = {"", "", ""}; /* issued_at, timestamp, region */
    size_t tn[3] = {0, 0, 0};
    int bad[3] = {0, 0, 0};
    unsigned seen = 0;
    char unknown[24] = "", dup[24] = "";
    int vstate = 0, is_f = 0;
    double v = 0;
    p->b->rows_total++;
    if (gf_jscan_expect(j, '{'))
        return json_fail(p, j);
    int c = gf_jscan_peek(j);
    if (c == '}')
        j->pos++;
    while (c != '}') {
        char key[24];
        size_t kn;
        if (gf_jscan_string(j, key, sizeof key, &kn) || gf_jscan_expect(j, ':'))
            return json_fail(p, j);
        int k = 0;
        while (k < NCOLS && !(strlen(col_name[k]) == kn && memcmp(col_name[k], key, kn) == 0))
            k++;
        if (k == COL_ISSUED && p->o->kind != ING_TEMP_FC)
            k = NCOLS;
        if (k == NCOLS && unknown[0] == '\0')
            ing_printable(unknown, sizeof unknown, key, kn);
        else if (k < NCOLS && (seen & (1u << k)) && dup[0] == '\0')
            snprintf(dup, sizeof dup, "%s", col_name[k]);
        if (k < NCOLS)
            seen |= 1u << k;
        c = gf_jscan_peek(j);
        if (k <= COL_REGION) {
            if (c == '"') {
                if (gf_jscan_string(j, txt[k], sizeof txt[k], &tn[k]))
                    return json_fail(p, j);
                if (tn[k] >= sizeof txt[k])
                    bad[k] = 2; /* longer than any valid stamp or code */
            } else {
                if (gf_jscan_skip(j))
                    return json_fail(p, j);
                bad[k] = 1;
            }
        } else if (k == COL_C || k == COL_F) {
            is_f = k == COL_F;
            if (c == '-' || (c >= '0' && c <= '9')) {
                if (gf_jscan_number(j, &v))
                    return json_fail(p, j);
                vstate = isfinite(v) ? 1 : -1;
            } else {
                if (gf_jscan_skip(j))
                    return json_fail(p, j);
                vstate = c == 'n' ? 0 : -1; /* null: no value */
            }
        } else if (gf_jscan_skip(j)) {
            return json_fail(p, j);
        }
        c = gf_jscan_peek(j);
        if (c == ',') {
            j->pos++;
            if (gf_jscan_peek(j) != '"') {
                gf_jscan_fail(j, "expected a member name");
                return json_fail(p, j);
            }
        } else if (c == '}') {
            j->pos++;
        } else {
            gf_jscan_fail(j, c < 0 ? "unexpected end of input in object"
                                   : "expected ',' or '}' in object");
            return json_fail(p, j);
        }
    }
    if (unknown[0] || dup[0]) {
        reject(p, line, unknown[0] ? "unknown_field" : "duplicate_field",
               unknown[0] ? "unknown member '%s'" : "member '%s' given twice",
               unknown[0] ? unknown : dup);
        return 0;
    }
    if ((seen & (1u << COL_C)) && (seen & (1u << COL_F))) {
        reject(p, line, "conflicting_units", "give temperature_c or temperature_f, not both");
        return 0;
    }
    static const char *const tcode[3] = {"invalid_timestamp", "invalid_timestamp",
                                         "invalid_region"};
    for (int k = p->o->kind == ING_TEMP_FC ? 0 : 1; k < 3; k++)
        if (bad[k] || tn[k] == 0) {
            reject(p, line, bad[k] ? tcode[k] : "missing_field", "%s %s", col_name[k],
                   bad[k] == 2 ? "is too long"
                   : bad[k]    ? "must be a string"
                               : "is required");
            return 0;
        }
    if (!(seen & ((1u << COL_C) | (1u << COL_F)))) {
        reject(p, line, "missing_field", "temperature_c or temperature_f is required");
        return 0;
    }
    return take_row(p, line, txt[0], tn[0], txt[1], tn[1], txt[2], tn[2], vstate, v, is_f, NULL);
}

static int parse_json(parser_t *p, const char *body, size_t len)
{
    gf_jscan_t j;
    gf_jscan_init(&j, body, len);
    int c = gf_jscan_peek(&j);
    if (c < 0) {
        if (j.err_msg)
            return json_fail(p, &j);
        return p->rc = gf_err_set(p->err, GF_EINVAL, "empty_input", "the body holds no rows");
    }
    p->index = 0;
    if (c == '[') {
        j.pos++;
        if (gf_jscan_peek(&j) == ']') {
            j.pos++;
        } else {
            for (;;) {
                if (json_row(p, &j) != 0)
                    return p->rc;
                p->index++;
                c = gf_jscan_peek(&j);
                if (c == ',') {
                    j.pos++;
                    continue;
                }
                if (c == ']') {
                    j.pos++;
                    break;
                }
                gf_jscan_fail(&j, c < 0 ? "unexpected end of input in the array"
                                        : "expected ',' or ']' in array");
                return json_fail(p, &j);
            }
        }
        if (gf_jscan_peek(&j) >= 0) {
            gf_jscan_fail(&j, "unexpected data after the array");
            return json_fail(p, &j);
        }
        return 0;
    }
    /* NDJSON: one object per line */
    while (gf_jscan_peek(&j) >= 0) {
        if (json_row(p, &j) != 0)
            return p->rc;
        p->index++;
        c = gf_jscan_peek_inline(&j);
        if (c >= 0 && c != '\n' && c != '\r') {
            gf_jscan_fail(&j, "expected a new line after a row");
            return json_fail(p, &j);
        }
    }
    return j.err_msg ? json_fail(p, &j) : 0;
}

/* ------------------------------------------------------------------ parse */

static int cmp_row(const void *a, const void *b)
{
    const ing_temp_row_t *x = a, *y = b;
    int c = strcmp(x->region, y->region);
    if (c)
        return c;
    if (x->hour != y->hour)
        return x->hour < y->hour ? -1 : 1;
    return (x->issued > y->issued) - (x->issued < y->issued);
}

int ing_temp_parse(const ing_temp_opts_t *o, const char *body, size_t len, ing_temp_batch_t *b,
                   gf_err_t *err)
{
    ing_temp_batch_cleanup(b);
    parser_t p = {.o = o, .b = b, .err = err};
    int rc = o->format == ING_TEMP_CSV ? parse_csv(&p, body, len) : parse_json(&p, body, len);
    if (rc != 0) {
        ing_temp_batch_cleanup(b); /* refused as a whole: nothing to write */
        return rc;
    }
    if (b->n > 1)
        qsort(b->rows, b->n, sizeof *b->rows, cmp_row);
    return 0;
}

json_t *ing_temp_rejections_json(const ing_temp_batch_t *b)
{
    json_t *a = json_array();
    for (size_t i = 0; i < b->nrejects; i++) {
        const ing_temp_reject_t *r = &b->rejects[i];
        json_t *o = json_object();
        json_object_set_new(o, "line", json_integer((json_int_t)r->line));
        if (r->index >= 0)
            json_object_set_new(o, "index", json_integer(r->index));
        json_object_set_new(o, "code", json_string(r->code));
        json_object_set_new(o, "reason", json_string(r->reason));
        json_array_append_new(a, o);
    }
    return a;
}

/* ------------------------------------------------------------------ Redis */

static const char script_src[] =
    "local pos, new = 6, 0\n"
    "for k = 2, #KEYS do\n"
    "  local cnt = tonumber(ARGV[pos])\n"
    "  new = new + redis.call('HSET', KEYS[k], unpack(ARGV, pos + 1, pos + 2 * cnt))\n"
    "  pos = pos + 1 + 2 * cnt\n"
    "end\n"
    "local m, pre = KEYS[1], ARGV[1] == 'fc' and 'fc_' or 'obs_'\n"
    "redis.call('HINCRBY', m, pre .. 'rows', new)\n"
    "local function keep(f, v, low)\n"
    "  local cur = tonumber(redis.call('HGET', m, f))\n"
    "  if cur == nil or (low and tonumber(v) < cur) or (not low and tonumber(v) > cur) then\n"
    "    redis.call('HSET', m, f, v)\n"
    "  end\n"
    "end\n"
    "keep(pre .. 'first', ARGV[2], true)\n"
    "keep(pre .. 'last', ARGV[3], false)\n"
    "if ARGV[1] == 'fc' then\n"
    "  keep('fc_issued_first', ARGV[4], true)\n"
    "  keep('fc_issued_last', ARGV[5], false)\n"
    "end\n"
    "return new\n";

const char *ing_temp_script(void)
{
    return script_src;
}

static char *data_key(char *buf, size_t n, ing_temp_kind_t kind, const ing_temp_row_t *r)
{
    return kind == ING_TEMP_FC ? gf_feat_tfc_key(buf, n, r->region, r->hour)
                               : gf_feat_tobs_key(buf, n, r->region, r->hour);
}

void ing_temp_build(ing_temp_kind_t kind, const ing_temp_row_t *rows, size_t n, ing_cmd_t *out)
{
    /* Rows are sorted by hour within the region, so each data key's rows are contiguous. */
    char key[96], prev[96] = "";
    size_t ngroups = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN, lo2 = INT64_MAX, hi2 = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(data_key(key, sizeof key, kind, &rows[i]), prev) != 0) {
            ngroups++;
            memcpy(prev, key, sizeof prev);
        }
        lo = rows[i].hour < lo ? rows[i].hour : lo;
        hi = rows[i].hour > hi ? rows[i].hour : hi;
        lo2 = rows[i].issued < lo2 ? rows[i].issued : lo2;
        hi2 = rows[i].issued > hi2 ? rows[i].issued : hi2;
    }
    ing_cmd_reset(out);
    ing_cmd_adds(out, "EVAL");
    ing_cmd_adds(out, script_src);
    ing_cmd_add_i64(out, (int64_t)(ngroups + 1));
    ing_cmd_adds(out, gf_feat_temp_meta_key(key, sizeof key, rows[0].region));
    prev[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (strcmp(data_key(key, sizeof key, kind, &rows[i]), prev) != 0) {
            ing_cmd_adds(out, key);
            memcpy(prev, key, sizeof prev);
        }
    ing_cmd_adds(out, kind == ING_TEMP_FC ? "fc" : "obs");
    ing_cmd_add_i64(out, lo);
    ing_cmd_add_i64(out, hi);
    ing_cmd_add_i64(out, kind == ING_TEMP_FC ? lo2 : 0);
    ing_cmd_add_i64(out, kind == ING_TEMP_FC ? hi2 : 0);
    prev[0] = '\0';
    for (size_t i = 0; i < n;) {
        data_key(prev, sizeof prev, kind, &rows[i]);
        size_t j = i;
        while (j < n && strcmp(data_key(key, sizeof key, kind, &rows[j]), prev) == 0)
            j++;
        ing_cmd_add_i64(out, (int64_t)(j - i));
        for (; i < j; i++) {
            char f[48];
            if (kind == ING_TEMP_FC)
                snprintf(f, sizeof f, "%lld:%lld", (long long)rows[i].hour,
                         (long long)rows[i].issued);
            else
                snprintf(f, sizeof f, "%lld", (long long)rows[i].hour);
            ing_cmd_adds(out, f);
            ing_cmd_add_double(out, rows[i].temp_c);
        }
    }
    ing_cmd_finish(out);
}

int ing_temp_apply_reply(const redisReply *reply, size_t *new_rows, gf_err_t *err)
{
    *new_rows = 0;
    if (reply == NULL)
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "Redis did not answer");
    if (reply->type == REDIS_REPLY_ERROR)
        return gf_err_set(err, GF_EUNAVAIL, "redis_error", "redis: %.200s", reply->str);
    if (reply->type != REDIS_REPLY_INTEGER || reply->integer < 0)
        return gf_err_set(err, GF_EINTERNAL, "bad_reply", "temperature write: unexpected reply");
    *new_rows = (size_t)reply->integer;
    return 0;
}

int ing_temp_write_sync(gf_rcluster_t *c, ing_temp_kind_t kind, const ing_temp_batch_t *b,
                        size_t *new_rows, size_t *written, gf_err_t *err)
{
    enum { INFLIGHT = 64 };
    *new_rows = 0;
    *written = 0;
    ing_cmd_t cmd;
    ing_cmd_init(&cmd);
    gf_rcluster_pipe_t *p = gf_rcluster_pipe_new(c);
    int rc = 0;
    size_t i = 0;
    /* Rounds of up to INFLIGHT commands, each one region (keys of its {R} tag) and at most
     * ING_TEMP_CHUNK rows, one pipeline per round (split by master on a cluster). */
    while (i < b->n && rc == 0) {
        size_t rows[INFLIGHT], nsent = 0;
        while (i < b->n && nsent < INFLIGHT && rc == 0) {
            size_t j = i;
            while (j < b->n && j - i < ING_TEMP_CHUNK &&
                   strcmp(b->rows[j].region, b->rows[i].region) == 0)
                j++;
            ing_temp_build(kind, b->rows + i, j - i, &cmd);
            rc = gf_rcluster_pipe_add(p, cmd.argc, cmd.argv, cmd.argvlen, err);
            if (rc == 0)
                rows[nsent++] = j - i;
            i = j;
        }
        redisReply **rep = NULL;
        gf_err_t perr = {0};
        (void)gf_rcluster_pipe_exec(p, &rep, &perr); /* a command without a reply fails below */
        gf_err_cleanup(&perr);
        for (size_t k = 0; k < nsent; k++) {
            size_t nn = 0;
            gf_err_t e2 = {0};
            int r2 = ing_temp_apply_reply(rep[k], &nn, rc ? &e2 : err);
            gf_err_cleanup(&e2);
            if (rc == 0)
                rc = r2;
            if (r2 == 0) {
                *new_rows += nn;
                *written += rows[k];
            }
        }
        gf_rcluster_replies_free(rep, nsent);
    }
    gf_rcluster_pipe_free(p);
    ing_cmd_cleanup(&cmd);
    return rc;
}
