/*
 * h_jobs.c - job listing routes of the trainer. Jobs are recorded in Redis:
 * gf:jobs (sorted set: job id scored by creation time) and gf:job:{id} (hash, the job's
 * JSON under field "json"). GET /v1/jobs lists the most recent first.
 */
#include "h_jobs.h"

#include <stdlib.h>
#include <string.h>

#include "core/svc.h"

static void on_jobs(redisAsyncContext *ac, void *reply_, void *privdata)
{
    (void)ac;
    gf_req_t *r = privdata;
    redisReply *reply = reply_;
    gf_err_t err = {0};
    if (gf_redis_reply_check(reply, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    json_t *jobs = json_array();
    if (reply->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < reply->elements; i++) {
            redisReply *e = reply->element[i];
            if (e->type != REDIS_REPLY_STRING)
                continue;
            json_t *j = json_loadb(e->str, e->len, 0, NULL);
            if (j != NULL)
                json_array_append_new(jobs, j);
        }
    }
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer((json_int_t)json_array_size(jobs)));
    json_object_set_new(o, "jobs", jobs);
    gf_reply_json(r, 200, o);
}

/* The job documents of the newest `limit` ids, fetched in one server-side step so a job
 * deleted in between cannot leave a hole. */
static const char list_script[] =
    "local ids = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)\n"
    "local out = {}\n"
    "for _, id in ipairs(ids) do\n"
    "  local j = redis.call('HGET', 'gf:job:{' .. id .. '}', 'json')\n"
    "  if j then out[#out + 1] = j end\n"
    "end\n"
    "return out\n";

void h_jobs_list(gf_req_t *r)
{
    gf_err_t err = {0};
    long limit;
    static const char *const allowed[] = {"limit", NULL};
    if (gf_query_only(r, allowed, &err) != 0 ||
        gf_query_long(r, "limit", 1, 1000, 50, &limit, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    char lim[24];
    snprintf(lim, sizeof lim, "%ld", limit);
    gf_service_t *svc = gf_req_service(r);
    if (gf_redis_cmd(svc->redis, on_jobs, r, "EVAL %s 1 gf:jobs %s", list_script, lim) != 0)
        gf_reply_errorf(r, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
}
