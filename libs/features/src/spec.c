/*
 * spec.c - feature specs: names -> compiled columns, JSON form, canonical hash.
 *
 * A spec is immutable once made. Its JSON form is the contract stored with every model
 * version; the hash covers the canonical text (compact, sorted keys), so two specs with the
 * same content hash the same everywhere. Parsing is strict: an unknown field, an unknown
 * feature name, a duplicate or an out-of-range parameter is refused, never ignored.
 */
#include "features/features.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feat_internal.h"

/* ------------------------------------------------------------------ name table */

typedef struct {
    const char *name; /* exact name, or prefix before "_N" when has_param */
    feat_kind_t kind;
    int has_param, pmin, pmax;
    int cls, scaled, temp; /* temp: 1 reads temp[], 2 the target-hour temperature */
} feat_def_t;

#define MAXP GF_FEAT_MAX_PARAM
static const feat_def_t defs[] = {
    {"horizon", FK_HORIZON, 0, 0, 0, FC_TARGET, 0, 0},
    {"hour", FK_HOUR, 0, 0, 0, FC_TARGET, 0, 0},
    {"dow", FK_DOW, 0, 0, 0, FC_TARGET, 0, 0},
    {"month", FK_MONTH, 0, 0, 0, FC_TARGET, 0, 0},
    {"doy", FK_DOY, 0, 0, 0, FC_TARGET, 0, 0},
    {"weekend", FK_WEEKEND, 0, 0, 0, FC_TARGET, 0, 0},
    {"dst", FK_DST, 0, 0, 0, FC_TARGET, 0, 0},
    {"holiday", FK_HOLIDAY, 0, 0, 0, FC_TARGET, 0, 0},
    {"bridge", FK_BRIDGE, 0, 0, 0, FC_TARGET, 0, 0},
    {"pre_holiday", FK_PRE_HOLIDAY, 0, 0, 0, FC_TARGET, 0, 0},
    {"post_holiday", FK_POST_HOLIDAY, 0, 0, 0, FC_TARGET, 0, 0},
    {"xmas_week", FK_XMAS_WEEK, 0, 0, 0, FC_TARGET, 0, 0},
    {"hour_sin", FK_HOUR_SIN, 0, 0, 0, FC_TARGET, 0, 0},
    {"hour_cos", FK_HOUR_COS, 0, 0, 0, FC_TARGET, 0, 0},
    {"dow_sin", FK_DOW_SIN, 0, 0, 0, FC_TARGET, 0, 0},
    {"dow_cos", FK_DOW_COS, 0, 0, 0, FC_TARGET, 0, 0},
    {"doy_sin", FK_DOY_SIN, 0, 0, 0, FC_TARGET, 0, 0},
    {"doy_cos", FK_DOY_COS, 0, 0, 0, FC_TARGET, 0, 0},
    {"month_sin", FK_MONTH_SIN, 0, 0, 0, FC_TARGET, 0, 0},
    {"month_cos", FK_MONTH_COS, 0, 0, 0, FC_TARGET, 0, 0},
    {"fourier_day_sin", FK_FDAY_SIN, 1, 1, 12, FC_TARGET, 0, 0},
    {"fourier_day_cos", FK_FDAY_COS, 1, 1, 12, FC_TARGET, 0, 0},
    {"fourier_week_sin", FK_FWEEK_SIN, 1, 1, 12, FC_TARGET, 0, 0},
    {"fourier_week_cos", FK_FWEEK_COS, 1, 1, 12, FC_TARGET, 0, 0},
    {"fourier_year_sin", FK_FYEAR_SIN, 1, 1, 12, FC_TARGET, 0, 0},
    {"fourier_year_cos", FK_FYEAR_COS, 1, 1, 12, FC_TARGET, 0, 0},
    {"lag", FK_LAG, 1, 1, MAXP, FC_TARGET, 1, 0},
    {"sh_mean", FK_SH_MEAN, 1, 1, MAXP / 24, FC_TARGET, 1, 0},
    {"sh_std", FK_SH_STD, 1, 2, MAXP / 24, FC_TARGET, 1, 0},
    {"sw_mean", FK_SW_MEAN, 1, 1, MAXP / 168, FC_TARGET, 1, 0},
    {"last", FK_LAST, 0, 0, 0, FC_ORIGIN, 1, 0},
    {"roll_mean", FK_ROLL_MEAN, 1, 1, MAXP, FC_ORIGIN, 1, 0},
    {"roll_std", FK_ROLL_STD, 1, 2, MAXP, FC_ORIGIN, 1, 0},
    {"roll_min", FK_ROLL_MIN, 1, 1, MAXP, FC_ORIGIN, 1, 0},
    {"roll_max", FK_ROLL_MAX, 1, 1, MAXP, FC_ORIGIN, 1, 0},
    {"ramp", FK_RAMP, 1, 1, MAXP, FC_ORIGIN, 1, 0},
    {"level_diff", FK_LEVEL_DIFF, 1, 1, MAXP, FC_ORIGIN, 1, 0},
    {"scale", FK_SCALE, 0, 0, 0, FC_ORIGIN, 0, 0},
    {"temp_last", FK_TEMP_LAST, 0, 0, 0, FC_ORIGIN, 0, 1},
    {"temp_lag", FK_TEMP_LAG, 1, 1, MAXP, FC_TARGET, 0, 1},
    {"temp_mean", FK_TEMP_MEAN, 1, 1, MAXP, FC_ORIGIN, 0, 1},
    {"temp_min", FK_TEMP_MIN, 1, 1, MAXP, FC_ORIGIN, 0, 1},
    {"temp_max", FK_TEMP_MAX, 1, 1, MAXP, FC_ORIGIN, 0, 1},
    {"hdh", FK_HDH, 1, 1, MAXP, FC_ORIGIN, 0, 1},
    {"cdh", FK_CDH, 1, 1, MAXP, FC_ORIGIN, 0, 1},
    {"hdh_lag", FK_HDH_LAG, 1, 1, MAXP, FC_TARGET, 0, 1},
    {"cdh_lag", FK_CDH_LAG, 1, 1, MAXP, FC_TARGET, 0, 1},
    {"temp_fc", FK_TEMP_FC, 0, 0, 0, FC_TARGET, 0, 2},
    {"hdh_fc", FK_HDH_FC, 0, 0, 0, FC_TARGET, 0, 2},
    {"cdh_fc", FK_CDH_FC, 0, 0, 0, FC_TARGET, 0, 2},
    {"temp_fc_mean", FK_TEMP_FC_MEAN, 1, 1, GF_FEAT_MAX_HORIZON, FC_TARGET, 0, 2},
    {"temp_fc_min", FK_TEMP_FC_MIN, 1, 1, GF_FEAT_MAX_HORIZON, FC_TARGET, 0, 2},
    {"temp_fc_max", FK_TEMP_FC_MAX, 1, 1, GF_FEAT_MAX_HORIZON, FC_TARGET, 0, 2},
};

