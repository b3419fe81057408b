/*
 * n1.c - N-1 contingency analysis over a pool of pthreads (see powerflow/n1.h for the model).
 *
 * Setup: solve the base case (PF mode keeps its network, state and symbolic LU: see
 * gf__pf_n1_prepare), record its violations by case row, and find the bridges of the base
 * network with one iterative depth-first search: the outage of bridge k cuts off the DFS
 * subtree below it (a contiguous range of the preorder), or, when that subtree holds more
 * generating capacity, everything else. Workers take the next contingency from an atomic
 * counter and write into its item slot, so no locking is needed beyond the counters.
 */
#include "powerflow/n1.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "pf_internal.h"

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
    const gf_pf_net_t *net; /* base network (internal indices) */
    gf__pf_n1ctx_t *ctx;    /* PF mode: the reused base solve, or NULL */
    int *rowk;              /* case branch row -> internal branch, or -1 */
    int *child;             /* internal branch -> DFS child bus below it if a bridge, -1 */
    int *tin, *tend, *ord;  /* preorder index, last preorder index of the subtree, bus */
    double *capsum;         /* prefix sums of gen capacity over the preorder */
    double *base_loading;   /* per case branch row (0 when out of service) */
    double *base_vdev;      /* per case bus row: violation in p.u. (0 inside limits) */
    double *base_pg;        /* per case gen row: base dispatch, MW */
    gf_pf_n1_item_t *items;
    size_t n;
    double base_cost;
    atomic_size_t next, done, reused;
    size_t step;
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

/* Voltage violation of case bus row i at vm (p.u., 0 inside its limits). */
static double vdev(const gf_pf_case_t *c, size_t i, double vm)
{
    if (vm > c->bus[i].vmax + 1e-6)
        return vm - c->bus[i].vmax;
    if (vm < c->bus[i].vmin - 1e-6)
        return c->bus[i].vmin - vm;
    return 0;
}

/* Count branch row kr at loading l against the base. */
static void count_branch(const job_t *j, gf_pf_n1_item_t *it, size_t kr, double l)
{
    if (l > it->max_loading_percent) {
        it->max_loading_percent = l;
        it->worst_branch = (long)kr;
    }
    double b = j->base_loading[kr];
    if (l > 100.0 + 1e-6 && (b <= 100.0 + 1e-6 || l > b + GF_PF_N1_WORSE_PCT)) {
        it->n_overloads++;
        it->overload_sum += l - fmax(100.0, b);
    }
}

/* Count case bus row i at vm against the base. */
static void count_bus(const job_t *j, gf_pf_n1_item_t *it, size_t i, double vm)
{
    if (j->p->mode == GF_PF_N1_PF && j->c->bus[i].type != GF_PF_PQ)
        return;
    double d = vdev(j->c, i, vm), b = j->base_vdev[i];
    if (d > 0 && (b == 0 || d > b + GF_PF_N1_WORSE_PU)) {
        it->n_voltage++;
        it->voltage_sum += d - b;
    }
}

static void finish_item(const job_t *j, gf_pf_n1_item_t *it)
{
    it->severity = it->overload_sum + 1000.0 * it->voltage_sum + it->lost_load_mw;
    if (j->p->mode != GF_PF_N1_PF && j->base_cost > 0)
        it->severity += 100.0 * it->cost_increase / j->base_cost;
    bool viol = it->n_overloads > 0 || it->n_voltage > 0;
    if (it->islands > 1) {
        it->outcome = GF_PF_N1_ISLANDED;
        snprintf(it->code, sizeof it->code, "network_islanded");
    } else {
        it->outcome = viol ? GF_PF_N1_VIOLATION : GF_PF_N1_SECURE;
        snprintf(it->code, sizeof it->code, "%s", viol ? "violation" : "secure");
    }
}

