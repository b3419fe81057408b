/*
 * trn_schedule.c - scheduled retraining as data (see trn_schedule.h). Pure functions over
 * jansson.
 */
#include "trn_schedule.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int member_int(const json_t *doc, const char *name, int dflt)
{
    const json_t *v = doc ? json_object_get(doc, name) : NULL;
    return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static double member_time(const json_t *doc, const char *name)
{
    const json_t *v = doc ? json_object_get(doc, name) : NULL;
    return json_is_number(v) ? json_number_value(v) : 0;
}

static json_t *time_or_null(double t)
{
    return t > 0 ? json_integer((json_int_t)t) : json_null();
}

void trn_sched_effective(const json_t *doc, const trn_sched_defaults_t *d, trn_sched_eff_t *out)
{
    const json_t *en = doc ? json_object_get(doc, "enabled") : NULL;
    out->enabled = json_is_boolean(en) ? json_is_true(en) : d->enabled;
    out->every_hours = member_int(doc, "every_hours", d->every_hours);
    out->after_days = member_int(doc, "after_days", d->after_days);
}

json_t *trn_sched_doc(const json_t *doc, const char *region)
{
    json_t *o = json_is_object(doc) ? json_deep_copy(doc) : json_object();
    json_object_set_new(o, "region", json_string(region));
    static const char *const nullable[] = {"enabled",     "every_hours", "after_days", "next_run",
                                           "last_run",    "run_data",    "trigger",    "job",
                                           "last_result", NULL};
    for (size_t i = 0; nullable[i]; i++)
        if (json_object_get(o, nullable[i]) == NULL)
            json_object_set_new(o, nullable[i], json_null());
    if (!json_is_object(json_object_get(o, "options")))
        json_object_set_new(o, "options", json_object());
    return o;
}

static int put_fail(gf_err_t *err, const char *code, const char *field, const char *msg)
{
    gf_err_set(err, GF_EINVAL, code, "%s", msg);
    gf_err_add_field(err, field, msg);
    return GF_EINVAL;
}

static int put_int(const json_t *body, const char *name, int hi, json_t *out, gf_err_t *err)
{
    const json_t *v = json_object_get(body, name);
    if (v == NULL)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > hi) {
        char code[48], msg[96];
        snprintf(code, sizeof code, "invalid_%s", name);
        snprintf(msg, sizeof msg, "'%s' must be an integer from 0 (off) to %d", name, hi);
        return put_fail(err, code, name, msg);
    }
    json_object_set_new(out, name, json_integer(json_integer_value(v)));
    return 0;
}

/* Check job options with the jobs' own parser: the same members, ranges and codes. */
static int opts_check(const json_t *options, const char *region, const trn_job_opts_t *dflt,
                      trn_job_opts_t *out, gf_err_t *err)
{
    if (json_object_get(options, "regions") != NULL)
        return put_fail(err, "unknown_field", "regions",
                        "'options' cannot name regions: a schedule is per region");
    json_t *body = json_deep_copy(options);
    json_object_set_new(body, "regions", json_pack("[s]", region));
    char **regions = NULL;
    size_t n = 0;
    int all = 0;
    int rc = trn_job_opts_parse(body, dflt, out, &regions, &n, &all, err);
    trn_strv_free(regions, n);
    json_decref(body);
    return rc;
}

