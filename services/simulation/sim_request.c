/*
 * sim_request.c - parsing and checking of the simulation bodies (see sim_request.h).
 * Every refusal names the field in err->details so a client can point at it.
 */
#include "sim_request.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/region.h"
#include "core/util.h"
#include "features/demand.h"
#include "powerflow/case.h"
#include "powerflow/n1.h"

const char *sim_kind_name(sim_kind_t k)
{
    switch (k) {
    case SIM_PF:
        return "powerflow";
    case SIM_OPF:
        return "opf";
    case SIM_N1:
        return "contingencies";
    case SIM_SCHEDULE:
        return "schedule";
    }
    return "unknown";
}

static int bad(gf_err_t *err, const char *code, const char *field, const char *fmt, const char *a)
{
    gf_err_set(err, GF_EINVAL, code, fmt, a);
    gf_err_add_field(err, field, err->message);
    return GF_EINVAL;
}

/* A region member: missing -> missing_field; not a string -> invalid_field; not a region code
 * ([A-Za-z0-9_-]) -> invalid_region, as every service answers a malformed region. Whether the
 * region is known (has demand history: else 404 unknown_region) is checked at submission
 * (h_sim.c). */
static int get_region(const json_t *v, const char *field, char *out, size_t cap, gf_err_t *err)
{
    if (v == NULL)
        return bad(err, "missing_field", field, "'%s' is missing (a region code, e.g. PJM)", field);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return bad(err, "invalid_field", field, "'%s' must name a region", field);
    if (json_string_length(v) >= cap || !gf_region_valid(json_string_value(v)))
        return bad(err, "invalid_region", field, "'%s' is not a region code ([A-Za-z0-9_-])",
                   field);
    snprintf(out, cap, "%s", json_string_value(v));
    return 0;
}

/* Refuse a member of object o (at `where`, "" for the body) that is not in the NULL-ended
 * known list: 400 unknown_field naming it ("outages.lines"), so a misspelt member is never
 * silently ignored. o that is not an object passes (the caller checks its type). */
static int only_members(const json_t *o, const char *const *known, const char *where, gf_err_t *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        size_t i = 0;
        while (known[i] && strcmp(known[i], key) != 0)
            i++;
        if (known[i] == NULL) {
            char field[160];
            snprintf(field, sizeof field, "%s%s%.64s", where, where[0] ? "." : "", key);
            return bad(err, "unknown_field", field, "unknown field '%s'", field);
        }
    }
    return 0;
}

/* A number in [min, max] ((min, max] when min_open); the refusal states the range. */
static int get_number_in(const json_t *v, const char *field, double min, bool min_open, double max,
                         double *out, gf_err_t *err)
{
    if (!json_is_number(v))
        return bad(err, "invalid_field", field, "'%s' must be a number", field);
    double x = json_number_value(v);
    if (!isfinite(x) || x < min || (min_open && x == min) || x > max) {
        gf_err_set(err, GF_EINVAL, "invalid_field",
                   "'%s' is out of range: it must be %s %g and <= %g", field,
                   min_open ? ">" : ">=", min, max);
        gf_err_add_field(err, field, err->message);
        return GF_EINVAL;
    }
    *out = x;
    return 0;
}

static int get_number(const json_t *v, const char *field, double min, double max, double *out,
                      gf_err_t *err)
{
    return get_number_in(v, field, min, false, max, out, err);
}

/* A JSON array of non-negative integers (rows) into a new array. */
static int get_rows(const json_t *v, const char *field, size_t **out, size_t *n, gf_err_t *err)
{
    if (!json_is_array(v))
        return bad(err, "invalid_field", field, "'%s' must be an array of row numbers", field);
    size_t len = json_array_size(v);
    if (len > SIM_MAX_LIST)
        return bad(err, "invalid_field", field, "'%s' has too many entries", field);
    size_t *rows = gf_xmalloc((len ? len : 1) * sizeof *rows);
    for (size_t i = 0; i < len; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_integer(e) || json_integer_value(e) < 0) {
            free(rows);
            return bad(err, "invalid_field", field,
                       "'%s' must hold non-negative integers (0-based rows)", field);
        }
        rows[i] = (size_t)json_integer_value(e);
    }
    *out = rows;
    *n = len;
    return 0;
}

