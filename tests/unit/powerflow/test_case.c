/*
 * test_case.c - MATPOWER parser: every block, both cost models, 21-column gens, comments,
 * blocks in any order, and a table of bad inputs with their error codes and line numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "powerflow/case.h"

/* A small valid case; tests build variants by string substitution. */
static const char *BASE = "function mpc = tiny\n"
                          "%% comment line\n"
                          "mpc.version = '2';\n"
                          "mpc.baseMVA = 100;\n"
                          "mpc.bus = [\n"
                          "\t10\t3\t0\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;\n"
                          "\t20\t1\t50\t10\t0\t5\t1\t1\t0\t230\t1\t1.1\t0.9; % trailing comment\n"
                          "\t7\t2\t20\t5\t1\t0\t1\t1\t0\t230\t1\t1.1\t0.9\n"
                          "\t99\t4\t0\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;\n"
                          "];\n"
                          "mpc.gen = [\n"
                          "\t10\t0\t0\t100\t-100\t1.02\t100\t1\t200\t0;\n"
                          "\t7\t40\t0\t50\t-50\t1.01\t100\t0\t80\t10;\n"
                          "];\n"
                          "mpc.branch = [\n"
                          "\t10\t20\t0.01\t0.1\t0.02\t100\t100\t100\t0\t0\t1\t-360\t360;\n"
                          "\t20\t7\t0.02\t0.2\t0.0\t0\t0\t0\t0.98\t2.5\t1\t-30\t30;\n"
                          "\t10\t7\t0.02\t0.2\t0.0\t0\t0\t0\t0\t0\t0\t-360\t360;\n"
                          "];\n"
                          "mpc.gencost = [\n"
                          "\t2\t0\t0\t3\t0.01\t20\t5\t0\t0\t0;\n"
                          "\t1\t0\t0\t3\t0\t0\t40\t800\t80\t2000;\n"
                          "];\n";

static int parse_str(const char *s, gf_pf_case_t **c, gf_err_t *e)
{
    return gf_pf_case_parse(s, strlen(s), c, e);
}

/* Copy of BASE with the first occurrence of `from` replaced by `to`. Caller frees. */
static char *subst(const char *from, const char *to)
{
    const char *p = strstr(BASE, from);
    assert_non_null(p);
    size_t n = strlen(BASE) + strlen(to) + 1;
    char *out = malloc(n);
    size_t pre = (size_t)(p - BASE);
    memcpy(out, BASE, pre);
    strcpy(out + pre, to);
    strcat(out, p + strlen(from));
    return out;
}

static void test_case_parse_all_blocks(void **state)
{
    (void)state;
    gf_pf_case_t *c = NULL;
    gf_err_t e = {0};
    assert_int_equal(parse_str(BASE, &c, &e), 0);
    assert_string_equal(c->name, "tiny");
    assert_true(c->base_mva == 100);
    assert_int_equal(c->n_bus, 4);
    assert_int_equal(c->n_gen, 2);
    assert_int_equal(c->n_branch, 3);
    assert_int_equal(c->bus[1].id, 20);
    assert_true(c->bus[1].pd == 50 && c->bus[1].qd == 10 && c->bus[1].bs == 5);
    assert_int_equal(c->bus[3].type, GF_PF_ISOLATED);
    assert_true(c->bus[2].gs == 1);
    assert_int_equal(gf_pf_case_bus_index(c, 7), 2);
    assert_int_equal(gf_pf_case_bus_index(c, 99), 3);
    assert_int_equal(gf_pf_case_bus_index(c, 8), -1);
    assert_int_equal(c->gen[1].status, 0);
    assert_true(c->gen[0].vg == 1.02 && c->gen[1].pmin == 10);
    assert_true(c->branch[1].ratio == 0.98 && c->branch[1].angle == 2.5);
    assert_true(c->branch[1].angmin == -30);
    assert_int_equal(c->branch[2].status, 0);
    assert_non_null(c->gencost);
    assert_int_equal(c->gencost[0].model, GF_PF_COST_POLY);
    assert_int_equal(c->gencost[0].n, 3);
    assert_true(c->gencost[0].c[0] == 0.01 && c->gencost[0].c[1] == 20 && c->gencost[0].c[2] == 5);
    assert_int_equal(c->gencost[1].model, GF_PF_COST_PWL);
    assert_int_equal(c->gencost[1].n, 3);
    assert_true(c->gencost[1].c[4] == 80 && c->gencost[1].c[5] == 2000);
    gf_pf_case_t *d = gf_pf_case_dup(c);
    assert_true(d->gencost[1].c != c->gencost[1].c);
    assert_true(d->gencost[1].c[5] == 2000);
    assert_int_equal(gf_pf_case_bus_index(d, 20), 1);
    gf_pf_case_free(d);
    gf_pf_case_free(c);
    gf_err_cleanup(&e);
}

