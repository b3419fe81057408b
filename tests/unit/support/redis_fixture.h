/*
 * redis_fixture.h - a private redis-server for one test binary (header-only, test code).
 *
 * gf_test_redis_start() picks a random free loopback port in 20000-31999 (below the ephemeral
 * range), starts /usr/bin/redis-server on it in a fresh temp dir (no persistence, foreground),
 * waits until it answers PING and returns its PID; gf_test_redis_stop() kills exactly that PID,
 * reaps it and removes the dir; gf_test_redis_open/_close/_flushall wrap them for cmocka group
 * fixtures. The child asks the kernel (PR_SET_PDEATHSIG) to end it if the test process dies first,
 * so a crashing test leaves no server behind. The one Redis fixture of the unit tests (include it
 * as "../support/redis_fixture.h"): registry, forecast, ingestion, features and trainer, and
 * the cluster fixture (rcluster_fixture.h) builds on it.
 *
 * A missing or failing redis-server is a test FAILURE, never a silent skip: _open prints
 * "cannot start redis-server" and fails the group setup; a test that starts its own server
 * fails with gf_test_redis_start's -1.
 */
#ifndef GF_TEST_REDIS_FIXTURE_H
#define GF_TEST_REDIS_FIXTURE_H

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct gf_test_redis {
    pid_t pid;
    int port;
    char dir[64];
} gf_test_redis_t;

/* Copies (not pointers: a test's own struct may be on a stack a failed assertion unwound). */
static gf_test_redis_t gf_test_redis_live[8];

static void gf_test_redis_forget(const gf_test_redis_t *r)
{
    for (int i = 0; i < 8; i++)
        if (gf_test_redis_live[i].pid == r->pid)
            memset(&gf_test_redis_live[i], 0, sizeof gf_test_redis_live[i]);
}

static int gf_test_port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static void gf_test_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void gf_test_redis_stop(gf_test_redis_t *r)
{
    gf_test_redis_t s = *r; /* r may be the live-table slot that forget() clears */
    if (s.pid > 0)
        gf_test_redis_forget(&s);
    r->pid = 0;
    r->dir[0] = '\0';
    if (s.pid > 0) {
        kill(s.pid, SIGTERM);
        int st;
        for (int i = 0; i < 200; i++) {
            if (waitpid(s.pid, &st, WNOHANG) == s.pid)
                goto reaped;
            usleep(10000);
        }
        kill(s.pid, SIGKILL);
        waitpid(s.pid, &st, 0);
    reaped:;
    }
    if (s.dir[0])
        gf_test_rmdir(s.dir);
}

/* Servers still running at exit (a failed assertion skips the test's own stop): stopped and
 * their dirs removed by an atexit handler, so nothing is left behind. */
static void gf_test_redis_atexit(void)
{
    for (int i = 0; i < 8; i++)
        if (gf_test_redis_live[i].pid > 0)
            gf_test_redis_stop(&gf_test_redis_live[i]);
}

static void gf_test_redis_remember(const gf_test_redis_t *r)
{
    static int registered;
    if (!registered && atexit(gf_test_redis_atexit) == 0)
        registered = 1;
    for (int i = 0; i < 8; i++)
        if (gf_test_redis_live[i].pid == 0) {
            gf_test_redis_live[i] = *r;
            return;
        }
}

/* New connection to the fixture's server; NULL on failure. Caller frees with redisFree. */
static redisContext *gf_test_redis_connect(const gf_test_redis_t *r)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", r->port, tv);
    if (c == NULL)
        return NULL;
    if (c->err) {
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    return c;
}

/* In a forked child of `parent`: die with the parent (PR_SET_PDEATHSIG) and send stdout and
 * stderr to the file out (created; NULL = /dev/null). */
static void gf_test_child_setup(pid_t parent, const char *out)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(1);
    int fd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600) : open("/dev/null", O_WRONLY);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
}

/* Start a server with extra arguments (NULL-terminated, or NULL) appended to the fixture's
 * own; with bus_too the port 10000 above (a cluster bus) must be free as well. 0 when the
 * server is up; -1 otherwise (after a few port attempts). */
static int gf_test_redis_start_ex(gf_test_redis_t *r, const char *const *extra, int bus_too)
{
    static unsigned calls; /* servers started in one second get different ports */
    memset(r, 0, sizeof *r);
    srand((unsigned)(time(NULL) ^ (getpid() << 8)) + 7919u * calls++);
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = 20000 + rand() % 12000; /* below the ephemeral range (32768+) */
        if (!gf_test_port_free(port) || (bus_too && !gf_test_port_free(port + 10000)))
            continue;
        snprintf(r->dir, sizeof r->dir, "/tmp/gf-test-redis-XXXXXX");
        if (mkdtemp(r->dir) == NULL)
            return -1;
        char sport[16];
        snprintf(sport, sizeof sport, "%d", port);
        const char *argv[40] = {"redis-server", "--save", "",       "--appendonly", "no",
                                "--port",       sport,    "--bind", "127.0.0.1",    "--daemonize",
                                "no",           "--dir",  r->dir,   "--loglevel",   "warning"};
        int argc = 15;
        for (int i = 0; extra != NULL && extra[i] != NULL && argc < 39; i++)
            argv[argc++] = extra[i];
        argv[argc] = NULL;
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            gf_test_child_setup(parent, NULL);
            execv("/usr/bin/redis-server", (char *const *)argv);
            _exit(127);
        }
        r->pid = pid;
        r->port = port;
        for (int i = 0; i < 250; i++) { /* up to 5 s */
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                r->pid = 0;
                break;
            }
            redisContext *c = gf_test_redis_connect(r);
            if (c != NULL) {
                redisReply *rep = redisCommand(c, "PING");
                int ok = rep != NULL && rep->type == REDIS_REPLY_STATUS;
                freeReplyObject(rep);
                redisFree(c);
                if (ok) {
                    gf_test_redis_remember(r);
                    return 0;
                }
            }
            usleep(20000);
        }
        gf_test_redis_stop(r);
    }
    return -1;
}

/* 0 when the server is up; -1 otherwise (after a few port attempts). */
static int gf_test_redis_start(gf_test_redis_t *r)
{
    return gf_test_redis_start_ex(r, NULL, 0);
}

/* One server per test binary, for cmocka group fixtures: start it and connect (0, or -1 with
 * a line on stderr), and close both. */
static inline int gf_test_redis_open(gf_test_redis_t *r, redisContext **c)
{
    *c = NULL;
    if (gf_test_redis_start(r) != 0) {
        fprintf(stderr, "cannot start redis-server\n");
        return -1;
    }
    *c = gf_test_redis_connect(r);
    return *c ? 0 : -1;
}

static inline void gf_test_redis_close(gf_test_redis_t *r, redisContext **c)
{
    if (*c)
        redisFree(*c);
    *c = NULL;
    gf_test_redis_stop(r);
}

/* FLUSHALL on c: 0, or -1 when it failed (a cmocka setup's return value). */
static inline int gf_test_redis_flushall(redisContext *c)
{
    redisReply *rep = redisCommand(c, "FLUSHALL");
    int ok = rep != NULL && rep->type == REDIS_REPLY_STATUS;
    freeReplyObject(rep);
    return ok ? 0 : -1;
}

#endif
