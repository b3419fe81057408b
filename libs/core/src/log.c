/*
 * log.c - JSON-lines logger (see core/log.h). The line is assembled in full and written
 * with a single write(2) on fd 2, so concurrent writers do not interleave and nothing is
 * lost in a stdio buffer when the process is killed.
 */
#include "core/log.h"
#include "core/err.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

gf_log_level_t gf_log_min_level = GF_LOG_INFO;
static char svc_name[32] = "gridflow";
static const char *const level_names[] = {"debug", "info", "warn", "error"};

int gf_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s != NULL && strcasecmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

int gf_log_init(const char *svc, const char *level)
{
    if (svc != NULL)
        snprintf(svc_name, sizeof svc_name, "%s", svc);
    if (level == NULL)
        return 0;
    int l = gf_log_level_parse(level);
    if (l < 0)
        return GF_EINVAL;
    gf_log_min_level = (gf_log_level_t)l;
    return 0;
}

static void write_line(gf_log_level_t lvl, const char *evt, json_t *fields);

void gf_log_json(gf_log_level_t lvl, const char *evt, json_t *fields)
{
    if (lvl < gf_log_min_level) {
        json_decref(fields);
        return;
    }
    write_line(lvl, evt, fields);
}

void gf_log_lifecycle(const char *evt, json_t *fields)
{
    write_line(GF_LOG_INFO, evt, fields);
}

static void write_line(gf_log_level_t lvl, const char *evt, json_t *fields)
{
    char ts[40];
    json_t *o = json_object();
    if (o == NULL) {
        json_decref(fields);
        return;
    }
    json_object_set_new(o, "ts", json_string(gf_time_format_ms(gf_now_wall(), ts, sizeof ts)));
    json_object_set_new(o, "lvl", json_string(level_names[lvl]));
    json_object_set_new(o, "svc", json_string(svc_name));
    json_object_set_new(o, "evt", json_string(evt));
    if (fields != NULL) {
        json_object_update(o, fields);
        json_decref(fields);
    }
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(o);
    if (line == NULL)
        return;
    size_t n = strlen(line);
    line[n] = '\n'; /* overwrite the NUL; json_dumps allocated n+1 bytes */
    ssize_t w = write(STDERR_FILENO, line, n + 1);
    (void)w;
    free(line);
}

void gf_log_msg(gf_log_level_t lvl, const char *evt, const char *fmt, ...)
{
    if (lvl < gf_log_min_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *f = json_object();
    json_t *m = json_string(msg);
    if (m == NULL)
        m = json_string("(message not valid UTF-8)");
    json_object_set_new(f, "msg", m);
    gf_log_json(lvl, evt, f);
}
