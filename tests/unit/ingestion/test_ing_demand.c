/*
 * test_ing_demand.c - demand history import (ing_demand.h): CSV and JSON rows, per-row
 * rejections with line numbers, source conventions (hour ending, fixed offset, IANA zone),
 * chunking invariance; then against a real redis-server: import, read back exactly with
 * the shared reader (features/demand.h), re-import idempotent, flags, regions catalog.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../../services/ingestion/ing_demand.h"
#include "../../../services/ingestion/ing_keys.h"
#include "../../../services/ingestion/ing_regions.h"
#include "../support/redis_fixture.h"
#include "features/demand.h"

#include <math.h>

/* ------------------------------------------------------------------ parsing only */

struct collect {
    char out[16384];
    size_t n;
    size_t flushes;
};

static int on_flush(void *ud, const ing_demand_row_t *rows, size_t n, gf_err_t *err)
{
    (void)err;
    struct collect *c = ud;
    c->flushes++;
    for (size_t i = 0; i < n; i++) {
        const ing_demand_row_t *r = &rows[i];
        if (r->category[0])
            c->n += (size_t)snprintf(c->out + c->n, sizeof c->out - c->n, "%lld %s %s\n",
                                     (long long)r->hour, r->region, r->category);
        else if (r->has_temp)
            c->n += (size_t)snprintf(c->out + c->n, sizeof c->out - c->n, "%lld %s %g %g\n",
                                     (long long)r->hour, r->region, r->demand_mw, r->temperature_c);
        else
            c->n += (size_t)snprintf(c->out + c->n, sizeof c->out - c->n, "%lld %s %g\n",
                                     (long long)r->hour, r->region, r->demand_mw);
    }
    return 0;
}

/* Import `in` with opts in chunks (0 whole, 1 byte by byte, -1 random); rows into c->out,
 * rejections appended as "!line code". Returns the finish rc. */
static int import(const ing_demand_opts_t *o, const char *in, int step, unsigned seed,
                  struct collect *c, gf_err_t *err)
{
    memset(c, 0, sizeof *c);
    ing_demand_import_t *imp = ing_demand_import_new(o, on_flush, c);
    size_t len = strlen(in);
    int rc = 0;
    srand(seed);
    for (size_t i = 0; i < len && rc == 0;) {
        size_t k = step == 0 ? len - i : step > 0 ? (size_t)step : 1 + (size_t)rand() % 9;
        if (k > len - i)
            k = len - i;
        rc = ing_demand_import_feed(imp, in + i, k, err);
        i += k;
    }
    if (rc == 0)
        rc = ing_demand_import_finish(imp, err);
    json_t *rj = ing_demand_import_rejections_json(imp);
    size_t i;
    json_t *e;
    json_array_foreach(rj, i, e)
    {
        c->n += (size_t)snprintf(c->out + c->n, sizeof c->out - c->n, "!%lld",
                                 (long long)json_integer_value(json_object_get(e, "line")));
        if (json_object_get(e, "index"))
            c->n += (size_t)snprintf(c->out + c->n, sizeof c->out - c->n, "#%lld",
                                     (long long)json_integer_value(json_object_get(e, "index")));
        c->n += (size_t)snprintf(c->out + c->n, sizeof c->out - c->n, " %s\n",
                                 json_string_value(json_object_get(e, "code")));
    }
    json_decref(rj);
    ing_demand_import_free(imp);
    return rc;
}

/* 2015-07-02T00:00:00Z */
#define T0 1435795200LL

