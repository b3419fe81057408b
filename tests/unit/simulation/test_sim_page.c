/* Unit tests for services/simulation/sim_page.c: paging of result arrays, network views. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "powerflow/case.h"
#include "powerflow/solve.h"
#include "sim_page.h"

static json_t *numbers(size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)i));
    return a;
}

static void test_page_slices_every_named_array(void **state)
{
    (void)state;
    static const char *const names[] = {"bus", "branch", NULL};
    json_t *o = json_pack("{s:o,s:o,s:o,s:i}", "bus", numbers(10), "branch", numbers(25), "gen",
                          numbers(30), "x", 1);
    /* small enough and not asked for: untouched */
    assert_false(sim_page_arrays(o, names, 0, 50, false));
    assert_null(json_object_get(o, "page"));
    assert_true(sim_page_arrays(o, names, 8, 5, true));
    json_t *bus = json_object_get(o, "bus"), *br = json_object_get(o, "branch");
    assert_int_equal(json_array_size(bus), 2); /* 8, 9 */
    assert_int_equal(json_integer_value(json_array_get(bus, 0)), 8);
    assert_int_equal(json_array_size(br), 5);
    assert_int_equal(json_integer_value(json_array_get(br, 4)), 12);
    assert_int_equal(json_array_size(json_object_get(o, "gen")), 30); /* not named */
    json_t *pg = json_object_get(o, "page");
    assert_int_equal(json_integer_value(json_object_get(pg, "offset")), 8);
    assert_int_equal(json_integer_value(json_object_get(pg, "limit")), 5);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(pg, "total"), "bus")), 10);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(pg, "total"), "branch")),
                     25);
    assert_int_equal(json_integer_value(json_object_get(pg, "next_offset")), 13);
    json_decref(o);
    /* the last page: next_offset null; an array too long pages without being asked */
    o = json_pack("{s:o}", "bus", numbers(7));
    assert_true(sim_page_arrays(o, names, 0, 5, false));
    assert_int_equal(json_array_size(json_object_get(o, "bus")), 5);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "page"), "next_offset")),
                     5);
    json_decref(o);
    o = json_pack("{s:o}", "bus", numbers(7));
    assert_true(sim_page_arrays(o, names, 5, 5, true));
    assert_int_equal(json_array_size(json_object_get(o, "bus")), 2);
    assert_true(json_is_null(json_object_get(json_object_get(o, "page"), "next_offset")));
    json_decref(o);
    /* past the end: empty arrays */
    o = json_pack("{s:o}", "bus", numbers(7));
    assert_true(sim_page_arrays(o, names, 100, 5, true));
    assert_int_equal(json_array_size(json_object_get(o, "bus")), 0);
    json_decref(o);
}

static gf_pf_case_t *case9(void)
{
    const char *root = getenv("GF_TEST_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/services/simulation/cases/case9.m", root ? root : ".");
    gf_pf_case_t *c = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_case_load(path, &c, &e), 0);
    return c;
}

static void test_network_views(void **state)
{
    (void)state;
    gf_pf_case_t *c = case9();
    json_t *net = sim_network_of_case("case9", c);
    json_t *buses = json_object_get(net, "buses"), *brs = json_object_get(net, "branches");
    assert_int_equal(json_array_size(buses), 9);
    assert_int_equal(json_array_size(brs), 9);
    assert_string_equal(json_string_value(json_object_get(json_array_get(buses, 0), "type")),
                        "ref");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(brs, 3), "fbus")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(brs, 3), "row")), 3);
    json_decref(net);
    gf_pf_result_t *r = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_solve_pf(c, NULL, &r, &e), 0);
    json_t *res = gf_pf_result_to_json(r);
    net = sim_network_of_result(res);
    assert_non_null(net);
    buses = json_object_get(net, "buses");
    brs = json_object_get(net, "branches");
    assert_int_equal(json_array_size(buses), 9);
    assert_true(json_real_value(json_object_get(json_array_get(buses, 4), "vm_pu")) > 0.9);
    assert_string_equal(json_string_value(json_object_get(json_array_get(buses, 1), "type")), "pv");
    assert_true(json_real_value(json_object_get(json_array_get(brs, 0), "loading_percent")) > 0);
    json_decref(net);
    /* no bus/branch arrays (an N-1 or schedule result): no view */
    json_t *n1 = json_pack("{s:[]}", "contingencies");
    assert_null(sim_network_of_result(n1));
    json_decref(n1);
    json_decref(res);
    gf_pf_result_free(r);
    gf_pf_case_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_slices_every_named_array),
        cmocka_unit_test(test_network_views),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
