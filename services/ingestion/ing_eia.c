/*
 * ing_eia.c - EIA API v2 URL builder and response parser (see ing_eia.h). Pages are small
 * (at most 5000 rows), so the parser uses jansson.
 */
#include "ing_eia.h"

#include "core/region.h"
#include "core/util.h"
#include "ing_time.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ URL */

struct sbuf {
    char *p;
    size_t n, cap;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 512;
        while (cap < b->n + n + 1)
            cap *= 2;
        b->p = gf_xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* Percent-encode everything outside RFC 3986 unreserved characters. */
static void sb_enc(struct sbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            sb_put(b, s, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sb_put(b, e, 3);
        }
    }
}

static void param(struct sbuf *b, const char *name, const char *value)
{
    sb_put(b, b->p[b->n - 1] == '?' ? "" : "&", b->p[b->n - 1] == '?' ? 0 : 1);
    sb_enc(b, name);
    sb_put(b, "=", 1);
    sb_enc(b, value);
}

/* EIA "YYYY-MM-DDTHH", hour ending, for the hour that starts at t. */
static void eia_period(int64_t hour_start, char out[16])
{
    char tmp[32];
    gf_time_format(hour_start + 3600, tmp, sizeof tmp);
    snprintf(out, 16, "%.13s", tmp);
}

char *ing_eia_url(const ing_eia_req_t *req, gf_err_t *err)
{
    if (req->api_key == NULL || req->api_key[0] == '\0') {
        gf_err_set(err, GF_EINVAL, "bad_request", "an EIA API key is required");
        return NULL;
    }
    size_t length = req->length ? req->length : ING_EIA_MAX_LENGTH;
    if (length > ING_EIA_MAX_LENGTH) {
        gf_err_set(err, GF_EINVAL, "bad_request", "length must be at most %d", ING_EIA_MAX_LENGTH);
        return NULL;
    }
    struct sbuf b = {0};
    const char *base = req->base_url ? req->base_url : ING_EIA_BASE_URL;
    sb_put(&b, base, strlen(base));
    sb_put(&b, "?", 1);
    param(&b, "api_key", req->api_key);
    param(&b, "frequency", "hourly");
    param(&b, "data[0]", "value");
    for (size_t i = 0; i < req->nrespondents; i++) {
        const char *r = req->respondents[i];
        if (!gf_region_valid_n(r, strlen(r))) {
            free(b.p);
            gf_err_set(err, GF_EINVAL, "bad_request", "respondent %zu is not a region code", i);
            return NULL;
        }
        param(&b, "facets[respondent][]", r);
    }
    param(&b, "facets[type][]", "D");
    char per[16];
    if (req->start_hour) {
        eia_period(req->start_hour, per);
        param(&b, "start", per);
    }
    if (req->end_hour) {
        eia_period(req->end_hour, per);
        param(&b, "end", per);
    }
    param(&b, "sort[0][column]", "period");
    param(&b, "sort[0][direction]", "asc");
    char num[32];
    snprintf(num, sizeof num, "%zu", req->offset);
    param(&b, "offset", num);
    snprintf(num, sizeof num, "%zu", length);
    param(&b, "length", num);
    return b.p;
}

/* ------------------------------------------------------------------ response */

void ing_eia_page_free(ing_eia_page_t *p)
{
    free(p->rows);
    memset(p, 0, sizeof *p);
}

static int bad(ing_eia_page_t *out, gf_err_t *err, const char *fmt, size_t i)
{
    ing_eia_page_free(out);
    char msg[128];
    snprintf(msg, sizeof msg, fmt, i);
    return gf_err_set(err, GF_EINVAL, "eia_bad_response", "EIA response: %s", msg);
}

int ing_eia_parse(const char *body, size_t len, ing_eia_page_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    if (root == NULL)
        return gf_err_set(err, GF_EINVAL, "eia_bad_response", "EIA response is not JSON: %s",
                          je.text);
    int rc = 0;
    json_t *e = json_object_get(root, "error");
    if (e != NULL) {
        const char *code = "", *msg = "";
        if (json_is_string(e)) {
            msg = json_string_value(e);
        } else if (json_is_object(e)) {
            const char *c = json_string_value(json_object_get(e, "code"));
            const char *m = json_string_value(json_object_get(e, "message"));
            code = c ? c : "";
            msg = m ? m : "";
        }
        if (strstr(code, "API_KEY") != NULL || strstr(msg, "api_key") != NULL ||
            strstr(msg, "API key") != NULL)
            rc = gf_err_set(err, GF_EUNAUTH, "eia_api_key", "EIA refused the API key: %.160s", msg);
        else
            rc = gf_err_set(err, GF_EUNAVAIL, "eia_error", "EIA error %s%s%.160s", code,
                            code[0] ? ": " : "", msg);
        json_decref(root);
        return rc;
    }
    json_t *resp = json_object_get(root, "response");
    json_t *data = json_object_get(resp, "data");
    json_t *total = json_object_get(resp, "total");
    if (!json_is_array(data)) {
        json_decref(root);
        return bad(out, err, "no response.data array%.0zu", 0);
    }
    if (json_is_integer(total) && json_integer_value(total) >= 0) {
        out->total = (size_t)json_integer_value(total);
    } else if (json_is_string(total)) {
        char *end;
        unsigned long long t = strtoull(json_string_value(total), &end, 10);
        if (*end != '\0' || json_string_value(total)[0] == '\0') {
            json_decref(root);
            return bad(out, err, "response.total is not a count%.0zu", 0);
        }
        out->total = (size_t)t;
    } else {
        out->total = json_array_size(data);
    }
    size_t n = json_array_size(data);
    out->rows = gf_xcalloc(n ? n : 1, sizeof *out->rows);
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(data, i);
        const char *period = json_string_value(json_object_get(row, "period"));
        const char *resp_id = json_string_value(json_object_get(row, "respondent"));
        const char *type = json_string_value(json_object_get(row, "type"));
        json_t *val = json_object_get(row, "value");
        if (!json_is_object(row) || period == NULL || resp_id == NULL) {
            json_decref(root);
            return bad(out, err, "data[%zu] lacks period or respondent", i);
        }
        if (type != NULL && strcmp(type, "D") != 0) {
            out->skipped++;
            continue;
        }
        if (val == NULL || json_is_null(val)) {
            out->skipped++;
            continue;
        }
        double v;
        if (json_is_number(val)) {
            v = json_number_value(val);
        } else if (json_is_string(val)) {
            char *end;
            const char *s = json_string_value(val);
            v = strtod(s, &end);
            if (s[0] == '\0' || *end != '\0') {
                json_decref(root);
                return bad(out, err, "data[%zu].value is not a number", i);
            }
        } else {
            json_decref(root);
            return bad(out, err, "data[%zu].value is not a number", i);
        }
        int64_t t;
        int has_zone;
        size_t plen = strlen(period);
        if (plen != 13 || ing_time_parse_local(period, plen, &t, &has_zone) != 0) {
            json_decref(root);
            return bad(out, err, "data[%zu].period is not YYYY-MM-DDTHH", i);
        }
        if (!isfinite(v) || !gf_region_valid_n(resp_id, strlen(resp_id))) {
            json_decref(root);
            return bad(out, err, "data[%zu] has a bad value or respondent", i);
        }
        ing_demand_row_t *r = &out->rows[out->n++];
        r->hour = t - 3600; /* hour ending -> hour start */
        snprintf(r->region, sizeof r->region, "%s", resp_id);
        r->demand_mw = v;
    }
    json_decref(root);
    return 0;
}