static void test_case_parse_any_order_and_extras(void **state)
{
    (void)state;
    const char *txt =
        "% header\n"
        "mpc.gencost = [2 0 0 2 10 0 0 0; 2 0 0 4 1 2 3 4];\n" /* cubic: 4 coefficients */
        "mpc.areas = [1 1;];\n"
        "mpc.bus_name = {'a'; 'b { x }'};\n"
        "mpc.branch = [1, 2, 0.01, 0.1, 0, 0, 0, 0, 0, 0, 1, -360, 360];\n"
        "mpc.gen = [1 10 0 10 -10 1 100 1 50 0 0 0 0 0 0 0 0 0 0 0 0;\n"
        "           2 10 0 Inf -Inf 1 100 1 50 0 0 0 0 0 0 0 0 0 0 0 0 ...\n"
        "           ];\n"
        "mpc.bus = [1 3 0 0 0 0 1 1 0 1 1 1.1 0.9; 2 1 5 1 0 0 1 1 0 1 1 1.1 0.9];\n"
        "mpc.baseMVA = 100.0;\n"
        "mpc.version = '2';\n";
    gf_pf_case_t *c = NULL;
    gf_err_t e = {0};
    int rc = parse_str(txt, &c, &e);
    if (rc != 0)
        fail_msg("%s: %s", e.code, e.message);
    assert_int_equal(c->n_gen, 2);
    assert_true(isinf(c->gen[1].qmax) && c->gen[1].qmax > 0 && c->gen[1].qmin < 0);
    assert_int_equal(c->gencost[0].n, 2);
    assert_int_equal(c->gencost[1].n, 4);
    assert_true(c->gencost[1].c[3] == 4);
    gf_pf_case_free(c);
    gf_err_cleanup(&e);
}

static void test_case_parse_real_files(void **state)
{
    (void)state;
    const char *root = getenv("GF_TEST_ROOT");
    const struct {
        const char *file;
        size_t nb, ng, nbr;
    } files[] = {
        {"case9.m", 9, 3, 9},
        {"case30.m", 30, 6, 41},
        {"pglib_opf_case5_pjm.m", 5, 5, 6},
        {"pglib_opf_case118_ieee.m", 118, 54, 186},
        {"pglib_opf_case300_ieee.m", 300, 69, 411},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/services/simulation/cases/%s", root ? root : ".",
                 files[i].file);
        gf_pf_case_t *c = NULL;
        gf_err_t e = {0};
        int rc = gf_pf_case_load(path, &c, &e);
        if (rc != 0)
            fail_msg("%s: %s %s", path, e.code, e.message);
        assert_int_equal(c->n_bus, files[i].nb);
        assert_int_equal(c->n_gen, files[i].ng);
        assert_int_equal(c->n_branch, files[i].nbr);
        assert_non_null(c->gencost);
        gf_pf_case_free(c);
    }
    gf_pf_case_t *c = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_case_load("/nonexistent/x.m", &c, &e), GF_ENOTFOUND);
    assert_string_equal(e.code, "case_not_found");
    assert_null(c);
    gf_err_cleanup(&e);
}

