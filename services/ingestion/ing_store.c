/*
 * ing_store.c - batch write of meter readings: the Lua script, its argument layout, the
 * reply reader (see ing_store.h for the tiers and key families).
 *
 * Cost model (measured, see tests/bench/results/ingestion.md): inside EVALSHA each argument
 * costs ~0.2-0.4 us and each Lua table/string operation about as much, so the C side does
 * the grouping and sums, and the script mostly hands ranges of ARGV to Redis commands
 * (unpack(ARGV, i, j)). Accepted readings are sent sorted by (hour, region, minute, index):
 * then a seen group (hour), an hour slot (region, hour) and a minute slot (region, minute)
 * are each a contiguous range, and the sums of a slot can be computed here; the script
 * only falls back to decoding lines when a slot mixes new and duplicate readings.
 *
 * ARGV of one chunk (A accepted readings, 1-based ranges over them):
 *   1 raw_maxlen  2 clean_maxlen  3 agg_min_ttl_s  4 raw payload (one line per reading)
 *   5 readings in the chunk  6 G seen groups  7 A  8 H hour slots  9 M minute slots
 *   10 R meter regions
 *   G x [seen key, expire-at, count c, c fields "<meter_id>|<ts_ms>"]
 *   A x [line]
 *   H x [agg key, field, first, last, sum kwh, count]   (hour energy)
 *   M x [agg key, field, first, last, sum kw, count]    (minute load)
 *   R x [meters key, count c, c meter ids]
 * A line is a JSON array [meter_id, ts_ms, region, kwh, kw, voltage_v, q] with null for
 * absent values; the script returns one 'n'/'d' per accepted reading in sorted order.
 */
#include "ing_store.h"

#include "ing_keys.h"
#include "ing_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char script_src[] =
    "local raw_max, clean_max, min_ttl = ARGV[1], ARGV[2], ARGV[3]\n"
    "local ng, na, nh, nm, nr = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])\n"
    "local fmt, min = string.format, math.min\n"
    "redis.call('XADD', 'gf:raw', 'MAXLEN', '~', raw_max, '*', 'n', ARGV[5], 'readings', ARGV[4])\n"
    "local p, st, inchunk, k = 11, {}, {}, 0\n"
    "for g = 1, ng do\n"
    "  local sk, exat, cnt = ARGV[p], ARGV[p + 1], tonumber(ARGV[p + 2])\n"
    "  local fp, newm = p + 3, {}\n"
    "  for s = 0, cnt - 1, 1000 do\n"
    "    local r = redis.call('SMISMEMBER', sk, unpack(ARGV, fp + s, fp + min(s + 999, cnt - 1)))\n"
    "    for q = 1, #r do\n"
    "      local f = ARGV[fp + s + q - 1]\n"
    "      if r[q] == 1 or inchunk[f] then\n"
    "        st[k + s + q] = 'd'\n"
    "      else\n"
    "        inchunk[f] = true\n"
    "        newm[#newm + 1] = f\n"
    "        st[k + s + q] = 'n'\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  for s = 1, #newm, 1000 do redis.call('SADD', sk, unpack(newm, s, min(s + 999, #newm))) end\n"
    "  redis.call('EXPIREAT', sk, exat)\n"
    "  k = k + cnt\n"
    "  p = fp + cnt\n"
    "end\n"
    "local lp, lines = p, {}\n"
    "for i = 1, na do if st[i] == 'n' then lines[#lines + 1] = ARGV[lp + i - 1] end end\n"
    "if #lines > 0 then\n"
    "  redis.call('XADD', 'gf:clean', 'MAXLEN', '~', clean_max, '*', 'n', #lines, 'readings', table.concat(lines, '\\n'))\n"
    "end\n"
    "p = lp + na\n"
    "local function slots(n, col, ttl)\n"
    "  for s = 1, n do\n"
    "    local key, f, a, b, sum, cnt = ARGV[p], ARGV[p + 1], tonumber(ARGV[p + 2]), tonumber(ARGV[p + 3]), ARGV[p + 4], tonumber(ARGV[p + 5])\n"
    "    p = p + 6\n"
    "    local nn = 0\n"
    "    for i = a, b do if st[i] == 'n' then nn = nn + 1 end end\n"
    "    if nn > 0 and nn < b - a + 1 then\n"
    "      local x, c = 0, 0\n"
    "      for i = a, b do\n"
    "        if st[i] == 'n' then\n"
    "          local v = cjson.decode(ARGV[lp + i - 1])[col]\n"
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
    "slots(nm, 5, min_ttl)\n"
    "for r = 1, nr do\n"
    "  local key, cnt = ARGV[p], tonumber(ARGV[p + 1])\n"
    "  for s = p + 2, p + 1 + cnt, 1000 do redis.call('SADD', key, unpack(ARGV, s, min(s + 999, p + 1 + cnt))) end\n"
    "  p = p + 2 + cnt\n"
    "end\n"
    "return table.concat(st)\n";