static void test_demand_csv_rows(void **state)
{
    (void)state;
    const char *in = "timestamp,region,demand_mw,temperature_c\r\n"
                     "2015-07-02T00:00:00Z,AEC,776,\r\n"
                     "2015-07-02T01:00:00Z,\"AEC\",\"780.5\",21.25\r\n"
                     "2015-07-02T01:30:00Z,AEC,1,\r\n"     /* not on the hour */
                     "2015-07-02T02:00:00Z,AEC,abc,\r\n"   /* bad demand */
                     "2015-07-02T03:00:00Z,A{C,1,\r\n"     /* bad region */
                     "2015-07-02T04:00:00Z,AEC,-5,\r\n"    /* negative */
                     "2015-07-02T05:00:00Z,AEC,1,hot\r\n"  /* bad temperature */
                     "2015-07-02T06:00:00Z,AEC\r\n"        /* missing fields */
                     "2015-02-30T06:00:00Z,AEC,1,\r\n"     /* invalid date */
                     "2015-07-02T07:00:00Z,AEC,nan,\r\n"   /* nan refused */
                     "2015-07-02T08:00:00Z,AEC,0x10,\r\n"  /* hex refused */
                     "2015-07-02T08:00:00Z,AEC,1e308,\r\n" /* no grid draws that */
                     "2015-07-02T09:00:00Z,AEC,1e3, \r\n"; /* blank temperature */
    ing_demand_opts_t o;
    ing_demand_opts_default(&o);
    o.chunk_rows = 2;
    static struct collect c, d;
    gf_err_t err = {0};
    assert_int_equal(import(&o, in, 0, 0, &c, &err), 0);
    char want[1024];
    snprintf(want, sizeof want,
             "%lld AEC 776\n%lld AEC 780.5 21.25\n%lld AEC 1000\n"
             "!4 not_on_hour\n!5 bad_demand\n!6 invalid_region\n!7 negative_demand\n"
             "!8 bad_temperature\n!9 field_count\n!10 invalid_timestamp\n!11 bad_demand\n"
             "!12 bad_demand\n!13 demand_out_of_range\n",
             T0, T0 + 3600, T0 + 9 * 3600);
    assert_string_equal(c.out, want);
    assert_int_equal(c.flushes, 2);
    for (unsigned seed = 0; seed < 10; seed++) {
        assert_int_equal(import(&o, in, seed ? -1 : 1, seed, &d, &err), 0);
        assert_string_equal(d.out, c.out);
    }
    gf_err_cleanup(&err);
}

static void test_demand_conventions(void **state)
{
    (void)state;
    ing_demand_opts_t o;
    ing_demand_opts_default(&o);
    static struct collect c;
    char want[512];
    /* hour ending: the stamp names the end of the hour */
    o.label = ING_HOUR_ENDING;
    assert_int_equal(import(&o, "region,timestamp,demand_mw\nPJM,2015-07-02T00:00:00Z,5\n", 0, 0,
                            &c, NULL),
                     0);
    snprintf(want, sizeof want, "%lld PJM 5\n", T0 - 3600);
    assert_string_equal(c.out, want);
    /* fixed offset, local stamps without zone; a stamp with a zone is taken as it is */
    ing_tz_t tz;
    ing_tz_init_fixed(&tz, -5 * 3600);
    o.label = ING_HOUR_BEGINNING;
    o.tz = &tz;
    assert_int_equal(import(&o,
                            "timestamp,region,demand_mw\n2015-07-01 19:00,PJM,5\n"
                            "2015-07-01T19:00:00-05:00,PJM,6\n2015-07-02T00:00:00Z,PJM,7\n",
                            0, 0, &c, NULL),
                     0);
    snprintf(want, sizeof want, "%lld PJM 5\n%lld PJM 6\n%lld PJM 7\n", T0, T0, T0);
    assert_string_equal(c.out, want);
    /* IANA zone with DST: spring-forward hour does not exist, fall-back takes the first */
    ing_tz_t ny;
    assert_int_equal(ing_tz_init_iana(&ny, "America/New_York", NULL), 0);
    o.tz = &ny;
    assert_int_equal(import(&o,
                            "timestamp,region,demand_mw\n2016-03-13T01:00,NYC,1\n"
                            "2016-03-13T02:00,NYC,2\n2016-03-13T03:00,NYC,3\n"
                            "2016-11-06T01:00,NYC,4\n2016-07-01T00,NYC,5\n",
                            0, 0, &c, NULL),
                     0);
    /* 01:00 EST = 06:00Z; 03:00 EDT = 07:00Z; 01:00 EDT (first) = 05:00Z; 00 EDT = 04:00Z */
    snprintf(want, sizeof want,
             "%lld NYC 1\n%lld NYC 3\n%lld NYC 4\n%lld NYC 5\n!3 nonexistent_local_time\n",
             1457848800LL, 1457852400LL, 1478408400LL, 1467345600LL);
    assert_string_equal(c.out, want);
    ing_tz_cleanup(&ny);
    ing_tz_cleanup(&tz);
    /* unknown region with a regions table */
    ing_regions_t reg;
    ing_regions_init(&reg);
    ing_regions_add(&reg, "PJM", "PJM", "America/New_York", NULL);
    o.tz = NULL;
    o.regions = &reg;
    assert_int_equal(import(&o, "timestamp,region,demand_mw\n2015-07-02T00:00:00Z,XX,1\n", 0, 0, &c,
                            NULL),
                     0);
    assert_string_equal(c.out, "!2 unknown_region\n");
    ing_regions_cleanup(&reg);
}

