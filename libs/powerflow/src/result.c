/*
 * result.c - solve results: allocation, filling from a voltage solution, JSON output, and
 * the Ipopt status vocabulary. A result always covers every row of the case (out-of-service
 * rows flagged), so callers can index it with the case's own row numbers.
 */
#include "pf_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

gf_pf_result_t *gf__pf_result_new(const gf_pf_net_t *n, gf_pf_kind_t kind)
{
    const gf_pf_case_t *c = n->cs;
    gf_pf_result_t *r = gf_xcalloc(1, sizeof *r);
    r->kind = kind;
    r->n_bus = c->n_bus;
    r->n_gen = c->n_gen;
    r->n_branch = c->n_branch;
    r->bus = gf_xcalloc(c->n_bus + 1, sizeof *r->bus);
    r->gen = gf_xcalloc(c->n_gen + 1, sizeof *r->gen);
    r->branch = gf_xcalloc(c->n_branch + 1, sizeof *r->branch);
    for (size_t i = 0; i < c->n_bus; i++) {
        r->bus[i].id = c->bus[i].id;
        r->bus[i].in_service = n->bus_int[i] >= 0;
        r->bus[i].type = n->bus_int[i] >= 0 ? n->type[n->bus_int[i]] : GF_PF_ISOLATED;
    }
    for (size_t g = 0; g < c->n_gen; g++) {
        r->gen[g].bus = c->gen[g].bus;
        r->gen[g].in_service = n->gen_int[g] >= 0;
    }
    for (size_t k = 0; k < c->n_branch; k++) {
        r->branch[k].fbus = c->branch[k].fbus;
        r->branch[k].tbus = c->branch[k].tbus;
    }
    for (int k = 0; k < n->nl; k++)
        r->branch[n->br_row[k]].in_service = true;
    return r;
}

void gf__pf_result_fill(gf_pf_result_t *r, const gf_pf_net_t *n, const double *vm, const double *va,
                        const double *pg, const double *qg)
{
    double base = n->base;
    double *pn = gf_xcalloc((size_t)n->nb + 1, sizeof *pn);
    double *qn = gf_xcalloc((size_t)n->nb + 1, sizeof *qn);
    r->total_load_mw = r->total_gen_mw = r->losses_mw = 0;
    for (int i = 0; i < n->nb; i++) {
        gf_pf_bus_res_t *b = &r->bus[n->bus_row[i]];
        b->vm_pu = vm[i];
        b->va_degree = va[i] * 180.0 / M_PI;
        b->pd_mw = n->pd[i] * base;
        b->qd_mvar = n->qd[i] * base;
        b->p_mw = -b->pd_mw;
        b->q_mvar = -b->qd_mvar;
        pn[i] = n->gs[i] * vm[i] * vm[i];
        qn[i] = -n->bs[i] * vm[i] * vm[i];
        r->total_load_mw += b->pd_mw;
    }
    for (int g = 0; g < n->ng; g++) {
        gf_pf_gen_res_t *gr = &r->gen[n->gen_row[g]];
        gr->p_mw = pg[g] * base;
        gr->q_mvar = qg[g] * base;
        gf_pf_bus_res_t *b = &r->bus[n->bus_row[n->gen_bus[g]]];
        b->p_mw += gr->p_mw;
        b->q_mvar += gr->q_mvar;
        r->total_gen_mw += gr->p_mw;
    }
    for (int k = 0; k < n->nl; k++) {
        double pf, qf, pt, qt;
        gf__pf_branch_flow(n, k, vm, va, &pf, &qf, &pt, &qt);
        gf_pf_branch_res_t *br = &r->branch[n->br_row[k]];
        br->pf_mw = pf * base;
        br->qf_mvar = qf * base;
        br->pt_mw = pt * base;
        br->qt_mvar = qt * base;
        br->pl_mw = br->pf_mw + br->pt_mw;
        br->ql_mvar = br->qf_mvar + br->qt_mvar;
        double rate = n->cs->branch[n->br_row[k]].rate_a;
        double s = fmax(hypot(br->pf_mw, br->qf_mvar), hypot(br->pt_mw, br->qt_mvar));
        br->loading_percent = rate > 0 ? 100.0 * s / rate : 0;
        r->losses_mw += br->pl_mw;
        pn[n->f[k]] += pf;
        qn[n->f[k]] += qf;
        pn[n->t[k]] += pt;
        qn[n->t[k]] += qt;
    }
    double mx = 0;
    for (int i = 0; i < n->nb; i++) {
        const gf_pf_bus_res_t *b = &r->bus[n->bus_row[i]];
        mx = fmax(mx, fabs(pn[i] * base - b->p_mw));
        mx = fmax(mx, fabs(qn[i] * base - b->q_mvar));
    }
    r->max_mismatch = mx;
    free(pn);
    free(qn);
}

