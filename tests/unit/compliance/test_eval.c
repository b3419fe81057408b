/*
 * test_eval.c - the quality bar of the compliance engine on the dev set (and the figures of
 * the held-out extra set). Prints recall@1, recall@5, MRR, refusal figures; fails when
 * recall@5 < 0.9, any off-topic question is answered, or more than 5 % of the answerable
 * questions are refused. The extra set is held to the same bar.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../../services/compliance/eval.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_dev_set),
        cmocka_unit_test(test_eval_extra_set),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
