/* test_network.c - network model: Ybus against hand-computed values, taps and phase
 * shifters, outages as an overlay (the case is not modified), islanding detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "pf_test_util.h"
#include "powerflow/network.h"

static const char *TWO_BUS =
    "mpc.baseMVA = 100;\n"
    "mpc.bus = [1 3 0 0 0 0 1 1 0 1 1 1.1 0.9; 5 1 50 10 10 20 1 1 0 1 1 1.1 0.9;"
    " 9 4 0 0 0 0 1 1 0 1 1 1.1 0.9];\n"
    "mpc.gen = [1 0 0 100 -100 1 100 1 100 0];\n"
    "mpc.branch = [1 5 0.01 0.1 0.2 0 0 0 0.95 10 1 -360 360];\n";

static double yval(const gf_pf_net_t *n, int i, int j, int im)
{
    const int *rp, *ci;
    const double *g, *b;
    gf_pf_net_ybus(n, &rp, &ci, &g, &b);
    for (int q = rp[i]; q < rp[i + 1]; q++)
        if (ci[q] == j)
            return im ? b[q] : g[q];
    return NAN;
}

static void test_network_ybus_tap_shift_shunt(void **state)
{
    (void)state;
    gf_pf_case_t *c = NULL;
    gf_err_t e = {0};
    assert_int_equal(gf_pf_case_parse(TWO_BUS, strlen(TWO_BUS), &c, &e), 0);
    gf_pf_net_t *n = gf_pf_net_new(c, NULL, &e);
    assert_non_null(n);
    assert_int_equal(gf_pf_net_n_bus(n), 2); /* the isolated bus 9 is dropped */
    /* ys = 1/(0.01+0.1j); t = 0.95 e^{j10deg} */
    double zr = 0.01, zx = 0.1, d = zr * zr + zx * zx, gs = zr / d, bs = -zx / d;
    double a = 10 * M_PI / 180, tr = 0.95 * cos(a), ti = 0.95 * sin(a), t2 = 0.95 * 0.95;
    /* Yff = (ys + j b/2)/t^2 + shunt (0.1 + 0.2j) */
    assert_true(fabs(yval(n, 0, 0, 0) - gs / t2) < 1e-12);
    assert_true(fabs(yval(n, 0, 0, 1) - (bs + 0.1) / t2) < 1e-12);
    assert_true(fabs(yval(n, 1, 1, 0) - (gs + 0.1)) < 1e-12);
    assert_true(fabs(yval(n, 1, 1, 1) - (bs + 0.1 + 0.2)) < 1e-12);
    /* Yft = -ys / conj(t) = -ys * t / |t|^2 ; Ytf = -ys / t = -ys * conj(t) / |t|^2 */
    assert_true(fabs(yval(n, 0, 1, 0) - (-(gs * tr - bs * ti) / t2)) < 1e-12);
    assert_true(fabs(yval(n, 0, 1, 1) - (-(gs * ti + bs * tr) / t2)) < 1e-12);
    assert_true(fabs(yval(n, 1, 0, 0) - (-(gs * tr + bs * ti) / t2)) < 1e-12);
    assert_true(fabs(yval(n, 1, 0, 1) - (-(bs * tr - gs * ti) / t2)) < 1e-12);
    gf_pf_net_free(n);
    gf_pf_case_free(c);
}

static void test_network_row_sums_case30(void **state)
{
    (void)state;
    /* Without shunts, charging and taps the Ybus rows sum to zero; with them, to the shunt
     * part. Check symmetric structure and row sums on case30 (no taps there). */
    gf_pf_case_t *c = load_case("case30.m");
    gf_err_t e = {0};
    gf_pf_net_t *n = gf_pf_net_new(c, NULL, &e);
    assert_non_null(n);
    const int *rp, *ci;
    const double *g, *b;
    gf_pf_net_ybus(n, &rp, &ci, &g, &b);
    size_t nb = gf_pf_net_n_bus(n);
    assert_int_equal(nb, 30);
    for (size_t i = 0; i < nb; i++) {
        double sg = 0, sb = 0;
        for (int q = rp[i]; q < rp[i + 1]; q++) {
            sg += g[q];
            sb += b[q];
            assert_true(!isnan(yval(n, ci[q], (int)i, 0)));
        }
        const gf_pf_bus_t *bus = &c->bus[gf_pf_net_bus_row(n, i)];
        double charging = 0;
        for (size_t k = 0; k < c->n_branch; k++)
            if (c->branch[k].fbus == bus->id || c->branch[k].tbus == bus->id)
                charging += c->branch[k].b / 2;
        assert_true(fabs(sg - bus->gs / 100) < 1e-9);
        assert_true(fabs(sb - bus->bs / 100 - charging) < 1e-9);
    }
    gf_pf_net_free(n);
    gf_pf_case_free(c);
}

static void test_network_outage_overlay_and_islands(void **state)
{
    (void)state;
    gf_pf_case_t *c = load_case("case9.m");
    gf_pf_branch_t before[9];
    memcpy(before, c->branch, sizeof before);
    gf_err_t e = {0};
    gf_pf_opts_t o;
    gf_pf_opts_init(&o);
    size_t out1[] = {1}; /* 4-5: the ring 4-5-6-7-8-9-4 stays connected */
    o.branch_out = out1;
    o.n_branch_out = 1;
    assert_int_equal(gf_pf_count_islands(c, &o), 1);
    gf_pf_net_t *n = gf_pf_net_new(c, &o, &e);
    assert_non_null(n);
    gf_pf_net_free(n);
    assert_memory_equal(before, c->branch, sizeof before);
    size_t out2[] = {0}; /* 1-4: generator bus 1 is cut off */
    o.branch_out = out2;
    assert_int_equal(gf_pf_count_islands(c, &o), 2);
    assert_null(gf_pf_net_new(c, &o, &e));
    assert_int_equal(e.rc, GF_EUNPROCESSABLE);
    assert_string_equal(e.code, "network_islanded");
    gf_err_cleanup(&e);
    size_t out3[] = {1, 8}; /* 4-5 and 9-4: buses 5..9 still reach 4? no: 4 is cut */
    o.branch_out = out3;
    o.n_branch_out = 2;
    assert_int_equal(gf_pf_count_islands(c, &o), 2);
    size_t bad[] = {99};
    o.branch_out = bad;
    o.n_branch_out = 1;
    assert_null(gf_pf_net_new(c, &o, &e));
    assert_string_equal(e.code, "bad_option");
    gf_err_cleanup(&e);
    gf_pf_case_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_network_ybus_tap_shift_shunt),
        cmocka_unit_test(test_network_row_sums_case30),
        cmocka_unit_test(test_network_outage_overlay_and_islands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
