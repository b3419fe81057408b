/*
 * h_regions.c - GET /v1/regions: the regions catalog with each region's stored range, on the
 * loop with async Redis.
 *
 * One SMEMBERS of the regions set, then one HMGET of every region's hash (catalog regions
 * first, then regions with data the catalog does not name); the reply goes out when the last
 * answer is in. A region without data is listed only with all=true.
 */
#include "ing_app.h"

#include "core/region.h"
#include "core/util.h"
#include "ing_keys.h"

#include <stdlib.h>
#include <string.h>

typedef struct rq {
    gf_req_t *r;
    int all;
    size_t pending;
    json_t *arr;
    gf_err_t err;
} rq_t;

static void rq_finish(rq_t *q)
{
    if (q->err.rc) {
        gf_reply_error(q->r, &q->err);
        json_decref(q->arr);
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "count", json_integer((json_int_t)json_array_size(q->arr)));
        json_object_set_new(o, "regions", q->arr);
        gf_reply_json(q->r, 200, o);
    }
    gf_err_cleanup(&q->err);
    free(q);
}

static json_t *num_or_null(const redisReply *v, int as_time)
{
    if (v->type != REDIS_REPLY_STRING)
        return json_null();
    long long x = strtoll(v->str, NULL, 10);
    if (!as_time)
        return json_integer(x);
    char buf[40];
    return json_string(gf_time_format(x, buf, sizeof buf));
}

typedef struct rctx {
    rq_t *q;
    char code[GF_REGION_MAX + 1];
} rctx_t;

static void on_region(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    rctx_t *c = priv;
    rq_t *q = c->q;
    const redisReply *rep = reply;
    if (q->err.rc == 0 && gf_redis_reply_check(rep, &q->err) == 0 &&
        rep->type == REDIS_REPLY_ARRAY && rep->elements == 5) {
        const ing_app_t *app = q->r->app;
        const ing_region_t *reg = ing_regions_find(&app->regions, c->code, strlen(c->code));
        long long rows = rep->element[4]->type == REDIS_REPLY_STRING
                             ? strtoll(rep->element[4]->str, NULL, 10)
                             : 0;
        if (rows > 0 || q->all) {
            json_t *o = json_object();
            json_object_set_new(o, "region", json_string(c->code));
            json_object_set_new(o, "name",
                                reg ? json_string(reg->name)
                                : rep->element[0]->type == REDIS_REPLY_STRING
                                    ? json_string(rep->element[0]->str)
                                    : json_null());
            json_object_set_new(o, "tz", reg && reg->tz[0] ? json_string(reg->tz) : json_null());
            json_object_set_new(o, "first", num_or_null(rep->element[2], 1));
            json_object_set_new(o, "last", num_or_null(rep->element[3], 1));
            json_object_set_new(o, "rows", json_integer(rows));
            json_object_set_new(o, "hours", json_integer(rows));
            json_array_append_new(q->arr, o);
        }
    }
    free(c);
    if (--q->pending == 0)
        rq_finish(q);
}

static void region_send(rq_t *q, ing_app_t *app, const char *code)
{
    rctx_t *c = gf_xcalloc(1, sizeof *c);
    c->q = q;
    snprintf(c->code, sizeof c->code, "%s", code);
    char key[96];
    ing_key_region(key, sizeof key, code);
    const char *argv[] = {"HMGET", key, "name", "tz", "first", "last", "rows"};
    q->pending++;
    if (gf_redis_cmd_argv(app->redis, on_region, c, 7, argv, NULL) != 0) {
        q->pending--;
        free(c);
        if (q->err.rc == 0)
            gf_err_set(&q->err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
    }
}

static void on_members(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    rq_t *q = priv;
    const redisReply *rep = reply;
    ing_app_t *app = q->r->app;
    q->pending = 1;
    if (gf_redis_reply_check(rep, &q->err) == 0 && rep->type == REDIS_REPLY_ARRAY) {
        /* Every catalog region, then regions with data the catalog does not name. */
        for (size_t i = 0; i < app->regions.n; i++)
            region_send(q, app, app->regions.v[i].code);
        for (size_t i = 0; i < rep->elements; i++) {
            const redisReply *e = rep->element[i];
            if (e->type == REDIS_REPLY_STRING && gf_region_valid_n(e->str, (size_t)e->len) &&
                ing_regions_find(&app->regions, e->str, (size_t)e->len) == NULL)
                region_send(q, app, e->str);
        }
    }
    if (--q->pending == 0)
        rq_finish(q);
}

void h_regions_get(gf_req_t *r)
{
    ing_app_t *app = r->app;
    gf_err_t err = {0};
    static const char *const allowed[] = {"all", NULL};
    bool all = false;
    if (gf_query_only(r, allowed, &err) != 0 || gf_query_bool(r, "all", false, &all, &err)) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    rq_t *q = gf_xcalloc(1, sizeof *q);
    q->r = r;
    q->all = all;
    q->arr = json_array();
    const char *argv[] = {"SMEMBERS", ING_KEY_REGIONS};
    if (gf_redis_cmd_argv(app->redis, on_members, q, 2, argv, NULL) != 0) {
        json_decref(q->arr);
        free(q);
        gf_reply_errorf(r, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
    }
}
