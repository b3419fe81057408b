/*
 * test_trn_job.c - job options parsing (table-driven: body -> error code and field, or the
 * parsed values), the job document, outcomes, ids and the restart interruption rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../services/trainer/trn_job.h"
#include "core/region.h"

static const trn_job_opts_t defaults = {.test_days = 28,
                                        .val_days = 56,
                                        .search = 1,
                                        .max_rounds = 0,
                                        .max_train_days = 0,
                                        .promote = 1};

static int parse(const char *text, trn_job_opts_t *o, char ***regions, size_t *n, int *all,
                 gf_err_t *err)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    assert_non_null(j);
    int rc = trn_job_opts_parse(j, &defaults, o, regions, n, all, err);
    json_decref(j);
    return rc;
}

static void test_trn_job_opts_parse_refuses_bad_bodies(void **state)
{
    (void)state;
    static const struct {
        const char *body, *code, *field;
    } cases[] = {
        {"[]", "invalid_body", "body"},
        {"{}", "missing_field", "regions"},
        {"{\"regions\":\"some\"}", "invalid_regions", "regions"},
        {"{\"regions\":[]}", "invalid_regions", "regions"},
        {"{\"regions\":[\"PJM\",\"PJM\"]}", "invalid_regions", "regions"},
        {"{\"regions\":[\"P J M\"]}", "invalid_regions", "regions"},
        {"{\"regions\":[42]}", "invalid_regions", "regions"},
        {"{\"regions\":[\"PJM\"],\"test_days\":0}", "invalid_test_days", "test_days"},
        {"{\"regions\":[\"PJM\"],\"test_days\":366}", "invalid_test_days", "test_days"},
        {"{\"regions\":[\"PJM\"],\"test_days\":1.5}", "invalid_test_days", "test_days"},
        {"{\"regions\":[\"PJM\"],\"val_days\":3}", "invalid_val_days", "val_days"},
        {"{\"regions\":[\"PJM\"],\"max_rounds\":\"5\"}", "invalid_max_rounds", "max_rounds"},
        {"{\"regions\":[\"PJM\"],\"max_rounds\":5001}", "invalid_max_rounds", "max_rounds"},
        {"{\"regions\":[\"PJM\"],\"max_train_days\":10}", "invalid_max_train_days",
         "max_train_days"},
        {"{\"regions\":[\"PJM\"],\"search\":1}", "invalid_search", "search"},
        {"{\"regions\":[\"PJM\"],\"promote\":\"yes\"}", "invalid_promote", "promote"},
        {"{\"regions\":[\"PJM\"],\"serach\":false}", "unknown_field", "serach"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        trn_job_opts_t o;
        char **regions = NULL;
        size_t n = 0;
        int all = 0;
        gf_err_t err = {0};
        int rc = parse(cases[i].body, &o, &regions, &n, &all, &err);
        if (rc != GF_EINVAL || strcmp(err.code, cases[i].code) != 0)
            fail_msg("%s: rc %d code %s, want %s", cases[i].body, rc, err.code, cases[i].code);
        const char *f = json_string_value(json_object_get(json_array_get(err.details, 0), "field"));
        if (f == NULL || strcmp(f, cases[i].field) != 0)
            fail_msg("%s: field %s, want %s", cases[i].body, f ? f : "(none)", cases[i].field);
        assert_null(regions);
        gf_err_cleanup(&err);
    }
}

static void test_trn_job_opts_parse_values_and_defaults(void **state)
{
    (void)state;
    trn_job_opts_t o;
    char **regions = NULL;
    size_t n = 0;
    int all = 0;
    gf_err_t err = {0};
    assert_int_equal(parse("{\"regions\":[\"PJM\",\"NYIS\"],\"test_days\":14,\"search\":false,"
                           "\"max_rounds\":5,\"promote\":false}",
                           &o, &regions, &n, &all, &err),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(regions[0], "PJM");
    assert_string_equal(regions[1], "NYIS");
    assert_int_equal(all, 0);
    assert_int_equal(o.test_days, 14);
    assert_int_equal(o.val_days, 56); /* default */
    assert_int_equal(o.search, 0);
    assert_int_equal(o.max_rounds, 5);
    assert_int_equal(o.promote, 0);
    trn_strv_free(regions, n);
    regions = NULL;
    assert_int_equal(parse("{\"regions\":\"all\",\"max_rounds\":0}", &o, &regions, &n, &all, &err),
                     0);
    assert_int_equal(all, 1);
    assert_int_equal(n, 0);
    assert_null(regions);
    assert_int_equal(o.max_rounds, 0);
}