/* Compile one name; 0 or -1. Longest matching prefix wins ("hdh_lag_24" vs "hdh_24"). */
static int compile_name(const char *name, feat_col_t *col, int *uses_temp, int *uses_temp_fc)
{
    const feat_def_t *best = NULL;
    long best_param = 0;
    size_t best_len = 0;
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        const feat_def_t *d = &defs[i];
        size_t dl = strlen(d->name);
        if (!d->has_param) {
            if (strcmp(name, d->name) == 0) {
                best = d;
                best_param = 0;
                break;
            }
            continue;
        }
        if (strncmp(name, d->name, dl) != 0 || name[dl] != '_' || dl < best_len)
            continue;
        const char *p = name + dl + 1;
        if (*p < '1' || *p > '9')
            continue; /* no sign, no leading zero: one spelling per column */
        long v = 0;
        while (*p >= '0' && *p <= '9' && v <= MAXP)
            v = v * 10 + (*p++ - '0');
        if (*p != '\0' || v < d->pmin || v > d->pmax)
            continue;
        best = d;
        best_param = v;
        best_len = dl;
    }
    if (best == NULL)
        return -1;
    col->kind = best->kind;
    col->param = (int)best_param;
    col->cls = best->cls;
    col->scaled = best->scaled;
    if (best->temp)
        *uses_temp = 1;
    if (best->temp == 2)
        *uses_temp_fc = 1;
    return 0;
}

/* ------------------------------------------------------------------ hash */

static void compute_hash(gf_feat_spec_t *spec)
{
    char *text = gf_feat_spec_dumps(spec);
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)text; p && *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    free(text);
    snprintf(spec->hash, sizeof spec->hash, "%016llx", (unsigned long long)h);
}

/* ------------------------------------------------------------------ create / free */

