/*
 * test_trn_data.c - the CSV loader (gaps stay NaN, temperature, flags, malformed rows), the
 * regions table (quoted names), stamps, and the Redis loader against a real redis-server
 * (../support/redis_fixture.h: a free port, a temporary directory; no redis-server fails).
 */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../../services/trainer/trn_data.h"
#include "../support/redis_fixture.h"

static char tmpdir[256];

static void write_file(const char *name, const char *text, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_trn_data_stamp(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(trn_parse_stamp("2015-07-02T00:00:00Z", 20, &t), 0);
    assert_int_equal(t, 1435795200);
    assert_int_equal(trn_parse_stamp("2016-02-29T23:00:00Z", 20, &t), 0);
    assert_int_equal(trn_parse_stamp("2015-02-29T23:00:00Z", 20, &t), -1);
    assert_int_equal(trn_parse_stamp("2015-13-01T00:00:00Z", 20, &t), -1);
    assert_int_equal(trn_parse_stamp("2015-07-02 00:00:00Z", 20, &t), -1);
    assert_int_equal(trn_parse_stamp("2015-07-02T00:00:00", 19, &t), -1);
}

static void test_trn_data_csv(void **state)
{
    (void)state;
    char csv[512], flags[512];
    write_file("d.csv",
               "timestamp,region,demand_mw,temperature_c\n"
               "2016-01-01T00:00:00Z,AAA,1,2\n"
               "2016-01-01T00:00:00Z,NYC,100.5,3.25\n"
               "2016-01-01T01:00:00Z,NYC,101,\n"
               "2016-01-01T03:00:00Z,NYC,103,4\n"
               "2016-01-01T00:00:00Z,ZZZ,1,2\n",
               csv, sizeof csv);
    write_file("f.csv",
               "timestamp,region,category,raw_demand\n"
               "2016-01-01T01:00:00Z,NYC,MISSING,MISSING\n"
               "2016-01-01T01:00:00Z,AAA,MISSING,MISSING\n",
               flags, sizeof flags);
    trn_data_t d;
    gf_err_t err = {0};
    assert_int_equal(trn_data_load_csv(&d, csv, flags, "NYC", "America/New_York", INT64_MIN,
                                       INT64_MAX, &err),
                     0);
    assert_int_equal(d.series.t0, 1451606400);
    assert_int_equal(d.series.n, 4);
    assert_non_null(d.series.temp);
    assert_true(d.series.demand[0] == 100.5 && d.series.temp[0] == 3.25);
    assert_true(d.series.demand[1] == 101 && isnan(d.series.temp[1])); /* empty temp: NaN */
    assert_true(isnan(d.series.demand[2]));                            /* gap: NaN */
    assert_true(d.series.demand[3] == 103);
    assert_int_equal(d.n_values, 3);
    assert_int_equal(d.n_imputed, 1);
    assert_int_equal(d.imputed[1], 1);
    assert_string_equal(d.tz, "America/New_York");
    trn_data_cleanup(&d);
    /* range filter */
    assert_int_equal(trn_data_load_csv(&d, csv, NULL, "NYC", "UTC", 1451610000, INT64_MAX, &err),
                     0);
    assert_int_equal(d.series.n, 3);
    trn_data_cleanup(&d);
    /* unknown region, missing file, malformed row */
    assert_int_equal(trn_data_load_csv(&d, csv, NULL, "QQQ", "UTC", INT64_MIN, INT64_MAX, &err),
                     GF_ENOTFOUND);
    assert_string_equal(err.code, "unknown_region");
    assert_int_equal(trn_data_load_csv(&d, "/nonexistent.csv", NULL, "NYC", "UTC", INT64_MIN,
                                       INT64_MAX, &err),
                     GF_EUNAVAIL);
    write_file("bad.csv", "timestamp,region,demand_mw\n2016-01-01T00:00:00Z,NYC,12x\n", csv,
               sizeof csv);
    assert_int_equal(trn_data_load_csv(&d, csv, NULL, "NYC", "UTC", INT64_MIN, INT64_MAX, &err),
                     GF_EINVAL);
    assert_string_equal(err.code, "bad_csv");
    write_file("nan.csv", "timestamp,region,demand_mw\n2016-01-01T00:00:00Z,NYC,nan\n", csv,
               sizeof csv);
    assert_int_equal(trn_data_load_csv(&d, csv, NULL, "NYC", "UTC", INT64_MIN, INT64_MAX, &err),
                     GF_EINVAL);
    trn_data_cleanup(&d);
    gf_err_cleanup(&err);
}

static void test_trn_data_regions(void **state)
{
    (void)state;
    char path[512], tz[64];
    write_file("r.csv",
               "region,name,eia_time_zone,iana_time_zone,eia_region\n"
               "AECI,\"Associated Electric Cooperative, Inc.\",Central,America/Chicago,Midwest\n"
               "PJM,PJM Interconnection,Eastern,America/New_York,Mid-Atlantic\n",
               path, sizeof path);
    gf_err_t err = {0};
    assert_int_equal(trn_region_tz_csv(path, "AECI", tz, sizeof tz, &err), 0);
    assert_string_equal(tz, "America/Chicago");
    assert_int_equal(trn_region_tz_csv(path, "PJM", tz, sizeof tz, &err), 0);
    assert_string_equal(tz, "America/New_York");
    assert_int_equal(trn_region_tz_csv(path, "XX", tz, sizeof tz, &err), GF_ENOTFOUND);
    gf_err_cleanup(&err);
}

/* ------------------------------------------------------------------ Redis */

static void cmd_ok(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
}

static void test_trn_data_redis(void **state)
{
    (void)state;
    gf_test_redis_t srv;
    redisContext *c = NULL;
    if (gf_test_redis_open(&srv, &c) != 0)
        fail_msg("cannot start redis-server (tests/unit/support/redis_fixture.h)");
    /* 2016-01-31T23:00Z .. 2016-02-01T02:00Z across a month boundary; 01:00 flagged */
    cmd_ok(c, "HSET gf:region:{NYC} code NYC tz America/New_York first 1454281200 last "
              "1454292000 rows 3");
    cmd_ok(c, "HSET gf:demand:{NYC}:201601 1454281200 5000.5,1.5");
    cmd_ok(c, "HSET gf:demand:{NYC}:201602 1454284800 5100,2 1454288400 5200,");
    cmd_ok(c, "HSET gf:demand:{NYC}:201602 1454292000 5300,3");
    cmd_ok(c, "HSET gf:dflags:{NYC} 1454288400 MISSING");
    trn_data_t d;
    gf_err_t err = {0};
    gf_rcluster_t *h = gf_rcluster_new_single("127.0.0.1", c->tcp.port, 2000, &err);
    assert_non_null(h);
    int rc = trn_data_load_redis(&d, h, "NYC", INT64_MIN, INT64_MAX, &err);
    if (rc)
        fprintf(stderr, "%s: %s\n", err.code, err.message);
    assert_int_equal(rc, 0);
    assert_string_equal(d.tz, "America/New_York");
    assert_int_equal(d.series.t0, 1454281200);
    assert_int_equal(d.series.n, 4);
    assert_true(d.series.demand[0] == 5000.5 && d.series.temp[0] == 1.5);
    assert_true(d.series.demand[2] == 5200 && isnan(d.series.temp[2]));
    assert_true(d.series.demand[3] == 5300);
    assert_int_equal(d.imputed[2], 1);
    assert_int_equal(d.n_imputed, 1);
    trn_data_cleanup(&d);
    /* unknown region; corrupt stored value */
    assert_int_equal(trn_data_load_redis(&d, h, "XX", INT64_MIN, INT64_MAX, &err), GF_ENOTFOUND);
    cmd_ok(c, "HSET gf:demand:{NYC}:201602 1454284800 garbage");
    assert_int_equal(trn_data_load_redis(&d, h, "NYC", INT64_MIN, INT64_MAX, &err), GF_EINTERNAL);
    assert_string_equal(err.code, "bad_stored_value");
    gf_rcluster_free(h);
    gf_test_redis_close(&srv, &c);
    gf_err_cleanup(&err);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/trn_data_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trn_data_stamp),
        cmocka_unit_test(test_trn_data_csv),
        cmocka_unit_test(test_trn_data_regions),
        cmocka_unit_test(test_trn_data_redis),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
