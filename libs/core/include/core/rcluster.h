/*
 * core/rcluster.h - a slot-aware Redis Cluster client over blocking hiredis.
 *
 * Debian 12's hiredis 0.14 follows no redirects, so this layer routes each command itself:
 * key slots are CRC16 (XMODEM) of the key, or of its hash tag (the part between the first
 * '{' and the next '}' when that part is not empty), modulo 16384; the slot map comes from
 * CLUSTER SLOTS; there is one blocking connection per master (made on first use, with the
 * kit's gf_redis_connect_sync timeouts).
 *
 * What a call does for you:
 *   - MOVED: the slot map is fetched again, the slot points at the named node, and the
 *     command is sent again there.
 *   - ASK (a slot being migrated): ASKING + the command are sent to the named node, once; the
 *     map is not changed.
 *   - TRYAGAIN / CLUSTERDOWN: sent again after 10 ms doubling to 200 ms, at most
 *     GF_RC_MAX_RETRIES times; then GF_EUNAVAIL "redis_unavailable".
 *   - at most GF_RC_MAX_REDIRECTS redirections per command, then GF_EUNAVAIL
 *     "redis_cluster_redirects" (a map that does not settle).
 *   - keys of one command, script or pipeline entry that hash to different slots are refused
 *     locally: GF_EINVAL "redis_crossslot" (multi-key operations must share one hash tag).
 *   - a command whose keys this layer cannot locate is refused: GF_EINVAL
 *     "redis_cluster_command" (the table is in rcluster.c; extend it rather than guess).
 *   - a node that cannot be reached: GF_EUNAVAIL "redis_unavailable" naming the node and the
 *     slot. A command already sent whose connection then failed is NOT sent again (its
 *     effect is unknown: "the outcome is unknown"); a command whose connect failed is sent
 *     again only when a fresh slot map names another node for its slot.
 *
 * Replies are hiredis replies owned by the caller (freeReplyObject); a Redis error reply that
 * is not a redirection (WRONGTYPE, NOSCRIPT after a reload, OOM...) is returned as a reply, so
 * check it with gf_redis_reply_check as for one Redis.
 *
 * Threads: a gf_rcluster_t is one thread's (like a redisContext). Blocking; the loop's async
 * client (core/redis.h, gf_redis_new_conf) routes with the same key table and slot rules.
 *
 * One handle, two modes. The same gf_rcluster_t also talks to one plain Redis
 * (gf_rcluster_new_single): that node owns all 16384 slots, and every call behaves as above
 * (same key location, same local refusals: keys of one operation on different slots are
 * refused with redis_crossslot, a command whose keys cannot be located with
 * redis_cluster_command), so a test on one Redis fails where a cluster would refuse. A
 * program picks the mode from its configuration with gf_rcluster_open (GF_REDIS_CLUSTER when
 * set, else GF_REDIS_HOST/GF_REDIS_PORT); a pool thread keeps its handle in w->local with
 * gf_rcluster_worker (create the pool with .local_free = gf_rcluster_local_free).
 */
#ifndef GF_CORE_RCLUSTER_H
#define GF_CORE_RCLUSTER_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cfg.h"
#include "core/err.h"

#define GF_RC_SLOTS 16384
#define GF_RC_MAX_SEEDS 64
#define GF_RC_MAX_REDIRECTS 16
#define GF_RC_MAX_RETRIES 8

/* GF_REDIS_CLUSTER (default empty = one Redis, GF_REDIS_HOST/GF_REDIS_PORT): a table to add
 * to a program's gf_cfg_load tables. */
extern const gf_cfg_opt_t gf_rcluster_cfg_opts[];

typedef struct gf_rc_addr {
    char host[256];
    int port;
} gf_rc_addr_t;

/* CRC16-CCITT (XMODEM: poly 0x1021, init 0), as Redis Cluster uses: "123456789" -> 0x31C3. */
uint16_t gf_rc_crc16(const char *buf, size_t len);
/* The slot of a key (0..16383), hash tags as Redis defines them. */
int gf_rc_slot(const char *key, size_t len);

/* Parse "host:port[,host:port...]" ("[v6addr]:port" for IPv6; spaces around entries are
 * allowed). Fills out[0..*n). 0, or GF_EINVAL "invalid_config" naming GF_REDIS_CLUSTER and
 * the bad entry (empty list, empty host, port not in 1-65535, more than max entries). */
int gf_rc_parse_seeds(const char *text, gf_rc_addr_t *out, size_t max, size_t *n, gf_err_t *err);

/* One master's slot range from CLUSTER SLOTS. */
typedef struct gf_rc_range {
    int start, end; /* inclusive */
    gf_rc_addr_t master;
} gf_rc_range_t;

/* Parse a CLUSTER SLOTS reply. asked_host stands in for an empty node address (Redis sends
 * "" when the node does not know its own address). *out is gf_xmalloc'ed (caller frees).
 * 0, or GF_EINVAL "redis_cluster_slots" on a malformed reply (nothing allocated). */
