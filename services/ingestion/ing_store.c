/*
 * ing_store.c - batch write of meter readings: the partition plan, the Lua script, its
 * argument layout, the reply reader (see ing_store.h for the tiers and key families).
 *
 * Cost model (measured, see tests/bench/results/ingestion.md): inside EVALSHA each argument
 * costs ~0.2-0.4 us and each Lua table/string operation about as much, so the C side does
 * the grouping and sums, and the script mostly hands ranges of ARGV to Redis commands.
 * Accepted readings of a part are sent sorted by (hour, minute, ts) newest first, then
 * index: an hour slot and a minute slot are each a contiguous range whose sums are computed here;
 * the script only falls back to decoding lines when a slot mixes new and duplicate readings.
 *
 * Dedupe state of a meter (field of gf:meters:{R:b}): its K newest accepted time stamps,
 * each 6 bytes big-endian milliseconds, newest first (so byte order is time order and a
 * plain substring search finds a stamp). A reading newer than the newest is prepended
 * (the oldest falls off); one found at a 6-byte boundary is a duplicate; one older than
 * the newest but newer than the oldest kept (or while fewer than K are kept) is inserted
 * in order; one older than all K is "late" and deduped against gf:late:{R:b} (zset,
 * member "<meter_id>|<ts_ms>", score ts_ms, trimmed to the acceptance window).
 *
 * KEYS of one part: 1 gf:raw:{R:b}  2 gf:clean:{R:b}  3 gf:meters:{R:b}  4 gf:late:{R:b}
 *   5.. the aggregate keys gf:agg:{R:b}:hour:YYYYMM / :min:YYYYMMDD the part touches.
 * ARGV (A accepted readings, 1-based ranges over them):
 *   1 raw_maxlen  2 clean_maxlen  3 agg_min_ttl_s  4 raw payload (one line per reading:
 *   the A accepted ones first, in the sorted order, then the rejected ones)
 *   5 readings in the part  6 A  7 D distinct meters  8 6 x K  9 late cut (ms)
 *   10 late ttl (s)  11 H hour slots  12 M minute slots  13 bytes of the accepted lines
 *   D x [meter id]
 *   A x ["<6-byte ts><meter_id>"]
 *   H x [agg key index, field, first, last, sum kwh, count]   (hour energy)
 *   M x [agg key index, field, first, last, sum kw, count]    (minute load)
 * A line is a JSON array [meter_id, ts_ms, region, kwh, kw, voltage_v, q] with null for
 * absent values; the script returns one 'n'/'d' per accepted reading in sorted order. When
 * all accepted readings are new (the common case) the clean entry is the payload's first
 * 13 bytes as they are: lines are sent once, and split in Lua only when some are duplicates.
 */
#include "ing_store.h"

#include "ing_keys.h"
#include "ing_time.h"

