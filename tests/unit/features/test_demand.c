/*
 * test_demand.c - the stored demand history reader against a real redis-server
 * (../support/redis_fixture.h): a normal series across a month boundary, missing and empty
 * keys, malformed stored entries (strict and skipping), the range limits, a key of the wrong
 * type and a dead connection; plus the stamp and entry parsers, table-driven. Every Redis
 * test starts from FLUSHALL.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/redis_handle_fixture.h"
#include "features/demand.h"

/* 2016-01-31T22:00Z, the last two hours of January, then February. */
#define JAN31_22 1454277600LL
#define FEB01_00 1454284800LL
#define H 3600LL

/* The context answers the next command with its own reply: the pipeline was drained. */
static void assert_in_step(void)
{
    redisReply *r = redisCommand(rc_, "ECHO %s", "in-step");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, "in-step");
    freeReplyObject(r);
}

static int load_nyc(int64_t from, int64_t to, unsigned flags, gf_feat_demand_t *d, gf_err_t *err)
{
    return gf_feat_demand_load(h_, "NYC", from, to, flags, d, err);
}

/* NYC: 22:00 and 23:00 on Jan 31 (one with a temperature), then Feb 1 00:00 (empty
 * temperature), 01:00 missing, 02:00 without a temperature; the region hash as ingestion
 * writes it. */
static void seed_nyc(void)
{
    cmd_ok("HSET gf:region:{NYC} code NYC tz America/New_York first %lld last %lld rows 4",
           JAN31_22, FEB01_00 + 2 * H);
    cmd_ok("HSET gf:demand:{NYC}:201601 %lld 5000.5,1.5 %lld 5050", JAN31_22, JAN31_22 + H);
    cmd_ok("HSET gf:demand:{NYC}:201602 %lld 5100, %lld 5300", FEB01_00, FEB01_00 + 2 * H);
}

/* ------------------------------------------------------------------ parsers */

static void test_demand_stamp_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        int64_t v;
    } cases[] = {
        {"0", 0, 0},
        {"1454284800", 0, 1454284800},
        {"-3600", 0, -3600},
        {"9223372036854775807", 0, INT64_MAX},
        {"-9223372036854775808", 0, INT64_MIN},
        {"9223372036854775808", -1, 0},
        {"-9223372036854775809", -1, 0},
        {"99999999999999999999", -1, 0},
        {"", -1, 0},
        {"-", -1, 0},
        {"-0", -1, 0},
        {"0100", -1, 0},
        {"+3600", -1, 0},
        {" 3600", -1, 0},
        {"3600 ", -1, 0},
        {"36a0", -1, 0},
        {"3.6e3", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 42;
        int rc = gf_feat_demand_stamp_parse(cases[i].in, strlen(cases[i].in), &v);
        if (rc != cases[i].rc || (rc == 0 && v != cases[i].v))
            fail_msg("stamp '%s': rc %d, value %lld", cases[i].in, rc, (long long)v);
    }
    int64_t v;
    assert_int_equal(gf_feat_demand_stamp_parse("3600x", 4, &v), 0); /* only len bytes */
    assert_int_equal(v, 3600);
}