static void test_demand_header_errors(void **state)
{
    (void)state;
    ing_demand_opts_t o;
    ing_demand_opts_default(&o);
    static struct collect c;
    gf_err_t err = {0};
    assert_int_equal(import(&o, "time,region,demand\n1,2,3\n", 0, 0, &c, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_header");
    assert_int_equal(import(&o, "", 0, 0, &c, &err), GF_EINVAL);
    assert_string_equal(err.code, "missing_header");
    /* flags files */
    o.kind = ING_IMPORT_FLAGS;
    o.label = ING_HOUR_ENDING;
    assert_int_equal(
        import(&o,
               "timestamp,region,category,raw_demand\n2015-07-02T00:00:00Z,AEC,MISSING,MISSING\n"
               "2015-07-02T01:00:00Z,AEC,,1\n"
               "2015-07-02T02:00:00Z,AEC,\xff\xfe"
               "BAD,1\n",
               0, 0, &c, &err),
        0);
    char want[128];
    snprintf(want, sizeof want, "%lld AEC MISSING\n!3 bad_category\n!4 bad_category\n", T0 - 3600);
    assert_string_equal(c.out, want);
    gf_err_cleanup(&err);
}

/* A row must have as many fields as the header: extra fields (an unquoted separator in a
 * value, a shifted row) or missing ones never store a value from the wrong column. */
static void test_demand_csv_field_count(void **state)
{
    (void)state;
    ing_demand_opts_t o;
    ing_demand_opts_default(&o);
    static struct collect c, d;
    char want[512];
    const long long t8 = 1483257600LL; /* 2017-01-01T08:00:00Z */
    const char *three = "timestamp,region,demand_mw\n"
                        "2017-01-01T08:00:00Z,HST,36,99,100,foo\n"
                        "2017-01-01T09:00:00Z,HST,1,234\n"
                        "2017-01-01T10:00:00Z,HST,\"1,234\"\n"
                        "2017-01-01T11:00:00Z,HST\n"
                        "2017-01-01T12:00:00Z,HST,36\n";
    assert_int_equal(import(&o, three, 0, 0, &c, NULL), 0);
    snprintf(want, sizeof want,
             "%lld HST 36\n!2 field_count\n!3 field_count\n!4 bad_demand\n!5 field_count\n",
             t8 + 4 * 3600);
    assert_string_equal(c.out, want);
    const char *four = "timestamp,region,demand_mw,temperature_c\n"
                       "2017-01-01T08:00:00Z,HST,1,2,3\n"
                       "2017-01-01T09:00:00Z,HST,1\n"
                       "2017-01-01T10:00:00Z,HST,1,2\n"
                       "2017-01-01T11:00:00Z,HST,1,\n";
    assert_int_equal(import(&o, four, 0, 0, &c, NULL), 0);
    snprintf(want, sizeof want, "%lld HST 1 2\n%lld HST 1\n!2 field_count\n!3 field_count\n",
             t8 + 2 * 3600, t8 + 3 * 3600);
    assert_string_equal(c.out, want);
    for (unsigned seed = 0; seed < 10; seed++) {
        assert_int_equal(import(&o, four, seed ? -1 : 1, seed, &d, NULL), 0);
        assert_string_equal(d.out, c.out);
    }
    /* the reason says what happened */
    ing_demand_import_t *imp = ing_demand_import_new(&o, on_flush, &c);
    assert_int_equal(ing_demand_import_feed(imp, three, strlen(three), NULL), 0);
    assert_int_equal(ing_demand_import_finish(imp, NULL), 0);
    json_t *rj = ing_demand_import_rejections_json(imp);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rj, 0), "reason")),
                        "the header has 3 fields, this row 6 (an unquoted separator in a value?)");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(rj, 2), "reason")),
                           "thousands separators are not accepted"));
    json_decref(rj);
    ing_demand_import_free(imp);
    /* flags files too */
    o.kind = ING_IMPORT_FLAGS;
    assert_int_equal(import(&o,
                            "timestamp,region,category,raw_demand\n"
                            "2017-01-01T08:00:00Z,HST,MISSING,1,2\n",
                            0, 0, &c, NULL),
                     0);
    assert_string_equal(c.out, "!2 field_count\n");
}

