/*
 * test_temp.c - temperature observations and forecasts: CSV and JSON parsing (columns in any
 * order, degF conversion, local stamps, hour-ending labels), per-row rejections with line and
 * JSON element index, bodies refused as a whole (nothing kept to write), and the write into
 * a real redis-server (../support/redis_fixture.h): the keys of features/weather.h, an
 * idempotent re-post, a corrected value, the gf:temp:{R} summary, and the read-back through
 * gf_feat_temp_load.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/redis_fixture.h"
#include "features/weather.h"
#include "ing_temp.h"

static gf_test_redis_t srv;
static redisContext *rc_;
static gf_rcluster_t *h_; /* the handle the code under test writes through */
static ing_regions_t regions;

#define T0 1467331200LL /* 2016-07-01T00:00:00Z */
#define H 3600LL

static void opts(ing_temp_opts_t *o, ing_temp_kind_t kind, ing_temp_format_t fmt)
{
    ing_temp_opts_default(o);
    o->kind = kind;
    o->format = fmt;
    o->regions = &regions;
    o->now = T0 + 30 * 86400;
}

static int parse(const ing_temp_opts_t *o, const char *body, ing_temp_batch_t *b, gf_err_t *err)
{
    ing_temp_batch_init(b);
    return ing_temp_parse(o, body, strlen(body), b, err);
}

static void test_csv_observations(void **state)
{
    (void)state;
    ing_temp_opts_t o;
    opts(&o, ING_TEMP_OBS, ING_TEMP_CSV);
    ing_temp_batch_t b;
    gf_err_t err = {0};
    const char *body = "Region,TIMESTAMP,temperature_c\r\n"
                       "NYC,2016-07-01T01:00:00Z,21.456\r\n"
                       "NYC,2016-07-01T00:00:00Z, -0.004 \r\n"
                       "NYC,2016-07-01T00:30:00Z,20\r\n"     /* line 4: not on the hour */
                       "XXX,2016-07-01T02:00:00Z,20\r\n"     /* line 5: unknown region */
                       "NYC,2016-07-01T03:00:00Z,abc\r\n"    /* line 6 */
                       "NYC,2016-07-01T04:00:00Z,71\r\n"     /* line 7 */
                       "NYC,2016-07-01T05:00:00Z\r\n"        /* line 8: field count */
                       "NYC,2016-07-01T06:00:00Z,\r\n"       /* line 9: empty */
                       "NYC,2016-07-01T07:00:00Z,1,234\r\n"; /* line 10 */
    assert_int_equal(parse(&o, body, &b, &err), 0);
    assert_int_equal(b.rows_total, 9);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.rejected, 7);
    /* sorted by hour; rounded to 0.01; -0 is 0 */
    assert_true(b.rows[0].hour == T0 && b.rows[0].temp_c == 0.0 && !signbit(b.rows[0].temp_c));
    assert_true(b.rows[1].hour == T0 + H && b.rows[1].temp_c == 21.46);
    static const struct {
        size_t line;
        const char *code;
    } want[] = {{4, "not_on_hour"},     {5, "unknown_region"},
                {6, "bad_temperature"}, {7, "temperature_out_of_range"},
                {8, "field_count"},     {9, "missing_field"},
                {10, "field_count"}};
    assert_int_equal(b.nrejects, 7);
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(b.rejects[i].line, want[i].line);
        assert_string_equal(b.rejects[i].code, want[i].code);
        assert_int_equal(b.rejects[i].index, -1);
    }
    json_t *j = ing_temp_rejections_json(&b);
    assert_int_equal(json_array_size(j), 7);
    assert_null(json_object_get(json_array_get(j, 0), "index"));
    json_decref(j);
    ing_temp_batch_cleanup(&b);
}

