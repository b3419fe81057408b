/*
 * ing-bench - throughput figures for the ingestion core (no HTTP):
 *   1. readings parse + validate (MB/s, readings/s) on generated JSON batches;
 *   2. readings batch write into a real redis-server (AOF everysec) started here on a free
 *      loopback port: end to end (parse, validate, build, EVALSHA, reply) with one batch in
 *      flight while the next is parsed, then the same batches again (all duplicates);
 *   3. demand history import (CSV -> Redis) of the files given with --demand.
 * Prints one line per figure. Results and the command line go to
 * tests/bench/results/ingestion.md. The redis-server is stopped by its PID at the end.
 *
 *   build/bin/ing-bench [--batches N] [--batch-size N] [--demand FILE[:ending|beginning]]...
 */
#include "../ing_demand.h"
#include "../ing_readings.h"
#include "../ing_store.h"
#include "../ing_validate.h"

#include "core/util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const regions[] = {"CISO", "ERCO", "ISNE", "MISO", "NYIS", "PJM", "SWPP"};

/* ------------------------------------------------------------------ redis-server */

static pid_t redis_pid;
static char redis_dir[64];

static int port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static redisContext *redis_start(int *port_out)
{
    srand((unsigned)(time(NULL) ^ getpid()));
    for (int attempt = 0; attempt < 10; attempt++) {
        int port = 20000 + rand() % 40000;
        if (!port_free(port))
            continue;
        snprintf(redis_dir, sizeof redis_dir, "/tmp/ing-bench-XXXXXX");
        if (mkdtemp(redis_dir) == NULL)
            return NULL;
        char sport[16];
        snprintf(sport, sizeof sport, "%d", port);
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            int devnull = open("/dev/null", O_WRONLY);
            dup2(devnull, 1);
            dup2(devnull, 2);
            execl("/usr/bin/redis-server", "redis-server", "--port", sport, "--bind", "127.0.0.1",
                  "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--dir",
                  redis_dir, "--daemonize", "no", (char *)NULL);
            _exit(127);
        }
        redis_pid = pid;
        for (int i = 0; i < 250; i++) {
            usleep(20000);
            redisContext *c = redisConnect("127.0.0.1", port);
            if (c && !c->err) {
                redisReply *r = redisCommand(c, "PING");
                if (r && r->type == REDIS_REPLY_STATUS) {
                    freeReplyObject(r);
                    *port_out = port;
                    return c;
                }
                if (r)
                    freeReplyObject(r);
            }
            if (c)
                redisFree(c);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        redis_pid = 0;
    }
    return NULL;
}

static void redis_stop(void)
{
    if (redis_pid > 0) {
        kill(redis_pid, SIGTERM);
        waitpid(redis_pid, NULL, 0);
        redis_pid = 0;
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", redis_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", redis_dir);
    }
}

/* CPU seconds the Redis main thread has used (INFO cpu), -1 when unknown. */
static double redis_cpu(redisContext *c)
{
    redisReply *r = redisCommand(c, "INFO cpu");
    double v = -1;
    if (r && r->type == REDIS_REPLY_STRING) {
        const char *u = strstr(r->str, "used_cpu_user_main_thread:");
        const char *s = strstr(r->str, "used_cpu_sys_main_thread:");
        if (u && s)
            v = strtod(u + 27, NULL) + strtod(s + 26, NULL);
    }
    if (r)
        freeReplyObject(r);
    return v;
}

/* ------------------------------------------------------------------ data */

/* Readings of meters mtr-0000000..mtr-0199999 over the hour before now_s - shift. */
static char *gen_batch(size_t n, size_t batch_no, int64_t now_s, int64_t shift, size_t *len)
{
    size_t cap = n * 200 + 16, o = 0;
    char *s = gf_xmalloc(cap);
    s[o++] = '[';
    for (size_t i = 0; i < n; i++) {
        size_t k = batch_no * n + i;
        int64_t ts = now_s - shift - 3600 + (int64_t)(k / 20000) % 3000;
        char tsb[32];
        gf_time_format(ts, tsb, sizeof tsb);
        o += (size_t)snprintf(s + o, cap - o,
                              "%s{\"meter_id\":\"mtr-%07zu\",\"ts\":\"%s\",\"region\":\"%s\","
                              "\"kwh\":%.3f,\"kw\":%.2f,\"voltage_v\":%.1f}",
                              i ? ",\n" : "", k % 200000, tsb, regions[k % 7],
                              (double)(k % 997) / 1000.0, (double)(k % 5000) / 100.0,
                              228.0 + (double)(k % 40) / 10.0);
    }
    s[o++] = ']';
    *len = o;
    return s;
}