int gf_rc_parse_slots(const redisReply *rep, const char *asked_host, gf_rc_range_t **out, size_t *n,
                      gf_err_t *err);

/* Where a command's keys live: *slot (-1 = the command has no key: any master). 0, or
 * GF_EINVAL "redis_crossslot" (keys on different slots) / "redis_cluster_command" (a command
 * whose keys this layer cannot locate; the table is in rcluster.c). The blocking and the
 * async (core/redis.h) clients both route with it. */
int gf_rc_cmd_slot(int argc, const char **argv, const size_t *argvlen, int *slot, gf_err_t *err);
/* Views (no copies) of the arguments of a command formatted by hiredis (redisFormatCommand*):
 * *argc, and gf_xmalloc'ed arrays *argv / *argvlen pointing into cmd (the caller frees both
 * arrays). -1 when the text is not one well-formed RESP array of bulk strings. */
int gf_rc_resp_views(const char *cmd, size_t cmdlen, int *argc, const char ***argv,
                     size_t **argvlen);
/* The node named by a "MOVED <slot> <host:port>" / "ASK ..." error text: 0, or -1. */
int gf_rc_redirect_addr(const char *msg, gf_rc_addr_t *to);
/* True for an error reply whose first word is `word` ("MOVED", "NOSCRIPT"...). */
bool gf_rc_reply_is(const redisReply *r, const char *word);

typedef struct gf_rcluster gf_rcluster_t;

/* Parse the seeds, fetch the slot map from the first seed that answers. NULL with err
 * (invalid_config, or GF_EUNAVAIL "redis_unavailable" when no seed answers CLUSTER SLOTS).
 * timeout_ms is the connect and command timeout of every node connection. */
gf_rcluster_t *gf_rcluster_new(const char *seeds, int timeout_ms, gf_err_t *err);
void gf_rcluster_free(gf_rcluster_t *c);

/* Fetch the slot map again (from a known master, else a seed). 0 or GF_EUNAVAIL. */
int gf_rcluster_refresh(gf_rcluster_t *c, gf_err_t *err);

/* The master that serves slot now (per the current map); NULL when no master does. */
const gf_rc_addr_t *gf_rcluster_slot_master(const gf_rcluster_t *c, int slot);

/* Run one command (keys located by command name). NULL with err, else a reply. */
redisReply *gf_rcluster_cmd_argv(gf_rcluster_t *c, int argc, const char **argv,
                                 const size_t *argvlen, gf_err_t *err);
/* The same, printf-style (hiredis format: %s, %b, %d...). */
redisReply *gf_rcluster_cmd(gf_rcluster_t *c, gf_err_t *err, const char *fmt, ...);

/* A Lua script. sha is filled by the first load ("" before). */
typedef struct gf_rcluster_script {
    const char *body;
    char sha[41];
} gf_rcluster_script_t;

/* SCRIPT LOAD on every master of the map. 0, or GF_EUNAVAIL naming the first master that
 * failed (the others keep it: loading is idempotent). */
int gf_rcluster_script_load_all(gf_rcluster_t *c, gf_rcluster_script_t *s, gf_err_t *err);
/* EVALSHA with KEYS (all of one slot, else redis_crossslot) and ARGV; a NOSCRIPT answer
 * (a restarted or new master) loads the script on that node and sends it again once.
 * nkeys 0 runs it on any master. */
redisReply *gf_rcluster_eval(gf_rcluster_t *c, gf_rcluster_script_t *s, int nkeys,
                             const char **keys, const size_t *keylens, int nargs, const char **args,
                             const size_t *arglens, gf_err_t *err);

/* A pipeline: commands are grouped by master and sent in one write per master; replies come
 * back in the order of gf_rcluster_pipe_add. An entry redirected (MOVED/ASK/TRYAGAIN) is run
 * again on its own after the batch. Not a transaction: entries on different masters run in
 * no particular order relative to each other. */
typedef struct gf_rcluster_pipe gf_rcluster_pipe_t;
gf_rcluster_pipe_t *gf_rcluster_pipe_new(gf_rcluster_t *c);
/* Copies the arguments. 0, or GF_EINVAL (redis_crossslot, redis_cluster_command): the entry
 * is not added. */
int gf_rcluster_pipe_add(gf_rcluster_pipe_t *p, int argc, const char **argv, const size_t *argvlen,
                         gf_err_t *err);
size_t gf_rcluster_pipe_len(const gf_rcluster_pipe_t *p);
/* Send everything. *replies (gf_xmalloc'ed, one per entry, in order) is always set; an entry
 * without a reply is NULL. 0 when every entry got a reply (check each with
 * gf_redis_reply_check), else GF_EUNAVAIL with err naming the first failure. Free with
 * gf_rcluster_replies_free. The pipeline is empty afterwards and can be reused. */
int gf_rcluster_pipe_exec(gf_rcluster_pipe_t *p, redisReply ***replies, gf_err_t *err);
void gf_rcluster_replies_free(redisReply **replies, size_t n);
void gf_rcluster_pipe_free(gf_rcluster_pipe_t *p);

