/*
 * fuzz_core_rcluster.c - the Redis Cluster client's parsers of outside text: the
 * GF_REDIS_CLUSTER seed list (gf_rc_parse_seeds), a CLUSTER SLOTS reply (the input read as
 * RESP by hiredis's reader, then gf_rc_parse_slots), and key slots with hash tags.
 */
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rcluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';

    gf_rc_addr_t addr[8];
    size_t n;
    gf_err_t err = {0};
    if (gf_rc_parse_seeds(s, addr, 8, &n, &err) == 0) {
        if (n < 1 || n > 8)
            abort();
        for (size_t i = 0; i < n; i++)
            if (addr[i].host[0] == '\0' || addr[i].port < 1 || addr[i].port > 65535)
                abort();
    }
    gf_err_cleanup(&err);

    /* hiredis 0.14's reader has no cap on an array's announced length ("*333333333" makes it
     * allocate that many pointers): keep announced arrays small, the parser is the target. */
    int big = 0;
    for (size_t i = 0; i + 5 < size && !big; i++)
        if (data[i] == '*' && data[i + 1] >= '0' && data[i + 1] <= '9' && data[i + 2] >= '0' &&
            data[i + 2] <= '9' && data[i + 3] >= '0' && data[i + 3] <= '9' && data[i + 4] >= '0' &&
            data[i + 4] <= '9')
            big = 1;
    redisReader *rd = big ? NULL : redisReaderCreate();
    if (rd != NULL && redisReaderFeed(rd, (const char *)data, size) == REDIS_OK) {
        void *reply = NULL;
        if (redisReaderGetReply(rd, &reply) == REDIS_OK && reply != NULL) {
            gf_rc_range_t *r;
            if (gf_rc_parse_slots(reply, "127.0.0.1", &r, &n, &err) == 0) {
                for (size_t i = 0; i < n; i++)
                    if (r[i].start < 0 || r[i].end < r[i].start || r[i].end >= GF_RC_SLOTS ||
                        r[i].master.port < 1 || r[i].master.port > 65535 ||
                        r[i].master.host[0] == '\0')
                        abort();
                free(r);
            } else if (r != NULL) {
                abort();
            }
            gf_err_cleanup(&err);
            freeReplyObject(reply);
        }
    }
    if (rd != NULL)
        redisReaderFree(rd);

    int slot = gf_rc_slot(s, size);
    if (slot < 0 || slot >= GF_RC_SLOTS)
        abort();
    free(s);
    return 0;
}