const char *ing_store_script(void)
{
    return script_src;
}

void ing_store_cfg_default(ing_store_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->raw_maxlen = 10000;
    cfg->clean_maxlen = 20000;
    cfg->seen_ttl_s = 7 * 86400 + 300 + 3600;
    cfg->agg_min_ttl_s = 8 * 86400;
    cfg->chunk = 2000;
}

int ing_store_script_load(redisContext *c, char sha[41], gf_err_t *err)
{
    const char *argv[] = {"SCRIPT", "LOAD", script_src};
    redisReply *rep = redisCommandArgv(c, 3, argv, NULL);
    int rc = 0;
    if (rep == NULL)
        rc = gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "redis: %s", c->errstr);
    else if (rep->type != REDIS_REPLY_STRING || rep->len != 40)
        rc = gf_err_set(err, GF_EUNAVAIL, "redis_error", "SCRIPT LOAD: %s",
                        rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
    else
        memcpy(sha, rep->str, 41);
    if (rep)
        freeReplyObject(rep);
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

/* ------------------------------------------------------------------ meter cache */

struct ing_meter_cache {
    size_t max, n, cap; /* cap: slots, a power of two >= 2 max */
    uint64_t *hash;     /* 0 = empty */
    uint32_t *off;      /* offset of "region\0meter\0" in text */
    char *text;
    size_t text_len, text_cap;
};

ing_meter_cache_t *ing_meter_cache_new(size_t max_entries)
{
    ing_meter_cache_t *mc = calloc(1, sizeof *mc);
    if (mc == NULL)
        abort();
    mc->max = max_entries ? max_entries : 1;
    mc->cap = 16;
    while (mc->cap < 2 * mc->max)
        mc->cap *= 2;
    mc->hash = calloc(mc->cap, sizeof *mc->hash);
    mc->off = calloc(mc->cap, sizeof *mc->off);
    if (mc->hash == NULL || mc->off == NULL)
        abort();
    return mc;
}

void ing_meter_cache_free(ing_meter_cache_t *mc)
{
    if (mc == NULL)
        return;
    free(mc->hash);
    free(mc->off);
    free(mc->text);
    free(mc);
}

void ing_meter_cache_clear(ing_meter_cache_t *mc)
{
    memset(mc->hash, 0, mc->cap * sizeof *mc->hash);
    mc->n = 0;
    mc->text_len = 0;
}

size_t ing_meter_cache_size(const ing_meter_cache_t *mc)
{
    return mc->n;
}

static uint64_t meter_hash(const char *region, const char *meter)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = region; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const char *p = meter; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h ? h : 1;
}

/* Slot of (region, meter), or of the empty slot where it would go. */
static size_t meter_slot(const ing_meter_cache_t *mc, const char *region, const char *meter,
                         uint64_t h)
{
    size_t i = (size_t)(h ^ (h >> 31)) & (mc->cap - 1);
    while (mc->hash[i]) {
        if (mc->hash[i] == h) {
            const char *t = mc->text + mc->off[i];
            if (strcmp(t, region) == 0 && strcmp(t + strlen(t) + 1, meter) == 0)
                return i;
        }
        i = (i + 1) & (mc->cap - 1);
    }
    return i;
}

