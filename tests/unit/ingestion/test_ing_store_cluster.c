/*
 * test_ing_store_cluster.c - ingestion's Redis writes on a real 3-master Redis Cluster
 * (tests/unit/support/rcluster_fixture.h) through the kit's blocking handle: the readings
 * write script on partitions {R:b} spread over every master (a retried batch is all
 * duplicates, the per-partition aggregates add up to the batch), a demand import whose
 * chunks interleave regions and cross a month (one upsert per region, gf:regions listed
 * once, re-import changes nothing, the series reader finds every hour), and the regions
 * catalog save. Before the upsert declared its keys, the demand import failed here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../../services/ingestion/ing_demand.h"
#include "../../../services/ingestion/ing_keys.h"
#include "../../../services/ingestion/ing_readings.h"
#include "../../../services/ingestion/ing_regions.h"
#include "../../../services/ingestion/ing_store.h"
#include "../../../services/ingestion/ing_validate.h"
#include "../support/rcluster_fixture.h"
#include "features/demand.h"

#include "core/redis.h"
#include "core/sbuf.h"
#include "core/util.h"

static gf_test_rcluster_t cl;
static gf_rcluster_t *h;

static const char *const REGIONS[] = {"PJM", "ERCO", "CISO", "MISO", "NYIS", "ISNE"};
#define NREG 6

static int setup(void **state)
{
    (void)state;
    if (gf_test_rcluster_start(&cl) != 0)
        return -1;
    gf_err_t err = {0};
    h = gf_rcluster_new(cl.seeds, 3000, &err);
    if (h == NULL)
        fprintf(stderr, "gf_rcluster_new: %s\n", err.message);
    gf_err_cleanup(&err);
    return h == NULL;
}

static int teardown(void **state)
{
    (void)state;
    gf_rcluster_free(h);
    gf_test_rcluster_stop(&cl);
    return 0;
}

static long long num(redisReply *r)
{
    long long v = -1;
    if (r != NULL && r->type == REDIS_REPLY_INTEGER)
        v = r->integer;
    else if (r != NULL && r->type == REDIS_REPLY_STRING)
        v = strtoll(r->str, NULL, 10);
    if (r)
        freeReplyObject(r);
    return v;
}

static void test_readings_on_every_master(void **state)
{
    (void)state;
    int64_t now = (int64_t)gf_now_wall();
    int64_t h9 = now / 3600 * 3600 - 3600;
    enum { PER_REGION = 200 };
    /* 6 regions x 200 meters, one reading each, in the previous hour. */
    gf_sbuf_t body = {0};
    gf_sbuf_adds(&body, "[");
    for (int r = 0; r < NREG; r++)
        for (int m = 0; m < PER_REGION; m++) {
            char ts[40];
            gf_time_format(h9 + m, ts, sizeof ts);
            gf_sbuf_addf(&body,
                         "%s{\"meter_id\":\"m%d\",\"ts\":\"%s\",\"region\":\"%s\","
                         "\"kwh\":1,\"kw\":2}",
                         r + m ? "," : "", m, ts, REGIONS[r]);
        }
    gf_sbuf_adds(&body, "]");
    ing_batch_t b;
    ing_batch_init(&b, 0);
    assert_int_equal(ing_readings_parse(&b, body.s, body.len, NULL), 0);
    ing_validate_cfg_t vcfg;
    ing_validate_cfg_default(&vcfg);
    ing_validate_batch(&vcfg, &b, now * 1000);

    ing_store_cfg_t cfg;
    ing_store_cfg_default(&cfg); /* 4 buckets per region: 24 partitions */
    char sha[41];
    gf_err_t err = {0};
    assert_int_equal(ing_store_script_load(h, sha, &err), 0);
    cfg.script_sha = sha;
    /* the partitions' tags land on every master */
    int seen[GF_TEST_RC_NODES] = {0};
    for (int r = 0; r < NREG; r++)
        for (unsigned bk = 0; bk < cfg.buckets; bk++) {
            char key[96];
            ing_key_raw(key, sizeof key, REGIONS[r], bk);
            const gf_rc_addr_t *a = gf_rcluster_slot_master(h, gf_rc_slot(key, strlen(key)));
            for (int n = 0; n < GF_TEST_RC_NODES; n++)
                seen[n] += a->port == cl.node[n].port;
        }
    for (int n = 0; n < GF_TEST_RC_NODES; n++)
        assert_true(seen[n] > 0);

    ing_store_counts_t c;
    assert_int_equal(ing_store_write_sync(h, &cfg, &b, &c, &err), 0);
    assert_int_equal(c.accepted, NREG * PER_REGION);
    assert_int_equal(c.duplicate, 0);
    assert_int_equal(c.rejected, 0);
    /* the retried batch: every reading a duplicate, nothing counted twice */
    assert_int_equal(ing_store_write_sync(h, &cfg, &b, &c, &err), 0);
    assert_int_equal(c.accepted, 0);
    assert_int_equal(c.duplicate, NREG * PER_REGION);
    /* readers combine the partitions: the hour count over a region's buckets */
    for (int r = 0; r < NREG; r++) {
        long long n = 0;
        for (unsigned bk = 0; bk < cfg.buckets; bk++) {
            char key[96], f[40];
            ing_key_agg_hour(key, sizeof key, REGIONS[r], bk, h9);
            snprintf(f, sizeof f, "%lld:n", (long long)h9);
            long long v = num(gf_rcluster_cmd(h, &err, "HGET %s %s", key, f));
            n += v > 0 ? v : 0;
        }
        assert_int_equal(n, PER_REGION);
    }
    gf_err_cleanup(&err);
    ing_batch_cleanup(&b);
    gf_sbuf_cleanup(&body);
}

