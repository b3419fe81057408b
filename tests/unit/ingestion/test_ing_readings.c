/*
 * test_ing_readings.c - meter-reading batch parser and validation rules (ing_readings.h,
 * ing_validate.h). Table-driven: body -> expected rc, then per-reading codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../../services/ingestion/ing_readings.h"
#include "../../../services/ingestion/ing_validate.h"
#include "core/jscan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-01-05T10:00:00Z */
#define NOW_MS 1767607200000LL
#define R(m, extra)                                                                                \
    "{\"meter_id\":\"" m "\",\"ts\":\"2026-01-05T10:00:00Z\",\"region\":\"PJM\"," extra "}"

struct pcase {
    const char *name;
    const char *body;
    int rc;            /* parse rc */
    const char *codes; /* comma-separated codes after validation, "" for none */
};

static const struct pcase cases[] = {
    {"array", "[" R("m1", "\"kwh\":1.5") "," R("m2", "\"kw\":3") "]", 0, "ok,ok"},
    {"empty array", " [ ] ", 0, ""},
    {"ndjson", R("m1", "\"kwh\":1") "\n" R("m2", "\"kwh\":2") "\n", 0, "ok,ok"},
    {"ndjson crlf blank lines", R("m1", "\"kwh\":1") "\r\n\r\n\n" R("m2", "\"kwh\":2"), 0, "ok,ok"},
    {"escapes in strings",
     "[{\"meter_id\":\"m\\u00e9\\n\\\"x\\\"\",\"ts\":\"2026-01-05T10:00:00Z\","
     "\"region\":\"P\\u004aM\",\"kwh\":1}]",
     0, "invalid_meter_id"},
    {"surrogate pair",
     "[{\"meter_id\":\"m\\ud83d\\ude00\",\"ts\":\"2026-01-05T10:00:00Z\","
     "\"region\":\"PJM\",\"kwh\":1}]",
     0, "ok"},
    {"escaped key",
     "[{\"meter\\u005fid\":\"m\",\"ts\":\"2026-01-05T10:00:00Z\",\"region\":\"PJM\","
     "\"kwh\":1}]",
     0, "ok"},
    {"extra fields of all types",
     "[" R("m1",
           "\"x\":{\"a\":[1,{\"b\":null}],\"c\":\"}\"},"
           "\"y\":[[],[[]],{}],\"z\":true,\"w\":false,\"v\":null,\"u\":-0.5e-3,\"kwh\":1") "]",
     0, "ok"},
    {"numbers all forms",
     "[" R("a", "\"kwh\":0") "," R("b", "\"kwh\":-0.0") "," R("c", "\"kwh\":1E2") "," R(
         "d", "\"kwh\":12.5e-1") "," R("e", "\"kwh\":1e+2") "]",
     0, "ok,ok,ok,ok,ok"},
    {"null fields are absent", "[" R("a", "\"kwh\":1,\"kw\":null,\"voltage_v\":null") "]", 0, "ok"},
    {"non-object elements", "[1,\"x\",null,[]," R("m", "\"kwh\":1") "]", 0,
     "not_an_object,not_an_object,not_an_object,not_an_object,ok"},
    {"string number", "[" R("m", "\"kwh\":\"1.5\"") "]", 0, "wrong_type"},
    {"NaN string", "[" R("m", "\"kwh\":\"NaN\"") "," R("n", "\"kw\":\"-Infinity\"") "]", 0,
     "not_finite,not_finite"},
    {"huge exponent", "[" R("m", "\"kwh\":1e400") "]", 0, "not_finite"},
    {"tiny exponent is zero", "[" R("m", "\"kwh\":1e-400") "]", 0, "ok"},
    {"bool for number", "[" R("m", "\"kw\":true") "]", 0, "wrong_type"},
    {"object for meter",
     "[{\"meter_id\":{\"a\":1},\"ts\":\"2026-01-05T10:00:00Z\",\"region\":\"PJM\",\"kwh\":1}]", 0,
     "wrong_type"},
    {"duplicate field", "[" R("m", "\"kwh\":1,\"kwh\":2") "]", 0, "duplicate_field"},
    {"missing meter", "[{\"ts\":\"2026-01-05T10:00:00Z\",\"region\":\"PJM\",\"kwh\":1}]", 0,
     "missing_field"},
    {"missing ts", "[{\"meter_id\":\"m\",\"region\":\"PJM\",\"kwh\":1}]", 0, "missing_field"},
    {"missing region", "[{\"meter_id\":\"m\",\"ts\":\"2026-01-05T10:00:00Z\",\"kwh\":1}]", 0,
     "missing_field"},
    {"no measurement", "[" R("m", "\"voltage_v\":230") "]", 0, "no_measurement"},
    {"bad ts",
     "[{\"meter_id\":\"m\",\"ts\":\"2026-02-30T10:00:00Z\",\"region\":\"PJM\",\"kwh\":1}]", 0,
     "invalid_timestamp"},
    {"ts without zone",
     "[{\"meter_id\":\"m\",\"ts\":\"2026-01-05T10:00:00\",\"region\":\"PJM\",\"kwh\":1}]", 0,
     "invalid_timestamp"},
    {"ts with offset",
     "[{\"meter_id\":\"m\",\"ts\":\"2026-01-05T11:00:00.5+01:00\",\"region\":\"PJM\",\"kwh\":1}]",
     0, "ok"},
    {"meter too long",
     "[{\"meter_id\":\"0123456789012345678901234567890123456789012345678901234567890123456789\","
     "\"ts\":\"2026-01-05T10:00:00Z\",\"region\":\"PJM\",\"kwh\":1}]",
     0, "field_too_long"},
    {"meter with pipe", "[" R("a|b", "\"kwh\":1") "]", 0, "invalid_meter_id"},
    {"empty meter", "[" R("", "\"kwh\":1") "]", 0, "invalid_meter_id"},
    {"negative energy", "[" R("m", "\"kwh\":-1") "]", 0, "negative_energy"},
    {"energy too big", "[" R("m", "\"kwh\":1000.5") "]", 0, "energy_out_of_range"},
    {"negative power", "[" R("m", "\"kw\":-0.1") "]", 0, "negative_power"},
    {"power too big", "[" R("m", "\"kw\":1001") "]", 0, "power_out_of_range"},
    {"voltage low", "[" R("m", "\"kwh\":1,\"voltage_v\":79.9") "]", 0, "voltage_out_of_range"},
    {"voltage high", "[" R("m", "\"kwh\":1,\"voltage_v\":300.1") "]", 0, "voltage_out_of_range"},
    {"voltage ok", "[" R("m", "\"kwh\":1,\"voltage_v\":230") "]", 0, "ok"},
    {"future within skew",
     "[{\"meter_id\":\"m\",\"ts\":\"2026-01-05T10:05:00Z\",\"region\":\"PJM\",\"kwh\":1}]", 0,
     "ok"},
    {"future beyond skew",
     "[{\"meter_id\":\"m\",\"ts\":\"2026-01-05T10:05:01Z\",\"region\":\"PJM\",\"kwh\":1}]", 0,
     "timestamp_in_future"},
    {"too old",
     "[{\"meter_id\":\"m\",\"ts\":\"2025-12-29T09:59:59Z\",\"region\":\"PJM\",\"kwh\":1}]", 0,
     "timestamp_too_old"},
    {"unknown region",
     "[{\"meter_id\":\"m\",\"ts\":\"2026-01-05T10:00:00Z\",\"region\":\"XX\",\"kwh\":1}]", 0,
     "unknown_region"},
    {"first error wins", "[{\"meter_id\":5,\"ts\":1,\"region\":\"XX\",\"kwh\":-1}]", 0,
     "wrong_type"},
    /* malformed: whole batch refused */
    {"empty body", "  \n ", GF_EINVAL, NULL},
    {"bare NaN", "[" R("m", "\"kwh\":NaN") "]", GF_EINVAL, NULL},
    {"trailing comma", "[" R("m", "\"kwh\":1") ",]", GF_EINVAL, NULL},
    {"missing comma", "[" R("m", "\"kwh\":1") R("n", "\"kwh\":1") "]", GF_EINVAL, NULL},
    {"unterminated", "[" R("m", "\"kwh\":1"), GF_EINVAL, NULL},
    {"bad escape", "[{\"meter_id\":\"a\\x\"}]", GF_EINVAL, NULL},
    {"lone surrogate", "[{\"meter_id\":\"a\\ud800\"}]", GF_EINVAL, NULL},
    {"raw control char", "[{\"meter_id\":\"a\tb\"}]", GF_EINVAL, NULL},
    {"invalid utf8", "[{\"meter_id\":\"a\xc3\x28\"}]", GF_EINVAL, NULL},
    {"leading zero", "[" R("m", "\"kwh\":01") "]", GF_EINVAL, NULL},
    {"dot without digit", "[" R("m", "\"kwh\":1.") "]", GF_EINVAL, NULL},
    {"plus sign", "[" R("m", "\"kwh\":+1") "]", GF_EINVAL, NULL},
    {"single quotes", "[{'meter_id':'m'}]", GF_EINVAL, NULL},
    {"data after array", "[] x", GF_EINVAL, NULL},
    {"two records one line", R("m", "\"kwh\":1") " " R("n", "\"kwh\":1"), GF_EINVAL, NULL},
    {"bad nested extra", "[" R("m", "\"x\":[1,2,}") "]", GF_EINVAL, NULL},
    {"bad literal in extra", "[" R("m", "\"x\":tru") "]", GF_EINVAL, NULL},
};

