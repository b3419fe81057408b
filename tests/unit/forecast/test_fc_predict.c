/*
 * test_fc_predict.c - POST /v1/predict body parsing and binding: both forms, order independence,
 * missing/unknown features named, non-numbers, limits, huge bodies, and agreement of the
 * number scanner with strtod.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "../../../services/forecast/fc_predict.h"

/* 300 bytes: longer than any name the parser keeps, and than its first string buffer */
#define LONG30 "abcdefghijklmnopqrstuvwxyz0123"
#define LONG300 LONG30 LONG30 LONG30 LONG30 LONG30 LONG30 LONG30 LONG30 LONG30 LONG30

static const char *const NAMES[] = {"hour", "lag_24", "temp_last"};
#define NN 3

/* Parse + bind against NAMES; returns rc and fills x (up to 8 rows). */
static int run(const char *body, float *x, fc_predict_req_t *req, gf_err_t *err)
{
    int rc = fc_predict_parse(body, strlen(body), NULL, req, err);
    if (rc == 0 && req->nrows <= 8)
        rc = fc_predict_bind(req, NAMES, NN, x, err);
    return rc;
}

static void test_predict_table(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int rc;
        const char *code;
    } t[] = {
        /* good */
        {"{\"model\":\"load:PJM\",\"instances\":[{\"hour\":1,\"lag_24\":2,\"temp_last\":3}]}", 0,
         ""},
        {"{\"instances\":[{\"temp_last\":3,\"hour\":1,\"lag_24\":2}],\"model\":\"load:PJM@staging\"}",
         0, ""},
        {"{\"model\":\"load:PJM\",\"columns\":[\"lag_24\",\"hour\",\"temp_last\"],\"rows\":[[2,1,3]]}",
         0, ""},
        {"{\"rows\":[[2,1,3],[5,4,null]],\"columns\":[\"lag_24\",\"hour\",\"temp_last\"],"
         "\"model\":\"load:PJM@3\",\"horizons\":[1,24]}",
         0, ""},
        {" \n{ \"model\" : \"m\" , \"columns\" : [ \"hour\" , \"lag_24\" , \"temp_last\" ] , "
         "\"rows\" : [ [ -1.5e3 , 0.0 , 1E-2 ] ] } \t",
         0, ""},
        {"{\"model\":\"m\",\"columns\":[\"h\\u006fur\",\"lag_24\",\"temp_last\"],\"rows\":[[1,2,3]]}",
         0, ""},
        /* syntax / shape */
        {"", GF_EINVAL, "invalid_json"},
        {"[]", GF_EINVAL, "not_an_object"},
        {"{\"model\":\"m\"", GF_EINVAL, "invalid_json"},
        {"{\"model\":\"m\",}", GF_EINVAL, "invalid_json"},
        {"{\"model\":\"m\",\"instances\":[{\"hour\":1,}]}", GF_EINVAL, "invalid_json"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[01]]}", GF_EINVAL, "invalid_json"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[1.]]}", GF_EINVAL, "invalid_json"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[.5]]}", GF_EINVAL, "bad_value"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[1e]]}", GF_EINVAL, "invalid_json"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[nul]]}", GF_EINVAL, "invalid_json"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[1]]} x", GF_EINVAL, "invalid_json"},
        {"{\"model\":\"m\\ud800\",\"instances\":[]}", GF_EINVAL, "invalid_json"},
        {"{\"model\":\"m\xff\",\"instances\":[]}", GF_EINVAL, "invalid_json"},
        {"{\"model\":\"m\",\"columns\":[\"h\\u0000\"],\"rows\":[[1]]}", GF_EINVAL, "invalid_json"},
        {"{\"model\":\"m\",\"columns\":[\"" LONG300 "\"],\"rows\":[[1]]}", GF_EINVAL,
         "bad_columns"},
        {"{\"model\":\"m\",\"" LONG300 "\":1}", GF_EINVAL, "unknown_field"},
        {"{\"model\":\"m\",\"instances\":[],\"extra\":1}", GF_EINVAL, "unknown_field"},
        {"{\"model\":\"m\",\"model\":\"n\",\"instances\":[{}]}", GF_EINVAL, "duplicate_field"},
        {"{\"instances\":[{\"hour\":1}]}", GF_EINVAL, "missing_field"},
        {"{\"model\":\"m\"}", GF_EINVAL, "missing_field"},
        {"{\"model\":\"m\",\"rows\":[[1]]}", GF_EINVAL, "missing_field"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"]}", GF_EINVAL, "missing_field"},
        {"{\"model\":\"m\",\"instances\":[]}", GF_EINVAL, "no_rows"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[1]],\"instances\":[]}", GF_EINVAL,
         "both_forms"},
        {"{\"model\":\"\",\"instances\":[{}]}", GF_EINVAL, "bad_model"},
        {"{\"model\":\"a b\",\"instances\":[{}]}", GF_EINVAL, "bad_model"},
        {"{\"model\":\"m@\",\"instances\":[{}]}", GF_EINVAL, "bad_model"},
        {"{\"model\":\"m@Prod\",\"instances\":[{}]}", GF_EINVAL, "bad_model"},
        {"{\"model\":7,\"instances\":[{}]}", GF_EINVAL, "invalid_json"},
        {"{\"model\":\"m\",\"columns\":[],\"rows\":[]}", GF_EINVAL, "bad_columns"},
        {"{\"model\":\"m\",\"columns\":[1],\"rows\":[]}", GF_EINVAL, "bad_columns"},
        {"{\"model\":\"m\",\"columns\":[\"\"],\"rows\":[[1]]}", GF_EINVAL, "bad_columns"},
        {"{\"model\":\"m\",\"columns\":[\"hour\",\"hour\"],\"rows\":[[1,2]]}", GF_EINVAL,
         "duplicate_feature"},
        {"{\"model\":\"m\",\"columns\":[\"hour\",\"lag_24\"],\"rows\":[[1,2],[1]]}", GF_EINVAL,
         "row_length"},
        {"{\"model\":\"m\",\"columns\":[\"hour\",\"lag_24\"],\"rows\":[[1,2],[1,2,3]]}", GF_EINVAL,
         "row_length"},
        {"{\"model\":\"m\",\"columns\":[\"hour\",\"lag_24\"],\"rows\":[[1,2,3]]}", GF_EINVAL,
         "row_length"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[\"1\"]]}", GF_EINVAL, "bad_value"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[true]]}", GF_EINVAL, "bad_value"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[[1]]]}", GF_EINVAL, "bad_value"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[1e39]]}", GF_EINVAL, "bad_value"},
        {"{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[-1e999]]}", GF_EINVAL, "bad_value"},
        {"{\"model\":\"m\",\"instances\":[{\"hour\":\"x\"}]}", GF_EINVAL, "bad_value"},
        {"{\"model\":\"m\",\"instances\":[[1,2,3]]}", GF_EINVAL, "bad_instance"},
        {"{\"model\":\"m\",\"instances\":[{\"hour\":1,\"lag_24\":2,\"temp_last\":3}],"
         "\"horizons\":[0]}",
         GF_EINVAL, "bad_horizons"},
        {"{\"model\":\"m\",\"instances\":[{\"hour\":1,\"lag_24\":2,\"temp_last\":3}],"
         "\"horizons\":[1.5]}",
         GF_EINVAL, "bad_horizons"},
        {"{\"model\":\"m\",\"instances\":[{\"hour\":1,\"lag_24\":2,\"temp_last\":3}],"
         "\"horizons\":[1,2]}",
         GF_EINVAL, "bad_horizons"},
        /* binding */
        {"{\"model\":\"m\",\"instances\":[{\"hour\":1,\"lag_24\":2}]}", GF_EUNPROCESSABLE,
         "missing_features"},
        {"{\"model\":\"m\",\"instances\":[{\"hour\":1,\"lag_24\":2,\"temp_last\":3},{\"hour\":1,"
         "\"temp_last\":3}]}",
         GF_EUNPROCESSABLE, "missing_features"},
        {"{\"model\":\"m\",\"instances\":[{\"hour\":1,\"lag_24\":2,\"temp_last\":3,\"dow\":4}]}",
         GF_EUNPROCESSABLE, "unknown_features"},
        {"{\"model\":\"m\",\"instances\":[{\"hour\":1,\"lag_24\":2,\"temp_last\":3,\"hour\":4}]}",
         GF_EINVAL, "duplicate_feature"},
        {"{\"model\":\"m\",\"columns\":[\"hour\",\"lag_24\"],\"rows\":[[1,2]]}", GF_EUNPROCESSABLE,
         "missing_features"},
        {"{\"model\":\"m\",\"columns\":[\"hour\",\"lag_24\",\"temp_last\",\"x\"],"
         "\"rows\":[[1,2,3,4]]}",
         GF_EUNPROCESSABLE, "unknown_features"},
        {"{\"model\":\"m\",\"instances\":[{}]}", GF_EUNPROCESSABLE, "missing_features"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        fc_predict_req_t req;
        gf_err_t err = {0};
        float x[8 * NN];
        int rc = run(t[i].body, x, &req, &err);
        if (rc != t[i].rc || strcmp(err.code, t[i].code) != 0)
            fail_msg("case %zu (%s): rc %d code '%s' (%s)", i, t[i].body, rc, err.code,
                     err.message);
        fc_predict_req_cleanup(&req);
        gf_err_cleanup(&err);
    }
}