static int parse_load(const json_t *load, sim_request_t *q, gf_err_t *err)
{
    static const char *const known[] = {"scale", "buses", "forecast", NULL};
    static const char *const bus_known[] = {"bus", "pd", "qd", NULL};
    static const char *const fc_known[] = {"region", "at", NULL};
    if (!json_is_object(load))
        return bad(err, "invalid_field", "load", "'%s' must be an object", "load");
    if (only_members(load, known, "load", err))
        return GF_EINVAL;
    int given = 0;
    json_t *v;
    if ((v = json_object_get(load, "scale")) != NULL) {
        given++;
        if (get_number_in(v, "load.scale", 0, true, 10, &q->load_scale, err))
            return GF_EINVAL;
    }
    if ((v = json_object_get(load, "buses")) != NULL) {
        given++;
        if (!json_is_array(v) || json_array_size(v) > SIM_MAX_LIST)
            return bad(err, "invalid_field", "load.buses", "'%s' must be an array", "load.buses");
        size_t n = json_array_size(v);
        q->bus_loads = gf_xcalloc(n ? n : 1, sizeof *q->bus_loads);
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(v, i);
            json_t *b = json_object_get(e, "bus");
            if (only_members(e, bus_known, "load.buses[]", err))
                return GF_EINVAL;
            if (!json_is_integer(b))
                return bad(err, "invalid_field", "load.buses",
                           "each entry of '%s' needs an integer 'bus'", "load.buses");
            q->bus_loads[i].bus = (int)json_integer_value(b);
            double pd = 0, qd = 0;
            if (get_number(json_object_get(e, "pd"), "load.buses[].pd", -1e6, 1e6, &pd, err))
                return GF_EINVAL;
            json_t *jq = json_object_get(e, "qd");
            if (jq != NULL && get_number(jq, "load.buses[].qd", -1e6, 1e6, &qd, err))
                return GF_EINVAL;
            q->bus_loads[i].pd = pd;
            q->bus_loads[i].qd = qd;
            q->n_bus_loads++;
        }
    }
    if ((v = json_object_get(load, "forecast")) != NULL) {
        given++;
        if (!json_is_object(v))
            return bad(err, "invalid_field", "load.forecast", "'%s' must be an object",
                       "load.forecast");
        if (only_members(v, fc_known, "load.forecast", err))
            return GF_EINVAL;
        json_t *at = json_object_get(v, "at");
        if (get_region(json_object_get(v, "region"), "load.forecast.region", q->forecast_region,
                       sizeof q->forecast_region, err))
            return GF_EINVAL;
        if (!json_is_string(at) ||
            gf_time_parse(json_string_value(at), json_string_length(at), &q->forecast_at) != 0)
            return bad(err, "invalid_field", "load.forecast.at",
                       "'%s' must be an RFC 3339 timestamp", "load.forecast.at");
        q->forecast_at = floor(q->forecast_at / 3600) * 3600;
    }
    if (given != 1)
        return bad(err, "invalid_field", "load",
                   "'%s' takes exactly one of scale, buses or forecast", "load");
    return 0;
}