static void fail_item(gf_pf_n1_item_t *it, const char *code)
{
    it->outcome = GF_PF_N1_FAILED;
    snprintf(it->code, sizeof it->code, "%s", code);
    it->severity = 1e5 + it->lost_load_mw;
}

/* Marks the buses cut off by internal branch k in dead (internal index, caller clears) and
 * fills the item's island fields. Returns false when k is not a bridge. */
static bool cut_off(const job_t *j, int k, unsigned char *dead, gf_pf_n1_item_t *it)
{
    const gf_pf_net_t *n = j->net;
    int v = j->child[k];
    if (v < 0)
        return false;
    int a = j->tin[v], b = j->tend[v], nb = n->nb;
    double below = j->capsum[b + 1] - j->capsum[a], total = j->capsum[nb];
    bool lose_below = below <= total - below;
    for (int q = 0; q < nb; q++) {
        bool in = q >= a && q <= b;
        if (in == lose_below)
            dead[j->ord[q]] = 1;
    }
    it->islands = 2;
    it->n_island = 0;
    for (int i = 0; i < nb; i++)
        it->n_island += dead[i];
    it->island_buses = gf_xmalloc((it->n_island + 1) * sizeof *it->island_buses);
    size_t z = 0;
    for (int i = 0; i < nb; i++) {
        if (!dead[i])
            continue;
        int row = n->bus_row[i];
        it->island_buses[z++] = j->c->bus[row].id;
        it->lost_load_mw += n->pd[i] * n->base;
        for (int q = n->gb_ptr[i]; q < n->gb_ptr[i + 1]; q++)
            it->lost_gen_mw += j->base_pg[n->gen_row[n->gb_idx[q]]];
    }
    return true;
}

/* From scratch: base options plus the outage, the cut-off part's gens out and loads zero (so
 * it is a dead island that the network model drops). */
static void assess_full(const job_t *j, gf_pf_n1_item_t *it, const unsigned char *dead)
{
    const gf_pf_case_t *c = j->c;
    const gf_pf_net_t *n = j->net;
    gf_pf_opts_t o = *j->base;
    size_t *out = gf_xmalloc((o.n_branch_out + 1) * sizeof *out);
    if (o.n_branch_out > 0)
        memcpy(out, o.branch_out, o.n_branch_out * sizeof *out);
    out[o.n_branch_out] = it->branch;
    o.branch_out = out;
    o.n_branch_out++;
    size_t *gout = NULL;
    gf_pf_bus_load_t *loads = NULL;
    if (dead != NULL) {
        gout = gf_xmalloc((o.n_gen_out + (size_t)n->ng + 1) * sizeof *gout);
        loads = gf_xmalloc((o.n_bus_loads + it->n_island + 1) * sizeof *loads);
        if (o.n_gen_out > 0)
            memcpy(gout, o.gen_out, o.n_gen_out * sizeof *gout);
        if (o.n_bus_loads > 0)
            memcpy(loads, o.bus_loads, o.n_bus_loads * sizeof *loads);
        size_t ngo = o.n_gen_out, nbl = o.n_bus_loads;
        for (int i = 0; i < n->nb; i++) {
            if (!dead[i])
                continue;
            loads[nbl].bus = c->bus[n->bus_row[i]].id; /* later entries win */
            loads[nbl].pd = loads[nbl].qd = 0;
            nbl++;
            for (int q = n->gb_ptr[i]; q < n->gb_ptr[i + 1]; q++)
                gout[ngo++] = (size_t)n->gen_row[n->gb_idx[q]];
        }
        o.gen_out = gout;
        o.n_gen_out = ngo;
        o.bus_loads = loads;
        o.n_bus_loads = nbl;
    }
    o.warm = NULL;
    gf_pf_result_t *r = NULL;
    gf_err_t err = {0};
    int rc = solve(c, &o, j->p->mode, &r, &err);
    if (rc != 0) {
        fail_item(it, err.code);
    } else {
        it->iterations = r->iterations;
        for (size_t k = 0; k < r->n_branch; k++)
            if (r->branch[k].in_service)
                count_branch(j, it, k, r->branch[k].loading_percent);
        for (size_t i = 0; i < r->n_bus; i++)
            if (r->bus[i].in_service)
                count_bus(j, it, i, r->bus[i].vm_pu);
        if (j->p->mode != GF_PF_N1_PF) {
            it->cost = r->objective;
            it->cost_increase = r->objective - j->base_cost;
        }
        finish_item(j, it);
    }
    gf_pf_result_free(r);
    gf_err_cleanup(&err);
    free(out);
    free(gout);
    free(loads);
}