int trn_sched_parse_put(const json_t *body, const json_t *doc, const char *region,
                        const trn_sched_defaults_t *d, double now, json_t **out, gf_err_t *err)
{
    *out = NULL;
    if (!json_is_object(body))
        return put_fail(err, "invalid_body", "body", "the body must be a JSON object");
    if (json_object_size(body) == 0)
        return put_fail(err, "empty_body", "body",
                        "give at least one of enabled, every_hours, after_days, options");
    static const char *const known[] = {"enabled", "every_hours", "after_days", "options", NULL};
    if (trn_json_only(body, known, err) != 0)
        return GF_EINVAL;
    json_t *o = trn_sched_doc(doc, region);
    int rc = 0;
    const json_t *en = json_object_get(body, "enabled");
    if (en != NULL && !json_is_boolean(en))
        rc = put_fail(err, "invalid_enabled", "enabled", "'enabled' must be true or false");
    else if (en != NULL)
        json_object_set_new(o, "enabled", json_boolean(json_is_true(en)));
    if (rc == 0)
        rc = put_int(body, "every_hours", TRN_SCHED_MAX_EVERY_HOURS, o, err);
    if (rc == 0)
        rc = put_int(body, "after_days", TRN_SCHED_MAX_AFTER_DAYS, o, err);
    const json_t *opt = json_object_get(body, "options");
    if (rc == 0 && opt != NULL) {
        trn_job_opts_t parsed;
        if (!json_is_object(opt))
            rc = put_fail(err, "invalid_options", "options",
                          "'options' must be an object of POST /v1/jobs members");
        else if ((rc = opts_check(opt, region, &d->opts, &parsed, err)) == 0)
            json_object_set_new(o, "options", json_deep_copy(opt));
    }
    if (rc != 0) {
        json_decref(o);
        return rc;
    }
    if (json_object_get(body, "every_hours") != NULL) {
        json_object_set_new(o, "next_run", json_null());
        trn_sched_plan(o, d, now);
    }
    *out = o;
    return 0;
}

int trn_sched_job_opts(const json_t *doc, const trn_sched_defaults_t *d, trn_job_opts_t *out,
                       gf_err_t *err)
{
    const json_t *opt = doc ? json_object_get(doc, "options") : NULL;
    const json_t *reg = doc ? json_object_get(doc, "region") : NULL;
    if (json_is_object(opt) && json_object_size(opt) > 0 && json_is_string(reg)) {
        int rc = opts_check(opt, json_string_value(reg), &d->opts, out, err);
        if (rc != 0)
            return rc;
    } else {
        *out = d->opts;
    }
    out->scheduled = 1;
    return 0;
}

int trn_sched_due(const json_t *doc, const trn_sched_defaults_t *d, double now, int64_t data_last,
                  int64_t seen_to, char *why, size_t whylen)
{
    trn_sched_eff_t e;
    trn_sched_effective(doc, d, &e);
    if (whylen > 0)
        why[0] = '\0';
    if (!e.enabled)
        return 0;
    double next = member_time(doc, "next_run");
    if (e.every_hours > 0 && next > 0 && now >= next) {
        snprintf(why, whylen, "time");
        return 1;
    }
    /* the data a scheduled run already judged counts as seen: a run that kept the champion
     * is not repeated on the same data; one that failed is retried after a pause */
    int64_t run_data = (int64_t)member_time(doc, "run_data");
    if (seen_to > 0 && run_data > seen_to) {
        const char *st = json_string_value(
            json_object_get(json_object_get(doc, "last_result"), "state"));
        if (st != NULL && (strcmp(st, "succeeded") == 0 || strcmp(st, "partial") == 0))
            seen_to = run_data;
        else if (now - member_time(doc, "last_run") < TRN_SCHED_RETRY_SECONDS)
            return 0;
    }
    if (e.after_days > 0 && seen_to > 0 && data_last > 0 &&
        data_last - seen_to >= (int64_t)e.after_days * 86400) {
        snprintf(why, whylen, "data");
        return 1;
    }
    return 0;
}

int trn_sched_plan(json_t *doc, const trn_sched_defaults_t *d, double now)
{
    trn_sched_eff_t e;
    trn_sched_effective(doc, d, &e);
    double next = member_time(doc, "next_run");
    if (e.every_hours <= 0) {
        if (json_is_null(json_object_get(doc, "next_run")))
            return 0;
        json_object_set_new(doc, "next_run", json_null());
        return 1;
    }
    if (next > 0)
        return 0;
    json_object_set_new(doc, "next_run", time_or_null(now + e.every_hours * 3600.0));
    return 1;
}