static void test_trn_job_document_tracks_progress_and_results(void **state)
{
    (void)state;
    char **regions = calloc(2, sizeof *regions);
    regions[0] = strdup("PJM");
    regions[1] = strdup("NYIS");
    trn_job_t *j = trn_job_new("20260105T100000-0a1b2c3d", regions, 2, 0, &defaults, "host",
                               1767607200.0);
    json_t *d = trn_job_to_json(j);
    assert_string_equal(json_string_value(json_object_get(d, "state")), "queued");
    assert_true(json_is_null(json_object_get(d, "started_at")));
    assert_true(json_is_null(json_object_get(d, "error")));
    assert_null(json_object_get(json_object_get(d, "progress"), "stage"));
    json_decref(d);

    j->state = TRN_JOB_RUNNING;
    j->started_at = 1767607201.0;
    j->region_index = 1;
    snprintf(j->stage, sizeof j->stage, "search");
    j->candidate = 2;
    j->candidates = 6;
    j->round = 140;
    j->max_rounds = 2000;
    json_array_append_new(j->results, json_pack("{s:s}", "region", "PJM"));
    d = trn_job_to_json(j);
    json_t *p = json_object_get(d, "progress");
    assert_string_equal(json_string_value(json_object_get(p, "region")), "NYIS");
    assert_int_equal(json_integer_value(json_object_get(p, "region_index")), 2);
    assert_int_equal(json_integer_value(json_object_get(p, "regions")), 2);
    assert_int_equal(json_integer_value(json_object_get(p, "regions_done")), 1);
    assert_int_equal(json_integer_value(json_object_get(p, "candidate")), 2);
    assert_int_equal(json_integer_value(json_object_get(p, "round")), 140);
    assert_string_equal(json_string_value(json_object_get(d, "started_at")),
                        "2026-01-05T10:00:01.000Z");
    json_decref(d);

    j->state = trn_job_outcome(1, 1);
    j->finished_at = 1767607211.5;
    trn_job_set_error(j, "regions_failed", "%d of %d regions failed", 1, 2);
    d = trn_job_to_json(j);
    assert_string_equal(json_string_value(json_object_get(d, "state")), "partial");
    assert_string_equal(json_string_value(json_object_get(json_object_get(d, "error"), "code")),
                        "regions_failed");
    assert_true(json_real_value(json_object_get(json_object_get(d, "timings"), "run_seconds")) >
                10.4);
    assert_null(json_object_get(json_object_get(d, "progress"), "stage"));
    json_decref(d);
    trn_job_free(j);
}

static void test_trn_job_outcome_and_ids(void **state)
{
    (void)state;
    assert_int_equal(trn_job_outcome(3, 0), TRN_JOB_SUCCEEDED);
    assert_int_equal(trn_job_outcome(0, 2), TRN_JOB_FAILED);
    assert_int_equal(trn_job_outcome(0, 0), TRN_JOB_FAILED);
    assert_int_equal(trn_job_outcome(2, 1), TRN_JOB_PARTIAL);
    char a[48], b[48];
    trn_job_id_new(a, sizeof a, 1767607200.0);
    trn_job_id_new(b, sizeof b, 1767607200.0);
    assert_int_equal(strncmp(a, "20260105T100000-", 16), 0);
    assert_int_equal(strlen(a), 24);
    assert_string_not_equal(a, b);
    assert_true(trn_job_id_valid(a));
    assert_false(trn_job_id_valid("../etc"));
    assert_false(trn_job_id_valid(""));
    assert_true(gf_region_valid("PJM"));
    assert_false(gf_region_valid("PJM}"));
}

static void test_trn_job_json_interrupt_marks_only_ours(void **state)
{
    (void)state;
    json_t *doc = json_pack("{s:s, s:s, s:s, s:{s:i, s:i}}", "state", "running", "owner", "hostA",
                            "instance", "old", "progress", "round", 5, "max_rounds", 10);
    assert_int_equal(trn_job_json_interrupt(doc, "hostB", "new", "interrupted", "x", 1.0), 0);
    assert_int_equal(trn_job_json_interrupt(doc, "hostA", "old", "interrupted", "x", 1.0), 0);
    assert_int_equal(trn_job_json_interrupt(doc, "hostA", "new", "interrupted",
                                            "interrupted by restart", 1767607200.0),
                     1);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "failed");
    assert_string_equal(json_string_value(
                            json_object_get(json_object_get(doc, "error"), "message")),
                        "interrupted by restart");
    assert_null(json_object_get(json_object_get(doc, "progress"), "round"));
    /* already final: untouched */
    assert_int_equal(trn_job_json_interrupt(doc, NULL, NULL, "interrupted", "x", 1.0), 0);
    json_decref(doc);
}

static void test_trn_job_json_is_stale_only_for_running_jobs(void **state)
{
    (void)state;
    const double now = 1767607200.0; /* 2026-01-05T10:00:00Z */
    json_t *doc = json_pack("{s:s, s:s, s:s}", "state", "running", "heartbeat_at",
                            "2026-01-05T09:40:00.000Z", "started_at", "2026-01-05T09:00:00.000Z");
    assert_true(trn_job_json_is_stale(doc, now, 900)); /* 20 min without progress */
    assert_false(trn_job_json_is_stale(doc, now, 3600));
    assert_false(trn_job_json_is_stale(doc, now, 0));
    json_object_set_new(doc, "heartbeat_at", json_null()); /* falls back to started_at */
    assert_true(trn_job_json_is_stale(doc, now, 3000));
    json_object_set_new(doc, "state", json_string("queued"));
    assert_false(trn_job_json_is_stale(doc, now, 1));
    json_object_set_new(doc, "state", json_string("running"));
    json_object_set_new(doc, "started_at", json_string("garbage"));
    assert_false(trn_job_json_is_stale(doc, now, 1));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trn_job_opts_parse_refuses_bad_bodies),
        cmocka_unit_test(test_trn_job_opts_parse_values_and_defaults),
        cmocka_unit_test(test_trn_job_document_tracks_progress_and_results),
        cmocka_unit_test(test_trn_job_outcome_and_ids),
        cmocka_unit_test(test_trn_job_json_interrupt_marks_only_ours),
        cmocka_unit_test(test_trn_job_json_is_stale_only_for_running_jobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
