/*
 * test_ing_store.c - readings batch write against a real redis-server (ing_store.h): counts,
 * tiers and key families, retried batch -> all duplicates with aggregates unchanged,
 * partial overlap, rejected readings only in the raw tier, reply errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../../services/ingestion/ing_keys.h"
#include "../../../services/ingestion/ing_readings.h"
#include "../../../services/ingestion/ing_store.h"
#include "../../../services/ingestion/ing_validate.h"
#include "../support/redis_fixture.h"

#include <math.h>

#include "core/util.h"

/* Readings are stamped relative to the current hour so that the dedupe keys' expiry
 * (hour end + acceptance window) lies in the future, as in production. */
static int64_t H9; /* start of the previous hour: "09:00" in the comments */
static int64_t NOW_MS;

static gf_test_redis_t srv;
static redisContext *rc_;
static gf_rcluster_t *h_; /* the handle the code under test writes through */

static int setup(void **state)
{
    (void)state;
    int64_t now = (int64_t)gf_now_wall();
    H9 = now / 3600 * 3600 - 3600;
    NOW_MS = now * 1000;
    if (gf_test_redis_start(&srv) != 0)
        return -1;
    rc_ = gf_test_redis_connect(&srv);
    h_ = rc_ ? gf_rcluster_new_single("127.0.0.1", srv.port, 2000, NULL) : NULL;
    return rc_ && h_ ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (rc_)
        redisFree(rc_);
    gf_rcluster_free(h_);
    gf_test_redis_stop(&srv);
    return 0;
}

static void flushall(void)
{
    redisReply *r = redisCommand(rc_, "FLUSHALL");
    assert_non_null(r);
    freeReplyObject(r);
}

static long long cmd_int(const char *fmt, const char *a)
{
    redisReply *r = redisCommand(rc_, fmt, a);
    assert_non_null(r);
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return v;
}

static double hget_num(const char *key, const char *field)
{
    redisReply *r = redisCommand(rc_, "HGET %s %s", key, field);
    assert_non_null(r);
    double v = r->type == REDIS_REPLY_STRING ? strtod(r->str, NULL) : NAN;
    freeReplyObject(r);
    return v;
}

/* Parse + validate a body into b; "@<seconds>" in it becomes the RFC 3339 stamp of
 * H9 + seconds (may be negative). */
static void load(ing_batch_t *b, const char *tmpl)
{
    static char body[65536];
    size_t o = 0;
    for (const char *p = tmpl; *p && o < sizeof body - 40;) {
        if (*p == '@') {
            char *end;
            long off = strtol(p + 1, &end, 10);
            gf_time_format(H9 + off, body + o, 32);
            o += strlen(body + o);
            p = end;
        } else {
            body[o++] = *p++;
        }
    }
    body[o] = '\0';
    ing_validate_cfg_t cfg;
    ing_validate_cfg_default(&cfg);
    ing_batch_reset(b);
    assert_int_equal(ing_readings_parse(b, body, strlen(body), NULL), 0);
    ing_validate_batch(&cfg, b, NOW_MS);
}

static const char *BODY =
    "[{\"meter_id\":\"m1\",\"ts\":\"@10\",\"region\":\"PJM\",\"kwh\":1.5,\"kw\":2},"
    "{\"meter_id\":\"m2\",\"ts\":\"@20\",\"region\":\"PJM\",\"kwh\":0.25,\"kw\":3.5},"
    "{\"meter_id\":\"m3\",\"ts\":\"@60\",\"region\":\"ERCO\",\"kw\":10,\"voltage_v\":231},"
    "{\"meter_id\":\"m1\",\"ts\":\"@-1\",\"region\":\"PJM\",\"kwh\":1},"
    "{\"meter_id\":\"bad\",\"ts\":\"@0\",\"region\":\"PJM\",\"kwh\":-1},"
    "{\"meter_id\":\"m1\",\"ts\":\"@10\",\"region\":\"PJM\",\"kwh\":1.5,\"kw\":2}]";

