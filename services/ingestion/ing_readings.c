/*
 * ing_readings.c - meter-reading batch parser (see ing_readings.h).
 *
 * One pass over the body with the kit's JSON scanner (core/jscan.h). Each element becomes one
 * ing_reading_t written in place in the batch array (the only allocation is that array's
 * growth, amortised across requests). A field that is present but wrong sets the
 * reading's code and the scan carries on, so that the rest of the body is still checked
 * for syntax: any syntax error anywhere refuses the whole batch.
 */
#include "ing_readings.h"
#include "core/util.h"

#include "core/jscan.h"
#include "ing_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ing_batch_init(ing_batch_t *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max ? max : ING_BATCH_MAX_DEFAULT;
}

void ing_batch_cleanup(ing_batch_t *b)
{
    free(b->v);
    memset(b, 0, sizeof *b);
}

void ing_batch_reset(ing_batch_t *b)
{
    b->n = 0;
    b->accepted = 0;
}

static const char *const reject_codes[ING_R__COUNT] = {
    [ING_R_OK] = "ok",
    [ING_R_NOT_OBJECT] = "not_an_object",
    [ING_R_MISSING_FIELD] = "missing_field",
    [ING_R_WRONG_TYPE] = "wrong_type",
    [ING_R_NOT_FINITE] = "not_finite",
    [ING_R_TOO_LONG] = "field_too_long",
    [ING_R_DUP_FIELD] = "duplicate_field",
    [ING_R_BAD_METER] = "invalid_meter_id",
    [ING_R_BAD_TS] = "invalid_timestamp",
    [ING_R_NO_MEASURE] = "no_measurement",
    [ING_R_NEG_ENERGY] = "negative_energy",
    [ING_R_ENERGY_RANGE] = "energy_out_of_range",
    [ING_R_NEG_POWER] = "negative_power",
    [ING_R_POWER_RANGE] = "power_out_of_range",
    [ING_R_VOLTAGE_RANGE] = "voltage_out_of_range",
    [ING_R_FUTURE] = "timestamp_in_future",
    [ING_R_TOO_OLD] = "timestamp_too_old",
    [ING_R_UNKNOWN_REGION] = "unknown_region",
};

const char *ing_reject_code(int code)
{
    if (code < 0 || code >= ING_R__COUNT)
        return "internal";
    return reject_codes[code];
}

const char *ing_field_name(int field)
{
    static const char *const names[] = {"", "meter_id", "ts", "region", "kwh", "kw", "voltage_v"};
    if (field < 0 || field > ING_F_VOLTAGE)
        return "";
    return names[field];
}

char *ing_reading_reason(const ing_reading_t *r, char *buf, size_t n)
{
    const char *f = ing_field_name(r->field);
    const char *what;
    switch (r->code) {
    case ING_R_OK:
        what = "accepted";
        break;
    case ING_R_NOT_OBJECT:
        what = "a reading must be a JSON object";
        break;
    case ING_R_MISSING_FIELD:
        what = "is required";
        break;
    case ING_R_WRONG_TYPE:
        what = (r->field == ING_F_KWH || r->field == ING_F_KW || r->field == ING_F_VOLTAGE)
                   ? "must be a number"
                   : "must be a string";
        break;
    case ING_R_NOT_FINITE:
        what = "must be a finite number";
        break;
    case ING_R_TOO_LONG:
        what = "is too long";
        break;
    case ING_R_DUP_FIELD:
        what = "appears more than once";
        break;
    case ING_R_BAD_METER:
        what = "must be non-empty, without control characters or '|'";
        break;
    case ING_R_BAD_TS:
        what = "must be an RFC 3339 date-time with zone";
        break;
    case ING_R_NO_MEASURE:
        what = "a reading needs kwh or kw";
        break;
    case ING_R_NEG_ENERGY:
        what = "must not be negative";
        break;
    case ING_R_ENERGY_RANGE:
        what = "is above the plausible maximum per reading";
        break;
    case ING_R_NEG_POWER:
        what = "must not be negative";
        break;
    case ING_R_POWER_RANGE:
        what = "is above the plausible maximum per meter";
        break;
    case ING_R_VOLTAGE_RANGE:
        what = "is outside the plausible voltage band";
        break;
    case ING_R_FUTURE:
        what = "is in the future beyond the allowed clock skew";
        break;
    case ING_R_TOO_OLD:
        what = "is older than the accepted window";
        break;
    case ING_R_UNKNOWN_REGION:
        what = "is not a known region";
        break;
    default:
        what = "rejected";
        break;
    }
    snprintf(buf, n, "%s%s%s", f, f[0] ? " " : "", what);
    return buf;
}

/* ------------------------------------------------------------------ parser */

