/*
 * text.c - tokenizer (numbers, units, act numbers), stop words and Snowball stemming.
 * See text.h for the token rules. Everything here is reentrant except the stemmer inside a
 * cmp_analyzer_t, which belongs to one caller at a time.
 */
#include "text.h"

#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ------------------------------------------------------------------ stop words */

static const char *const STOP[] = {
    "a",       "about",   "above",      "after",    "again",      "against",   "all",
    "also",    "am",      "an",         "and",      "any",        "are",       "as",
    "at",      "be",      "because",    "been",     "before",     "being",     "below",
    "between", "both",    "but",        "by",       "can",        "could",     "did",
    "do",      "does",    "doing",      "done",     "down",       "during",    "each",
    "either",  "else",    "etc",        "ever",     "every",      "few",       "for",
    "from",    "further", "had",        "has",      "have",       "having",    "he",
    "her",     "here",    "hers",       "herself",  "him",        "himself",   "his",
    "how",     "however", "i",          "if",       "in",         "into",      "is",
    "it",      "its",     "itself",     "just",     "may",        "me",        "might",
    "more",    "most",    "must",       "my",       "myself",     "neither",   "no",
    "nor",     "not",     "of",         "off",      "on",         "once",      "only",
    "or",      "other",   "ought",      "our",      "ours",       "ourselves", "out",
    "over",    "own",     "per",        "same",     "shall",      "she",       "should",
    "so",      "some",    "such",       "than",     "that",       "the",       "their",
    "theirs",  "them",    "themselves", "then",     "there",      "thereof",   "these",
    "they",    "this",    "those",      "through",  "thus",       "to",        "too",
    "under",   "until",   "up",         "upon",     "us",         "very",      "via",
    "was",     "we",      "were",       "what",     "whatever",   "when",      "where",
    "whereas", "whether", "which",      "while",    "who",        "whom",      "whose",
    "why",     "will",    "with",       "within",   "without",    "would",     "yet",
    "you",     "your",    "yours",      "yourself", "yourselves", "s",         "t",
    "whom",    "hereby",  "therein",    "thereto",  "wherein",    "i.e",       "e.g",
    "ie",      "eg",      "its",
};

