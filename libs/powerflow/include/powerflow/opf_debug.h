/*
 * powerflow/opf_debug.h - access to the OPF model's callbacks outside Ipopt, for derivative
 * checks in tests and tools. Not needed to solve anything.
 *
 * gf_pf_opf_debug_new builds the AC (dc = false) or DC model of case c without options
 * (caller frees with gf_pf_opf_debug_free; NULL + err on failure, as gf_pf_net_new).
 * gf_pf_opf_debug_eval evaluates at x (nx values): objective f, its gradient (nx), the
 * constraints g (m), the Jacobian structure and values (nnzj each) and the structure and
 * values of the lower triangle of the Hessian of obj_factor*f + lambda^T g (nnzh each).
 * Variable order: Va (nb), Vm (nb), Pg (ng), Qg (ng), PWL epigraph variables (AC);
 * Va, Pg, epigraph (DC). Returns 0, or GF_EINVAL when a value is not finite.
 */
#ifndef GF_PF_OPF_DEBUG_H
#define GF_PF_OPF_DEBUG_H

#include <stdbool.h>

#include "core/err.h"
#include "powerflow/case.h"

typedef struct gf_pf_opf_debug gf_pf_opf_debug_t;

gf_pf_opf_debug_t *gf_pf_opf_debug_new(const gf_pf_case_t *c, bool dc, gf_err_t *err);
void gf_pf_opf_debug_free(gf_pf_opf_debug_t *d);
void gf_pf_opf_debug_sizes(const gf_pf_opf_debug_t *d, int *nx, int *m, int *nnzj, int *nnzh);
int gf_pf_opf_debug_eval(gf_pf_opf_debug_t *d, const double *x, double obj_factor,
                         const double *lambda, double *f, double *grad, double *g, int *jrow,
                         int *jcol, double *jval, int *hrow, int *hcol, double *hval);

#endif
