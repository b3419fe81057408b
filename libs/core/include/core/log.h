/*
 * core/log.h - structured logging: one JSON line per event on stderr.
 *
 * {"ts":"…","lvl":"info","svc":"forecast","evt":"start",…fields}
 * Lines are built with jansson (so every value is escaped) and written with one write(2),
 * so lines from several threads never interleave. Never log bodies or secrets.
 * GF_LOG_LEVEL (debug|info|warn|error) sets the level; the macros skip all work below it.
 */
#ifndef GF_CORE_LOG_H
#define GF_CORE_LOG_H

#include <jansson.h>

typedef enum { GF_LOG_DEBUG = 0, GF_LOG_INFO, GF_LOG_WARN, GF_LOG_ERROR } gf_log_level_t;

extern gf_log_level_t gf_log_min_level;

/* Set the service name and level; can be called again. Returns GF_EINVAL on an unknown
 * level name (level unchanged). */
int gf_log_init(const char *svc, const char *level);

/* Parse "debug|info|warn|error"; -1 when unknown. */
int gf_log_level_parse(const char *s);

/* Write one line: evt plus the members of `fields` (stolen; may be NULL). */
void gf_log_json(gf_log_level_t lvl, const char *evt, json_t *fields);

/* Lifecycle events (start with the effective config, drain, exit) are written at level
 * info whatever GF_LOG_LEVEL says: operators and the test harness rely on them. */
void gf_log_lifecycle(const char *evt, json_t *fields);

/* Write one line with a "msg" built printf-style. */
void gf_log_msg(gf_log_level_t lvl, const char *evt, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define GF_LOG(lvl, evt, ...)                                                                      \
    do {                                                                                           \
        if ((lvl) >= gf_log_min_level)                                                             \
            gf_log_msg((lvl), (evt), __VA_ARGS__);                                                 \
    } while (0)
#define GF_LOGJ(lvl, evt, fields_expr)                                                             \
    do {                                                                                           \
        if ((lvl) >= gf_log_min_level)                                                             \
            gf_log_json((lvl), (evt), (fields_expr));                                              \
    } while (0)

#endif
