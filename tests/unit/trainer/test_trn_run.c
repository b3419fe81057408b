/*
 * test_trn_run.c - one training job end to end (trn_run.h) against a real redis-server
 * (../support/redis_fixture.h) and the real registry: job documents saved with their index and
 * expiry, jobs of a previous process and stale jobs marked failed (and only those), a job that
 * trains a region from the stored history, registers and promotes it, a second run judged
 * against that champion, a job with an unknown region, and a cancelled job.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../services/trainer/trn_run.h"
#include "../support/redis_fixture.h"
#include "core/util.h"
#include "registry/registry.h"

static gf_test_redis_t srv;
static redisContext *rc;  /* plain commands of the test */
static gf_rcluster_t *rh; /* the handle the code under test uses */

static int group_setup(void **state)
{
    (void)state;
    if (gf_test_redis_open(&srv, &rc) != 0)
        return -1;
    rh = gf_rcluster_new_single("127.0.0.1", srv.port, 2000, NULL);
    return rh ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    gf_rcluster_free(rh);
    gf_test_redis_close(&srv, &rc);
    return 0;
}

static int flush(void **state)
{
    (void)state;
    return gf_test_redis_flushall(rc);
}

static trn_job_t *job_of(const char *id, const char *region, const char *owner,
                         const char *instance, double created)
{
    trn_job_opts_t o = {.test_days = 7,
                        .val_days = 14,
                        .search = 0,
                        .max_rounds = 40,
                        .promote = 1};
    char **regions = gf_xcalloc(2, sizeof *regions);
    size_t n = 0;
    if (region != NULL) {
        char *copy = gf_xstrdup(region), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            regions[n++] = gf_xstrdup(t);
        free(copy);
    }
    trn_job_t *j = trn_job_new(id, regions, n, 0, &o, owner, created);
    snprintf(j->instance, sizeof j->instance, "%s", instance);
    return j;
}

/* The stored document of job id (new reference), or NULL. */
static json_t *stored(const char *id)
{
    redisReply *r = redisCommand(rc, "HGET gf:job:{%s} json", id);
    assert_non_null(r);
    json_t *doc = r->type == REDIS_REPLY_STRING ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    freeReplyObject(r);
    return doc;
}

static const char *state_of(json_t *doc)
{
    return json_string_value(json_object_get(doc, "state"));
}

static long long integer(const char *fmt, const char *arg)
{
    redisReply *r = redisCommand(rc, fmt, arg);
    assert_non_null(r);
    long long v = r->type == REDIS_REPLY_INTEGER  ? r->integer
                  : r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10)
                                                  : -999;
    freeReplyObject(r);
    return v;
}

static void test_trn_run_job_save_index_and_expiry(void **state)
{
    (void)state;
    gf_err_t err = {0};
    trn_job_t *j = job_of("job-a", "PJM", "hostA", "i1", 1700000000);
    j->state = TRN_JOB_RUNNING;
    assert_int_equal(trn_job_save(rh, j, 1, 30, &err), 0);
    json_t *doc = stored("job-a");
    assert_non_null(doc);
    assert_string_equal(state_of(doc), "running");
    assert_string_equal(json_string_value(json_object_get(doc, "id")), "job-a");
    json_decref(doc);
    assert_int_equal(integer("ZSCORE gf:jobs %s", "job-a"), 1700000000);
    assert_int_equal(integer("TTL gf:job:{%s}", "job-a"), -1); /* running: kept */
    j->state = TRN_JOB_SUCCEEDED;
    assert_int_equal(trn_job_save(rh, j, 0, 30, &err), 0);
    long long ttl = integer("TTL gf:job:{%s}", "job-a");
    assert_true(ttl > 30 * 86400 - 60 && ttl <= 30 * 86400);
    /* without index: the job is not listed */
    trn_job_t *k = job_of("job-b", "PJM", "hostA", "i1", 1700000001);
    assert_int_equal(trn_job_save(rh, k, 0, 30, &err), 0);
    assert_int_equal(integer("ZCARD %s", "gf:jobs"), 1);
    trn_job_free(j);
    trn_job_free(k);
    gf_err_cleanup(&err);
}

