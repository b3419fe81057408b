/*
 * ing_cmd.h - one Redis command as argv/argvlen arrays, built without a round trip per
 * argument, ready for redisAppendCommandArgv (sync pipeline) or gf_redis_cmd_argv /
 * redisAsyncCommandArgv (async). hiredis copies the arguments when the command is queued,
 * so an ing_cmd_t can be reset and reused right after sending.
 *
 * Ownership: caller storage; init/cleanup; the arrays and the text buffer are owned and
 * grow as needed (amortised across commands when reused).
 */
#ifndef GF_INGESTION_ING_CMD_H
#define GF_INGESTION_ING_CMD_H

#include <stddef.h>
#include <stdint.h>

typedef struct ing_cmd {
    int argc;
    const char **argv; /* valid after ing_cmd_finish, until the next add/reset */
    size_t *argvlen;
    /* private */
    char *_buf;
    size_t _len, _cap;
    size_t *_off;
    int _cap_args;
    /* scratch text a builder may stage pieces in before adding them (ing_cmd_aux_*) */
    char *aux;
    size_t aux_len, _aux_cap;
} ing_cmd_t;

void ing_cmd_init(ing_cmd_t *c);
void ing_cmd_cleanup(ing_cmd_t *c);
/* Drop all arguments, keep the memory. */
void ing_cmd_reset(ing_cmd_t *c);

/* Append one argument (copied). Allocation failure aborts. */
void ing_cmd_add(ing_cmd_t *c, const char *s, size_t n);
void ing_cmd_adds(ing_cmd_t *c, const char *s);
void ing_cmd_add_i64(ing_cmd_t *c, int64_t v);
/* Shortest text that reads back as exactly v (integers and values with up to 6 decimals
 * are printed directly; others with %.17g). */
void ing_cmd_add_double(ing_cmd_t *c, double v);

/* Extend the last argument by n bytes (there must be one). */
void ing_cmd_append(ing_cmd_t *c, const char *s, size_t n);

/* Scratch buffer: reset, then append; read back through c->aux[0..aux_len). */
void ing_cmd_aux_reset(ing_cmd_t *c);
void ing_cmd_aux_append(ing_cmd_t *c, const char *s, size_t n);

/* Point argv/argvlen at the arguments. Call after the last add, before sending. */
void ing_cmd_finish(ing_cmd_t *c);

/* Format v as in ing_cmd_add_double into buf (>= 32 bytes); returns the length. */
size_t ing_fmt_double(double v, char *buf);

#endif