int cmp_is_stopword(const char *w)
{
    /* small list: a linear scan of ~180 short strings is a few hundred ns */
    for (size_t i = 0; i < sizeof STOP / sizeof STOP[0]; i++)
        if (strcmp(w, STOP[i]) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ tokenizer */

static const struct {
    const char *w, *d;
} NUMWORDS[] = {
    {"two", "2"},     {"three", "3"},   {"four", "4"},     {"five", "5"},
    {"six", "6"},     {"seven", "7"},   {"eight", "8"},    {"nine", "9"},
    {"ten", "10"},    {"twelve", "12"}, {"fifteen", "15"}, {"twenty", "20"},
    {"thirty", "30"}, {"forty", "40"},  {"fifty", "50"},   {"hundred", "100"},
};

static const char *const UNITS[] = {
    "percent", "tj",    "pj",     "gwh",     "twh",  "mwh",   "kwh",   "wh",     "mw",    "gw",
    "kw",      "kwe",   "mwe",    "mwth",    "mtoe", "ktoe",  "toe",   "g",      "kg",    "t",
    "hz",      "mhz",   "kv",     "m2",      "year", "years", "month", "months", "day",   "days",
    "hour",    "hours", "minute", "minutes", "week", "weeks", "eur",   "euro",   "euros",
};

static int is_unit(const char *w)
{
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (strcmp(w, UNITS[i]) == 0)
            return 1;
    return 0;
}

/* Decode one UTF-8 code point at s[i]; returns its length (1 for an invalid byte, cp=0xFFFD). */
static size_t u8dec(const unsigned char *s, size_t n, size_t i, uint32_t *cp)
{
    unsigned c = s[i];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len == 0 || i + len > n) {
        *cp = 0xFFFD;
        return 1;
    }
    uint32_t v = c & (0x3F >> (len - 1));
    for (size_t k = 1; k < len; k++) {
        if ((s[i + k] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i + k] & 0x3F);
    }
    *cp = v;
    return len;
}

/* Letters outside ASCII: Latin-1 letters and anything above U+024F except punctuation blocks. */
static int u_letter(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    if (cp == 0xFFFD || cp == 0xD7 || cp == 0xF7)
        return 0;
    if (cp >= 0xC0 && cp <= 0x24F)
        return 1;
    if (cp < 0x370)
        return 0;
    if ((cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
        (cp >= 0xFE00 && cp <= 0xFE6F) || (cp >= 0xFF00 && cp <= 0xFF20))
        return 0;
    return 1;
}

static int isdig(unsigned char c)
{
    return c >= '0' && c <= '9';
}

typedef struct tstate {
    cmp_tok_cb cb;
    void *ud;
    uint32_t pos;
    int stop;
    cmp_token_t prev; /* last token emitted (for compounds) */
    int have_prev;
    int prev_slash; /* prev was a number directly followed by '/' */
} tstate_t;

static void emit(tstate_t *ts, const char *text, size_t len, cmp_tok_kind_t kind, int new_pos)
{
    if (ts->stop)
        return;
    cmp_token_t t;
    if (len >= CMP_TOK_MAX)
        len = CMP_TOK_MAX - 1;
    memcpy(t.text, text, len);
    t.text[len] = '\0';
    t.len = len;
    t.kind = kind;
    if (new_pos)
        ts->pos++;
    t.pos = ts->pos ? ts->pos - 1 : 0;
    t.alpha = 1;
    for (size_t i = 0; i < len; i++)
        if (!((text[i] >= 'a' && text[i] <= 'z') || (unsigned char)text[i] >= 0x80))
            t.alpha = 0;
    t.stop = 0;
    if (ts->cb(ts->ud, &t))
        ts->stop = 1;
}

/* Emit a word/number token and the compounds it completes. */
static void emit_main(tstate_t *ts, char *w, size_t len, cmp_tok_kind_t kind, int slash_after)
{
    if (kind == CMP_TOK_WORD) {
        for (size_t i = 0; i < sizeof NUMWORDS / sizeof NUMWORDS[0]; i++) {
            if (strcmp(w, NUMWORDS[i].w) == 0) {
                len = strlen(NUMWORDS[i].d);
                memcpy(w, NUMWORDS[i].d, len + 1);
                kind = CMP_TOK_NUM;
                break;
            }
        }
    }
    emit(ts, w, len, kind, 1);
    if (ts->have_prev && ts->prev.kind == CMP_TOK_NUM) {
        char buf[CMP_TOK_MAX * 2 + 2];
        if (kind != CMP_TOK_NUM && is_unit(w)) {
            size_t ul = len;
            if (ul > 1 && w[ul - 1] == 's' && strcmp(w, "percent") != 0)
                ul--; /* "years" -> "year" */
            int k = snprintf(buf, sizeof buf, "%s%.*s", ts->prev.text, (int)ul, w);
            emit(ts, buf, (size_t)k, CMP_TOK_COMPOUND, 0);
        } else if (kind == CMP_TOK_NUM && ts->prev_slash) {
            int k = snprintf(buf, sizeof buf, "%s/%s", ts->prev.text, w);
            emit(ts, buf, (size_t)k, CMP_TOK_COMPOUND, 0);
        }
    }
    memcpy(ts->prev.text, w, len + 1);
    ts->prev.kind = kind;
    ts->have_prev = 1;
    ts->prev_slash = kind == CMP_TOK_NUM && slash_after;
}

uint32_t cmp_tokenize(const char *str, size_t n, cmp_tok_cb cb, void *ud)
{
    const unsigned char *s = (const unsigned char *)str;
    tstate_t ts = {.cb = cb, .ud = ud};
    size_t i = 0;
    char w[CMP_TOK_MAX];
    while (i < n && !ts.stop) {
        uint32_t cp;
        size_t cl = u8dec(s, n, i, &cp);
        if (cp == '%') {
            char pct[] = "percent";
            emit_main(&ts, pct, 7, CMP_TOK_WORD, 0);
            i += cl;
            continue;
        }
        if (!u_letter(cp)) {
            /* a break in the text (not a space) ends compound context, except '/' */
            if (cp != ' ' && cp != '/' && cp != '-' && cp != 0xA0)
                ts.have_prev = 0;
            i += cl;
            continue;
        }
        size_t wl = 0;
        cmp_tok_kind_t kind = CMP_TOK_WORD;
        if (isdig(s[i])) {
            kind = CMP_TOK_NUM;
            size_t ndig = 0;
            while (i < n && isdig(s[i])) {
                if (wl < CMP_TOK_MAX - 1)
                    w[wl++] = (char)s[i];
                i++;
                ndig++;
            }
            /* thousands groups: "1 474", "100 000" (group of exactly 3 digits) */
            while (ndig <= 3 && i + 3 < n && s[i] == ' ' && isdig(s[i + 1]) && isdig(s[i + 2]) &&
                   isdig(s[i + 3]) && (i + 4 >= n || !isdig(s[i + 4]))) {
                for (int k = 1; k <= 3; k++)
                    if (wl < CMP_TOK_MAX - 1)
                        w[wl++] = (char)s[i + k];
                i += 4;
                ndig = 3;
            }
            /* decimals: "1,5" / "1.5" / "1.1.2" */
            while (i + 1 < n && (s[i] == ',' || s[i] == '.') && isdig(s[i + 1])) {
                if (wl < CMP_TOK_MAX - 1)
                    w[wl++] = '.';
                i++;
                while (i < n && isdig(s[i])) {
                    if (wl < CMP_TOK_MAX - 1)
                        w[wl++] = (char)s[i];
                    i++;
                }
            }
        }
        /* letters/digits (and a number directly followed by letters: "9a", "2nd") */
        while (i < n) {
            size_t l2 = u8dec(s, n, i, &cp);
            if (!u_letter(cp))
                break;
            if (kind == CMP_TOK_NUM)
                kind = CMP_TOK_WORD;
            for (size_t k = 0; k < l2; k++) {
                unsigned char c = s[i + k];
                if (c >= 'A' && c <= 'Z')
                    c = (unsigned char)(c - 'A' + 'a');
                if (wl < CMP_TOK_MAX - 1)
                    w[wl++] = (char)c;
            }
            i += l2;
        }
        /* never cut a multi-byte sequence in half */
        while (wl > 0 && ((unsigned char)w[wl - 1] & 0x80)) {
            size_t st = wl - 1;
            while (st > 0 && ((unsigned char)w[st] & 0xC0) == 0x80)
                st--;
            uint32_t c2;
            if (u8dec((const unsigned char *)w, wl, st, &c2) == wl - st && c2 != 0xFFFD)
                break;
            wl = st;
        }
        w[wl] = '\0';
        /* possessive: "Union’s", "State's" */
        if (i < n && kind == CMP_TOK_WORD) {
            size_t al = 0;
            if (s[i] == '\'')
                al = 1;
            else if (i + 2 < n && s[i] == 0xE2 && s[i + 1] == 0x80 && s[i + 2] == 0x99)
                al = 3;
            if (al && i + al < n && (s[i + al] == 's' || s[i + al] == 'S') &&
                (i + al + 1 >= n || !u_letter(s[i + al + 1])))
                i += al + 1;
        }
        if (wl == 0)
            continue;
        int slash = i + 1 < n && s[i] == '/' && isdig(s[i + 1]);
        emit_main(&ts, w, wl, kind, slash);
    }
    return ts.pos;
}

/* ------------------------------------------------------------------ analyzer */

struct cmp_analyzer {
    struct sb_stemmer *st;
};

cmp_analyzer_t *cmp_analyzer_new(void)
{
    struct sb_stemmer *st = sb_stemmer_new("english", NULL);
    if (st == NULL)
        return NULL;
    cmp_analyzer_t *a = gf_xmalloc(sizeof *a);
    a->st = st;
    return a;
}

void cmp_analyzer_free(cmp_analyzer_t *a)
{
    if (a == NULL)
        return;
    sb_stemmer_delete(a->st);
    free(a);
}

const char *cmp_stem(cmp_analyzer_t *a, const char *word, size_t len, char *out)
{
    const sb_symbol *r = sb_stemmer_stem(a->st, (const sb_symbol *)word, (int)len);
    int rl = r ? sb_stemmer_length(a->st) : 0;
    if (r == NULL || rl <= 0) {
        memcpy(out, word, len);
        out[len] = '\0';
        return out;
    }
    if (rl >= CMP_TOK_MAX)
        rl = CMP_TOK_MAX - 1;
    memcpy(out, r, (size_t)rl);
    out[rl] = '\0';
    return out;
}

typedef struct actx {
    cmp_analyzer_t *a;
    int keep_stop;
    cmp_tok_cb cb;
    void *ud;
} actx_t;

static int analyze_cb(void *ud, const cmp_token_t *t)
{
    actx_t *c = ud;
    cmp_token_t o = *t;
    if (t->kind == CMP_TOK_WORD && t->alpha) {
        if (cmp_is_stopword(t->text)) {
            if (!c->keep_stop)
                return 0;
            o.stop = 1;
            return c->cb(c->ud, &o);
        }
        cmp_stem(c->a, t->text, t->len, o.text);
        o.len = strlen(o.text);
    }
    return c->cb(c->ud, &o);
}

uint32_t cmp_analyze(cmp_analyzer_t *a, const char *s, size_t n, int keep_stop, cmp_tok_cb cb,
                     void *ud)
{
    actx_t c = {a, keep_stop, cb, ud};
    return cmp_tokenize(s, n, analyze_cb, &c);
}