static void check_aggregates(void)
{
    char key[96];
    int64_t h9 = H9, h8 = h9 - 3600, m900 = h9, m901 = h9 + 60;
    char f[32];
    ing_key_agg_min(key, sizeof key, "PJM", 0, m900);
    snprintf(f, sizeof f, "%lld", (long long)m900);
    assert_true(hget_num(key, f) == 5.5);
    strcat(f, ":n");
    assert_true(hget_num(key, f) == 2);
    ing_key_agg_min(key, sizeof key, "ERCO", 0, m901);
    snprintf(f, sizeof f, "%lld", (long long)m901);
    assert_true(hget_num(key, f) == 10);
    ing_key_agg_hour(key, sizeof key, "PJM", 0, h9);
    snprintf(f, sizeof f, "%lld", (long long)h9);
    assert_true(hget_num(key, f) == 1.75);
    snprintf(f, sizeof f, "%lld", (long long)h8);
    assert_true(hget_num(key, f) == 1);
    strcat(f, ":n");
    assert_true(hget_num(key, f) == 1);
    ing_key_agg_hour(key, sizeof key, "ERCO", 0, h9);
    assert_int_equal(cmd_int("EXISTS %s", key), 0); /* no kwh in ERCO */
}

static void cfg1(ing_store_cfg_t *cfg)
{
    ing_store_cfg_default(cfg);
    cfg->buckets = 1; /* one partition per region: fixed key names below */
}

static void test_store_write_then_retry(void **state)
{
    (void)state;
    flushall();
    ing_batch_t b;
    ing_batch_init(&b, 0);
    load(&b, BODY);
    ing_store_cfg_t cfg;
    cfg1(&cfg);
    char sha[41];
    assert_int_equal(ing_store_script_load(h_, sha, NULL), 0);
    cfg.script_sha = sha;
    ing_store_counts_t c;
    gf_err_t err = {0};
    assert_int_equal(ing_store_write_sync(h_, &cfg, &b, &c, &err), 0);
    assert_int_equal(c.accepted, 4);
    assert_int_equal(c.duplicate, 1); /* the last reading repeats the first */
    assert_int_equal(c.rejected, 1);
    assert_int_equal(b.v[0].status, ING_ST_NEW);
    assert_int_equal(b.v[4].status, ING_ST_REJECTED);
    assert_int_equal(b.v[5].status, ING_ST_DUP);
    assert_int_equal(cmd_int("XLEN %s", "gf:raw:{PJM:0}"), 1);
    assert_int_equal(cmd_int("XLEN %s", "gf:raw:{ERCO:0}"), 1);
    assert_int_equal(cmd_int("XLEN %s", "gf:clean:{PJM:0}"), 1);
    assert_int_equal(cmd_int("XLEN %s", "gf:clean:{ERCO:0}"), 1);
    assert_int_equal(cmd_int("HLEN %s", "gf:meters:{PJM:0}"), 2);
    assert_int_equal(cmd_int("HLEN %s", "gf:meters:{ERCO:0}"), 1);
    /* m1's dedupe state: its two time stamps, 6 bytes each; nothing per reading elsewhere */
    redisReply *r = redisCommand(rc_, "HSTRLEN gf:meters:{PJM:0} m1");
    assert_int_equal(r->integer, 12);
    freeReplyObject(r);
    assert_int_equal(cmd_int("EXISTS %s", "gf:late:{PJM:0}"), 0);
    check_aggregates();
    /* the clean entries hold exactly the 4 new readings, the raw entries all 6 */
    char m3line[96];
    snprintf(m3line, sizeof m3line, "[\"m3\",%lld000,\"ERCO\",null,10,231,\"ok\"]",
             (long long)(H9 + 60));
    r = redisCommand(rc_, "XRANGE gf:clean:{ERCO:0} - +");
    assert_int_equal(r->elements, 1);
    redisReply *fields = r->element[0]->element[1];
    assert_string_equal(fields->element[1]->str, "1");
    assert_non_null(strstr(fields->element[3]->str, m3line));
    freeReplyObject(r);
    r = redisCommand(rc_, "XRANGE gf:clean:{PJM:0} - +");
    assert_string_equal(r->element[0]->element[1]->element[1]->str, "3");
    freeReplyObject(r);
    r = redisCommand(rc_, "XRANGE gf:raw:{PJM:0} - +");
    fields = r->element[0]->element[1];
    assert_string_equal(fields->element[1]->str, "5");
    assert_non_null(strstr(fields->element[3]->str, "\"negative_energy\""));
    freeReplyObject(r);

    /* retry: everything duplicate, aggregates unchanged, clean tier unchanged */
    load(&b, BODY);
    assert_int_equal(ing_store_write_sync(h_, &cfg, &b, &c, &err), 0);
    assert_int_equal(c.accepted, 0);
    assert_int_equal(c.duplicate, 5);
    assert_int_equal(c.rejected, 1);
    assert_int_equal(cmd_int("XLEN %s", "gf:clean:{PJM:0}"), 1);
    assert_int_equal(cmd_int("XLEN %s", "gf:raw:{PJM:0}"), 2);
    check_aggregates();
    gf_err_cleanup(&err);
    ing_batch_cleanup(&b);
}