gf_feat_spec_t *gf_feat_spec_new(const char *tz, const char *country, const char *normalize,
                                 double heat_base_c, double cool_base_c, const char *const *names,
                                 size_t n_names, gf_err_t *err)
{
    gf_feat_spec_t *spec = NULL;
    if (country == NULL || strcmp(country, "US") != 0) {
        gf_err_set(err, GF_EINVAL, "bad_feature_spec", "country must be \"US\"");
        return NULL;
    }
    int norm;
    if (normalize != NULL && strcmp(normalize, "level24") == 0)
        norm = NORM_LEVEL24;
    else if (normalize == NULL || strcmp(normalize, "none") == 0)
        norm = NORM_NONE;
    else {
        gf_err_set(err, GF_EINVAL, "bad_feature_spec", "normalize must be \"none\" or \"level24\"");
        return NULL;
    }
    if (!isfinite(heat_base_c) || !isfinite(cool_base_c) || fabs(heat_base_c) > 60 ||
        fabs(cool_base_c) > 60) {
        gf_err_set(err, GF_EINVAL, "bad_feature_spec", "degree-hour bases must be in -60..60");
        return NULL;
    }
    if (names == NULL || n_names == 0 || n_names > 1024) {
        gf_err_set(err, GF_EINVAL, "bad_feature_spec", "a spec needs 1..1024 features");
        return NULL;
    }
    spec = gf_xcalloc(1, sizeof *spec);
    spec->cols = gf_xcalloc(n_names, sizeof *spec->cols);
    spec->names = gf_xcalloc(n_names, sizeof *spec->names);
    snprintf(spec->country, sizeof spec->country, "%s", country);
    spec->normalize = norm;
    spec->heat_base_c = heat_base_c;
    spec->cool_base_c = cool_base_c;
    for (size_t i = 0; i < n_names; i++) {
        const char *nm = names[i];
        if (nm == NULL || strlen(nm) > 64 ||
            compile_name(nm, &spec->cols[i], &spec->uses_temp, &spec->uses_temp_fc)) {
            gf_err_set(err, GF_EINVAL, "bad_feature_spec", "unknown feature name '%.64s'",
                       nm ? nm : "(null)");
            gf_err_add_field(err, "features", "unknown feature name");
            goto fail;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(spec->names[j], nm) == 0) {
                gf_err_set(err, GF_EINVAL, "bad_feature_spec", "duplicate feature '%s'", nm);
                goto fail;
            }
        const feat_col_t *col = &spec->cols[i];
        if ((col->kind == FK_TEMP_FC_MEAN || col->kind == FK_TEMP_FC_MIN ||
             col->kind == FK_TEMP_FC_MAX) &&
            col->param > spec->fc_window)
            spec->fc_window = col->param;
        spec->names[i] = gf_xstrdup(nm);
        spec->ncols = i + 1;
    }
    spec->tz = gf_feat_tz_load(tz, err);
    if (spec->tz == NULL)
        goto fail;
    compute_hash(spec);
    return spec;
fail:
    gf_feat_spec_free(spec);
    return NULL;
}

static const char *const default_names[] = {
    "horizon",
    "hour",
    "dow",
    "month",
    "doy",
    "weekend",
    "dst",
    "holiday",
    "bridge",
    "pre_holiday",
    "post_holiday",
    "xmas_week",
    "hour_sin",
    "hour_cos",
    "dow_sin",
    "dow_cos",
    "doy_sin",
    "doy_cos",
    "fourier_day_sin_2",
    "fourier_day_cos_2",
    "fourier_week_sin_1",
    "fourier_week_cos_1",
    "fourier_week_sin_2",
    "fourier_week_cos_2",
    "fourier_year_sin_2",
    "fourier_year_cos_2",
    "lag_24",
    "lag_48",
    "lag_72",
    "lag_144",
    "lag_168",
    "lag_192",
    "lag_336",
    "lag_504",
    "sh_mean_7",
    "sh_std_7",
    "sw_mean_4",
    "last",
    "ramp_1",
    "ramp_3",
    "ramp_24",
    "level_diff_168",
    "roll_mean_24",
    "roll_std_24",
    "roll_min_24",
    "roll_max_24",
    "roll_mean_168",
    "roll_std_168",
    "roll_min_168",
    "roll_max_168",
    "roll_mean_672",
    "roll_std_672",
    "scale",
};

