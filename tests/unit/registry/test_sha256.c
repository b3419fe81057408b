/* test_sha256.c - SHA-256 against the FIPS 180-2 / NIST example vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry/sha256.h"

static void test_sha256_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *hex;
    } t[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrl"
         "mnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char hex[65];
        gf_reg_sha256_hex(t[i].in, strlen(t[i].in), hex);
        assert_string_equal(hex, t[i].hex);
    }
}

static void test_sha256_million_a_incremental(void **state)
{
    (void)state;
    /* One million 'a', fed in uneven pieces to exercise the buffering. */
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    gf_reg_sha256_t s;
    gf_reg_sha256_init(&s);
    size_t left = 1000000, step = 1;
    while (left > 0) {
        size_t n = step < left ? step : left;
        gf_reg_sha256_update(&s, chunk, n);
        left -= n;
        step = step % 900 + 61; /* stays below sizeof chunk */
    }
    uint8_t d[32];
    gf_reg_sha256_final(&s, d);
    static const uint8_t want[32] = {0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92,
                                     0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7, 0x3e, 0x67,
                                     0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e,
                                     0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
    assert_memory_equal(d, want, 32);
}

static void test_sha256_block_boundaries(void **state)
{
    (void)state;
    /* Lengths around the 55/56/64-byte padding edges: one-shot equals byte-by-byte. */
    unsigned char buf[130];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    for (size_t len = 50; len <= 130; len++) {
        char a[65], b[65];
        gf_reg_sha256_hex(buf, len, a);
        gf_reg_sha256_t s;
        gf_reg_sha256_init(&s);
        for (size_t i = 0; i < len; i++)
            gf_reg_sha256_update(&s, buf + i, 1);
        uint8_t d[32];
        gf_reg_sha256_final(&s, d);
        for (int i = 0; i < 32; i++)
            snprintf(b + 2 * i, 3, "%02x", d[i]);
        assert_string_equal(a, b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_sha256_million_a_incremental),
        cmocka_unit_test(test_sha256_block_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