static int parse_costs(const json_t *v, sim_request_t *q, gf_err_t *err)
{
    if (!json_is_array(v) || json_array_size(v) > SIM_MAX_LIST)
        return bad(err, "invalid_field", "costs", "'%s' must be an array", "costs");
    size_t n = json_array_size(v);
    q->costs = gf_xcalloc(n ? n : 1, sizeof *q->costs);
    for (size_t i = 0; i < n; i++) {
        static const char *const cost_known[] = {"gen", "model", "coeffs", NULL};
        json_t *e = json_array_get(v, i);
        json_t *g = json_object_get(e, "gen");
        if (only_members(e, cost_known, "costs[]", err))
            return GF_EINVAL;
        json_t *m = json_object_get(e, "model");
        json_t *c = json_object_get(e, "coeffs");
        if (!json_is_integer(g) || json_integer_value(g) < 0)
            return bad(err, "invalid_field", "costs[].gen", "'%s' must be a row number",
                       "costs[].gen");
        long model = m ? (json_is_integer(m) ? (long)json_integer_value(m) : -1) : 2;
        if (model != 1 && model != 2)
            return bad(err, "invalid_field", "costs[].model",
                       "'%s' must be 1 (piecewise linear) or 2 (polynomial)", "costs[].model");
        size_t nc = json_array_size(c);
        if (!json_is_array(c) || nc == 0 || nc > 64 || (model == 1 && (nc % 2 || nc < 4)))
            return bad(err, "invalid_field", "costs[].coeffs",
                       "'%s' must be a non-empty array (pairs x,y for model 1)", "costs[].coeffs");
        sim_cost_t *sc = &q->costs[q->n_costs++];
        sc->gen = (size_t)json_integer_value(g);
        sc->model = (int)model;
        sc->coeffs = gf_xmalloc(nc * sizeof(double));
        sc->n = (int)(model == 1 ? nc / 2 : nc);
        for (size_t k = 0; k < nc; k++)
            if (get_number(json_array_get(c, k), "costs[].coeffs", -1e9, 1e9, &sc->coeffs[k], err))
                return GF_EINVAL;
    }
    return 0;
}