#include "core/region.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char script_src[] =
    "local raw_max, clean_max, min_ttl = ARGV[1], ARGV[2], ARGV[3]\n"
    "local na, nm, rb = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])\n"
    "local nh, nmi = tonumber(ARGV[11]), tonumber(ARGV[12])\n"
    "local sub, find, byte, fmt, min = string.sub, string.find, string.byte, string.format, math.min\n"
    "redis.call('XADD', KEYS[1], 'MAXLEN', '~', raw_max, '*', 'n', ARGV[5], 'readings', ARGV[4])\n"
    "if na == 0 then return '' end\n"
    "local p, ms = 14, {}\n"
    "for s = 0, nm - 1, 1000 do\n"
    "  local r = redis.call('HMGET', KEYS[3], unpack(ARGV, p + s, p + min(s + 999, nm - 1)))\n"
    "  for q = 1, #r do ms[ARGV[p + s + q - 1]] = r[q] or '' end\n"
    "end\n"
    "p = p + nm\n"
    "local st, changed, late, nn = {}, {}, false, 0\n"
    "for i = 1, na do\n"
    "  local k = ARGV[p + i - 1]\n"
    "  local e, m = sub(k, 1, 6), sub(k, 7)\n"
    "  local s = ms[m]\n"
    "  local new = true\n"
    "  if s == '' or e > sub(s, 1, 6) then\n"
    "    s = e .. sub(s, 1, rb - 6)\n"
    "  else\n"
    "    local q = find(s, e, 1, true)\n"
    "    while q and q % 6 ~= 1 do q = find(s, e, q + 1, true) end\n"
    "    if q then\n"
    "      new = false\n"
    "    elseif #s < rb or e > sub(s, -6) then\n"
    "      local j = 7\n"
    "      while j <= #s and sub(s, j, j + 5) > e do j = j + 6 end\n"
    "      s = sub(sub(s, 1, j - 1) .. e .. sub(s, j), 1, rb)\n"
    "    else\n"
    "      local b1, b2, b3, b4, b5, b6 = byte(e, 1, 6)\n"
    "      local t = ((((b1 * 256 + b2) * 256 + b3) * 256 + b4) * 256 + b5) * 256 + b6\n"
    "      if redis.call('ZADD', KEYS[4], 'NX', t, m .. '|' .. fmt('%.0f', t)) == 0 then new = false else late = true end\n"
    "    end\n"
    "  end\n"
    "  if new then\n"
    "    st[i] = 'n'\n"
    "    nn = nn + 1\n"
    "    if ms[m] ~= s then ms[m] = s; changed[m] = true end\n"
    "  else\n"
    "    st[i] = 'd'\n"
    "  end\n"
    "end\n"
    "if late then\n"
    "  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[9])\n"
    "  redis.call('EXPIRE', KEYS[4], ARGV[10])\n"
    "end\n"
    "local hs, n = {}, 0\n"
    "for m in pairs(changed) do\n"
    "  hs[n + 1], hs[n + 2], n = m, ms[m], n + 2\n"
    "  if n >= 1000 then redis.call('HSET', KEYS[3], unpack(hs, 1, n)); n = 0 end\n"
    "end\n"
    "if n > 0 then redis.call('HSET', KEYS[3], unpack(hs, 1, n)) end\n"
    "p = p + na\n"
    "local lines\n"
    "local function getlines()\n"
    "  if not lines then\n"
    "    lines = {}\n"
    "    for l in string.gmatch(ARGV[4], '[^\\n]+') do\n"
    "      if #lines == na then break end\n"
    "      lines[#lines + 1] = l\n"
    "    end\n"
    "  end\n"
    "  return lines\n"
    "end\n"
    "if nn == na then\n"
    "  local pl = ARGV[4]\n"
    "  if na < tonumber(ARGV[5]) then pl = sub(pl, 1, tonumber(ARGV[13])) end\n"
    "  redis.call('XADD', KEYS[2], 'MAXLEN', '~', clean_max, '*', 'n', nn, 'readings', pl)\n"
    "elseif nn > 0 then\n"
    "  local l, t = getlines(), {}\n"
    "  for i = 1, na do if st[i] == 'n' then t[#t + 1] = l[i] end end\n"
    "  redis.call('XADD', KEYS[2], 'MAXLEN', '~', clean_max, '*', 'n', nn, 'readings', table.concat(t, '\\n'))\n"
    "end\n"
    "local function slots(n, col, ttl)\n"
    "  for s = 1, n do\n"
    "    local key, f, a, b, sum, cnt = KEYS[tonumber(ARGV[p])], ARGV[p + 1], tonumber(ARGV[p + 2]), tonumber(ARGV[p + 3]), ARGV[p + 4], tonumber(ARGV[p + 5])\n"
    "    p = p + 6\n"
    "    local nn = 0\n"
    "    for i = a, b do if st[i] == 'n' then nn = nn + 1 end end\n"
    "    if nn > 0 and nn < b - a + 1 then\n"
    "      local x, c = 0, 0\n"
    "      for i = a, b do\n"
    "        if st[i] == 'n' then\n"
    "          local v = cjson.decode(getlines()[i])[col]\n"
    "          if type(v) == 'number' then x = x + v; c = c + 1 end\n"
    "        end\n"
    "      end\n"
    "      sum, cnt = fmt('%.17g', x), c\n"
    "    end\n"
    "    if nn > 0 and cnt > 0 then\n"
    "      redis.call('HINCRBYFLOAT', key, f, sum)\n"
    "      redis.call('HINCRBY', key, f .. ':n', cnt)\n"
    "      if ttl then redis.call('EXPIRE', key, ttl) end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "slots(nh, 4, nil)\n"
    "slots(nmi, 5, min_ttl)\n"
    "return table.concat(st)\n";

