/*
 * n1.c - N-1 screening over a pool of pthreads. Workers take the next contingency from an
 * atomic counter, build their own options (base outages + one branch) and solve; results go
 * into the item slot of that contingency, so no locking is needed beyond the counter.
 */
#include "powerflow/n1.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "powerflow/network.h"

void gf_pf_n1_params_init(gf_pf_n1_params_t *p)
{
    memset(p, 0, sizeof *p);
    p->mode = GF_PF_N1_PF;
    p->threads = 2;
}

typedef struct job {
    const gf_pf_case_t *c;
    const gf_pf_opts_t *base;
    const gf_pf_n1_params_t *p;
    gf_pf_n1_item_t *items;
    size_t n;
    double base_cost;
    atomic_size_t next;
} job_t;

static int solve(const gf_pf_case_t *c, const gf_pf_opts_t *o, gf_pf_n1_mode_t m,
                 gf_pf_result_t **r, gf_err_t *err)
{
    switch (m) {
    case GF_PF_N1_ACOPF:
        return gf_pf_solve_acopf(c, o, r, err);
    case GF_PF_N1_DCOPF:
        return gf_pf_solve_dcopf(c, o, r, err);
    default:
        return gf_pf_solve_pf(c, o, r, err);
    }
}

static void assess(const job_t *j, gf_pf_n1_item_t *it)
{
    const gf_pf_case_t *c = j->c;
    gf_pf_opts_t o = *j->base;
    size_t *out = gf_xmalloc((o.n_branch_out + 1) * sizeof *out);
    if (o.n_branch_out > 0)
        memcpy(out, o.branch_out, o.n_branch_out * sizeof *out);
    out[o.n_branch_out] = it->branch;
    o.branch_out = out;
    o.n_branch_out++;
    o.warm = NULL;
    it->worst_branch = -1;
    it->islands = gf_pf_count_islands(c, &o);
    if (it->islands > 1) {
        it->outcome = GF_PF_N1_ISLANDED;
        snprintf(it->code, sizeof it->code, "network_islanded");
        it->severity = 1e6 + it->islands;
        free(out);
        return;
    }
    gf_pf_result_t *r = NULL;
    gf_err_t err = {0};
    int rc = solve(c, &o, j->p->mode, &r, &err);
    if (rc != 0) {
        it->outcome = GF_PF_N1_FAILED;
        snprintf(it->code, sizeof it->code, "%s", err.code);
        it->severity = 1e5;
    } else {
        for (size_t k = 0; k < r->n_branch; k++) {
            double l = r->branch[k].loading_percent;
            if (r->branch[k].in_service && l > it->max_loading_percent) {
                it->max_loading_percent = l;
                it->worst_branch = (long)k;
            }
            if (r->branch[k].in_service && l > 100.0 + 1e-6) {
                it->n_overloads++;
                it->overload_sum += l - 100.0;
            }
        }
        for (size_t i = 0; i < r->n_bus; i++) {
            if (!r->bus[i].in_service)
                continue;
            if (j->p->mode == GF_PF_N1_PF && c->bus[i].type != GF_PF_PQ)
                continue;
            double v = r->bus[i].vm_pu, d = 0;
            if (v > c->bus[i].vmax + 1e-6)
                d = v - c->bus[i].vmax;
            else if (v < c->bus[i].vmin - 1e-6)
                d = c->bus[i].vmin - v;
            if (d > 0) {
                it->n_voltage++;
                it->voltage_sum += d;
            }
        }
        it->severity = it->overload_sum + 1000.0 * it->voltage_sum;
        if (j->p->mode != GF_PF_N1_PF) {
            it->cost = r->objective;
            it->cost_increase = r->objective - j->base_cost;
            if (j->base_cost > 0)
                it->severity += 100.0 * it->cost_increase / j->base_cost;
        }
        bool viol = it->n_overloads > 0 || it->n_voltage > 0;
        it->outcome = viol ? GF_PF_N1_VIOLATION : GF_PF_N1_SECURE;
        snprintf(it->code, sizeof it->code, "%s", viol ? "violation" : "secure");
    }
    gf_pf_result_free(r);
    gf_err_cleanup(&err);
    free(out);
}

static void *worker(void *arg)
{
    job_t *j = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n)
            return NULL;
        assess(j, &j->items[i]);
    }
}

static int cmp_item(const void *a, const void *b)
{
    const gf_pf_n1_item_t *x = a, *y = b;
    if (x->severity != y->severity)
        return x->severity < y->severity ? 1 : -1;
    return (x->branch > y->branch) - (x->branch < y->branch);
}