static void test_demand_entry_parse(void **state)
{
    (void)state;
    static const struct {
        const char *field, *value;
        int rc, with_temp;
        double mw, temp; /* NaN: expect NaN */
    } cases[] = {
        {"1454284800", "5100", 0, 0, 5100, NAN},
        {"1454284800", "5100.25,-1.5", 0, 1, 5100.25, -1.5},
        {"1454284800", "5100,", 0, 1, 5100, NAN},
        {"1454284800", "1e3,2E1", 0, 1, 1000, 20},
        {"1454284800", "-0.5", 0, 0, -0.5, NAN},
        {"1454284801", "5100", -1, 0, 0, 0},  /* not a whole hour */
        {"01454284800", "5100", -1, 0, 0, 0}, /* leading zero */
        {"abc", "5100", -1, 0, 0, 0},
        {"1454284800", "", -1, 0, 0, 0},
        {"1454284800", ",5", -1, 0, 0, 0},
        {"1454284800", "garbage", -1, 0, 0, 0},
        {"1454284800", "nan", -1, 0, 0, 0},
        {"1454284800", "inf", -1, 0, 0, 0},
        {"1454284800", "1e999", -1, 0, 0, 0}, /* overflows to inf */
        {"1454284800", "0x10", -1, 0, 0, 0},
        {"1454284800", " 5", -1, 0, 0, 0},
        {"1454284800", "5 ", -1, 0, 0, 0},
        {"1454284800", "5,abc", -1, 0, 0, 0},
        {"1454284800", "5,1,2", -1, 0, 0, 0},
        {"1454284800", "5.", 0, 0, 5, NAN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        redisReply f = {.type = REDIS_REPLY_STRING,
                        .str = (char *)cases[i].field,
                        .len = strlen(cases[i].field)};
        redisReply v = {.type = REDIS_REPLY_STRING,
                        .str = (char *)cases[i].value,
                        .len = strlen(cases[i].value)};
        int64_t h = 0;
        double mw = 0, temp = 0;
        int wt = -1;
        int rc = gf_feat_demand_entry_parse(&f, &v, &h, &mw, &temp, &wt);
        if (rc != cases[i].rc)
            fail_msg("entry %s='%s': rc %d", cases[i].field, cases[i].value, rc);
        if (rc != 0)
            continue;
        assert_int_equal(h, 1454284800);
        assert_true(mw == cases[i].mw);
        assert_true(isnan(cases[i].temp) ? isnan(temp) : temp == cases[i].temp);
        assert_int_equal(wt, cases[i].with_temp);
    }
    redisReply num = {.type = REDIS_REPLY_INTEGER, .integer = 5};
    redisReply ok = {.type = REDIS_REPLY_STRING, .str = "5", .len = 1};
    int64_t h;
    double mw, temp;
    assert_int_equal(gf_feat_demand_entry_parse(&num, &ok, &h, &mw, &temp, NULL), -1);
    assert_int_equal(gf_feat_demand_entry_parse(&ok, NULL, &h, &mw, &temp, NULL), -1);
}

static void test_demand_keys(void **state)
{
    (void)state;
    char k[96];
    assert_string_equal(gf_feat_demand_key(k, sizeof k, "NYC", 1767603600),
                        "gf:demand:{NYC}:202601");
    assert_string_equal(gf_feat_demand_key(k, sizeof k, "PJM", FEB01_00 - 1),
                        "gf:demand:{PJM}:201601");
    assert_string_equal(gf_feat_demand_key(k, sizeof k, "PJM", FEB01_00), "gf:demand:{PJM}:201602");
    assert_string_equal(gf_feat_demand_region_key(k, sizeof k, "NYC"), "gf:region:{NYC}");
    assert_string_equal(gf_feat_demand_flags_key(k, sizeof k, "CISO"), "gf:dflags:{CISO}");
    assert_string_equal(GF_FEAT_DEMAND_REGIONS_KEY, "gf:regions");
    /* month starts: inside a month, on its first second, across a year end, before 1970 */
    assert_int_equal(gf_feat_demand_month(FEB01_00 - 1), 1451606400LL); /* 2016-01-01 */
    assert_int_equal(gf_feat_demand_month(FEB01_00), FEB01_00);
    assert_int_equal(gf_feat_demand_month_next(FEB01_00 - 1), FEB01_00);
    assert_int_equal(gf_feat_demand_month_next(FEB01_00), 1456790400LL);     /* 2016-03-01 */
    assert_int_equal(gf_feat_demand_month_next(1449000000LL), 1451606400LL); /* Dec -> Jan */
    assert_int_equal(gf_feat_demand_month(-1), -2678400LL);                  /* 1969-12-01 */
    /* the months a range touches, each named once by gf_feat_demand_key */
    const char *want[] = {"gf:demand:{PJM}:201601", "gf:demand:{PJM}:201602",
                          "gf:demand:{PJM}:201603"};
    size_t n = 0;
    for (int64_t m = gf_feat_demand_month(JAN31_22); m < 1456790400LL + 1;
         m = gf_feat_demand_month_next(m)) {
        assert_true(n < 3);
        assert_string_equal(gf_feat_demand_key(k, sizeof k, "PJM", m), want[n++]);
    }
    assert_int_equal(n, 3);
}

/* ------------------------------------------------------------------ Redis */

static void test_demand_load_series(void **state)
{
    (void)state;
    seed_nyc();
    gf_feat_demand_t d;
    gf_err_t err = {0};
    assert_int_equal(load_nyc(JAN31_22, FEB01_00 + 3 * H, 0, &d, &err), 0);
    assert_string_equal(d.tz, "America/New_York");
    assert_int_equal(d.has_range, 1);
    assert_int_equal(d.first, JAN31_22);
    assert_int_equal(d.last, FEB01_00 + 2 * H);
    assert_int_equal(d.n, 4);
    const int64_t hours[] = {JAN31_22, JAN31_22 + H, FEB01_00, FEB01_00 + 2 * H};
    const double mw[] = {5000.5, 5050, 5100, 5300};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(d.hour[i], hours[i]);
        assert_true(d.demand_mw[i] == mw[i]);
    }
    assert_true(d.temperature_c[0] == 1.5);
    for (size_t i = 1; i < 4; i++)
        assert_true(isnan(d.temperature_c[i]));
    assert_int_equal(d.with_temp, 1);
    assert_int_equal(d.n_bad, 0);
    gf_feat_demand_cleanup(&d);

    /* the region's whole stored range, from gf:region:{R} */
    assert_int_equal(load_nyc(GF_FEAT_DEMAND_FIRST, GF_FEAT_DEMAND_LAST, 0, &d, &err), 0);
    assert_int_equal(d.n, 4);
    assert_int_equal(d.hour[0], JAN31_22);
    assert_int_equal(d.hour[3], FEB01_00 + 2 * H);
    gf_feat_demand_cleanup(&d);
    assert_int_equal(load_nyc(FEB01_00, GF_FEAT_DEMAND_LAST, 0, &d, &err), 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.with_temp, 1); /* "5100,": a temperature field, empty */
    gf_feat_demand_cleanup(&d);

    /* [from, to) with partial hours at the ends; February alone has no temperature value */
    assert_int_equal(load_nyc(JAN31_22 + 1, FEB01_00 + 2 * H, 0, &d, &err), 0);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.hour[0], JAN31_22 + H);
    assert_int_equal(d.hour[1], FEB01_00);
    gf_feat_demand_cleanup(&d);
    assert_int_equal(load_nyc(FEB01_00 + 2 * H, FEB01_00 + 3 * H, 0, &d, &err), 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.with_temp, 0);
    gf_feat_demand_cleanup(&d);
    gf_err_cleanup(&err);
}

