/*
 * registry/sha256.h - SHA-256 (FIPS 180-4) for model blob checksums.
 *
 * A small self-contained implementation: none of the libraries every GridFlow binary links
 * (libevent, jansson, hiredis, xgboost, ...) exports a SHA-256, and pulling in OpenSSL for
 * one hash is not worth a new dependency. Tested against the FIPS 180-2 / NIST vectors in
 * tests/unit/registry/test_sha256.c. Not constant-time; it hashes public model bytes only.
 *
 * Ownership: the context is caller storage; nothing is allocated. Can't fail.
 */
#ifndef GF_REGISTRY_SHA256_H
#define GF_REGISTRY_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define GF_REG_SHA256_LEN 32
#define GF_REG_SHA256_HEX_LEN 64

typedef struct gf_reg_sha256 {
    uint32_t _h[8];
    uint64_t _len; /* bytes hashed so far */
    uint8_t _buf[64];
    size_t _fill; /* bytes pending in _buf */
} gf_reg_sha256_t;

void gf_reg_sha256_init(gf_reg_sha256_t *s);
void gf_reg_sha256_update(gf_reg_sha256_t *s, const void *data, size_t len);
/* Writes the 32-byte digest; the context must be re-initialised before reuse. */
void gf_reg_sha256_final(gf_reg_sha256_t *s, uint8_t out[GF_REG_SHA256_LEN]);

/* One-shot: writes 64 lowercase hex chars and a NUL into hex (65 bytes). */
void gf_reg_sha256_hex(const void *data, size_t len, char hex[GF_REG_SHA256_HEX_LEN + 1]);

#endif
