/*
 * gf-opf - solve one MATPOWER case from the command line.
 *
 *   gf-opf [--dc] [--pf] [--n1] [--json] [--repeat N] [--time-limit S] [--print-level N]
 * [--no-screen]
 *          [--from-scratch] case.m
 *
 * AC OPF by default; --dc for the DC OPF, --pf for an AC power flow, --n1 for N-1 screening of
 * every in-service branch by AC power flow on 2 threads (prints the worst outages; --from-scratch
 * solves each outage without reusing the base case). Prints the case size, objective, status,
 * iterations and solve time (the median over N solves with --repeat; the parse is not timed).
 * --json prints the full result instead. --no-screen puts every branch limit into the OPF from the
 * start (see screen_limits in powerflow/solve.h). --print-level N passes Ipopt's print level
 * through (5 prints its iteration log, 6 and above adds its timing statistics). Exit status: 0
 * converged, 1 solver failure, 2 usage or input error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/util.h"
#include "powerflow/case.h"
#include "powerflow/n1.h"
#include "powerflow/solve.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void usage(void)
{
    fprintf(stderr, "usage: gf-opf [--dc] [--pf] [--n1] [--json] [--repeat N] [--time-limit S] "
                    "[--print-level N] [--no-screen] [--from-scratch] case.m\n");
}

int main(int argc, char **argv)
{
    int repeat = 1, mode = 0; /* 0 AC OPF, 1 DC OPF, 2 PF */
    int json = 0, plevel = 0, screen = 1, scratch = 0;
    double tlim = 60;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dc") == 0) {
            mode = 1;
        } else if (strcmp(argv[i], "--pf") == 0) {
            mode = 2;
        } else if (strcmp(argv[i], "--n1") == 0) {
            mode = 3;
        } else if (strcmp(argv[i], "--no-screen") == 0) {
            screen = 0;
        } else if (strcmp(argv[i], "--from-scratch") == 0) {
            scratch = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = atoi(argv[++i]);
            if (repeat < 1 || repeat > 1000) {
                usage();
                return 2;
            }
        } else if (strcmp(argv[i], "--print-level") == 0 && i + 1 < argc) {
            plevel = atoi(argv[++i]);
            if (plevel < 0 || plevel > 12) {
                usage();
                return 2;
            }
        } else if (strcmp(argv[i], "--time-limit") == 0 && i + 1 < argc) {
            tlim = atof(argv[++i]);
            if (!(tlim > 0)) {
                usage();
                return 2;
            }
        } else if (argv[i][0] == '-' || path != NULL) {
            usage();
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (path == NULL) {
        usage();
        return 2;
    }
    gf_pf_process_init();
    gf_err_t err = {0};
    gf_pf_case_t *c = NULL;
    if (gf_pf_case_load(path, &c, &err) != 0) {
        fprintf(stderr, "gf-opf: %s: %s\n", err.code, err.message);
        gf_err_cleanup(&err);
        return 2;
    }
    gf_pf_opts_t o;
    gf_pf_opts_init(&o);
    o.max_cpu_time = tlim;
    o.print_level = plevel;
    o.screen_limits = screen != 0;
    if (mode == 3) {
        double *tt = gf_xcalloc((size_t)repeat, sizeof *tt);
        gf_pf_n1_report_t *rep = NULL;
        int st = 0;
        for (int k = 0; k < repeat && st == 0; k++) {
            gf_pf_n1_report_free(rep);
            rep = NULL;
            gf_pf_n1_params_t np;
            gf_pf_n1_params_init(&np);
            np.from_scratch = scratch;
            st = gf_pf_n1_run(c, &o, &np, &rep, &err);
            if (st == 0)
                tt[k] = rep->time_s;
        }
        if (st != 0) {
            fprintf(stderr, "gf-opf: %s: %s\n", err.code, err.message);
        } else {
            qsort(tt, (size_t)repeat, sizeof *tt, cmp_double);
            printf("case        %s\n", c->name[0] ? c->name : path);
            printf("contingencies %zu\n", rep->n);
            printf("time_ms     %.3f\n",
                   1000 *
                       (repeat % 2 ? tt[repeat / 2] : 0.5 * (tt[repeat / 2 - 1] + tt[repeat / 2])));
            printf("outcomes    %zu secure, %zu violation, %zu islanded, %zu failed\n",
                   rep->n_secure, rep->n_violation, rep->n_islanded, rep->n_failed);
            printf("base        %zu overloads, %zu voltage violations\n", rep->n_base_overloads,
                   rep->n_base_voltage);
            printf("reused      %zu outages on the base factorization pattern\n", rep->n_reused);
            for (size_t i = 0; i < rep->n && i < 10; i++)
                printf("worst %2zu    branch %zu (%d-%d) %s severity %.1f max loading %.1f%%\n",
                       i + 1, rep->items[i].branch, rep->items[i].fbus, rep->items[i].tbus,
                       rep->items[i].code, rep->items[i].severity,
                       rep->items[i].max_loading_percent);
        }
        gf_pf_n1_report_free(rep);
        free(tt);
        gf_pf_case_free(c);
        gf_err_cleanup(&err);
        return st == 0 ? 0 : 1;
    }
    double *times = gf_xcalloc((size_t)repeat, sizeof *times);
    double *cpu = gf_xcalloc((size_t)repeat, sizeof *cpu);
    gf_pf_result_t *r = NULL;
    int rc = 0;
    for (int k = 0; k < repeat; k++) {
        gf_pf_result_free(r);
        r = NULL;
        struct timespec c0, c1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        gf_err_cleanup(&err);
        rc = mode == 0   ? gf_pf_solve_acopf(c, &o, &r, &err)
             : mode == 1 ? gf_pf_solve_dcopf(c, &o, &r, &err)
                         : gf_pf_solve_pf(c, &o, &r, &err);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
        if (r == NULL)
            break;
        times[k] = r->time_s;
        cpu[k] = (double)(c1.tv_sec - c0.tv_sec) + 1e-9 * (double)(c1.tv_nsec - c0.tv_nsec);
    }
    int status = 0;
    if (r == NULL) {
        fprintf(stderr, "gf-opf: %s: %s\n", err.code, err.message);
        status = 2;
    } else if (json) {
        json_t *j = gf_pf_result_to_json(r);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (s != NULL)
            puts(s);
        free(s);
        json_decref(j);
        status = rc == 0 ? 0 : 1;
    } else {
        qsort(times, (size_t)repeat, sizeof *times, cmp_double);
        double med = repeat % 2 ? times[repeat / 2]
                                : 0.5 * (times[repeat / 2 - 1] + times[repeat / 2]);
        size_t nb = 0;
        for (size_t i = 0; i < c->n_bus; i++)
            nb += c->bus[i].type != GF_PF_ISOLATED;
        printf("case        %s\n", c->name[0] ? c->name : path);
        printf("buses       %zu\n", c->n_bus);
        printf("model       %s\n", mode == 0 ? "acopf" : mode == 1 ? "dcopf" : "pf");
        printf("objective   %.6f\n", r->objective);
        printf("status      %s\n", r->status);
        printf("iterations  %d\n", r->iterations);
        printf("time_ms     %.3f\n", med * 1000.0);
        qsort(cpu, (size_t)repeat, sizeof *cpu, cmp_double);
        printf("cpu_ms      %.3f\n",
               1000.0 *
                   (repeat % 2 ? cpu[repeat / 2] : 0.5 * (cpu[repeat / 2 - 1] + cpu[repeat / 2])));
        printf("repeat      %d\n", repeat);
        printf("mismatch    %.3g\n", r->max_mismatch);
        if (mode < 2)
            printf("screening   %d solves, %d of %d branch limits in the model\n", r->screen_rounds,
                   r->limits_enforced, r->limits_total);
        if (rc != 0)
            fprintf(stderr, "gf-opf: %s: %s\n", err.code, err.message);
        status = rc == 0 ? 0 : 1;
        (void)nb;
    }
    gf_pf_result_free(r);
    free(times);
    free(cpu);
    gf_pf_case_free(c);
    gf_err_cleanup(&err);
    return status;
}
