/*
 * trn_run.c - one job from start to end (see trn_run.h). Runs on a worker thread or on the
 * main thread of --once; owns its sync Redis connection for the duration of the job.
 */
#include "trn_run.h"
#include "trn_weather.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/redis.h"
#include "core/util.h"
#include "features/features.h"
#include "registry/registry.h"
#include "trn_champion.h"
#include "trn_data.h"
#include "trn_keys.h"
#include "trn_schedule.h"
#include "trn_train.h"

/* ------------------------------------------------------------------ metrics */

static gf_metric_t *m_jobs, *m_regions, *m_train_s, *m_rows, *m_mape;

void trn_run_metrics_init(void)
{
    m_jobs = gf_metric_counter("gf_trainer_jobs_total",
                               "Training jobs finished, by outcome (succeeded, partial, failed).",
                               "outcome");
    m_regions = gf_metric_counter("gf_trainer_regions_total",
                                  "Regions trained, by outcome (promoted, staged, failed).",
                                  "outcome");
    static const double b[] = {1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800};
    m_train_s = gf_metric_histogram("gf_trainer_training_seconds",
                                    "Wall time to train, backtest and register one region.", NULL,
                                    b, sizeof b / sizeof b[0]);
    m_rows = gf_metric_counter("gf_trainer_training_rows_total",
                               "Training rows (origin x horizon) fitted by stored models.", NULL);
    m_mape = gf_metric_gauge("gf_trainer_model_mape_percent",
                             "Day-ahead backtest MAPE (percent) recorded with the version each "
                             "alias (production, staging) of a region's model points at.",
                             "region,alias");
}

void trn_mape_refresh(gf_rcluster_t *c, const char *name)
{
    static const char *const aliases[] = {"production", "staging"};
    if (c == NULL || strncmp(name, "load:", 5) != 0)
        return;
    for (size_t k = 0; k < sizeof aliases / sizeof aliases[0]; k++) {
        gf_err_t e = {0};
        gf_reg_version_t *v = NULL;
        if (gf_reg_version_load_ref(c, name, aliases[k], 0, &v, &e) == 0) {
            json_t *m = json_loads(v->metrics_json ? v->metrics_json : "", 0, NULL);
            json_t *mape = json_object_get(m, "mape");
            if (json_is_number(mape) && isfinite(json_number_value(mape)))
                gf_metric_set(m_mape, json_number_value(mape), name + 5, aliases[k]);
            json_decref(m);
        }
        gf_reg_version_free(v);
        gf_err_cleanup(&e);
    }
}

void trn_mape_refresh_all(gf_rcluster_t *c)
{
    gf_err_t e = {0};
    char **names = NULL;
    size_t n = 0;
    if (c != NULL && gf_reg_models_list(c, &names, &n, &e) == 0) {
        for (size_t i = 0; i < n; i++)
            trn_mape_refresh(c, names[i]);
        gf_reg_strv_free(names, n);
    }
    gf_err_cleanup(&e);
}

void trn_model_name(char *buf, size_t len, const char *region)
{
    snprintf(buf, len, "load:%s", region);
}

/* ------------------------------------------------------------------ job documents */

const char trn_jobs_index_script[] =
    "redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])\n"
    "redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[3]) - 1)\n"
    "return 1\n";

/* One reply of the handle as an error: NULL (err already set by the handle) or an error reply. */
static int reply_rc(redisReply *r, const gf_err_t *why, gf_err_t *err)
{
    if (r == NULL)
        return gf_err_set(err, why->rc ? why->rc : GF_EUNAVAIL,
                          why->code[0] ? why->code : "redis_unavailable", "%s", why->message);
    return gf_redis_reply_check(r, err);
}