static int meter_known(const ing_meter_cache_t *mc, const char *region, const char *meter)
{
    if (mc == NULL)
        return 0;
    uint64_t h = meter_hash(region, meter);
    return mc->hash[meter_slot(mc, region, meter, h)] != 0;
}

static void meter_add(ing_meter_cache_t *mc, const char *region, const char *meter)
{
    uint64_t h = meter_hash(region, meter);
    size_t i = meter_slot(mc, region, meter, h);
    if (mc->hash[i])
        return;
    size_t rl = strlen(region) + 1, ml = strlen(meter) + 1;
    if (mc->n >= mc->max || mc->text_len + rl + ml > UINT32_MAX) {
        ing_meter_cache_clear(mc);
        i = meter_slot(mc, region, meter, h);
    }
    if (mc->text_len + rl + ml > mc->text_cap) {
        size_t cap = mc->text_cap ? mc->text_cap * 2 : 65536;
        while (cap < mc->text_len + rl + ml)
            cap *= 2;
        mc->text = realloc(mc->text, cap);
        if (mc->text == NULL)
            abort();
        mc->text_cap = cap;
    }
    memcpy(mc->text + mc->text_len, region, rl);
    memcpy(mc->text + mc->text_len + rl, meter, ml);
    mc->hash[i] = h;
    mc->off[i] = (uint32_t)mc->text_len;
    mc->text_len += rl + ml;
    mc->n++;
}

/* ------------------------------------------------------------------ grouping */

struct okey {
    int64_t hour, minute;
    const char *region;
    size_t idx;
};