/* Bytes of the input quoted in a reason or message are made printable: a rejection is never
 * lost (or the answer broken) because a stamp or a column name is not UTF-8. */
static void test_demand_reasons_quote_any_bytes(void **state)
{
    (void)state;
    ing_demand_opts_t o;
    ing_demand_opts_default(&o);
    static struct collect c;
    const char *in = "timestamp,region,demand_mw\n2015-07-02T\xc6\xd2:00:00Z,AEC,1\n";
    ing_demand_import_t *imp = ing_demand_import_new(&o, on_flush, &c);
    assert_int_equal(ing_demand_import_feed(imp, in, strlen(in), NULL), 0);
    assert_int_equal(ing_demand_import_finish(imp, NULL), 0);
    json_t *rj = ing_demand_import_rejections_json(imp);
    assert_int_equal(json_array_size(rj), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rj, 0), "reason")),
                        "timestamp '2015-07-02T??:00:00Z' is not a valid date-time");
    json_decref(rj);
    ing_demand_import_free(imp);
    gf_err_t err = {0};
    assert_int_equal(import(&o, "timestamp,region,demand_mw,t\xffmp\n", 0, 0, &c, &err), GF_EINVAL);
    assert_non_null(strstr(err.message, "unknown column 't?mp'"));
    gf_err_cleanup(&err);
}

/* Header names in any case; unknown or repeated columns refuse the file before any row. */
static void test_demand_csv_header_names(void **state)
{
    (void)state;
    ing_demand_opts_t o;
    ing_demand_opts_default(&o);
    static struct collect c;
    gf_err_t err = {0};
    char want[128];
    assert_int_equal(import(&o, "Timestamp,REGION,Demand_MW\n2015-07-02T00:00:00Z,AEC,5\n", 0, 0,
                            &c, &err),
                     0);
    snprintf(want, sizeof want, "%lld AEC 5\n", T0);
    assert_string_equal(c.out, want);
    assert_int_equal(import(&o, "timestamp,region,demand_mw,temp\n2015-07-02T00:00:00Z,AEC,5,1\n",
                            0, 0, &c, &err),
                     GF_EINVAL);
    assert_string_equal(err.code, "bad_header");
    assert_non_null(strstr(err.message, "unknown column 'temp'"));
    assert_string_equal(c.out, "");
    gf_err_cleanup(&err);
    assert_int_equal(import(&o, "timestamp,region,demand_mw,DEMAND_MW\n", 0, 0, &c, &err),
                     GF_EINVAL);
    assert_string_equal(err.code, "bad_header");
    assert_non_null(strstr(err.message, "named twice"));
    gf_err_cleanup(&err);
}

/* ';'-separated CSV (the European convention): ',' is its decimal separator; a '.' is
 * refused rather than guessed (1.234 may mean 1234). */
static void test_demand_csv_semicolon(void **state)
{
    (void)state;
    ing_demand_opts_t o;
    ing_demand_opts_default(&o);
    static struct collect c, d;
    char want[256];
    const char *in = "\xef\xbb\xbftimestamp;region;demand_mw;temperature_c\r\n"
                     "2015-07-02T00:00:00Z;AEC;1234,5;-3,25\r\n"
                     "2015-07-02T01:00:00Z;AEC;1.234;\r\n"
                     "\"2015-07-02T02:00:00Z\";\"AEC\";\"7\";\"\"\r\n"
                     "2015-07-02T03:00:00Z;AEC;1,234,5;\r\n"
                     "2015-07-02T04:00:00Z;AEC;8;1\r\n";
    assert_int_equal(import(&o, in, 0, 0, &c, NULL), 0);
    snprintf(want, sizeof want,
             "%lld AEC 1234.5 -3.25\n%lld AEC 7\n%lld AEC 8 1\n"
             "!3 bad_demand\n!5 bad_demand\n",
             T0, T0 + 2 * 3600, T0 + 4 * 3600);
    assert_string_equal(c.out, want);
    for (unsigned seed = 0; seed < 10; seed++) {
        assert_int_equal(import(&o, in, seed ? -1 : 1, seed, &d, NULL), 0);
        assert_string_equal(d.out, c.out);
    }
    /* a ',' file keeps ',' as its separator even when a value holds a ';' */
    assert_int_equal(import(&o, "timestamp,region,demand_mw\n2015-07-02T00:00:00Z,AEC;X,1\n", 0, 0,
                            &c, NULL),
                     0);
    assert_string_equal(c.out, "!2 invalid_region\n");
}