static void test_predict_values_and_order(void **state)
{
    (void)state;
    fc_predict_req_t req;
    gf_err_t err = {0};
    float x[8 * NN];
    const char *b = "{\"rows\":[[2,1,3],[5.25,4,null]],\"columns\":[\"lag_24\",\"hour\","
                    "\"temp_last\"],\"model\":\"load:PJM@production\",\"horizons\":[1,24]}";
    assert_int_equal(run(b, x, &req, &err), 0);
    assert_string_equal(req.model, "load:PJM");
    assert_string_equal(req.ref, "production");
    assert_int_equal(req.form, FC_FORM_ROWS);
    assert_int_equal(req.nrows, 2);
    assert_true(x[0] == 1 && x[1] == 2 && x[2] == 3);
    assert_true(x[3] == 4 && x[4] == 5.25f && isnan(x[5]));
    assert_int_equal(req.horizons[1], 24);
    fc_predict_req_cleanup(&req);

    b = "{\"model\":\"m\",\"instances\":[{\"temp_last\":-3.5,\"hour\":23,\"lag_24\":0.93},"
        "{\"lag_24\":null,\"temp_last\":1e-3,\"hour\":0}]}";
    assert_int_equal(run(b, x, &req, &err), 0);
    assert_int_equal(req.form, FC_FORM_INSTANCES);
    assert_true(x[0] == 23 && x[1] == 0.93f && x[2] == -3.5f);
    assert_true(x[3] == 0 && isnan(x[4]) && x[5] == 1e-3f);
    assert_null(req.horizons);
    fc_predict_req_cleanup(&req);

    /* the error names the features, in message and details */
    b = "{\"model\":\"m\",\"columns\":[\"hour\",\"lag_2A\",\"tmp\"],\"rows\":[[1,2,3]]}";
    assert_int_equal(run(b, x, &req, &err), GF_EUNPROCESSABLE);
    assert_string_equal(err.code, "unknown_features");
    assert_non_null(strstr(err.message, "'lag_2A'"));
    assert_non_null(strstr(err.message, "'tmp'"));
    assert_int_equal(json_array_size(err.details), 2);
    fc_predict_req_cleanup(&req);
    b = "{\"model\":\"m\",\"instances\":[{\"hour\":1,\"lag_24\":2,\"temp_last\":3},{\"hour\":1}]}";
    assert_int_equal(run(b, x, &req, &err), GF_EUNPROCESSABLE);
    assert_non_null(strstr(err.message, "instance 1"));
    assert_non_null(strstr(err.message, "'lag_24'"));
    assert_non_null(strstr(err.message, "'temp_last'"));
    fc_predict_req_cleanup(&req);
    /* syntax errors carry the byte offset */
    b = "{\"model\":\"m\",\"columns\":[\"hour\"],\"rows\":[[1 2]]}";
    assert_int_equal(run(b, x, &req, &err), GF_EINVAL);
    assert_non_null(strstr(err.message, "at byte 43"));
    fc_predict_req_cleanup(&req);
    gf_err_cleanup(&err);
}

