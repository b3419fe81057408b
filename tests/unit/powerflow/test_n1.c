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
    assert_int_equal((size_t)islanded, r2->n_islanded);
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
    /* 1-4 islands generator 1 (the reference bus): the rest is solved, what was cut off is
     * reported (bus 1, its base dispatch, no load) */
    const gf_pf_n1_item_t *isl = NULL;
    for (size_t i = 0; i < 3; i++)
        if (r->items[i].branch == 0)
            isl = &r->items[i];
    assert_non_null(isl);
    assert_int_equal(isl->outcome, GF_PF_N1_ISLANDED);
    assert_int_equal(isl->n_island, 1);
    assert_int_equal(isl->island_buses[0], 1);
    assert_true(isl->lost_gen_mw > 50); /* gen 1's OPF dispatch */
    assert_true(isl->lost_load_mw == 0);
    assert_true(isl->cost > 0); /* the rest was dispatched by the OPF */
    for (size_t i = 0; i < 3; i++) {
        if (r->items[i].branch == 0)
            continue;
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

/* case9 plus bus 10 (10 MW, 3 MVAr) hanging off bus 9 by branch row 9, and bus 11 with a
 * 30 MW generator hanging off bus 5 by branch row 10. */
static gf_pf_case_t *radial_case9(void)
{
    const char *root = getenv("GF_TEST_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/services/simulation/cases/case9.m", root ? root : ".");
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    static char text[65536];
    size_t len = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[len] = 0;
    /* insert rows right after the opening line of each block */
    const char *adds[][2] = {
        {"mpc.bus = [\n", "\t10\t1\t10\t3\t0\t0\t1\t1\t0\t345\t1\t1.1\t0.9;\n"
                          "\t11\t2\t0\t0\t0\t0\t1\t1\t0\t345\t1\t1.1\t0.9;\n"},
        {"mpc.gen = [\n", NULL},
        {"mpc.branch = [\n", NULL},
        {"mpc.gencost = [\n", NULL},
    };
    static char out[70000];
    char *o = out;
    const char *s = text;
    for (size_t a = 0; a < 4; a++) {
        const char *p = strstr(s, adds[a][0]);
        assert_non_null(p);
        p += strlen(adds[a][0]);
        memcpy(o, s, (size_t)(p - s));
        o += p - s;
        s = p;
        if (a == 0) {
            o += sprintf(o, "%s", adds[a][1]);
        } else {
            /* append at the end of the block instead (rows keep their numbers) */
            const char *e = strstr(s, "];");
            assert_non_null(e);
            memcpy(o, s, (size_t)(e - s));
            o += e - s;
            s = e;
            if (a == 1)
                o += sprintf(
                    o,
                    "\t11\t30\t0\t50\t-50\t1\t100\t1\t60\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0;\n");
            else if (a == 2)
                o += sprintf(o, "\t9\t10\t0.01\t0.05\t0\t250\t250\t250\t0\t0\t1\t-360\t360;\n"
                                "\t5\t11\t0.01\t0.05\t0\t250\t250\t250\t0\t0\t1\t-360\t360;\n");
            else
                o += sprintf(o, "\t2\t0\t0\t3\t0.1\t20\t0;\n");
        }
    }
    o += sprintf(o, "%s", s);
    gf_pf_case_t *r = NULL;
    gf_err_t e = {0};
    if (gf_pf_case_parse(out, (size_t)(o - out), &r, &e) != 0)
        fail_msg("radial case: %s %s", e.code, e.message);
    return r;
}

static const gf_pf_n1_item_t *item_of(const gf_pf_n1_report_t *r, size_t branch)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].branch == branch)
            return &r->items[i];
    fail_msg("branch %zu not in the report", branch);
    return NULL;
}

/* Islanding outages: the rest is solved, the cut-off part reported with its load and
 * generation; same answers on the reused base and from scratch. */
static void test_n1_islands_lost_load_and_gen(void **state)
{
    (void)state;
    gf_pf_case_t *c = radial_case9();
    assert_int_equal(c->n_branch, 11);
    for (int scratch = 0; scratch < 2; scratch++) {
        gf_pf_n1_params_t p;
        gf_pf_n1_params_init(&p);
        p.from_scratch = scratch;
        gf_pf_n1_report_t *r = NULL;
        gf_err_t e = {0};
        assert_int_equal(gf_pf_n1_run(c, NULL, &p, &r, &e), 0);
        assert_int_equal(r->n, 11);
        const gf_pf_n1_item_t *load = item_of(r, 9), *gen = item_of(r, 10);
        assert_int_equal(load->outcome, GF_PF_N1_ISLANDED);
        assert_int_equal(load->n_island, 1);
        assert_int_equal(load->island_buses[0], 10);
        assert_true(fabs(load->lost_load_mw - 10) < 1e-9);
        assert_true(load->lost_gen_mw == 0);
        assert_true(load->severity >= 10); /* the lost load ranks it */
        assert_int_equal(gen->outcome, GF_PF_N1_ISLANDED);
        assert_int_equal(gen->island_buses[0], 11);
        assert_true(fabs(gen->lost_gen_mw - 30) < 1e-9);
        assert_true(gen->lost_load_mw == 0);
        /* the generator at 2 ... and bus 1 (reference) cut off by row 0 */
        const gf_pf_n1_item_t *ref = item_of(r, 0);
        assert_int_equal(ref->outcome, GF_PF_N1_ISLANDED);
        assert_int_equal(ref->island_buses[0], 1);
        assert_true(ref->lost_gen_mw > 10);
        assert_int_equal(r->n_islanded, 5); /* rows 0, 3, 6 (gen buses 1, 3, 2), 9, 10 */
        assert_int_equal(r->n_failed, 0);
        assert_int_equal(r->n_reused, scratch ? 0 : 10); /* row 0 cuts off the reference */
        gf_pf_n1_report_free(r);
    }
    gf_pf_case_free(c);
}