int trn_job_save(gf_rcluster_t *c, const trn_job_t *job, int index, int ttl_days, gf_err_t *err)
{
    json_t *doc = trn_job_to_json(job);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (text == NULL)
        return gf_err_set(err, GF_EINTERNAL, "json", "cannot serialise the job");
    char key[96], score[32], keep[16], ttl[24];
    trn_key_job(key, sizeof key, job->id);
    gf_err_t e = {0};
    int rc = 0;
    /* The index entry first, on its own (on a cluster the two keys live on different
     * masters, and a pipeline orders nothing across masters): an entry whose document is not
     * written yet is skipped by every reader, while a document without its entry would never
     * be listed nor cleaned up. */
    if (index) {
        snprintf(score, sizeof score, "%.3f", job->created_at);
        snprintf(keep, sizeof keep, "%d", TRN_JOBS_INDEX_MAX);
        redisReply *r = gf_rcluster_cmd(c, &e, "EVAL %s 1 %s %s %s %s", trn_jobs_index_script,
                                        TRN_KEY_JOBS, score, job->id, keep);
        rc = reply_rc(r, &e, err);
        if (r)
            freeReplyObject(r);
    }
    /* Then the document and, once the job is over, its expiry: one key, one pipeline. */
    if (rc == 0) {
        gf_rcluster_pipe_t *p = gf_rcluster_pipe_new(c);
        const char *hset[] = {"HSET", key, "json", text};
        const size_t hlen[] = {4, strlen(key), 4, strlen(text)};
        snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_days * 86400);
        const char *expire[] = {"EXPIRE", key, ttl};
        const size_t elen[] = {6, strlen(key), strlen(ttl)};
        if ((rc = gf_rcluster_pipe_add(p, 4, hset, hlen, err)) == 0 &&
            (job->state == TRN_JOB_QUEUED || job->state == TRN_JOB_RUNNING ||
             (rc = gf_rcluster_pipe_add(p, 3, expire, elen, err)) == 0)) {
            size_t n = gf_rcluster_pipe_len(p);
            redisReply **rep = NULL;
            gf_rcluster_pipe_exec(p, &rep, &e);
            for (size_t i = 0; i < n && rc == 0; i++)
                rc = reply_rc(rep[i], &e, err);
            gf_rcluster_replies_free(rep, n);
        }
        gf_rcluster_pipe_free(p);
    }
    gf_err_cleanup(&e);
    free(text);
    return rc;
}

/* Compare-and-set on the stored text, so a job that finished meanwhile is not clobbered. */
static const char cas_script[] = "if redis.call('HGET', KEYS[1], 'json') == ARGV[1] then\n"
                                 "  redis.call('HSET', KEYS[1], 'json', ARGV[2])\n"
                                 "  return 1\n"
                                 "end\n"
                                 "return 0\n";

/* Walk the newest job documents; rewrite those `mark` selects (compare-and-set). */
typedef int (*mark_fn)(json_t *doc, const void *arg, double now);

static int rewrite_jobs(gf_rcluster_t *c, mark_fn mark, const void *arg, int *n_marked,
                        gf_err_t *err)
{
    *n_marked = 0;
    gf_err_t e = {0};
    redisReply *ids = gf_rcluster_cmd(c, &e, "ZREVRANGE %s 0 %d", TRN_KEY_JOBS,
                                      TRN_JOBS_INDEX_MAX - 1);
    int rc = reply_rc(ids, &e, err);
    if (rc) {
        if (ids)
            freeReplyObject(ids);
        gf_err_cleanup(&e);
        return rc;
    }
    for (size_t i = 0; ids->type == REDIS_REPLY_ARRAY && i < ids->elements; i++) {
        if (ids->element[i]->type != REDIS_REPLY_STRING)
            continue;
        char key[96];
        trn_key_job(key, sizeof key, ids->element[i]->str);
        redisReply *r = gf_rcluster_cmd(c, &e, "HGET %s json", key);
        if ((rc = reply_rc(r, &e, err)) != 0) {
            if (r)
                freeReplyObject(r);
            break;
        }
        json_t *doc = r->type == REDIS_REPLY_STRING ? json_loadb(r->str, r->len, 0, NULL) : NULL;
        if (doc && mark(doc, arg, gf_now_wall())) {
            char *text = json_dumps(doc, JSON_COMPACT);
            redisReply *w = gf_rcluster_cmd(c, &e, "EVAL %s 1 %s %b %s", cas_script, key, r->str,
                                            (size_t)r->len, text);
            if (w && w->type == REDIS_REPLY_INTEGER && w->integer == 1)
                (*n_marked)++;
            else if (w == NULL)
                rc = reply_rc(w, &e, err);
            if (w)
                freeReplyObject(w);
            free(text);
        }
        json_decref(doc);
        freeReplyObject(r);
        if (rc)
            break;
    }
    freeReplyObject(ids);
    gf_err_cleanup(&e);
    return rc;
}

typedef struct {
    const char *owner, *self;
    double stale;
} mark_arg_t;