/* True only when every slot has a master and every master answers PING now (one blocking
 * round trip per master). Otherwise why names the first master or slot range that does not
 * serve. Same shape as a gf_service_add_check callback's text. */
bool gf_rcluster_ready(gf_rcluster_t *c, char *why, size_t whylen);

/* ------------------------------------------------------------ one handle, two modes */

/* Where Redis is: GF_REDIS_CLUSTER (a seed list; NULL or "" = one Redis), else
 * GF_REDIS_HOST/GF_REDIS_PORT. The strings are borrowed (from the gf_cfg_t, or the caller's). */
typedef struct gf_redis_conf {
    const char *cluster;
    const char *host;
    int port;
} gf_redis_conf_t;

/* Read from a configuration whose tables include the kit's (GF_REDIS_HOST, GF_REDIS_PORT) and
 * gf_rcluster_cfg_opts (GF_REDIS_CLUSTER); gf_service_main's configuration does (and a
 * service finds it ready in svc->redis_conf). The strings point into cfg. */
gf_redis_conf_t gf_redis_conf_from_cfg(const gf_cfg_t *cfg);

/* One Redis (not a cluster): connects and PINGs now. NULL with err: GF_EINVAL
 * "invalid_config" (empty host, port out of range), GF_EUNAVAIL "redis_unavailable" (cannot
 * connect, or LOADING/BUSY). */
gf_rcluster_t *gf_rcluster_new_single(const char *host, int port, int timeout_ms, gf_err_t *err);

/* The mode the configuration asks for: gf_rcluster_new(conf->cluster) when it is set, else
 * gf_rcluster_new_single(conf->host, conf->port). NULL with err as those. */
gf_rcluster_t *gf_rcluster_open(const gf_redis_conf_t *conf, int timeout_ms, gf_err_t *err);

/* True for a Redis Cluster handle, false for one Redis. */
bool gf_rcluster_is_cluster(const gf_rcluster_t *c);

/* Make a handle kept across jobs usable again: each master connection already made is checked
 * with one PING and rebuilt when broken (a socket left idle across a Redis restart looks
 * healthy until a command fails on it, and then the outcome of that command is unknown). One
 * Redis: GF_EUNAVAIL with err when it cannot be reached or does not serve yet (LOADING, BUSY),
 * as gf_redis_sync_ensure. Cluster: always 0 (a master that does not answer fails only the
 * commands of its own slots, naming it). */
int gf_rcluster_ensure(gf_rcluster_t *c, gf_err_t *err);

/* A pool thread's handle (core/pool.h), kept in w->local across the thread's jobs: made with
 * gf_rcluster_open on first use, then gf_rcluster_ensure'd. NULL with err when Redis cannot
 * be reached (the next call tries again). The pool must be created with
 * .local_free = gf_rcluster_local_free (and must not also use gf_redis_worker_conn: both
 * keep their connection in w->local). The handle is the thread's; do not free it. */
struct gf_pool_worker;
gf_rcluster_t *gf_rcluster_worker(struct gf_pool_worker *w, const gf_redis_conf_t *conf,
                                  int timeout_ms, gf_err_t *err);
/* gf_rcluster_free for a pool's local_free. */
void gf_rcluster_local_free(void *local);

/* Per-master work that is not about one key (SCAN, INFO, SCRIPT FLUSH, FLUSHALL in a test):
 * the masters of the current map are numbered 0..gf_rcluster_master_count()-1 (one Redis: 1).
 * gf_rcluster_master_cmd_argv sends argv as is to master i (no key check, no redirection):
 * NULL with err (GF_EINVAL when there is no master i, GF_EUNAVAIL when it cannot be reached or
 * did not answer), else its reply (caller frees). A map refresh may renumber the masters. */
int gf_rcluster_master_count(const gf_rcluster_t *c);
const gf_rc_addr_t *gf_rcluster_master_addr(const gf_rcluster_t *c, int i);
redisReply *gf_rcluster_master_cmd_argv(gf_rcluster_t *c, int i, int argc, const char **argv,
                                        const size_t *argvlen, gf_err_t *err);

/* The blocking connection of the master that serves slot now (made on demand; owned by the
 * handle, do not free it), for a reader that takes a redisContext and touches keys of one
 * hash tag only (gf_rc_slot of one of them). No redirection is followed on it: a MOVED or
 * ASK comes back as an error reply, and the caller tries again later. NULL with err
 * (GF_EUNAVAIL when no master serves the slot or it cannot be reached). */
redisContext *gf_rcluster_slot_conn(gf_rcluster_t *c, int slot, gf_err_t *err);

/* Counters since gf_rcluster_new (for tests and metrics). */
typedef struct gf_rcluster_stats {
    unsigned long moved, ask, tryagain, refreshes, noscript;
} gf_rcluster_stats_t;
gf_rcluster_stats_t gf_rcluster_stats(const gf_rcluster_t *c);

#endif