int gf_pf_n1_run(const gf_pf_case_t *c, const gf_pf_opts_t *base, const gf_pf_n1_params_t *p,
                 gf_pf_n1_report_t **out, gf_err_t *err)
{
    *out = NULL;
    gf_pf_opts_t dflt;
    gf_pf_n1_params_t pdflt;
    if (base == NULL) {
        gf_pf_opts_init(&dflt);
        base = &dflt;
    }
    if (p == NULL) {
        gf_pf_n1_params_init(&pdflt);
        p = &pdflt;
    }
    if (p->threads < 1 || p->threads > 64 || (int)p->mode < 0 || p->mode > GF_PF_N1_DCOPF)
        return gf_err_set(err, GF_EINVAL, "bad_option", "threads must be 1..64 and mode valid");
    for (size_t i = 0; i < p->n_branches; i++)
        if (p->branches == NULL || p->branches[i] >= c->n_branch)
            return gf_err_set(err, GF_EINVAL, "bad_option",
                              "contingency branch %zu: the case has %zu branches",
                              p->branches ? p->branches[i] : 0, c->n_branch);
    double t0 = gf_now_mono();
    gf_pf_result_t *br = NULL;
    int rc = solve(c, base, p->mode, &br, err);
    if (rc != 0) {
        gf_pf_result_free(br);
        return rc;
    }
    job_t j;
    memset(&j, 0, sizeof j);
    j.c = c;
    j.base = base;
    j.p = p;
    j.base_cost = br->objective;
    if (p->branches != NULL) {
        j.n = p->n_branches;
        j.items = gf_xcalloc(j.n + 1, sizeof *j.items);
        for (size_t i = 0; i < j.n; i++)
            j.items[i].branch = p->branches[i];
    } else {
        j.items = gf_xcalloc(c->n_branch + 1, sizeof *j.items);
        for (size_t k = 0; k < c->n_branch; k++)
            if (br->branch[k].in_service)
                j.items[j.n++].branch = k;
    }
    gf_pf_result_free(br);
    for (size_t i = 0; i < j.n; i++) {
        j.items[i].fbus = c->branch[j.items[i].branch].fbus;
        j.items[i].tbus = c->branch[j.items[i].branch].tbus;
    }
    atomic_init(&j.next, 0);
    int nt = p->threads;
    if ((size_t)nt > j.n)
        nt = j.n > 0 ? (int)j.n : 1;
    pthread_t tid[64];
    int started = 0;
    for (int t = 1; t < nt; t++) {
        if (pthread_create(&tid[started], NULL, worker, &j) != 0)
            break; /* fewer threads: the calling thread still finishes the work */
        started++;
    }
    worker(&j);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    qsort(j.items, j.n, sizeof *j.items, cmp_item);
    gf_pf_n1_report_t *r = gf_xcalloc(1, sizeof *r);
    r->mode = p->mode;
    r->base_cost = j.base_cost;
    r->n = j.n;
    r->items = j.items;
    r->time_s = gf_now_mono() - t0;
    *out = r;
    return 0;
}

void gf_pf_n1_report_free(gf_pf_n1_report_t *r)
{
    if (r == NULL)
        return;
    free(r->items);
    free(r);
}

json_t *gf_pf_n1_report_to_json(const gf_pf_n1_report_t *r)
{
    static const char *modes[] = {"pf", "acopf", "dcopf"};
    json_t *root = json_object(), *arr = json_array();
    if (root == NULL || arr == NULL)
        goto oom;
    json_object_set_new(root, "mode", json_string(modes[r->mode]));
    json_object_set_new(root, "base_cost", json_real(r->base_cost));
    json_object_set_new(root, "time_s", json_real(r->time_s));
    for (size_t i = 0; i < r->n; i++) {
        const gf_pf_n1_item_t *it = &r->items[i];
        json_t *o = json_pack("{s:I,s:i,s:i,s:s,s:i,s:i,s:f,s:I,s:f,s:i,s:f,s:f,s:f,s:f}",
                              "branch", (json_int_t)it->branch, "fbus", it->fbus, "tbus",
                              it->tbus, "outcome", it->code, "islands", it->islands,
                              "n_overloads", it->n_overloads, "max_loading_percent",
                              it->max_loading_percent, "worst_branch",
                              (json_int_t)it->worst_branch, "overload_sum", it->overload_sum,
                              "n_voltage", it->n_voltage, "voltage_sum", it->voltage_sum, "cost",
                              it->cost, "cost_increase", it->cost_increase, "severity",
                              it->severity);
        if (o == NULL || json_array_append_new(arr, o) != 0)
            goto oom;
    }
    json_object_set_new(root, "contingencies", arr);
    return root;
oom:
    json_decref(root);
    json_decref(arr);
    return NULL;
}