void trn_sched_started(json_t *doc, const trn_sched_defaults_t *d, const char *job_id,
                       const char *why, int64_t data_last, double now)
{
    trn_sched_eff_t e;
    trn_sched_effective(doc, d, &e);
    json_object_set_new(doc, "job", json_string(job_id));
    json_object_set_new(doc, "trigger", json_string(why));
    json_object_set_new(doc, "last_run", time_or_null(now));
    json_object_set_new(doc, "run_data", time_or_null((double)data_last));
    json_object_set_new(doc, "next_run",
                        e.every_hours > 0 ? time_or_null(now + e.every_hours * 3600.0)
                                          : json_null());
}

static json_t *copy_or_null(const json_t *v)
{
    return v ? json_deep_copy(v) : json_null();
}

int trn_sched_finish(json_t *doc, const json_t *job_doc, double now)
{
    const json_t *id = json_object_get(doc, "job");
    if (!json_is_string(id))
        return 0;
    json_t *r = json_object();
    json_object_set_new(r, "job", json_string(json_string_value(id)));
    json_object_set(r, "trigger", json_object_get(doc, "trigger"));
    if (job_doc == NULL) {
        json_object_set_new(r, "state", json_string("lost"));
        json_object_set_new(r, "finished_at", time_or_null(now));
        json_object_set_new(r, "promoted", json_false());
        json_object_set_new(r, "reason",
                            json_string("the job's record is gone (expired or never saved)"));
    } else {
        const char *st = json_string_value(json_object_get(job_doc, "state"));
        if (st == NULL || strcmp(st, "queued") == 0 || strcmp(st, "running") == 0) {
            json_decref(r);
            return 0;
        }
        json_object_set_new(r, "state", json_string(st));
        json_object_set(r, "finished_at", json_object_get(job_doc, "finished_at"));
        const json_t *res = json_array_get(json_object_get(job_doc, "results"), 0);
        const json_t *cc = json_object_get(res, "champion_challenger");
        const json_t *prom = json_object_get(res, "promoted");
        json_object_set_new(r, "promoted", json_boolean(json_is_true(prom)));
        json_object_set_new(r, "version", copy_or_null(json_object_get(res, "version")));
        json_object_set_new(r, "alias", copy_or_null(json_object_get(res, "alias")));
        json_object_set_new(r, "champion_mape", copy_or_null(json_object_get(cc, "champion_mape")));
        json_object_set_new(r, "challenger_mape",
                            copy_or_null(json_object_get(cc, "challenger_mape")));
        json_object_set_new(r, "hours", copy_or_null(json_object_get(cc, "hours")));
        const json_t *note = json_object_get(res, "note");
        const json_t *reason = json_is_string(note) ? note : json_object_get(cc, "reason");
        const json_t *jerr = json_object_get(job_doc, "error");
        if (!json_is_string(reason) && json_is_object(jerr))
            reason = json_object_get(jerr, "message");
        json_object_set_new(r, "reason", copy_or_null(reason));
        json_object_set_new(r, "error", copy_or_null(json_object_get(res, "error")));
    }
    json_object_set_new(doc, "last_result", r);
    json_object_set_new(doc, "job", json_null());
    return 1;
}

void trn_sched_reason(trn_cc_t *cc, int test_days)
{
    char base[sizeof cc->reason];
    snprintf(base, sizeof base, "%s", cc->reason);
    if (cc->scored && isfinite(cc->champion_mape) && isfinite(cc->challenger_mape))
        snprintf(cc->reason, sizeof cc->reason,
                 "scheduled retrain: MAPE %.2f \xe2\x86\x92 %.2f on %d days (%.80s)",
                 cc->champion_mape, cc->challenger_mape, test_days, base);
    else
        snprintf(cc->reason, sizeof cc->reason, "scheduled retrain: %.170s", base);
}