static void test_demand_json(void **state)
{
    (void)state;
    ing_demand_opts_t o;
    ing_demand_opts_default(&o);
    o.format = ING_FMT_JSON;
    static struct collect c, d;
    gf_err_t err = {0};
    const char *arr =
        "[\n {\"timestamp\":\"2015-07-02T00:00:00Z\",\"region\":\"AEC\",\"demand_mw\":776},\n"
        " {\"timestamp\":\"2015-07-02T01:00:00Z\",\"region\":\"A\\u0045C\",\"demand_mw\":7.5e2,"
        "\"temperature_c\":-3.5},\n"
        " {\"timestamp\":\"2015-07-02T02:00:00Z\",\"region\":\"AEC\",\"demand_mw\":\"1\"},\n"
        " {\"timestamp\":\"2015-07-02T03:00:00Z\",\"region\":\"AEC\",\"demand_mw\":1,\"temperature_c\":null},\n"
        " {\"timestamp\":\"2015-07-02T04:00:00Z\",\"region\":\"AEC\",\"demand_mw\":1,\"note\":{\"x\":[1,\"]}\"]}},\n"
        " {\"timestamp\":\"2015-07-02T05:00:00Z\",\"region\":\"AEC\",\"demand_mw\":1,\"demand_mw\":2}\n]\n";
    assert_int_equal(import(&o, arr, 0, 0, &c, &err), 0);
    char want[512];
    snprintf(want, sizeof want,
             "%lld AEC 776\n%lld AEC 750 -3.5\n%lld AEC 1\n!4#2 bad_demand\n"
             "!6#4 unknown_field\n!7#5 duplicate_field\n",
             T0, T0 + 3600, T0 + 3 * 3600);
    assert_string_equal(c.out, want);
    for (unsigned seed = 0; seed < 10; seed++) {
        assert_int_equal(import(&o, arr, seed ? -1 : 1, seed, &d, &err), 0);
        assert_string_equal(d.out, c.out);
    }
    const char *nd =
        "{\"timestamp\":\"2015-07-02T00:00:00Z\",\"region\":\"AEC\",\"demand_mw\":1}\n"
        "\n{\"timestamp\":\"2015-07-02T01:00:00Z\",\"region\":\"AEC\",\"demand_mw\":2}";
    assert_int_equal(import(&o, nd, 0, 0, &c, &err), 0);
    snprintf(want, sizeof want, "%lld AEC 1\n%lld AEC 2\n", T0, T0 + 3600);
    assert_string_equal(c.out, want);
    /* malformed: line and column of the fault */
    static const struct {
        const char *in;
        long line, col;
    } bad[] = {
        {"[{\"timestamp\":\"x\",}]", 1, 19},
        {"[\n{\"a\":1},\n{\"a\":tru}\n]", 3, 6},
        {"[{\"a\":1} {\"a\":2}]", 1, 10},
        {"[{\"a\":1},]", 1, 10},
        {"[{\"a\":1}", 1, 9},
        {"{\"a\":1}\n5\n", 2, 1},
        {"[{\"a\":\"\\q\"}]", 1, 8},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gf_err_cleanup(&err);
        assert_int_equal(import(&o, bad[i].in, 0, 0, &c, &err), GF_EINVAL);
        assert_string_equal(err.code, "malformed_json");
        json_t *dd = json_array_get(err.details, 0);
        long line = (long)json_integer_value(json_object_get(dd, "line"));
        long col = (long)json_integer_value(json_object_get(dd, "column"));
        if (line != bad[i].line || col != bad[i].col)
            fail_msg("bad %zu: %ld:%ld want %ld:%ld (%s)", i, line, col, bad[i].line, bad[i].col,
                     err.message);
    }
    gf_err_cleanup(&err);
}

