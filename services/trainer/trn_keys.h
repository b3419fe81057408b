/*
 * trn_keys.h - the Redis keys the trainer owns, one builder each (the table in
 * CONTRIBUTING.md is the contract).
 *
 * Every key names one thing and carries its own hash tag, so on a Redis Cluster each command
 * and each script touches one slot: a job document (tag = job id), a region's schedule and its
 * lock (tag = region). The job index gf:jobs is one key of its own; nothing writes it together
 * with a job document in one step (trn_run.h says in which order they are written). Each
 * builder writes a NUL-terminated name into buf (size n; 96 bytes always suffice for a valid
 * job id or region code) and returns buf.
 */
#ifndef GF_TRAINER_TRN_KEYS_H
#define GF_TRAINER_TRN_KEYS_H

#include <stddef.h>

/* zset: job ids, score = creation time (epoch s); the newest TRN_JOBS_INDEX_MAX kept */
#define TRN_KEY_JOBS "gf:jobs"
#define TRN_JOBS_INDEX_MAX 1000

/* gf:job:{ID} - hash: field "json" = the job document */
char *trn_key_job(char *buf, size_t n, const char *id);
/* gf:sched:{R} - hash: field "json" = region R's retraining schedule */
char *trn_key_sched(char *buf, size_t n, const char *region);
/* gf:sched:{R}:lock - string: the instance checking R's schedule now */
char *trn_key_sched_lock(char *buf, size_t n, const char *region);

#endif
