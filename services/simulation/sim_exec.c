/*
 * sim_exec.c - case catalog and request execution (see sim_exec.h).
 *
 * Forecast-driven loads: the forecast service gives the region's demand for the hour and the
 * region's peak; every bus load of the case is scaled by forecast / peak, i.e. the case's own
 * loads are taken to describe the region at its peak. The result says so in "load_source".
 * The forecast service is asked through sim_forecast.c.
 */
#include "sim_exec.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "powerflow/n1.h"
#include "powerflow/solve.h"
#include "sim_forecast.h"

/* ---------------------------------------------------------------- catalog */

typedef struct entry {
    char name[128];
    gf_pf_case_t *c;
} entry_t;

struct sim_catalog {
    entry_t *e;
    size_t n;
};

static int by_size(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    if (x->c->n_bus != y->c->n_bus)
        return x->c->n_bus < y->c->n_bus ? -1 : 1;
    return strcmp(x->name, y->name);
}

sim_catalog_t *sim_catalog_load(const char *dir, gf_err_t *err)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        gf_err_set(err, GF_ENOTFOUND, "cases_missing", "cannot open the case directory %s", dir);
        return NULL;
    }
    sim_catalog_t *cat = gf_xcalloc(1, sizeof *cat);
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 3 || strcmp(de->d_name + len - 2, ".m") != 0 || len - 2 >= sizeof cat->e->name)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        gf_pf_case_t *c = NULL;
        if (gf_pf_case_load(path, &c, err) != 0) {
            closedir(d);
            sim_catalog_free(cat);
            return NULL;
        }
        if (cat->n == cap) {
            cap = cap ? cap * 2 : 16;
            cat->e = gf_xrealloc(cat->e, cap * sizeof *cat->e);
        }
        memcpy(cat->e[cat->n].name, de->d_name, len - 2);
        cat->e[cat->n].name[len - 2] = '\0';
        cat->e[cat->n].c = c;
        cat->n++;
    }
    closedir(d);
    if (cat->n == 0) {
        sim_catalog_free(cat);
        gf_err_set(err, GF_ENOTFOUND, "cases_missing", "no .m case in %s", dir);
        return NULL;
    }
    qsort(cat->e, cat->n, sizeof *cat->e, by_size);
    return cat;
}

void sim_catalog_free(sim_catalog_t *cat)
{
    if (cat == NULL)
        return;
    for (size_t i = 0; i < cat->n; i++)
        gf_pf_case_free(cat->e[i].c);
    free(cat->e);
    free(cat);
}

const gf_pf_case_t *sim_catalog_get(const sim_catalog_t *cat, const char *name)
{
    for (size_t i = 0; i < cat->n; i++)
        if (strcmp(cat->e[i].name, name) == 0)
            return cat->e[i].c;
    return NULL;
}

size_t sim_catalog_count(const sim_catalog_t *cat)
{
    return cat->n;
}

static double total_load(const gf_pf_case_t *c)
{
    double s = 0;
    for (size_t i = 0; i < c->n_bus; i++)
        s += c->bus[i].pd;
    return s;
}

json_t *sim_catalog_to_json(const sim_catalog_t *cat)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < cat->n; i++) {
        const gf_pf_case_t *c = cat->e[i].c;
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(cat->e[i].name));
        json_object_set_new(o, "buses", json_integer((json_int_t)c->n_bus));
        json_object_set_new(o, "generators", json_integer((json_int_t)c->n_gen));
        json_object_set_new(o, "branches", json_integer((json_int_t)c->n_branch));
        json_object_set_new(o, "base_mva", json_real(c->base_mva));
        json_object_set_new(o, "load_mw", json_real(round(total_load(c) * 100) / 100));
        json_object_set_new(o, "has_costs", json_boolean(c->gencost != NULL));
        json_object_set_new(o, "source",
                            json_string(strncmp(cat->e[i].name, "pglib_", 6) == 0
                                            ? "PGLib-OPF v23.07"
                                            : "MATPOWER"));
        json_array_append_new(arr, o);
    }
    json_t *root = json_object();
    json_object_set_new(root, "cases", arr);
    return root;
}