static int mark_restart(json_t *doc, const void *arg_, double now)
{
    const mark_arg_t *a = arg_;
    return trn_job_json_interrupt(doc, a->owner, a->self, "interrupted", "interrupted by restart",
                                  now);
}

static int mark_stale(json_t *doc, const void *arg_, double now)
{
    const mark_arg_t *a = arg_;
    if (!trn_job_json_is_stale(doc, now, a->stale))
        return 0;
    char msg[160];
    snprintf(msg, sizeof msg,
             "interrupted: no progress from its process (owner %.64s) for over %.0f s",
             json_string_value(json_object_get(doc, "owner"))
                 ? json_string_value(json_object_get(doc, "owner"))
                 : "?",
             a->stale);
    return trn_job_json_interrupt(doc, NULL, a->self, "interrupted", msg, now);
}

int trn_jobs_recover(gf_rcluster_t *c, const char *owner, const char *self, int *n_marked,
                     gf_err_t *err)
{
    mark_arg_t a = {.owner = owner, .self = self};
    return rewrite_jobs(c, mark_restart, &a, n_marked, err);
}

int trn_jobs_sweep_stale(gf_rcluster_t *c, const char *self, double stale_seconds, int *n_marked,
                         gf_err_t *err)
{
    mark_arg_t a = {.self = self, .stale = stale_seconds};
    return rewrite_jobs(c, mark_stale, &a, n_marked, err);
}

/* ------------------------------------------------------------------ the run */

typedef struct run {
    trn_job_t *job;
    const trn_run_env_t *env;
    const trn_run_hooks_t *hooks;
    gf_rcluster_t *c;
    double last_save;
    int save_failed_logged;
} run_t;

/* The run's handle, usable: made on first use, then checked (and its broken connections
 * rebuilt) before each step. NULL with err when Redis cannot be reached now. */
static gf_rcluster_t *conn(run_t *r, gf_err_t *err)
{
    if (r->c == NULL)
        r->c = gf_rcluster_open(&r->env->redis, 10000, err);
    else if (gf_rcluster_ensure(r->c, err) != 0)
        return NULL;
    return r->c;
}

static void save(run_t *r, int index)
{
    gf_err_t e = {0};
    gf_rcluster_t *c = conn(r, &e);
    if (c != NULL)
        trn_job_save(c, r->job, index, r->env->job_ttl_days, &e);
    if (e.rc != 0 && !r->save_failed_logged) {
        GF_LOG(GF_LOG_WARN, "job_save_failed", "job %s: %s", r->job->id, e.message);
        r->save_failed_logged = 1;
    } else if (e.rc == 0) {
        r->save_failed_logged = 0;
    }
    gf_err_cleanup(&e);
    r->last_save = gf_now_mono();
    r->job->heartbeat_at = gf_now_wall();
}

static int is_cancelled(run_t *r)
{
    return r->hooks && r->hooks->cancelled && r->hooks->cancelled(r->hooks->arg);
}

static void event(run_t *r, const char *what, const json_t *result)
{
    if (r->hooks && r->hooks->on_event)
        r->hooks->on_event(r->hooks->arg, r->job, what, result);
}

static void set_stage(run_t *r, const char *stage)
{
    snprintf(r->job->stage, sizeof r->job->stage, "%s", stage);
    r->job->candidate = r->job->candidates = r->job->round = r->job->max_rounds = 0;
    event(r, "stage", NULL);
    save(r, 0);
}

static int on_progress(void *arg, const trn_progress_t *p)
{
    run_t *r = arg;
    trn_job_t *j = r->job;
    int changed = strcmp(j->stage, p->stage) != 0 || j->candidate != p->candidate;
    snprintf(j->stage, sizeof j->stage, "%s", p->stage);
    j->candidate = p->candidate;
    j->candidates = p->candidates;
    j->round = p->round;
    j->max_rounds = p->max_rounds;
    if (changed)
        event(r, "stage", NULL);
    if (changed || gf_now_mono() - r->last_save >= 1.0)
        save(r, 0);
    return is_cancelled(r);
}

static json_t *fail_result(const char *region, const gf_err_t *e)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s}}", "region", region, "state", "failed", "error",
                     "code", e->code[0] ? e->code : "error", "message", e->message);
}

/* The alias history's reason for a promoted, refitted model: the decision (both scores on
 * the same hours) and what is served instead of the backtested model. */