/* PF mode on the reused base: Newton from the base state on the base pattern. */
static bool assess_fast(const job_t *j, gf__pf_n1ws_t *ws, gf_pf_n1_item_t *it, int k,
                        const unsigned char *dead)
{
    const gf_pf_net_t *n = j->net;
    if (dead != NULL && dead[n->ref])
        return false;
    const double *vm, *va;
    double mis;
    int iters;
    int st = gf__pf_n1_outage(j->ctx, ws, k, dead, j->base, &vm, &va, &iters, &mis);
    it->iterations = iters;
    if (st != 0) {
        fail_item(it, st == -2 ? "pf_singular_jacobian" : "pf_not_converged");
        return true;
    }
    for (int kk = 0; kk < n->nl; kk++) {
        if (kk == k || (dead != NULL && dead[n->f[kk]]))
            continue;
        int row = n->br_row[kk];
        double rate = j->c->branch[row].rate_a;
        if (!(rate > 0) || !isfinite(rate))
            continue;
        double pf, qf, pt, qt;
        gf__pf_branch_flow(n, kk, vm, va, &pf, &qf, &pt, &qt);
        double s = fmax(hypot(pf, qf), hypot(pt, qt)) * n->base;
        count_branch(j, it, (size_t)row, 100.0 * s / rate);
    }
    for (int i = 0; i < n->nb; i++)
        if (dead == NULL || !dead[i])
            count_bus(j, it, (size_t)n->bus_row[i], vm[i]);
    finish_item(j, it);
    return true;
}

static void assess(job_t *j, gf__pf_n1ws_t *ws, unsigned char *dead, gf_pf_n1_item_t *it)
{
    it->worst_branch = -1;
    it->islands = 1;
    int k = j->rowk[it->branch];
    bool cut = k >= 0 && cut_off(j, k, dead, it);
    const unsigned char *d = cut ? dead : NULL;
    if (k >= 0 && ws != NULL && assess_fast(j, ws, it, k, d))
        atomic_fetch_add(&j->reused, 1);
    else
        assess_full(j, it, d);
    if (cut)
        memset(dead, 0, (size_t)j->net->nb);
}

static void *worker(void *arg)
{
    job_t *j = arg;
    gf__pf_n1ws_t *ws = j->ctx != NULL ? gf__pf_n1ws_new(j->ctx) : NULL;
    unsigned char *dead = gf_xcalloc((size_t)j->net->nb + 1, 1);
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n)
            break;
        assess(j, ws, dead, &j->items[i]);
        size_t d = atomic_fetch_add(&j->done, 1) + 1;
        if (j->p->progress != NULL && (d % j->step == 0 || d == j->n))
            j->p->progress(j->p->progress_arg, d, j->n);
    }
    free(dead);
    gf__pf_n1ws_free(ws);
    return NULL;
}

