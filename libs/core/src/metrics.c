/*
 * metrics.c - Prometheus registry and text exposition (see core/metrics.h).
 *
 * One mutex guards the registry. Hot paths (a counter increment per request) take it for
 * a few dozen nanoseconds; that is cheaper and simpler than per-series atomics and keeps
 * rendering consistent. Series are looked up by comparing label values in a short array:
 * families stay small by design (bounded labels).
 */
#include "core/metrics.h"
#include "core/sbuf.h"
#include "core/util.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef enum { M_COUNTER, M_GAUGE, M_HISTOGRAM, M_GAUGE_FN } mtype_t;

typedef struct series {
    char *values[GF_METRICS_MAX_LABELS];
    double value;               /* counter/gauge */
    double sum;                 /* histogram */
    unsigned long long *counts; /* histogram: nbuckets + 1 (the +Inf bucket) */
} series_t;

struct gf_metric {
    char *name;
    char *help;
    mtype_t type;
    size_t nlabels;
    char *labels[GF_METRICS_MAX_LABELS];
    double *buckets;
    size_t nbuckets;
    series_t *series;
    size_t nseries, capseries;
    double (*fn)(void *);
    void *fn_arg;
    struct gf_metric *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static gf_metric_t *head, *tail;
static double start_time;

static const double default_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};