static void test_predict_numbers_match_strtod(void **state)
{
    (void)state;
    static const char *nums[] = {
        "0",
        "-0",
        "1",
        "-1",
        "0.1",
        "0.30000000000000004",
        "123456789012345",
        "1234567890123456789012",
        "1e10",
        "1E-10",
        "-2.5e+3",
        "3.4028234e38",
        "1.17549435e-38",
        "1e-45",
        "0.000000000000000000000000000001",
        "9007199254740993",
        "4.35",
        "2.675",
        "1.0000001192092896",
        "100.00000000000001",
        "1e-22",
        "1e22",
        "1e23",
        "123.456e-5",
        "1234567890123456",
        "0.1234567890123456",
        "9007199254740992",
    };
    char body[256];
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        snprintf(body, sizeof body,
                 "{\"model\":\"m\",\"columns\":[\"hour\",\"lag_24\","
                 "\"temp_last\"],\"rows\":[[%s,0,0]]}",
                 nums[i]);
        fc_predict_req_t req;
        gf_err_t err = {0};
        float x[NN];
        assert_int_equal(run(body, x, &req, &err), 0);
        float want = (float)strtod(nums[i], NULL);
        if (memcmp(&x[0], &want, sizeof want) != 0)
            fail_msg("%s: got %.9g want %.9g", nums[i], x[0], want);
        fc_predict_req_cleanup(&req);
    }
}