static void fill_regions(ing_regions_t *t)
{
    ing_regions_init(t);
    assert_int_equal(ing_regions_add(t, "PJM", "PJM Interconnection", "America/New_York", NULL), 0);
    assert_int_equal(ing_regions_add(t, "ERCO", "ERCOT", "America/Chicago", NULL), 0);
}

static void test_readings_table(void **state)
{
    (void)state;
    ing_regions_t regions;
    fill_regions(&regions);
    ing_validate_cfg_t cfg;
    ing_validate_cfg_default(&cfg);
    cfg.regions = &regions;
    ing_batch_t b;
    ing_batch_init(&b, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct pcase *c = &cases[i];
        gf_err_t err = {0};
        ing_batch_reset(&b);
        int rc = ing_readings_parse(&b, c->body, strlen(c->body), &err);
        if (rc != c->rc)
            fail_msg("case '%s': rc %d, want %d (%s)", c->name, rc, c->rc, err.message);
        if (rc != 0) {
            assert_int_equal(b.n, 0);
            gf_err_cleanup(&err);
            continue;
        }
        ing_validate_batch(&cfg, &b, NOW_MS);
        char got[512] = "";
        for (size_t k = 0; k < b.n; k++) {
            strcat(got, k ? "," : "");
            strcat(got, ing_reject_code(b.v[k].code));
        }
        if (strcmp(got, c->codes) != 0)
            fail_msg("case '%s': codes '%s', want '%s'", c->name, got, c->codes);
    }
    ing_batch_cleanup(&b);
    ing_regions_cleanup(&regions);
}