/* ---------------------------------------------------------------- execution */

size_t sim_request_buses(const sim_env_t *env, const sim_request_t *q)
{
    if (q->case_text != NULL)
        return 0;
    const gf_pf_case_t *c = sim_catalog_get(env->catalog, q->case_name);
    return c ? c->n_bus : 0;
}

static int solve_one(const gf_pf_case_t *c, const sim_request_t *q, const gf_pf_opts_t *o,
                     gf_pf_result_t **res, gf_err_t *err)
{
    if (q->kind == SIM_PF)
        return gf_pf_solve_pf(c, o, res, err);
    return q->dc ? gf_pf_solve_dcopf(c, o, res, err) : gf_pf_solve_acopf(c, o, res, err);
}

static json_t *case_json(const sim_request_t *q, const gf_pf_case_t *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "name",
                        json_string(q->case_text ? (c->name[0] ? c->name : "uploaded")
                                                 : q->case_name));
    json_object_set_new(o, "uploaded", json_boolean(q->case_text != NULL));
    json_object_set_new(o, "buses", json_integer((json_int_t)c->n_bus));
    json_object_set_new(o, "branches", json_integer((json_int_t)c->n_branch));
    json_object_set_new(o, "generators", json_integer((json_int_t)c->n_gen));
    return o;
}

/* Per-hour summary for a schedule. */
static json_t *hour_json(double ts, double fc_mw, double scale, const gf_pf_result_t *r)
{
    char t[40];
    json_t *h = json_object();
    json_object_set_new(h, "ts", json_string(gf_time_format((int64_t)ts, t, sizeof t)));
    json_object_set_new(h, "forecast_mw", json_real(fc_mw));
    json_object_set_new(h, "scale", json_real(scale));
    json_object_set_new(h, "status", json_string(r ? r->status : "not_solved"));
    json_object_set_new(h, "converged", json_boolean(r && r->converged));
    if (r == NULL)
        return h;
    json_object_set_new(h, "objective", json_real(r->objective));
    json_object_set_new(h, "iterations", json_integer(r->iterations));
    json_object_set_new(h, "time_s", json_real(r->time_s));
    json_object_set_new(h, "load_mw", json_real(r->total_load_mw));
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->n_bus; i++) {
        if (!r->bus[i].in_service)
            continue;
        lo = fmin(lo, r->bus[i].lmp);
        hi = fmax(hi, r->bus[i].lmp);
        sum += r->bus[i].lmp;
        n++;
    }
    json_t *lmp = json_object();
    json_object_set_new(lmp, "min", json_real(n ? lo : 0));
    json_object_set_new(lmp, "max", json_real(n ? hi : 0));
    json_object_set_new(lmp, "mean", json_real(n ? sum / (double)n : 0));
    json_object_set_new(h, "lmp", lmp);
    json_t *cong = json_array();
    for (size_t i = 0; i < r->n_branch; i++)
        if (r->branch[i].in_service && r->branch[i].loading_percent >= 99.0)
            json_array_append_new(cong, json_integer((json_int_t)i));
    json_object_set_new(h, "congested_branches", cong);
    json_t *disp = json_array();
    for (size_t i = 0; i < r->n_gen; i++)
        json_array_append_new(disp, json_real(round(r->gen[i].p_mw * 1000) / 1000));
    json_object_set_new(h, "dispatch_mw", disp);
    return h;
}

static void progress_n1(void *arg, size_t done, size_t total)
{
    const sim_progress_t *pg = arg;
    pg->fn(pg->arg, "outages", done, total);
}

static void progress_opf(void *arg, int iterations)
{
    const sim_progress_t *pg = arg;
    pg->fn(pg->arg, "iterations", (size_t)iterations, 0);
}