/* Bridges of the (connected) base network by an iterative DFS from bus 0. */
static void find_bridges(job_t *j)
{
    const gf_pf_net_t *n = j->net;
    int nb = n->nb, nl = n->nl;
    int *deg = gf_xcalloc((size_t)nb + 2, sizeof *deg);
    for (int k = 0; k < nl; k++) {
        deg[n->f[k] + 1]++;
        deg[n->t[k] + 1]++;
    }
    for (int i = 0; i < nb; i++)
        deg[i + 1] += deg[i];
    int *adj = gf_xmalloc((2 * (size_t)nl + 1) * sizeof *adj),
        *fill = gf_xcalloc((size_t)nb + 1, sizeof *fill);
    for (int k = 0; k < nl; k++) {
        adj[deg[n->f[k]] + fill[n->f[k]]++] = k;
        adj[deg[n->t[k]] + fill[n->t[k]]++] = k;
    }
    int *low = gf_xmalloc(((size_t)nb + 1) * sizeof *low),
        *pe = gf_xmalloc(((size_t)nb + 1) * sizeof *pe);
    int *stack = gf_xmalloc(((size_t)nb + 1) * sizeof *stack), *it = fill; /* reuse: edge cursor */
    for (int i = 0; i < nb; i++) {
        j->tin[i] = -1;
        it[i] = deg[i];
    }
    for (int k = 0; k < nl; k++)
        j->child[k] = -1;
    int sp = 0, timer = 0;
    for (int s = 0; s < nb; s++) {
        if (j->tin[s] >= 0)
            continue;
        stack[sp++] = s;
        pe[s] = -1;
        j->ord[timer] = s;
        j->tin[s] = low[s] = timer++;
        while (sp > 0) {
            int u = stack[sp - 1];
            if (it[u] < deg[u + 1]) {
                int k = adj[it[u]++];
                if (k == pe[u])
                    continue;
                int v = n->f[k] == u ? n->t[k] : n->f[k];
                if (j->tin[v] < 0) {
                    pe[v] = k;
                    j->ord[timer] = v;
                    j->tin[v] = low[v] = timer++;
                    stack[sp++] = v;
                } else if (j->tin[v] < low[u]) {
                    low[u] = j->tin[v];
                }
            } else {
                sp--;
                j->tend[u] = timer - 1;
                if (pe[u] >= 0) {
                    int p = n->f[pe[u]] == u ? n->t[pe[u]] : n->f[pe[u]];
                    if (low[u] < low[p])
                        low[p] = low[u];
                    if (low[u] > j->tin[p])
                        j->child[pe[u]] = u;
                }
            }
        }
    }
    j->capsum[0] = 0;
    for (int q = 0; q < nb; q++) {
        int i = j->ord[q];
        double cap = 0;
        for (int g = n->gb_ptr[i]; g < n->gb_ptr[i + 1]; g++)
            cap += fmax(n->pmax[n->gb_idx[g]], 0);
        j->capsum[q + 1] = j->capsum[q] + cap;
    }
    free(deg);
    free(adj);
    free(fill);
    free(low);
    free(pe);
    free(stack);
}

static int cmp_item(const void *a, const void *b)
{
    const gf_pf_n1_item_t *x = a, *y = b;
    if (x->severity != y->severity)
        return x->severity < y->severity ? 1 : -1;
    return (x->branch > y->branch) - (x->branch < y->branch);
}