static void test_csv_fahrenheit_local_ending(void **state)
{
    (void)state;
    ing_temp_opts_t o;
    opts(&o, ING_TEMP_FC, ING_TEMP_CSV);
    ing_tz_t tz;
    gf_err_t err = {0};
    assert_int_equal(ing_tz_init_iana(&tz, "America/New_York", &err), 0);
    o.tz = &tz;
    o.label = ING_HOUR_ENDING;
    ing_temp_batch_t b;
    /* 2016-06-30 21:00 EDT = 01:00Z, hour ending -> 00:00Z */
    const char *body = "timestamp;region;temperature_f;issued_at\n"
                       "2016-06-30 21:00;NYC;98,6;2016-06-30T12:00:00Z\n"
                       "2016-06-30 22:00;NYC;32;2016-06-30 08:00\n"
                       "2016-06-30 23:00;NYC;32.0;2016-06-30T12:00:00Z\n" /* '.' refused */
                       "2016-06-30 23:00;NYC;50;2016-08-30T12:00:00Z\n";  /* future issue */
    assert_int_equal(parse(&o, body, &b, &err), 0);
    assert_int_equal(b.n, 2);
    assert_true(b.fahrenheit);
    assert_true(b.rows[0].hour == T0 && b.rows[0].temp_c == 37.0);
    assert_int_equal(b.rows[0].issued, T0 - 12 * H);
    assert_true(b.rows[1].hour == T0 + H && b.rows[1].temp_c == 0.0);
    assert_int_equal(b.rows[1].issued, T0 - 12 * H); /* 08:00 EDT */
    assert_string_equal(b.rejects[0].code, "bad_temperature");
    assert_non_null(strstr(b.rejects[0].reason, "decimal separator"));
    assert_string_equal(b.rejects[1].code, "issued_in_future");
    assert_true(ing_temp_f_to_c(-40) == -40.0 && ing_temp_f_to_c(212) == 100.0);
    ing_temp_batch_cleanup(&b);
    ing_tz_cleanup(&tz);
}