static int valid_name(const char *s)
{
    if (s == NULL || !*s)
        return 0;
    for (const char *p = s; *p; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':' ||
                 (p != s && *p >= '0' && *p <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

static void die(const char *what, const char *name)
{
    fprintf(stderr, "metrics: %s: %s\n", what, name ? name : "(null)");
    abort();
}

static gf_metric_t *find_locked(const char *name)
{
    for (gf_metric_t *m = head; m; m = m->next)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

static gf_metric_t *create(const char *name, const char *help, const char *labels, mtype_t t,
                           const double *buckets, size_t nb)
{
    if (!valid_name(name))
        die("invalid metric name", name);
    pthread_mutex_lock(&mu);
    gf_metric_t *m = find_locked(name);
    if (m != NULL) {
        pthread_mutex_unlock(&mu);
        if (m->type != t)
            die("metric re-registered with another type", name);
        return m;
    }
    m = gf_xcalloc(1, sizeof *m);
    m->name = gf_xstrdup(name);
    m->help = gf_xstrdup(help ? help : "");
    m->type = t;
    if (labels != NULL && *labels) {
        char *copy = gf_xstrdup(labels), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (m->nlabels == GF_METRICS_MAX_LABELS || !valid_name(tok))
                die("bad label list", labels);
            m->labels[m->nlabels++] = gf_xstrdup(tok);
        }
        free(copy);
    }
    if (t == M_HISTOGRAM) {
        if (buckets == NULL) {
            buckets = default_buckets;
            nb = sizeof default_buckets / sizeof default_buckets[0];
        }
        for (size_t i = 1; i < nb; i++)
            if (!(buckets[i] > buckets[i - 1]))
                die("histogram buckets not increasing", name);
        m->buckets = gf_xmalloc(nb * sizeof(double));
        memcpy(m->buckets, buckets, nb * sizeof(double));
        m->nbuckets = nb;
    }
    if (tail)
        tail->next = m;
    else
        head = m;
    tail = m;
    pthread_mutex_unlock(&mu);
    return m;
}

gf_metric_t *gf_metric_counter(const char *name, const char *help, const char *labels)
{
    return create(name, help, labels, M_COUNTER, NULL, 0);
}

gf_metric_t *gf_metric_gauge(const char *name, const char *help, const char *labels)
{
    return create(name, help, labels, M_GAUGE, NULL, 0);
}

gf_metric_t *gf_metric_histogram(const char *name, const char *help, const char *labels,
                                 const double *buckets, size_t nbuckets)
{
    return create(name, help, labels, M_HISTOGRAM, buckets, nbuckets);
}

void gf_metric_gauge_fn(const char *name, const char *help, double (*fn)(void *), void *arg)
{
    gf_metric_t *m = create(name, help, NULL, M_GAUGE_FN, NULL, 0);
    pthread_mutex_lock(&mu);
    m->fn = fn;
    m->fn_arg = arg;
    pthread_mutex_unlock(&mu);
}

/* Find or create the series for the label values in ap. Called with mu held. */
static series_t *series_locked(gf_metric_t *m, va_list ap)
{
    const char *vals[GF_METRICS_MAX_LABELS];
    for (size_t i = 0; i < m->nlabels; i++) {
        vals[i] = va_arg(ap, const char *);
        if (vals[i] == NULL)
            vals[i] = "";
    }
    for (size_t s = 0; s < m->nseries; s++) {
        size_t i = 0;
        while (i < m->nlabels && strcmp(m->series[s].values[i], vals[i]) == 0)
            i++;
        if (i == m->nlabels)
            return &m->series[s];
    }
    if (m->nseries >= GF_METRICS_MAX_SERIES) {
        for (size_t i = 0; i < m->nlabels; i++)
            vals[i] = "_other";
        for (size_t s = 0; s < m->nseries; s++) {
            size_t i = 0;
            while (i < m->nlabels && strcmp(m->series[s].values[i], "_other") == 0)
                i++;
            if (i == m->nlabels)
                return &m->series[s];
        }
    }
    if (m->nseries == m->capseries) {
        m->capseries = m->capseries ? m->capseries * 2 : 8;
        m->series = gf_xrealloc(m->series, m->capseries * sizeof(series_t));
    }
    series_t *s = &m->series[m->nseries++];
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < m->nlabels; i++)
        s->values[i] = gf_xstrdup(vals[i]);
    if (m->type == M_HISTOGRAM)
        s->counts = gf_xcalloc(m->nbuckets + 1, sizeof(unsigned long long));
    return s;
}

void gf_metric_add(gf_metric_t *m, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    pthread_mutex_lock(&mu);
    series_t *s = series_locked(m, ap);
    if (m->type != M_COUNTER || v >= 0)
        s->value += v;
    pthread_mutex_unlock(&mu);
    va_end(ap);
}

void gf_metric_set(gf_metric_t *m, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    pthread_mutex_lock(&mu);
    series_t *s = series_locked(m, ap);
    s->value = v;
    pthread_mutex_unlock(&mu);
    va_end(ap);
}

void gf_metric_observe(gf_metric_t *m, double v, ...)
{
    if (m->type != M_HISTOGRAM)
        return;
    va_list ap;
    va_start(ap, v);
    pthread_mutex_lock(&mu);
    series_t *s = series_locked(m, ap);
    size_t i = 0;
    while (i < m->nbuckets && v > m->buckets[i])
        i++;
    s->counts[i]++;
    s->sum += v;
    pthread_mutex_unlock(&mu);
    va_end(ap);
}

/* ---------------------------------------------------------------- rendering */

/* HELP text escapes backslash and newline; label values also escape the double quote. */
static void sb_escaped(gf_sbuf_t *b, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            gf_sbuf_adds(b, "\\\\");
        else if (*s == '\n')
            gf_sbuf_adds(b, "\\n");
        else if (quote && *s == '"')
            gf_sbuf_adds(b, "\\\"");
        else
            gf_sbuf_add(b, s, 1);
    }
}

static void sb_value(gf_sbuf_t *b, double v)
{
    if (isnan(v))
        gf_sbuf_adds(b, "NaN");
    else if (isinf(v))
        gf_sbuf_adds(b, v > 0 ? "+Inf" : "-Inf");
    else if (v == (double)(long long)v && fabs(v) < 1e15)
        gf_sbuf_addf(b, "%lld", (long long)v);
    else
        gf_sbuf_addf(b, "%.15g", v);
}

static void sb_labels(gf_sbuf_t *b, const gf_metric_t *m, const series_t *s, const char *extra_name,
                      const char *extra_value)
{
    if (m->nlabels == 0 && extra_name == NULL)
        return;
    gf_sbuf_adds(b, "{");
    for (size_t i = 0; i < m->nlabels; i++) {
        if (i)
            gf_sbuf_adds(b, ",");
        gf_sbuf_adds(b, m->labels[i]);
        gf_sbuf_adds(b, "=\"");
        sb_escaped(b, s->values[i], 1);
        gf_sbuf_adds(b, "\"");
    }
    if (extra_name != NULL) {
        if (m->nlabels)
            gf_sbuf_adds(b, ",");
        gf_sbuf_addf(b, "%s=\"%s\"", extra_name, extra_value);
    }
    gf_sbuf_adds(b, "}");
}

static const char *type_text(mtype_t t)
{
    return t == M_COUNTER ? "counter" : t == M_HISTOGRAM ? "histogram" : "gauge";
}

char *gf_metrics_render(size_t *len)
{
    gf_sbuf_t b = {0};
    pthread_mutex_lock(&mu);
    for (gf_metric_t *m = head; m; m = m->next) {
        double fnval = 0;
        if (m->type == M_GAUGE_FN) {
            fnval = m->fn ? m->fn(m->fn_arg) : NAN;
            if (isnan(fnval))
                continue;
        }
        gf_sbuf_addf(&b, "# HELP %s ", m->name);
        sb_escaped(&b, m->help, 0);
        gf_sbuf_addf(&b, "\n# TYPE %s %s\n", m->name, type_text(m->type));
        if (m->type == M_GAUGE_FN) {
            gf_sbuf_addf(&b, "%s ", m->name);
            sb_value(&b, fnval);
            gf_sbuf_adds(&b, "\n");
            continue;
        }
        for (size_t si = 0; si < m->nseries; si++) {
            const series_t *s = &m->series[si];
            if (m->type != M_HISTOGRAM) {
                gf_sbuf_adds(&b, m->name);
                sb_labels(&b, m, s, NULL, NULL);
                gf_sbuf_adds(&b, " ");
                sb_value(&b, s->value);
                gf_sbuf_adds(&b, "\n");
                continue;
            }
            unsigned long long cum = 0;
            for (size_t i = 0; i <= m->nbuckets; i++) {
                cum += s->counts[i];
                char le[40];
                if (i == m->nbuckets)
                    snprintf(le, sizeof le, "+Inf");
                else
                    snprintf(le, sizeof le, "%g", m->buckets[i]);
                gf_sbuf_addf(&b, "%s_bucket", m->name);
                sb_labels(&b, m, s, "le", le);
                gf_sbuf_addf(&b, " %llu\n", cum);
            }
            gf_sbuf_addf(&b, "%s_sum", m->name);
            sb_labels(&b, m, s, NULL, NULL);
            gf_sbuf_adds(&b, " ");
            sb_value(&b, s->sum);
            gf_sbuf_addf(&b, "\n%s_count", m->name);
            sb_labels(&b, m, s, NULL, NULL);
            gf_sbuf_addf(&b, " %llu\n", cum);
        }
    }
    pthread_mutex_unlock(&mu);
    if (len)
        *len = b.len;
    return gf_sbuf_take(&b);
}

void gf_metrics_reset(void)
{
    pthread_mutex_lock(&mu);
    gf_metric_t *m = head;
    while (m) {
        gf_metric_t *next = m->next;
        for (size_t s = 0; s < m->nseries; s++) {
            for (size_t i = 0; i < m->nlabels; i++)
                free(m->series[s].values[i]);
            free(m->series[s].counts);
        }
        for (size_t i = 0; i < m->nlabels; i++)
            free(m->labels[i]);
        free(m->series);
        free(m->buckets);
        free(m->name);
        free(m->help);
        free(m);
        m = next;
    }
    head = tail = NULL;
    pthread_mutex_unlock(&mu);
}

/* ---------------------------------------------------------------- process metrics */

static double proc_cpu(void *arg)
{
    (void)arg;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return NAN;
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static double statm_field(int idx)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return NAN;
    unsigned long v[2] = {0, 0};
    int n = fscanf(f, "%lu %lu", &v[0], &v[1]);
    fclose(f);
    if (n != 2)
        return NAN;
    return (double)v[idx] * (double)sysconf(_SC_PAGESIZE);
}

static double proc_rss(void *arg)
{
    (void)arg;
    return statm_field(1);
}

static double proc_vsz(void *arg)
{
    (void)arg;
    return statm_field(0);
}

static double proc_start(void *arg)
{
    (void)arg;
    return start_time;
}

static double proc_fds(void *arg)
{
    (void)arg;
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return NAN;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream's own fd */
}

static double proc_max_fds(void *arg)
{
    (void)arg;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return NAN;
    return (double)rl.rlim_cur;
}

void gf_metrics_register_process(void)
{
    if (start_time == 0)
        start_time = gf_now_wall();
    gf_metric_gauge_fn("process_cpu_seconds_total",
                       "Total user and system CPU time spent in seconds.", proc_cpu, NULL);
    gf_metric_gauge_fn("process_resident_memory_bytes", "Resident memory size in bytes.", proc_rss,
                       NULL);
    gf_metric_gauge_fn("process_virtual_memory_bytes", "Virtual memory size in bytes.", proc_vsz,
                       NULL);
    gf_metric_gauge_fn("process_start_time_seconds",
                       "Start time of the process since unix epoch in seconds.", proc_start, NULL);
    gf_metric_gauge_fn("process_open_fds", "Number of open file descriptors.", proc_fds, NULL);
    gf_metric_gauge_fn("process_max_fds", "Maximum number of open file descriptors.", proc_max_fds,
                       NULL);
}