static void test_readings_values(void **state)
{
    (void)state;
    const char *body = "[{\"meter_id\":\"m\\ud83d\\ude00\",\"ts\":\"2026-01-05T10:00:00.250Z\","
                       "\"region\":\"PJM\",\"kwh\":0.1,\"kw\":12.5e-1,\"voltage_v\":2.301e2,"
                       "\"extra\":\"\\u20ac\"}]";
    ing_batch_t b;
    ing_batch_init(&b, 0);
    assert_int_equal(ing_readings_parse(&b, body, strlen(body), NULL), 0);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.v[0].meter_id, "m\xf0\x9f\x98\x80");
    assert_string_equal(b.v[0].region, "PJM");
    assert_true(b.v[0].ts_ms == NOW_MS + 250);
    assert_true(b.v[0].kwh == 0.1);
    assert_true(b.v[0].kw == 1.25);
    assert_true(b.v[0].voltage_v == 230.1);
    assert_int_equal(b.v[0].has, ING_HAS_METER | ING_HAS_TS | ING_HAS_REGION | ING_HAS_KWH |
                                     ING_HAS_KW | ING_HAS_VOLTAGE);
    ing_batch_cleanup(&b);
}

/* Numbers: the fast path and strtod must agree bit for bit. */
static void test_readings_number_exact(void **state)
{
    (void)state;
    static const char *nums[] = {"0.1",
                                 "0.3",
                                 "123456.789",
                                 "9007199254740993",
                                 "1e22",
                                 "1e23",
                                 "2.2250738585072014e-308",
                                 "0.000001234",
                                 "12345678901234567890123",
                                 "1.7976931348623157e308",
                                 "3.14159265358979323846264338327950288",
                                 "-42.4242"};
    ing_batch_t b;
    ing_batch_init(&b, 0);
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"kw\":%s}", nums[i]);
        ing_batch_reset(&b);
        assert_int_equal(ing_readings_parse(&b, body, strlen(body), NULL), 0);
        double want = strtod(nums[i], NULL);
        if (memcmp(&want, &b.v[0].kw, sizeof want) != 0)
            fail_msg("%s: got %.17g want %.17g", nums[i], b.v[0].kw, want);
    }
    ing_batch_cleanup(&b);
}

