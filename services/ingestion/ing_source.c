/*
 * ing_source.c - an import request's source conventions (see ing_source.h).
 */
#include "ing_source.h"

#include <string.h>
#include <strings.h>

int ing_source_query(gf_req_t *r, ing_source_t *s, gf_err_t *err)
{
    memset(s, 0, sizeof *s);
    const char *format = NULL, *label = NULL, *tz = NULL, *off = NULL;
    bool hour_ending = false;
    if (gf_query_str(r, "format", NULL, &format, err) ||
        gf_query_bool(r, "hour_ending", false, &hour_ending, err) ||
        gf_query_str(r, "label", NULL, &label, err) || gf_query_str(r, "tz", NULL, &tz, err) ||
        gf_query_str(r, "utc_offset", NULL, &off, err))
        return err->rc;
    if (format == NULL) {
        const char *ct = gf_req_header(r, "Content-Type");
        format = (ct && strncasecmp(ct, "text/csv", 8) == 0) ? "csv" : "json";
    }
    if (!strcmp(format, "csv")) {
        s->json = 0;
    } else if (!strcmp(format, "json") || !strcmp(format, "ndjson")) {
        s->json = 1;
    } else {
        gf_err_set(err, GF_EINVAL, "invalid_parameter", "format must be csv or json");
        gf_err_add_field(err, "format", "csv|json");
        return err->rc;
    }
    s->fmt_name = s->json ? "json" : "csv";
    s->label = hour_ending ? ING_HOUR_ENDING : ING_HOUR_BEGINNING;
    if (label != NULL) {
        if (!strcmp(label, "ending")) {
            s->label = ING_HOUR_ENDING;
        } else if (!strcmp(label, "beginning")) {
            s->label = ING_HOUR_BEGINNING;
        } else {
            gf_err_set(err, GF_EINVAL, "invalid_parameter", "label must be ending or beginning");
            gf_err_add_field(err, "label", "ending|beginning");
            return err->rc;
        }
    }
    if (tz != NULL && off != NULL) {
        gf_err_set(err, GF_EINVAL, "invalid_parameter", "give tz or utc_offset, not both");
        gf_err_add_field(err, "tz", "conflicts with utc_offset");
        return err->rc;
    }
    if (tz != NULL) {
        if (ing_tz_init_iana(&s->tz, tz, err) != 0) {
            gf_err_add_field(err, "tz", "an IANA time zone such as America/New_York");
            return err->rc;
        }
        s->has_tz = 1;
    } else if (off != NULL) {
        int32_t sec;
        if (ing_tz_parse_offset(off, &sec) != 0) {
            gf_err_set(err, GF_EINVAL, "invalid_parameter", "utc_offset must be ±HH:MM");
            gf_err_add_field(err, "utc_offset", "±HH:MM, e.g. -05:00");
            return err->rc;
        }
        ing_tz_init_fixed(&s->tz, sec);
        s->has_tz = 1;
    }
    return 0;
}

void ing_source_cleanup(ing_source_t *s)
{
    if (s->has_tz)
        ing_tz_cleanup(&s->tz);
    s->has_tz = 0;
}

int ing_source_submit(gf_req_t *r, gf_pool_t *pool, gf_pool_work_fn work, gf_pool_done_fn done,
                      void *task, gf_err_t *err)
{
    if (gf_pool_submit(pool, work, done, task, 0, NULL) == 0)
        return 0;
    gf_reply_header(r, "Retry-After", "5");
    return gf_err_set(err, GF_EUNAVAIL, "import_queue_full",
                      "too many imports are running or waiting; retry later");
}