int sim_request_parse(const json_t *body, sim_kind_t kind, sim_request_t *q, gf_err_t *err)
{
    memset(q, 0, sizeof *q);
    q->kind = kind;
    q->load_scale = 1;
    q->init = GF_PF_INIT_FLAT;
    q->screen_limits = true;
    q->hours = 24;
    q->n1_mode = GF_PF_N1_PF;
    if (!json_is_object(body))
        return bad(err, "invalid_body", "body", "the %s body must be a JSON object",
                   sim_kind_name(kind));
    static const char *const known[] = {"case",    "case_text",     "mode",   "load",
                                        "outages", "costs",         "init",   "max_cpu_time",
                                        "async",   "branches",      "region", "start",
                                        "hours",   "screen_limits", NULL};
    json_t *v;
    if (only_members(body, known, "", err))
        return GF_EINVAL;
    json_t *name = json_object_get(body, "case");
    json_t *text = json_object_get(body, "case_text");
    if ((name == NULL) == (text == NULL))
        return bad(err, "missing_case", "case",
                   "give exactly one of '%s' (a shipped case) or 'case_text'", "case");
    if (name != NULL) {
        if (!json_is_string(name) || json_string_length(name) == 0 ||
            json_string_length(name) >= sizeof q->case_name)
            return bad(err, "invalid_field", "case", "'%s' must be a case name", "case");
        snprintf(q->case_name, sizeof q->case_name, "%s", json_string_value(name));
    } else {
        if (!json_is_string(text) || json_string_length(text) == 0)
            return bad(err, "invalid_field", "case_text", "'%s' must be MATPOWER text",
                       "case_text");
        q->case_text_len = json_string_length(text);
        q->case_text = gf_xmalloc(q->case_text_len + 1);
        memcpy(q->case_text, json_string_value(text), q->case_text_len + 1);
    }
    if ((v = json_object_get(body, "mode")) != NULL) {
        const char *m = json_string_value(v);
        if (m == NULL)
            return bad(err, "invalid_field", "mode", "'%s' must be a string", "mode");
        if (kind == SIM_N1) {
            if (!strcmp(m, "pf"))
                q->n1_mode = GF_PF_N1_PF;
            else if (!strcmp(m, "ac"))
                q->n1_mode = GF_PF_N1_ACOPF;
            else if (!strcmp(m, "dc"))
                q->n1_mode = GF_PF_N1_DCOPF;
            else
                return bad(err, "invalid_field", "mode", "'%s' must be pf, ac or dc", "mode");
        } else if (kind == SIM_PF) {
            if (strcmp(m, "ac") != 0)
                return bad(err, "invalid_field", "mode", "'%s' of a power flow must be ac", "mode");
        } else if (!strcmp(m, "ac") || !strcmp(m, "dc")) {
            q->dc = !strcmp(m, "dc");
        } else {
            return bad(err, "invalid_field", "mode", "'%s' must be ac or dc", "mode");
        }
    }
    if ((v = json_object_get(body, "load")) != NULL) {
        if (kind == SIM_SCHEDULE)
            return bad(err, "invalid_field", "load", "'%s' is set by the forecast in a schedule",
                       "load");
        if (parse_load(v, q, err))
            return GF_EINVAL;
    }
    if ((v = json_object_get(body, "outages")) != NULL) {
        static const char *const out_known[] = {"branches", "gens", NULL};
        if (!json_is_object(v))
            return bad(err, "invalid_field", "outages", "'%s' must be an object", "outages");
        if (only_members(v, out_known, "outages", err))
            return GF_EINVAL;
        json_t *b = json_object_get(v, "branches");
        json_t *g = json_object_get(v, "gens");
        if (b && get_rows(b, "outages.branches", &q->branch_out, &q->n_branch_out, err))
            return GF_EINVAL;
        if (g && get_rows(g, "outages.gens", &q->gen_out, &q->n_gen_out, err))
            return GF_EINVAL;
    }
    if ((v = json_object_get(body, "costs")) != NULL && parse_costs(v, q, err))
        return GF_EINVAL;
    if ((v = json_object_get(body, "init")) != NULL) {
        const char *s = json_string_value(v);
        if (s && !strcmp(s, "flat"))
            q->init = GF_PF_INIT_FLAT;
        else if (s && !strcmp(s, "case"))
            q->init = GF_PF_INIT_CASE;
        else if (s && !strcmp(s, "pf"))
            q->init = GF_PF_INIT_PF;
        else
            return bad(err, "invalid_field", "init", "'%s' must be flat, case or pf", "init");
    }
    if ((v = json_object_get(body, "max_cpu_time")) != NULL &&
        get_number(v, "max_cpu_time", 0.01, 3600, &q->max_cpu_time, err))
        return GF_EINVAL;
    if ((v = json_object_get(body, "screen_limits")) != NULL) {
        if (!json_is_boolean(v))
            return bad(err, "invalid_field", "screen_limits", "'%s' must be true or false",
                       "screen_limits");
        q->screen_limits = json_is_true(v);
    }
    if ((v = json_object_get(body, "async")) != NULL) {
        if (!json_is_boolean(v))
            return bad(err, "invalid_field", "async", "'%s' must be true or false", "async");
        q->async = json_is_true(v);
    }
    if ((v = json_object_get(body, "branches")) != NULL) {
        if (kind != SIM_N1)
            return bad(err, "invalid_field", "branches",
                       "'%s' applies to contingencies only (use outages.branches)", "branches");
        if (get_rows(v, "branches", &q->screen, &q->n_screen, err))
            return GF_EINVAL;
        if (q->n_screen == 0)
            return bad(err, "invalid_field", "branches",
                       "'%s' must list at least one row (leave it out for every branch)",
                       "branches");
    }
    if (kind == SIM_SCHEDULE) {
        json_t *st = json_object_get(body, "start");
        if (get_region(json_object_get(body, "region"), "region", q->forecast_region,
                       sizeof q->forecast_region, err))
            return GF_EINVAL;
        if (st == NULL)
            return bad(err, "missing_field", "start",
                       "'%s' is missing (the first hour, e.g. 2018-06-30T00:00:00Z)", "start");
        if (!json_is_string(st) ||
            gf_time_parse(json_string_value(st), json_string_length(st), &q->start) != 0)
            return bad(err, "invalid_field", "start", "'%s' must be an RFC 3339 timestamp",
                       "start");
        /* as GET /v1/forecast?start= refuses it: no silent rounding of the first hour */
        if (fmod(q->start, 3600) != 0)
            return bad(err, "invalid_field", "start",
                       "'%s' must be a whole UTC hour (e.g. 2018-06-30T00:00:00Z)", "start");
        if ((v = json_object_get(body, "hours")) != NULL) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 ||
                json_integer_value(v) > SIM_MAX_HOURS)
                return bad(err, "invalid_field", "hours", "'%s' must be an integer 1..168",
                           "hours");
            q->hours = (int)json_integer_value(v);
        }
    } else if (json_object_get(body, "region") || json_object_get(body, "start") ||
               json_object_get(body, "hours")) {
        return bad(err, "invalid_field", "region", "'%s', 'start' and 'hours' belong to a schedule",
                   "region");
    }
    return 0;
}