static const char *const default_temp_names[] = {
    "temp_last",   "temp_lag_24",   "temp_lag_48", "temp_lag_168", "temp_mean_24", "temp_min_24",
    "temp_max_24", "temp_mean_168", "hdh_24",      "cdh_24",       "hdh_lag_24",   "cdh_lag_24",
};

static const char *const default_temp_fc_names[] = {
    "temp_fc", "hdh_fc", "cdh_fc", "temp_fc_mean_24", "temp_fc_min_24", "temp_fc_max_24",
};

gf_feat_spec_t *gf_feat_spec_new_default(const char *tz, int with_temp, gf_err_t *err)
{
    enum { ND = sizeof default_names / sizeof default_names[0] };
    enum { NT = sizeof default_temp_names / sizeof default_temp_names[0] };
    enum { NF = sizeof default_temp_fc_names / sizeof default_temp_fc_names[0] };
    const char *names[ND + NT + NF];
    size_t n = 0;
    for (size_t i = 0; i < ND; i++)
        names[n++] = default_names[i];
    for (size_t i = 0; (with_temp & GF_FEAT_TEMP_PAST) && i < NT; i++)
        names[n++] = default_temp_names[i];
    for (size_t i = 0; (with_temp & GF_FEAT_TEMP_TARGET) && i < NF; i++)
        names[n++] = default_temp_fc_names[i];
    return gf_feat_spec_new(tz, "US", "level24", 18.0, 22.0, names, n, err);
}

void gf_feat_spec_free(gf_feat_spec_t *spec)
{
    if (spec == NULL)
        return;
    for (size_t i = 0; spec->names && i < spec->ncols; i++)
        free(spec->names[i]);
    free(spec->names);
    free(spec->cols);
    gf_feat_tz_free(spec->tz);
    free(spec);
}

/* ------------------------------------------------------------------ JSON */

json_t *gf_feat_spec_to_json(const gf_feat_spec_t *spec)
{
    json_t *names = json_array();
    for (size_t i = 0; i < spec->ncols; i++)
        json_array_append_new(names, json_string(spec->names[i]));
    return json_pack("{s:i, s:s, s:s, s:s, s:f, s:f, s:o}", "version", GF_FEAT_SPEC_VERSION, "tz",
                     gf_feat_tz_name(spec->tz), "country", spec->country, "normalize",
                     spec->normalize == NORM_LEVEL24 ? "level24" : "none", "heat_base_c",
                     spec->heat_base_c, "cool_base_c", spec->cool_base_c, "features", names);
}

char *gf_feat_spec_dumps(const gf_feat_spec_t *spec)
{
    json_t *j = gf_feat_spec_to_json(spec);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    return s;
}

static int bad_field(gf_err_t *err, const char *field, const char *msg)
{
    gf_err_set(err, GF_EINVAL, "bad_feature_spec", "feature spec: %s", msg);
    gf_err_add_field(err, field, msg);
    return -1;
}

gf_feat_spec_t *gf_feat_spec_parse(const json_t *j, gf_err_t *err)
{
    if (!json_is_object(j)) {
        bad_field(err, "spec", "must be a JSON object");
        return NULL;
    }
    const char *key;
    json_t *val;
    static const char *const known[] = {"version",     "tz",          "country", "normalize",
                                        "heat_base_c", "cool_base_c", "features"};
    json_object_foreach((json_t *)j, key, val)
    {
        int ok = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok |= strcmp(key, known[i]) == 0;
        if (!ok) {
            bad_field(err, key, "unknown field");
            return NULL;
        }
    }
    json_t *v = json_object_get(j, "version");
    if (!json_is_integer(v)) {
        bad_field(err, "version", "version must be an integer");
        return NULL;
    }
    if (json_integer_value(v) != GF_FEAT_SPEC_VERSION) {
        gf_err_set(err, GF_EUNPROCESSABLE, "unsupported_spec_version",
                   "feature spec version %lld is not supported (this build: %d)",
                   (long long)json_integer_value(v), GF_FEAT_SPEC_VERSION);
        return NULL;
    }
    json_t *tz = json_object_get(j, "tz");
    json_t *country = json_object_get(j, "country");
    json_t *norm = json_object_get(j, "normalize");
    json_t *hb = json_object_get(j, "heat_base_c");
    json_t *cb = json_object_get(j, "cool_base_c");
    json_t *feats = json_object_get(j, "features");
    if (!json_is_string(tz)) {
        bad_field(err, "tz", "tz must be a string");
        return NULL;
    }
    if (country && !json_is_string(country)) {
        bad_field(err, "country", "country must be a string");
        return NULL;
    }
    if (norm && !json_is_string(norm)) {
        bad_field(err, "normalize", "normalize must be a string");
        return NULL;
    }
    if ((hb && !json_is_number(hb)) || (cb && !json_is_number(cb))) {
        bad_field(err, "heat_base_c", "degree-hour bases must be numbers");
        return NULL;
    }
    if (!json_is_array(feats) || json_array_size(feats) == 0 || json_array_size(feats) > 1024) {
        bad_field(err, "features", "features must be an array of 1..1024 names");
        return NULL;
    }
    size_t n = json_array_size(feats);
    const char **names = gf_xcalloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++) {
        names[i] = json_string_value(json_array_get(feats, i));
        if (names[i] == NULL) {
            free(names);
            bad_field(err, "features", "feature names must be strings");
            return NULL;
        }
    }
    gf_feat_spec_t *spec = gf_feat_spec_new(json_string_value(tz),
                                            country ? json_string_value(country) : "US",
                                            norm ? json_string_value(norm) : "none",
                                            hb ? json_number_value(hb) : 18.0,
                                            cb ? json_number_value(cb) : 22.0, names, n, err);
    free(names);
    return spec;
}

