/*
 * test_store.c - readings batch write against a real redis-server (ing_store.h): counts,
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
#include "../registry/redis_fixture.h"

#include <math.h>

#include "core/util.h"

/* Readings are stamped relative to the current hour so that the dedupe keys' expiry
 * (hour end + acceptance window) lies in the future, as in production. */
static int64_t H9;     /* start of the previous hour: "09:00" in the comments */
static int64_t NOW_MS;

static gf_test_redis_t srv;
static redisContext *rc_;

static int setup(void **state)
{
    (void)state;
    int64_t now = (int64_t)gf_now_wall();
    H9 = now / 3600 * 3600 - 3600;
    NOW_MS = now * 1000;
    if (gf_test_redis_start(&srv) != 0)
        return -1;
    rc_ = gf_test_redis_connect(&srv);
    return rc_ ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (rc_)
        redisFree(rc_);
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
    char body[16384];
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
    ing_key_agg_min(key, sizeof key, "PJM", m900);
    snprintf(f, sizeof f, "%lld", (long long)m900);
    assert_true(hget_num(key, f) == 5.5);
    strcat(f, ":n");
    assert_true(hget_num(key, f) == 2);
    ing_key_agg_min(key, sizeof key, "ERCO", m901);
    snprintf(f, sizeof f, "%lld", (long long)m901);
    assert_true(hget_num(key, f) == 10);
    ing_key_agg_hour(key, sizeof key, "PJM", h9);
    snprintf(f, sizeof f, "%lld", (long long)h9);
    assert_true(hget_num(key, f) == 1.75);
    snprintf(f, sizeof f, "%lld", (long long)h8);
    assert_true(hget_num(key, f) == 1);
    strcat(f, ":n");
    assert_true(hget_num(key, f) == 1);
    ing_key_agg_hour(key, sizeof key, "ERCO", h9);
    assert_int_equal(cmd_int("EXISTS %s", key), 0); /* no kwh in ERCO */
}

