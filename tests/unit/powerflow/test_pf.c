/* test_pf.c - Newton power flow against MATPOWER's runpf(case9) and on case30/case118 by
 * the independent branch-flow balance check; Q limits; failures with clear codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "pf_test_util.h"
#include "powerflow/solve.h"

static void test_pf_case9_matches_matpower(void **state)
{
    (void)state;
    /* MATPOWER runpf(case9) (data/case9.m with Vg 1.04/1.025/1.025): Vm, Va (deg) */
    static const double vm[9] = {1.040,  1.025,  1.025,  1.0258, 1.0127,
                                 1.0324, 1.0159, 1.0258, 0.9956};
    static const double va[9] = {0, 9.280, 4.665, -2.217, -3.687, 1.967, 0.728, 3.720, -3.989};
    gf_pf_case_t *c = load_case("case9.m");
    gf_pf_result_t *r = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_solve_pf(c, NULL, &r, &e), 0);
    assert_true(r->converged);
    assert_true(r->iterations >= 3 && r->iterations <= 6);
    for (int i = 0; i < 9; i++) {
        assert_true(fabs(r->bus[i].vm_pu - vm[i]) < 6e-5);
        assert_true(fabs(r->bus[i].va_degree - va[i]) < 6e-4);
    }
    /* slack 71.64 MW / 27.05 MVAr, gen 2 6.65 MVAr, gen 3 -10.86 MVAr, losses 4.64 MW */
    assert_true(fabs(r->gen[0].p_mw - 71.64) < 0.01);
    assert_true(fabs(r->gen[0].q_mvar - 27.05) < 0.01);
    assert_true(fabs(r->gen[1].q_mvar - 6.65) < 0.01);
    assert_true(fabs(r->gen[2].q_mvar - (-10.86)) < 0.01);
    assert_true(fabs(r->losses_mw - 4.641) < 0.001);
    assert_true(r->max_mismatch < 1e-6);
    gf_pf_result_free(r);
    gf_pf_case_free(c);
}

static void test_pf_balance_case30_case118(void **state)
{
    (void)state;
    const char *files[] = {"case30.m", "pglib_opf_case118_ieee.m"};
    for (size_t f = 0; f < 2; f++) {
        gf_pf_case_t *c = load_case(files[f]);
        gf_pf_result_t *r = NULL;
        gf_err_t e = {0};
        gf_pf_opts_t o;
        gf_pf_opts_init(&o);
        o.flat_start = true;
        int rc = gf_pf_solve_pf(c, &o, &r, &e);
        if (rc != 0)
            fail_msg("%s: %s", files[f], e.message);
        /* max_mismatch is recomputed from branch flows, independent of the Ybus Newton */
        assert_true(r->max_mismatch < 1e-5);
        /* PV and REF buses hold their set-points, the reference angle stays */
        for (size_t g = 0; g < c->n_gen; g++) {
            long b = gf_pf_case_bus_index(c, c->gen[g].bus);
            if (c->gen[g].status > 0)
                assert_true(fabs(r->bus[b].vm_pu - c->gen[g].vg) < 1e-9);
        }
        double gen = 0;
        for (size_t g = 0; g < c->n_gen; g++)
            gen += r->gen[g].p_mw;
        double shunt = 0;
        for (size_t i = 0; i < c->n_bus; i++)
            shunt += c->bus[i].gs * r->bus[i].vm_pu * r->bus[i].vm_pu;
        assert_true(fabs(gen - r->total_load_mw - r->losses_mw - shunt) < 1e-4);
        gf_pf_result_free(r);
        gf_pf_case_free(c);
    }
}

static void test_pf_case30_published_values(void **state)
{
    (void)state;
    /* MATPOWER runpf(case30): slack gen 1 ~ 25.97 MW is the only P that moves; gens 2..6 keep
     * Pg; total load 189.2 MW. */
    gf_pf_case_t *c = load_case("case30.m");
    gf_pf_result_t *r = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_solve_pf(c, NULL, &r, &e), 0);
    assert_true(fabs(r->total_load_mw - 189.2) < 1e-9);
    for (size_t g = 1; g < c->n_gen; g++)
        assert_true(fabs(r->gen[g].p_mw - c->gen[g].pg) < 1e-9);
    assert_true(fabs(r->total_gen_mw - (189.2 + r->losses_mw)) < 1e-5);
    assert_true(r->losses_mw > 0 && r->losses_mw < 5);
    gf_pf_result_free(r);
    gf_pf_case_free(c);
}