static char *big_body(size_t rows, size_t cols, int instances, size_t *len)
{
    size_t cap = rows * cols * 24 + cols * 16 + 256, o = 0;
    char *b = malloc(cap);
    o += (size_t)snprintf(b + o, cap - o, "{\"model\":\"load:PJM\",");
    if (!instances) {
        o += (size_t)snprintf(b + o, cap - o, "\"columns\":[");
        for (size_t c = 0; c < cols; c++)
            o += (size_t)snprintf(b + o, cap - o, "%s\"f%zu\"", c ? "," : "", c);
        o += (size_t)snprintf(b + o, cap - o, "],\"rows\":[");
    } else {
        o += (size_t)snprintf(b + o, cap - o, "\"instances\":[");
    }
    for (size_t r = 0; r < rows; r++) {
        o += (size_t)snprintf(b + o, cap - o, "%s%c", r ? "," : "", instances ? '{' : '[');
        for (size_t c = 0; c < cols; c++) {
            if (instances)
                o += (size_t)snprintf(b + o, cap - o, "%s\"f%zu\":%.6g", c ? "," : "", c,
                                      (double)(r * cols + c) * 0.37);
            else
                o += (size_t)snprintf(b + o, cap - o, "%s%.6g", c ? "," : "",
                                      (double)(r * cols + c) * 0.37);
        }
        o += (size_t)snprintf(b + o, cap - o, "%c", instances ? '}' : ']');
    }
    o += (size_t)snprintf(b + o, cap - o, "]}");
    *len = o;
    return b;
}

static void test_predict_huge_arrays(void **state)
{
    (void)state;
    enum { R = 12000, C = 20 };
    char *names[C];
    for (size_t c = 0; c < C; c++) {
        names[c] = malloc(8);
        snprintf(names[c], 8, "f%zu", c);
    }
    float *x = malloc(sizeof(float) * R * C);
    for (int inst = 0; inst < 2; inst++) {
        size_t len;
        char *b = big_body(R, C, inst, &len);
        fc_predict_req_t req;
        gf_err_t err = {0};
        assert_int_equal(fc_predict_parse(b, len, NULL, &req, &err), 0);
        assert_int_equal(req.nrows, R);
        assert_int_equal(fc_predict_bind(&req, (const char *const *)names, C, x, &err), 0);
        assert_true(x[(size_t)(R - 1) * C + C - 1] == (float)strtod("88799.6", NULL));
        fc_predict_req_cleanup(&req);
        /* limits: too many rows -> 413 */
        fc_predict_limits_t lim = {.max_rows = 10000};
        assert_int_equal(fc_predict_parse(b, len, &lim, &req, &err), GF_ETOOBIG);
        assert_string_equal(err.code, "too_many_rows");
        fc_predict_req_cleanup(&req);
        lim = (fc_predict_limits_t){.max_cols = 10};
        assert_int_equal(fc_predict_parse(b, len, &lim, &req, &err), GF_ETOOBIG);
        assert_string_equal(err.code, "too_many_columns");
        fc_predict_req_cleanup(&req);
        /* truncated anywhere: a clean syntax error, never a crash */
        for (size_t cut = len - 1; cut > len - 200; cut -= 7) {
            assert_int_equal(fc_predict_parse(b, cut, NULL, &req, &err), GF_EINVAL);
            fc_predict_req_cleanup(&req);
        }
        gf_err_cleanup(&err);
        free(b);
    }
    free(x);
    for (size_t c = 0; c < C; c++)
        free(names[c]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predict_table),
        cmocka_unit_test(test_predict_values_and_order),
        cmocka_unit_test(test_predict_numbers_match_strtod),
        cmocka_unit_test(test_predict_huge_arrays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
