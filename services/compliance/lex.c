/*
 * lex.c - WordNet lexicon: lemma look-up, morphy, synonyms and hypernyms (lex.h).
 */
#include "lex.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum { POS_NOUN = 0, POS_VERB, POS_ADJ, POS_ADV, N_POS };
static const char *const POS_NAME[N_POS] = {"noun", "verb", "adj", "adv"};

typedef struct lfile {
    char *buf; /* whole file, NUL-terminated */
    size_t len;
    char **lines; /* index files: the lemma lines (license lines left out), sorted */
    size_t n_lines;
} lfile_t;

typedef struct exc {
    char **from, **to; /* exception list: inflected form -> base form, sorted by from */
    size_t n;
} exc_t;

struct cmp_lex {
    lfile_t index[N_POS], data[N_POS];
    lfile_t exc_file[N_POS];
    exc_t exc[N_POS];
    size_t bytes;
};

static int read_file(const char *dir, const char *name, lfile_t *f, gf_err_t *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fh = fopen(path, "rb");
    if (fh == NULL)
        return gf_err_set(err, GF_ENOTFOUND, "wordnet_missing", "cannot read %s: %s", path,
                          strerror(errno));
    if (fseek(fh, 0, SEEK_END) != 0) {
        fclose(fh);
        return gf_err_set(err, GF_ENOTFOUND, "wordnet_missing", "cannot read %s", path);
    }
    long n = ftell(fh);
    if (n < 0 || fseek(fh, 0, SEEK_SET) != 0) {
        fclose(fh);
        return gf_err_set(err, GF_ENOTFOUND, "wordnet_missing", "cannot read %s", path);
    }
    f->buf = gf_xmalloc((size_t)n + 1);
    f->len = fread(f->buf, 1, (size_t)n, fh);
    f->buf[f->len] = '\0';
    fclose(fh);
    if (f->len != (size_t)n)
        return gf_err_set(err, GF_ENOTFOUND, "wordnet_missing", "short read of %s", path);
    return 0;
}

/* Split into lines in place; lines starting with a space (the license header) are skipped. */
static void split_lines(lfile_t *f)
{
    size_t cap = 0;
    for (char *p = f->buf; *p;) {
        char *e = strchr(p, '\n');
        if (e)
            *e = '\0';
        if (*p && *p != ' ')
            *CMP__PUSH(f->lines, f->n_lines, cap) = p;
        if (!e)
            break;
        p = e + 1;
    }
}

/* Compare a lemma with the first field of a line ("word pos ..."). */
static int cmp_key(const char *key, const char *line)
{
    size_t i = 0;
    for (; key[i] && line[i] && line[i] != ' '; i++)
        if (key[i] != line[i])
            return (unsigned char)key[i] - (unsigned char)line[i];
    if (key[i] == '\0')
        return line[i] == ' ' || line[i] == '\0' ? 0 : -1;
    return 1;
}

