/*
 * ing_live.c - live figures for GET /v1/summary (see ing_live.h).
 *
 * Meters: open addressing (linear probing, FNV-1a) over fixed entries holding the id; the
 * table doubles up to the cap, then is rebuilt keeping only meters seen within the window.
 * Regions are interned into at most 255 small indexes. Counters: a ring of 64 one-second
 * slots, each stamped with its second so a stale slot reads as zero.
 */
#include "ing_live.h"

#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RING 64
#define MAX_REGIONS 255

typedef struct meter {
    char id[ING_METER_ID_MAX + 1];
    uint8_t used;
    uint8_t region;
    int64_t seen_s;
    double kw; /* NaN when the meter sent no kw yet */
} meter_t;

typedef struct slot {
    int64_t sec;
    uint64_t acc, dup, rej;
    uint64_t by[ING_R__COUNT];
} slot_t;

struct ing_live {
    meter_t *m;
    size_t cap, n, max;
    size_t untracked;
    int window_s;
    char regions[MAX_REGIONS][ING_REGION_CODE_MAX + 1];
    size_t nregions;
    slot_t ring[RING];
    uint64_t tot_acc, tot_dup, tot_rej;
    uint64_t tot_by[ING_R__COUNT];
    int64_t last_ts_ms;
    int64_t last_rx_s;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

ing_live_t *ing_live_new(size_t max_meters, int window_s)
{
    ing_live_t *l = gf_xcalloc(1, sizeof *l);
    l->max = max_meters ? max_meters : 200000;
    l->window_s = window_s > 0 ? window_s : 60;
    l->cap = 1024;
    l->m = gf_xcalloc(l->cap, sizeof *l->m);
    l->last_ts_ms = INT64_MIN;
    return l;
}

void ing_live_free(ing_live_t *l)
{
    if (l == NULL)
        return;
    free(l->m);
    free(l);
}

static meter_t *probe(meter_t *m, size_t cap, const char *id)
{
    size_t i = (size_t)hash_str(id) & (cap - 1);
    while (m[i].used && strcmp(m[i].id, id) != 0)
        i = (i + 1) & (cap - 1);
    return &m[i];
}

/* Rebuild into newcap entries, dropping meters last seen before min_seen. */
static void rebuild(ing_live_t *l, size_t newcap, int64_t min_seen)
{
    meter_t *nm = gf_xcalloc(newcap, sizeof *nm);
    size_t n = 0;
    for (size_t i = 0; i < l->cap; i++) {
        if (!l->m[i].used || l->m[i].seen_s < min_seen)
            continue;
        *probe(nm, newcap, l->m[i].id) = l->m[i];
        n++;
    }
    free(l->m);
    l->m = nm;
    l->cap = newcap;
    l->n = n;
}

static int region_index(ing_live_t *l, const char *code)
{
    for (size_t i = 0; i < l->nregions; i++)
        if (strcmp(l->regions[i], code) == 0)
            return (int)i;
    if (l->nregions == MAX_REGIONS)
        return -1;
    snprintf(l->regions[l->nregions], sizeof l->regions[0], "%s", code);
    return (int)l->nregions++;
}

void ing_live_meter(ing_live_t *l, const ing_reading_t *r, int64_t now_s)
{
    if (r->ts_ms > l->last_ts_ms)
        l->last_ts_ms = r->ts_ms;
    l->last_rx_s = now_s;
    int ri = region_index(l, r->region);
    if (ri < 0)
        return;
    meter_t *e = probe(l->m, l->cap, r->meter_id);
    if (!e->used) {
        /* Keep the load factor under 1/2; grow, else drop stale meters, else give up. */
        if ((l->n + 1) * 2 > l->cap) {
            if (l->cap * 2 <= l->max * 2 + 2048)
                rebuild(l, l->cap * 2, INT64_MIN);
            else
                rebuild(l, l->cap, now_s - l->window_s);
            if ((l->n + 1) * 2 > l->cap) {
                l->untracked++;
                return;
            }
            e = probe(l->m, l->cap, r->meter_id);
        }
        memset(e, 0, sizeof *e);
        snprintf(e->id, sizeof e->id, "%s", r->meter_id);
        e->used = 1;
        e->kw = NAN;
        l->n++;
    }
    e->region = (uint8_t)ri;
    e->seen_s = now_s;
    if (r->has & ING_HAS_KW)
        e->kw = r->kw;
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

size_t ing_live_meters_reporting(const ing_live_t *l, int64_t now_s)
{
    size_t n = 0;
    for (size_t i = 0; i < l->cap; i++)
        if (l->m[i].used && l->m[i].seen_s > now_s - l->window_s)
            n++;
    return n;
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
    double load_kw[MAX_REGIONS] = {0};
    size_t meters[MAX_REGIONS] = {0};
    int64_t updated[MAX_REGIONS] = {0};
    size_t reporting = 0;
    for (size_t i = 0; i < l->cap; i++) {
        const meter_t *e = &l->m[i];
        if (!e->used || e->seen_s <= now_s - l->window_s)
            continue;
        reporting++;
        meters[e->region]++;
        if (!isnan(e->kw))
            load_kw[e->region] += e->kw;
        if (e->seen_s > updated[e->region])
            updated[e->region] = e->seen_s;
    }
    json_t *o = json_object();
    char buf[40];
    json_object_set_new(o, "at", json_string(gf_time_format(now_s, buf, sizeof buf)));
    json_object_set_new(o, "window_s", json_integer(l->window_s));
    json_object_set_new(o, "rate_window_s", json_integer(rate_s));
    json_object_set_new(o, "meters_reporting", json_integer((json_int_t)reporting));
    json_object_set_new(o, "meters_untracked", json_integer((json_int_t)l->untracked));
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
    double total = 0;
    json_t *arr = json_array();
    for (size_t i = 0; i < l->nregions; i++) {
        if (meters[i] == 0)
            continue;
        json_t *r = json_object();
        json_object_set_new(r, "region", json_string(l->regions[i]));
        const ing_region_t *reg =
            regions ? ing_regions_find(regions, l->regions[i], strlen(l->regions[i])) : NULL;
        json_object_set_new(r, "name", reg ? json_string(reg->name) : json_null());
        json_object_set_new(r, "load_mw", json_real(load_kw[i] / 1000.0));
        json_object_set_new(r, "meters", json_integer((json_int_t)meters[i]));
        json_object_set_new(r, "updated",
                            json_string(gf_time_format(updated[i], buf, sizeof buf)));
        json_array_append_new(arr, r);
        total += load_kw[i] / 1000.0;
    }
    json_object_set_new(o, "total_load_mw", json_real(total));
    json_object_set_new(o, "regions", arr);
    return o;
}
