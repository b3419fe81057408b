/*
 * powerflow/case.h - MATPOWER case data (format version 2) and its parser.
 *
 * A gf_pf_case_t is the case exactly as written in the file: external bus numbers, MW/MVAr,
 * degrees, every element including out-of-service ones. It is immutable once parsed: solvers
 * take a `const gf_pf_case_t *` and apply outages, load changes and cost overrides through
 * gf_pf_opts_t (powerflow/solve.h), never by writing into the case. One parsed case can
 * therefore be shared by any number of threads solving concurrently.
 *
 * Ownership: gf_pf_case_parse / gf_pf_case_load / gf_pf_case_dup return a new case that the
 * caller frees with gf_pf_case_free. All arrays (and every gencost coefficient array) belong
 * to the case and die with it.
 *
 * Errors: the parser never crashes on bad text. It returns GF_EINVAL for text that is not a
 * MATPOWER case (err->code one of the GF_PF_ECASE_* strings below, err->message names the
 * line, err->details holds {"line": n} and, where it applies, {"field": "mpc.bus"}), and
 * GF_EUNPROCESSABLE for well-formed text that is inconsistent (unknown bus, duplicate bus,
 * no reference bus...). GF_ETOOBIG when the text exceeds GF_PF_CASE_MAX_BYTES.
 */
#ifndef GF_PF_CASE_H
#define GF_PF_CASE_H

#include <stddef.h>

#include "core/err.h"

/* Error codes (err->code) the parser emits. */
#define GF_PF_ECASE_SYNTAX "case_syntax"        /* unexpected token, bad statement */
#define GF_PF_ECASE_TRUNCATED "case_truncated"  /* text ends inside a matrix/string */
#define GF_PF_ECASE_COLUMNS "case_column_count" /* wrong number of columns in a row */
#define GF_PF_ECASE_NUMBER "case_bad_number"    /* a matrix entry is not a number */
#define GF_PF_ECASE_NO_BASEMVA "case_missing_basemva"
#define GF_PF_ECASE_MISSING "case_missing_block"   /* no mpc.bus, mpc.gen or mpc.branch */
#define GF_PF_ECASE_VERSION "case_version"         /* mpc.version other than '2' */
#define GF_PF_ECASE_VALUE "case_bad_value"         /* a value out of its domain */
#define GF_PF_ECASE_UNKNOWN_BUS "case_unknown_bus" /* gen/branch names a bus not in mpc.bus */
#define GF_PF_ECASE_DUP_BUS "case_duplicate_bus"
#define GF_PF_ECASE_NO_REF "case_no_reference_bus"
#define GF_PF_ECASE_GENCOST "case_bad_gencost" /* model/n inconsistent, row count */
#define GF_PF_ECASE_TOO_BIG "case_too_big"

/* Largest text accepted (64 MiB; the biggest PGLib case is about 30 MB). */
#define GF_PF_CASE_MAX_BYTES ((size_t)64 << 20)

/* Bus types as in MATPOWER. */
enum { GF_PF_PQ = 1, GF_PF_PV = 2, GF_PF_REF = 3, GF_PF_ISOLATED = 4 };
/* Cost models as in MATPOWER. */
enum { GF_PF_COST_PWL = 1, GF_PF_COST_POLY = 2 };

typedef struct gf_pf_bus {
    int id;        /* external bus number (bus_i) */
    int type;      /* GF_PF_PQ, GF_PF_PV, GF_PF_REF, GF_PF_ISOLATED */
    double pd, qd; /* load, MW / MVAr */
    double gs, bs; /* shunt, MW / MVAr consumed/injected at V = 1 p.u. */
    int area;
    double vm, va; /* p.u., degrees */
    double base_kv;
    int zone;
    double vmax, vmin; /* p.u. */
} gf_pf_bus_t;

typedef struct gf_pf_gen {
    int bus;           /* external bus number */
    double pg, qg;     /* MW, MVAr */
    double qmax, qmin; /* MVAr (may be +-Inf) */
    double vg;         /* voltage set-point, p.u. */
    double mbase;
    int status;        /* > 0 in service */
    double pmax, pmin; /* MW */
} gf_pf_gen_t;

typedef struct gf_pf_branch {
    int fbus, tbus;                /* external bus numbers */
    double r, x, b;                /* p.u. on baseMVA; b = total line charging */
    double rate_a, rate_b, rate_c; /* MVA, 0 = unlimited */
    double ratio;                  /* off-nominal tap at the from end; 0 means 1 (a line) */
    double angle;                  /* phase shift, degrees */
    int status;                    /* > 0 in service */
    double angmin, angmax;         /* degrees; [-360, 360] (or wider/0,0) means no limit */
} gf_pf_branch_t;

typedef struct gf_pf_gencost {
    int model; /* GF_PF_COST_PWL or GF_PF_COST_POLY */
    double startup, shutdown;
    int n;           /* POLY: number of coefficients; PWL: number of points */
    const double *c; /* POLY: c[0]*P^(n-1) + ... + c[n-1] ($/h, P in MW);
                        PWL: x0 y0 x1 y1 ... (MW, $/h), x increasing. Owned by the case. */
} gf_pf_gencost_t;

typedef struct gf_pf_case {
    char name[64]; /* from `function mpc = NAME`, or "" */
    double base_mva;
    size_t n_bus, n_gen, n_branch;
    gf_pf_bus_t *bus;
    gf_pf_gen_t *gen;
    gf_pf_branch_t *branch;
    gf_pf_gencost_t *gencost; /* n_gen entries (P costs; Q cost rows are ignored), or NULL
                                 when the file has no mpc.gencost (power flow only) */
    /* private */
    double *_coef;    /* storage of all gencost coefficients */
    int *_bus_sorted; /* bus indices sorted by id, for gf_pf_case_bus_index */
} gf_pf_case_t;

/* Parse `len` bytes of MATPOWER text (need not be NUL-terminated). On success stores a new
 * case in *out (caller frees with gf_pf_case_free) and returns 0. On failure returns a
 * negative GF_E* code, leaves *out NULL and fills err (see above). */
int gf_pf_case_parse(const char *text, size_t len, gf_pf_case_t **out, gf_err_t *err);

/* Read and parse a file. GF_ENOTFOUND ("case_not_found") when it cannot be opened, else as
 * gf_pf_case_parse. Caller frees *out. */
int gf_pf_case_load(const char *path, gf_pf_case_t **out, gf_err_t *err);

/* New deep copy; caller frees. Can't fail (aborts on out-of-memory). */
gf_pf_case_t *gf_pf_case_dup(const gf_pf_case_t *c);

/* Free a case and everything it owns. NULL is a no-op. */
void gf_pf_case_free(gf_pf_case_t *c);

/* Index into c->bus of the bus numbered `id`, or -1. O(log n). Can't fail. */
long gf_pf_case_bus_index(const gf_pf_case_t *c, int id);

#endif
