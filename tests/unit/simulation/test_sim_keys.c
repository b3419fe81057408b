/*
 * test_sim_keys.c - the simulation's key builder: the name of the key contract
 * (CONTRIBUTING.md) with the job id as its hash tag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/rcluster.h"
#include "sim_keys.h"

static void test_sim_key_job(void **state)
{
    (void)state;
    char k[64];
    assert_string_equal(sim_key_job(k, sizeof k, "0123456789abcdef01234567"),
                        "gf:simjob:{0123456789abcdef01234567}");
    assert_int_equal(gf_rc_slot(k, strlen(k)), gf_rc_slot("0123456789abcdef01234567", 24));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_key_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
