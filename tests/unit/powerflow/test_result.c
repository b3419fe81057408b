/* test_result.c - result shape: JSON fields, out-of-service rows, binding list names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "pf_test_util.h"
#include "powerflow/solve.h"

static void test_result_json_shape(void **state)
{
    (void)state;
    gf_pf_case_t *c = load_case("case9.m");
    gf_pf_opts_t o;
    gf_pf_opts_init(&o);
    size_t br[] = {4}; /* 6-7 out: still connected */
    o.branch_out = br;
    o.n_branch_out = 1;
    gf_pf_result_t *r = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_solve_acopf(c, &o, &r, &e), 0);
    json_t *j = gf_pf_result_to_json(r);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "acopf");
    assert_true(json_is_true(json_object_get(j, "converged")));
    assert_string_equal(json_string_value(json_object_get(j, "status")), "solve_succeeded");
    assert_true(fabs(json_real_value(json_object_get(j, "objective")) - r->objective) < 1e-9);
    json_t *bus = json_object_get(j, "bus"), *brs = json_object_get(j, "branch");
    assert_int_equal(json_array_size(bus), 9);
    assert_int_equal(json_array_size(brs), 9);
    json_t *b5 = json_array_get(bus, 4);
    assert_int_equal(json_integer_value(json_object_get(b5, "id")), 5);
    assert_non_null(json_object_get(b5, "lmp"));
    assert_non_null(json_object_get(b5, "va_degree"));
    json_t *out = json_array_get(brs, 4);
    assert_true(json_is_false(json_object_get(out, "in_service")));
    assert_true(json_real_value(json_object_get(out, "pf_mw")) == 0);
    assert_true(json_is_array(json_object_get(j, "binding")));
    for (size_t i = 0; i < r->n_binding; i++)
        assert_string_not_equal(gf_pf_bind_kind_name(r->binding[i].kind), "unknown");
    json_t *tot = json_object_get(j, "totals");
    assert_true(fabs(json_real_value(json_object_get(tot, "load_mw")) - 315) < 1e-9);
    /* branch losses are the sum of both ends */
    for (size_t k = 0; k < r->n_branch; k++)
        assert_true(fabs(r->branch[k].pl_mw - r->branch[k].pf_mw - r->branch[k].pt_mw) < 1e-12);
    json_decref(j);
    gf_pf_result_free(r);
    /* a power-flow result has no prices */
    assert_int_equal(gf_pf_solve_pf(c, NULL, &r, &e), 0);
    j = gf_pf_result_to_json(r);
    assert_null(json_object_get(json_array_get(json_object_get(j, "bus"), 0), "lmp"));
    assert_string_equal(json_string_value(json_object_get(j, "status")), "converged");
    json_decref(j);
    gf_pf_result_free(r);
    gf_pf_result_free(NULL);
    gf_pf_case_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_json_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