/* gf:region:{R} alone: tz and the stored range, or none for a region without the hash. */
static void test_demand_info(void **state)
{
    (void)state;
    seed_nyc();
    gf_feat_demand_t d;
    gf_err_t err = {0};
    assert_int_equal(gf_feat_demand_info(h_, "NYC", &d, &err), 0);
    assert_string_equal(d.tz, "America/New_York");
    assert_int_equal(d.has_range, 1);
    assert_int_equal(d.first, JAN31_22);
    assert_int_equal(d.last, FEB01_00 + 2 * H);
    assert_int_equal(d.n, 0);
    assert_null(d.hour);
    assert_int_equal(gf_feat_demand_info(h_, "PJM", &d, &err), 0);
    assert_int_equal(d.has_range, 0);
    assert_string_equal(d.tz, "");
    cmd_ok("HSET gf:region:{PJM} tz America/New_York first 12x last 0");
    assert_int_equal(gf_feat_demand_info(h_, "PJM", &d, &err), 0);
    assert_int_equal(d.has_range, 0); /* a malformed stamp is no range */
    assert_string_equal(d.tz, "America/New_York");
    assert_int_equal(gf_feat_demand_info(h_, "N{YC}", &d, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_region");
    gf_err_cleanup(&err);
    cmd_ok("SET gf:region:{ERCO} x");
    assert_int_equal(gf_feat_demand_info(h_, "ERCO", &d, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_error");
    gf_err_cleanup(&err);
    assert_in_step();
}

static void test_demand_load_missing_and_empty(void **state)
{
    (void)state;
    gf_feat_demand_t d;
    gf_err_t err = {0};
    /* nothing stored: an empty series, no region entry */
    assert_int_equal(gf_feat_demand_load(h_, "NONE", 0, 86400 * 40, 0, &d, &err), 0);
    assert_int_equal(d.n, 0);
    assert_null(d.hour);
    assert_int_equal(d.has_range, 0);
    assert_string_equal(d.tz, "");
    gf_feat_demand_cleanup(&d);
    /* ... but its stored range is unknown */
    assert_int_equal(gf_feat_demand_load(h_, "NONE", GF_FEAT_DEMAND_FIRST, GF_FEAT_DEMAND_LAST, 0,
                                         &d, &err),
                     GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_region");
    assert_int_equal(gf_feat_demand_load(h_, "NONE", 0, GF_FEAT_DEMAND_LAST, 0, &d, &err),
                     GF_ENOTFOUND);
    /* a region entry without first/last (the catalogue only), and an empty month */
    cmd_ok("HSET gf:region:{CAT} code CAT tz America/Chicago name Cat");
    assert_int_equal(gf_feat_demand_load(h_, "CAT", FEB01_00, FEB01_00 + 24 * H, 0, &d, &err), 0);
    assert_int_equal(d.n, 0);
    assert_string_equal(d.tz, "America/Chicago");
    assert_int_equal(d.has_range, 0);
    assert_int_equal(gf_feat_demand_load(h_, "CAT", GF_FEAT_DEMAND_FIRST, GF_FEAT_DEMAND_LAST, 0,
                                         &d, &err),
                     GF_ENOTFOUND);
    /* first/last that are not stamps count as absent */
    cmd_ok("HSET gf:region:{CAT} first soon last %lld", FEB01_00);
    assert_int_equal(gf_feat_demand_load(h_, "CAT", GF_FEAT_DEMAND_FIRST, GF_FEAT_DEMAND_LAST, 0,
                                         &d, &err),
                     GF_ENOTFOUND);
    /* a range but no demand hashes: empty */
    cmd_ok("HSET gf:region:{CAT} first %lld last %lld", FEB01_00, FEB01_00 + H);
    assert_int_equal(gf_feat_demand_load(h_, "CAT", GF_FEAT_DEMAND_FIRST, GF_FEAT_DEMAND_LAST, 0,
                                         &d, &err),
                     0);
    assert_int_equal(d.n, 0);
    assert_int_equal(d.has_range, 1);
    gf_feat_demand_cleanup(&d);
    gf_err_cleanup(&err);
    assert_in_step();
}

static void test_demand_load_malformed(void **state)
{
    (void)state;
    seed_nyc();
    static const struct {
        const char *field, *value;
    } bad[] = {
        {"1454284800", "garbage"}, /* a value that is not a number */
        {"1454284800", "nan"},     {"1454284800", "5100,warm"},
        {"1454284800", ""},        {"abc", "5100"}, /* a field that is not a stamp */
        {"1454284801", "5100"},                     /* not a whole hour */
        {"1454281200", "5100"},                     /* Jan 31 23:00 stored in the February hash */
    };
    gf_err_t err = {0};
    gf_feat_demand_t d;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(flush(NULL), 0);
        seed_nyc();
        /* a third month after the bad one: the pipeline must still be drained */
        cmd_ok("HSET gf:demand:{NYC}:201603 %lld 6000", FEB01_00 + 29 * 24 * H);
        cmd_ok("HSET gf:demand:{NYC}:201602 %s %s", bad[i].field, bad[i].value);
        int rc = load_nyc(JAN31_22, FEB01_00 + 30 * 24 * H, 0, &d, &err);
        if (rc != GF_EINTERNAL || strcmp(err.code, "bad_stored_value") != 0)
            fail_msg("%s=%s: rc %d code %s", bad[i].field, bad[i].value, rc, err.code);
        assert_int_equal(d.n, 0);
        assert_null(d.hour);
        assert_in_step();
        /* skipping: the bad entry is counted, the good ones are all there */
        rc = load_nyc(JAN31_22, FEB01_00 + 30 * 24 * H, GF_FEAT_DEMAND_SKIP_BAD, &d, &err);
        assert_int_equal(rc, 0);
        assert_int_equal(d.n_bad, 1);
        size_t want = strcmp(bad[i].field, "1454284800") == 0 ? 4 : 5; /* overwrote 00:00 or not */
        if (d.n != want)
            fail_msg("%s=%s: %zu hours", bad[i].field, bad[i].value, d.n);
        for (size_t k = 1; k < d.n; k++)
            assert_true(d.hour[k] > d.hour[k - 1]);
        gf_feat_demand_cleanup(&d);
    }
    gf_err_cleanup(&err);
}

static void test_demand_load_range_limits(void **state)
{
    (void)state;
    seed_nyc();
    gf_feat_demand_t d;
    gf_err_t err = {0};
    const int64_t span = GF_FEAT_DEMAND_MAX_SPAN;
    static const struct {
        int64_t from, to;
    } bad[] = {
        {FEB01_00, FEB01_00},
        {FEB01_00, FEB01_00 - H},
        {FEB01_00, FEB01_00 + 20LL * 366 * 86400 + 1},
        {GF_FEAT_DEMAND_T_MIN - 1, GF_FEAT_DEMAND_T_MIN + H},
        {GF_FEAT_DEMAND_T_END - H, GF_FEAT_DEMAND_T_END + 1},
        {INT64_MIN + 1, INT64_MAX - 1}, /* the difference overflows int64 */
        {INT64_MAX - 1, GF_FEAT_DEMAND_LAST},
        {GF_FEAT_DEMAND_FIRST, INT64_MIN + 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = load_nyc(bad[i].from, bad[i].to, 0, &d, &err);
        if (rc != GF_EINVAL || strcmp(err.code, "bad_range") != 0)
            fail_msg("range %zu: rc %d code %s", i, rc, err.code);
    }
    /* exactly the longest span, and the ends of the accepted years */
    assert_int_equal(load_nyc(FEB01_00 - span + 3 * H, FEB01_00 + 3 * H, 0, &d, &err), 0);
    assert_int_equal(d.n, 4);
    gf_feat_demand_cleanup(&d);
    assert_int_equal(load_nyc(GF_FEAT_DEMAND_T_MIN, GF_FEAT_DEMAND_T_MIN + 40 * 86400, 0, &d, &err),
                     0);
    assert_int_equal(d.n, 0);
    gf_feat_demand_cleanup(&d);
    assert_int_equal(load_nyc(GF_FEAT_DEMAND_T_END - 40 * 86400, GF_FEAT_DEMAND_T_END, 0, &d, &err),
                     0);
    assert_int_equal(d.n, 0);
    /* region codes (core/region.h: at most GF_REGION_MAX = 16 characters) */
    static const char *const regions[] = {"", "N{C", "NY C", "NYC}", "a2345678901234567"};
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
        assert_int_equal(gf_feat_demand_load(h_, regions[i], FEB01_00, FEB01_00 + H, 0, &d, &err),
                         GF_EINVAL);
        assert_string_equal(err.code, "bad_region");
    }
    assert_int_equal(gf_feat_demand_load(h_, "a234567890123456", FEB01_00, FEB01_00 + H, 0, &d,
                                         &err),
                     0);
    gf_feat_demand_cleanup(&d);
    /* a stored range that is longer than the limit, empty, or beyond the years */
    cmd_ok("HSET gf:region:{NYC} first %lld", FEB01_00 + 3 * H - span - H);
    assert_int_equal(load_nyc(GF_FEAT_DEMAND_FIRST, GF_FEAT_DEMAND_LAST, 0, &d, &err),
                     GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_region");
    cmd_ok("HSET gf:region:{NYC} first %lld", FEB01_00 + 3 * H - span);
    assert_int_equal(load_nyc(GF_FEAT_DEMAND_FIRST, GF_FEAT_DEMAND_LAST, 0, &d, &err), 0);
    assert_int_equal(d.n, 4);
    gf_feat_demand_cleanup(&d);
    cmd_ok("HSET gf:region:{NYC} first %lld last %lld", FEB01_00, JAN31_22);
    assert_int_equal(load_nyc(GF_FEAT_DEMAND_FIRST, GF_FEAT_DEMAND_LAST, 0, &d, &err),
                     GF_ENOTFOUND);
    cmd_ok("HSET gf:region:{NYC} first %lld last 9223372036854775807", FEB01_00);
    assert_int_equal(load_nyc(GF_FEAT_DEMAND_FIRST, GF_FEAT_DEMAND_LAST, 0, &d, &err),
                     GF_ENOTFOUND);
    gf_err_cleanup(&err);
    assert_in_step();
}

static void test_demand_load_redis_errors(void **state)
{
    (void)state;
    seed_nyc();
    gf_feat_demand_t d;
    gf_err_t err = {0};
    /* a month key of another type: an error reply, the context stays usable */
    cmd_ok("SET gf:demand:{NYC}:201601 oops");
    assert_int_equal(load_nyc(JAN31_22, FEB01_00 + 3 * H, 0, &d, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_error");
    assert_int_equal(d.n, 0);
    assert_in_step();
    cmd_ok("SET gf:region:{NYC} oops");
    assert_int_equal(load_nyc(FEB01_00, FEB01_00 + 3 * H, 0, &d, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_error");
    assert_in_step();
    assert_int_equal(load_nyc(GF_FEAT_DEMAND_FIRST, GF_FEAT_DEMAND_LAST, 0, &d, &err), GF_EUNAVAIL);
    assert_in_step();

    /* a server that went away: no reply (and no SIGPIPE from writing to it) */
    signal(SIGPIPE, SIG_IGN);
    gf_test_redis_t gone;
    assert_int_equal(gf_test_redis_start(&gone), 0);
    gf_rcluster_t *c = gf_rcluster_new_single("127.0.0.1", gone.port, 2000, NULL);
    assert_non_null(c);
    gf_test_redis_stop(&gone);
    assert_int_equal(gf_feat_demand_load(c, "NYC", FEB01_00, FEB01_00 + 3 * H, 0, &d, &err),
                     GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_unavailable");
    gf_rcluster_free(c);
    gf_err_cleanup(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demand_stamp_parse),
        cmocka_unit_test(test_demand_entry_parse),
        cmocka_unit_test(test_demand_keys),
        cmocka_unit_test_setup(test_demand_load_series, flush),
        cmocka_unit_test_setup(test_demand_info, flush),
        cmocka_unit_test_setup(test_demand_load_missing_and_empty, flush),
        cmocka_unit_test_setup(test_demand_load_malformed, flush),
        cmocka_unit_test_setup(test_demand_load_range_limits, flush),
        cmocka_unit_test_setup(test_demand_load_redis_errors, flush),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