static void base_violations(job_t *j, const gf_pf_result_t *br, gf_pf_n1_report_t *r)
{
    const gf_pf_case_t *c = j->c;
    r->base_overloads = gf_xcalloc(c->n_branch + 1, sizeof *r->base_overloads);
    r->base_voltage = gf_xcalloc(c->n_bus + 1, sizeof *r->base_voltage);
    for (size_t k = 0; k < c->n_branch; k++) {
        double l = br->branch[k].in_service ? br->branch[k].loading_percent : 0;
        j->base_loading[k] = l;
        if (l > 100.0 + 1e-6)
            r->base_overloads[r->n_base_overloads++] = (gf_pf_n1_base_viol_t){k, l, 100.0};
    }
    for (size_t i = 0; i < c->n_bus; i++) {
        if (!br->bus[i].in_service)
            continue;
        double v = br->bus[i].vm_pu, d = vdev(c, i, v);
        if (d > 0 && (j->p->mode != GF_PF_N1_PF || c->bus[i].type == GF_PF_PQ)) {
            j->base_vdev[i] = d;
            r->base_voltage[r->n_base_voltage++] =
                (gf_pf_n1_base_viol_t){i, v, v > c->bus[i].vmax ? c->bus[i].vmax : c->bus[i].vmin};
        }
    }
    for (size_t g = 0; g < c->n_gen; g++)
        j->base_pg[g] = br->gen[g].in_service ? br->gen[g].p_mw : 0;
    r->base_load_mw = br->total_load_mw;
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
                              "contingency branch %zu: the case has %zu branches (rows 0 to %zu)",
                              p->branches ? p->branches[i] : 0, c->n_branch,
                              c->n_branch > 0 ? c->n_branch - 1 : 0);
    double t0 = gf_now_mono();
    job_t j;
    memset(&j, 0, sizeof j);
    j.c = c;
    j.base = base;
    j.p = p;
    gf_pf_result_t *br = NULL;
    gf_pf_net_t *own = NULL;
    int rc;
    if (p->mode == GF_PF_N1_PF && !p->from_scratch)
        rc = gf__pf_n1_prepare(c, base, &br, &j.ctx, err);
    else
        rc = solve(c, base, p->mode, &br, err);
    if (rc != 0) {
        gf_pf_result_free(br);
        gf__pf_n1_free(j.ctx);
        return rc;
    }
    if (j.ctx != NULL) {
        j.net = gf__pf_n1_net(j.ctx);
    } else {
        own = gf_pf_net_new(c, base, err);
        if (own == NULL) {
            gf_pf_result_free(br);
            return err ? err->rc : GF_EINVAL;
        }
        j.net = own;
    }
    const gf_pf_net_t *n = j.net;
    j.rowk = gf_xmalloc((c->n_branch + 1) * sizeof *j.rowk);
    for (size_t k = 0; k < c->n_branch; k++)
        j.rowk[k] = -1;
    for (int k = 0; k < n->nl; k++)
        j.rowk[n->br_row[k]] = k;
    j.child = gf_xmalloc(((size_t)n->nl + 1) * sizeof *j.child);
    j.tin = gf_xmalloc(((size_t)n->nb + 1) * sizeof *j.tin);
    j.tend = gf_xmalloc(((size_t)n->nb + 1) * sizeof *j.tend);
    j.ord = gf_xmalloc(((size_t)n->nb + 1) * sizeof *j.ord);
    j.capsum = gf_xmalloc(((size_t)n->nb + 2) * sizeof *j.capsum);
    find_bridges(&j);
    j.base_loading = gf_xcalloc(c->n_branch + 1, sizeof *j.base_loading);
    j.base_vdev = gf_xcalloc(c->n_bus + 1, sizeof *j.base_vdev);
    j.base_pg = gf_xcalloc(c->n_gen + 1, sizeof *j.base_pg);
    gf_pf_n1_report_t *r = gf_xcalloc(1, sizeof *r);
    base_violations(&j, br, r);
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
    j.step = j.n / 100 > 0 ? j.n / 100 : 1;
    atomic_init(&j.next, 0);
    atomic_init(&j.done, 0);
    atomic_init(&j.reused, 0);
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
    r->mode = p->mode;
    r->base_cost = j.base_cost;
    r->n = j.n;
    r->items = j.items;
    for (size_t i = 0; i < j.n; i++) {
        switch (j.items[i].outcome) {
        case GF_PF_N1_SECURE:
            r->n_secure++;
            break;
        case GF_PF_N1_VIOLATION:
            r->n_violation++;
            break;
        case GF_PF_N1_ISLANDED:
            r->n_islanded++;
            break;
        default:
            r->n_failed++;
            break;
        }
    }
    r->n_reused = atomic_load(&j.reused);
    r->time_s = gf_now_mono() - t0;
    free(j.rowk);
    free(j.child);
    free(j.tin);
    free(j.tend);
    free(j.ord);
    free(j.capsum);
    free(j.base_loading);
    free(j.base_vdev);
    free(j.base_pg);
    gf__pf_n1_free(j.ctx);
    gf_pf_net_free(own);
    *out = r;
    return 0;
}

