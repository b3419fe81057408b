/*
 * ing_anomaly.h - anomaly detection core: regional load spikes and drops against a robust
 * baseline, and meters reporting implausible values.
 *
 * Regional series: for each hour checked, the baseline is the same hour of the week over
 * the previous `weeks` weeks (t - 7 d, t - 14 d, ...): expected = their median, spread =
 * 1.4826 x MAD (floored at mad_floor_rel x median so that a flat history does not make
 * every wiggle an anomaly). score = (actual - expected) / spread. |score| >= z_warn is a
 * warning, >= z_crit critical, provided the deviation is also at least min_rel_dev x
 * expected. Fewer than min_history baseline values: no verdict.
 *
 * Meters: readings that validation rejected for a physical range (negative energy or
 * power, power/energy above the per-meter maximum, voltage outside the band) become
 * "meter_implausible" records with the violated limit as expected value; critical when
 * the value is beyond twice the limit (or negative). score = how far out of range: the
 * distance beyond the violated limit relative to that limit (relative to the upper limit
 * when the violated limit is 0): 2500 kW against 1000 is 1.5, -3 kWh against [0, 1000]
 * is 0.003. The readings of one meter in one batch are one record (count, first and last
 * time, the worst value = the highest score). Readings whose region is not in the
 * validation catalog (when it has one) are left out.
 *
 * Pure functions: caller-provided output arrays, no allocation, no I/O.
 */
#ifndef GF_INGESTION_ING_ANOMALY_H
#define GF_INGESTION_ING_ANOMALY_H

#include "ing_readings.h"
#include "ing_validate.h"
#include "core/region.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    ING_AN_SPIKE = 0,
    ING_AN_DROP,
    ING_AN_METER_IMPLAUSIBLE,
} ing_anomaly_type_t;

typedef enum { ING_SEV_WARNING = 1, ING_SEV_CRITICAL = 2 } ing_severity_t;

typedef struct ing_anomaly {
    int type;     /* ing_anomaly_type_t */
    int severity; /* ing_severity_t */
    char region[GF_REGION_MAX + 1];
    char meter_id[ING_METER_ID_MAX + 1]; /* meter records only */
    const char *field;                   /* meter records: "kw", "kwh", "voltage_v" */
    int64_t t;                           /* epoch seconds (hour start, or reading time) */
    int64_t t_last;                      /* meter records: newest reading time (else t) */
    size_t count;                        /* meter records: readings merged (else 1) */
    double expected, actual, score;
} ing_anomaly_t;

typedef struct ing_anomaly_cfg {
    int weeks;            /* baseline depth; default 4 */
    size_t min_history;   /* default 3 */
    double z_warn;        /* default 3.5 */
    double z_crit;        /* default 6 */
    double min_rel_dev;   /* default 0.10 */
    double mad_floor_rel; /* default 0.02 */
} ing_anomaly_cfg_t;

void ing_anomaly_cfg_default(ing_anomaly_cfg_t *cfg);

/* Check points [from, n) of one region's hourly series (hour[] ascending, value[] NaN for
 * gaps; history before `from` is used as baseline). Writes at most cap records to out and
 * returns how many anomalies there were (may exceed cap). */
size_t ing_anomaly_series(const ing_anomaly_cfg_t *cfg, const char *region, const int64_t *hour,
                          const double *value, size_t n, size_t from, ing_anomaly_t *out,
                          size_t cap);

/* Implausible meter values in a validated batch, against the validation limits, merged
 * per meter (t = first, t_last = last reading time, count, the worst value). Same output
 * convention (the return value counts distinct meters). */
size_t ing_anomaly_meters(const ing_validate_cfg_t *vcfg, const ing_batch_t *b, ing_anomaly_t *out,
                          size_t cap);

/* "spike", "drop", "meter_implausible"; "warning", "critical". */
const char *ing_anomaly_type_str(int type);
const char *ing_severity_str(int severity);

/* New reference: array of {type, severity, region, [meter_id, field, first_seen,
 * last_seen, count], t (RFC 3339), expected, actual, score}. Never NULL. */
json_t *ing_anomalies_to_json(const ing_anomaly_t *a, size_t n);

#endif