static const char *find_line(char *const *lines, size_t n, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_key(key, lines[mid]);
        if (c == 0)
            return lines[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static void load_exc(lfile_t *f, exc_t *x)
{
    split_lines(f);
    x->from = gf_xcalloc(f->n_lines + 1, sizeof *x->from);
    x->to = gf_xcalloc(f->n_lines + 1, sizeof *x->to);
    for (size_t i = 0; i < f->n_lines; i++) {
        char *sp = strchr(f->lines[i], ' ');
        if (sp == NULL)
            continue;
        *sp = '\0';
        char *to = sp + 1;
        char *e = strchr(to, ' ');
        if (e)
            *e = '\0';
        x->from[x->n] = f->lines[i];
        x->to[x->n] = to;
        x->n++;
    }
}

cmp_lex_t *cmp_lex_load(const char *dir, gf_err_t *err)
{
    cmp_lex_t *l = gf_xcalloc(1, sizeof *l);
    for (int p = 0; p < N_POS; p++) {
        char name[32];
        snprintf(name, sizeof name, "index.%s", POS_NAME[p]);
        if (read_file(dir, name, &l->index[p], err) != 0)
            goto fail;
        snprintf(name, sizeof name, "data.%s", POS_NAME[p]);
        if (read_file(dir, name, &l->data[p], err) != 0)
            goto fail;
        snprintf(name, sizeof name, "%s.exc", POS_NAME[p]);
        if (read_file(dir, name, &l->exc_file[p], err) != 0)
            goto fail;
        split_lines(&l->index[p]);
        load_exc(&l->exc_file[p], &l->exc[p]);
        l->bytes += l->index[p].len + l->data[p].len + l->exc_file[p].len +
                    l->index[p].n_lines * sizeof(char *) + 2 * l->exc[p].n * sizeof(char *);
    }
    return l;
fail:
    cmp_lex_free(l);
    return NULL;
}

void cmp_lex_free(cmp_lex_t *l)
{
    if (l == NULL)
        return;
    for (int p = 0; p < N_POS; p++) {
        free(l->index[p].buf);
        free(l->index[p].lines);
        free(l->data[p].buf);
        free(l->exc_file[p].buf);
        free(l->exc_file[p].lines);
        free(l->exc[p].from);
        free(l->exc[p].to);
    }
    free(l);
}

size_t cmp_lex_bytes(const cmp_lex_t *l)
{
    return l ? l->bytes : 0;
}

/* ------------------------------------------------------------------ morphy */

static const char *exc_lookup(const exc_t *x, const char *w)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(w, x->from[mid]);
        if (c == 0)
            return x->to[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Base forms of w for part of speech p (WordNet's morphy): the word itself, its exception
 * entry, and the detachment rules. Writes up to 8 candidates. */
static size_t base_forms(const cmp_lex_t *l, int p, const char *w, char out[][64])
{
    static const struct {
        const char *suf, *rep;
    } NOUN[] = {{"s", ""},      {"ses", "s"},   {"xes", "x"},   {"zes", "z"},
                {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}},
      VERB[] = {{"s", ""},   {"ies", "y"}, {"es", "e"},  {"es", ""},
                {"ed", "e"}, {"ed", ""},   {"ing", "e"}, {"ing", ""}},
      ADJ[] = {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}};
    size_t n = 0, wl = strlen(w);
    if (wl == 0 || wl >= 60)
        return 0;
    snprintf(out[n++], 64, "%s", w);
    const char *x = exc_lookup(&l->exc[p], w);
    if (x)
        snprintf(out[n++], 64, "%.63s", x);
    const void *rules = p == POS_NOUN   ? (const void *)NOUN
                        : p == POS_VERB ? (const void *)VERB
                        : p == POS_ADJ  ? (const void *)ADJ
                                        : NULL;
    size_t nr = p == POS_NOUN ? 8 : p == POS_VERB ? 8 : p == POS_ADJ ? 4 : 0;
    const struct {
        const char *suf, *rep;
    } *r = rules;
    for (size_t i = 0; i < nr && n < 8; i++) {
        size_t sl = strlen(r[i].suf);
        if (wl > sl + 1 && strcmp(w + wl - sl, r[i].suf) == 0)
            snprintf(out[n++], 64, "%.*s%s", (int)(wl - sl), w, r[i].rep);
    }
    return n;
}

/* Index line of the lemma of w for part of speech p, or NULL. */
static const char *index_of(const cmp_lex_t *l, int p, const char *w)
{
    char forms[8][64];
    size_t n = base_forms(l, p, w, forms);
    for (size_t i = 0; i < n; i++) {
        const char *line = find_line(l->index[p].lines, l->index[p].n_lines, forms[i]);
        if (line)
            return line;
    }
    return NULL;
}

int cmp_lex_known(const cmp_lex_t *l, const char *word)
{
    if (l == NULL || word == NULL || !word[0])
        return 0;
    for (int p = 0; p < N_POS; p++)
        if (index_of(l, p, word))
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ expansion */

static void add_rel(cmp_lex_rel_t *out, size_t *n, size_t max, const char *word, const char *lemma,
                    size_t len, float w, cmp_lex_kind_t kind)
{
    char lm[64];
    size_t k = 0;
    for (size_t i = 0; i < len && k < sizeof lm - 1; i++) {
        if (lemma[i] == '(')
            break; /* adjective markers "(a)", "(p)" */
        lm[k++] = lemma[i] == '_' ? ' ' : (char)tolower((unsigned char)lemma[i]);
    }
    lm[k] = '\0';
    if (k == 0 || strcmp(lm, word) == 0)
        return;
    for (size_t i = 0; i < *n; i++)
        if (strcmp(out[i].lemma, lm) == 0) {
            if (out[i].w < w) {
                out[i].w = w;
                out[i].kind = kind;
            }
            return;
        }
    if (*n >= max)
        return;
    snprintf(out[*n].lemma, sizeof out[*n].lemma, "%s", lm);
    out[*n].w = w;
    out[*n].kind = kind;
    (*n)++;
}

/* The synset at byte offset off of data file p: its lemmas, and (hyper=1) its hypernym
 * offsets. */
static void synset(const cmp_lex_t *l, int p, long off, const char *word, float w,
                   cmp_lex_kind_t kind, cmp_lex_rel_t *out, size_t *n, size_t max, long *hyp,
                   size_t *n_hyp)
{
    const lfile_t *d = &l->data[p];
    if (off < 0 || (size_t)off >= d->len)
        return;
    const char *s = d->buf + off;
    /* offset lex_filenum ss_type w_cnt word lex_id ... p_cnt ptr... | gloss */
    char *e;
    strtol(s, &e, 10);
    strtol(e, &e, 10);
    while (*e == ' ')
        e++;
    e++; /* ss_type */
    long wc = strtol(e, &e, 16);
    for (long i = 0; i < wc && i < 64; i++) {
        while (*e == ' ')
            e++;
        const char *lm = e;
        while (*e && *e != ' ' && *e != '\n')
            e++;
        add_rel(out, n, max, word, lm, (size_t)(e - lm), w, kind);
        strtol(e, &e, 16); /* lex_id */
    }
    long pc = strtol(e, &e, 10);
    for (long i = 0; i < pc && i < 256; i++) {
        while (*e == ' ')
            e++;
        int hypernym = e[0] == '@' && (e[1] == ' ' || (e[1] == 'i' && e[2] == ' '));
        while (*e && *e != ' ')
            e++;
        long o = strtol(e, &e, 10);
        while (*e == ' ')
            e++;
        char pos = *e;
        while (*e && *e != ' ')
            e++;
        strtol(e, &e, 16); /* source/target */
        if (hypernym && hyp && *n_hyp < 8 && pos == "nvar"[p])
            hyp[(*n_hyp)++] = o;
    }
}

static int rel_cmp(const void *a, const void *b)
{
    const cmp_lex_rel_t *x = a, *y = b;
    return x->w < y->w ? 1 : x->w > y->w ? -1 : strcmp(x->lemma, y->lemma);
}

size_t cmp_lex_expand(const cmp_lex_t *l, const char *word, cmp_lex_rel_t *out, size_t max)
{
    size_t n = 0;
    if (l == NULL || word == NULL || !word[0])
        return 0;
    for (int p = 0; p < N_POS; p++) {
        const char *line = index_of(l, p, word);
        if (line == NULL)
            continue;
        /* lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt offsets... */
        const char *s = strchr(line, ' ');
        if (s == NULL)
            continue;
        char *e;
        s = strchr(s + 1, ' ');
        if (s == NULL)
            continue;
        long sc = strtol(s, &e, 10);
        long pc = strtol(e, &e, 10);
        for (long i = 0; i < pc; i++) {
            while (*e == ' ')
                e++;
            while (*e && *e != ' ')
                e++;
        }
        strtol(e, &e, 10); /* sense_cnt */
        strtol(e, &e, 10); /* tagsense_cnt */
        for (long k = 0; k < sc && k < CMP_LEX_SENSES; k++) {
            long off = strtol(e, &e, 10);
            long hyp[8];
            size_t nh = 0;
            synset(l, p, off, word, 0.5f / (float)(k + 1), CMP_LEX_SYNONYM, out, &n, max,
                   p == POS_NOUN || p == POS_VERB ? hyp : NULL, &nh);
            for (size_t h = 0; h < nh; h++)
                synset(l, p, hyp[h], word, 0.25f / (float)(k + 1), CMP_LEX_HYPERNYM, out, &n, max,
                       NULL, NULL);
        }
    }
    qsort(out, n, sizeof *out, rel_cmp);
    return n;
}
