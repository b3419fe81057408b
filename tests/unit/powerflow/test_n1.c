/* test_n1.c - N-1 screening: all 186 branch outages of PGLib case118 by AC power flow on
 * 2 threads (same answer as 1 thread), islanding from the graph, ranking, OPF mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "pf_test_util.h"
#include "powerflow/n1.h"

static void test_n1_case118_pf_two_threads(void **state)
{
    (void)state;
    gf_pf_case_t *c = load_case("pglib_opf_case118_ieee.m");
    gf_pf_n1_params_t p;
    gf_pf_n1_params_init(&p);
    gf_pf_n1_report_t *r2 = NULL, *r1 = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_n1_run(c, NULL, &p, &r2, &e), 0);
    assert_int_equal(r2->n, 186);
    p.threads = 1;
    assert_int_equal(gf_pf_n1_run(c, NULL, &p, &r1, &e), 0);
    int islanded = 0;
    for (size_t i = 0; i < r2->n; i++) {
        assert_int_equal(r1->items[i].branch, r2->items[i].branch);
        assert_true(r1->items[i].severity == r2->items[i].severity);
        if (i > 0)
            assert_true(r2->items[i - 1].severity >= r2->items[i].severity);
        if (r2->items[i].outcome == GF_PF_N1_ISLANDED) {
            islanded++;
            assert_string_equal(r2->items[i].code, "network_islanded");
            assert_true(r2->items[i].islands >= 2);
        }
    }
    /* case118 has radial branches (e.g. 9-10 feeding generator bus 10) */
    assert_true(islanded > 0);
    assert_int_equal(r2->items[0].outcome, GF_PF_N1_ISLANDED);
    json_t *j = gf_pf_n1_report_to_json(r2);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "contingencies")), 186);
    json_decref(j);
    gf_pf_n1_report_free(r1);
    gf_pf_n1_report_free(r2);
    gf_pf_case_free(c);
}

static void test_n1_case9_list_and_opf(void **state)
{
    (void)state;
    gf_pf_case_t *c = load_case("case9.m");
    size_t list[] = {0, 2, 5};
    gf_pf_n1_params_t p;
    gf_pf_n1_params_init(&p);
    p.branches = list;
    p.n_branches = 3;
    p.mode = GF_PF_N1_ACOPF;
    gf_pf_n1_report_t *r = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_n1_run(c, NULL, &p, &r, &e), 0);
    assert_int_equal(r->n, 3);
    assert_true(fabs(r->base_cost - 5296.69) < 0.01);
    assert_int_equal(r->items[0].branch, 0); /* 1-4 islands generator 1 */
    assert_int_equal(r->items[0].outcome, GF_PF_N1_ISLANDED);
    for (size_t i = 1; i < 3; i++) {
        assert_true(r->items[i].outcome == GF_PF_N1_SECURE ||
                    r->items[i].outcome == GF_PF_N1_VIOLATION);
        assert_true(r->items[i].cost_increase > -1e-3); /* losing a line never helps */
    }
    gf_pf_n1_report_free(r);
    size_t bad[] = {42};
    p.branches = bad;
    p.n_branches = 1;
    assert_int_equal(gf_pf_n1_run(c, NULL, &p, &r, &e), GF_EINVAL);
    assert_string_equal(e.code, "bad_option");
    gf_err_cleanup(&e);
    gf_pf_case_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_n1_case118_pf_two_threads),
        cmocka_unit_test(test_n1_case9_list_and_opf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