static int cmp_okey(const void *pa, const void *pb)
{
    const struct okey *a = pa, *b = pb;
    if (a->hour != b->hour)
        return a->hour < b->hour ? -1 : 1;
    int r = strcmp(a->region, b->region);
    if (r)
        return r;
    if (a->minute != b->minute)
        return a->minute < b->minute ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Accepted readings of [from, from+count) sorted by (hour, region, minute, index) into
 * keys[] (room for count). Returns how many. */
static size_t chunk_order(const ing_batch_t *b, size_t from, size_t count, struct okey *keys)
{
    size_t na = 0;
    for (size_t k = from; k < from + count; k++) {
        const ing_reading_t *r = &b->v[k];
        if (r->code != ING_R_OK)
            continue;
        int64_t t = ing_floor_div(r->ts_ms, 1000);
        keys[na++] = (struct okey){ing_floor_div(t, 3600) * 3600, ing_floor_div(t, 60) * 60,
                                   r->region, k};
    }
    qsort(keys, na, sizeof *keys, cmp_okey);
    return na;
}

/* ------------------------------------------------------------------ build */

static void clamp_range(const ing_batch_t *b, size_t *from, size_t *count)
{
    if (*from > b->n)
        *from = b->n;
    if (*count > b->n - *from)
        *count = b->n - *from;
}

/* Slots of one kind: ranges of keys[] with equal (hour, region) or (minute, region). */
static void add_slots(ing_cmd_t *out, const ing_batch_t *b, const struct okey *keys, size_t na,
                      int minute)
{
    char key[96];
    for (size_t a = 0; a < na;) {
        size_t e = a + 1;
        while (e < na && keys[e].hour == keys[a].hour && strcmp(keys[e].region, keys[a].region) == 0 &&
               (!minute || keys[e].minute == keys[a].minute))
            e++;
        double sum = 0;
        int64_t cnt = 0;
        for (size_t i = a; i < e; i++) {
            const ing_reading_t *r = &b->v[keys[i].idx];
            uint8_t bit = minute ? ING_HAS_KW : ING_HAS_KWH;
            if (r->has & bit) {
                sum += minute ? r->kw : r->kwh;
                cnt++;
            }
        }
        int64_t t = minute ? keys[a].minute : keys[a].hour;
        if (minute)
            ing_key_agg_min(key, sizeof key, keys[a].region, t);
        else
            ing_key_agg_hour(key, sizeof key, keys[a].region, t);
        ing_cmd_adds(out, key);
        ing_cmd_add_i64(out, t);
        ing_cmd_add_i64(out, (int64_t)a + 1);
        ing_cmd_add_i64(out, (int64_t)e);
        char sb[40];
        int n = snprintf(sb, sizeof sb, "%.17g", sum);
        ing_cmd_add(out, sb, (size_t)n);
        ing_cmd_add_i64(out, cnt);
        a = e;
    }
}

static size_t count_slots(const struct okey *keys, size_t na, int minute)
{
    size_t n = 0;
    for (size_t a = 0; a < na; a++)
        n += a == 0 || keys[a].hour != keys[a - 1].hour ||
             strcmp(keys[a].region, keys[a - 1].region) != 0 ||
             (minute && keys[a].minute != keys[a - 1].minute);
    return n;
}

void ing_store_build(const ing_store_cfg_t *cfg, const ing_batch_t *b, size_t from,
                     size_t count, ing_cmd_t *out)
{
    clamp_range(b, &from, &count);
    ing_cmd_reset(out);
    if (cfg->script_sha) {
        ing_cmd_adds(out, "EVALSHA");
        ing_cmd_adds(out, cfg->script_sha);
    } else {
        ing_cmd_adds(out, "EVAL");
        ing_cmd_add(out, script_src, sizeof script_src - 1);
    }
    ing_cmd_add(out, "0", 1);
    ing_cmd_add_i64(out, cfg->raw_maxlen);
    ing_cmd_add_i64(out, cfg->clean_maxlen);
    ing_cmd_add_i64(out, cfg->agg_min_ttl_s);

    /* every reading's line, staged in aux; ends[k] is where line k stops */
    size_t *ends = malloc((count + 1) * sizeof *ends);
    struct okey *keys = malloc((count + 1) * sizeof *keys);
    if (ends == NULL || keys == NULL)
        abort();
    ing_cmd_aux_reset(out);
    for (size_t k = 0; k < count; k++) {
        if (k)
            ing_cmd_aux_append(out, "\n", 1);
        aux_line(out, &b->v[from + k]);
        ends[k] = out->aux_len;
    }
    ing_cmd_add(out, out->aux, out->aux_len);
    ing_cmd_add_i64(out, (int64_t)count);

    size_t na = chunk_order(b, from, count, keys);
    size_t ng = 0;
    for (size_t i = 0; i < na; i++)
        ng += i == 0 || keys[i].hour != keys[i - 1].hour;
    /* meters not known to be stored yet, and their regions (few per chunk, linear) */
    const char **regs = malloc((na + 1) * sizeof *regs);
    unsigned char *send = malloc(na + 1);
    if (regs == NULL || send == NULL)
        abort();
    size_t nreg = 0;
    for (size_t i = 0; i < na; i++) {
        send[i] = !meter_known(cfg->meters, keys[i].region, b->v[keys[i].idx].meter_id);
        if (!send[i])
            continue;
        size_t k = 0;
        while (k < nreg && strcmp(regs[k], keys[i].region) != 0)
            k++;
        if (k == nreg)
            regs[nreg++] = keys[i].region;
    }
    ing_cmd_add_i64(out, (int64_t)ng);
    ing_cmd_add_i64(out, (int64_t)na);
    ing_cmd_add_i64(out, (int64_t)count_slots(keys, na, 0));
    ing_cmd_add_i64(out, (int64_t)count_slots(keys, na, 1));
    ing_cmd_add_i64(out, (int64_t)nreg);
    char key[96];
    for (size_t a = 0; a < na;) {
        size_t e = a + 1;
        while (e < na && keys[e].hour == keys[a].hour)
            e++;
        ing_cmd_adds(out, ing_key_seen(key, sizeof key, keys[a].hour));
        ing_cmd_add_i64(out, keys[a].hour + 3600 + cfg->seen_ttl_s);
        ing_cmd_add_i64(out, (int64_t)(e - a));
        for (size_t i = a; i < e; i++) {
            const ing_reading_t *r = &b->v[keys[i].idx];
            ing_cmd_adds(out, r->meter_id);
            char ts[24];
            int n = snprintf(ts, sizeof ts, "|%lld", (long long)r->ts_ms);
            ing_cmd_append(out, ts, (size_t)n);
        }
        a = e;
    }
    for (size_t i = 0; i < na; i++) {
        size_t k = keys[i].idx - from;
        size_t start = k ? ends[k - 1] + 1 : 0;
        ing_cmd_add(out, out->aux + start, ends[k] - start);
    }
    add_slots(out, b, keys, na, 0);
    add_slots(out, b, keys, na, 1);
    for (size_t k = 0; k < nreg; k++) {
        ing_cmd_adds(out, ing_key_meters(key, sizeof key, regs[k]));
        size_t cnt = 0;
        for (size_t i = 0; i < na; i++)
            cnt += send[i] && strcmp(keys[i].region, regs[k]) == 0;
        ing_cmd_add_i64(out, (int64_t)cnt);
        for (size_t i = 0; i < na; i++)
            if (send[i] && strcmp(keys[i].region, regs[k]) == 0)
                ing_cmd_adds(out, b->v[keys[i].idx].meter_id);
    }
    free(send);
    free(regs);
    free(keys);
    free(ends);
    ing_cmd_finish(out);
}

int ing_store_apply_reply(const ing_store_cfg_t *cfg, ing_batch_t *b, size_t from,
                          size_t count, const redisReply *reply, ing_store_counts_t *counts,
                          gf_err_t *err)
{
    if (reply == NULL)
        return gf_err_set(err, GF_EUNAVAIL, "redis_unavailable",
                          "the connection to Redis failed before the write was confirmed");
    if (reply->type == REDIS_REPLY_ERROR) {
        if (strncmp(reply->str, "NOSCRIPT", 8) == 0)
            return gf_err_set(err, GF_EUNAVAIL, "noscript", "batch script not loaded");
        return gf_err_set(err, GF_EUNAVAIL, "redis_error", "redis: %s", reply->str);
    }
    clamp_range(b, &from, &count);
    struct okey *keys = malloc((count + 1) * sizeof *keys);
    if (keys == NULL)
        abort();
    size_t na = chunk_order(b, from, count, keys);
    int rc = 0;
    if (reply->type != REDIS_REPLY_STRING || (size_t)reply->len != na) {
        rc = gf_err_set(err, GF_EINTERNAL, "bad_reply",
                        "batch script returned %zu statuses for %zu accepted readings",
                        reply->type == REDIS_REPLY_STRING ? (size_t)reply->len : 0, na);
        goto out;
    }
    for (size_t k = from; k < from + count; k++)
        if (b->v[k].code != ING_R_OK) {
            b->v[k].status = ING_ST_REJECTED;
            counts->rejected++;
        }
    for (size_t i = 0; i < na; i++) {
        ing_reading_t *r = &b->v[keys[i].idx];
        if (cfg->meters)
            meter_add(cfg->meters, r->region, r->meter_id);
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

int ing_store_write_sync(redisContext *c, const ing_store_cfg_t *cfg, ing_batch_t *b,
                         ing_store_counts_t *counts, gf_err_t *err)
{
    memset(counts, 0, sizeof *counts);
    size_t chunk = cfg->chunk ? cfg->chunk : 2000;
    ing_cmd_t cmd;
    ing_cmd_init(&cmd);
    size_t sent = 0;
    int rc = 0;
    for (size_t from = 0; from < b->n; from += chunk) {
        ing_store_build(cfg, b, from, chunk, &cmd);
        if (redisAppendCommandArgv(c, cmd.argc, cmd.argv, cmd.argvlen) != REDIS_OK) {
            rc = gf_err_set(err, GF_EUNAVAIL, "redis_unavailable", "redis: %s", c->errstr);
            break;
        }
        sent++;
    }
    ing_cmd_cleanup(&cmd);
    size_t from = 0;
    for (size_t i = 0; i < sent; i++, from += chunk) {
        redisReply *rep = NULL;
        if (redisGetReply(c, (void **)&rep) != REDIS_OK)
            rep = NULL;
        int r = ing_store_apply_reply(cfg, b, from, chunk, rep, counts, rc ? NULL : err);
        if (rc == 0)
            rc = r;
        if (rep)
            freeReplyObject(rep);
        else
            break;
    }
    return rc;
}