/* The reused-base Newton gives what a from-scratch solve gives, outage by outage. */
static void test_n1_reuse_matches_scratch(void **state)
{
    (void)state;
    const char *files[] = {"pglib_opf_case118_ieee.m", "pglib_opf_case57_ieee.m", "case30.m"};
    for (size_t f = 0; f < 3; f++) {
        gf_pf_case_t *c = load_case(files[f]);
        gf_pf_n1_params_t p;
        gf_pf_n1_params_init(&p);
        gf_pf_n1_report_t *fast = NULL, *full = NULL;
        gf_err_t e = {0};
        assert_int_equal(gf_pf_n1_run(c, NULL, &p, &fast, &e), 0);
        p.from_scratch = true;
        assert_int_equal(gf_pf_n1_run(c, NULL, &p, &full, &e), 0);
        assert_int_equal(fast->n, full->n);
        assert_true(fast->n_reused > fast->n / 2);
        assert_int_equal(full->n_reused, 0);
        for (size_t i = 0; i < fast->n; i++) {
            const gf_pf_n1_item_t *a = &fast->items[i], *b = item_of(full, a->branch);
            if (a->outcome != b->outcome)
                fail_msg("%s branch %zu: %s vs %s", files[f], a->branch, a->code, b->code);
            if (a->outcome == GF_PF_N1_FAILED)
                continue;
            assert_int_equal(a->n_overloads, b->n_overloads);
            assert_int_equal(a->n_voltage, b->n_voltage);
            assert_true(fabs(a->max_loading_percent - b->max_loading_percent) < 1e-4);
            assert_true(fabs(a->severity - b->severity) < 1e-3 * (1 + b->severity));
            assert_true(fabs(a->lost_load_mw - b->lost_load_mw) < 1e-9);
        }
        gf_pf_n1_report_free(fast);
        gf_pf_n1_report_free(full);
        gf_pf_case_free(c);
    }
}

/* The base case's own overloads are reported apart and do not flag every contingency:
 * PGLib case118's power flow at the case dispatch overloads 10 branches (rows 65, 66, 95,
 * 104-108, 115, 118); counted against every contingency they flagged 176 of 186. */
static void test_n1_base_violations_apart(void **state)
{
    (void)state;
    gf_pf_case_t *c = load_case("pglib_opf_case118_ieee.m");
    gf_pf_n1_params_t p;
    gf_pf_n1_params_init(&p);
    gf_pf_n1_report_t *r = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_n1_run(c, NULL, &p, &r, &e), 0);
    assert_int_equal(r->n_base_overloads, 10);
    assert_int_equal(r->base_overloads[0].row, 65);
    for (size_t i = 0; i < r->n_base_overloads; i++)
        assert_true(r->base_overloads[i].value > 100);
    size_t still_over = 0; /* contingencies whose worst branch is above 100 % anyway */
    for (size_t i = 0; i < r->n; i++) {
        const gf_pf_n1_item_t *it = &r->items[i];
        if (it->max_loading_percent > 100)
            still_over++;
        assert_true(it->overload_sum >= 0);
        if (it->outcome == GF_PF_N1_SECURE)
            assert_int_equal(it->n_overloads, 0);
    }
    assert_true(still_over > 170);
    assert_true(r->n_secure > 80); /* what the outages add, not what the base had */
    assert_int_equal(r->n_secure + r->n_violation + r->n_islanded + r->n_failed, r->n);
    json_t *j = gf_pf_n1_report_to_json(r);
    assert_int_equal(json_array_size(json_object_get(json_object_get(j, "base"), "overloads")), 10);
    json_decref(j);
    gf_pf_n1_report_free(r);
    gf_pf_case_free(c);
}

static void count_progress(void *arg, size_t done, size_t total)
{
    size_t *last = arg;
    assert_true(done <= total);
    __atomic_store_n(last, done, __ATOMIC_SEQ_CST);
}

static void test_n1_progress(void **state)
{
    (void)state;
    gf_pf_case_t *c = load_case("pglib_opf_case118_ieee.m");
    gf_pf_n1_params_t p;
    gf_pf_n1_params_init(&p);
    size_t last = 0;
    p.progress = count_progress;
    p.progress_arg = &last;
    p.threads = 1;
    gf_pf_n1_report_t *r = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_n1_run(c, NULL, &p, &r, &e), 0);
    assert_int_equal(last, r->n);
    gf_pf_n1_report_free(r);
    gf_pf_case_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_n1_case118_pf_two_threads),
        cmocka_unit_test(test_n1_case9_list_and_opf),
        cmocka_unit_test(test_n1_islands_lost_load_and_gen),
        cmocka_unit_test(test_n1_reuse_matches_scratch),
        cmocka_unit_test(test_n1_base_violations_apart),
        cmocka_unit_test(test_n1_progress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
