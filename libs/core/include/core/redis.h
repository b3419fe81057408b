/*
 * core/redis.h - the services' Redis connection.
 *
 * gf_redis_t is an asynchronous hiredis connection on the libevent adapter that reconnects
 * by itself with exponential backoff (100 ms doubling to 5 s) and pings every few seconds,
 * so readiness follows the connection: gf_redis_ready() is true only while a connection is
 * established and PING answers PONG. A Redis that is loading its data (LOADING) or running a
 * long script (BUSY) is connected but not ready; it is asked again within a second. Commands sent
 * while it is down fail at once with GF_EUNAVAIL (the caller answers 503) instead of queueing.
 *
 * Reply ownership (hiredis): an async reply belongs to hiredis and lives only inside the
 * callback; copy what you need. A NULL reply means the connection failed before an answer:
 * the write must be treated as not done.
 *
 * Redis Cluster (gf_redis_new_conf with a GF_REDIS_CLUSTER seed list): the same calls, routed
 * by key slot. There is one connection per master; the slot map comes from CLUSTER SLOTS (at
 * start, every ping period, after a MOVED and when a node is lost). A command goes to its
 * slot's master (keys located and checked with rcluster.c's table, gf_rc_cmd_slot: keys on
 * different slots, or a command whose keys cannot be located, are refused with GF_EINVAL and
 * logged, nothing sent); MOVED updates the map and sends again, ASK sends ASKING + the command
 * to the named node, TRYAGAIN/CLUSTERDOWN are retried after 10 ms doubling to 200 ms at most
 * GF_RC_MAX_RETRIES times (then that reply is the answer), at most GF_RC_MAX_REDIRECTS
 * redirections (then a NULL reply). SCRIPT LOAD goes to every master (the callback gets the
 * SHA1 once all answered, or the first error, or NULL when one did not answer), and an
 * EVALSHA of a script loaded that way that meets NOSCRIPT (a restarted master) loads it on
 * that node and is sent once more. Ready only while a map covers every slot and every master
 * answers PING; a master that is down makes gf_redis_cmd fail at once with GF_EUNAVAIL for
 * the commands of its slots, while the other slots keep working. A redirected or retried
 * command's callback gets a NULL reply (not done) when its new node cannot take it.
 *
 * For start-up work and worker threads, gf_redis_connect_sync gives a blocking context
 * with timeouts (caller frees it with redisFree); gf_redis_sync_ensure and
 * gf_redis_worker_conn keep one usable across a thread's jobs.
 */
#ifndef GF_CORE_REDIS_H
#define GF_CORE_REDIS_H

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>

#include "core/err.h"
#include "core/rcluster.h"

typedef struct gf_redis gf_redis_t;

/* Start connecting (does not wait). Returns NULL only on allocation failure. */
gf_redis_t *gf_redis_new(struct event_base *base, const char *host, int port);
/* The mode the configuration asks for: a Redis Cluster when conf->cluster is set (a seed
 * list; GF_EINVAL "invalid_config" when malformed), else gf_redis_new(conf->host, conf->port).
 * Does not wait. NULL with err. */
gf_redis_t *gf_redis_new_conf(struct event_base *base, const gf_redis_conf_t *conf, gf_err_t *err);
bool gf_redis_is_cluster(const gf_redis_t *r);
/* Cluster counters since gf_redis_new_conf (MOVED, ASK, TRYAGAIN, map loads, NOSCRIPT
 * reloads); all 0 for one Redis. */
gf_rcluster_stats_t gf_redis_stats(const gf_redis_t *r);
/* Why it is not ready (empty when it is): the Redis, or the master, that does not answer. */
void gf_redis_why(const gf_redis_t *r, char *why, size_t whylen);
/* Disconnect and free; pending callbacks are called with a NULL reply. */
void gf_redis_free(gf_redis_t *r);

