/*
 * test_rerank.c - the learned reranker: training on a synthetic ranking task puts the relevant
 * rows first; the committed model (services/compliance/model/rerank.json) loads, the engine
 * uses it, and it changes the order of candidates; a missing model file is a clear error and
 * the engine then ranks without it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../services/compliance/answer.h"
#include "../../../services/compliance/rerank.h"

static char dir[4096];

static int setup(void **state)
{
    (void)state;
    const char *root = getenv("GF_TEST_ROOT");
    snprintf(dir, sizeof dir, "%s/services/compliance/corpus", root ? root : ".");
    return 0;
}

static void test_rerank_learns_a_synthetic_order(void **state)
{
    (void)state;
    enum { G = 40, N = 10 };
    static float x[G * N * CMP_RR_NFEAT], y[G * N];
    unsigned groups[G];
    unsigned seed = 1;
    for (int g = 0; g < G; g++) {
        groups[g] = N;
        for (int i = 0; i < N; i++) {
            float *f = x + (g * N + i) * CMP_RR_NFEAT;
            for (int k = 0; k < CMP_RR_NFEAT; k++) {
                seed = seed * 1103515245u + 12345u;
                f[k] = (float)((seed >> 16) % 1000) / 1000.0f;
            }
            /* relevant: feature 7 (title coverage) high, whatever feature 0 says */
            y[g * N + i] = i == g % N;
            if (y[g * N + i] > 0)
                f[7] = 2.0f;
        }
    }
    char path[] = "/tmp/gf-rerank-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    gf_err_t err = {0};
    assert_int_equal(cmp_reranker_train(x, y, G * N, groups, G, 30, 2, 0.3, path, &err), 0);
    cmp_reranker_t *r = cmp_reranker_load(path, &err);
    assert_non_null(r);
    float s[N];
    int right = 0;
    for (int g = 0; g < G; g++) {
        assert_int_equal(cmp_reranker_score(r, x + g * N * CMP_RR_NFEAT, N, s, &err), 0);
        int best = 0;
        for (int i = 1; i < N; i++)
            if (s[i] > s[best])
                best = i;
        right += y[g * N + best] > 0;
    }
    assert_true(right >= G - 2);
    cmp_reranker_free(r);
    remove(path);
}

static void test_rerank_missing_model(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_null(cmp_reranker_load("/nonexistent/rerank.json", &err));
    assert_string_equal(err.code, "rerank_model_missing");
    gf_err_cleanup(&err);
    cmp_engine_opts_t o = {.rerank_model = "/nonexistent/rerank.json"};
    cmp_engine_t *e = cmp_engine_new_opts(dir, &o, &err);
    assert_non_null(e);
    assert_false(cmp_engine_reranker(e));
    cmp_engine_free(e);
}

/* The committed model is loaded by default and reorders candidates. */
static void test_rerank_engine_uses_the_model(void **state)
{
    (void)state;
    gf_err_t err = {0};
    cmp_engine_t *e = cmp_engine_new(dir, &err);
    assert_non_null(e);
    assert_true(cmp_engine_reranker(e));
    cmp_engine_opts_t o = {.rerank_model = ""};
    cmp_engine_t *plain = cmp_engine_new_opts(dir, &o, &err);
    assert_non_null(plain);
    static const char *const Q[] = {
        "Do large companies have to do energy audits?",
        "How often must countries estimate what a blackout costs consumers?",
        "Can the local grid company run public charging points for electric cars?",
        "What must the local network operator do when buying balancing services?",
    };
    int differ = 0;
    for (size_t i = 0; i < sizeof Q / sizeof Q[0]; i++) {
        cmp_answer_t a, b;
        cmp_ask_opts_t fo = {.features = 1};
        assert_int_equal(cmp_ask(e, Q[i], strlen(Q[i]), &fo, &a, &err), 0);
        assert_int_equal(cmp_ask(plain, Q[i], strlen(Q[i]), NULL, &b, &err), 0);
        assert_true(a.n_cand > 1 && a.n_cand <= CMP_RR_TOP);
        for (size_t k = 0; k < a.n_cand * CMP_RR_NFEAT; k++)
            assert_true(isfinite(a.cand_x[k]));
        differ += a.n_ranked_units && b.n_ranked_units &&
                  strcmp(a.ranked_units[0], b.ranked_units[0]) != 0;
        cmp_answer_cleanup(&a);
        cmp_answer_cleanup(&b);
    }
    assert_true(differ > 0);
    cmp_engine_free(e);
    cmp_engine_free(plain);
}

/* The calibrated refusal model: save / load round trip, a bad file, the engine's use. */
static void test_refusal_model(void **state)
{
    (void)state;
    cmp_refusal_model_t m = {.b = -0.5, .threshold = 0.6};
    for (int k = 0; k < CMP_RF_NFEAT; k++) {
        m.mean[k] = k;
        m.sd[k] = 1 + k;
        m.w[k] = k % 2 ? 0.5 : -0.25;
    }
    char path[] = "/tmp/gf-refusal-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    gf_err_t err = {0};
    assert_int_equal(cmp_refusal_model_save(path, &m, &err), 0);
    cmp_refusal_model_t r;
    assert_int_equal(cmp_refusal_model_load(path, &r, &err), 0);
    double x[CMP_RF_NFEAT] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_true(fabs(cmp_refusal_model_p(&m, x) - cmp_refusal_model_p(&r, x)) < 1e-12);
    assert_true(r.threshold == 0.6);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"mean\":[1,2],\"b\":0}", f);
    fclose(f);
    assert_int_equal(cmp_refusal_model_load(path, &r, &err), GF_EINVAL);
    assert_string_equal(err.code, "refusal_model_invalid");
    gf_err_cleanup(&err);
    remove(path);
    /* the committed model is used: answers carry its probability */
    cmp_engine_t *e = cmp_engine_new(dir, &err);
    assert_non_null(e);
    assert_true(cmp_engine_refusal_model(e));
    cmp_answer_t a;
    const char *q = "Do large companies have to do energy audits?";
    assert_int_equal(cmp_ask(e, q, strlen(q), NULL, &a, &err), 0);
    assert_false(a.refused);
    assert_true(a.refusal_p >= 0 && a.refusal_p < 0.5);
    cmp_answer_cleanup(&a);
    q = "What is the best marathon training schedule for a beginner runner?";
    assert_int_equal(cmp_ask(e, q, strlen(q), NULL, &a, &err), 0);
    assert_true(a.refused);
    cmp_answer_cleanup(&a);
    cmp_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rerank_learns_a_synthetic_order),
        cmocka_unit_test(test_rerank_missing_model),
        cmocka_unit_test(test_rerank_engine_uses_the_model),
        cmocka_unit_test(test_refusal_model),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