/* Bad inputs: (from, to) substitution in BASE -> rc, code, line. */
static void test_case_parse_errors_table(void **state)
{
    (void)state;
    const struct {
        const char *from, *to;
        int rc;
        const char *code;
        int line;
    } t[] = {
        /* wrong column count in a bus row */
        {"\t20\t1\t50\t10\t0\t5", "\t20\t1\t50\t10\t5", GF_EINVAL, GF_PF_ECASE_COLUMNS, 7},
        /* extra column */
        {"1.02\t100\t1\t200\t0;", "1.02\t100\t1\t200\t0\t3;", GF_EINVAL, GF_PF_ECASE_COLUMNS, 13},
        /* non-numeric */
        {"\t50\t10\t", "\t50\tabc\t", GF_EINVAL, GF_PF_ECASE_NUMBER, 7},
        {"\t0.01\t0.1\t", "\t0.01\t0x10\t", GF_EINVAL, GF_PF_ECASE_NUMBER, 16},
        {"\t0.01\t0.1\t", "\t0.01\tNaN\t", GF_EINVAL, GF_PF_ECASE_NUMBER, 16},
        /* missing baseMVA */
        {"mpc.baseMVA = 100;\n", "\n", GF_EINVAL, GF_PF_ECASE_NO_BASEMVA, 0},
        {"mpc.baseMVA = 100;", "mpc.baseMVA = -5;", GF_EINVAL, GF_PF_ECASE_VALUE, 4},
        /* unknown bus in branch */
        {"\t20\t7\t0.02", "\t20\t8\t0.02", GF_EUNPROCESSABLE, GF_PF_ECASE_UNKNOWN_BUS, 17},
        /* unknown bus in gen */
        {"\t7\t40\t0", "\t8\t40\t0", GF_EUNPROCESSABLE, GF_PF_ECASE_UNKNOWN_BUS, 13},
        /* duplicate bus */
        {"\t7\t2\t20", "\t20\t2\t20", GF_EUNPROCESSABLE, GF_PF_ECASE_DUP_BUS, 8},
        /* no reference bus */
        {"\t10\t3\t0", "\t10\t2\t0", GF_EUNPROCESSABLE, GF_PF_ECASE_NO_REF, 5},
        /* bad bus type */
        {"\t10\t3\t0", "\t10\t5\t0", GF_EINVAL, GF_PF_ECASE_VALUE, 6},
        /* non-integer bus number */
        {"\t10\t3\t0", "\t10.5\t3\t0", GF_EINVAL, GF_PF_ECASE_VALUE, 6},
        /* wrong version */
        {"mpc.version = '2';", "mpc.version = '1';", GF_EINVAL, GF_PF_ECASE_VERSION, 3},
        /* gencost: n too large for the columns, wrong row count, pwl x not increasing */
        {"\t2\t0\t0\t3\t0.01", "\t2\t0\t0\t9\t0.01", GF_EINVAL, GF_PF_ECASE_GENCOST, 21},
        {"\t1\t0\t0\t3\t0\t0\t40\t800\t80\t2000;\n", "", GF_EINVAL, GF_PF_ECASE_GENCOST, 21},
        {"40\t800\t80\t2000", "40\t800\t30\t2000", GF_EINVAL, GF_PF_ECASE_GENCOST, 22},
        {"\t2\t0\t0\t3\t0.01", "\t3\t0\t0\t3\t0.01", GF_EINVAL, GF_PF_ECASE_GENCOST, 21},
        /* syntax: garbage statement, missing '=', unterminated string, stray bracket */
        {"mpc.version = '2';", "x = 3;", GF_EINVAL, GF_PF_ECASE_SYNTAX, 3},
        {"mpc.version = '2';", "mpc.version '2';", GF_EINVAL, GF_PF_ECASE_SYNTAX, 3},
        {"mpc.version = '2';", "mpc.version = '2;", GF_EINVAL, GF_PF_ECASE_TRUNCATED, 3},
        {"\t50\t10\t", "\t50\t(10\t", GF_EINVAL, GF_PF_ECASE_SYNTAX, 7},
        {"mpc.bus = [", "mpc.bus = 3;\nmpc.x = [", GF_EINVAL, GF_PF_ECASE_SYNTAX, 5},
        /* a block assigned twice; a missing block */
        {"mpc.gencost = [", "mpc.gen = [", GF_EINVAL, GF_PF_ECASE_SYNTAX, 20},
        {"mpc.gen = [", "mpc.generators = [", GF_EINVAL, GF_PF_ECASE_MISSING, 0},
        /* 11-column gen, zero-impedance branch, self loop, Vmax < Vmin */
        {"1.02\t100\t1\t200\t0;\n\t7\t40\t0\t50\t-50\t1.01\t100\t0\t80\t10;",
         "1.02\t100\t1\t200\t0\t0;\n\t7\t40\t0\t50\t-50\t1.01\t100\t0\t80\t10\t0;", GF_EINVAL,
         GF_PF_ECASE_COLUMNS, 12},
        {"\t20\t7\t0.02\t0.2", "\t20\t7\t0\t0", GF_EUNPROCESSABLE, GF_PF_ECASE_VALUE, 17},
        {"\t20\t7\t0.02\t0.2", "\t20\t20\t0.02\t0.2", GF_EUNPROCESSABLE, GF_PF_ECASE_VALUE, 17},
        {"1.1\t0.9;\n\t20", "0.8\t0.9;\n\t20", GF_EINVAL, GF_PF_ECASE_VALUE, 6},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *txt = subst(t[i].from, t[i].to);
        gf_pf_case_t *c = (gf_pf_case_t *)1;
        gf_err_t e = {0};
        int rc = parse_str(txt, &c, &e);
        if (rc != t[i].rc || strcmp(e.code, t[i].code) != 0)
            fail_msg("case %zu: rc %d code %s (%s); want %d %s", i, rc, e.code, e.message, t[i].rc,
                     t[i].code);
        assert_null(c);
        if (t[i].line > 0) {
            char want[32];
            snprintf(want, sizeof want, "line %d:", t[i].line);
            if (strncmp(e.message, want, strlen(want)) != 0)
                fail_msg("case %zu: message '%s' does not start with '%s'", i, e.message, want);
            json_t *d = json_array_get(e.details, 0);
            assert_int_equal(json_integer_value(json_object_get(d, "line")), t[i].line);
        }
        gf_err_cleanup(&e);
        free(txt);
    }
}

