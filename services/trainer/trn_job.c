/*
 * trn_job.c - job options, state and JSON (see trn_job.h). Pure functions over jansson.
 */
#include "trn_job.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/region.h"
#include "core/util.h"

/* ------------------------------------------------------------------ options */

static int field_fail(gf_err_t *err, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int field_fail(gf_err_t *err, const char *code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gf_err_vset(err, GF_EINVAL, code, fmt, ap);
    va_end(ap);
    if (err)
        gf_err_add_field(err, field, err->message);
    return GF_EINVAL;
}

void trn_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* An integer member in [lo, hi] (0 also allowed when zero_ok). */
static int int_opt(const json_t *body, const char *name, long lo, long hi, int zero_ok, int *out,
                   gf_err_t *err)
{
    const json_t *v = json_object_get(body, name);
    if (v == NULL)
        return 0;
    char code[48];
    snprintf(code, sizeof code, "invalid_%s", name);
    json_int_t x = json_is_integer(v) ? json_integer_value(v) : lo - 1;
    if (!json_is_integer(v) || ((x < lo || x > hi) && !(zero_ok && x == 0)))
        return field_fail(err, code, name, "'%s' must be an integer from %ld to %ld%s", name, lo,
                          hi, zero_ok ? " (or 0 for the default)" : "");
    *out = (int)x;
    return 0;
}

/* A number member in [lo, hi]. */
static int num_opt(const json_t *body, const char *name, double lo, double hi, double *out,
                   gf_err_t *err)
{
    const json_t *v = json_object_get(body, name);
    if (v == NULL)
        return 0;
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    if (!(x >= lo && x <= hi)) {
        char code[48];
        snprintf(code, sizeof code, "invalid_%s", name);
        return field_fail(err, code, name, "'%s' must be a number from %g to %g", name, lo, hi);
    }
    *out = x;
    return 0;
}

static int bool_opt(const json_t *body, const char *name, int *out, gf_err_t *err)
{
    const json_t *v = json_object_get(body, name);
    if (v == NULL)
        return 0;
    if (!json_is_boolean(v)) {
        char code[48];
        snprintf(code, sizeof code, "invalid_%s", name);
        return field_fail(err, code, name, "'%s' must be true or false", name);
    }
    *out = json_is_true(v);
    return 0;
}

int trn_json_only(const json_t *body, const char *const *known, gf_err_t *err)
{
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)body, key, val)
    {
        int ok = 0;
        for (size_t i = 0; known[i]; i++)
            ok |= strcmp(key, known[i]) == 0;
        if (!ok)
            return field_fail(err, "unknown_field", key, "unknown member '%.64s'", key);
    }
    return 0;
}

int trn_job_opts_parse(const json_t *body, const trn_job_opts_t *defaults, trn_job_opts_t *out,
                       char ***regions, size_t *nregions, int *all, gf_err_t *err)
{
    static const char *const known[] = {"regions", "test_days",    "val_days",
                                        "search",  "max_rounds",   "max_train_days",
                                        "promote", "min_gain_pct", NULL};
    *regions = NULL;
    *nregions = 0;
    *all = 0;
    *out = *defaults;
    if (!json_is_object(body))
        return field_fail(err, "invalid_body", "body", "the body must be a JSON object");
    int rc = trn_json_only(body, known, err);
    if (rc != 0)
        return rc;
    if ((rc = int_opt(body, "test_days", 1, 365, 0, &out->test_days, err)) ||
        (rc = int_opt(body, "val_days", 7, 365, 0, &out->val_days, err)) ||
        (rc = int_opt(body, "max_rounds", 1, 5000, 1, &out->max_rounds, err)) ||
        (rc = int_opt(body, "max_train_days", 28, 7300, 1, &out->max_train_days, err)) ||
        (rc = bool_opt(body, "search", &out->search, err)) ||
        (rc = bool_opt(body, "promote", &out->promote, err)) ||
        (rc = num_opt(body, "min_gain_pct", 0, 50, &out->min_gain_pct, err)))
        return rc;

    const json_t *r = json_object_get(body, "regions");
    if (r == NULL)
        return field_fail(err, "missing_field", "regions",
                          "'regions' is required: an array of region codes or \"all\"");
    if (json_is_string(r)) {
        if (strcmp(json_string_value(r), "all") != 0)
            return field_fail(err, "invalid_regions", "regions",
                              "'regions' must be an array of region codes or \"all\"");
        *all = 1;
        return 0;
    }
    size_t n = json_is_array(r) ? json_array_size(r) : 0;
    if (!json_is_array(r) || n < 1 || n > TRN_JOB_MAX_REGIONS)
        return field_fail(err, "invalid_regions", "regions",
                          "'regions' must be \"all\" or an array of 1 to %d region codes",
                          TRN_JOB_MAX_REGIONS);
    char **v = gf_xcalloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(r, i);
        const char *s = json_is_string(e) ? json_string_value(e) : NULL;
        if (s == NULL || strlen(s) != json_string_length(e) || !gf_region_valid(s)) {
            trn_strv_free(v, n);
            return field_fail(err, "invalid_regions", "regions",
                              "regions[%zu] must be a region code ([A-Za-z0-9_-], 1-%d chars)", i,
                              GF_REGION_MAX);
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(v[k], s) == 0) {
                trn_strv_free(v, n);
                return field_fail(err, "invalid_regions", "regions", "region '%s' is listed twice",
                                  s);
            }
        }
        v[i] = gf_xstrdup(s);
    }
    *regions = v;
    *nregions = n;
    return 0;
}