static void refit_reason(const trn_result_t *res, const char *decision, char *buf, size_t len)
{
    char to[32], eval_to[32];
    trn_stamp_fmt(res->train_to, to, sizeof to);
    trn_stamp_fmt(res->eval_train_to, eval_to, sizeof eval_to);
    snprintf(buf, len,
             "%s; served refitted on all data to %s (%d rounds on %zu rows; the evaluated model: "
             "%d rounds on %zu rows to %s)",
             decision, to, res->rounds, res->n_train_rows, res->eval_rounds, res->eval_rows,
             eval_to);
}

/* Train, judge, register and alias one region. Returns the region's result (new reference);
 * *ok = 1 when it was registered. */
static json_t *run_region(run_t *r, const char *region, int *ok)
{
    trn_job_t *job = r->job;
    gf_err_t e = {0};
    trn_data_t d;
    trn_result_t res;
    trn_cc_t cc;
    gf_reg_version_t *champ = NULL;
    json_t *out = NULL, *rj = NULL;
    char *spec_text = NULL, *metrics_text = NULL, *params_text = NULL;
    char name[GF_REG_NAME_MAX + 1];
    double t0 = gf_now_mono(), t_load = 0, t_train = 0, t_champ = 0, t_refit = 0, t_reg = 0;
    memset(&d, 0, sizeof d);
    memset(&res, 0, sizeof res);
    memset(&cc, 0, sizeof cc);
    cc.champion_mape = NAN;
    *ok = 0;
    trn_model_name(name, sizeof name, region);

    set_stage(r, "loading");
    gf_rcluster_t *c = conn(r, &e);
    if (c == NULL || trn_data_load_redis(&d, c, region, INT64_MIN, INT64_MAX, &e) != 0 ||
        trn_data_load_weather(&d, c, &e) != 0)
        goto fail;
    t_load = gf_now_mono() - t0;

    trn_config_t cfg;
    trn_config_default(&cfg);
    cfg.test_days = job->opts.test_days;
    cfg.val_days = job->opts.val_days;
    cfg.search = job->opts.search;
    cfg.max_rounds = job->opts.max_rounds;
    cfg.max_train_days = job->opts.max_train_days;
    cfg.nthread = r->env->nthread > 0 ? r->env->nthread : trn_default_nthread();
    cfg.progress = on_progress;
    cfg.progress_arg = r;
    double t1 = gf_now_mono();
    if (trn_train_region(&d, &cfg, &res, &e) != 0)
        goto fail;
    t_train = gf_now_mono() - t1;

    /* champion/challenger */
    set_stage(r, "champion");
    double t2 = gf_now_mono();
    cc.challenger_mape = res.m_model.mape;
    cc.hours = res.m_model.n;
    if ((c = conn(r, &e)) == NULL)
        goto fail;
    gf_err_t ce = {0};
    int lrc = gf_reg_version_load_ref(c, name, "production", GF_REG_WITH_BLOB, &champ, &ce);
    if (lrc == 0) {
        cc.has_champion = 1;
        cc.champion_version = champ->version;
        cc.champion_saw_test = champ->data_to >= res.test_from;
        gf_err_t se = {0};
        if (trn_cc_score(&d, &res, champ->spec_json, champ->blob, champ->blob_len, champ->data_to,
                         &cc, &se))
            snprintf(cc.note, sizeof cc.note, "%.190s", se.message);
        gf_err_cleanup(&se);
    } else if (lrc == GF_ENOTFOUND) {
        cc.has_champion = 0;
    } else if (lrc == GF_EUNAVAIL) {
        gf_err_set(&e, ce.rc, ce.code, "%s", ce.message);
        gf_err_cleanup(&ce);
        goto fail;
    } else {
        /* a production alias whose version does not load (checksum, metadata) */
        cc.has_champion = 1;
        gf_err_t ae = {0};
        int64_t pv = 0;
        if (gf_reg_alias_get(c, name, "production", &pv, &ae) == 0)
            cc.champion_version = pv;
        gf_err_cleanup(&ae);
        snprintf(cc.note, sizeof cc.note, "production version does not load: %.150s", ce.message);
    }
    gf_err_cleanup(&ce);
    trn_cc_decide(&cc, job->opts.promote, job->opts.min_gain_pct);
    if (job->opts.scheduled)
        trn_sched_reason(&cc, job->opts.test_days);
    t_champ = gf_now_mono() - t2;

    /* a model that wins is served refitted on all data up to the newest hour */
    char alias_reason[GF_REG_REASON_MAX + 1];
    snprintf(alias_reason, sizeof alias_reason, "%s", cc.reason);
    if (cc.promote) {
        double tf = gf_now_mono();
        if (trn_refit_full(&d, &cfg, &res, &e) != 0)
            goto fail;
        t_refit = gf_now_mono() - tf;
        if (res.refit)
            refit_reason(&res, cc.reason, alias_reason, sizeof alias_reason);
    }

    /* register */
    set_stage(r, "register");
    double t3 = gf_now_mono();
    rj = trn_result_to_json(&res, 0);
    json_t *metrics = json_deep_copy(json_object_get(rj, "metrics"));
    json_object_set_new(metrics, "mape", json_real(res.m_model.mape));
    json_object_set_new(metrics, "test_range", json_incref(json_object_get(rj, "test_range")));
    json_object_set_new(metrics, "champion_challenger", trn_cc_to_json(&cc));
    if (json_object_get(rj, "refit"))
        json_object_set(metrics, "refit", json_object_get(rj, "refit"));
    metrics_text = json_dumps(metrics, JSON_COMPACT);
    json_decref(metrics);
    json_t *params = json_deep_copy(json_object_get(rj, "params"));
    json_object_set_new(params, "options",
                        json_pack("{s:i, s:i, s:b, s:i, s:i, s:i}", "test_days",
                                  job->opts.test_days, "val_days", job->opts.val_days, "search",
                                  job->opts.search, "max_rounds", job->opts.max_rounds,
                                  "max_train_days", job->opts.max_train_days, "nthread",
                                  cfg.nthread));
    json_object_set_new(params, "search", json_incref(json_object_get(rj, "search")));
    json_object_set_new(params, "model_format", json_string(res.model_format));
    params_text = json_dumps(params, JSON_COMPACT);
    json_decref(params);
    spec_text = gf_feat_spec_dumps(res.spec);
    char tag_region[48];
    snprintf(tag_region, sizeof tag_region, "region=%s", region);
    const char *tags[] = {"trainer", tag_region};
    gf_reg_new_t in = {
        .blob = res.model,
        .blob_len = res.model_len,
        .spec_json = spec_text,
        .metrics_json = metrics_text,
        .params_json = params_text,
        .data_from = res.train_from,
        .data_to = res.train_to,
        .job = job->id,
        .tags = tags,
        .ntags = 2,
    };
    int64_t version = 0;
    if ((c = conn(r, &e)) == NULL || gf_reg_register(c, name, &in, &version, &e) != 0)
        goto fail;
    const char *alias = cc.promote ? "production" : "staging";
    char alias_note[200] = "";
    int64_t from = 0;
    int arc = gf_reg_alias_set(c, name, alias, version, cc.promote ? cc.champion_version : -1,
                               "trainer", alias_reason, 0, &from, &e);
    if (arc == GF_ECONFLICT && cc.promote) {
        /* production moved while we trained: do not clobber a newer decision */
        snprintf(alias_note, sizeof alias_note,
                 "production changed during the run (%.120s); aliased staging instead", e.message);
        gf_err_cleanup(&e);
        cc.promote = 0;
        alias = "staging";
        arc = gf_reg_alias_set(c, name, alias, version, -1, "trainer", alias_note, 0, &from, &e);
    }
    if (arc != 0)
        goto fail;
    t_reg = gf_now_mono() - t3;

    double total = gf_now_mono() - t0;
    out = json_object();
    json_object_set_new(out, "region", json_string(region));
    json_object_set_new(out, "state", json_string("succeeded"));
    json_object_set_new(out, "model", json_string(name));
    json_object_set_new(out, "version", json_integer((json_int_t)version));
    json_object_set_new(out, "alias", json_string(alias));
    json_object_set_new(out, "promoted", json_boolean(cc.promote));
    if (alias_note[0])
        json_object_set_new(out, "note", json_string(alias_note));
    json_object_set_new(out, "mape",
                        isfinite(res.m_model.mape) ? json_real(res.m_model.mape) : json_null());
    json_t *m = json_object_get(rj, "metrics");
    json_object_set_new(out, "metrics",
                        json_pack("{s:O, s:O, s:O}", "model", json_object_get(m, "model"),
                                  "same_hour_yesterday", json_object_get(m, "same_hour_yesterday"),
                                  "same_hour_last_week",
                                  json_object_get(m, "same_hour_last_week")));
    json_object_set_new(out, "champion_challenger", trn_cc_to_json(&cc));
    json_object_set(out, "params", json_object_get(rj, "params"));
    json_object_set(out, "train_range", json_object_get(rj, "train_range"));
    if (json_object_get(rj, "refit"))
        json_object_set(out, "refit", json_object_get(rj, "refit"));
    json_object_set(out, "test_range", json_object_get(rj, "test_range"));
    json_object_set(out, "rows", json_object_get(rj, "rows"));
    json_object_set_new(out, "model_bytes", json_integer((json_int_t)res.model_len));
    json_object_set_new(out, "timings",
                        json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "load_seconds", t_load,
                                  "train_seconds", t_train, "feature_seconds", res.feature_seconds,
                                  "champion_seconds", t_champ, "refit_seconds", t_refit,
                                  "register_seconds", t_reg, "total_seconds", total));
    *ok = 1;
    gf_metric_observe(m_train_s, total);
    gf_metric_add(m_rows, (double)res.n_train_rows);
    trn_mape_refresh(c, name);
    gf_metric_add(m_regions, 1, cc.promote ? "promoted" : "staged");
    GF_LOG(GF_LOG_INFO, "region_trained",
           "job %s %s: v%" PRId64 " MAPE %.2f %% (yesterday %.2f, last week %.2f) -> %s in %.1f s",
           job->id, region, version, res.m_model.mape, res.m_naive_day.mape, res.m_naive_week.mape,
           alias, total);
    goto done;