const char *ing_store_script(void)
{
    return script_src;
}

void ing_store_cfg_default(ing_store_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->raw_maxlen = 250;
    cfg->clean_maxlen = 500;
    cfg->late_window_s = 7 * 86400 + 300 + 3600;
    cfg->agg_min_ttl_s = 8 * 86400;
    cfg->chunk = 2000;
    cfg->buckets = 4;
    cfg->dedupe_depth = 16;
}

int ing_store_script_load(gf_rcluster_t *c, char sha[41], gf_err_t *err)
{
    gf_rcluster_script_t s = {.body = script_src};
    int rc = gf_rcluster_script_load_all(c, &s, err);
    if (rc == 0)
        memcpy(sha, s.sha, 41);
    return rc;
}

/* JSON string body (no quotes) of s into the aux buffer. */
static void aux_json_str(ing_cmd_t *c, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = s;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        ing_cmd_aux_append(c, run, (size_t)(s - run));
        char e[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
        if (ch == '"' || ch == '\\') {
            e[1] = (char)ch;
            ing_cmd_aux_append(c, e, 2);
        } else {
            ing_cmd_aux_append(c, e, 6);
        }
        run = s + 1;
    }
    ing_cmd_aux_append(c, run, (size_t)(s - run));
}

/* One reading as a JSON array line into aux (null for absent values). */
static void aux_line(ing_cmd_t *c, const ing_reading_t *r)
{
    char b[40];
    ing_cmd_aux_append(c, "[\"", 2);
    aux_json_str(c, r->meter_id);
    if (r->has & ING_HAS_TS) {
        int n = snprintf(b, sizeof b, "\",%lld,\"", (long long)r->ts_ms);
        ing_cmd_aux_append(c, b, (size_t)n);
    } else {
        ing_cmd_aux_append(c, "\",null,\"", 8);
    }
    aux_json_str(c, r->region);
    ing_cmd_aux_append(c, "\"", 1);
    const double v[3] = {r->kwh, r->kw, r->voltage_v};
    const uint8_t bits[3] = {ING_HAS_KWH, ING_HAS_KW, ING_HAS_VOLTAGE};
    for (int i = 0; i < 3; i++) {
        ing_cmd_aux_append(c, ",", 1);
        if (r->has & bits[i])
            ing_cmd_aux_append(c, b, ing_fmt_double(v[i], b));
        else
            ing_cmd_aux_append(c, "null", 4);
    }
    const char *q = ing_reject_code(r->code);
    ing_cmd_aux_append(c, ",\"", 2);
    ing_cmd_aux_append(c, q, strlen(q));
    ing_cmd_aux_append(c, "\"]", 2);
}

/* ------------------------------------------------------------------ partitions */

unsigned ing_store_bucket(const char *meter_id, unsigned buckets)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)meter_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return buckets > 1 ? h % buckets : 0;
}

/* The region a reading is stored under: its own when valid (accepted readings always),
 * else ING_STORE_NO_REGION. */
