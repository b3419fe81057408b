/*
 * network.c - per-call network model: outages and load changes applied to a read-only case,
 * islanding check, internal indexing, branch pi-models and the sparse Ybus.
 *
 * Invariants after gf_pf_net_new: exactly one REF bus with an in-service generator; every
 * PV bus has one; the in-service network is connected; Ybus stores every diagonal.
 */
#include "pf_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void gf_pf_opts_init(gf_pf_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->load_scale = 1.0;
    o->pf_max_iter = 20;
    o->pf_tol = 1e-8;
    o->init = GF_PF_INIT_FLAT;
    o->max_cpu_time = 60.0;
    o->tol = 1e-8;
    o->max_iter = 500;
    o->screen_limits = true;
}

void gf_pf_process_init(void)
{
    setenv("SCOTCH_PTHREAD_NUMBER", "1", 0); /* 0: an operator's own setting wins */
}

static int uf_find(int *p, int x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

/* In-service flags of branches and gens for case c under options o (no validation). */
static void service_flags(const gf_pf_case_t *c, const gf_pf_opts_t *o, char *bst, char *gst)
{
    for (size_t k = 0; k < c->n_branch; k++) {
        const gf_pf_branch_t *br = &c->branch[k];
        long f = gf_pf_case_bus_index(c, br->fbus), t = gf_pf_case_bus_index(c, br->tbus);
        bst[k] = br->status > 0 && f >= 0 && t >= 0 && c->bus[f].type != GF_PF_ISOLATED &&
                 c->bus[t].type != GF_PF_ISOLATED;
    }
    for (size_t g = 0; g < c->n_gen; g++) {
        long b = gf_pf_case_bus_index(c, c->gen[g].bus);
        gst[g] = c->gen[g].status > 0 && b >= 0 && c->bus[b].type != GF_PF_ISOLATED;
    }
    if (o != NULL) {
        for (size_t i = 0; i < o->n_branch_out; i++)
            if (o->branch_out[i] < c->n_branch)
                bst[o->branch_out[i]] = 0;
        for (size_t i = 0; i < o->n_gen_out; i++)
            if (o->gen_out[i] < c->n_gen)
                gst[o->gen_out[i]] = 0;
    }
}

/* Union-find components; live[root] set when the component has load or an in-service gen.
 * Returns the number of live components; comp[i] = root of bus row i (-1 if isolated). */
static int components(const gf_pf_case_t *c, const char *bst, const char *gst, const double *pd,
                      const double *qd, int *comp, char *live)
{
    for (size_t i = 0; i < c->n_bus; i++) {
        comp[i] = c->bus[i].type == GF_PF_ISOLATED ? -1 : (int)i;
        live[i] = 0;
    }
    for (size_t k = 0; k < c->n_branch; k++) {
        if (!bst[k])
            continue;
        int f = (int)gf_pf_case_bus_index(c, c->branch[k].fbus);
        int t = (int)gf_pf_case_bus_index(c, c->branch[k].tbus);
        int a = uf_find(comp, f), b = uf_find(comp, t);
        if (a != b)
            comp[a] = b;
    }
    for (size_t i = 0; i < c->n_bus; i++)
        if (comp[i] >= 0)
            comp[i] = uf_find(comp, (int)i);
    for (size_t i = 0; i < c->n_bus; i++)
        if (comp[i] >= 0 && (pd[i] != 0 || qd[i] != 0))
            live[comp[i]] = 1;
    for (size_t g = 0; g < c->n_gen; g++)
        if (gst[g]) {
            long b = gf_pf_case_bus_index(c, c->gen[g].bus);
            live[comp[b]] = 1;
        }
    int n = 0;
    for (size_t i = 0; i < c->n_bus; i++)
        if (comp[i] == (int)i && live[i])
            n++;
    return n;
}

int gf_pf_count_islands(const gf_pf_case_t *c, const gf_pf_opts_t *o)
{
    char *bst = gf_xmalloc(c->n_branch + 1), *gst = gf_xmalloc(c->n_gen + 1);
    char *live = gf_xmalloc(c->n_bus + 1);
    int *comp = gf_xmalloc((c->n_bus + 1) * sizeof *comp);
    double *pd = gf_xmalloc((c->n_bus + 1) * sizeof *pd),
           *qd = gf_xmalloc((c->n_bus + 1) * sizeof *qd);
    for (size_t i = 0; i < c->n_bus; i++) {
        pd[i] = c->bus[i].pd;
        qd[i] = c->bus[i].qd;
    }
    service_flags(c, o, bst, gst);
    int n = components(c, bst, gst, pd, qd, comp, live);
    free(bst);
    free(gst);
    free(live);
    free(comp);
    free(pd);
    free(qd);
    return n;
}

static int validate_opts(const gf_pf_case_t *c, const gf_pf_opts_t *o, gf_err_t *err)
{
    for (size_t i = 0; i < o->n_branch_out; i++)
        if (o->branch_out[i] >= c->n_branch)
            return gf_err_set(err, GF_EINVAL, "bad_option",
                              "branch outage %zu: the case has %zu branches", o->branch_out[i],
                              c->n_branch);
    for (size_t i = 0; i < o->n_gen_out; i++)
        if (o->gen_out[i] >= c->n_gen)
            return gf_err_set(err, GF_EINVAL, "bad_option",
                              "generator outage %zu: the case has %zu generators", o->gen_out[i],
                              c->n_gen);
    if (!isfinite(o->load_scale) || o->load_scale < 0)
        return gf_err_set(err, GF_EINVAL, "bad_option", "load_scale must be finite and >= 0");
    for (size_t i = 0; i < o->n_bus_loads; i++) {
        if (gf_pf_case_bus_index(c, o->bus_loads[i].bus) < 0)
            return gf_err_set(err, GF_EINVAL, "bad_option", "load for unknown bus %d",
                              o->bus_loads[i].bus);
        if (!isfinite(o->bus_loads[i].pd) || !isfinite(o->bus_loads[i].qd))
            return gf_err_set(err, GF_EINVAL, "bad_option", "load of bus %d is not finite",
                              o->bus_loads[i].bus);
    }
    for (size_t i = 0; i < o->n_costs; i++) {
        const gf_pf_cost_override_t *co = &o->costs[i];
        bool ok = co->gen < c->n_gen &&
                  ((co->cost.model == GF_PF_COST_POLY && co->cost.n >= 0 && co->cost.n <= 16) ||
                   (co->cost.model == GF_PF_COST_PWL && co->cost.n >= 2 && co->cost.n <= 64)) &&
                  (co->cost.n == 0 || co->cost.c != NULL);
        if (ok) {
            int m = co->cost.model == GF_PF_COST_PWL ? 2 * co->cost.n : co->cost.n;
            for (int k = 0; k < m; k++)
                ok = ok && isfinite(co->cost.c[k]);
            if (co->cost.model == GF_PF_COST_PWL)
                for (int k = 1; k < co->cost.n; k++)
                    ok = ok && co->cost.c[2 * k] > co->cost.c[2 * k - 2];
        }
        if (!ok)
            return gf_err_set(err, GF_EINVAL, "bad_option",
                              "cost override %zu: bad generator index or cost data", i);
    }
    if (o->pf_max_iter < 1 || o->pf_max_iter > 1000 || !(o->pf_tol > 0) || !(o->tol > 0) ||
        o->max_iter < 1 || !(o->max_cpu_time > 0) || o->print_level < 0 || o->print_level > 12)
        return gf_err_set(err, GF_EINVAL, "bad_option", "solver settings out of range");
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int ybus_pos(const gf_pf_net_t *n, int i, int j)
{
    int lo = n->yp[i], hi = n->yp[i + 1];
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (n->yj[mid] == j)
            return mid;
        if (n->yj[mid] < j)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

#define ALLOC(p, cnt) (p) = gf_xcalloc((size_t)(cnt) + 1, sizeof *(p))

/* Demand per row of mpc.bus (MW, MVAr): the case's, replaced by the per-bus loads of the
 * options, times their load scale. */
static void net_loads(const gf_pf_case_t *c, const gf_pf_opts_t *opts, double *pd, double *qd)
{
    size_t NB = c->n_bus;
    for (size_t i = 0; i < NB; i++) {
        pd[i] = c->bus[i].pd;
        qd[i] = c->bus[i].qd;
    }
    for (size_t i = 0; i < opts->n_bus_loads; i++) {
        long b = gf_pf_case_bus_index(c, opts->bus_loads[i].bus);
        pd[b] = opts->bus_loads[i].pd;
        qd[b] = opts->bus_loads[i].qd;
    }
    for (size_t i = 0; i < NB; i++) {
        pd[i] *= opts->load_scale;
        qd[i] *= opts->load_scale;
    }
}

/* The internal numbering of buses (n->nb, bus_int, bus_row); branches and generators at a bus
 * out of it leave service (bst, gst cleared). Returns the number of generators in service. */
static int net_select(gf_pf_net_t *n, const gf_pf_case_t *c, const int *comp, const char *live,
                      char *bst, char *gst)
{
    size_t NB = c->n_bus, NG = c->n_gen, NL = c->n_branch;
    /* buses: in service when in the (single) live component */
    n->bus_int = gf_xmalloc((NB + 1) * sizeof *n->bus_int);
    n->bus_row = gf_xmalloc((NB + 1) * sizeof *n->bus_row);
    int nb = 0;
    for (size_t i = 0; i < NB; i++) {
        bool on = comp[i] >= 0 && live[comp[i]];
        n->bus_int[i] = on ? nb : -1;
        if (on)
            n->bus_row[nb++] = (int)i;
    }
    n->nb = nb;
    for (size_t k = 0; k < NL; k++)
        if (bst[k] && n->bus_int[gf_pf_case_bus_index(c, c->branch[k].fbus)] < 0)
            bst[k] = 0;
    int ng = 0;
    for (size_t g = 0; g < NG; g++)
        if (gst[g] && n->bus_int[gf_pf_case_bus_index(c, c->gen[g].bus)] >= 0)
            ng++;
        else
            gst[g] = 0;
    return ng;
}

/* Per-bus arrays (p.u., rad) in the internal numbering. */
static void net_buses(gf_pf_net_t *n, const gf_pf_case_t *c, const double *pd, const double *qd)
{
    int nb = n->nb;
    double base = n->base;
    ALLOC(n->type, nb);
    ALLOC(n->pd, nb);
    ALLOC(n->qd, nb);
    ALLOC(n->gs, nb);
    ALLOC(n->bs, nb);
    ALLOC(n->vmin, nb);
    ALLOC(n->vmax, nb);
    ALLOC(n->vm0, nb);
    ALLOC(n->va0, nb);
    for (int i = 0; i < nb; i++) {
        const gf_pf_bus_t *b = &c->bus[n->bus_row[i]];
        n->type[i] = b->type;
        n->pd[i] = pd[n->bus_row[i]] / base;
        n->qd[i] = qd[n->bus_row[i]] / base;
        n->gs[i] = b->gs / base;
        n->bs[i] = b->bs / base;
        n->vmin[i] = b->vmin;
        n->vmax[i] = b->vmax;
        n->vm0[i] = b->vm;
        n->va0[i] = b->va * M_PI / 180.0;
    }
}

/* The ng generators in service (gst), their costs (the case's, replaced by the options'), and
 * the generators of every bus (gb_ptr, gb_idx). */
static void net_gens(gf_pf_net_t *n, const gf_pf_case_t *c, const gf_pf_opts_t *opts,
                     const char *gst, int ng)
{
    size_t NG = c->n_gen;
    int nb = n->nb;
    double base = n->base;
    n->ng = ng;
    ALLOC(n->gen_row, ng);
    ALLOC(n->gen_bus, ng);
    ALLOC(n->gen_int, NG);
    ALLOC(n->pmin, ng);
    ALLOC(n->pmax, ng);
    ALLOC(n->qmin, ng);
    ALLOC(n->qmax, ng);
    ALLOC(n->pg0, ng);
    ALLOC(n->qg0, ng);
    ALLOC(n->cost, ng);
    ALLOC(n->gb_ptr, nb + 1);
    ALLOC(n->gb_idx, ng);
    int g = 0;
    for (size_t r = 0; r < NG; r++) {
        n->gen_int[r] = -1;
        if (!gst[r])
            continue;
        const gf_pf_gen_t *gg = &c->gen[r];
        n->gen_int[r] = g;
        n->gen_row[g] = (int)r;
        n->gen_bus[g] = n->bus_int[gf_pf_case_bus_index(c, gg->bus)];
#define PU(v) (isinf(v) ? ((v) > 0 ? GF__PF_INF : -GF__PF_INF) : (v) / base)
        n->pmin[g] = PU(gg->pmin);
        n->pmax[g] = PU(gg->pmax);
        n->qmin[g] = PU(gg->qmin);
        n->qmax[g] = PU(gg->qmax);
        n->pg0[g] = gg->pg / base;
        n->qg0[g] = gg->qg / base;
        if (c->gencost != NULL)
            n->cost[g] = c->gencost[r];
        else
            n->cost[g].model = GF_PF_COST_POLY; /* n = 0: zero cost */
        n->gb_ptr[n->gen_bus[g] + 1]++;
        g++;
    }
    for (size_t i = 0; i < opts->n_costs; i++) {
        int gi = n->gen_int[opts->costs[i].gen];
        if (gi >= 0)
            n->cost[gi] = opts->costs[i].cost;
    }
    for (int i = 0; i < nb; i++)
        n->gb_ptr[i + 1] += n->gb_ptr[i];
    int *fill = gf_xcalloc((size_t)nb + 1, sizeof *fill);
    for (g = 0; g < ng; g++) {
        int b = n->gen_bus[g];
        n->gb_idx[n->gb_ptr[b] + fill[b]++] = g;
    }
    free(fill);
#undef PU
}

/* Bus types after outages: PV/REF need an in-service gen; exactly one REF. */
static void net_bus_types(gf_pf_net_t *n)
{
    int nb = n->nb;
    n->ref = -1;
    for (int i = 0; i < nb; i++) {
        bool has_gen = n->gb_ptr[i + 1] > n->gb_ptr[i];
        if ((n->type[i] == GF_PF_PV || n->type[i] == GF_PF_REF) && !has_gen)
            n->type[i] = GF_PF_PQ;
        if (n->type[i] == GF_PF_REF) {
            if (n->ref < 0)
                n->ref = i;
            else
                n->type[i] = GF_PF_PV;
        }
    }
    if (n->ref < 0) { /* reference lost with its generators: take the biggest PV bus */
        double best = -1;
        for (int i = 0; i < nb; i++) {
            double cap = 0;
            for (int q = n->gb_ptr[i]; q < n->gb_ptr[i + 1]; q++)
                cap += n->pmax[n->gb_idx[q]];
            if (n->gb_ptr[i + 1] > n->gb_ptr[i] && cap > best) {
                best = cap;
                n->ref = i;
            }
        }
        n->type[n->ref] = GF_PF_REF;
    }
}

/* The branches in service (bst): pi-model admittances, limits, the DC model. */
static void net_branches(gf_pf_net_t *n, const gf_pf_case_t *c, const char *bst)
{
    size_t NL = c->n_branch;
    double base = n->base;
    int nl = 0;
    for (size_t k = 0; k < NL; k++)
        nl += bst[k] ? 1 : 0;
    n->nl = nl;
    ALLOC(n->br_row, nl);
    ALLOC(n->f, nl);
    ALLOC(n->t, nl);
    ALLOC(n->gff, nl);
    ALLOC(n->bff, nl);
    ALLOC(n->gft, nl);
    ALLOC(n->bft, nl);
    ALLOC(n->gtf, nl);
    ALLOC(n->btf, nl);
    ALLOC(n->gtt, nl);
    ALLOC(n->btt, nl);
    ALLOC(n->rate, nl);
    ALLOC(n->angmin, nl);
    ALLOC(n->angmax, nl);
    ALLOC(n->bdc, nl);
    ALLOC(n->shift, nl);
    ALLOC(n->pos_ft, nl);
    ALLOC(n->pos_tf, nl);
    int k = 0;
    for (size_t r = 0; r < NL; r++) {
        if (!bst[r])
            continue;
        const gf_pf_branch_t *br = &c->branch[r];
        n->br_row[k] = (int)r;
        n->f[k] = n->bus_int[gf_pf_case_bus_index(c, br->fbus)];
        n->t[k] = n->bus_int[gf_pf_case_bus_index(c, br->tbus)];
        double z2 = br->r * br->r + br->x * br->x;
        double gs = br->r / z2, bs = -br->x / z2; /* ys = 1/(r + jx) */
        double tap = br->ratio != 0 ? br->ratio : 1.0;
        double sh = br->angle * M_PI / 180.0;
        double tr = tap * cos(sh), ti = tap * sin(sh); /* complex tap t */
        double t2 = tap * tap;
        /* Ytt = ys + j b/2 ; Yff = Ytt / |t|^2 ; Yft = -ys / conj(t) ; Ytf = -ys / t */
        n->gtt[k] = gs;
        n->btt[k] = bs + br->b / 2;
        n->gff[k] = gs / t2;
        n->bff[k] = (bs + br->b / 2) / t2;
        /* -ys / conj(t) = -ys * t / |t|^2 */
        n->gft[k] = -(gs * tr - bs * ti) / t2;
        n->bft[k] = -(gs * ti + bs * tr) / t2;
        /* -ys / t = -ys * conj(t) / |t|^2 */
        n->gtf[k] = -(gs * tr + bs * ti) / t2;
        n->btf[k] = -(bs * tr - gs * ti) / t2;
        n->rate[k] = br->rate_a > 0 && isfinite(br->rate_a) ? br->rate_a / base : 0;
        /* MATPOWER: a limit applies when nonzero and inside (-360, 360) */
        n->angmin[k] = (br->angmin != 0 && br->angmin > -360) ? br->angmin * M_PI / 180.0
                                                              : -GF__PF_INF;
        n->angmax[k] = (br->angmax != 0 && br->angmax < 360) ? br->angmax * M_PI / 180.0
                                                             : GF__PF_INF;
        /* DC model as in the PGLib DC baseline (PowerModels DCP): series susceptance
         * x/(r^2+x^2), taps and phase shifts ignored. MATPOWER uses 1/(x*tap) with shifts;
         * objectives then differ by about 0.1-0.5 %. */
        n->bdc[k] = br->x / z2;
        n->shift[k] = 0;
        k++;
    }
}

/* Ybus: the pattern (neighbours of every bus plus the diagonal, sorted columns), the diagonal
 * and per-branch positions, the values. */
static void net_ybus(gf_pf_net_t *n)
{
    int nb = n->nb, nl = n->nl, k;
    int *deg = gf_xcalloc((size_t)nb + 1, sizeof *deg);
    for (k = 0; k < nl; k++) {
        deg[n->f[k]]++;
        deg[n->t[k]]++;
    }
    int *ptr = gf_xcalloc((size_t)nb + 1, sizeof *ptr);
    for (int i = 0; i < nb; i++)
        ptr[i + 1] = ptr[i] + deg[i] + 1;
    int *tmp = gf_xmalloc(((size_t)ptr[nb] + 1) * sizeof *tmp);
    int *cnt = gf_xcalloc((size_t)nb + 1, sizeof *cnt);
    for (int i = 0; i < nb; i++)
        tmp[ptr[i] + cnt[i]++] = i;
    for (k = 0; k < nl; k++) {
        tmp[ptr[n->f[k]] + cnt[n->f[k]]++] = n->t[k];
        tmp[ptr[n->t[k]] + cnt[n->t[k]]++] = n->f[k];
    }
    ALLOC(n->yp, nb + 1);
    n->yj = gf_xmalloc(((size_t)ptr[nb] + 1) * sizeof *n->yj);
    int nz = 0;
    for (int i = 0; i < nb; i++) {
        qsort(tmp + ptr[i], (size_t)cnt[i], sizeof *tmp, cmp_int);
        for (int q = 0; q < cnt[i]; q++)
            if (q == 0 || tmp[ptr[i] + q] != tmp[ptr[i] + q - 1])
                n->yj[nz++] = tmp[ptr[i] + q];
        n->yp[i + 1] = nz;
    }
    free(deg);
    free(ptr);
    free(tmp);
    free(cnt);
    ALLOC(n->yg, nz);
    ALLOC(n->yb, nz);
    ALLOC(n->ydiag, nb);
    for (int i = 0; i < nb; i++) {
        n->ydiag[i] = ybus_pos(n, i, i);
        n->yg[n->ydiag[i]] += n->gs[i];
        n->yb[n->ydiag[i]] += n->bs[i];
    }
    for (k = 0; k < nl; k++) {
        int f = n->f[k], t = n->t[k];
        n->pos_ft[k] = ybus_pos(n, f, t);
        n->pos_tf[k] = ybus_pos(n, t, f);
        n->yg[n->ydiag[f]] += n->gff[k];
        n->yb[n->ydiag[f]] += n->bff[k];
        n->yg[n->ydiag[t]] += n->gtt[k];
        n->yb[n->ydiag[t]] += n->btt[k];
        n->yg[n->pos_ft[k]] += n->gft[k];
        n->yb[n->pos_ft[k]] += n->bft[k];
        n->yg[n->pos_tf[k]] += n->gtf[k];
        n->yb[n->pos_tf[k]] += n->btf[k];
    }
}
#undef ALLOC

/* Phases: loads, islands (one live component or a network_islanded error), the buses in
 * service, their arrays, generators, bus types, branches, Ybus. */
gf_pf_net_t *gf_pf_net_new(const gf_pf_case_t *c, const gf_pf_opts_t *opts, gf_err_t *err)
{
    gf_pf_opts_t defaults;
    if (opts == NULL) {
        gf_pf_opts_init(&defaults);
        opts = &defaults;
    }
    if (validate_opts(c, opts, err) != 0)
        return NULL;
    size_t NB = c->n_bus, NG = c->n_gen, NL = c->n_branch;
    gf_pf_net_t *n = gf_xcalloc(1, sizeof *n), *ret = NULL;
    n->cs = c;
    n->base = c->base_mva;
    char *bst = gf_xmalloc(NL + 1), *gst = gf_xmalloc(NG + 1), *live = gf_xmalloc(NB + 1);
    int *comp = gf_xmalloc((NB + 1) * sizeof *comp);
    double *pd = gf_xmalloc((NB + 1) * sizeof *pd), *qd = gf_xmalloc((NB + 1) * sizeof *qd);
    net_loads(c, opts, pd, qd);
    service_flags(c, opts, bst, gst);
    int nlive = components(c, bst, gst, pd, qd, comp, live);
    if (nlive > 1) {
        gf_err_set(err, GF_EUNPROCESSABLE, "network_islanded",
                   "the in-service network splits into %d islands with load or generation", nlive);
        json_t *d = json_object();
        json_object_set_new(d, "islands", json_integer(nlive));
        gf_err_add_detail(err, d);
        goto out;
    }
    int ng = net_select(n, c, comp, live, bst, gst);
    if (ng == 0 || n->nb == 0) {
        gf_err_set(err, GF_EUNPROCESSABLE, "no_generation", "no generator is in service");
        goto out;
    }
    net_buses(n, c, pd, qd);
    net_gens(n, c, opts, gst, ng);
    net_bus_types(n);
    net_branches(n, c, bst);
    net_ybus(n);
    ret = n;
    n = NULL;
out:
    free(bst);
    free(gst);
    free(live);
    free(comp);
    free(pd);
    free(qd);
    gf_pf_net_free(n);
    return ret;
}

void gf_pf_net_free(gf_pf_net_t *n)
{
    if (n == NULL)
        return;
    void *p[] = {n->bus_row, n->bus_int, n->type,   n->pd,    n->qd,      n->gs,      n->bs,
                 n->vmin,    n->vmax,    n->vm0,    n->va0,   n->gen_row, n->gen_bus, n->gen_int,
                 n->pmin,    n->pmax,    n->qmin,   n->qmax,  n->pg0,     n->qg0,     n->cost,
                 n->br_row,  n->f,       n->t,      n->gff,   n->bff,     n->gft,     n->bft,
                 n->gtf,     n->btf,     n->gtt,    n->btt,   n->rate,    n->angmin,  n->angmax,
                 n->bdc,     n->shift,   n->yp,     n->yj,    n->ydiag,   n->yg,      n->yb,
                 n->pos_ft,  n->pos_tf,  n->gb_ptr, n->gb_idx};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        free(p[i]);
    free(n);
}

size_t gf_pf_net_n_bus(const gf_pf_net_t *n)
{
    return (size_t)n->nb;
}

size_t gf_pf_net_bus_row(const gf_pf_net_t *n, size_t i)
{
    return (size_t)n->bus_row[i];
}

void gf_pf_net_ybus(const gf_pf_net_t *n, const int **rowptr, const int **col, const double **g,
                    const double **b)
{
    *rowptr = n->yp;
    *col = n->yj;
    *g = n->yg;
    *b = n->yb;
}

void gf__pf_branch_flow(const gf_pf_net_t *n, int k, const double *vm, const double *va, double *pf,
                        double *qf, double *pt, double *qt)
{
    int f = n->f[k], t = n->t[k];
    double d = va[f] - va[t], cd = cos(d), sd = sin(d);
    double vf = vm[f], vt = vm[t], vv = vf * vt;
    *pf = vf * vf * n->gff[k] + vv * (n->gft[k] * cd + n->bft[k] * sd);
    *qf = -vf * vf * n->bff[k] + vv * (n->gft[k] * sd - n->bft[k] * cd);
    *pt = vt * vt * n->gtt[k] + vv * (n->gtf[k] * cd - n->btf[k] * sd);
    *qt = -vt * vt * n->btt[k] + vv * (-n->gtf[k] * sd - n->btf[k] * cd);
}

double gf__pf_cost(const gf_pf_gencost_t *c, double p, double *d1, double *d2)
{
    double f = 0, g = 0, h = 0;
    if (c->model == GF_PF_COST_POLY) {
        /* Horner on c[0]*p^(n-1) + ... + c[n-1], carrying derivatives */
        for (int i = 0; i < c->n; i++) {
            h = h * p + 2 * g;
            g = g * p + f;
            f = f * p + c->c[i];
        }
    } else if (c->model == GF_PF_COST_PWL && c->n >= 2) {
        /* evaluated on the segment containing p (extrapolating the end segments) */
        int s = 0;
        while (s < c->n - 2 && p > c->c[2 * (s + 1)])
            s++;
        double x0 = c->c[2 * s], y0 = c->c[2 * s + 1], x1 = c->c[2 * s + 2], y1 = c->c[2 * s + 3];
        g = (y1 - y0) / (x1 - x0);
        f = y0 + g * (p - x0);
    }
    if (d1)
        *d1 = g;
    if (d2)
        *d2 = h;
    return f;
}
