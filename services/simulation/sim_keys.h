/*
 * sim_keys.h - the Redis keys the simulation service owns, one builder each (the table in
 * CONTRIBUTING.md is the contract).
 */
#ifndef GF_SIMULATION_SIM_KEYS_H
#define GF_SIMULATION_SIM_KEYS_H

#include <stddef.h>

/* gf:simjob:{ID} - string: the job document (JSON; state, times, result or error), kept
 * JOB_TTL_SECONDS. One key per job, its own hash tag. Writes NUL-terminated into buf (size
 * n; 64 bytes suffice for a job id) and returns buf. */
char *sim_key_job(char *buf, size_t n, const char *id);

#endif
