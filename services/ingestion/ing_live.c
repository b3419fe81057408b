/*
 * ing_live.c - live figures for GET /v1/summary (see ing_live.h).
 *
 * Per region (interned into at most 255 small indexes, allocated on first use) a ring of
 * RING slots by reading time, slot length = ceil(window / ING_LIVE_SLOTS) seconds; a slot
 * is stamped with its slot number, so a stale one is reset when reused and reads as zero.
 * Each slot holds two HyperLogLog sketches (P = 11: 2,048 one-byte registers) and kw sums.
 * The summary merges the slots of the window register by register (max) and estimates
 * with the standard HyperLogLog formula, linear counting in the small range. Counters:
 * a ring of 64 one-second slots by arrival time.
 */
#include "ing_live.h"

#include "core/region.h"
#include "core/util.h"
#include "ing_time.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RING 64
#define MAX_REGIONS 255
#define HLL_P 11
#define HLL_M (1u << HLL_P)
#define LSLOTS (ING_LIVE_SLOTS + 2)

typedef struct lslot {
    int64_t num; /* slot number (reading time / slot length); -1 = empty */
    uint8_t meters[HLL_M];
    uint8_t kw_meters[HLL_M];
    double kw_sum;
    uint64_t kw_n;
    int64_t updated; /* arrival second of the newest reading in the slot */
} lslot_t;

typedef struct lregion {
    lslot_t s[LSLOTS];
} lregion_t;

typedef struct slot {
    int64_t sec;
    uint64_t acc, dup, rej;
    uint64_t by[ING_R__COUNT];
} slot_t;

struct ing_live {
    int window_s, skew_s, slot_s;
    char regions[MAX_REGIONS][GF_REGION_MAX + 1];
    lregion_t *live[MAX_REGIONS];
    size_t nregions;
    slot_t ring[RING];
    uint64_t tot_acc, tot_dup, tot_rej;
    uint64_t tot_by[ING_R__COUNT];
    int64_t last_ts_ms;
    int64_t last_rx_s;
};

/* 64-bit hash of a meter id: FNV-1a, then the murmur3 finaliser to spread the bits. */
static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static void hll_add(uint8_t *reg, uint64_t h)
{
    uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
    uint64_t rest = (h << HLL_P) | (1ULL << (HLL_P - 1)); /* guard bit bounds the rank */
    uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
    if (rank > reg[idx])
        reg[idx] = rank;
}

static double hll_estimate(const uint8_t *reg)
{
    double sum = 0;
    unsigned zeros = 0;
    for (unsigned i = 0; i < HLL_M; i++) {
        sum += ldexp(1.0, -(int)reg[i]);
        zeros += reg[i] == 0;
    }
    double m = HLL_M, e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
    if (e <= 2.5 * m && zeros > 0)
        e = m * log(m / zeros);
    return e;
}

ing_live_t *ing_live_new(int window_s, int skew_s)
{
    ing_live_t *l = gf_xcalloc(1, sizeof *l);
    l->window_s = window_s > 0 ? window_s : 60;
    l->skew_s = skew_s > 0 ? skew_s : 0;
    l->slot_s = (l->window_s + ING_LIVE_SLOTS - 1) / ING_LIVE_SLOTS;
    l->last_ts_ms = INT64_MIN;
    return l;
}

void ing_live_free(ing_live_t *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->nregions; i++)
        free(l->live[i]);
    free(l);
}

static int region_index(ing_live_t *l, const char *code)
{
    for (size_t i = 0; i < l->nregions; i++)
        if (strcmp(l->regions[i], code) == 0)
            return (int)i;
    if (l->nregions == MAX_REGIONS)
        return -1;
    snprintf(l->regions[l->nregions], sizeof l->regions[0], "%s", code);
    lregion_t *r = gf_xcalloc(1, sizeof *r);
    for (int k = 0; k < LSLOTS; k++)
        r->s[k].num = -1;
    l->live[l->nregions] = r;
    return (int)l->nregions++;
}

void ing_live_meter(ing_live_t *l, const ing_reading_t *r, int64_t now_s)
{
    if (r->ts_ms > l->last_ts_ms)
        l->last_ts_ms = r->ts_ms;
    l->last_rx_s = now_s;
    int64_t ts = ing_floor_div(r->ts_ms, 1000);
    if (ts <= now_s - l->window_s || ts > now_s + l->skew_s)
        return; /* back-filled (or skewed) reading: history only */
    int ri = region_index(l, r->region);
    if (ri < 0)
        return;
    int64_t num = (ts < now_s ? ts : now_s) / l->slot_s;
    lslot_t *s = &l->live[ri]->s[num % LSLOTS];
    if (s->num != num) {
        memset(s, 0, sizeof *s);
        s->num = num;
    }
    uint64_t h = hash_id(r->meter_id);
    hll_add(s->meters, h);
    if (r->has & ING_HAS_KW) {
        hll_add(s->kw_meters, h);
        s->kw_sum += r->kw;
        s->kw_n++;
    }
    if (now_s > s->updated)
        s->updated = now_s;
}

static slot_t *slot_at(ing_live_t *l, int64_t sec)
{
    slot_t *s = &l->ring[(uint64_t)sec % RING];
    if (s->sec != sec) {
        memset(s, 0, sizeof *s);
        s->sec = sec;
    }
    return s;
}

void ing_live_count(ing_live_t *l, int64_t now_s, size_t accepted, size_t duplicate,
                    const size_t *rejected_by_code)
{
    slot_t *s = slot_at(l, now_s);
    s->acc += accepted;
    s->dup += duplicate;
    l->tot_acc += accepted;
    l->tot_dup += duplicate;
    if (rejected_by_code == NULL)
        return;
    for (int c = 1; c < ING_R__COUNT; c++) {
        s->by[c] += rejected_by_code[c];
        s->rej += rejected_by_code[c];
        l->tot_by[c] += rejected_by_code[c];
        l->tot_rej += rejected_by_code[c];
    }
}