static void reject(ing_reading_t *r, int code, int field)
{
    if (r->code == ING_R_OK) {
        r->code = (uint8_t)code;
        r->field = (uint8_t)field;
    }
}

static int is_finite_word(const char *s)
{
    static const char *const words[] = {"NaN",       "nan",  "Infinity", "-Infinity",
                                        "+Infinity", "inf",  "-inf",     "+inf",
                                        "Inf",       "-Inf", "INF",      "NAN"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(s, words[i]) == 0)
            return 1;
    return 0;
}

/* A string member into out (cap bytes incl. NUL); wrong type or too long rejects. */
static int str_member(gf_jscan_t *j, ing_reading_t *r, int c, char *out, size_t cap, int field,
                      uint8_t bit)
{
    if (c == '"') {
        size_t n;
        if (gf_jscan_string(j, out, cap, &n) != 0)
            return -1;
        if (n >= cap) {
            out[0] = '\0';
            reject(r, ING_R_TOO_LONG, field);
        } else {
            r->has |= bit;
        }
        return 0;
    }
    if (c == 'n') /* null: absent */
        return gf_jscan_literal(j, NULL);
    reject(r, ING_R_WRONG_TYPE, field);
    return gf_jscan_skip(j);
}

static int num_member(gf_jscan_t *j, ing_reading_t *r, int c, double *out, int field, uint8_t bit)
{
    if (c == '-' || (c >= '0' && c <= '9')) {
        double v;
        if (gf_jscan_number(j, &v) != 0)
            return -1;
        if (!isfinite(v)) {
            reject(r, ING_R_NOT_FINITE, field);
        } else {
            *out = v;
            r->has |= bit;
        }
        return 0;
    }
    if (c == 'n')
        return gf_jscan_literal(j, NULL);
    if (c == '"') {
        char s[16];
        size_t n;
        if (gf_jscan_string(j, s, sizeof s, &n) != 0)
            return -1;
        reject(r, n < sizeof s && is_finite_word(s) ? ING_R_NOT_FINITE : ING_R_WRONG_TYPE, field);
        return 0;
    }
    reject(r, ING_R_WRONG_TYPE, field);
    return gf_jscan_skip(j);
}

static int parse_object(gf_jscan_t *j, ing_reading_t *r)
{
    unsigned seen = 0;
    if (gf_jscan_expect(j, '{') != 0)
        return -1;
    if (gf_jscan_peek(j) == '}') {
        j->pos++;
        return 0;
    }
    for (;;) {
        char key[16];
        size_t klen;
        if (gf_jscan_string(j, key, sizeof key, &klen) != 0 || gf_jscan_expect(j, ':') != 0)
            return -1;
        int c = gf_jscan_peek(j);
        int field = ING_F_NONE;
        if (klen < sizeof key) {
            if (strcmp(key, "meter_id") == 0)
                field = ING_F_METER_ID;
            else if (strcmp(key, "ts") == 0)
                field = ING_F_TS;
            else if (strcmp(key, "region") == 0)
                field = ING_F_REGION;
            else if (strcmp(key, "kwh") == 0)
                field = ING_F_KWH;
            else if (strcmp(key, "kw") == 0)
                field = ING_F_KW;
            else if (strcmp(key, "voltage_v") == 0)
                field = ING_F_VOLTAGE;
        }
        if (field != ING_F_NONE) {
            if (seen & (1u << field))
                reject(r, ING_R_DUP_FIELD, field);
            seen |= 1u << field;
        }
        int rc = 0;
        switch (field) {
        case ING_F_METER_ID:
            rc = str_member(j, r, c, r->meter_id, sizeof r->meter_id, field, ING_HAS_METER);
            break;
        case ING_F_REGION:
            rc = str_member(j, r, c, r->region, sizeof r->region, field, ING_HAS_REGION);
            break;
        case ING_F_TS: {
            char ts[48];
            if (c == '"') {
                size_t n;
                rc = gf_jscan_string(j, ts, sizeof ts, &n);
                if (rc == 0) {
                    if (n < sizeof ts && ing_time_parse_ms(ts, n, &r->ts_ms) == 0)
                        r->has |= ING_HAS_TS;
                    else
                        reject(r, ING_R_BAD_TS, field);
                }
            } else if (c == 'n') {
                rc = gf_jscan_literal(j, NULL);
            } else {
                reject(r, ING_R_WRONG_TYPE, field);
                rc = gf_jscan_skip(j);
            }
            break;
        }
        case ING_F_KWH:
            rc = num_member(j, r, c, &r->kwh, field, ING_HAS_KWH);
            break;
        case ING_F_KW:
            rc = num_member(j, r, c, &r->kw, field, ING_HAS_KW);
            break;
        case ING_F_VOLTAGE:
            rc = num_member(j, r, c, &r->voltage_v, field, ING_HAS_VOLTAGE);
            break;
        default:
            rc = gf_jscan_skip(j);
            break;
        }
        if (rc != 0)
            return -1;
        c = gf_jscan_peek(j);
        if (c == ',') {
            j->pos++;
            continue;
        }
        if (c == '}') {
            j->pos++;
            return 0;
        }
        return gf_jscan_fail(j, c < 0 ? "unexpected end of input in object"
                                      : "expected ',' or '}' in object");
    }
}