static void test_csv_refused_as_a_whole(void **state)
{
    (void)state;
    ing_temp_opts_t o;
    opts(&o, ING_TEMP_OBS, ING_TEMP_CSV);
    static const struct {
        ing_temp_kind_t kind;
        const char *body, *code;
    } cases[] = {
        {ING_TEMP_OBS, "timestamp,region,temperatur_c\nNYC,2016-07-01T00:00Z,1\n", "bad_header"},
        {ING_TEMP_OBS, "timestamp,region,temperature_c,temperature_f\n", "bad_header"},
        {ING_TEMP_OBS, "timestamp,region,region,temperature_c\n", "bad_header"},
        {ING_TEMP_OBS, "issued_at,timestamp,region,temperature_c\n", "bad_header"},
        {ING_TEMP_OBS, "timestamp,region\n", "missing_header"},
        {ING_TEMP_FC, "timestamp,region,temperature_c\n", "missing_header"},
        {ING_TEMP_OBS, "", "empty_input"},
        {ING_TEMP_OBS, "\"timestamp,region\n", "bad_header"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ing_temp_batch_t b;
        gf_err_t err = {0};
        o.kind = cases[i].kind;
        assert_int_equal(parse(&o, cases[i].body, &b, &err), GF_EINVAL);
        assert_string_equal(err.code, cases[i].code);
        assert_int_equal(b.n, 0);
        gf_err_cleanup(&err);
        ing_temp_batch_cleanup(&b);
    }
    /* too many rows */
    o.kind = ING_TEMP_OBS;
    o.max_rows = 1;
    ing_temp_batch_t b;
    gf_err_t err = {0};
    assert_int_equal(parse(&o,
                           "timestamp,region,temperature_c\n2016-07-01T00:00:00Z,NYC,1\n"
                           "2016-07-01T01:00:00Z,NYC,1\n",
                           &b, &err),
                     GF_ETOOBIG);
    assert_string_equal(err.code, "too_many_rows");
    assert_int_equal(b.n, 0);
    gf_err_cleanup(&err);
    ing_temp_batch_cleanup(&b);
}

static void test_json_rows(void **state)
{
    (void)state;
    ing_temp_opts_t o;
    opts(&o, ING_TEMP_FC, ING_TEMP_JSON);
    ing_temp_batch_t b;
    gf_err_t err = {0};
    const char *body =
        "[{\"issued_at\":\"2016-06-30T18:00:00Z\",\"timestamp\":\"2016-07-01T00:00:00Z\","
        "\"region\":\"NYC\",\"temperature_c\":24.5},\n"
        " {\"issued_at\":\"2016-06-30T18:00:00Z\",\"timestamp\":\"2016-07-01T01:00:00Z\","
        "\"region\":\"NYC\",\"temperature_f\":77},\n"
        " {\"issued_at\":\"2016-06-30T18:00:00Z\",\"timestamp\":\"2016-07-01T02:00:00Z\","
        "\"region\":\"NYC\",\"temperature_c\":\"24\"},\n"
        " {\"issued_at\":\"2016-06-30T18:00:00Z\",\"timestamp\":\"2016-07-01T02:00:00Z\","
        "\"region\":\"NYC\",\"temperature_c\":1,\"temperature_f\":1},\n"
        " {\"timestamp\":\"2016-07-01T02:00:00Z\",\"region\":\"NYC\",\"temperature_c\":1},\n"
        " {\"issued_at\":\"x\",\"timestamp\":\"2016-07-01T02:00:00Z\",\"region\":\"NYC\","
        "\"temperature_c\":1,\"wind\":3},\n"
        " {\"issued_at\":\"2016-06-30T18:00:00Z\",\"timestamp\":\"2016-07-01T03:00:00Z\","
        "\"region\":\"NYC\",\"temperature_c\":null},\n"
        " {}]";
    assert_int_equal(parse(&o, body, &b, &err), 0);
    assert_int_equal(b.rows_total, 8);
    assert_int_equal(b.n, 2);
    assert_true(b.rows[1].temp_c == 25.0);
    static const char *const codes[] = {"bad_temperature", "conflicting_units", "missing_field",
                                        "unknown_field",   "missing_field",     "missing_field"};
    assert_int_equal(b.nrejects, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(b.rejects[i].code, codes[i]);
        assert_int_equal(b.rejects[i].index, (long)i + 2);
        assert_int_equal(b.rejects[i].line, i + 3);
    }
    ing_temp_batch_cleanup(&b);

    /* NDJSON observations */
    opts(&o, ING_TEMP_OBS, ING_TEMP_JSON);
    assert_int_equal(parse(&o,
                           "{\"timestamp\":\"2016-07-01T00:00:00Z\",\"region\":\"NYC\","
                           "\"temperature_c\":1}\n"
                           "{\"timestamp\":\"2016-07-01T01:00:00Z\",\"region\":\"NYC\","
                           "\"temperature_c\":2,\"issued_at\":\"2016-07-01T00:00:00Z\"}\n",
                           &b, &err),
                     0);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.rejects[0].code, "unknown_field"); /* no issue time on observations */
    assert_int_equal(b.rejects[0].index, 1);
    ing_temp_batch_cleanup(&b);
}

