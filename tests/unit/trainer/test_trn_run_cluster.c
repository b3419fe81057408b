/*
 * test_trn_run_cluster.c - the trainer's job records (trn_run.c: trn_job_save, the restart
 * recovery) on a real 3-master Redis Cluster (../support/rcluster_fixture.h): the index
 * gf:jobs and each document gf:job:{ID} sit on different masters, so nothing may write them
 * in one script; saved jobs are listed and read back, a finished one expires, and the
 * recovery walks the index and rewrites each document on its own master. Also a region's
 * training data read through libs/features on the cluster.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* the fixture's slot-movement helpers are not used here */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../support/rcluster_fixture.h"
#include "../../../services/trainer/trn_data.h"
#include "../../../services/trainer/trn_keys.h"
#include "../../../services/trainer/trn_run.h"
#include "core/util.h"

static gf_test_rcluster_t cl;
static gf_rcluster_t *h;

static int group_setup(void **state)
{
    (void)state;
    if (gf_test_rcluster_start(&cl) != 0)
        return -1;
    gf_redis_conf_t where = {.cluster = cl.seeds, .host = "127.0.0.1", .port = 6379};
    h = gf_rcluster_open(&where, 2000, NULL);
    return h ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    gf_rcluster_free(h);
    gf_test_rcluster_stop(&cl);
    return 0;
}

static int owner_of(const char *key)
{
    return gf_test_rcluster_owner(&cl, 0, gf_rc_slot(key, strlen(key)));
}

/* A queued job of `owner` whose document lives on master `node` (ids are drawn until one
 * does). */
static trn_job_t *job_on(int node, const char *owner, double now)
{
    for (int tries = 0; tries < 1000; tries++) {
        char id[TRN_JOB_ID_MAX + 1], key[96];
        trn_job_id_new(id, sizeof id, now);
        if (owner_of(trn_key_job(key, sizeof key, id)) != node)
            continue;
        char **regions = gf_xcalloc(1, sizeof *regions);
        regions[0] = gf_xstrdup("PJM");
        trn_job_opts_t o = {.test_days = 14, .val_days = 28};
        trn_job_t *j = trn_job_new(id, regions, 1, 0, &o, owner, now);
        snprintf(j->instance, sizeof j->instance, "%s", "old-instance");
        return j;
    }
    fail_msg("no job id on node %d", node);
    return NULL;
}

static json_t *doc_of(const char *id)
{
    char key[96];
    redisReply *r = gf_rcluster_cmd(h, NULL, "HGET %s json", trn_key_job(key, sizeof key, id));
    assert_non_null(r);
    json_t *doc = r->type == REDIS_REPLY_STRING ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    freeReplyObject(r);
    return doc;
}

