/*
 * h_models.c - registry routes. libs/registry is synchronous (hiredis sync API), so the
 * handlers validate on the loop thread, run the registry call on the trainer's registry pool
 * (app->registry: one kit pool thread with its own blocking connection) and reply from the
 * loop when it is done. Alias changes go through the
 * registry's single Lua script: atomic, recorded in the history and published on
 * gf:reg:events.
 */
#include "h_models.h"

#include <stdlib.h>
#include <string.h>

#include "core/svc.h"
#include "core/util.h"
#include "registry/meta.h"
#include "registry/registry.h"
#include "trn_app.h"

typedef struct model_ctx model_ctx_t;
/* A registry call on the registry thread, with a connected context. */
typedef void (*registry_fn)(gf_rcluster_t *rc, model_ctx_t *c);

struct model_ctx {
    gf_req_t *r;
    const trn_app_t *app;
    registry_fn fn;
    char name[GF_REG_NAME_MAX + 1];
    gf_reg_alias_req_t req;
    json_t *out;
    gf_err_t err;
};

gf_rcluster_t *trn_registry_conn(gf_pool_worker_t *w, const trn_app_t *app)
{
    gf_err_t e = {0};
    gf_rcluster_t *c = gf_rcluster_worker(w, &app->env.redis, 3000, &e);
    gf_err_cleanup(&e);
    return c;
}

static void registry_work(gf_pool_worker_t *w, void *arg)
{
    model_ctx_t *c = arg;
    gf_rcluster_t *rc = trn_registry_conn(w, c->app);
    if (rc == NULL)
        gf_err_set(&c->err, GF_EUNAVAIL, "redis_unavailable", "Redis is not reachable");
    else
        c->fn(rc, c);
}

static void on_done(void *arg)
{
    model_ctx_t *c = arg;
    if (c->err.rc != 0)
        gf_reply_error(c->r, &c->err);
    else
        gf_reply_json(c->r, 200, c->out);
    gf_err_cleanup(&c->err);
    free(c);
}

static void submit(gf_req_t *r, model_ctx_t *c, registry_fn fn)
{
    trn_app_t *app = r->app;
    c->app = app;
    c->fn = fn;
    gf_err_t err = {0};
    if (gf_pool_submit(app->registry, registry_work, on_done, c, 0, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        free(c);
    }
}

static void work_list(gf_rcluster_t *rc, model_ctx_t *c)
{
    gf_reg_models_to_json(rc, &c->out, &c->err);
}

void h_models_list(gf_req_t *r)
{
    model_ctx_t *c = gf_xcalloc(1, sizeof *c);
    c->r = r;
    submit(r, c, work_list);
}

/* The {name} parameter, or a reply (404: a name that cannot exist is not known). */
static model_ctx_t *with_name(gf_req_t *r)
{
    const char *name = gf_req_param(r, "name");
    if (name == NULL || !gf_reg_name_valid(name)) {
        gf_reply_errorf(r, GF_ENOTFOUND, "unknown_model", "model '%.64s' is not registered",
                        name ? name : "");
        return NULL;
    }
    model_ctx_t *c = gf_xcalloc(1, sizeof *c);
    c->r = r;
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

static void work_get(gf_rcluster_t *rc, model_ctx_t *c)
{
    gf_reg_model_to_json(rc, c->name, &c->out, &c->err);
}

void h_models_get(gf_req_t *r)
{
    model_ctx_t *c = with_name(r);
    if (c != NULL)
        submit(r, c, work_get);
}

static void work_alias(gf_rcluster_t *rc, model_ctx_t *c)
{
    /* an unknown model gives a clearer 404 than "no version N" */
    int64_t latest = 0;
    if (gf_reg_latest(rc, c->name, &latest, &c->err) != 0)
        return;
    if (latest == 0) {
        gf_err_set(&c->err, GF_ENOTFOUND, "unknown_model", "model '%s' is not registered", c->name);
        return;
    }
    int64_t from = 0, to = 0;
    if (gf_reg_alias_req_apply(rc, c->name, &c->req, &from, &to, &c->err) != 0)
        return;
    trn_mape_refresh(rc, c->name);
    c->out = json_pack("{s:s, s:s, s:o, s:I, s:b}", "name", c->name, "alias", c->req.alias, "from",
                       from > 0 ? json_integer((json_int_t)from) : json_null(), "to",
                       (json_int_t)to, "rollback", c->req.rollback);
}

void h_models_aliases_post(gf_req_t *r)
{
    model_ctx_t *c = with_name(r);
    if (c == NULL)
        return;
    if (gf_reg_alias_req_parse(r->body, r->body_len, &c->req, &c->err) != 0) {
        gf_reply_error(r, &c->err);
        gf_err_cleanup(&c->err);
        free(c);
        return;
    }
    submit(r, c, work_alias);
}