static void test_json_refused_as_a_whole(void **state)
{
    (void)state;
    ing_temp_opts_t o;
    opts(&o, ING_TEMP_OBS, ING_TEMP_JSON);
    static const struct {
        const char *body;
        size_t line, col;
    } cases[] = {
        {"[{\"timestamp\":\"2016-07-01T00:00:00Z\",\"region\":\"NYC\",\"temperature_c\":1},\n"
         " {\"timestamp\":\"2016-07-01T01:00:00Z\",\"region\":\"NYC\",\"temperature_c\":NaN}]",
         2, 69},
        {"[{\"timestamp\":\"2016-07-01T00:00:00Z\",\"region\":\"NYC\",\"temperature_c\":1}", 1, 0},
        {"[1]", 1, 0},
        {"{\"a\":1} {\"b\":2}", 1, 0},
        {"[] x", 1, 0},
        {"   ", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ing_temp_batch_t b;
        gf_err_t err = {0};
        assert_int_equal(parse(&o, cases[i].body, &b, &err), GF_EINVAL);
        assert_string_equal(err.code, cases[i].line ? "malformed_json" : "empty_input");
        if (cases[i].col) {
            assert_non_null(err.details);
            json_t *d = json_array_get(err.details, 0);
            assert_int_equal(json_integer_value(json_object_get(d, "line")), cases[i].line);
            assert_int_equal(json_integer_value(json_object_get(d, "column")), cases[i].col);
        }
        assert_int_equal(b.n, 0); /* the good first row is not kept either */
        gf_err_cleanup(&err);
        ing_temp_batch_cleanup(&b);
    }
}

/* ------------------------------------------------------------------ Redis */

static int group_setup(void **state)
{
    (void)state;
    ing_regions_init(&regions);
    gf_err_t err = {0};
    const char *root = getenv("GF_TEST_ROOT") ? getenv("GF_TEST_ROOT") : ".";
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/services/ingestion/data/eia930_regions.csv", root);
    snprintf(b, sizeof b, "%s/services/ingestion/data/regions_extra.csv", root);
    if (ing_regions_load_csv(&regions, a, &err) || ing_regions_load_csv(&regions, b, &err))
        return -1;
    if (gf_test_redis_open(&srv, &rc_) != 0)
        return -1;
    h_ = gf_rcluster_new_single("127.0.0.1", srv.port, 2000, NULL);
    return h_ ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    ing_regions_cleanup(&regions);
    gf_rcluster_free(h_);
    gf_test_redis_close(&srv, &rc_);
    return 0;
}

static int flush(void **state)
{
    (void)state;
    return gf_test_redis_flushall(rc_);
}

static char *hget(const char *key, const char *field)
{
    redisReply *r = redisCommand(rc_, "HGET %s %s", key, field);
    assert_non_null(r);
    char *s = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
    freeReplyObject(r);
    return s;
}

static void assert_hget(const char *key, const char *field, const char *want)
{
    char *s = hget(key, field);
    if (want == NULL) {
        assert_null(s);
        return;
    }
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

static void test_write_idempotent(void **state)
{
    (void)state;
    ing_temp_opts_t o;
    opts(&o, ING_TEMP_FC, ING_TEMP_CSV);
    ing_temp_batch_t b;
    gf_err_t err = {0};
    /* two target days, two issues, two regions */
    const char *body = "issued_at,timestamp,region,temperature_c\n"
                       "2016-06-30T06:00:00Z,2016-07-01T23:00:00Z,NYC,25\n"
                       "2016-06-30T06:00:00Z,2016-07-02T00:00:00Z,NYC,24.5\n"
                       "2016-06-30T18:00:00Z,2016-07-02T00:00:00Z,NYC,23.25\n"
                       "2016-06-30T18:00:00Z,2016-07-02T00:00:00Z,PJM,30\n";
    assert_int_equal(parse(&o, body, &b, &err), 0);
    size_t nw, wr;
    assert_int_equal(ing_temp_write_sync(h_, ING_TEMP_FC, &b, &nw, &wr, &err), 0);
    assert_int_equal(nw, 4);
    assert_int_equal(wr, 4);
    assert_hget("gf:tfc:{NYC}:20160701", "1467414000:1467266400", "25");
    assert_hget("gf:tfc:{NYC}:20160702", "1467417600:1467309600", "23.25");
    assert_hget("gf:tfc:{PJM}:20160702", "1467417600:1467309600", "30");
    assert_hget("gf:temp:{NYC}", "fc_rows", "3");
    assert_hget("gf:temp:{NYC}", "fc_first", "1467414000");
    assert_hget("gf:temp:{NYC}", "fc_last", "1467417600");
    assert_hget("gf:temp:{NYC}", "fc_issued_first", "1467266400");
    assert_hget("gf:temp:{NYC}", "fc_issued_last", "1467309600");
    assert_hget("gf:temp:{NYC}", "obs_rows", NULL);
    /* the same body again: nothing new, nothing changed */
    assert_int_equal(ing_temp_write_sync(h_, ING_TEMP_FC, &b, &nw, &wr, &err), 0);
    assert_int_equal(nw, 0);
    assert_hget("gf:temp:{NYC}", "fc_rows", "3");
    ing_temp_batch_cleanup(&b);
    /* a corrected value overwrites and is not counted as new */
    assert_int_equal(parse(&o,
                           "issued_at,timestamp,region,temperature_c\n"
                           "2016-06-30T06:00:00Z,2016-07-01T23:00:00Z,NYC,26\n",
                           &b, &err),
                     0);
    assert_int_equal(ing_temp_write_sync(h_, ING_TEMP_FC, &b, &nw, &wr, &err), 0);
    assert_int_equal(nw, 0);
    assert_hget("gf:tfc:{NYC}:20160701", "1467414000:1467266400", "26");
    ing_temp_batch_cleanup(&b);
    /* read back as the features see it at an origin */
    gf_feat_temp_t t;
    gf_rcluster_t *h = gf_rcluster_new_single("127.0.0.1", srv.port, 2000, &err);
    assert_non_null(h);
    assert_int_equal(gf_feat_temp_load(h, "NYC", T0, T0 + 48 * H, 0, &t, &err), 0);
    gf_rcluster_free(h);
    assert_int_equal(t.fc.n, 3);
    assert_true(gf_feat_tfc_at(&t.fc, T0 + 24 * H, T0, NULL) == 23.25);
    assert_true(gf_feat_tfc_at(&t.fc, T0 + 24 * H, T0 - 17 * H, NULL) == 24.5);
    gf_feat_temp_cleanup(&t);

    /* observations: the obs_* summary, first/last only move outwards */
    opts(&o, ING_TEMP_OBS, ING_TEMP_JSON);
    assert_int_equal(parse(&o,
                           "[{\"timestamp\":\"2016-07-01T05:00:00Z\",\"region\":\"NYC\","
                           "\"temperature_f\":68}]",
                           &b, &err),
                     0);
    assert_int_equal(ing_temp_write_sync(h_, ING_TEMP_OBS, &b, &nw, &wr, &err), 0);
    ing_temp_batch_cleanup(&b);
    assert_int_equal(parse(&o,
                           "[{\"timestamp\":\"2016-07-01T03:00:00Z\",\"region\":\"NYC\","
                           "\"temperature_c\":19}]",
                           &b, &err),
                     0);
    assert_int_equal(ing_temp_write_sync(h_, ING_TEMP_OBS, &b, &nw, &wr, &err), 0);
    ing_temp_batch_cleanup(&b);
    assert_hget("gf:tobs:{NYC}:201607", "1467349200", "20");
    assert_hget("gf:temp:{NYC}", "obs_rows", "2");
    assert_hget("gf:temp:{NYC}", "obs_first", "1467342000");
    assert_hget("gf:temp:{NYC}", "obs_last", "1467349200");
}

static void test_write_redis_down(void **state)
{
    (void)state;
    ing_temp_opts_t o;
    opts(&o, ING_TEMP_OBS, ING_TEMP_CSV);
    ing_temp_batch_t b;
    gf_err_t err = {0};
    assert_int_equal(parse(&o, "timestamp,region,temperature_c\n2016-07-01T00:00:00Z,NYC,1\n", &b,
                           &err),
                     0);
    /* a key of the wrong type: the script fails, the error is Redis's, nothing counted */
    redisReply *r = redisCommand(rc_, "SET gf:tobs:{NYC}:201607 x");
    freeReplyObject(r);
    size_t nw, wr;
    assert_int_equal(ing_temp_write_sync(h_, ING_TEMP_OBS, &b, &nw, &wr, &err), GF_EUNAVAIL);
    assert_string_equal(err.code, "redis_error");
    assert_int_equal(wr, 0);
    gf_err_cleanup(&err);
    ing_temp_batch_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_observations),
        cmocka_unit_test(test_csv_fahrenheit_local_ending),
        cmocka_unit_test(test_csv_refused_as_a_whole),
        cmocka_unit_test(test_json_rows),
        cmocka_unit_test(test_json_refused_as_a_whole),
        cmocka_unit_test_setup(test_write_idempotent, flush),
        cmocka_unit_test_setup(test_write_redis_down, flush),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
