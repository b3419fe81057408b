/*
 * powerflow/network.h - the network model a solver works on.
 *
 * Built per call from a read-only case plus the call's options (outages, loads): in-service
 * buses get consecutive internal indices (isolated buses, type 4, and dead islands without
 * load or generation are dropped), values are converted to p.u. and radians, each branch gets
 * its pi-model admittances (series r + jx, charging b, off-nominal tap and phase shift as in
 * MATPOWER), and the bus admittance matrix Ybus is assembled in CSR form with its diagonal
 * always stored. Owned by the caller, freed with gf_pf_net_free; the case must outlive it.
 */
#ifndef GF_PF_NETWORK_H
#define GF_PF_NETWORK_H

#include <stddef.h>

#include "core/err.h"
#include "powerflow/case.h"
#include "powerflow/solve.h"

typedef struct gf_pf_net gf_pf_net_t;

/* Build the model. Returns NULL and fills err on failure: bad_option (GF_EINVAL) for an
 * outage or load naming a row/bus that does not exist, network_islanded / no_generation
 * (GF_EUNPROCESSABLE). o may be NULL (defaults). Caller frees. */
gf_pf_net_t *gf_pf_net_new(const gf_pf_case_t *c, const gf_pf_opts_t *o, gf_err_t *err);
void gf_pf_net_free(gf_pf_net_t *n);

/* Number of in-service buses (the Ybus dimension). */
size_t gf_pf_net_n_bus(const gf_pf_net_t *n);

/* Row of mpc.bus of internal bus i. */
size_t gf_pf_net_bus_row(const gf_pf_net_t *n, size_t i);

/* Borrowed Ybus in CSR form (p.u.): row i holds columns col[rowptr[i] .. rowptr[i+1]-1],
 * sorted, with values g + j*b. Valid until gf_pf_net_free. */
void gf_pf_net_ybus(const gf_pf_net_t *n, const int **rowptr, const int **col, const double **g,
                    const double **b);

/* Count the islands of the in-service network of case c with options o (outages), counting
 * only islands that hold load or generation. Can't fail; 1 for a connected network. */
int gf_pf_count_islands(const gf_pf_case_t *c, const gf_pf_opts_t *o);

#endif
