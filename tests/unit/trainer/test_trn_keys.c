/*
 * test_trn_keys.c - the trainer's key builders: the names of the key contract
 * (CONTRIBUTING.md), and the hash tags that keep what one command or script touches in one
 * cluster slot (a schedule and its lock together; every job document on its own slot).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../../services/trainer/trn_keys.h"
#include "core/rcluster.h"

static int slot(const char *key)
{
    return gf_rc_slot(key, strlen(key));
}

static void test_trn_keys_names_and_slots(void **state)
{
    (void)state;
    char a[96], b[96];
    assert_string_equal(TRN_KEY_JOBS, "gf:jobs");
    assert_string_equal(trn_key_job(a, sizeof a, "20260105T100000-ab12"),
                        "gf:job:{20260105T100000-ab12}");
    assert_string_equal(trn_key_sched(a, sizeof a, "PJM"), "gf:sched:{PJM}");
    assert_string_equal(trn_key_sched_lock(b, sizeof b, "PJM"), "gf:sched:{PJM}:lock");
    assert_int_equal(slot(a), slot(b));
    assert_int_equal(slot(trn_key_job(a, sizeof a, "x1")), gf_rc_slot("x1", 2));
    /* a short buffer is cut, never overrun */
    char small[8];
    assert_string_equal(trn_key_job(small, sizeof small, "abcdef"), "gf:job:");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trn_keys_names_and_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