struct mcase {
    const char *body;
    size_t line, col;
};

/* Malformed JSON is reported at the right line and column. */
static void test_readings_malformed_position(void **state)
{
    (void)state;
    static const struct mcase m[] = {
        {"[\n  {\"a\":1},\n  {\"a\":2,}\n]", 3, 10},
        {"{\"a\":1}\n{\"a\":2}\n{\"a\" 3}\n", 3, 6},
        {"[1,2,x]", 1, 6},
        {"{\"kw\":1}\n{\"kw\":1", 2, 8},
    };
    ing_batch_t b;
    ing_batch_init(&b, 0);
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        gf_err_t err = {0};
        ing_batch_reset(&b);
        assert_int_equal(ing_readings_parse(&b, m[i].body, strlen(m[i].body), &err), GF_EINVAL);
        assert_string_equal(err.code, "malformed_json");
        json_t *d = json_array_get(err.details, 0);
        assert_non_null(d);
        size_t line = (size_t)json_integer_value(json_object_get(d, "line"));
        size_t col = (size_t)json_integer_value(json_object_get(d, "column"));
        if (line != m[i].line || col != m[i].col)
            fail_msg("case %zu: at %zu:%zu want %zu:%zu (%s)", i, line, col, m[i].line, m[i].col,
                     err.message);
        assert_non_null(strstr(err.message, "line"));
        gf_err_cleanup(&err);
    }
    ing_batch_cleanup(&b);
}

static void test_readings_limits(void **state)
{
    (void)state;
    ing_batch_t b;
    ing_batch_init(&b, 2);
    gf_err_t err = {0};
    const char *body = "[{},{},{}]";
    assert_int_equal(ing_readings_parse(&b, body, strlen(body), &err), GF_ETOOBIG);
    assert_string_equal(err.code, "too_many_readings");
    assert_int_equal(b.n, 0);
    gf_err_cleanup(&err);
    /* deep nesting in an extra field: fine up to the limit, refused beyond */
    size_t depth = GF_JSCAN_MAX_DEPTH + 5;
    char *deep = malloc(depth * 2 + 64);
    strcpy(deep, "[{\"x\":");
    size_t k = strlen(deep);
    for (size_t i = 0; i < depth; i++)
        deep[k++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[k++] = ']';
    strcpy(deep + k, "}]");
    ing_batch_cleanup(&b);
    ing_batch_init(&b, 0);
    assert_int_equal(ing_readings_parse(&b, deep, strlen(deep), &err), GF_EINVAL);
    assert_non_null(strstr(err.message, "deep"));
    gf_err_cleanup(&err);
    free(deep);
    ing_batch_cleanup(&b);
}

static void test_readings_rejections_json(void **state)
{
    (void)state;
    const char *body = "[" R("m", "\"kwh\":1") ",\n" R("n", "\"kwh\":-1") "]";
    ing_batch_t b;
    ing_batch_init(&b, 0);
    assert_int_equal(ing_readings_parse(&b, body, strlen(body), NULL), 0);
    ing_validate_cfg_t cfg;
    ing_validate_cfg_default(&cfg);
    assert_int_equal(ing_validate_batch(&cfg, &b, NOW_MS), 1);
    json_t *a = ing_batch_rejections_json(&b, 0);
    assert_int_equal(json_array_size(a), 1);
    json_t *e = json_array_get(a, 0);
    assert_int_equal(json_integer_value(json_object_get(e, "index")), 1);
    assert_int_equal(json_integer_value(json_object_get(e, "line")), 2);
    assert_string_equal(json_string_value(json_object_get(e, "code")), "negative_energy");
    assert_string_equal(json_string_value(json_object_get(e, "field")), "kwh");
    assert_string_equal(json_string_value(json_object_get(e, "reason")),
                        "kwh must not be negative");
    json_decref(a);
    ing_batch_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readings_table),
        cmocka_unit_test(test_readings_values),
        cmocka_unit_test(test_readings_number_exact),
        cmocka_unit_test(test_readings_malformed_position),
        cmocka_unit_test(test_readings_limits),
        cmocka_unit_test(test_readings_rejections_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