static void test_case_parse_truncated_everywhere(void **state)
{
    (void)state;
    /* Every prefix of BASE must fail cleanly or parse; none may crash. */
    size_t n = strlen(BASE);
    int ok = 0;
    for (size_t k = 0; k < n; k++) {
        gf_pf_case_t *c = NULL;
        gf_err_t e = {0};
        int rc = gf_pf_case_parse(BASE, k, &c, &e);
        if (rc == 0) {
            ok++;
            gf_pf_case_free(c);
        } else {
            assert_true(rc < 0);
            assert_true(e.code[0] != '\0');
        }
        gf_err_cleanup(&e);
    }
    assert_true(ok < 10); /* only cuts after the last complete block parse */
    gf_pf_case_t *c = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_case_parse(BASE, strlen(BASE) - 3, &c, &e), GF_EINVAL);
    assert_string_equal(e.code, GF_PF_ECASE_TRUNCATED);
    gf_err_cleanup(&e);
    /* truncated inside mpc.branch: the error names the line of the last row read */
    const char *cut = strstr(BASE, "\t10\t7\t0.02");
    assert_int_equal(gf_pf_case_parse(BASE, (size_t)(cut - BASE) + 8, &c, &e), GF_EINVAL);
    assert_string_equal(e.code, GF_PF_ECASE_TRUNCATED);
    assert_non_null(strstr(e.message, "line 18"));
    gf_err_cleanup(&e);
    assert_int_equal(gf_pf_case_parse("", 0, &c, &e), GF_EINVAL);
    assert_string_equal(e.code, GF_PF_ECASE_NO_BASEMVA);
    gf_err_cleanup(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_parse_all_blocks),
        cmocka_unit_test(test_case_parse_any_order_and_extras),
        cmocka_unit_test(test_case_parse_real_files),
        cmocka_unit_test(test_case_parse_errors_table),
        cmocka_unit_test(test_case_parse_truncated_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