typedef struct rlive {
    double meters, load_kw;
    int64_t updated;
} rlive_t;

/* Merge the live slots of region i at now_s. Returns 0 when none is live. */
static int region_live(const ing_live_t *l, size_t i, int64_t now_s, rlive_t *out)
{
    uint8_t m[HLL_M], k[HLL_M];
    memset(m, 0, sizeof m);
    memset(k, 0, sizeof k);
    double kw_sum = 0;
    uint64_t kw_n = 0;
    int any = 0;
    out->updated = 0;
    int64_t lo = (now_s - l->window_s) / l->slot_s, hi = now_s / l->slot_s;
    for (int j = 0; j < LSLOTS; j++) {
        const lslot_t *s = &l->live[i]->s[j];
        if (s->num < lo || s->num > hi)
            continue;
        any = 1;
        for (unsigned x = 0; x < HLL_M; x++) {
            if (s->meters[x] > m[x])
                m[x] = s->meters[x];
            if (s->kw_meters[x] > k[x])
                k[x] = s->kw_meters[x];
        }
        kw_sum += s->kw_sum;
        kw_n += s->kw_n;
        if (s->updated > out->updated)
            out->updated = s->updated;
    }
    if (!any)
        return 0;
    out->meters = round(hll_estimate(m));
    out->load_kw = kw_n ? kw_sum / (double)kw_n * round(hll_estimate(k)) : 0;
    return out->meters > 0;
}

size_t ing_live_meters_reporting(const ing_live_t *l, int64_t now_s)
{
    double n = 0;
    rlive_t rl;
    for (size_t i = 0; i < l->nregions; i++)
        if (region_live(l, i, now_s, &rl))
            n += rl.meters;
    return (size_t)n;
}

static json_t *iso_or_null(int64_t ms)
{
    if (ms == INT64_MIN)
        return json_null();
    char buf[40];
    return json_string(gf_time_format_ms((double)ms / 1000.0, buf, sizeof buf));
}

json_t *ing_live_summary(const ing_live_t *l, int64_t now_s, int rate_s,
                         const ing_regions_t *regions)
{
    if (rate_s < 1)
        rate_s = 1;
    if (rate_s > RING - 4)
        rate_s = RING - 4;
    uint64_t acc = 0, dup = 0, rej = 0, by[ING_R__COUNT] = {0};
    for (int64_t sec = now_s - rate_s; sec < now_s; sec++) {
        const slot_t *s = &l->ring[(uint64_t)sec % RING];
        if (s->sec != sec)
            continue;
        acc += s->acc;
        dup += s->dup;
        rej += s->rej;
        for (int c = 0; c < ING_R__COUNT; c++)
            by[c] += s->by[c];
    }
    json_t *o = json_object();
    char buf[40];
    json_object_set_new(o, "at", json_string(gf_time_format(now_s, buf, sizeof buf)));
    json_object_set_new(o, "window_s", json_integer(l->window_s));
    json_object_set_new(o, "rate_window_s", json_integer(rate_s));
    json_object_set_new(o, "approximate", json_true());
    json_object_set_new(o, "readings_per_second", json_real((double)acc / rate_s));
    json_object_set_new(o, "duplicates_per_second", json_real((double)dup / rate_s));
    json_object_set_new(o, "rejected_per_second", json_real((double)rej / rate_s));
    json_t *rps = json_object(), *rtot = json_object();
    for (int c = 1; c < ING_R__COUNT; c++) {
        if (by[c])
            json_object_set_new(rps, ing_reject_code(c), json_real((double)by[c] / rate_s));
        if (l->tot_by[c])
            json_object_set_new(rtot, ing_reject_code(c), json_integer((json_int_t)l->tot_by[c]));
    }
    json_object_set_new(o, "rejected_per_second_by_reason", rps);
    json_object_set_new(o, "accepted", json_integer((json_int_t)l->tot_acc));
    json_object_set_new(o, "duplicate", json_integer((json_int_t)l->tot_dup));
    json_object_set_new(o, "rejected", json_integer((json_int_t)l->tot_rej));
    json_object_set_new(o, "rejected_by_reason", rtot);
    json_object_set_new(o, "last_reading", iso_or_null(l->last_ts_ms));
    json_object_set_new(o, "last_received",
                        l->last_rx_s ? iso_or_null(l->last_rx_s * 1000) : json_null());
    double total = 0, reporting = 0;
    json_t *arr = json_array();
    for (size_t i = 0; i < l->nregions; i++) {
        rlive_t rl;
        if (!region_live(l, i, now_s, &rl))
            continue;
        json_t *r = json_object();
        json_object_set_new(r, "region", json_string(l->regions[i]));
        const ing_region_t *reg = regions ? ing_regions_find(regions, l->regions[i],
                                                             strlen(l->regions[i]))
                                          : NULL;
        json_object_set_new(r, "name", reg ? json_string(reg->name) : json_null());
        json_object_set_new(r, "load_mw", json_real(rl.load_kw / 1000.0));
        json_object_set_new(r, "meters", json_integer((json_int_t)rl.meters));
        json_object_set_new(r, "updated", json_string(gf_time_format(rl.updated, buf, sizeof buf)));
        json_array_append_new(arr, r);
        total += rl.load_kw / 1000.0;
        reporting += rl.meters;
    }
    json_object_set_new(o, "meters_reporting", json_integer((json_int_t)reporting));
    json_object_set_new(o, "total_load_mw", json_real(total));
    json_object_set_new(o, "regions", arr);
    return o;
}
