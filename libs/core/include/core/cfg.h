/*
 * core/cfg.h - configuration from environment variables, driven by one table.
 *
 * Each option is {name, type, default, min, max, help}. gf_cfg_load reads every option once
 * at start-up, checks type and range, and keeps the values in the gf_cfg_t (caller storage,
 * released with gf_cfg_cleanup). A bad value is reported in err naming the variable and its
 * allowed range; services turn that into exit status 2 (gf_service_main does).
 * Tables end with an entry whose name is NULL. Later tables override earlier entries of the
 * same name (a service can change a kit default, e.g. GF_PORT).
 */
#ifndef GF_CORE_CFG_H
#define GF_CORE_CFG_H

#include <stdbool.h>
#include <stdio.h>

#include "core/err.h"

typedef enum { GF_CFG_INT, GF_CFG_DOUBLE, GF_CFG_STR, GF_CFG_BOOL } gf_cfg_type_t;

typedef struct gf_cfg_opt {
    const char *name;
    gf_cfg_type_t type;
    const char *def; /* default as text; NULL = empty string / 0 */
    double min, max; /* inclusive range for INT and DOUBLE; ignored when min > max */
    const char *help;
} gf_cfg_opt_t;

#define GF_CFG_MAX_OPTS 96

typedef struct gf_cfg {
    size_t n;
    const gf_cfg_opt_t *opt[GF_CFG_MAX_OPTS];
    char *text[GF_CFG_MAX_OPTS]; /* effective value as text, owned */
    double num[GF_CFG_MAX_OPTS]; /* parsed value for INT/DOUBLE/BOOL */
} gf_cfg_t;

/* Merge the NULL-terminated tables (a NULL-terminated list of tables) and read the
 * environment. Returns 0 or GF_EINVAL (err names the variable, value and range). */
int gf_cfg_load(gf_cfg_t *cfg, const gf_cfg_opt_t *const *tables, gf_err_t *err);
void gf_cfg_cleanup(gf_cfg_t *cfg);

/* Typed getters; the name must be in the table (programmer error otherwise: abort). */
long gf_cfg_int(const gf_cfg_t *cfg, const char *name);
double gf_cfg_double(const gf_cfg_t *cfg, const char *name);
const char *gf_cfg_str(const gf_cfg_t *cfg, const char *name);
bool gf_cfg_bool(const gf_cfg_t *cfg, const char *name);

/* Print the merged table (name, default, range, help) for --help. */
void gf_cfg_print_help(FILE *out, const gf_cfg_opt_t *const *tables);

/* New reference: {"NAME": value, ...} of the effective config, for the start log line.
 * Options whose name contains KEY, SECRET, TOKEN or PASSWORD are masked. */
struct json_t;
struct json_t *gf_cfg_to_json(const gf_cfg_t *cfg);

#endif