int main(int argc, char **argv)
{
    size_t nbatches = 50, bsize = 10000;
    const char *demand[16];
    int demand_ending[16];
    int ndemand = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--batches") == 0 && i + 1 < argc)
            nbatches = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--batch-size") == 0 && i + 1 < argc)
            bsize = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--demand") == 0 && i + 1 < argc && ndemand < 16) {
            char *a = argv[++i], *colon = strrchr(a, ':');
            demand_ending[ndemand] = 1;
            if (colon && strcmp(colon + 1, "beginning") == 0) {
                *colon = '\0';
                demand_ending[ndemand] = 0;
            } else if (colon && strcmp(colon + 1, "ending") == 0) {
                *colon = '\0';
            }
            demand[ndemand++] = a;
        } else {
            fprintf(stderr,
                    "usage: %s [--batches N] [--batch-size N] [--demand FILE[:ending|"
                    "beginning]]...\n",
                    argv[0]);
            return 2;
        }
    }
    int64_t now_s = (int64_t)gf_now_wall();
    char **bodies = gf_xcalloc(nbatches, sizeof *bodies);
    size_t *lens = gf_xcalloc(nbatches, sizeof *lens), total_bytes = 0;
    for (size_t b = 0; b < nbatches; b++) {
        bodies[b] = gen_batch(bsize, b, now_s, 0, &lens[b]);
        total_bytes += lens[b];
    }
    ing_regions_t reg;
    ing_regions_init(&reg);
    for (size_t i = 0; i < 7; i++)
        ing_regions_add(&reg, regions[i], regions[i], "", NULL);
    ing_validate_cfg_t vcfg;
    ing_validate_cfg_default(&vcfg);
    vcfg.regions = &reg;
    ing_batch_t batch;
    ing_batch_init(&batch, 0);

    /* 1. parse + validate */
    double t0 = gf_now_mono();
    size_t parsed = 0;
    for (int rep = 0; rep < 3; rep++)
        for (size_t b = 0; b < nbatches; b++) {
            ing_batch_reset(&batch);
            gf_err_t err = {0};
            if (ing_readings_parse(&batch, bodies[b], lens[b], &err) != 0) {
                fprintf(stderr, "parse: %s\n", err.message);
                return 1;
            }
            parsed += ing_validate_batch(&vcfg, &batch, now_s * 1000);
        }
    double dt = gf_now_mono() - t0;
    printf("readings parse+validate: %zu readings, %.1f MB in %.3f s: %.0f MB/s, %.0f readings/s "
           "(%zu B/reading)\n",
           parsed, 3.0 * (double)total_bytes / 1e6, dt, 3.0 * (double)total_bytes / 1e6 / dt,
           (double)parsed / dt, total_bytes / (nbatches * bsize));

    /* 1b. client side of a write: parse, validate and build the EVALSHA arguments */
    {
        ing_store_cfg_t bcfg;
        ing_store_cfg_default(&bcfg);
        bcfg.script_sha = "0000000000000000000000000000000000000000";
        ing_cmd_t cmd;
        ing_cmd_init(&cmd);
        ing_store_plan_t plan;
        ing_store_plan_init(&plan);
        size_t args = 0, bytes = 0;
        t0 = gf_now_mono();
        for (size_t b = 0; b < nbatches; b++) {
            ing_batch_reset(&batch);
            ing_readings_parse(&batch, bodies[b], lens[b], NULL);
            ing_validate_batch(&vcfg, &batch, now_s * 1000);
            size_t np = ing_store_plan(&bcfg, &batch, &plan);
            for (size_t i = 0; i < np; i++) {
                ing_store_build(&bcfg, &batch, &plan, i, &cmd);
                args += (size_t)cmd.argc;
                for (int k = 0; k < cmd.argc; k++)
                    bytes += cmd.argvlen[k];
            }
        }
        dt = gf_now_mono() - t0;
        printf("readings parse+validate+build args: %.0f readings/s (%.1f args, %.0f bytes per "
               "reading sent)\n",
               (double)(nbatches * bsize) / dt, (double)args / (double)(nbatches * bsize),
               (double)bytes / (double)(nbatches * bsize));
        ing_cmd_cleanup(&cmd);
        ing_store_plan_cleanup(&plan);
    }

    /* 2. batch write */
    int port = 0;
    redisContext *c = redis_start(&port);
    if (c == NULL) {
        fprintf(stderr, "cannot start redis-server\n");
        return 1;
    }
    char sha[41];
    gf_err_t err = {0};
    gf_rcluster_t *h = gf_rcluster_new_single("127.0.0.1", port, 10000, &err);
    if (h == NULL || ing_store_script_load(h, sha, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        gf_rcluster_free(h);
        redis_stop();
        return 1;
    }
    ing_store_cfg_t scfg;
    ing_store_cfg_default(&scfg);
    scfg.script_sha = sha;
    int rc = 0;
    static const char *const pass_name[3] = {"first write, meters new", "retry, all duplicates",
                                             "new readings of known meters (steady state)"};
    for (int pass = 0; pass < 3 && rc == 0; pass++) {
        if (pass == 2)
            for (size_t b = 0; b < nbatches; b++) {
                free(bodies[b]);
                bodies[b] = gen_batch(bsize, b, now_s, 7200, &lens[b]);
            }
        ing_store_counts_t tot = {0};
        double cpu0 = redis_cpu(c);
        t0 = gf_now_mono();
        ing_batch_t inflight;
        ing_batch_init(&inflight, 0);
        ing_cmd_t cmd;
        ing_cmd_init(&cmd);
        ing_store_plan_t plan, inplan;
        ing_store_plan_init(&plan);
        ing_store_plan_init(&inplan);
        /* Two batches in flight: batch b is parsed, validated, built and queued before the
         * replies of batch b-1 are read (reading first flushes b's commands), so Redis
         * always has the next batch waiting, as with concurrent requests in the service. */
        size_t pending = 0; /* commands of `inflight` not yet answered */
        for (size_t b = 0; b <= nbatches && rc == 0; b++) {
            size_t queued = 0;
            if (b < nbatches) {
                ing_batch_reset(&batch);
                if (ing_readings_parse(&batch, bodies[b], lens[b], &err) != 0)
                    break;
                ing_validate_batch(&vcfg, &batch, now_s * 1000);
                size_t np = ing_store_plan(&scfg, &batch, &plan);
                for (size_t i = 0; i < np; i++) {
                    ing_store_build(&scfg, &batch, &plan, i, &cmd);
                    redisAppendCommandArgv(c, cmd.argc, cmd.argv, cmd.argvlen);
                    queued++;
                }
            }
            for (size_t k = 0; k < pending; k++) {
                redisReply *rep = NULL;
                if (redisGetReply(c, (void **)&rep) != REDIS_OK)
                    rep = NULL;
                rc = ing_store_apply_reply(&scfg, &inflight, &inplan, k, rep, &tot, &err);
                if (rep)
                    freeReplyObject(rep);
                if (rc)
                    break;
            }
            ing_batch_t tmp = inflight;
            inflight = batch;
            batch = tmp;
            ing_store_plan_t tp = inplan;
            inplan = plan;
            plan = tp;
            pending = queued;
        }
        dt = gf_now_mono() - t0;
        ing_cmd_cleanup(&cmd);
        ing_store_plan_cleanup(&plan);
        ing_store_plan_cleanup(&inplan);
        ing_batch_cleanup(&inflight);
        if (rc) {
            fprintf(stderr, "write: %s\n", err.message);
            break;
        }
        size_t nr = tot.accepted + tot.duplicate + tot.rejected;
        printf("readings end to end (%s): %zu readings in %.3f s: %.0f readings/s "
               "(new %zu, duplicate %zu, rejected %zu; %zu per batch, at most %zu per EVALSHA); "
               "Redis main thread CPU %.2f us per reading\n",
               pass_name[pass], nr, dt, (double)nr / dt, tot.accepted, tot.duplicate, tot.rejected,
               bsize, scfg.chunk, (redis_cpu(c) - cpu0) * 1e6 / (double)nr);
    }

    /* 3. demand import */
    for (int i = 0; i < ndemand && rc == 0; i++) {
        ing_demand_opts_t o;
        ing_demand_opts_default(&o);
        o.label = demand_ending[i] ? ING_HOUR_ENDING : ING_HOUR_BEGINNING;
        ing_demand_stats_t st;
        t0 = gf_now_mono();
        rc = ing_demand_import_file_sync(h, &o, demand[i], &st, &err);
        dt = gf_now_mono() - t0;
        if (rc) {
            fprintf(stderr, "demand %s: %s\n", demand[i], err.message);
            break;
        }
        printf("demand import %s: %zu rows (%zu new, %zu rejected) in %.2f s: %.0f rows/s\n",
               demand[i], st.rows_ok, st.rows_new, st.rows_rejected, dt, (double)st.rows_ok / dt);
    }
    if (getenv("ING_BENCH_STATS")) {
        redisReply *cs = redisCommand(c, "INFO commandstats");
        if (cs && cs->type == REDIS_REPLY_STRING)
            printf("%s\n", cs->str);
        if (cs)
            freeReplyObject(cs);
    }
    redisReply *info = redisCommand(c, "INFO memory");
    if (info && info->type == REDIS_REPLY_STRING) {
        char *p = strstr(info->str, "used_memory_human:");
        if (p)
            printf("redis %.*s\n", (int)strcspn(p, "\r\n"), p);
    }
    if (info)
        freeReplyObject(info);
    redisFree(c);
    gf_rcluster_free(h);
    redis_stop();
    gf_err_cleanup(&err);
    ing_batch_cleanup(&batch);
    ing_regions_cleanup(&reg);
    for (size_t b = 0; b < nbatches; b++)
        free(bodies[b]);
    free(bodies);
    free(lens);
    return rc ? 1 : 0;
}
