/*
 * test_trn_schedule.c - scheduled retraining as data: the due decision (time and data
 * triggers), planning, the PUT body parser, the job options of a scheduled run, the summary
 * of a finished scheduled job and the alias-history reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "../../../services/trainer/trn_schedule.h"

#define DAY 86400
#define NOW 1700000000.0

static trn_sched_defaults_t defaults(int every_hours, int after_days)
{
    trn_sched_defaults_t d = {.enabled = 1, .every_hours = every_hours, .after_days = after_days};
    d.opts = (trn_job_opts_t){.test_days = 28,
                              .val_days = 56,
                              .search = 1,
                              .promote = 1,
                              .min_gain_pct = 1.0};
    return d;
}

static void test_due_time(void **state)
{
    (void)state;
    trn_sched_defaults_t d = defaults(24, 0);
    json_t *doc = trn_sched_doc(NULL, "PJM");
    char why[16];
    /* never planned: not due, planning sets next_run = now + 24 h */
    assert_int_equal(trn_sched_due(doc, &d, NOW, 0, 0, why, sizeof why), 0);
    assert_int_equal(trn_sched_plan(doc, &d, NOW), 1);
    assert_int_equal(json_integer_value(json_object_get(doc, "next_run")), (json_int_t)NOW + DAY);
    assert_int_equal(trn_sched_plan(doc, &d, NOW + 10), 0); /* already planned */
    assert_int_equal(trn_sched_due(doc, &d, NOW + DAY - 1, 0, 0, why, sizeof why), 0);
    assert_int_equal(trn_sched_due(doc, &d, NOW + DAY, 0, 0, why, sizeof why), 1);
    assert_string_equal(why, "time");
    /* a run re-plans from its start */
    trn_sched_started(doc, &d, "20231114T221320-0a1b2c3d", why, 1530403200, NOW + DAY);
    assert_int_equal(json_integer_value(json_object_get(doc, "next_run")),
                     (json_int_t)NOW + 2 * DAY);
    assert_string_equal(json_string_value(json_object_get(doc, "job")), "20231114T221320-0a1b2c3d");
    assert_string_equal(json_string_value(json_object_get(doc, "trigger")), "time");
    assert_int_equal(json_integer_value(json_object_get(doc, "last_run")), (json_int_t)NOW + DAY);
    /* disabled: never due */
    json_object_set_new(doc, "enabled", json_false());
    assert_int_equal(trn_sched_due(doc, &d, NOW + 9 * DAY, 0, 0, why, sizeof why), 0);
    /* the time trigger switched off per region: next_run goes away */
    json_object_set_new(doc, "enabled", json_true());
    json_object_set_new(doc, "every_hours", json_integer(0));
    assert_int_equal(trn_sched_plan(doc, &d, NOW), 1);
    assert_true(json_is_null(json_object_get(doc, "next_run")));
    assert_int_equal(trn_sched_due(doc, &d, NOW + 9 * DAY, 0, 0, why, sizeof why), 0);
    json_decref(doc);
}