fail:
    out = fail_result(region, &e);
    gf_metric_add(m_regions, 1, "failed");
    GF_LOG(GF_LOG_WARN, "region_failed", "job %s %s: %s: %s", job->id, region, e.code, e.message);
done:
    json_decref(rj);
    free(spec_text);
    free(metrics_text);
    free(params_text);
    gf_reg_version_free(champ);
    trn_result_cleanup(&res);
    trn_data_cleanup(&d);
    gf_err_cleanup(&e);
    return out;
}

trn_job_state_t trn_run_job(trn_job_t *job, const trn_run_env_t *env, const trn_run_hooks_t *hooks)
{
    run_t r = {.job = job, .env = env, .hooks = hooks};
    job->state = TRN_JOB_RUNNING;
    job->started_at = gf_now_wall();
    save(&r, 0);
    size_t n_ok = 0, n_fail = 0;
    int interrupted = 0;
    char failed[200] = "";
    for (size_t i = 0; i < job->nregions; i++) {
        if (is_cancelled(&r)) {
            interrupted = 1;
            break;
        }
        job->region_index = i;
        event(&r, "region", NULL);
        int ok = 0;
        json_t *res = run_region(&r, job->regions[i], &ok);
        const char *code = json_string_value(
            json_object_get(json_object_get(res, "error"), "code"));
        if (!ok && code && strcmp(code, "cancelled") == 0)
            interrupted = 1;
        json_array_append(job->results, res);
        event(&r, "region_done", res);
        json_decref(res);
        if (ok) {
            n_ok++;
        } else {
            n_fail++;
            size_t l = strlen(failed);
            if (l + 40 < sizeof failed)
                snprintf(failed + l, sizeof failed - l, "%s%s (%s)", l ? ", " : "", job->regions[i],
                         code ? code : "error");
        }
        if (interrupted)
            break;
        save(&r, 0);
    }
    job->region_index = job->nregions;
    job->stage[0] = '\0';
    if (interrupted) {
        job->state = TRN_JOB_FAILED;
        trn_job_set_error(job, "interrupted", "interrupted by shutdown after %zu of %zu regions",
                          n_ok + n_fail, job->nregions);
    } else {
        job->state = trn_job_outcome(n_ok, n_fail);
        if (job->nregions == 0) {
            job->state = TRN_JOB_FAILED;
            trn_job_set_error(job, "no_regions", "there are no regions to train");
        } else if (n_fail > 0) {
            trn_job_set_error(job, "regions_failed", "%zu of %zu regions failed: %s", n_fail,
                              job->nregions, failed);
        }
    }
    job->finished_at = gf_now_wall();
    gf_metric_add(m_jobs, 1, trn_job_state_name(job->state));
    save(&r, 0);
    event(&r, "done", NULL);
    gf_rcluster_free(r.c);
    return job->state;
}