static void test_trn_run_recover_and_sweep_mark_only_theirs(void **state)
{
    (void)state;
    gf_err_t err = {0};
    double now = gf_now_wall();
    struct {
        const char *id, *owner, *instance;
        trn_job_state_t st;
        double heartbeat;
    } jobs[] = {
        {"old-running", "hostA", "old", TRN_JOB_RUNNING, now},
        {"old-queued", "hostA", "old", TRN_JOB_QUEUED, 0},
        {"self-running", "hostA", "self", TRN_JOB_RUNNING, now},
        {"other-host", "hostB", "x", TRN_JOB_RUNNING, now},
        {"old-done", "hostA", "old", TRN_JOB_SUCCEEDED, 0},
        {"stale-other", "hostC", "y", TRN_JOB_RUNNING, now - 1000},
    };
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
        trn_job_t *j = job_of(jobs[i].id, "PJM", jobs[i].owner, jobs[i].instance, now - 2000);
        j->state = jobs[i].st;
        if (jobs[i].st == TRN_JOB_RUNNING)
            j->started_at = now - 1500;
        j->heartbeat_at = jobs[i].heartbeat;
        assert_int_equal(trn_job_save(rh, j, 1, 30, &err), 0);
        trn_job_free(j);
    }
    int n = -1;
    assert_int_equal(trn_jobs_recover(rh, "hostA", "self", &n, &err), 0);
    assert_int_equal(n, 2);
    const char *want[][2] = {{"old-running", "failed"},   {"old-queued", "failed"},
                             {"self-running", "running"}, {"other-host", "running"},
                             {"old-done", "succeeded"},   {"stale-other", "running"}};
    for (size_t i = 0; i < 6; i++) {
        json_t *doc = stored(want[i][0]);
        if (strcmp(state_of(doc), want[i][1]) != 0)
            fail_msg("%s: %s after recovery", want[i][0], state_of(doc));
        if (strcmp(want[i][1], "failed") == 0) {
            json_t *e = json_object_get(doc, "error");
            assert_string_equal(json_string_value(json_object_get(e, "code")), "interrupted");
            assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "restart"));
        }
        json_decref(doc);
    }
    /* a second recovery finds nothing left */
    assert_int_equal(trn_jobs_recover(rh, "hostA", "self", &n, &err), 0);
    assert_int_equal(n, 0);
    /* the sweep: only the running job whose heartbeat is older than the limit */
    assert_int_equal(trn_jobs_sweep_stale(rh, "self", 600, &n, &err), 0);
    assert_int_equal(n, 1);
    json_t *doc = stored("stale-other");
    assert_string_equal(state_of(doc), "failed");
    assert_non_null(
        strstr(json_string_value(json_object_get(json_object_get(doc, "error"), "message")),
               "owner hostC"));
    json_decref(doc);
    doc = stored("other-host");
    assert_string_equal(state_of(doc), "running");
    json_decref(doc);
    gf_err_cleanup(&err);
}

/* ------------------------------------------------------------------ a real run */

#define DAYS 120
#define T0 1514764800LL /* 2018-01-01T00:00Z */

/* DAYS of hourly demand for region R in the ingestion layout (gf:region:{R},
 * gf:demand:{R}:YYYYMM): a daily and a weekly shape with deterministic noise. */
static void store_history(const char *region)
{
    int n = DAYS * 24, cmds = 0;
    uint64_t s = 12345;
    for (int i = 0; i < n; i++) {
        long long t = T0 + 3600LL * i;
        struct tm tm;
        time_t tt = (time_t)t;
        gmtime_r(&tt, &tm);
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double noise = ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 200;
        double mw = 10000 + 2000 * sin(2 * M_PI * (i % 24) / 24.0) +
                    (tm.tm_wday == 0 || tm.tm_wday == 6 ? -1500 : 0) + noise;
        redisAppendCommand(rc, "HSET gf:demand:{%s}:%04d%02d %lld %.1f", region, tm.tm_year + 1900,
                           tm.tm_mon + 1, t, mw);
        cmds++;
    }
    redisAppendCommand(rc, "HSET gf:region:{%s} code %s tz UTC first %lld last %lld rows %d",
                       region, region, T0, T0 + 3600LL * (n - 1), n);
    cmds++;
    for (int i = 0; i < cmds; i++) {
        void *r = NULL;
        assert_int_equal(redisGetReply(rc, &r), REDIS_OK);
        assert_int_not_equal(((redisReply *)r)->type, REDIS_REPLY_ERROR);
        freeReplyObject(r);
    }
}

typedef struct events {
    char seq[1024]; /* "region,stage:loading,...,region_done,done" without repeats */
    int cancel_after_regions;
    int regions;
} events_t;

static void on_event(void *arg, const trn_job_t *job, const char *what, const json_t *res)
{
    (void)res;
    events_t *e = arg;
    char item[64];
    if (strcmp(what, "stage") == 0)
        snprintf(item, sizeof item, "stage:%s", job->stage);
    else
        snprintf(item, sizeof item, "%s", what);
    if (strcmp(what, "region") == 0)
        e->regions++;
    size_t l = strlen(e->seq);
    const char *last = strrchr(e->seq, ',');
    last = last ? last + 1 : e->seq;
    if (strcmp(last, item) != 0 && l + strlen(item) + 2 < sizeof e->seq)
        snprintf(e->seq + l, sizeof e->seq - l, "%s%s", l ? "," : "", item);
}

static int cancelled(void *arg)
{
    events_t *e = arg;
    return e->cancel_after_regions >= 0 && e->regions >= e->cancel_after_regions;
}