static void test_due_data(void **state)
{
    (void)state;
    trn_sched_defaults_t d = defaults(0, 7);
    json_t *doc = trn_sched_doc(NULL, "PJM");
    char why[16];
    int64_t seen = 1530403200; /* 2018-07-01 00:00 */
    static const struct {
        int64_t last, seen;
        int due;
    } cases[] = {
        {1530403200 + 7 * DAY - 3600, 1530403200, 0}, /* 7 days less an hour */
        {1530403200 + 7 * DAY, 1530403200, 1},        /* exactly 7 days newer */
        {1530403200 + 30 * DAY, 1530403200, 1},
        {1530403200 + 30 * DAY, 0, 0}, /* no production model: the data rule does not apply */
        {0, 1530403200, 0},            /* no data */
        {1530403200 - DAY, 1530403200, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int due = trn_sched_due(doc, &d, NOW, cases[i].last, cases[i].seen, why, sizeof why);
        if (due != cases[i].due)
            fail_msg("case %zu: due %d", i, due);
        if (due)
            assert_string_equal(why, "data");
    }
    /* per-region override of the default */
    json_object_set_new(doc, "after_days", json_integer(40));
    assert_int_equal(trn_sched_due(doc, &d, NOW, seen + 30 * DAY, seen, why, sizeof why), 0);
    json_object_set_new(doc, "after_days", json_integer(0));
    assert_int_equal(trn_sched_due(doc, &d, NOW, seen + 300 * DAY, seen, why, sizeof why), 0);
    json_object_set_new(doc, "after_days", json_null());
    /* a scheduled run started with data to seen + 10 days and kept the champion: the same
     * data is not judged again; 7 days more than that run saw are needed */
    trn_sched_started(doc, &d, "J1", "data", seen + 10 * DAY, NOW);
    json_object_set_new(doc, "job", json_null());
    json_object_set_new(doc, "last_result",
                        json_pack("{s:s, s:b}", "state", "succeeded", "promoted", 0));
    assert_int_equal(trn_sched_due(doc, &d, NOW + 60, seen + 10 * DAY, seen, why, sizeof why), 0);
    assert_int_equal(trn_sched_due(doc, &d, NOW + 60, seen + 16 * DAY, seen, why, sizeof why), 0);
    assert_int_equal(trn_sched_due(doc, &d, NOW + 60, seen + 17 * DAY, seen, why, sizeof why), 1);
    /* the run promoted: the production model's own range counts (it saw up to the run's data) */
    assert_int_equal(trn_sched_due(doc, &d, NOW + 60, seen + 12 * DAY, seen + 10 * DAY, why,
                                   sizeof why),
                     0);
    /* it failed: retried after TRN_SCHED_RETRY_SECONDS from its start, on the same data */
    json_object_set_new(doc, "last_result", json_pack("{s:s}", "state", "failed"));
    assert_int_equal(trn_sched_due(doc, &d, NOW + TRN_SCHED_RETRY_SECONDS - 1, seen + 10 * DAY,
                                   seen, why, sizeof why),
                     0);
    assert_int_equal(trn_sched_due(doc, &d, NOW + TRN_SCHED_RETRY_SECONDS, seen + 10 * DAY, seen,
                                   why, sizeof why),
                     1);
    json_decref(doc);
}

static void test_parse_put(void **state)
{
    (void)state;
    trn_sched_defaults_t d = defaults(0, 7);
    static const struct {
        const char *body, *code, *field;
    } bad[] = {
        {"[]", "invalid_body", "body"},
        {"{}", "empty_body", "body"},
        {"{\"every\":1}", "unknown_field", "every"},
        {"{\"enabled\":1}", "invalid_enabled", "enabled"},
        {"{\"every_hours\":-1}", "invalid_every_hours", "every_hours"},
        {"{\"every_hours\":8761}", "invalid_every_hours", "every_hours"},
        {"{\"every_hours\":1.5}", "invalid_every_hours", "every_hours"},
        {"{\"after_days\":366}", "invalid_after_days", "after_days"},
        {"{\"options\":[]}", "invalid_options", "options"},
        {"{\"options\":{\"regions\":[\"PJM\"]}}", "unknown_field", "regions"},
        {"{\"options\":{\"test_days\":0}}", "invalid_test_days", "test_days"},
        {"{\"options\":{\"min_gain_pct\":51}}", "invalid_min_gain_pct", "min_gain_pct"},
        {"{\"options\":{\"bogus\":1}}", "unknown_field", "bogus"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *body = json_loads(bad[i].body, 0, NULL);
        assert_non_null(body);
        json_t *out = (json_t *)1;
        gf_err_t err = {0};
        int rc = trn_sched_parse_put(body, NULL, "PJM", &d, NOW, &out, &err);
        if (rc != GF_EINVAL || strcmp(err.code, bad[i].code) != 0)
            fail_msg("case %zu (%s): rc %d code %s", i, bad[i].body, rc, err.code);
        assert_null(out);
        json_t *ej = gf_err_to_json(&err);
        char *s = json_dumps(ej, 0);
        if (strstr(s, bad[i].field) == NULL)
            fail_msg("case %zu: field %s not in %s", i, bad[i].field, s);
        free(s);
        json_decref(ej);
        gf_err_cleanup(&err);
        json_decref(body);
    }
    /* good: members replaced, others kept; every_hours re-plans next_run */
    json_t *stored = json_pack("{s:s, s:b, s:i, s:{s:i}, s:s, s:I}", "region", "PJM", "enabled", 0,
                               "after_days", 3, "options", "test_days", 14, "job", "J1", "next_run",
                               (json_int_t)NOW + 99);
    json_t *body = json_loads("{\"enabled\":true,\"every_hours\":6,"
                              "\"options\":{\"max_rounds\":5,\"min_gain_pct\":2.5}}",
                              0, NULL);
    json_t *out = NULL;
    gf_err_t err = {0};
    assert_int_equal(trn_sched_parse_put(body, stored, "PJM", &d, NOW, &out, &err), 0);
    assert_true(json_is_true(json_object_get(out, "enabled")));
    assert_int_equal(json_integer_value(json_object_get(out, "every_hours")), 6);
    assert_int_equal(json_integer_value(json_object_get(out, "after_days")), 3);
    assert_int_equal(json_integer_value(json_object_get(out, "next_run")),
                     (json_int_t)NOW + 6 * 3600);
    assert_string_equal(json_string_value(json_object_get(out, "job")), "J1");
    assert_null(json_object_get(json_object_get(out, "options"), "test_days"));
    trn_job_opts_t o;
    assert_int_equal(trn_sched_job_opts(out, &d, &o, &err), 0);
    assert_int_equal(o.max_rounds, 5);
    assert_int_equal(o.test_days, 28);
    assert_true(fabs(o.min_gain_pct - 2.5) < 1e-12);
    assert_int_equal(o.scheduled, 1);
    /* without options: the defaults, min_gain_pct included */
    assert_int_equal(trn_sched_job_opts(stored, &d, &o, &err), 0);
    assert_int_equal(o.test_days, 14);
    assert_true(fabs(o.min_gain_pct - 1.0) < 1e-12);
    json_decref(out);
    json_decref(body);
    json_decref(stored);
}

static void test_finish(void **state)
{
    (void)state;
    json_t *doc = trn_sched_doc(NULL, "PJM");
    /* no job recorded: nothing to finish */
    assert_int_equal(trn_sched_finish(doc, NULL, NOW), 0);
    json_object_set_new(doc, "job", json_string("J1"));
    json_object_set_new(doc, "trigger", json_string("data"));
    json_t *running = json_pack("{s:s}", "state", "running");
    assert_int_equal(trn_sched_finish(doc, running, NOW), 0);
    assert_string_equal(json_string_value(json_object_get(doc, "job")), "J1");
    json_t *done = json_loads(
        "{\"state\":\"succeeded\",\"finished_at\":\"2023-11-14T22:13:20.000Z\",\"results\":[{"
        "\"region\":\"PJM\",\"version\":4,\"alias\":\"staging\",\"promoted\":false,"
        "\"champion_challenger\":{\"champion_mape\":3.1,\"challenger_mape\":3.09,\"hours\":669,"
        "\"reason\":\"scheduled retrain: not enough\"}}],\"error\":null}",
        0, NULL);
    assert_int_equal(trn_sched_finish(doc, done, NOW), 1);
    assert_true(json_is_null(json_object_get(doc, "job")));
    const json_t *lr = json_object_get(doc, "last_result");
    assert_string_equal(json_string_value(json_object_get(lr, "job")), "J1");
    assert_string_equal(json_string_value(json_object_get(lr, "trigger")), "data");
    assert_string_equal(json_string_value(json_object_get(lr, "state")), "succeeded");
    assert_false(json_is_true(json_object_get(lr, "promoted")));
    assert_int_equal(json_integer_value(json_object_get(lr, "version")), 4);
    assert_string_equal(json_string_value(json_object_get(lr, "reason")),
                        "scheduled retrain: not enough");
    /* a record that is gone */
    json_object_set_new(doc, "job", json_string("J2"));
    assert_int_equal(trn_sched_finish(doc, NULL, NOW), 1);
    assert_string_equal(json_string_value(
                            json_object_get(json_object_get(doc, "last_result"), "state")),
                        "lost");
    /* a failed job: the job error is the reason */
    json_object_set_new(doc, "job", json_string("J3"));
    json_t *failed = json_loads("{\"state\":\"failed\",\"results\":[],\"error\":{\"code\":"
                                "\"interrupted\",\"message\":\"interrupted by restart\"}}",
                                0, NULL);
    assert_int_equal(trn_sched_finish(doc, failed, NOW), 1);
    assert_string_equal(json_string_value(
                            json_object_get(json_object_get(doc, "last_result"), "reason")),
                        "interrupted by restart");
    json_decref(failed);
    json_decref(done);
    json_decref(running);
    json_decref(doc);
}

static void test_reason(void **state)
{
    (void)state;
    trn_cc_t cc = {.has_champion = 1,
                   .champion_version = 3,
                   .scored = 1,
                   .champion_mape = 3.1,
                   .challenger_mape = 2.9,
                   .hours = 669};
    trn_cc_decide(&cc, 1, 1.0);
    assert_true(cc.promote);
    trn_sched_reason(&cc, 28);
    assert_non_null(strstr(cc.reason, "scheduled retrain: MAPE 3.10 \xe2\x86\x92 2.90 on 28 days"));
    assert_non_null(strstr(cc.reason, "beats production v3"));
    trn_cc_t none = {.challenger_mape = 2.9};
    trn_cc_decide(&none, 1, 1.0);
    trn_sched_reason(&none, 28);
    assert_string_equal(none.reason, "scheduled retrain: no production version yet");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_time),  cmocka_unit_test(test_due_data),
        cmocka_unit_test(test_parse_put), cmocka_unit_test(test_finish),
        cmocka_unit_test(test_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