static void test_trn_jobs_cluster_save_list_recover(void **state)
{
    (void)state;
    gf_err_t err = {0};
    /* one document on every master, so at least two are not where the index is */
    int index_node = owner_of(TRN_KEY_JOBS);
    trn_job_t *jobs[GF_TEST_RC_NODES];
    double now = gf_now_wall();
    for (int i = 0; i < GF_TEST_RC_NODES; i++) {
        jobs[i] = job_on(i, "host-a", now + i);
        assert_int_equal(trn_job_save(h, jobs[i], 1, 7, &err), 0);
    }
    /* the old single-script save (document and index together) is what a cluster refuses */
    char key[96];
    trn_key_job(key, sizeof key, jobs[(index_node + 1) % GF_TEST_RC_NODES]->id);
    redisReply *r = gf_rcluster_cmd(h, &err, "EVAL %s 2 %s %s x 1 y", "return 1", key,
                                    TRN_KEY_JOBS);
    assert_null(r);
    assert_string_equal(err.code, "redis_crossslot");
    gf_err_cleanup(&err);

    /* listed newest first, each document read back from its own master */
    r = gf_rcluster_cmd(h, &err, "ZREVRANGE %s 0 -1", TRN_KEY_JOBS);
    assert_non_null(r);
    assert_int_equal(r->elements, GF_TEST_RC_NODES);
    for (int i = 0; i < GF_TEST_RC_NODES; i++) {
        const char *id = r->element[i]->str;
        assert_string_equal(id, jobs[GF_TEST_RC_NODES - 1 - i]->id);
        json_t *doc = doc_of(id);
        assert_non_null(doc);
        assert_string_equal(json_string_value(json_object_get(doc, "id")), id);
        assert_string_equal(json_string_value(json_object_get(doc, "state")), "queued");
        json_decref(doc);
    }
    freeReplyObject(r);

    /* a finished job's document expires; a queued one does not */
    jobs[0]->state = TRN_JOB_SUCCEEDED;
    jobs[0]->finished_at = now + 10;
    assert_int_equal(trn_job_save(h, jobs[0], 0, 7, &err), 0);
    r = gf_rcluster_cmd(h, &err, "TTL %s", trn_key_job(key, sizeof key, jobs[0]->id));
    assert_non_null(r);
    assert_true(r->integer > 6 * 86400 && r->integer <= 7 * 86400);
    freeReplyObject(r);
    r = gf_rcluster_cmd(h, &err, "TTL %s", trn_key_job(key, sizeof key, jobs[1]->id));
    assert_int_equal(r->integer, -1);
    freeReplyObject(r);

    /* a restart of host-a: its queued jobs (on every master) are marked failed, the finished
     * one is left alone */
    int n = 0;
    assert_int_equal(trn_jobs_recover(h, "host-a", "new-instance", &n, &err), 0);
    assert_int_equal(n, GF_TEST_RC_NODES - 1);
    for (int i = 0; i < GF_TEST_RC_NODES; i++) {
        json_t *doc = doc_of(jobs[i]->id);
        assert_string_equal(json_string_value(json_object_get(doc, "state")),
                            i == 0 ? "succeeded" : "failed");
        json_decref(doc);
        trn_job_free(jobs[i]);
    }
    gf_err_cleanup(&err);
}

/* A region's history (libs/features' reader: the region entry and one HGETALL per month in one
 * pipeline, then the flags) read on the cluster: every key carries the tag {R}, so the
 * pipeline goes to the one master of that slot, whichever it is. */
static void test_trn_data_cluster_load(void **state)
{
    (void)state;
    gf_err_t err = {0};
    static const char *const cmds[] = {
        "HSET gf:region:{NYC} code NYC tz America/New_York first 1454281200 last 1454292000 "
        "rows 3",
        "HSET gf:demand:{NYC}:201601 1454281200 5000.5,1.5",
        "HSET gf:demand:{NYC}:201602 1454284800 5100,2 1454288400 5200,",
        "HSET gf:demand:{NYC}:201602 1454292000 5300,3",
        "HSET gf:dflags:{NYC} 1454288400 MISSING",
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        redisReply *r = gf_rcluster_cmd(h, &err, cmds[i]);
        assert_non_null(r);
        assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
        freeReplyObject(r);
    }
    trn_data_t d;
    int rc = trn_data_load_redis(&d, h, "NYC", INT64_MIN, INT64_MAX, &err);
    if (rc != 0)
        fail_msg("%s: %s", err.code, err.message);
    assert_string_equal(d.tz, "America/New_York");
    assert_int_equal(d.series.t0, 1454281200);
    assert_int_equal(d.series.n, 4);
    assert_true(d.series.demand[0] == 5000.5 && d.series.temp[0] == 1.5);
    assert_true(d.series.demand[3] == 5300);
    assert_int_equal(d.n_imputed, 1);
    trn_data_cleanup(&d);
    /* a region nobody wrote: unknown, on whichever master its slot is */
    assert_int_equal(trn_data_load_redis(&d, h, "ERCO", INT64_MIN, INT64_MAX, &err), GF_ENOTFOUND);
    gf_err_cleanup(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trn_jobs_cluster_save_list_recover),
        cmocka_unit_test(test_trn_data_cluster_load),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