/* ------------------------------------------------------------------ job */

trn_job_t *trn_job_new(const char *id, char **regions, size_t n, int all,
                       const trn_job_opts_t *opts, const char *owner, double now)
{
    trn_job_t *j = gf_xcalloc(1, sizeof *j);
    snprintf(j->id, sizeof j->id, "%s", id);
    j->regions = regions;
    j->nregions = n;
    j->all = all;
    j->opts = *opts;
    j->state = TRN_JOB_QUEUED;
    j->created_at = now;
    snprintf(j->owner, sizeof j->owner, "%s", owner ? owner : "");
    j->results = json_array();
    return j;
}

void trn_job_free(trn_job_t *j)
{
    if (j == NULL)
        return;
    trn_strv_free(j->regions, j->nregions);
    json_decref(j->results);
    free(j);
}

void trn_job_id_new(char *buf, size_t len, double now)
{
    char ts[40], rnd[9];
    gf_time_format((int64_t)floor(now), ts, sizeof ts); /* 2026-01-05T10:00:00Z */
    gf_random_hex(rnd, 4);
    /* compact: 20260105T100000 */
    char c[20];
    size_t k = 0;
    for (size_t i = 0; ts[i] && ts[i] != 'Z' && k + 1 < sizeof c; i++)
        if (ts[i] != '-' && ts[i] != ':')
            c[k++] = ts[i];
    c[k] = '\0';
    snprintf(buf, len, "%s-%s", c, rnd);
}

int trn_job_id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > TRN_JOB_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

const char *trn_job_state_name(trn_job_state_t s)
{
    switch (s) {
    case TRN_JOB_QUEUED:
        return "queued";
    case TRN_JOB_RUNNING:
        return "running";
    case TRN_JOB_SUCCEEDED:
        return "succeeded";
    case TRN_JOB_PARTIAL:
        return "partial";
    case TRN_JOB_FAILED:
        return "failed";
    }
    return "unknown";
}

trn_job_state_t trn_job_outcome(size_t n_ok, size_t n_failed)
{
    if (n_ok > 0 && n_failed == 0)
        return TRN_JOB_SUCCEEDED;
    if (n_ok == 0)
        return TRN_JOB_FAILED;
    return TRN_JOB_PARTIAL;
}

void trn_job_set_error(trn_job_t *j, const char *code, const char *fmt, ...)
{
    snprintf(j->err_code, sizeof j->err_code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err_msg, sizeof j->err_msg, fmt, ap);
    va_end(ap);
}

static json_t *time_json(double t)
{
    if (t <= 0)
        return json_null();
    char buf[40];
    return json_string(gf_time_format_ms(t, buf, sizeof buf));
}