void gf_pf_n1_report_free(gf_pf_n1_report_t *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->items[i].island_buses);
    free(r->items);
    free(r->base_overloads);
    free(r->base_voltage);
    free(r);
}

static json_t *base_json(const gf_pf_n1_report_t *r)
{
    json_t *ov = json_array(), *vo = json_array();
    for (size_t i = 0; ov && i < r->n_base_overloads; i++)
        json_array_append_new(ov,
                              json_pack("{s:I,s:f}", "branch", (json_int_t)r->base_overloads[i].row,
                                        "loading_percent", r->base_overloads[i].value));
    for (size_t i = 0; vo && i < r->n_base_voltage; i++)
        json_array_append_new(vo, json_pack("{s:I,s:f,s:f}", "bus_row",
                                            (json_int_t)r->base_voltage[i].row, "vm_pu",
                                            r->base_voltage[i].value, "limit",
                                            r->base_voltage[i].limit));
    return json_pack("{s:o*,s:o*}", "overloads", ov, "voltage", vo);
}

json_t *gf_pf_n1_report_to_json(const gf_pf_n1_report_t *r)
{
    static const char *modes[] = {"pf", "acopf", "dcopf"};
    json_t *root = json_object(), *arr = json_array();
    if (root == NULL || arr == NULL)
        goto oom;
    json_object_set_new(root, "mode", json_string(modes[r->mode]));
    json_object_set_new(root, "base_cost", json_real(r->base_cost));
    json_object_set_new(root, "base_load_mw", json_real(r->base_load_mw));
    json_object_set_new(root, "time_s", json_real(r->time_s));
    json_object_set_new(root, "base", base_json(r));
    json_object_set_new(root, "counts",
                        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "contingencies", (json_int_t)r->n,
                                  "secure", (json_int_t)r->n_secure, "violation",
                                  (json_int_t)r->n_violation, "islanded", (json_int_t)r->n_islanded,
                                  "failed", (json_int_t)r->n_failed, "reused_factorization",
                                  (json_int_t)r->n_reused));
    for (size_t i = 0; i < r->n; i++) {
        const gf_pf_n1_item_t *it = &r->items[i];
        json_t *o = json_pack("{s:I,s:i,s:i,s:s,s:i,s:i,s:f,s:I,s:f,s:i,s:f,s:f,s:f,s:f,s:i}",
                              "branch", (json_int_t)it->branch, "fbus", it->fbus, "tbus", it->tbus,
                              "outcome", it->code, "islands", it->islands, "n_overloads",
                              it->n_overloads, "max_loading_percent", it->max_loading_percent,
                              "worst_branch", (json_int_t)it->worst_branch, "overload_sum",
                              it->overload_sum, "n_voltage", it->n_voltage, "voltage_sum",
                              it->voltage_sum, "cost", it->cost, "cost_increase", it->cost_increase,
                              "severity", it->severity, "iterations", it->iterations);
        if (o == NULL || json_array_append_new(arr, o) != 0)
            goto oom;
        if (it->islands > 1) {
            json_t *ib = json_array();
            for (size_t q = 0; ib && q < it->n_island; q++)
                json_array_append_new(ib, json_integer(it->island_buses[q]));
            json_object_set_new(o, "island",
                                json_pack("{s:o*,s:f,s:f}", "buses", ib, "lost_load_mw",
                                          it->lost_load_mw, "lost_gen_mw", it->lost_gen_mw));
        }
    }
    json_object_set_new(root, "contingencies", arr);
    return root;
oom:
    json_decref(root);
    json_decref(arr);
    return NULL;
}