static int run_schedule(const sim_env_t *env, const sim_request_t *q, const gf_pf_case_t *c,
                        const sim_progress_t *pg, json_t **out, gf_err_t *err)
{
    sim_forecast_t fc;
    int rc = sim_forecast_fetch(env, q->forecast_region, q->start, q->hours, &fc, err);
    if (rc != 0)
        return rc;
    gf_pf_cost_override_t *costs = gf_xcalloc(q->n_costs + 1, sizeof *costs);
    gf_pf_opts_t o;
    sim_request_opts(q, env->max_cpu_time, &o, costs);
    json_t *hours = json_array();
    gf_pf_result_t *prev = NULL;
    double total = 0, t_solve = 0;
    int failed = 0;
    for (int h = 0; h < q->hours; h++) {
        double scale = fc.mw[h] / fc.peak_mw;
        o.load_scale = scale;
        o.warm = prev; /* warm start hour to hour */
        gf_pf_result_t *r = NULL;
        gf_err_t e = {0};
        int src = q->dc ? gf_pf_solve_dcopf(c, &o, &r, &e) : gf_pf_solve_acopf(c, &o, &r, &e);
        json_t *hj = hour_json(q->start + 3600.0 * h, fc.mw[h], scale, r);
        if (src != 0) {
            failed++;
            json_object_set_new(hj, "error", json_string(e.code));
        } else {
            total += r->objective;
        }
        if (r)
            t_solve += r->time_s;
        gf_err_cleanup(&e);
        json_array_append_new(hours, hj);
        gf_pf_result_free(prev);
        prev = (src == 0) ? r : NULL;
        if (src != 0)
            gf_pf_result_free(r);
        if (pg != NULL)
            pg->fn(pg->arg, "hours", (size_t)h + 1, (size_t)q->hours);
    }
    gf_pf_result_free(prev);
    free(costs);
    char ts[40];
    json_t *o_json = json_object();
    json_object_set_new(o_json, "kind", json_string("schedule"));
    json_object_set_new(o_json, "mode", json_string(q->dc ? "dc" : "ac"));
    json_object_set_new(o_json, "case", case_json(q, c));
    json_object_set_new(o_json, "region", json_string(q->forecast_region));
    json_object_set_new(o_json, "start",
                        json_string(gf_time_format((int64_t)q->start, ts, sizeof ts)));
    json_object_set_new(o_json, "peak_mw", json_real(fc.peak_mw));
    json_object_set_new(o_json, "model", json_incref(fc.model));
    json_object_set_new(o_json, "total_cost", json_real(total));
    json_object_set_new(o_json, "failed_hours", json_integer(failed));
    json_object_set_new(o_json, "solve_seconds", json_real(t_solve));
    json_object_set_new(o_json, "load_source",
                        json_string("case loads scaled by forecast_mw / peak_mw each hour"));
    json_object_set_new(o_json, "hours", hours);
    sim_forecast_cleanup(&fc);
    *out = o_json;
    return 0;
}

int sim_execute(const sim_env_t *env, const sim_request_t *q, json_t **out, gf_err_t *err)
{
    return sim_execute_progress(env, q, NULL, out, err);
}