json_t *trn_job_to_json(const trn_job_t *j)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "state", json_string(trn_job_state_name(j->state)));
    json_t *rg = json_array();
    for (size_t i = 0; i < j->nregions; i++)
        json_array_append_new(rg, json_string(j->regions[i]));
    json_object_set_new(o, "regions", rg);
    json_object_set_new(o, "all", json_boolean(j->all));
    json_object_set_new(o, "options",
                        json_pack("{s:i, s:i, s:b, s:i, s:i, s:b, s:f, s:s}", "test_days",
                                  j->opts.test_days, "val_days", j->opts.val_days, "search",
                                  j->opts.search, "max_rounds", j->opts.max_rounds,
                                  "max_train_days", j->opts.max_train_days, "promote",
                                  j->opts.promote, "min_gain_pct", j->opts.min_gain_pct, "trigger",
                                  j->opts.scheduled ? "schedule" : "api"));
    json_object_set_new(o, "owner", json_string(j->owner));
    json_object_set_new(o, "instance", json_string(j->instance));
    json_object_set_new(o, "created_at", time_json(j->created_at));
    json_object_set_new(o, "started_at", time_json(j->started_at));
    json_object_set_new(o, "finished_at", time_json(j->finished_at));
    json_object_set_new(o, "heartbeat_at", time_json(j->heartbeat_at));
    json_t *tm = json_object();
    if (j->started_at > 0)
        json_object_set_new(tm, "queued_seconds", json_real(j->started_at - j->created_at));
    if (j->finished_at > 0 && j->started_at > 0)
        json_object_set_new(tm, "run_seconds", json_real(j->finished_at - j->started_at));
    json_object_set_new(o, "timings", tm);
    size_t done = json_array_size(j->results);
    json_t *p = json_object();
    json_object_set_new(p, "regions", json_integer((json_int_t)j->nregions));
    json_object_set_new(p, "regions_done", json_integer((json_int_t)done));
    if (j->state == TRN_JOB_RUNNING && j->region_index < j->nregions) {
        json_object_set_new(p, "region", json_string(j->regions[j->region_index]));
        json_object_set_new(p, "region_index", json_integer((json_int_t)j->region_index + 1));
        json_object_set_new(p, "stage", json_string(j->stage));
        if (j->candidates > 0) {
            json_object_set_new(p, "candidate", json_integer(j->candidate));
            json_object_set_new(p, "candidates", json_integer(j->candidates));
        }
        if (j->max_rounds > 0) {
            json_object_set_new(p, "round", json_integer(j->round));
            json_object_set_new(p, "max_rounds", json_integer(j->max_rounds));
        }
    }
    json_object_set_new(o, "progress", p);
    json_object_set_new(o, "results", json_incref(j->results));
    json_object_set_new(o, "error",
                        j->err_code[0]
                            ? json_pack("{s:s, s:s}", "code", j->err_code, "message", j->err_msg)
                            : json_null());
    return o;
}

int trn_job_json_is_stale(const json_t *doc, double now, double stale_seconds)
{
    const char *st = json_string_value(json_object_get(doc, "state"));
    if (st == NULL || strcmp(st, "running") != 0 || stale_seconds <= 0)
        return 0;
    const char *hb = json_string_value(json_object_get(doc, "heartbeat_at"));
    if (hb == NULL)
        hb = json_string_value(json_object_get(doc, "started_at"));
    double t;
    if (hb == NULL || gf_time_parse(hb, strlen(hb), &t) != 0)
        return 0;
    return now - t > stale_seconds;
}

int trn_job_json_interrupt(json_t *doc, const char *owner, const char *self, const char *code,
                           const char *message, double now)
{
    const char *st = json_string_value(json_object_get(doc, "state"));
    if (st == NULL || (strcmp(st, "queued") != 0 && strcmp(st, "running") != 0))
        return 0;
    if (owner != NULL) {
        const char *o = json_string_value(json_object_get(doc, "owner"));
        if (o == NULL || strcmp(o, owner) != 0)
            return 0;
    }
    const char *inst = json_string_value(json_object_get(doc, "instance"));
    if (self != NULL && inst != NULL && strcmp(inst, self) == 0)
        return 0;
    json_object_set_new(doc, "state", json_string("failed"));
    json_object_set_new(doc, "error", json_pack("{s:s, s:s}", "code", code, "message", message));
    json_object_set_new(doc, "finished_at", time_json(now));
    json_t *p = json_object_get(doc, "progress");
    if (json_is_object(p)) {
        json_object_del(p, "round");
        json_object_del(p, "max_rounds");
    }
    return 1;
}