static ing_reading_t *next_slot(ing_batch_t *b)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        ing_reading_t *v = gf_xrealloc(b->v, cap * sizeof *v);
        b->v = v;
        b->cap = cap;
    }
    ing_reading_t *r = &b->v[b->n++];
    r->meter_id[0] = '\0';
    r->region[0] = '\0';
    r->ts_ms = 0;
    r->kwh = r->kw = r->voltage_v = 0;
    r->has = 0;
    r->code = ING_R_OK;
    r->field = ING_F_NONE;
    r->status = 0;
    return r;
}

/* One element: an object becomes a reading; any other value a not_an_object reading. */
static int element(gf_jscan_t *j, ing_batch_t *b, int *too_many)
{
    if (b->n >= b->max) {
        *too_many = 1;
        return -1;
    }
    ing_reading_t *r = next_slot(b);
    int c = gf_jscan_peek(j);
    r->line = (uint32_t)j->line;
    if (c == '{')
        return parse_object(j, r);
    reject(r, ING_R_NOT_OBJECT, ING_F_NONE);
    return gf_jscan_skip(j);
}

int ing_readings_parse(ing_batch_t *b, const char *body, size_t len, gf_err_t *err)
{
    gf_jscan_t j;
    gf_jscan_init(&j, body, len);
    size_t first = b->n;
    int too_many = 0;
    int c = gf_jscan_peek(&j);
    if (c < 0)
        return gf_err_set(err, GF_EINVAL, "empty_body", "the body holds no readings");
    if (c == '[') {
        j.pos++;
        if (gf_jscan_peek(&j) == ']') {
            j.pos++;
        } else {
            for (;;) {
                if (element(&j, b, &too_many) != 0)
                    goto fail;
                c = gf_jscan_peek(&j);
                if (c == ',') {
                    j.pos++;
                    continue;
                }
                if (c == ']') {
                    j.pos++;
                    break;
                }
                gf_jscan_fail(&j, c < 0 ? "unexpected end of input in array"
                                        : "expected ',' or ']' in array");
                goto fail;
            }
        }
        if (gf_jscan_peek(&j) >= 0) {
            gf_jscan_fail(&j, "unexpected data after the array");
            goto fail;
        }
        return 0;
    }
    /* NDJSON: one value per line, blank lines allowed */
    for (;;) {
        if (element(&j, b, &too_many) != 0)
            goto fail;
        c = gf_jscan_peek_inline(&j);
        if (c < 0)
            return 0;
        if (c != '\n') {
            gf_jscan_fail(&j, "expected a newline after an NDJSON record");
            goto fail;
        }
        if (gf_jscan_peek(&j) < 0)
            return 0;
    }
fail:
    b->n = first;
    if (too_many)
        return gf_err_set(err, GF_ETOOBIG, "too_many_readings",
                          "a batch holds at most %zu readings", b->max);
    gf_err_set(err, GF_EINVAL, "malformed_json",
               "malformed JSON at line %zu, column %zu "
               "(byte %zu): %s",
               j.err_line, j.err_col, j.err_pos, j.err_msg);
    json_t *d = json_pack("{s:I,s:I,s:I}", "line", (json_int_t)j.err_line, "column",
                          (json_int_t)j.err_col, "byte", (json_int_t)j.err_pos);
    gf_err_add_detail(err, d);
    return GF_EINVAL;
}

json_t *ing_batch_rejections_json(const ing_batch_t *b, size_t limit)
{
    json_t *a = json_array();
    for (size_t i = 0; i < b->n; i++) {
        const ing_reading_t *r = &b->v[i];
        if (r->code == ING_R_OK)
            continue;
        if (limit && json_array_size(a) >= limit)
            break;
        char reason[160];
        json_array_append_new(a, json_pack("{s:I,s:I,s:s,s:s,s:s}", "index", (json_int_t)i, "line",
                                           (json_int_t)r->line, "code", ing_reject_code(r->code),
                                           "field", ing_field_name(r->field), "reason",
                                           ing_reading_reason(r, reason, sizeof reason)));
    }
    return a;
}
