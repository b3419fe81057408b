/*
 * sim_page.h - paging of large simulation results and the network view the dashboard draws.
 *
 * A 10,000-bus result is several MB of JSON; GET /v1/jobs/{id} pages its arrays (bus, gen,
 * branch, binding, contingencies, hours) with ?offset=&limit=, and the network views
 * (GET /v1/cases/{name}/network, GET /v1/jobs/{id}/network) give the buses and branches a
 * drawing needs, paged the same way. A paged object gets
 *   "page": {"offset", "limit", "total": {"<array>": n, ...}, "next_offset": k | null}
 * where next_offset is null once every paged array is exhausted.
 */
#ifndef GF_SIMULATION_SIM_PAGE_H
#define GF_SIMULATION_SIM_PAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "powerflow/case.h"

#define SIM_PAGE_DEFAULT 5000 /* entries per array when the client gives no limit */
#define SIM_PAGE_MAX 100000

/* Arrays of results that are paged (NULL-terminated). */
extern const char *const sim_page_result_arrays[];

/* Replace each array member of obj named in names by its [offset, offset + limit) slice and
 * add "page". Does nothing (false) when force is false and no named array is longer than
 * limit with offset 0; true when it paged. */
bool sim_page_arrays(json_t *obj, const char *const *names, size_t offset, size_t limit,
                     bool force);

/* Network of a case as written: {"case", "base_mva", "buses": [{"id","type","pd_mw","qd_mvar",
 * "vmin","vmax","base_kv","area"}], "branches": [{"row","fbus","tbus","rate_a_mva",
 * "in_service"}]} (not paged yet). New reference. */
json_t *sim_network_of_case(const char *name, const gf_pf_case_t *c);

/* Network view of a power-flow or OPF result (a job's "result"): {"case", "kind", "buses":
 * [{"id","type","in_service","vm_pu","va_degree","p_mw","q_mvar","lmp"?}], "branches":
 * [{"row","fbus","tbus","in_service","loading_percent","pf_mw","qf_mvar"}]} (not paged yet).
 * NULL when the result has no bus and branch arrays (N-1, schedule). New reference. */
json_t *sim_network_of_result(const json_t *result);

#endif
