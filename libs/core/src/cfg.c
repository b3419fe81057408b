/*
 * cfg.c - environment configuration from one table (see core/cfg.h).
 */
#include "core/cfg.h"
#include "core/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *type_name(gf_cfg_type_t t)
{
    switch (t) {
    case GF_CFG_INT:
        return "integer";
    case GF_CFG_DOUBLE:
        return "number";
    case GF_CFG_BOOL:
        return "boolean";
    default:
        return "string";
    }
}

static int find(const gf_cfg_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (strcmp(cfg->opt[i]->name, name) == 0)
            return (int)i;
    return -1;
}

static int parse_value(const gf_cfg_opt_t *o, const char *text, double *out)
{
    char *end = NULL;
    switch (o->type) {
    case GF_CFG_STR:
        *out = 0;
        return 0;
    case GF_CFG_BOOL:
        if (!strcasecmp(text, "1") || !strcasecmp(text, "true") || !strcasecmp(text, "yes") ||
            !strcasecmp(text, "on"))
            *out = 1;
        else if (!strcasecmp(text, "0") || !strcasecmp(text, "false") || !strcasecmp(text, "no") ||
                 !strcasecmp(text, "off") || !*text)
            *out = 0;
        else
            return -1;
        return 0;
    case GF_CFG_INT: {
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (errno || end == text || *end)
            return -1;
        *out = (double)v;
        break;
    }
    case GF_CFG_DOUBLE:
        errno = 0;
        *out = strtod(text, &end);
        if (errno || end == text || *end || !isfinite(*out))
            return -1;
        break;
    }
    if (o->min <= o->max && (*out < o->min || *out > o->max))
        return -1;
    return 0;
}

static void range_text(const gf_cfg_opt_t *o, char *buf, size_t len)
{
    if (o->type == GF_CFG_BOOL)
        snprintf(buf, len, "true|false");
    else if ((o->type == GF_CFG_INT || o->type == GF_CFG_DOUBLE) && o->min <= o->max)
        snprintf(buf, len, "%s in [%g, %g]", type_name(o->type), o->min, o->max);
    else
        snprintf(buf, len, "%s", type_name(o->type));
}

int gf_cfg_load(gf_cfg_t *cfg, const gf_cfg_opt_t *const *tables, gf_err_t *err)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t t = 0; tables[t] != NULL; t++) {
        for (const gf_cfg_opt_t *o = tables[t]; o->name != NULL; o++) {
            int i = find(cfg, o->name);
            if (i >= 0) {
                cfg->opt[i] = o; /* later table overrides */
                continue;
            }
            if (cfg->n == GF_CFG_MAX_OPTS)
                return gf_err_set(err, GF_EINTERNAL, "config_table_full", "too many options");
            cfg->opt[cfg->n++] = o;
        }
    }
    for (size_t i = 0; i < cfg->n; i++) {
        const gf_cfg_opt_t *o = cfg->opt[i];
        const char *env = getenv(o->name);
        const char *text = env != NULL ? env : (o->def ? o->def : "");
        if (o->type != GF_CFG_STR && env == NULL && o->def == NULL)
            text = "0";
        if (parse_value(o, text, &cfg->num[i]) != 0) {
            char range[96];
            range_text(o, range, sizeof range);
            gf_err_set(err, GF_EINVAL, "invalid_config", "%s=\"%.64s\" is invalid: expected %s",
                       o->name, text, range);
            gf_err_add_field(err, o->name, range);
            gf_cfg_cleanup(cfg);
            return GF_EINVAL;
        }
        cfg->text[i] = gf_xstrdup(text);
    }
    return 0;
}

void gf_cfg_cleanup(gf_cfg_t *cfg)
{
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->text[i]);
        cfg->text[i] = NULL;
    }
    cfg->n = 0;
}

static int must_find(const gf_cfg_t *cfg, const char *name)
{
    int i = find(cfg, name);
    if (i < 0) {
        fprintf(stderr, "config option %s is not in the table\n", name);
        abort();
    }
    return i;
}

long gf_cfg_int(const gf_cfg_t *cfg, const char *name)
{
    return (long)cfg->num[must_find(cfg, name)];
}

double gf_cfg_double(const gf_cfg_t *cfg, const char *name)
{
    return cfg->num[must_find(cfg, name)];
}

const char *gf_cfg_str(const gf_cfg_t *cfg, const char *name)
{
    return cfg->text[must_find(cfg, name)];
}

bool gf_cfg_bool(const gf_cfg_t *cfg, const char *name)
{
    return cfg->num[must_find(cfg, name)] != 0;
}

void gf_cfg_print_help(FILE *out, const gf_cfg_opt_t *const *tables)
{
    gf_cfg_t merged = {0};
    for (size_t t = 0; tables[t] != NULL; t++)
        for (const gf_cfg_opt_t *o = tables[t]; o->name != NULL; o++) {
            int i = find(&merged, o->name);
            if (i >= 0)
                merged.opt[i] = o;
            else if (merged.n < GF_CFG_MAX_OPTS)
                merged.opt[merged.n++] = o;
        }
    fprintf(out, "Configuration (environment variables):\n");
    for (size_t i = 0; i < merged.n; i++) {
        const gf_cfg_opt_t *o = merged.opt[i];
        char range[96];
        range_text(o, range, sizeof range);
        fprintf(out, "  %-28s default \"%s\"; %s\n      %s\n", o->name, o->def ? o->def : "", range,
                o->help ? o->help : "");
    }
}

static int is_secret(const char *name)
{
    return strstr(name, "KEY") || strstr(name, "SECRET") || strstr(name, "TOKEN") ||
           strstr(name, "PASSWORD");
}

json_t *gf_cfg_to_json(const gf_cfg_t *cfg)
{
    json_t *o = json_object();
    for (size_t i = 0; i < cfg->n; i++) {
        const char *name = cfg->opt[i]->name;
        json_t *v;
        if (is_secret(name))
            v = json_string(cfg->text[i][0] ? "***" : "");
        else if (cfg->opt[i]->type == GF_CFG_INT)
            v = json_integer((json_int_t)cfg->num[i]);
        else if (cfg->opt[i]->type == GF_CFG_DOUBLE)
            v = json_real(cfg->num[i]);
        else if (cfg->opt[i]->type == GF_CFG_BOOL)
            v = json_boolean(cfg->num[i] != 0);
        else if (strstr(cfg->text[i], "://") != NULL) {
            /* A URL may carry a password (user-info) or a key (query): never shown. */
            size_t n = strlen(cfg->text[i]) + 64;
            char *safe = gf_xmalloc(n);
            v = json_string(gf_url_redact(cfg->text[i], safe, n));
            free(safe);
        } else
            v = json_string(cfg->text[i]);
        json_object_set_new(o, name, v ? v : json_null());
    }
    return o;
}