static void test_store_write_then_retry(void **state)
{
    (void)state;
    flushall();
    ing_batch_t b;
    ing_batch_init(&b, 0);
    load(&b, BODY);
    ing_store_cfg_t cfg;
    ing_store_cfg_default(&cfg);
    char sha[41];
    assert_int_equal(ing_store_script_load(rc_, sha, NULL), 0);
    cfg.script_sha = sha;
    ing_store_counts_t c;
    gf_err_t err = {0};
    assert_int_equal(ing_store_write_sync(rc_, &cfg, &b, &c, &err), 0);
    assert_int_equal(c.accepted, 4);
    assert_int_equal(c.duplicate, 1); /* the last reading repeats the first */
    assert_int_equal(c.rejected, 1);
    assert_int_equal(b.v[0].status, ING_ST_NEW);
    assert_int_equal(b.v[4].status, ING_ST_REJECTED);
    assert_int_equal(b.v[5].status, ING_ST_DUP);
    assert_int_equal(cmd_int("XLEN %s", "gf:raw"), 1);
    assert_int_equal(cmd_int("XLEN %s", "gf:clean"), 1);
    assert_int_equal(cmd_int("SCARD %s", "gf:meters:{PJM}"), 2);
    assert_int_equal(cmd_int("SCARD %s", "gf:meters:{ERCO}"), 1);
    char key[96];
    ing_key_seen(key, sizeof key, H9);
    assert_int_equal(cmd_int("SCARD %s", key), 3);
    assert_true(cmd_int("TTL %s", key) > 7 * 86400);
    check_aggregates();
    /* the clean entry holds exactly the 4 new readings, the raw entry all 6 */
    char m3line[96];
    snprintf(m3line, sizeof m3line, "[\"m3\",%lld000,\"ERCO\",null,10,231,\"ok\"]",
             (long long)(H9 + 60));
    redisReply *r = redisCommand(rc_, "XRANGE gf:clean - +");
    assert_int_equal(r->elements, 1);
    redisReply *fields = r->element[0]->element[1];
    assert_string_equal(fields->element[1]->str, "4");
    assert_non_null(strstr(fields->element[3]->str, m3line));
    freeReplyObject(r);
    r = redisCommand(rc_, "XRANGE gf:raw - +");
    fields = r->element[0]->element[1];
    assert_string_equal(fields->element[1]->str, "6");
    assert_non_null(strstr(fields->element[3]->str, "\"negative_energy\""));
    freeReplyObject(r);

    /* retry: everything duplicate, aggregates unchanged, clean tier unchanged */
    load(&b, BODY);
    assert_int_equal(ing_store_write_sync(rc_, &cfg, &b, &c, &err), 0);
    assert_int_equal(c.accepted, 0);
    assert_int_equal(c.duplicate, 5);
    assert_int_equal(c.rejected, 1);
    assert_int_equal(cmd_int("XLEN %s", "gf:clean"), 1);
    assert_int_equal(cmd_int("XLEN %s", "gf:raw"), 2);
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
    ing_store_cfg_default(&cfg); /* EVAL with the source: no SCRIPT LOAD needed */
    ing_batch_t b;
    ing_batch_init(&b, 0);
    load(&b, "[{\"meter_id\":\"a\",\"ts\":\"@0\",\"region\":\"PJM\",\"kw\":1.25}]");
    ing_store_counts_t c;
    assert_int_equal(ing_store_write_sync(rc_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(c.accepted, 1);
    load(&b, "[{\"meter_id\":\"a\",\"ts\":\"@0\",\"region\":\"PJM\",\"kw\":1.25},"
             "{\"meter_id\":\"b\",\"ts\":\"@30\",\"region\":\"PJM\",\"kw\":2.5}]");
    assert_int_equal(ing_store_write_sync(rc_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(c.accepted, 1);
    assert_int_equal(c.duplicate, 1);
    char key[96], f[32];
    ing_key_agg_min(key, sizeof key, "PJM", H9);
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
    ing_store_cfg_default(&cfg);
    cfg.chunk = 7;
    char *body = malloc(100 * 160);
    size_t o = 0;
    body[o++] = '[';
    for (int i = 0; i < 100; i++)
        o += (size_t)sprintf(body + o, "%s{\"meter_id\":\"m%d\",\"ts\":\"@%d\","
                             "\"region\":\"%s\",\"kwh\":%d}", i ? "," : "", i % 37,
                             -3600 * (i % 3) + 60 * (i % 60), i % 2 ? "PJM" : "ERCO",
                             i % 5 == 4 ? -1 : 1);
    body[o++] = ']';
    body[o] = '\0';
    ing_batch_t b;
    ing_batch_init(&b, 0);
    load(&b, body);
    ing_store_counts_t c;
    assert_int_equal(ing_store_write_sync(rc_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(c.accepted + c.duplicate, 80);
    assert_int_equal(c.rejected, 20);
    size_t first_new = c.accepted;
    assert_int_equal(cmd_int("XLEN %s", "gf:raw"), 15);
    load(&b, body);
    assert_int_equal(ing_store_write_sync(rc_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(c.accepted, 0);
    assert_int_equal(c.duplicate, 80);
    /* total energy in the hour aggregates equals the number of new kwh=1 readings */
    double total = 0;
    for (int k = 0; k < 2; k++) {
        for (int h = 0; h < 3; h++) {
            char hk[96];
            int64_t hour = H9 - 3600 * h;
            ing_key_agg_hour(hk, sizeof hk, k ? "PJM" : "ERCO", hour);
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

/* Known meters are left out of the command; new ones are still added to the set. */
static void test_store_meter_cache(void **state)
{
    (void)state;
    flushall();
    ing_store_cfg_t cfg;
    ing_store_cfg_default(&cfg);
    cfg.meters = ing_meter_cache_new(100);
    ing_batch_t b;
    ing_batch_init(&b, 0);
    load(&b, "[{\"meter_id\":\"a\",\"ts\":\"@0\",\"region\":\"PJM\",\"kw\":1},"
             "{\"meter_id\":\"b\",\"ts\":\"@0\",\"region\":\"PJM\",\"kw\":1}]");
    ing_cmd_t cmd;
    ing_cmd_init(&cmd);
    ing_store_build(&cfg, &b, 0, b.n, &cmd);
    int argc_cold = cmd.argc;
    ing_store_counts_t c;
    assert_int_equal(ing_store_write_sync(rc_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(ing_meter_cache_size(cfg.meters), 2);
    load(&b, "[{\"meter_id\":\"a\",\"ts\":\"@60\",\"region\":\"PJM\",\"kw\":1},"
             "{\"meter_id\":\"b\",\"ts\":\"@60\",\"region\":\"PJM\",\"kw\":1}]");
    ing_store_build(&cfg, &b, 0, b.n, &cmd);
    assert_int_equal(cmd.argc, argc_cold - 4); /* no meters key, count, a, b */
    load(&b, "[{\"meter_id\":\"a\",\"ts\":\"@120\",\"region\":\"PJM\",\"kw\":1},"
             "{\"meter_id\":\"z\",\"ts\":\"@120\",\"region\":\"PJM\",\"kw\":1}]");
    assert_int_equal(ing_store_write_sync(rc_, &cfg, &b, &c, NULL), 0);
    assert_int_equal(cmd_int("SCARD %s", "gf:meters:{PJM}"), 3);
    ing_meter_cache_clear(cfg.meters);
    assert_int_equal(ing_meter_cache_size(cfg.meters), 0);
    ing_cmd_cleanup(&cmd);
    ing_meter_cache_free(cfg.meters);
    ing_batch_cleanup(&b);
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
    ing_store_cfg_default(&cfg0);
    assert_int_equal(ing_store_apply_reply(&cfg0, &b, 0, b.n, NULL, &c, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_unavailable");
    redisReply e = {.type = REDIS_REPLY_ERROR, .str = "NOSCRIPT No matching script", .len = 27};
    assert_int_equal(ing_store_apply_reply(&cfg0, &b, 0, b.n, &e, &c, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "noscript");
    redisReply s = {.type = REDIS_REPLY_STRING, .str = "nn", .len = 2};
    assert_int_equal(ing_store_apply_reply(&cfg0, &b, 0, b.n, &s, &c, &err), GF_EINTERNAL);
    assert_string_equal(err.code, "bad_reply");
    /* EVALSHA with an unknown sha gives noscript through the real server */
    ing_store_cfg_t cfg;
    ing_store_cfg_default(&cfg);
    cfg.script_sha = "0000000000000000000000000000000000000000";
    assert_int_equal(ing_store_write_sync(rc_, &cfg, &b, &c, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "noscript");
    gf_err_cleanup(&err);
    ing_batch_cleanup(&b);
}

static void test_store_key_names(void **state)
{
    (void)state;
    char key[96];
    assert_string_equal(ing_key_agg_min(key, sizeof key, "PJM", 1767603660), "gf:agg:{PJM}:min:20260105");
    assert_string_equal(ing_key_agg_hour(key, sizeof key, "PJM", 1767603600), "gf:agg:{PJM}:hour:202601");
    assert_string_equal(ing_key_seen(key, sizeof key, 1767603661), "gf:seen:1767603600");
    assert_string_equal(ing_key_meters(key, sizeof key, "ERCO"), "gf:meters:{ERCO}");
    assert_string_equal(ing_key_demand(key, sizeof key, "NYC", 1767603600), "gf:demand:{NYC}:202601");
    assert_string_equal(ing_key_region(key, sizeof key, "NYC"), "gf:region:{NYC}");
    assert_string_equal(ing_key_dflags(key, sizeof key, "NYC"), "gf:dflags:{NYC}");
    assert_string_equal(ing_key_agg_min(key, sizeof key, "X", -1), "gf:agg:{X}:min:19691231");
}

static void test_store_fmt_double(void **state)
{
    (void)state;
    static const double v[] = {0, 1, -1, 0.1, 2.5, 1234.567891, 1e-7, 1e300, -0.0, 0.3, 123456789.125};
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
        cmocka_unit_test(test_store_meter_cache),
        cmocka_unit_test(test_store_reply_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