/* A retry that overlaps: old readings are duplicates, new ones count, sums stay exact. */
static void test_store_partial_overlap(void **state)
{
    (void)state;
    flushall();
    ing_store_cfg_t cfg;
    cfg1(&cfg); /* EVAL with the source: no SCRIPT LOAD needed */
    ing_batch_t b;
    ing_batch_init(&b, 0);
    load(&b, "[{\"meter_id\":\"a\",\"ts\":\"@0\",\"region\":\"PJM\",\"kw\":1.25}]");
    ing_store_counts_t c;
    assert_int_equal(ing_store_write_sync(h_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(c.accepted, 1);
    load(&b, "[{\"meter_id\":\"a\",\"ts\":\"@0\",\"region\":\"PJM\",\"kw\":1.25},"
             "{\"meter_id\":\"b\",\"ts\":\"@30\",\"region\":\"PJM\",\"kw\":2.5}]");
    assert_int_equal(ing_store_write_sync(h_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(c.accepted, 1);
    assert_int_equal(c.duplicate, 1);
    char key[96], f[32];
    ing_key_agg_min(key, sizeof key, "PJM", 0, H9);
    snprintf(f, sizeof f, "%lld", (long long)H9);
    assert_true(hget_num(key, f) == 3.75);
    strcat(f, ":n");
    assert_true(hget_num(key, f) == 2);
    ing_batch_cleanup(&b);
}

/* Chunking: a batch split over several commands gives the same counts. */
static void test_store_chunks(void **state)
{
    (void)state;
    flushall();
    ing_store_cfg_t cfg;
    cfg1(&cfg);
    cfg.chunk = 7;
    char *body = malloc(100 * 160);
    size_t o = 0;
    body[o++] = '[';
    for (int i = 0; i < 100; i++)
        o += (size_t)sprintf(body + o,
                             "%s{\"meter_id\":\"m%d\",\"ts\":\"@%d\","
                             "\"region\":\"%s\",\"kwh\":%d}",
                             i ? "," : "", i % 37, -3600 * (i % 3) + 60 * (i % 60),
                             i % 2 ? "PJM" : "ERCO", i % 5 == 4 ? -1 : 1);
    body[o++] = ']';
    body[o] = '\0';
    ing_batch_t b;
    ing_batch_init(&b, 0);
    load(&b, body);
    ing_store_counts_t c;
    assert_int_equal(ing_store_write_sync(h_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(c.accepted + c.duplicate, 80);
    assert_int_equal(c.rejected, 20);
    size_t first_new = c.accepted;
    /* 50 readings per region in parts of at most 7: 8 raw entries each */
    assert_int_equal(cmd_int("XLEN %s", "gf:raw:{PJM:0}"), 8);
    assert_int_equal(cmd_int("XLEN %s", "gf:raw:{ERCO:0}"), 8);
    load(&b, body);
    assert_int_equal(ing_store_write_sync(h_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(c.accepted, 0);
    assert_int_equal(c.duplicate, 80);
    /* total energy in the hour aggregates equals the number of new kwh=1 readings */
    double total = 0;
    for (int k = 0; k < 2; k++) {
        for (int h = 0; h < 3; h++) {
            char hk[96];
            int64_t hour = H9 - 3600 * h;
            ing_key_agg_hour(hk, sizeof hk, k ? "PJM" : "ERCO", 0, hour);
            redisReply *r = redisCommand(rc_, "HGETALL %s", hk);
            for (size_t i = 0; i + 1 < r->elements; i += 2)
                if (strstr(r->element[i]->str, ":n") == NULL &&
                    strtoll(r->element[i]->str, NULL, 10) == hour)
                    total += strtod(r->element[i + 1]->str, NULL);
            freeReplyObject(r);
        }
    }
    assert_true(total == (double)first_new);
    free(body);
    ing_batch_cleanup(&b);
}

/* Write one reading of meter m at H9 + sec; returns its status. */
static int put1(const ing_store_cfg_t *cfg, ing_batch_t *b, const char *m, int sec)
{
    char body[256];
    snprintf(body, sizeof body,
             "[{\"meter_id\":\"%s\",\"ts\":\"@%d\",\"region\":\"PJM\",\"kwh\":1}]", m, sec);
    load(b, body);
    ing_store_counts_t c;
    assert_int_equal(ing_store_write_sync(h_, cfg, b, &c, NULL), 0);
    return b->v[0].status;
}

/* The dedupe guarantee as documented in ing_store.h, case by case, with K = 4. */
static void test_store_dedupe_guarantee(void **state)
{
    (void)state;
    flushall();
    ing_store_cfg_t cfg;
    cfg1(&cfg);
    cfg.dedupe_depth = 4;
    ing_batch_t b;
    ing_batch_init(&b, 0);
    /* out of order while fewer than K are kept: all new, then all duplicates */
    assert_int_equal(put1(&cfg, &b, "m", 300), ING_ST_NEW);
    assert_int_equal(put1(&cfg, &b, "m", 100), ING_ST_NEW);
    assert_int_equal(put1(&cfg, &b, "m", 200), ING_ST_NEW);
    assert_int_equal(put1(&cfg, &b, "m", 100), ING_ST_DUP);
    assert_int_equal(put1(&cfg, &b, "m", 200), ING_ST_DUP);
    assert_int_equal(put1(&cfg, &b, "m", 300), ING_ST_DUP);
    /* newer ones push the oldest out: K = 4 kept, 6 x 4 bytes */
    assert_int_equal(put1(&cfg, &b, "m", 400), ING_ST_NEW);
    assert_int_equal(put1(&cfg, &b, "m", 500), ING_ST_NEW);
    redisReply *r = redisCommand(rc_, "HSTRLEN gf:meters:{PJM:0} m");
    assert_int_equal(r->integer, 24);
    freeReplyObject(r);
    for (int t = 200; t <= 500; t += 100)
        assert_int_equal(put1(&cfg, &b, "m", t), ING_ST_DUP);
    /* inside the kept range but not kept: new, inserted in order (250 then evicts 200) */
    assert_int_equal(put1(&cfg, &b, "m", 250), ING_ST_NEW);
    assert_int_equal(put1(&cfg, &b, "m", 250), ING_ST_DUP);
    assert_int_equal(put1(&cfg, &b, "m", 300), ING_ST_DUP);
    /* older than all K: a late reading, remembered in gf:late (a repeat is caught) */
    assert_int_equal(put1(&cfg, &b, "m", -7200), ING_ST_NEW);
    assert_int_equal(cmd_int("ZCARD %s", "gf:late:{PJM:0}"), 1);
    assert_true(cmd_int("TTL %s", "gf:late:{PJM:0}") > 7 * 86400);
    assert_int_equal(put1(&cfg, &b, "m", -7200), ING_ST_DUP);
    /* the documented gap: 200 was among the K newest and was pushed out, so its repeat
     * is taken for a late reading and accepted again */
    assert_int_equal(put1(&cfg, &b, "m", 200), ING_ST_NEW);
    assert_int_equal(put1(&cfg, &b, "m", 200), ING_ST_DUP);
    /* other meters and regions have their own state; the same (meter, ts) in two regions
     * are two readings */
    assert_int_equal(put1(&cfg, &b, "other", 500), ING_ST_NEW);
    load(&b, "[{\"meter_id\":\"m\",\"ts\":\"@500\",\"region\":\"ERCO\",\"kwh\":1}]");
    ing_store_counts_t c;
    assert_int_equal(ing_store_write_sync(h_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(c.accepted, 1);
    /* a batch with many readings of one meter (a backlog) and its retry */
    char *body = malloc(40 * 100);
    size_t o = 0;
    body[o++] = '[';
    for (int i = 0; i < 30; i++)
        o += (size_t)sprintf(body + o,
                             "%s{\"meter_id\":\"bk\",\"ts\":\"@%d\",\"region\":\"PJM\","
                             "\"kw\":1}",
                             i ? "," : "", -i * 60);
    strcpy(body + o, "]");
    load(&b, body);
    assert_int_equal(ing_store_write_sync(h_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(c.accepted, 30);
    load(&b, body);
    assert_int_equal(ing_store_write_sync(h_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(c.duplicate, 30); /* 4 newest from the state, 26 from gf:late */
    free(body);
    ing_batch_cleanup(&b);
}

/* Partitions: every key of a part carries its {R:b} tag and is declared in KEYS; meters
 * land in the bucket ing_store_bucket names; bad regions go to the "~" partition. */
static void test_store_partitions(void **state)
{
    (void)state;
    flushall();
    ing_regions_t reg;
    ing_regions_init(&reg);
    assert_int_equal(ing_regions_add(&reg, "PJM", "PJM", "America/New_York", NULL), 0);
    assert_int_equal(ing_regions_add(&reg, "ERCO", "ERCOT", "America/Chicago", NULL), 0);
    ing_store_cfg_t cfg;
    ing_store_cfg_default(&cfg);
    assert_int_equal(cfg.buckets, 4);
    cfg.regions = &reg;
    char *body = malloc(300 * 128);
    size_t o = 0;
    body[o++] = '[';
    for (int i = 0; i < 300; i++)
        o += (size_t)sprintf(body + o,
                             "%s{\"meter_id\":\"p%d\",\"ts\":\"@%d\",\"region\":\"%s\","
                             "\"kw\":1}",
                             i ? "," : "", i, i % 120,
                             i % 3 == 0   ? "PJM"
                             : i % 3 == 1 ? "ERCO"
                                          : "NOPE");
    strcpy(body + o, "]");
    ing_batch_t b;
    ing_batch_init(&b, 0);
    load(&b, body);
    for (size_t i = 0; i < b.n; i++)
        if (strcmp(b.v[i].region, "NOPE") == 0)
            b.v[i].code = ING_R_UNKNOWN_REGION; /* as validation with this catalog says */
    ing_store_plan_t plan;
    ing_store_plan_init(&plan);
    size_t np = ing_store_plan(&cfg, &b, &plan);
    assert_int_equal(np, 12); /* PJM, ERCO and "~" x 4 buckets */
    ing_cmd_t cmd;
    ing_cmd_init(&cmd);
    for (size_t p = 0; p < np; p++) {
        ing_store_build(&cfg, &b, &plan, p, &cmd);
        char tag[40];
        snprintf(tag, sizeof tag, "{%s:%u}", plan.parts[p].region, plan.parts[p].bucket);
        long nkeys = strtol(cmd.argv[2], NULL, 10);
        assert_true(nkeys >= 4);
        for (long k = 0; k < nkeys; k++)
            assert_non_null(strstr(cmd.argv[3 + k], tag));
        for (size_t j = plan.parts[p].from; j < plan.parts[p].from + plan.parts[p].count; j++)
            assert_int_equal(ing_store_bucket(b.v[plan.idx[j]].meter_id, 4), plan.parts[p].bucket);
    }
    ing_cmd_cleanup(&cmd);
    ing_store_plan_cleanup(&plan);
    ing_store_counts_t c;
    assert_int_equal(ing_store_write_sync(h_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(c.accepted, 200);
    assert_int_equal(c.rejected, 100);
    /* every key written is a partition key of a known region or "~"; the meters of
     * region R are spread over its buckets and nowhere else */
    redisReply *r = redisCommand(rc_, "KEYS *");
    size_t meters = 0;
    for (size_t i = 0; i < r->elements; i++) {
        const char *k = r->element[i]->str;
        assert_true(strstr(k, "{PJM:") || strstr(k, "{ERCO:") || strstr(k, "{~:"));
        if (strncmp(k, "gf:meters:", 10) == 0)
            meters += (size_t)cmd_int("HLEN %s", k);
        if (strncmp(k, "gf:raw:{~:", 10) == 0) {
            redisReply *x = redisCommand(rc_, "XRANGE %s - +", k);
            assert_non_null(strstr(x->element[0]->element[1]->element[3]->str, "NOPE"));
            freeReplyObject(x);
        }
    }
    freeReplyObject(r);
    assert_int_equal(meters, 200);
    assert_int_equal(cmd_int("EXISTS %s", "gf:meters:{~:0}"), 0);
    char key[96];
    unsigned bk = ing_store_bucket("p0", 4);
    ing_key_meters(key, sizeof key, "PJM", bk);
    r = redisCommand(rc_, "HEXISTS %s p0", key);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    free(body);
    ing_batch_cleanup(&b);
    ing_regions_cleanup(&reg);
}

static void test_store_reply_errors(void **state)
{
    (void)state;
    ing_batch_t b;
    ing_batch_init(&b, 0);
    load(&b, BODY);
    ing_store_counts_t c = {0};
    gf_err_t err = {0};
    ing_store_cfg_t cfg0;
    cfg1(&cfg0);
    ing_store_plan_t plan;
    ing_store_plan_init(&plan);
    assert_int_equal(ing_store_plan(&cfg0, &b, &plan), 2);
    assert_int_equal(ing_store_apply_reply(&cfg0, &b, &plan, 0, NULL, &c, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_unavailable");
    redisReply e = {.type = REDIS_REPLY_ERROR, .str = "NOSCRIPT No matching script", .len = 27};
    assert_int_equal(ing_store_apply_reply(&cfg0, &b, &plan, 0, &e, &c, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "noscript");
    redisReply s = {.type = REDIS_REPLY_STRING, .str = "nn", .len = 2};
    assert_int_equal(ing_store_apply_reply(&cfg0, &b, &plan, 1, &s, &c, &err), GF_EINTERNAL);
    assert_string_equal(err.code, "bad_reply");
    ing_store_plan_cleanup(&plan);
    /* EVALSHA with an unknown sha gives noscript through the real server */
    ing_store_cfg_t cfg;
    cfg1(&cfg);
    cfg.script_sha = "0000000000000000000000000000000000000000";
    assert_int_equal(ing_store_write_sync(h_, &cfg, &b, &c, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "noscript");
    gf_err_cleanup(&err);
    ing_batch_cleanup(&b);
}

static void test_store_key_names(void **state)
{
    (void)state;
    char key[96];
    assert_string_equal(ing_key_agg_min(key, sizeof key, "PJM", 3, 1767603660),
                        "gf:agg:{PJM:3}:min:20260105");
    assert_string_equal(ing_key_agg_hour(key, sizeof key, "PJM", 0, 1767603600),
                        "gf:agg:{PJM:0}:hour:202601");
    assert_string_equal(ing_key_meters(key, sizeof key, "ERCO", 1), "gf:meters:{ERCO:1}");
    assert_string_equal(ing_key_raw(key, sizeof key, "ERCO", 2), "gf:raw:{ERCO:2}");
    assert_string_equal(ing_key_clean(key, sizeof key, "~", 0), "gf:clean:{~:0}");
    assert_string_equal(ing_key_late(key, sizeof key, "PJM", 1), "gf:late:{PJM:1}");
    assert_string_equal(ing_key_anomalies(key, sizeof key, "PJM", NULL), "gf:anomalies:{PJM}");
    assert_string_equal(ing_key_anomalies(key, sizeof key, "PJM", "spike"),
                        "gf:anomalies:{PJM}:spike");
    assert_string_equal(ing_key_anomaly_data(key, sizeof key, "PJM"), "gf:anomaly:{PJM}:data");
    assert_string_equal(ing_key_demand(key, sizeof key, "NYC", 1767603600),
                        "gf:demand:{NYC}:202601");
    assert_string_equal(ing_key_region(key, sizeof key, "NYC"), "gf:region:{NYC}");
    assert_string_equal(ing_key_dflags(key, sizeof key, "NYC"), "gf:dflags:{NYC}");
    assert_string_equal(ing_key_agg_min(key, sizeof key, "X", 0, -1), "gf:agg:{X:0}:min:19691231");
    /* the bucket function is part of the data layout: fixed values */
    assert_int_equal(ing_store_bucket("", 4), 2166136261u % 4);
    assert_int_equal(ing_store_bucket("m-1", 1), 0);
}

static void test_store_fmt_double(void **state)
{
    (void)state;
    static const double v[] = {0,    1,     -1,   0.1, 2.5,          1234.567891,
                               1e-7, 1e300, -0.0, 0.3, 123456789.125};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char b[32];
        ing_fmt_double(v[i], b);
        assert_true(strtod(b, NULL) == v[i]);
    }
    char b[32];
    ing_fmt_double(2.5, b);
    assert_string_equal(b, "2.5");
    ing_fmt_double(230, b);
    assert_string_equal(b, "230");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_key_names),
        cmocka_unit_test(test_store_fmt_double),
        cmocka_unit_test(test_store_write_then_retry),
        cmocka_unit_test(test_store_partial_overlap),
        cmocka_unit_test(test_store_chunks),
        cmocka_unit_test(test_store_dedupe_guarantee),
        cmocka_unit_test(test_store_partitions),
        cmocka_unit_test(test_store_reply_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
