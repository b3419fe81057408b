/*
 * core/metrics.h - a small Prometheus client: counters, gauges and histograms with bounded
 * labels, rendered in the text exposition format 0.0.4.
 *
 * Families live in one process-wide registry (a service is one process). Creating a family
 * returns a handle that lives until gf_metrics_reset(); creating the same name twice returns
 * the existing family (types must agree). Label values are passed positionally, in the
 * order of the comma-separated label names given at creation; each distinct combination is
 * a series, created on first use, at most GF_METRICS_MAX_SERIES per family (further
 * combinations are folded into one series whose label values are all "_other", so a bug or
 * an attacker cannot grow memory without bound). All operations are thread-safe.
 */
#ifndef GF_CORE_METRICS_H
#define GF_CORE_METRICS_H

#include <stddef.h>

#define GF_METRICS_MAX_LABELS 4
#define GF_METRICS_MAX_SERIES 512

typedef struct gf_metric gf_metric_t;

/* labels: comma-separated label names ("route,method,code") or NULL for none.
 * Returns the family (never NULL; aborts on programmer errors such as a bad name). */
gf_metric_t *gf_metric_counter(const char *name, const char *help, const char *labels);
gf_metric_t *gf_metric_gauge(const char *name, const char *help, const char *labels);
/* buckets: strictly increasing upper bounds (+Inf is implicit); NULL = default latency
 * buckets 0.5 ms .. 10 s. */
gf_metric_t *gf_metric_histogram(const char *name, const char *help, const char *labels,
                                 const double *buckets, size_t nbuckets);

/* Label values follow the value argument, one per label name. */
void gf_metric_add(gf_metric_t *m, double v, ...);     /* counter += v (v >= 0) / gauge += v */
void gf_metric_set(gf_metric_t *m, double v, ...);     /* gauge = v */
void gf_metric_observe(gf_metric_t *m, double v, ...); /* histogram */

/* A gauge whose value is computed at scrape time (no labels). */
void gf_metric_gauge_fn(const char *name, const char *help, double (*fn)(void *), void *arg);

/* Render every family (plus process_* metrics) in exposition format.
 * Returns a malloc'd NUL-terminated string the caller frees; *len gets its length. */
char *gf_metrics_render(size_t *len);

/* Content-Type of the rendering. */
#define GF_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Drop every family (tests). Handles from before become invalid. */
void gf_metrics_reset(void);

/* Register the standard process_* metrics (idempotent): cpu seconds, resident memory,
 * virtual memory, start time, open fds, max fds. */
void gf_metrics_register_process(void);

#endif
