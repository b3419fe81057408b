/*
 * redis_handle_fixture.h - the cmocka group fixture of a test that seeds a private
 * redis-server with plain commands and runs the code under test on the kit's one-Redis handle
 * (header-only, test code; include once per test binary, after cmocka.h).
 *
 * Gives: srv (the server), rc_ (a plain context: seeding and checks), h_ (gf_rcluster_t on the
 * same server: what the code under test reads through), group_setup / group_teardown for
 * cmocka_run_group_tests, flush as a per-test setup (FLUSHALL), and cmd_ok(fmt, ...): a
 * seeding command that must answer without a Redis error.
 */
#ifndef GF_TEST_REDIS_HANDLE_FIXTURE_H
#define GF_TEST_REDIS_HANDLE_FIXTURE_H

#include <stdarg.h>

#include "core/rcluster.h"
#include "redis_fixture.h"

static gf_test_redis_t srv;
static redisContext *rc_; /* seeds and checks */
static gf_rcluster_t *h_; /* the handle the code under test uses */

static int group_setup(void **state)
{
    (void)state;
    if (gf_test_redis_open(&srv, &rc_) != 0)
        return -1;
    h_ = gf_rcluster_new_single("127.0.0.1", srv.port, 2000, NULL);
    return h_ ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    gf_rcluster_free(h_);
    gf_test_redis_close(&srv, &rc_);
    return 0;
}

static int flush(void **state)
{
    (void)state;
    return gf_test_redis_flushall(rc_);
}

static void cmd_ok(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(rc_, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
}

#endif
