/* Unit tests for libs/core/src/http.c: route matching and query-string parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <event2/keyvalq_struct.h>
#include <string.h>
#include <sys/queue.h>

#include "core/http.h"

static void test_http_route_match_table(void **state)
{
    (void)state;
    static const struct {
        const char *pattern, *path;
        bool match;
        size_t nparams;
        const char *v0, *v1;
    } cases[] = {
        {"/v1/info", "/v1/info", true, 0, NULL, NULL},
        {"/v1/info", "/v1/info/", false, 0, NULL, NULL},
        {"/v1/info", "/v1/infos", false, 0, NULL, NULL},
        {"/v1/info", "/v1", false, 0, NULL, NULL},
        {"/v1/jobs/{id}", "/v1/jobs/42", true, 1, "42", NULL},
        {"/v1/jobs/{id}", "/v1/jobs/", false, 0, NULL, NULL},
        {"/v1/jobs/{id}", "/v1/jobs/42/x", false, 0, NULL, NULL},
        {"/v1/models/{name}/aliases", "/v1/models/load:PJM/aliases", true, 1, "load:PJM", NULL},
        {"/v1/documents/{id}/articles/{n}", "/v1/documents/32012L0027/articles/7", true, 2,
         "32012L0027", "7"},
        {"/healthz", "/healthz", true, 0, NULL, NULL},
        {"/", "/", true, 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char scratch[256];
        size_t np = 99;
        const char *names[GF_MAX_PATH_PARAMS], *values[GF_MAX_PATH_PARAMS];
        bool m = gf_route_match(cases[i].pattern, cases[i].path, scratch, &np, names, values);
        assert_int_equal(m, cases[i].match);
        if (!m)
            continue;
        assert_int_equal(np, cases[i].nparams);
        if (np > 0)
            assert_string_equal(values[0], cases[i].v0);
        if (np > 1)
            assert_string_equal(values[1], cases[i].v1);
    }
}

static const char *get(struct evkeyvalq *q, const char *k)
{
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, q, next)
    {
        if (strcmp(kv->key, k) == 0)
            return kv->value;
    }
    return NULL;
}

static void test_http_query_parse_decodes(void **state)
{
    (void)state;
    struct evkeyvalq q;
    assert_int_equal(gf_query_parse("region=PJM&from=2018-01-01T00%3A00%3A00Z&x=a+b", &q), 0);
    assert_string_equal(get(&q, "region"), "PJM");
    assert_string_equal(get(&q, "from"), "2018-01-01T00:00:00Z");
    assert_string_equal(get(&q, "x"), "a b");
    assert_null(get(&q, "missing"));
    evhttp_clear_headers(&q);
    assert_int_equal(gf_query_parse("", &q), 0);
    assert_true(TAILQ_EMPTY(&q));
    assert_int_equal(gf_query_parse(NULL, &q), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_route_match_table),
        cmocka_unit_test(test_http_query_parse_decodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