int sim_execute_progress(const sim_env_t *env, const sim_request_t *q, const sim_progress_t *pg,
                         json_t **out, gf_err_t *err)
{
    *out = NULL;
    gf_pf_case_t *owned = NULL;
    const gf_pf_case_t *c;
    int rc;
    if (q->case_text != NULL) {
        rc = gf_pf_case_parse(q->case_text, q->case_text_len, &owned, err);
        if (rc != 0)
            return rc == GF_EUNPROCESSABLE ? rc : GF_EINVAL;
        c = owned;
    } else {
        c = sim_catalog_get(env->catalog, q->case_name);
        if (c == NULL) {
            gf_err_set(err, GF_ENOTFOUND, "unknown_case",
                       "case '%.100s' is not shipped (GET /v1/cases lists them)", q->case_name);
            gf_err_add_field(err, "case", "unknown case");
            return GF_ENOTFOUND;
        }
    }
    if ((rc = sim_request_check(q, c, err)) != 0)
        goto done;
    if (q->kind == SIM_SCHEDULE) {
        rc = run_schedule(env, q, c, pg, out, err);
        goto done;
    }

    sim_request_t local = *q; /* shallow: only load_scale may change below */
    json_t *load_source = NULL;
    if (q->forecast_region[0]) {
        sim_forecast_t fc;
        rc = sim_forecast_fetch(env, q->forecast_region, q->forecast_at, 1, &fc, err);
        if (rc != 0)
            goto done;
        char ts[40];
        local.load_scale = fc.mw[0] / fc.peak_mw;
        load_source = json_object();
        json_object_set_new(load_source, "kind", json_string("forecast"));
        json_object_set_new(load_source, "region", json_string(q->forecast_region));
        json_object_set_new(load_source, "at",
                            json_string(gf_time_format((int64_t)q->forecast_at, ts, sizeof ts)));
        json_object_set_new(load_source, "forecast_mw", json_real(fc.mw[0]));
        json_object_set_new(load_source, "peak_mw", json_real(fc.peak_mw));
        json_object_set_new(load_source, "scale", json_real(local.load_scale));
        json_object_set_new(load_source, "model", json_incref(fc.model));
        json_object_set_new(load_source, "note",
                            json_string("every bus load of the case scaled by forecast_mw / "
                                        "peak_mw: the case is taken to describe the region at "
                                        "its peak"));
        sim_forecast_cleanup(&fc);
    } else {
        load_source = json_object();
        json_object_set_new(load_source, "kind",
                            json_string(q->n_bus_loads       ? "buses"
                                        : q->load_scale != 1 ? "scaled"
                                                             : "case"));
        json_object_set_new(load_source, "scale", json_real(q->load_scale));
    }

    gf_pf_cost_override_t *costs = gf_xcalloc(q->n_costs + 1, sizeof *costs);
    gf_pf_opts_t o;
    sim_request_opts(&local, env->max_cpu_time, &o, costs);
    if (pg != NULL && q->kind != SIM_N1) {
        o.progress = progress_opf;
        o.progress_arg = (void *)pg;
    }
    if (q->kind == SIM_N1) {
        gf_pf_n1_params_t p;
        gf_pf_n1_params_init(&p);
        p.mode = (gf_pf_n1_mode_t)q->n1_mode;
        p.branches = q->screen;
        p.n_branches = q->n_screen;
        p.threads = env->n1_threads;
        if (pg != NULL) {
            p.progress = progress_n1;
            p.progress_arg = (void *)pg;
        }
        gf_pf_n1_report_t *rep = NULL;
        rc = gf_pf_n1_run(c, &o, &p, &rep, err);
        if (rc == 0) {
            *out = gf_pf_n1_report_to_json(rep);
            json_object_set_new(*out, "case", case_json(q, c));
            json_object_set_new(*out, "load_source", load_source);
            load_source = NULL;
        }
        gf_pf_n1_report_free(rep);
    } else {
        gf_pf_result_t *res = NULL;
        rc = solve_one(c, q, &o, &res, err);
        if (res != NULL) {
            *out = gf_pf_result_to_json(res);
            json_object_set_new(*out, "case", case_json(q, c));
            json_object_set_new(*out, "mode",
                                json_string(q->kind == SIM_PF ? "pf"
                                            : q->dc           ? "dc"
                                                              : "ac"));
            json_object_set_new(*out, "load_source", load_source);
            load_source = NULL;
        }
        gf_pf_result_free(res);
    }
    json_decref(load_source);
    free(costs);
done:
    gf_pf_case_free(owned);
    return rc;
}