static void test_demand_import_on_cluster(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/demand.csv", cl.node[0].dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("timestamp,region,demand_mw\n", f);
    /* 8 hours across a month end, the three regions interleaved row by row */
    int64_t t0 = 1706731200; /* 2024-01-31T20:00:00Z */
    for (int i = 0; i < 8; i++)
        for (int r = 0; r < 3; r++) {
            char ts[40];
            gf_time_format(t0 + i * 3600, ts, sizeof ts);
            fprintf(f, "%s,%s,%d\n", ts, REGIONS[r], 1000 * (r + 1) + i);
        }
    fclose(f);
    ing_demand_opts_t o;
    ing_demand_opts_default(&o);
    o.chunk_rows = 5; /* chunks mix regions */
    ing_demand_stats_t st;
    gf_err_t err = {0};
    assert_int_equal(ing_demand_import_file_sync(h, &o, path, &st, &err), 0);
    assert_int_equal(st.rows_ok, 24);
    assert_int_equal(st.rows_new, 24);
    assert_int_equal(ing_demand_import_file_sync(h, &o, path, &st, &err), 0);
    assert_int_equal(st.rows_new, 0); /* idempotent */
    for (int r = 0; r < 3; r++) {
        char key[96];
        ing_key_region(key, sizeof key, REGIONS[r]);
        assert_int_equal(num(gf_rcluster_cmd(h, &err, "HGET %s rows", key)), 8);
        assert_int_equal(num(gf_rcluster_cmd(h, &err, "HGET %s first", key)), t0);
        assert_int_equal(num(gf_rcluster_cmd(h, &err, "HGET %s last", key)), t0 + 7 * 3600);
        assert_int_equal(num(gf_rcluster_cmd(h, &err, "SISMEMBER %s %s", ING_KEY_REGIONS,
                                             REGIONS[r])),
                         1);
        /* the series reader finds every hour, both months, through the cluster handle */
        gf_feat_demand_t s;
        assert_int_equal(gf_feat_demand_load(h, REGIONS[r], t0, t0 + 8 * 3600, 0, &s, &err), 0);
        assert_int_equal(s.n, 8);
        assert_true(s.demand_mw[7] == 1000 * (r + 1) + 7);
        gf_feat_demand_cleanup(&s);
    }
    assert_int_equal(num(gf_rcluster_cmd(h, &err, "SCARD %s", ING_KEY_REGIONS)), 3);
    /* a flags import writes gf:dflags:{R} and lists nothing */
    snprintf(path, sizeof path, "%s/flags.csv", cl.node[0].dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("timestamp,region,category,raw_demand\n2024-01-31T20:00:00Z,ISNE,MISSING,\n"
          "2024-01-31T21:00:00Z,PJM,ZERO,0\n",
          f);
    fclose(f);
    o.kind = ING_IMPORT_FLAGS;
    assert_int_equal(ing_demand_import_file_sync(h, &o, path, &st, &err), 0);
    assert_int_equal(st.rows_new, 2);
    char key[96];
    ing_key_dflags(key, sizeof key, "ISNE");
    assert_int_equal(num(gf_rcluster_cmd(h, &err, "HLEN %s", key)), 1);
    assert_int_equal(num(gf_rcluster_cmd(h, &err, "SCARD %s", ING_KEY_REGIONS)), 3);
    gf_err_cleanup(&err);
}

static void test_regions_save_on_cluster(void **state)
{
    (void)state;
    ing_regions_t t;
    ing_regions_init(&t);
    for (int r = 0; r < NREG; r++)
        assert_int_equal(ing_regions_add(&t, REGIONS[r], REGIONS[r], "UTC", NULL), 0);
    gf_err_t err = {0};
    assert_int_equal(ing_regions_save(h, &t, &err), 0);
    for (int r = 0; r < NREG; r++) {
        char key[96];
        ing_key_region(key, sizeof key, REGIONS[r]);
        redisReply *rep = gf_rcluster_cmd(h, &err, "HGET %s tz", key);
        assert_non_null(rep);
        assert_string_equal(rep->str, "UTC");
        freeReplyObject(rep);
    }
    ing_regions_cleanup(&t);
}

int main(void)
{
    alarm(300);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readings_on_every_master),
        cmocka_unit_test(test_demand_import_on_cluster),
        cmocka_unit_test(test_regions_save_on_cluster),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
