/*
 * trn_once.c - `gf-trainer --once --regions R1,R2,...|all [--test-days N]`: trains in the
 * foreground without HTTP, through the same job runner as the service (trn_run_job), and
 * prints one progress line per region, stage and result on stdout.
 *
 * The configuration is the service's own table (passed in) plus the few kit variables the
 * mode needs (Redis address, log level). Regions are checked against gf:regions before the
 * job is saved; the job is saved like one from POST /v1/jobs, so GET /v1/jobs lists it.
 */
#include "trn_once.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/redis.h"
#include "core/region.h"
#include "core/util.h"
#include "features/demand.h"
#include "trn_app.h"
#include "trn_job.h"
#include "trn_run.h"

static const gf_cfg_opt_t once_kit[] = {
    {"GF_REDIS_HOST", GF_CFG_STR, "127.0.0.1", 0, -1, "Redis host (one Redis)"},
    {"GF_REDIS_PORT", GF_CFG_INT, "6379", 1, 65535, "Redis port"},
    {"GF_LOG_LEVEL", GF_CFG_STR, "warn", 0, -1, "log level of the JSON lines on stderr"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static void once_usage(FILE *f)
{
    fprintf(f, "usage: gf-trainer --once --regions R1,R2,...|all [--test-days N]\n"
               "  Trains the regions in the foreground (Redis: GF_REDIS_CLUSTER when set, else\n"
               "  GF_REDIS_HOST:GF_REDIS_PORT),\n"
               "  registers and promotes as the service does, prints progress, exits 0 when\n"
               "  every region trained, 1 otherwise, 2 on a usage or configuration error.\n");
}

typedef struct once_state {
    int tty;
    const char *last_stage;
    int last_cand;
} once_state_t;

static void once_event(void *arg, const trn_job_t *job, const char *what, const json_t *res)
{
    once_state_t *s = arg;
    size_t i = job->region_index + 1, n = job->nregions;
    const char *region = job->region_index < n ? job->regions[job->region_index] : "";
    if (strcmp(what, "region") == 0) {
        printf("[%zu/%zu] %s: start\n", i, n, region);
    } else if (strcmp(what, "stage") == 0) {
        if (job->candidates > 0)
            printf("[%zu/%zu] %s: %s, candidate %d/%d\n", i, n, region, job->stage, job->candidate,
                   job->candidates);
        else
            printf("[%zu/%zu] %s: %s\n", i, n, region, job->stage);
    } else if (strcmp(what, "region_done") == 0) {
        const char *st = json_string_value(json_object_get(res, "state"));
        if (st && strcmp(st, "succeeded") == 0) {
            json_t *m = json_object_get(res, "metrics");
            double t = json_real_value(
                json_object_get(json_object_get(res, "timings"), "total_seconds"));
            printf("[%zu/%zu] %s: v%lld MAPE %.2f %% (same hour yesterday %.2f %%, last week "
                   "%.2f %%) -> %s (%s) in %.1f s\n",
                   i, n, region, (long long)json_integer_value(json_object_get(res, "version")),
                   json_number_value(json_object_get(res, "mape")),
                   json_number_value(
                       json_object_get(json_object_get(m, "same_hour_yesterday"), "mape")),
                   json_number_value(
                       json_object_get(json_object_get(m, "same_hour_last_week"), "mape")),
                   json_string_value(json_object_get(res, "alias")),
                   json_string_value(
                       json_object_get(json_object_get(res, "champion_challenger"), "reason")),
                   t);
        } else {
            json_t *e = json_object_get(res, "error");
            printf("[%zu/%zu] %s: FAILED %s: %s\n", i, n, region,
                   json_string_value(json_object_get(e, "code")),
                   json_string_value(json_object_get(e, "message")));
        }
    } else if (strcmp(what, "done") == 0) {
        printf("job %s: %s%s%s\n", job->id, trn_job_state_name(job->state),
               job->err_msg[0] ? ": " : "", job->err_msg);
    }
    (void)s;
    fflush(stdout);
}

int trn_once_main(int argc, char **argv, const gf_cfg_opt_t *svc_opts)
{
    const char *regions_arg = NULL;
    long test_days = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--once") == 0)
            continue;
        if (strcmp(argv[i], "--regions") == 0 && i + 1 < argc) {
            regions_arg = argv[++i];
        } else if (strcmp(argv[i], "--test-days") == 0 && i + 1 < argc) {
            char *end;
            test_days = strtol(argv[++i], &end, 10);
            if (*end || test_days < 1 || test_days > 365) {
                fprintf(stderr, "gf-trainer: --test-days must be 1..365\n");
                return 2;
            }
        } else {
            once_usage(stderr);
            return 2;
        }
    }
    if (regions_arg == NULL || regions_arg[0] == '\0') {
        once_usage(stderr);
        return 2;
    }
    const gf_cfg_opt_t *tables[] = {once_kit, gf_rcluster_cfg_opts, svc_opts, NULL};
    gf_cfg_t cfg = {0};
    gf_err_t err = {0};
    if (gf_cfg_load(&cfg, tables, &err) != 0) {
        fprintf(stderr, "gf-trainer: %s\n", err.message);
        gf_err_cleanup(&err);
        return 2;
    }
    int status = 1;
    gf_rcluster_t *c = NULL;
    trn_job_t *job = NULL;
    char **regions = NULL;
    size_t n = 0;
    if (gf_log_init("trainer", gf_cfg_str(&cfg, "GF_LOG_LEVEL")) != 0) {
        fprintf(stderr, "gf-trainer: GF_LOG_LEVEL must be debug|info|warn|error\n");
        status = 2;
        goto out;
    }
    trn_run_env_t env = {
        .redis = gf_redis_conf_from_cfg(&cfg),
        .nthread = (int)gf_cfg_int(&cfg, "GF_TRAINER_THREADS"),
        .job_ttl_days = (int)gf_cfg_int(&cfg, "GF_TRAINER_JOB_TTL_DAYS"),
    };
    c = gf_rcluster_open(&env.redis, 5000, &err);
    if (c == NULL) {
        fprintf(stderr, "gf-trainer: %s\n", err.message);
        goto out;
    }
    redisReply *known = gf_rcluster_cmd(c, &err, "SMEMBERS %s", GF_FEAT_DEMAND_REGIONS_KEY);
    if (known == NULL || gf_redis_reply_check(known, &err) != 0) {
        fprintf(stderr, "gf-trainer: %s\n", err.message);
        if (known)
            freeReplyObject(known);
        goto out;
    }
    int all = strcmp(regions_arg, "all") == 0;
    size_t cap = known->elements + 1;
    if (!all)
        for (const char *p = regions_arg; *p; p++)
            cap += *p == ',';
    regions = gf_xcalloc(cap, sizeof *regions);
    if (all) {
        for (size_t i = 0; i < known->elements; i++)
            if (known->element[i]->type == REDIS_REPLY_STRING &&
                gf_region_valid(known->element[i]->str))
                regions[n++] = gf_xstrdup(known->element[i]->str);
        for (size_t i = 1; i < n; i++) /* sorted, for a stable order */
            for (size_t k = i; k > 0 && strcmp(regions[k - 1], regions[k]) > 0; k--) {
                char *t = regions[k];
                regions[k] = regions[k - 1];
                regions[k - 1] = t;
            }
    } else {
        char *copy = gf_xstrdup(regions_arg), *save = NULL;
        int bad = 0;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            int found = 0;
            for (size_t i = 0; i < known->elements && !found; i++)
                found = known->element[i]->type == REDIS_REPLY_STRING &&
                        strcmp(known->element[i]->str, tok) == 0;
            if (!found || !gf_region_valid(tok)) {
                fprintf(stderr, "gf-trainer: region '%s' is not known (not in gf:regions)\n", tok);
                bad = 1;
            } else {
                regions[n++] = gf_xstrdup(tok);
            }
        }
        free(copy);
        if (bad) {
            freeReplyObject(known);
            goto out;
        }
    }
    freeReplyObject(known);
    if (n == 0) {
        fprintf(stderr, "gf-trainer: no regions to train (import demand data first)\n");
        goto out;
    }
    trn_job_opts_t o;
    trn_app_job_defaults(&cfg, &o);
    if (test_days > 0)
        o.test_days = (int)test_days;
    char id[TRN_JOB_ID_MAX + 1], owner[64], instance[24];
    double now = gf_now_wall();
    trn_job_id_new(id, sizeof id, now);
    trn_app_identity(owner, sizeof owner, instance, sizeof instance);
    job = trn_job_new(id, regions, n, all, &o, owner, now);
    snprintf(job->instance, sizeof job->instance, "%s", instance);
    regions = NULL;
    if (trn_job_save(c, job, 1, env.job_ttl_days, &err) != 0) {
        fprintf(stderr, "gf-trainer: %s\n", err.message);
        goto out;
    }
    printf("job %s: %zu region(s), test %d days, %s threads\n", id, job->nregions, o.test_days,
           env.nthread > 0 ? "fixed" : "free-core");
    fflush(stdout);
    trn_run_metrics_init();
    once_state_t st = {.tty = isatty(1)};
    trn_run_hooks_t hooks = {.on_event = once_event, .arg = &st};
    status = trn_run_job(job, &env, &hooks) == TRN_JOB_SUCCEEDED ? 0 : 1;
out:
    trn_strv_free(regions, n);
    trn_job_free(job);
    gf_rcluster_free(c);
    gf_cfg_cleanup(&cfg);
    gf_err_cleanup(&err);
    return status;
}