/* ------------------------------------------------------------------ Redis */

static gf_test_redis_t srv;
static redisContext *rc_;
static gf_rcluster_t *h_; /* the handle the code under test writes through */

static int setup(void **state)
{
    (void)state;
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

static char *hget(const char *key, const char *field, char *buf, size_t n)
{
    redisReply *r = redisCommand(rc_, "HGET %s %s", key, field);
    assert_non_null(r);
    snprintf(buf, n, "%s", r->type == REDIS_REPLY_STRING ? r->str : "(nil)");
    freeReplyObject(r);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_demand_redis_roundtrip(void **state)
{
    (void)state;
    redisReply *r = redisCommand(rc_, "FLUSHALL");
    freeReplyObject(r);
    /* the first 300 NYC rows of the bundled data (hour beginning, with temperature),
     * spanning Jan 2012; plus two rows straddling a month boundary */
    char src[512], tmp[128];
    snprintf(src, sizeof src, "%s/services/ingestion/data/nyc_train.csv",
             getenv("GF_TEST_ROOT") ? getenv("GF_TEST_ROOT") : ".");
    FILE *in = fopen(src, "r");
    assert_non_null(in);
    snprintf(tmp, sizeof tmp, "%s/nyc.csv", srv.dir);
    FILE *out = fopen(tmp, "w");
    char line[256];
    for (int i = 0; i < 301 && fgets(line, sizeof line, in); i++)
        fputs(line, out);
    fputs("2012-02-29T23:00:00Z,NYC,5000,\n2012-03-01T00:00:00Z,NYC,5100.25,-1.5\n", out);
    fclose(out);
    fclose(in);

    ing_demand_opts_t o;
    ing_demand_opts_default(&o);
    o.chunk_rows = 64;
    ing_demand_stats_t st;
    gf_err_t err = {0};
    assert_int_equal(ing_demand_import_file_sync(h_, &o, tmp, &st, &err), 0);
    assert_int_equal(st.rows_ok, 302);
    assert_int_equal(st.rows_new, 302);
    assert_int_equal(st.rows_rejected, 0);
    char key[96], buf[64];
    ing_key_region(key, sizeof key, "NYC");
    assert_string_equal(hget(key, "rows", buf, sizeof buf), "302");
    assert_string_equal(hget(key, "first", buf, sizeof buf), "1325394000"); /* 2012-01-01T05Z */
    assert_string_equal(hget(key, "last", buf, sizeof buf), "1330560000");  /* 2012-03-01T00Z */
    ing_key_demand(key, sizeof key, "NYC", 1325394000);
    assert_string_equal(hget(key, "1325394000", buf, sizeof buf), "4937.5,7.85");
    r = redisCommand(rc_, "SISMEMBER gf:regions NYC");
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);

    /* read back [first, last + 1h) through the shared reader: all rows, sorted, exact */
    gf_feat_demand_t s;
    assert_int_equal(gf_feat_demand_load(h_, "NYC", 1325394000, 1330560000 + 3600, 0, &s, &err), 0);
    assert_int_equal(s.n, 302);
    assert_true(s.hour[0] == 1325394000 && s.demand_mw[0] == 4937.5 && s.temperature_c[0] == 7.85);
    for (size_t i = 1; i < s.n; i++)
        assert_true(s.hour[i] > s.hour[i - 1]);
    assert_true(s.hour[300] == 1330556400 && s.demand_mw[300] == 5000 &&
                isnan(s.temperature_c[300]));
    assert_true(s.demand_mw[301] == 5100.25 && s.temperature_c[301] == -1.5);
    assert_int_equal(s.first, 1325394000);
    assert_int_equal(s.last, 1330560000);
    gf_feat_demand_cleanup(&s);
    /* a sub-range across the month boundary: [Feb 29 23:00, Mar 1 00:00) */
    assert_int_equal(gf_feat_demand_load(h_, "NYC", 1330556400, 1330560000, 0, &s, &err), 0);
    assert_int_equal(s.n, 1);
    gf_feat_demand_cleanup(&s);

    /* re-import: nothing new, counts unchanged; a corrected value is upserted */
    assert_int_equal(ing_demand_import_file_sync(h_, &o, tmp, &st, &err), 0);
    assert_int_equal(st.rows_ok, 302);
    assert_int_equal(st.rows_new, 0);
    ing_key_region(key, sizeof key, "NYC");
    assert_string_equal(hget(key, "rows", buf, sizeof buf), "302");
    write_file(
        tmp,
        "timestamp,region,demand_mw\n2012-01-01T05:00:00Z,NYC,1\n2011-12-31T23:00:00Z,NYC,2\n");
    assert_int_equal(ing_demand_import_file_sync(h_, &o, tmp, &st, &err), 0);
    assert_int_equal(st.rows_new, 1);
    assert_string_equal(hget(key, "rows", buf, sizeof buf), "303");
    assert_string_equal(hget(key, "first", buf, sizeof buf), "1325372400");
    ing_key_demand(key, sizeof key, "NYC", 1325394000);
    assert_string_equal(hget(key, "1325394000", buf, sizeof buf), "1");

    /* flags (hour ending, as the EIA files) */
    write_file(tmp,
               "timestamp,region,category,raw_demand\n2015-07-02T00:00:00Z,AEC,MISSING,MISSING\n");
    o.kind = ING_IMPORT_FLAGS;
    o.label = ING_HOUR_ENDING;
    assert_int_equal(ing_demand_import_file_sync(h_, &o, tmp, &st, &err), 0);
    ing_key_dflags(key, sizeof key, "AEC");
    assert_string_equal(hget(key, "1435791600", buf, sizeof buf), "MISSING");
    ing_key_region(key, sizeof key, "AEC");
    assert_string_equal(hget(key, "rows", buf, sizeof buf), "(nil)");
    gf_err_cleanup(&err);
    unlink(tmp);
}

static void test_demand_regions_catalog(void **state)
{
    (void)state;
    const char *root = getenv("GF_TEST_ROOT") ? getenv("GF_TEST_ROOT") : ".";
    char path[512];
    ing_regions_t t;
    ing_regions_init(&t);
    gf_err_t err = {0};
    snprintf(path, sizeof path, "%s/services/ingestion/data/eia930_regions.csv", root);
    assert_int_equal(ing_regions_load_csv(&t, path, &err), 0);
    assert_int_equal(t.n, 54);
    snprintf(path, sizeof path, "%s/services/ingestion/data/regions_extra.csv", root);
    assert_int_equal(ing_regions_load_csv(&t, path, &err), 0);
    assert_int_equal(t.n, 55);
    const ing_region_t *r = ing_regions_find(&t, "AECI", 4);
    assert_non_null(r);
    assert_string_equal(r->name, "Associated Electric Cooperative, Inc.");
    assert_string_equal(r->tz, "America/Chicago");
    r = ing_regions_find(&t, "NYC", 3);
    assert_non_null(r);
    assert_string_equal(r->tz, "America/New_York");
    assert_null(ing_regions_find(&t, "NY", 2));
    assert_null(ing_regions_find(&t, "NYCX", 4));
    assert_int_equal(ing_regions_save(h_, &t, &err), 0);
    char buf[128];
    assert_string_equal(hget("gf:region:{AZPS}", "tz", buf, sizeof buf), "America/Phoenix");
    assert_string_equal(hget("gf:region:{NYC}", "name", buf, sizeof buf),
                        "New York City (NYISO zone J, N.Y.C.)");
    assert_int_equal(ing_regions_load_csv(&t, "/nonexistent.csv", &err), GF_ENOTFOUND);
    snprintf(path, sizeof path, "%s/regions_bad.csv", srv.dir);
    write_file(path, "name,tz\nx,y\n");
    assert_int_equal(ing_regions_load_csv(&t, path, &err), GF_EINVAL);
    assert_string_equal(err.code, "bad_regions_file");
    unlink(path);
    gf_err_cleanup(&err);
    ing_regions_cleanup(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demand_csv_rows),
        cmocka_unit_test(test_demand_conventions),
        cmocka_unit_test(test_demand_header_errors),
        cmocka_unit_test(test_demand_csv_field_count),
        cmocka_unit_test(test_demand_csv_header_names),
        cmocka_unit_test(test_demand_reasons_quote_any_bytes),
        cmocka_unit_test(test_demand_csv_semicolon),
        cmocka_unit_test(test_demand_json),
        cmocka_unit_test(test_demand_redis_roundtrip),
        cmocka_unit_test(test_demand_regions_catalog),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