static void test_pf_q_limits(void **state)
{
    (void)state;
    gf_pf_case_t *c = load_case("case9.m");
    gf_pf_case_t *d = gf_pf_case_dup(c);
    d->gen[0].qmax = 20; /* slack keeps its Q; gen 3 absorbs -10.86: limit at -5 */
    d->gen[2].qmin = -5;
    gf_pf_opts_t o;
    gf_pf_opts_init(&o);
    o.enforce_q_lims = true;
    gf_pf_result_t *r = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_solve_pf(d, &o, &r, &e), 0);
    assert_true(fabs(r->gen[2].q_mvar - (-5)) < 1e-6);
    assert_true(r->gen[2].at_qmin);
    assert_true(r->bus[2].vm_pu > 1.025); /* absorbs less, so the voltage rises */
    assert_true(r->max_mismatch < 1e-6);
    gf_pf_result_free(r);
    gf_pf_case_free(d);
    gf_pf_case_free(c);
}

static void test_pf_outage_errors(void **state)
{
    (void)state;
    gf_pf_case_t *c = load_case("case9.m");
    gf_pf_opts_t o;
    gf_pf_opts_init(&o);
    size_t br[] = {0};
    o.branch_out = br;
    o.n_branch_out = 1;
    gf_pf_result_t *r = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_solve_pf(c, &o, &r, &e), GF_EUNPROCESSABLE);
    assert_string_equal(e.code, "network_islanded");
    assert_null(r);
    gf_err_cleanup(&e);
    /* a load far beyond what the network can carry: Newton diverges */
    gf_pf_opts_init(&o);
    o.load_scale = 8;
    int rc = gf_pf_solve_pf(c, &o, &r, &e);
    assert_int_equal(rc, GF_EUNPROCESSABLE);
    assert_true(strcmp(e.code, "pf_not_converged") == 0 ||
                strcmp(e.code, "pf_singular_jacobian") == 0);
    assert_non_null(r);
    assert_false(r->converged);
    gf_pf_result_free(r);
    gf_err_cleanup(&e);
    /* every generator out */
    size_t gens[] = {0, 1, 2};
    gf_pf_opts_init(&o);
    o.gen_out = gens;
    o.n_gen_out = 3;
    assert_int_equal(gf_pf_solve_pf(c, &o, &r, &e), GF_EUNPROCESSABLE);
    assert_string_equal(e.code, "no_generation");
    gf_err_cleanup(&e);
    gf_pf_case_free(c);
}

static void test_pf_gen_outage_moves_reference(void **state)
{
    (void)state;
    gf_pf_case_t *c = load_case("case9.m");
    gf_pf_opts_t o;
    gf_pf_opts_init(&o);
    size_t gens[] = {0}; /* the slack generator */
    o.gen_out = gens;
    o.n_gen_out = 1;
    gf_pf_result_t *r = NULL;
    gf_err_t e = {0};
    /* bus 1 keeps no gen and no load: it becomes a PQ bus hanging on branch 1-4 */
    assert_int_equal(gf_pf_solve_pf(c, &o, &r, &e), 0);
    assert_false(r->gen[0].in_service);
    assert_true(r->gen[0].p_mw == 0);
    assert_true(r->max_mismatch < 1e-6);
    gf_pf_result_free(r);
    gf_pf_case_free(c);
}

/* Independent check of the Newton solver on a case with phase shifters and taps: a power
 * flow at the AC-OPF dispatch (Pg, and Vg = the OPF voltage at gen buses) must land on the
 * OPF voltages, which Ipopt found with a different (branch-wise) model of the flows. */
static void test_pf_reproduces_opf_point_case300(void **state)
{
    (void)state;
    gf_pf_case_t *c = load_case("pglib_opf_case300_ieee.m");
    gf_pf_result_t *r = NULL, *p = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_solve_acopf(c, NULL, &r, &e), 0);
    gf_pf_case_t *d = gf_pf_case_dup(c);
    for (size_t g = 0; g < d->n_gen; g++) {
        d->gen[g].pg = r->gen[g].p_mw;
        d->gen[g].vg = r->bus[gf_pf_case_bus_index(d, d->gen[g].bus)].vm_pu;
    }
    gf_pf_opts_t o;
    gf_pf_opts_init(&o);
    o.flat_start = true;
    assert_int_equal(gf_pf_solve_pf(d, &o, &p, &e), 0);
    for (size_t i = 0; i < d->n_bus; i++) {
        assert_true(fabs(p->bus[i].vm_pu - r->bus[i].vm_pu) < 1e-4);
        assert_true(fabs(p->bus[i].va_degree - r->bus[i].va_degree) < 1e-3);
    }
    gf_pf_result_free(p);
    gf_pf_result_free(r);
    gf_pf_case_free(d);
    gf_pf_case_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pf_case9_matches_matpower),
        cmocka_unit_test(test_pf_balance_case30_case118),
        cmocka_unit_test(test_pf_case30_published_values),
        cmocka_unit_test(test_pf_q_limits),
        cmocka_unit_test(test_pf_outage_errors),
        cmocka_unit_test(test_pf_gen_outage_moves_reference),
        cmocka_unit_test(test_pf_reproduces_opf_point_case300),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