static void test_trn_run_job_trains_registers_promotes_then_judges(void **state)
{
    (void)state;
    store_history("TST");
    trn_run_env_t env = {.redis = {.host = "127.0.0.1", .port = srv.port},
                         .nthread = 1,
                         .job_ttl_days = 30};
    events_t ev = {.cancel_after_regions = -1};
    trn_run_hooks_t hooks = {.cancelled = cancelled, .on_event = on_event, .arg = &ev};
    trn_run_metrics_init();
    trn_job_t *j = job_of("run-1", "TST", "hostA", "self", gf_now_wall());
    assert_int_equal(trn_run_job(j, &env, &hooks), TRN_JOB_SUCCEEDED);
    /* the events in order, the training stages between loading and champion; a promoted
     * model is refitted on all data before it is registered */
    assert_true(strncmp(ev.seq, "region,stage:loading,", 21) == 0);
    assert_non_null(
        strstr(ev.seq, ",stage:champion,stage:final_refit,stage:register,region_done,done"));
    assert_non_null(json_object_get(json_array_get(j->results, 0), "refit"));
    json_t *r0 = json_array_get(j->results, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "state")), "succeeded");
    assert_int_equal(json_integer_value(json_object_get(r0, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(r0, "alias")), "production");
    assert_true(json_is_true(json_object_get(r0, "promoted")));
    assert_true(json_number_value(json_object_get(r0, "mape")) > 0);
    /* in the registry: production is the new version, with its job and range */
    gf_err_t err = {0};
    int64_t pv = 0;
    assert_int_equal(gf_reg_alias_get(rh, "load:TST", "production", &pv, &err), 0);
    assert_int_equal(pv, 1);
    gf_reg_version_t *v = NULL;
    assert_int_equal(gf_reg_version_load_ref(rh, "load:TST", "production", 0, &v, &err), 0);
    assert_string_equal(v->job, "run-1");
    assert_true(v->data_from >= T0 && v->data_to <= T0 + 3600LL * DAYS * 24);
    gf_reg_version_free(v);
    /* the stored document says the same */
    json_t *doc = stored("run-1");
    assert_string_equal(state_of(doc), "succeeded");
    assert_int_equal(json_array_size(json_object_get(doc, "results")), 1);
    json_decref(doc);
    trn_job_free(j);

    /* a second run is judged against the production version on the same test hours */
    j = job_of("run-2", "TST", "hostA", "self", gf_now_wall());
    assert_int_equal(trn_run_job(j, &env, NULL), TRN_JOB_SUCCEEDED);
    r0 = json_array_get(j->results, 0);
    assert_int_equal(json_integer_value(json_object_get(r0, "version")), 2);
    json_t *cc = json_object_get(r0, "champion_challenger");
    assert_int_equal(json_integer_value(json_object_get(cc, "champion_version")), 1);
    const char *alias = json_string_value(json_object_get(r0, "alias"));
    int promoted = json_is_true(json_object_get(r0, "promoted"));
    assert_string_equal(alias, promoted ? "production" : "staging");
    assert_int_equal(gf_reg_alias_get(rh, "load:TST", alias, &pv, &err), 0);
    assert_int_equal(pv, 2);
    trn_job_free(j);
    gf_err_cleanup(&err);
}

static void test_trn_run_unknown_region_and_cancel(void **state)
{
    (void)state;
    trn_run_env_t env = {.redis = {.host = "127.0.0.1", .port = srv.port},
                         .nthread = 1,
                         .job_ttl_days = 30};
    /* a region without history fails alone; the job names it */
    trn_job_t *j = job_of("run-3", "NOPE", "hostA", "self", gf_now_wall());
    assert_int_equal(trn_run_job(j, &env, NULL), TRN_JOB_FAILED);
    json_t *r0 = json_array_get(j->results, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "state")), "failed");
    assert_string_equal(j->err_code, "regions_failed");
    assert_non_null(strstr(j->err_msg, "NOPE"));
    trn_job_free(j);
    /* no regions at all */
    j = job_of("run-4", NULL, "hostA", "self", gf_now_wall());
    assert_int_equal(trn_run_job(j, &env, NULL), TRN_JOB_FAILED);
    assert_string_equal(j->err_code, "no_regions");
    trn_job_free(j);
    /* cancelled before the second region starts: interrupted, the first region's result kept */
    events_t ev = {.cancel_after_regions = 1};
    trn_run_hooks_t hooks = {.cancelled = cancelled, .on_event = on_event, .arg = &ev};
    j = job_of("run-5", "NOPE,NOPE2", "hostA", "self", gf_now_wall());
    assert_int_equal(trn_run_job(j, &env, &hooks), TRN_JOB_FAILED);
    assert_string_equal(j->err_code, "interrupted");
    assert_non_null(strstr(j->err_msg, "after 1 of 2 regions"));
    assert_int_equal(json_array_size(j->results), 1);
    json_t *doc = stored("run-5");
    assert_string_equal(state_of(doc), "failed");
    json_decref(doc);
    trn_job_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_trn_run_job_save_index_and_expiry, flush),
        cmocka_unit_test_setup(test_trn_run_recover_and_sweep_mark_only_theirs, flush),
        cmocka_unit_test_setup(test_trn_run_job_trains_registers_promotes_then_judges, flush),
        cmocka_unit_test_setup(test_trn_run_unknown_region_and_cancel, flush),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