void gf__pf_result_add_binding(gf_pf_result_t *r, gf_pf_bind_kind_t kind, size_t index,
                               double value, double limit, double mu)
{
    r->binding = gf_xrealloc(r->binding, (r->n_binding + 1) * sizeof *r->binding);
    r->binding[r->n_binding++] = (gf_pf_binding_t){kind, index, value, limit, mu};
}

void gf_pf_result_free(gf_pf_result_t *r)
{
    if (r == NULL)
        return;
    free(r->bus);
    free(r->gen);
    free(r->branch);
    free(r->binding);
    free(r->_x);
    free(r->_zl);
    free(r->_zu);
    free(r->_lam);
    free(r);
}

const char *gf_pf_bind_kind_name(gf_pf_bind_kind_t k)
{
    static const char *names[] = {"vm_max", "vm_min", "pg_max", "pg_min",  "qg_max",
                                  "qg_min", "sf",     "st",     "ang_max", "ang_min"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

const char *gf_pf_ipopt_status_code(int status, int *rc)
{
    static const struct {
        int status, rc;
        const char *code;
    } t[] = {
        {0, 0, "solve_succeeded"},
        {1, 0, "solved_to_acceptable_level"},
        {2, GF_EUNPROCESSABLE, "opf_infeasible"},
        {3, GF_EUNPROCESSABLE, "opf_search_direction_too_small"},
        {4, GF_EUNPROCESSABLE, "opf_diverging_iterates"},
        {5, GF_EINTERNAL, "opf_user_requested_stop"},
        {6, GF_EUNPROCESSABLE, "opf_feasible_point_found"},
        {-1, GF_EUNPROCESSABLE, "opf_max_iterations"},
        {-2, GF_EUNPROCESSABLE, "opf_restoration_failed"},
        {-3, GF_EUNPROCESSABLE, "opf_step_computation_error"},
        {-4, GF_ETIMEOUT, "opf_max_cpu_time"},
        {-10, GF_EUNPROCESSABLE, "opf_not_enough_degrees_of_freedom"},
        {-11, GF_EINTERNAL, "opf_invalid_problem_definition"},
        {-12, GF_EINTERNAL, "opf_invalid_option"},
        {-13, GF_EUNPROCESSABLE, "opf_invalid_number"},
        {-100, GF_EINTERNAL, "opf_unrecoverable_exception"},
        {-101, GF_EINTERNAL, "opf_non_ipopt_exception"},
        {-102, GF_EUNAVAIL, "opf_insufficient_memory"},
        {-199, GF_EINTERNAL, "opf_internal_error"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].status == status) {
            if (rc)
                *rc = t[i].rc;
            return t[i].code;
        }
    if (rc)
        *rc = GF_EINTERNAL;
    return "opf_unknown_status";
}

/* ------------------------------------------------------------------ JSON */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *gf_pf_result_to_json(const gf_pf_result_t *r)
{
    static const char *kinds[] = {"pf", "acopf", "dcopf"};
    json_t *root = json_object();
    json_t *buses = json_array(), *gens = json_array(), *brs = json_array(), *bind = json_array();
    json_t *tot = json_object();
    if (!root || !buses || !gens || !brs || !bind || !tot)
        goto oom;
    json_object_set_new(root, "kind", json_string(kinds[r->kind]));
    json_object_set_new(root, "converged", json_boolean(r->converged));
    json_object_set_new(root, "status", json_string(r->status));
    json_object_set_new(root, "objective", num(r->objective));
    json_object_set_new(root, "iterations", json_integer(r->iterations));
    json_object_set_new(root, "time_s", num(r->time_s));
    json_object_set_new(root, "max_mismatch_mva", num(r->max_mismatch));
    if (r->kind != GF_PF_KIND_PF) {
        /* branch-limit screening: Ipopt solves made and the limits in the last model */
        json_t *sc = json_pack("{s:b,s:i,s:i,s:i}", "enabled", r->screen_rounds > 0, "solves",
                               r->screen_rounds > 0 ? r->screen_rounds : 1, "limits_in_model",
                               r->limits_enforced, "limits_total", r->limits_total);
        if (sc == NULL || json_object_set_new(root, "screening", sc) != 0)
            goto oom;
    }
    json_object_set_new(tot, "load_mw", num(r->total_load_mw));
    json_object_set_new(tot, "gen_mw", num(r->total_gen_mw));
    json_object_set_new(tot, "losses_mw", num(r->losses_mw));
    json_object_set_new(root, "totals", tot);
    tot = NULL;
    for (size_t i = 0; i < r->n_bus; i++) {
        const gf_pf_bus_res_t *b = &r->bus[i];
        json_t *o = json_pack("{s:i,s:b,s:o,s:o,s:o,s:o,s:o,s:o}", "id", b->id, "in_service",
                              b->in_service, "vm_pu", num(b->vm_pu), "va_degree", num(b->va_degree),
                              "p_mw", num(b->p_mw), "q_mvar", num(b->q_mvar), "pd_mw",
                              num(b->pd_mw), "qd_mvar", num(b->qd_mvar));
        if (o == NULL)
            goto oom;
        json_object_set_new(o, "type", json_string(gf_pf_bus_type_name(b->type)));
        if (r->kind != GF_PF_KIND_PF) {
            json_object_set_new(o, "lmp", num(b->lmp));
            json_object_set_new(o, "lmp_energy", num(b->lmp_energy));
            json_object_set_new(o, "lmp_congestion", num(b->lmp_congestion));
            json_object_set_new(o, "lmp_loss", num(b->lmp_loss));
            json_object_set_new(o, "lam_q", num(b->lam_q));
        }
        json_array_append_new(buses, o);
    }
    for (size_t g = 0; g < r->n_gen; g++) {
        const gf_pf_gen_res_t *x = &r->gen[g];
        json_t *o = json_pack("{s:i,s:b,s:o,s:o,s:b,s:b,s:b,s:b}", "bus", x->bus, "in_service",
                              x->in_service, "p_mw", num(x->p_mw), "q_mvar", num(x->q_mvar),
                              "at_pmax", x->at_pmax, "at_pmin", x->at_pmin, "at_qmax", x->at_qmax,
                              "at_qmin", x->at_qmin);
        if (o == NULL)
            goto oom;
        json_array_append_new(gens, o);
    }
    for (size_t k = 0; k < r->n_branch; k++) {
        const gf_pf_branch_res_t *x = &r->branch[k];
        json_t *o = json_pack("{s:i,s:i,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "fbus", x->fbus, "tbus",
                              x->tbus, "in_service", x->in_service, "pf_mw", num(x->pf_mw),
                              "qf_mvar", num(x->qf_mvar), "pt_mw", num(x->pt_mw), "qt_mvar",
                              num(x->qt_mvar), "loading_percent", num(x->loading_percent), "pl_mw",
                              num(x->pl_mw), "ql_mvar", num(x->ql_mvar));
        if (o == NULL)
            goto oom;
        if (r->kind != GF_PF_KIND_PF) {
            json_object_set_new(o, "mu_sf", num(x->mu_sf));
            json_object_set_new(o, "mu_st", num(x->mu_st));
        }
        json_array_append_new(brs, o);
    }
    for (size_t i = 0; i < r->n_binding; i++) {
        const gf_pf_binding_t *x = &r->binding[i];
        json_t *o = json_pack("{s:s,s:I,s:o,s:o,s:o}", "type", gf_pf_bind_kind_name(x->kind),
                              "index", (json_int_t)x->index, "value", num(x->value), "limit",
                              num(x->limit), "mu", num(x->mu));
        if (o == NULL)
            goto oom;
        json_array_append_new(bind, o);
    }
    json_object_set_new(root, "bus", buses);
    json_object_set_new(root, "gen", gens);
    json_object_set_new(root, "branch", brs);
    json_object_set_new(root, "binding", bind);
    return root;
oom:
    json_decref(root);
    json_decref(buses);
    json_decref(gens);
    json_decref(brs);
    json_decref(bind);
    json_decref(tot);
    return NULL;
}

const char *gf_pf_bus_type_name(int type)
{
    switch (type) {
    case GF_PF_PQ:
        return "pq";
    case GF_PF_PV:
        return "pv";
    case GF_PF_REF:
        return "ref";
    default:
        return "isolated";
    }
}
