/*
 * sim_page.c - paging of result arrays and the network views (see sim_page.h).
 */
#include "sim_page.h"

#include "powerflow/solve.h"

const char *const sim_page_result_arrays[] = {"bus",           "gen",   "branch", "binding",
                                              "contingencies", "hours", NULL};

bool sim_page_arrays(json_t *obj, const char *const *names, size_t offset, size_t limit, bool force)
{
    if (!json_is_object(obj))
        return false;
    bool big = false;
    for (size_t i = 0; names[i] != NULL; i++) {
        json_t *a = json_object_get(obj, names[i]);
        if (json_is_array(a) && json_array_size(a) > limit)
            big = true;
    }
    if (!force && !big)
        return false;
    json_t *total = json_object();
    bool more = false;
    for (size_t i = 0; names[i] != NULL; i++) {
        json_t *a = json_object_get(obj, names[i]);
        if (!json_is_array(a))
            continue;
        size_t n = json_array_size(a);
        json_object_set_new(total, names[i], json_integer((json_int_t)n));
        json_t *slice = json_array();
        for (size_t k = offset; k < n && k - offset < limit; k++)
            json_array_append(slice, json_array_get(a, k));
        if (offset + limit < n)
            more = true;
        json_object_set_new(obj, names[i], slice);
    }
    json_object_set_new(obj, "page",
                        json_pack("{s:I,s:I,s:o,s:o}", "offset", (json_int_t)offset, "limit",
                                  (json_int_t)limit, "total", total, "next_offset",
                                  more ? json_integer((json_int_t)(offset + limit)) : json_null()));
    return true;
}

json_t *sim_network_of_case(const char *name, const gf_pf_case_t *c)
{
    json_t *buses = json_array(), *branches = json_array();
    for (size_t i = 0; i < c->n_bus; i++) {
        const gf_pf_bus_t *b = &c->bus[i];
        json_array_append_new(buses, json_pack("{s:i,s:s,s:f,s:f,s:f,s:f,s:f,s:i}", "id", b->id,
                                               "type", gf_pf_bus_type_name(b->type), "pd_mw", b->pd,
                                               "qd_mvar", b->qd, "vmin", b->vmin, "vmax", b->vmax,
                                               "base_kv", b->base_kv, "area", b->area));
    }
    for (size_t k = 0; k < c->n_branch; k++) {
        const gf_pf_branch_t *br = &c->branch[k];
        json_array_append_new(branches, json_pack("{s:I,s:i,s:i,s:f,s:b}", "row", (json_int_t)k,
                                                  "fbus", br->fbus, "tbus", br->tbus, "rate_a_mva",
                                                  br->rate_a, "in_service", br->status > 0));
    }
    return json_pack("{s:s,s:f,s:o,s:o}", "case", name, "base_mva", c->base_mva, "buses", buses,
                     "branches", branches);
}

/* A copy of the named members of o that exist. */
static json_t *pick(const json_t *o, const char *const *keys)
{
    json_t *r = json_object();
    for (size_t i = 0; keys[i] != NULL; i++) {
        json_t *v = json_object_get(o, keys[i]);
        if (v != NULL)
            json_object_set(r, keys[i], v);
    }
    return r;
}

json_t *sim_network_of_result(const json_t *result)
{
    const json_t *bus = json_object_get(result, "bus"), *br = json_object_get(result, "branch");
    if (!json_is_array(bus) || !json_is_array(br))
        return NULL;
    static const char *const bk[] = {"id",   "type",   "in_service", "vm_pu", "va_degree",
                                     "p_mw", "q_mvar", "lmp",        NULL};
    static const char *const rk[] = {"fbus",  "tbus",    "in_service", "loading_percent",
                                     "pf_mw", "qf_mvar", NULL};
    json_t *buses = json_array(), *branches = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(bus, i, v) json_array_append_new(buses, pick(v, bk));
    json_array_foreach(br, i, v)
    {
        json_t *o = pick(v, rk);
        json_object_set_new(o, "row", json_integer((json_int_t)i));
        json_array_append_new(branches, o);
    }
    json_t *out = json_object();
    json_t *cs = json_object_get(result, "case");
    json_object_set(out, "case", cs ? cs : json_null());
    json_t *kind = json_object_get(result, "kind");
    json_object_set(out, "kind", kind ? kind : json_null());
    json_object_set_new(out, "buses", buses);
    json_object_set_new(out, "branches", branches);
    return out;
}
