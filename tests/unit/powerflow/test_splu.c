/* test_splu.c - the sparse LU of the Newton power flow against a dense solve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../../libs/powerflow/src/pf_internal.h"

/* Random structurally symmetric, diagonally dominant sparse matrix; LU solve vs residual. */
static void test_splu_random_systems(void **state)
{
    (void)state;
    srand(7);
    for (int trial = 0; trial < 20; trial++) {
        int n = 5 + rand() % 60;
        double *A = calloc((size_t)n * n, sizeof *A);
        for (int i = 0; i < n; i++) {
            A[i * n + i] = 10 + rand() % 5;
            for (int e = 0; e < 3; e++) {
                int j = rand() % n;
                if (j != i) {
                    A[i * n + j] = (rand() % 100) / 50.0 - 1;
                    A[j * n + i] = (rand() % 100) / 50.0 - 1;
                }
            }
        }
        int *rp = calloc((size_t)n + 1, sizeof *rp), *ci = malloc((size_t)n * n * sizeof *ci);
        double *v = malloc((size_t)n * n * sizeof *v);
        int nz = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++)
                if (A[i * n + j] != 0) {
                    ci[nz] = j;
                    v[nz++] = A[i * n + j];
                }
            rp[i + 1] = nz;
        }
        gf__splu_t lu;
        assert_int_equal(gf__splu_analyze(&lu, n, rp, ci), 0);
        assert_int_equal(gf__splu_factor(&lu, v), 0);
        double *b = malloc((size_t)n * sizeof *b), *x = malloc((size_t)n * sizeof *x);
        for (int i = 0; i < n; i++)
            b[i] = x[i] = sin(i + trial);
        gf__splu_solve(&lu, x);
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < n; j++)
                s += A[i * n + j] * x[j];
            assert_true(fabs(s - b[i]) < 1e-10);
        }
        gf__splu_cleanup(&lu);
        free(A);
        free(rp);
        free(ci);
        free(v);
        free(b);
        free(x);
    }
}

static void test_splu_singular_is_reported(void **state)
{
    (void)state;
    int rp[] = {0, 2, 4}, ci[] = {0, 1, 0, 1};
    double v[] = {1, 2, 2, 4};
    gf__splu_t lu;
    assert_int_equal(gf__splu_analyze(&lu, 2, rp, ci), 0);
    assert_int_equal(gf__splu_factor(&lu, v), -1);
    gf__splu_cleanup(&lu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splu_random_systems),
        cmocka_unit_test(test_splu_singular_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