static const char *part_region(const ing_store_cfg_t *cfg, const ing_reading_t *r)
{
    if (r->code == ING_R_OK)
        return r->region;
    size_t n = strlen(r->region);
    if (n == 0 || !gf_region_valid_n(r->region, n))
        return ING_STORE_NO_REGION;
    if (cfg->regions && ing_regions_find(cfg->regions, r->region, n) == NULL)
        return ING_STORE_NO_REGION;
    return r->region;
}

struct pkey {
    const char *region;
    unsigned bucket;
    size_t idx;
};

static int cmp_pkey(const void *pa, const void *pb)
{
    const struct pkey *a = pa, *b = pb;
    int r = strcmp(a->region, b->region);
    if (r)
        return r;
    if (a->bucket != b->bucket)
        return a->bucket < b->bucket ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

void ing_store_plan_init(ing_store_plan_t *p)
{
    memset(p, 0, sizeof *p);
}

void ing_store_plan_cleanup(ing_store_plan_t *p)
{
    free(p->idx);
    free(p->parts);
    memset(p, 0, sizeof *p);
}

size_t ing_store_plan(const ing_store_cfg_t *cfg, const ing_batch_t *b, ing_store_plan_t *p)
{
    size_t chunk = cfg->chunk ? cfg->chunk : 2000;
    unsigned buckets = cfg->buckets ? cfg->buckets : 1;
    p->idx = gf_xrealloc(p->idx, (b->n + 1) * sizeof *p->idx);
    struct pkey *k = gf_xmalloc((b->n + 1) * sizeof *k);
    for (size_t i = 0; i < b->n; i++)
        k[i] = (struct pkey){part_region(cfg, &b->v[i]),
                             ing_store_bucket(b->v[i].meter_id, buckets), i};
    qsort(k, b->n, sizeof *k, cmp_pkey);
    p->nparts = 0;
    for (size_t i = 0; i < b->n; i++) {
        p->idx[i] = k[i].idx;
        int same = i > 0 && k[i].bucket == k[i - 1].bucket &&
                   strcmp(k[i].region, k[i - 1].region) == 0 &&
                   p->parts[p->nparts - 1].count < chunk;
        if (same) {
            p->parts[p->nparts - 1].count++;
            continue;
        }
        if (p->nparts == p->cap_parts) {
            p->cap_parts = p->cap_parts ? 2 * p->cap_parts : 16;
            p->parts = gf_xrealloc(p->parts, p->cap_parts * sizeof *p->parts);
        }
        ing_store_part_t *pt = &p->parts[p->nparts++];
        snprintf(pt->region, sizeof pt->region, "%s", k[i].region);
        pt->bucket = k[i].bucket;
        pt->from = i;
        pt->count = 1;
    }
    free(k);
    return p->nparts;
}

/* ------------------------------------------------------------------ grouping */

struct okey {
    int64_t hour, minute, ts;
    size_t idx;
};

/* Newest first: a meter's readings reach the script newest first, so in a backlog the
 * K newest land in its state and the older ones go to the late set (a retried backlog is
 * then all duplicates). Equal stamps in batch order: the first one is the new one. */
static int cmp_okey(const void *pa, const void *pb)
{
    const struct okey *a = pa, *b = pb;
    if (a->hour != b->hour)
        return a->hour > b->hour ? -1 : 1;
    if (a->minute != b->minute)
        return a->minute > b->minute ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts > b->ts ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Accepted readings of a part sorted by (hour, minute, ts) descending, then index, into
 * keys[] (room for the part's count). Returns how many. */
static size_t part_order(const ing_batch_t *b, const ing_store_plan_t *p,
                         const ing_store_part_t *pt, struct okey *keys)
{
    size_t na = 0;
    for (size_t j = pt->from; j < pt->from + pt->count; j++) {
        const ing_reading_t *r = &b->v[p->idx[j]];
        if (r->code != ING_R_OK)
            continue;
        int64_t t = ing_floor_div(r->ts_ms, 1000);
        keys[na++] = (struct okey){ing_floor_div(t, 3600) * 3600, ing_floor_div(t, 60) * 60,
                                   r->ts_ms, p->idx[j]};
    }
    qsort(keys, na, sizeof *keys, cmp_okey);
    return na;
}

/* ------------------------------------------------------------------ build */

/* Aggregate keys of a part: hour keys change with the month and minute keys with the
 * day, and readings are sorted by time, so a key differs from the previous one of its
 * kind only at a boundary. names[] collects the distinct ones (KEYS 5..). */
typedef struct aggkeys {
    char (*names)[96];
    size_t n, cap;
} aggkeys_t;

static size_t aggkey_index(aggkeys_t *ak, const char *name)
{
    for (size_t i = ak->n; i > 0; i--)
        if (strcmp(ak->names[i - 1], name) == 0)
            return i - 1;
    if (ak->n == ak->cap) {
        ak->cap = ak->cap ? 2 * ak->cap : 8;
        ak->names = gf_xrealloc(ak->names, ak->cap * sizeof *ak->names);
    }
    snprintf(ak->names[ak->n], sizeof ak->names[0], "%s", name);
    return ak->n++;
}

typedef struct aslot {
    size_t key, first, last, cnt;
    int64_t t;
    double sum;
} aslot_t;

/* Slots of one kind: ranges of keys[] with equal hour or minute. Returns how many. */
static size_t make_slots(const ing_batch_t *b, const ing_store_part_t *pt, const struct okey *keys,
                         size_t na, int minute, aggkeys_t *ak, aslot_t *out)
{
    size_t ns = 0;
    char key[96];
    for (size_t a = 0; a < na;) {
        size_t e = a + 1;
        while (e < na && keys[e].hour == keys[a].hour &&
               (!minute || keys[e].minute == keys[a].minute))
            e++;
        aslot_t *s = &out[ns++];
        memset(s, 0, sizeof *s);
        for (size_t i = a; i < e; i++) {
            const ing_reading_t *r = &b->v[keys[i].idx];
            uint8_t bit = minute ? ING_HAS_KW : ING_HAS_KWH;
            if (r->has & bit) {
                s->sum += minute ? r->kw : r->kwh;
                s->cnt++;
            }
        }
        s->t = minute ? keys[a].minute : keys[a].hour;
        if (minute)
            ing_key_agg_min(key, sizeof key, pt->region, pt->bucket, s->t);
        else
            ing_key_agg_hour(key, sizeof key, pt->region, pt->bucket, s->t);
        s->key = aggkey_index(ak, key);
        s->first = a + 1;
        s->last = e;
        a = e;
    }
    return ns;
}

static void add_slots(ing_cmd_t *out, const aslot_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ing_cmd_add_i64(out, (int64_t)s[i].key + 5);
        ing_cmd_add_i64(out, s[i].t);
        ing_cmd_add_i64(out, (int64_t)s[i].first);
        ing_cmd_add_i64(out, (int64_t)s[i].last);
        char sb[40];
        int k = snprintf(sb, sizeof sb, "%.17g", s[i].sum);
        ing_cmd_add(out, sb, (size_t)k);
        ing_cmd_add_i64(out, (int64_t)s[i].cnt);
    }
}

static int cmp_meter(const void *pa, const void *pb)
{
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

void ing_store_build(const ing_store_cfg_t *cfg, const ing_batch_t *b, const ing_store_plan_t *p,
                     size_t part, ing_cmd_t *out)
{
    const ing_store_part_t *pt = &p->parts[part];
    size_t count = pt->count;
    unsigned depth = cfg->dedupe_depth ? cfg->dedupe_depth : 16;
    ing_cmd_reset(out);
    if (cfg->script_sha) {
        ing_cmd_adds(out, "EVALSHA");
        ing_cmd_adds(out, cfg->script_sha);
    } else {
        ing_cmd_adds(out, "EVAL");
        ing_cmd_add(out, script_src, sizeof script_src - 1);
    }

    struct okey *keys = gf_xmalloc((count + 1) * sizeof *keys);
    size_t na = part_order(b, p, pt, keys);
    aggkeys_t ak = {0};
    aslot_t *hs = gf_xmalloc((na + 1) * sizeof *hs),
            *mslots = gf_xmalloc((na + 1) * sizeof *mslots);
    size_t nh = make_slots(b, pt, keys, na, 0, &ak, hs);
    size_t nmi = make_slots(b, pt, keys, na, 1, &ak, mslots);

    char key[96];
    ing_cmd_add_i64(out, 4 + (int64_t)ak.n);
    ing_cmd_adds(out, ing_key_raw(key, sizeof key, pt->region, pt->bucket));
    ing_cmd_adds(out, ing_key_clean(key, sizeof key, pt->region, pt->bucket));
    ing_cmd_adds(out, ing_key_meters(key, sizeof key, pt->region, pt->bucket));
    ing_cmd_adds(out, ing_key_late(key, sizeof key, pt->region, pt->bucket));
    for (size_t i = 0; i < ak.n; i++)
        ing_cmd_adds(out, ak.names[i]);

    ing_cmd_add_i64(out, cfg->raw_maxlen);
    ing_cmd_add_i64(out, cfg->clean_maxlen);
    ing_cmd_add_i64(out, cfg->agg_min_ttl_s);
    /* every reading's line, staged in aux: the accepted ones in the sorted order, then the
     * rejected ones; acc_bytes = where the accepted lines end */
    ing_cmd_aux_reset(out);
    for (size_t i = 0; i < na; i++) {
        if (i)
            ing_cmd_aux_append(out, "\n", 1);
        aux_line(out, &b->v[keys[i].idx]);
    }
    size_t acc_bytes = out->aux_len;
    for (size_t j = pt->from; j < pt->from + count; j++) {
        const ing_reading_t *r = &b->v[p->idx[j]];
        if (r->code == ING_R_OK)
            continue;
        if (out->aux_len)
            ing_cmd_aux_append(out, "\n", 1);
        aux_line(out, r);
    }
    ing_cmd_add(out, out->aux, out->aux_len);
    ing_cmd_add_i64(out, (int64_t)count);

    /* distinct meters of the accepted readings */
    const char **ms = gf_xmalloc((na + 1) * sizeof *ms);
    for (size_t i = 0; i < na; i++)
        ms[i] = b->v[keys[i].idx].meter_id;
    qsort(ms, na, sizeof *ms, cmp_meter);
    size_t nm = 0;
    for (size_t i = 0; i < na; i++)
        if (nm == 0 || strcmp(ms[nm - 1], ms[i]) != 0)
            ms[nm++] = ms[i];
    ing_cmd_add_i64(out, (int64_t)na);
    ing_cmd_add_i64(out, (int64_t)nm);
    ing_cmd_add_i64(out, 6 * (int64_t)depth);
    int64_t now_ms = (int64_t)(gf_now_wall() * 1000.0);
    ing_cmd_add_i64(out, now_ms - cfg->late_window_s * 1000);
    ing_cmd_add_i64(out, cfg->late_window_s);
    ing_cmd_add_i64(out, (int64_t)nh);
    ing_cmd_add_i64(out, (int64_t)nmi);
    ing_cmd_add_i64(out, (int64_t)acc_bytes);
    for (size_t i = 0; i < nm; i++)
        ing_cmd_adds(out, ms[i]);
    for (size_t i = 0; i < na; i++) {
        const ing_reading_t *r = &b->v[keys[i].idx];
        uint64_t t = r->ts_ms < 0 ? 0 : (uint64_t)r->ts_ms;
        unsigned char e[6];
        for (int j = 5; j >= 0; j--, t >>= 8)
            e[j] = (unsigned char)(t & 0xff);
        ing_cmd_add(out, (const char *)e, 6);
        ing_cmd_append(out, r->meter_id, strlen(r->meter_id));
    }
    add_slots(out, hs, nh);
    add_slots(out, mslots, nmi);
    free(ms);
    free(hs);
    free(mslots);
    free(ak.names);
    free(keys);
    ing_cmd_finish(out);
}

int ing_store_apply_reply(const ing_store_cfg_t *cfg, ing_batch_t *b, const ing_store_plan_t *p,
                          size_t part, const redisReply *reply, ing_store_counts_t *counts,
                          gf_err_t *err)
{
    (void)cfg;
    if (reply == NULL)
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                          "the connection to Redis failed before the write was confirmed");
    if (reply->type == REDIS_REPLY_ERROR) {
        if (strncmp(reply->str, "NOSCRIPT", 8) == 0)
            return gf_err_set(err, GF_EUNAVAIL, "noscript", "batch script not loaded");
        return gf_err_set(err, GF_EUNAVAIL, "redis_error", "redis: %s", reply->str);
    }
    const ing_store_part_t *pt = &p->parts[part];
    struct okey *keys = gf_xmalloc((pt->count + 1) * sizeof *keys);
    size_t na = part_order(b, p, pt, keys);
    int rc = 0;
    if (reply->type != REDIS_REPLY_STRING || (size_t)reply->len != na) {
        rc = gf_err_set(err, GF_EINTERNAL, "bad_reply",
                        "batch script returned %zu statuses for %zu accepted readings",
                        reply->type == REDIS_REPLY_STRING ? (size_t)reply->len : 0, na);
        goto out;
    }
    for (size_t j = pt->from; j < pt->from + pt->count; j++) {
        ing_reading_t *r = &b->v[p->idx[j]];
        if (r->code != ING_R_OK) {
            r->status = ING_ST_REJECTED;
            counts->rejected++;
        }
    }
    for (size_t i = 0; i < na; i++) {
        ing_reading_t *r = &b->v[keys[i].idx];
        if (reply->str[i] == ING_ST_NEW) {
            r->status = ING_ST_NEW;
            counts->accepted++;
        } else {
            r->status = ING_ST_DUP;
            counts->duplicate++;
        }
    }
out:
    free(keys);
    return rc;
}

int ing_store_write_sync(gf_rcluster_t *c, const ing_store_cfg_t *cfg, ing_batch_t *b,
                         ing_store_counts_t *counts, gf_err_t *err)
{
    memset(counts, 0, sizeof *counts);
    ing_store_plan_t plan;
    ing_store_plan_init(&plan);
    size_t np = ing_store_plan(cfg, b, &plan);
    ing_cmd_t cmd;
    ing_cmd_init(&cmd);
    gf_rcluster_pipe_t *p = gf_rcluster_pipe_new(c);
    int rc = 0;
    for (size_t i = 0; i < np && rc == 0; i++) {
        ing_store_build(cfg, b, &plan, i, &cmd);
        rc = gf_rcluster_pipe_add(p, cmd.argc, cmd.argv, cmd.argvlen, err);
    }
    ing_cmd_cleanup(&cmd);
    size_t sent = gf_rcluster_pipe_len(p);
    redisReply **rep = NULL;
    gf_err_t perr = {0};
    (void)gf_rcluster_pipe_exec(p, &rep, &perr); /* a part without a reply fails below */
    for (size_t i = 0; i < sent; i++) {
        int r = ing_store_apply_reply(cfg, b, &plan, i, rep[i], counts, rc ? NULL : err);
        if (rc == 0)
            rc = r;
    }
    gf_err_cleanup(&perr);
    gf_rcluster_replies_free(rep, sent);
    gf_rcluster_pipe_free(p);
    ing_store_plan_cleanup(&plan);
    return rc;
}
