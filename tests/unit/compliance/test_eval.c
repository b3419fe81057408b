/*
 * test_eval.c - the quality bar of the compliance engine. The question sets (dev-qa, extra-qa,
 * operator-qa: over 300 questions) are split by article into train / dev / test (eval.h);
 * the split is checked (no article in two splits), and the held-out test split is the
 * regression bar: thresholds a little below the figures in BENCHMARKS.md, so a change that
 * makes retrieval or refusal worse on questions it was not tuned on fails here. The two
 * small project sets keep their own bar (recall@5 >= 0.9, no off-topic answered, <= 5 %
 * answerable refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../services/compliance/eval.h"

/* Regression bar on the test split: a little below the measured figures (BENCHMARKS.md). */
#define TEST_MIN_RECALL5 0.78
#define TEST_MIN_MRR 0.58
#define TEST_MAX_FALSE_REFUSALS 0.05
#define TEST_MIN_NEAR_REFUSED 0.5

static cmp_engine_t *eng;
static char root[4096];

static int setup(void **state)
{
    (void)state;
    const char *r = getenv("GF_TEST_ROOT");
    snprintf(root, sizeof root, "%s", r ? r : ".");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/services/compliance/corpus", root);
    gf_err_t err = {0};
    eng = cmp_engine_new(dir, &err);
    if (eng == NULL)
        fprintf(stderr, "engine: %s\n", err.message);
    return eng == NULL;
}

static int teardown(void **state)
{
    (void)state;
    cmp_engine_free(eng);
    return 0;
}

static void check_set(const char *file)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/services/compliance/eval/%s", root, file);
    cmp_eval_t r;
    gf_err_t err = {0};
    int rc = cmp_eval_run(eng, path, NULL, &r, &err);
    if (rc != 0)
        fail_msg("%s: %s", err.code, err.message);
    cmp_eval_print(&r, file, stdout);
    assert_true(r.n_answerable > 0);
    if (r.recall5 < 0.9)
        fail_msg("%s: recall@5 %.3f < 0.9", file, r.recall5);
    if (r.refused_offtopic != r.n_offtopic)
        fail_msg("%s: %d of %d off-topic questions answered", file,
                 r.n_offtopic - r.refused_offtopic, r.n_offtopic);
    if (r.refused_answerable > 0.05 * r.n_answerable)
        fail_msg("%s: %d of %d answerable questions refused (> 5%%)", file, r.refused_answerable,
                 r.n_answerable);
}

static void test_eval_dev_set(void **state)
{
    (void)state;
    check_set("dev-qa.jsonl");
}

static void test_eval_extra_set(void **state)
{
    (void)state;
    check_set("extra-qa.jsonl");
}

/* Every question of one article is in one split; at least 300 questions in all. */
static void test_eval_split_by_article(void **state)
{
    (void)state;
    json_t *seen = json_object(); /* "doc article" -> split */
    int n = 0, per[4] = {0};
    for (size_t f = 0; f < CMP_EVAL_NSETS; f++) {
        char path[4300];
        snprintf(path, sizeof path, "%s/%s", root, CMP_EVAL_SETS[f]);
        FILE *fh = fopen(path, "r");
        assert_non_null(fh);
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, fh) > 0) {
            json_t *j = json_loads(line, 0, NULL);
            if (j == NULL)
                continue;
            n++;
            cmp_split_t sp = cmp_eval_split_of(j);
            per[sp]++;
            const char *doc = json_string_value(json_object_get(j, "document"));
            size_t i;
            json_t *v;
            json_array_foreach(json_object_get(j, "expected_articles"), i, v)
            {
                char key[128];
                snprintf(key, sizeof key, "%s %s", doc, json_string_value(v));
                json_t *was = json_object_get(seen, key);
                if (was && json_integer_value(was) != (json_int_t)sp)
                    fail_msg("%s: %s in %s and %s", json_string_value(json_object_get(j, "id")),
                             key, cmp_split_name((cmp_split_t)json_integer_value(was)),
                             cmp_split_name(sp));
                json_object_set_new(seen, key, json_integer(sp));
            }
            json_decref(j);
        }
        free(line);
        fclose(fh);
    }
    json_decref(seen);
    printf("%d questions: train %d, dev %d, test %d\n", n, per[CMP_SPLIT_TRAIN], per[CMP_SPLIT_DEV],
           per[CMP_SPLIT_TEST]);
    assert_true(n >= 300);
    assert_true(per[CMP_SPLIT_TEST] >= 50);
}

/* The held-out test split (figures in BENCHMARKS.md). */
static void test_eval_test_split(void **state)
{
    (void)state;
    cmp_eval_t sum = {0};
    for (size_t f = 0; f < CMP_EVAL_NSETS; f++) {
        char path[4300];
        snprintf(path, sizeof path, "%s/%s", root, CMP_EVAL_SETS[f]);
        cmp_eval_t r;
        gf_err_t err = {0};
        if (cmp_eval_run_split(eng, path, CMP_SPLIT_TEST, NULL, &r, &err) != 0)
            fail_msg("%s: %s", err.code, err.message);
        cmp_eval_merge(&sum, &r);
    }
    cmp_eval_print(&sum, "test split (all sets)", stdout);
    assert_true(sum.n_answerable >= 40);
    if (sum.recall5 < TEST_MIN_RECALL5)
        fail_msg("test split: recall@5 %.3f < %.2f", sum.recall5, TEST_MIN_RECALL5);
    if (sum.mrr < TEST_MIN_MRR)
        fail_msg("test split: MRR@10 %.3f < %.2f", sum.mrr, TEST_MIN_MRR);
    if (sum.refused_offtopic < sum.n_offtopic)
        fail_msg("test split: %d off-topic answered", sum.n_offtopic - sum.refused_offtopic);
    if (sum.refused_answerable > TEST_MAX_FALSE_REFUSALS * sum.n_answerable)
        fail_msg("test split: %d of %d answerable refused", sum.refused_answerable,
                 sum.n_answerable);
    if (sum.refused_near < TEST_MIN_NEAR_REFUSED * sum.n_near)
        fail_msg("test split: %d of %d near-domain refused", sum.refused_near, sum.n_near);
    if (sum.refused_lang_right < sum.n_lang)
        fail_msg("test split: %d of %d other-language questions not refused as such",
                 sum.n_lang - sum.refused_lang_right, sum.n_lang);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_split_by_article),
        cmocka_unit_test(test_eval_test_split),
        cmocka_unit_test(test_eval_dev_set),
        cmocka_unit_test(test_eval_extra_set),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