static int unknown(gf_err_t *err, const char *field, size_t row, size_t n)
{
    gf_err_set(err, GF_EINVAL, "unknown_element", "'%s' names row %zu but the case has %zu", field,
               row, n);
    gf_err_add_field(err, field, err->message);
    return GF_EINVAL;
}

int sim_request_check(const sim_request_t *q, const gf_pf_case_t *c, gf_err_t *err)
{
    for (size_t i = 0; i < q->n_branch_out; i++)
        if (q->branch_out[i] >= c->n_branch)
            return unknown(err, "outages.branches", q->branch_out[i], c->n_branch);
    for (size_t i = 0; i < q->n_gen_out; i++)
        if (q->gen_out[i] >= c->n_gen)
            return unknown(err, "outages.gens", q->gen_out[i], c->n_gen);
    for (size_t i = 0; i < q->n_screen; i++)
        if (q->screen[i] >= c->n_branch)
            return unknown(err, "branches", q->screen[i], c->n_branch);
    for (size_t i = 0; i < q->n_costs; i++)
        if (q->costs[i].gen >= c->n_gen)
            return unknown(err, "costs[].gen", q->costs[i].gen, c->n_gen);
    for (size_t i = 0; i < q->n_bus_loads; i++)
        if (gf_pf_case_bus_index(c, q->bus_loads[i].bus) < 0) {
            gf_err_set(err, GF_EINVAL, "unknown_element",
                       "load.buses names bus %d, not in the case", q->bus_loads[i].bus);
            gf_err_add_field(err, "load.buses", err->message);
            return GF_EINVAL;
        }
    if ((q->kind == SIM_OPF || q->kind == SIM_SCHEDULE || q->n1_mode != GF_PF_N1_PF) &&
        c->gencost == NULL && q->n_costs == 0) {
        gf_err_set(err, GF_EUNPROCESSABLE, "no_gencost",
                   "the case has no mpc.gencost: an OPF needs generator costs");
        return GF_EUNPROCESSABLE;
    }
    return 0;
}

void sim_request_opts(const sim_request_t *q, double default_cpu_time, gf_pf_opts_t *o,
                      gf_pf_cost_override_t *costs_buf)
{
    gf_pf_opts_init(o);
    o->branch_out = q->branch_out;
    o->n_branch_out = q->n_branch_out;
    o->gen_out = q->gen_out;
    o->n_gen_out = q->n_gen_out;
    o->bus_loads = q->bus_loads;
    o->n_bus_loads = q->n_bus_loads;
    o->load_scale = q->load_scale;
    for (size_t i = 0; i < q->n_costs; i++) {
        memset(&costs_buf[i], 0, sizeof costs_buf[i]);
        costs_buf[i].gen = q->costs[i].gen;
        costs_buf[i].cost.model = q->costs[i].model;
        costs_buf[i].cost.n = q->costs[i].n;
        costs_buf[i].cost.c = q->costs[i].coeffs;
    }
    o->costs = q->n_costs ? costs_buf : NULL;
    o->n_costs = q->n_costs;
    o->init = q->init;
    o->screen_limits = q->screen_limits;
    o->max_cpu_time = q->max_cpu_time > 0 && q->max_cpu_time < default_cpu_time ? q->max_cpu_time
                                                                                : default_cpu_time;
}

void sim_request_cleanup(sim_request_t *q)
{
    free(q->case_text);
    free(q->bus_loads);
    free(q->branch_out);
    free(q->gen_out);
    for (size_t i = 0; i < q->n_costs; i++)
        free(q->costs[i].coeffs);
    free(q->costs);
    free(q->screen);
    memset(q, 0, sizeof *q);
}