bool gf_redis_ready(const gf_redis_t *r);
/* Worth sending commands now: one Redis, the same as gf_redis_ready; a cluster, a slot map is
 * loaded and at least one master answers (while one master is down the service is not ready,
 * yet the commands of the other masters' slots still work; those of its slots fail alone with
 * GF_EUNAVAIL). A write path checks this, not gf_redis_ready, before it starts. */
bool gf_redis_usable(const gf_redis_t *r);

/* Send a command; cb(ac, reply, privdata) runs on the loop. Returns 0, or GF_EUNAVAIL when
 * not connected (a cluster: when its slot's master is not), or GF_EINVAL (a cluster: keys on
 * different slots, a command whose keys cannot be located); cb is then NOT called. */
int gf_redis_cmd(gf_redis_t *r, redisCallbackFn *cb, void *privdata, const char *fmt, ...);
int gf_redis_cmd_argv(gf_redis_t *r, redisCallbackFn *cb, void *privdata, int argc,
                      const char **argv, const size_t *argvlen);

/* Called on every transition (ready true/false); optional. */
void gf_redis_on_state(gf_redis_t *r, void (*cb)(bool ready, void *arg), void *arg);

/* Blocking connection with connect and command timeouts (ms). NULL with err on failure. */
redisContext *gf_redis_connect_sync(const char *host, int port, int timeout_ms, gf_err_t *err);

/* A worker's blocking connection, kept across calls: returns *c when it is still usable,
 * else frees it and connects again (stored in *c). "Usable" is checked with one PING, because
 * a socket left idle across a Redis restart looks healthy until the next command fails on it.
 * NULL with err (GF_EUNAVAIL "redis_unavailable") when Redis cannot be reached or does not
 * serve yet (LOADING, BUSY): retry later. The caller frees *c with redisFree at the end. */
redisContext *gf_redis_sync_ensure(redisContext **c, const char *host, int port, int timeout_ms,
                                   gf_err_t *err);

/* The same for a pool thread (core/pool.h): the connection lives in w->local across the
 * thread's jobs. Create the pool with .local_free = gf_redis_local_free, which frees it when
 * the thread exits. NULL with err when Redis cannot be reached. */
struct gf_pool_worker;
redisContext *gf_redis_worker_conn(struct gf_pool_worker *w, const char *host, int port,
                                   int timeout_ms, gf_err_t *err);
/* redisFree for a pool's local_free. */
void gf_redis_local_free(void *local);

/* Start-up work that needs Redis (load a script, save a catalog, recover jobs) and may fail
 * while Redis is not serving: gf_redis_retry_later(t) runs fn(arg) on the loop after a backoff
 * that starts at 100 ms and doubles to 5 s; gf_redis_retry_reset(t) after a success starts the
 * next series at 100 ms again. Loop thread only (from a worker thread, hand over with
 * gf_loop_call(base, gf_redis_retry_later_cb, t)). */
typedef struct gf_redis_retry gf_redis_retry_t;
gf_redis_retry_t *gf_redis_retry_new(struct event_base *base, void (*fn)(void *arg), void *arg);
void gf_redis_retry_later(gf_redis_retry_t *t);
void gf_redis_retry_later_cb(void *t); /* the same, with the signature gf_loop_call takes */
void gf_redis_retry_reset(gf_redis_retry_t *t);
void gf_redis_retry_free(gf_redis_retry_t *t);

/* True for an error reply that means "Redis does not serve yet, retry": LOADING, BUSY,
 * MASTERDOWN, TRYAGAIN, CLUSTERDOWN. Such a reply says nothing about the data. */
bool gf_redis_reply_not_ready(const redisReply *reply);

/* Turn a sync/async reply into an error: NULL or a not-ready reply → GF_EUNAVAIL
 * "redis_unavailable", another REDIS_REPLY_ERROR → GF_EUNAVAIL "redis_error" (or "redis_oom"
 * for OOM), else 0. */
int gf_redis_reply_check(const redisReply *reply, gf_err_t *err);

#endif