gf_feat_spec_t *gf_feat_spec_loads(const char *text, size_t len, gf_err_t *err)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        gf_err_set(err, GF_EINVAL, "bad_feature_spec", "feature spec is not JSON: %s", jerr.text);
        return NULL;
    }
    gf_feat_spec_t *spec = gf_feat_spec_parse(j, err);
    json_decref(j);
    return spec;
}

/* ------------------------------------------------------------------ accessors */

const char *gf_feat_spec_hash(const gf_feat_spec_t *spec)
{
    return spec->hash;
}

size_t gf_feat_spec_ncols(const gf_feat_spec_t *spec)
{
    return spec->ncols;
}

const char *gf_feat_spec_name(const gf_feat_spec_t *spec, size_t i)
{
    return i < spec->ncols ? spec->names[i] : NULL;
}

long gf_feat_spec_find(const gf_feat_spec_t *spec, const char *name)
{
    for (size_t i = 0; i < spec->ncols; i++)
        if (strcmp(spec->names[i], name) == 0)
            return (long)i;
    return -1;
}

const char *gf_feat_spec_tz(const gf_feat_spec_t *spec)
{
    return gf_feat_tz_name(spec->tz);
}

int gf_feat_spec_uses_temp(const gf_feat_spec_t *spec)
{
    return spec->uses_temp;
}

int gf_feat_spec_uses_temp_fc(const gf_feat_spec_t *spec)
{
    return spec->uses_temp_fc;
}

int gf_feat_spec_lookback(const gf_feat_spec_t *spec, int max_h)
{
    int lb = spec->normalize == NORM_LEVEL24 ? 24 : 0;
    for (size_t i = 0; i < spec->ncols; i++) {
        const feat_col_t *c = &spec->cols[i];
        int need = 0;
        switch (c->kind) {
        case FK_LAG:
        case FK_TEMP_LAG:
        case FK_HDH_LAG:
        case FK_CDH_LAG:
            need = c->param; /* the earliest read is at h = 1 */
            break;
        case FK_SH_MEAN:
        case FK_SH_STD:
            need = 24 * c->param;
            break;
        case FK_SW_MEAN:
            need = 168 * c->param;
            break;
        case FK_LAST:
        case FK_TEMP_LAST:
            need = 1;
            break;
        case FK_TEMP_FC_MEAN:
        case FK_TEMP_FC_MIN:
        case FK_TEMP_FC_MAX:
            need = c->param - 1; /* the window of h = 1 reaches N - 1 hours back */
            break;
        case FK_RAMP:
            need = c->param + 1;
            break;
        case FK_LEVEL_DIFF:
            need = c->param + 24;
            break;
        case FK_ROLL_MEAN:
        case FK_ROLL_STD:
        case FK_ROLL_MIN:
        case FK_ROLL_MAX:
        case FK_TEMP_MEAN:
        case FK_TEMP_MIN:
        case FK_TEMP_MAX:
        case FK_HDH:
        case FK_CDH:
            need = c->param;
            break;
        default:
            break;
        }
        (void)max_h;
        if (need > lb)
            lb = need;
    }
    return lb;
}
