/*
 * index.c - passage splitting, vocabulary, postings and BM25F search with a proximity rerank.
 *
 * Build: every passage is analysed once (stop words kept as CMP_NOTERM to preserve distances);
 * its body and context term counts go into per-term posting vectors. A surface-word cache
 * makes the Snowball stemmer run once per distinct word, which keeps the whole-corpus build
 * well under the 1 s budget. After cmp_index_finish nothing is written again.
 *
 * Search: one float accumulator per passage (allocated per call), postings walked term by
 * term, then the best `rerank` candidates get a proximity bonus and are re-sorted.
 */
#include "index.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sbuf.h"
#include "util.h"

const cmp_bm25_params_t CMP_BM25_DEFAULT = {
    .k1 = 1.2f,
    .b = 0.75f,
    .title_weight = 1.5f,
    .recital_weight = 0.6f,
    .annex_weight = 1.0f,
    .prox_weight = 0.25f,
};

/* Paragraphs longer than this (in words) are split at points / subparagraphs. */
#define SPLIT_WORDS 150

typedef struct posting {
    uint32_t pid;
    uint16_t tf_body, tf_ctx;
} posting_t;

typedef struct plist {
    posting_t *p;
    size_t n, cap;
} plist_t;

typedef struct hmap {
    char **keys;
    uint32_t *vals;
    size_t cap, n;
} hmap_t;

struct cmp_index {
    cmp_bm25_params_t prm;
    cmp_passage_t *psg;
    size_t n_psg, cap_psg;
    /* vocabulary */
    hmap_t vocab;
    char **terms;
    size_t n_terms, cap_terms;
    plist_t *post;
    size_t cap_post;
    float *idf;
    float idf_max;
    double avg_len;
    /* build only */
    cmp_analyzer_t *an;
    hmap_t stem_cache; /* surface word -> term id (CMP_NOTERM: stop word) */
    int finished;
};

/* ------------------------------------------------------------------ hash map */

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int hmap_get(const hmap_t *m, const char *k, uint32_t *v)
{
    if (m->cap == 0)
        return 0;
    size_t i = fnv(k) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], k) == 0) {
            *v = m->vals[i];
            return 1;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return 0;
}

static void hmap_put(hmap_t *m, char *k, uint32_t v); /* takes ownership of k */

static void hmap_grow(hmap_t *m)
{
    hmap_t o = *m;
    m->cap = o.cap ? o.cap * 2 : 1024;
    m->keys = gf_xcalloc(m->cap, sizeof *m->keys);
    m->vals = gf_xcalloc(m->cap, sizeof *m->vals);
    m->n = 0;
    for (size_t i = 0; i < o.cap; i++)
        if (o.keys[i])
            hmap_put(m, o.keys[i], o.vals[i]);
    free(o.keys);
    free(o.vals);
}

static void hmap_put(hmap_t *m, char *k, uint32_t v)
{
    if ((m->n + 1) * 2 > m->cap)
        hmap_grow(m);
    size_t i = fnv(k) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], k) == 0) {
            free(k);
            m->vals[i] = v;
            return;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = k;
    m->vals[i] = v;
    m->n++;
}

static void hmap_free(hmap_t *m, int free_keys)
{
    if (free_keys)
        for (size_t i = 0; i < m->cap; i++)
            free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------ build */

cmp_index_t *cmp_index_new(const cmp_bm25_params_t *params)
{
    cmp_analyzer_t *an = cmp_analyzer_new();
    if (an == NULL)
        return NULL;
    cmp_index_t *ix = gf_xcalloc(1, sizeof *ix);
    ix->prm = params ? *params : CMP_BM25_DEFAULT;
    ix->an = an;
    return ix;
}

static uint32_t term_id(cmp_index_t *ix, const char *t)
{
    uint32_t id;
    if (hmap_get(&ix->vocab, t, &id))
        return id;
    id = (uint32_t)ix->n_terms;
    char *k = gf_xstrdup(t);
    *CMP__PUSH(ix->terms, ix->n_terms, ix->cap_terms) = k;
    hmap_put(&ix->vocab, gf_xstrdup(t), id);
    if (ix->cap_post < ix->cap_terms) {
        ix->post = gf_xrealloc(ix->post, ix->cap_terms * sizeof *ix->post);
        memset(ix->post + ix->cap_post, 0, (ix->cap_terms - ix->cap_post) * sizeof *ix->post);
        ix->cap_post = ix->cap_terms;
    }
    return id;
}

typedef struct collect {
    cmp_index_t *ix;
    uint32_t *ids, *pos;
    size_t n, cap, cap2;
} collect_t;

static int collect_cb(void *ud, const cmp_token_t *t)
{
    collect_t *c = ud;
    uint32_t id;
    if (t->stop) {
        id = CMP_NOTERM;
    } else {
        id = term_id(c->ix, t->text);
    }
    size_t n = c->n;
    *CMP__PUSH(c->ids, c->n, c->cap) = id;
    c->n = n;
    *CMP__PUSH(c->pos, c->n, c->cap2) = t->pos;
    return 0;
}

/* Cached analysis: the stemmer runs once per distinct surface word. */
typedef struct cached {
    cmp_index_t *ix;
    collect_t *c;
} cached_t;

static int cached_tok_cb(void *ud, const cmp_token_t *t)
{
    cached_t *cc = ud;
    cmp_index_t *ix = cc->ix;
    cmp_token_t o = *t;
    if (t->kind == CMP_TOK_WORD && t->alpha) {
        uint32_t id;
        if (!hmap_get(&ix->stem_cache, t->text, &id)) {
            if (cmp_is_stopword(t->text)) {
                id = CMP_NOTERM;
            } else {
                char st[CMP_TOK_MAX];
                cmp_stem(ix->an, t->text, t->len, st);
                id = term_id(ix, st);
            }
            hmap_put(&ix->stem_cache, gf_xstrdup(t->text), id);
        }
        collect_t *c = cc->c;
        size_t n = c->n;
        *CMP__PUSH(c->ids, c->n, c->cap) = id;
        c->n = n;
        *CMP__PUSH(c->pos, c->n, c->cap2) = t->pos;
        return 0;
    }
    return collect_cb(cc->c, &o);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static char *xdup0(const char *s)
{
    return gf_xstrdup(s ? s : "");
}

uint32_t cmp_index_add(cmp_index_t *ix, const cmp_psg_meta_t *meta, const char *body,
                       const char *context, const char *ref, const char *label)
{
    uint32_t pid = (uint32_t)ix->n_psg;
    cmp_passage_t *p = CMP__PUSH(ix->psg, ix->n_psg, ix->cap_psg);
    memset(p, 0, sizeof *p);
    p->meta = *meta;
    p->meta.unit_num = xdup0(meta->unit_num);
    p->meta.para_num = xdup0(meta->para_num);
    p->meta.point = xdup0(meta->point);
    p->text = xdup0(body);
    p->ref = xdup0(ref);
    p->label = xdup0(label);
    p->weight = meta->kind == CMP_PSG_RECITAL ? ix->prm.recital_weight
                : meta->kind == CMP_PSG_ANNEX ? ix->prm.annex_weight
                                              : 1.0f;

    collect_t cb = {.ix = ix}, cc = {.ix = ix};
    cached_t a1 = {ix, &cb}, a2 = {ix, &cc};
    cmp_tokenize(p->text, strlen(p->text), cached_tok_cb, &a1);
    if (context)
        cmp_tokenize(context, strlen(context), cached_tok_cb, &a2);
    p->toks = cb.ids;
    p->n_toks = (uint32_t)cb.n;
    /* positions are kept in a parallel array appended after the ids */
    p->toks = gf_xrealloc(p->toks, (2 * cb.n + 1) * sizeof *p->toks);
    if (cb.n)
        memcpy(p->toks + cb.n, cb.pos, cb.n * sizeof *p->toks);
    free(cb.pos);
    free(cc.pos);

    /* term frequencies */
    size_t nb = 0, nc = 0;
    uint32_t *sb = gf_xmalloc((cb.n + 1) * sizeof *sb), *sc = gf_xmalloc((cc.n + 1) * sizeof *sc);
    for (size_t i = 0; i < cb.n; i++)
        if (p->toks[i] != CMP_NOTERM)
            sb[nb++] = p->toks[i];
    for (size_t i = 0; i < cc.n; i++)
        if (cc.ids[i] != CMP_NOTERM)
            sc[nc++] = cc.ids[i];
    free(cc.ids);
    p->len = (uint32_t)nb;
    qsort(sb, nb, sizeof *sb, cmp_u32);
    qsort(sc, nc, sizeof *sc, cmp_u32);
    size_t i = 0, j = 0;
    while (i < nb || j < nc) {
        uint32_t t = (j >= nc || (i < nb && sb[i] <= sc[j])) ? sb[i] : sc[j];
        uint32_t tb = 0, tc = 0;
        while (i < nb && sb[i] == t) {
            tb++;
            i++;
        }
        while (j < nc && sc[j] == t) {
            tc++;
            j++;
        }
        plist_t *pl = &ix->post[t];
        posting_t *po = CMP__PUSH(pl->p, pl->n, pl->cap);
        po->pid = pid;
        po->tf_body = (uint16_t)(tb > 65535 ? 65535 : tb);
        po->tf_ctx = (uint16_t)(tc > 65535 ? 65535 : tc);
    }
    free(sb);
    free(sc);
    return pid;
}

int cmp_index_finish(cmp_index_t *ix)
{
    double tot = 0;
    for (size_t i = 0; i < ix->n_psg; i++)
        tot += ix->psg[i].len;
    ix->avg_len = ix->n_psg ? tot / (double)ix->n_psg : 1.0;
    if (ix->avg_len < 1)
        ix->avg_len = 1;
    ix->idf = gf_xcalloc(ix->n_terms + 1, sizeof *ix->idf);
    double N = (double)ix->n_psg;
    for (size_t t = 0; t < ix->n_terms; t++) {
        double df = (double)ix->post[t].n;
        ix->idf[t] = (float)log(1.0 + (N - df + 0.5) / (df + 0.5));
    }
    ix->idf_max = (float)log(1.0 + (N + 0.5) / 0.5);
    cmp_analyzer_free(ix->an);
    ix->an = NULL;
    hmap_free(&ix->stem_cache, 1);
    ix->finished = 1;
    return 0;
}

/* ------------------------------------------------------------------ corpus passages */

static size_t words(const char *s)
{
    size_t n = 0;
    int in = 0;
    for (; *s; s++) {
        int sp = *s == ' ' || *s == '\n';
        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

static int numeric(const char *s)
{
    if (!isdigit((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != '.')
            return 0;
    return 1;
}

static void make_ref(gf_sbuf_t *b, const cmp_unit_t *u, const cmp_para_t *p, const char *point)
{
    if (u->kind == CMP_UNIT_ARTICLE) {
        gf_sbuf_addf(b, "Article %s", u->num);
        if (p->num[0])
            gf_sbuf_addf(b, "(%s)", p->num);
        if (point && point[0] == '(')
            gf_sbuf_adds(b, point);
    } else {
        gf_sbuf_addf(b, "Annex %s", u->num);
        if (p->num[0])
            gf_sbuf_addf(b, numeric(p->num) ? ", point %s" : ", %s", p->num);
        if (point && point[0] == '(')
            gf_sbuf_addf(b, " %s", point);
    }
}

static void add_unit_passage(cmp_index_t *ix, int doc, int ui, const cmp_unit_t *u, int pi,
                             size_t from, size_t to, const char *point, const char *ctx)
{
    const cmp_para_t *p = &u->paras[pi];
    char *text = cmp_para_text(p, from, to);
    if (from > 0 && numeric(p->num)) { /* keep the paragraph number visible */
        char *t2 = NULL;
        if (asprintf(&t2, "%s. [...]\n%s", p->num, text) >= 0) {
            free(text);
            text = t2;
        }
    }
    gf_sbuf_t ref = {0}, label = {0};
    make_ref(&ref, u, p, point);
    gf_sbuf_addf(&label, "%s %s", u->kind == CMP_UNIT_ARTICLE ? "Article" : "Annex", u->num);
    cmp_psg_meta_t m = {
        .kind = u->kind == CMP_UNIT_ARTICLE ? CMP_PSG_ARTICLE : CMP_PSG_ANNEX,
        .doc = doc,
        .unit = ui,
        .para = pi,
        .unit_num = u->num,
        .para_num = p->num,
        .point = point ? point : "",
        .item_from = (uint32_t)from,
        .item_to = (uint32_t)to,
    };
    cmp_index_add(ix, &m, text, ctx, ref.s ? ref.s : "", label.s ? label.s : "");
    free(text);
    gf_sbuf_cleanup(&ref);
    gf_sbuf_cleanup(&label);
}

/* One paragraph -> one passage, or several when it is long (see README "Passages"). */
static void index_para(cmp_index_t *ix, int doc, int ui, const cmp_unit_t *u, int pi)
{
    const cmp_para_t *p = &u->paras[pi];
    if (p->n_items == 0)
        return;
    size_t total = 0;
    for (size_t i = 0; i < p->n_items; i++)
        total += words(p->items[i].text);
    gf_sbuf_t ctx = {0};
    gf_sbuf_adds(&ctx, u->title);
    if (total <= SPLIT_WORDS) {
        add_unit_passage(ix, doc, ui, u, pi, 0, p->n_items, NULL, ctx.s);
        gf_sbuf_cleanup(&ctx);
        return;
    }
    /* the top rank of points in this paragraph */
    int top = 99;
    for (size_t i = 0; i < p->n_items; i++)
        if (p->items[i].kind >= CMP_ITEM_NUM && p->items[i].kind <= CMP_ITEM_INDENT &&
            (int)p->items[i].kind < top)
            top = (int)p->items[i].kind;
    /* groups: [start, end) ranges; a group starts at a top-rank point, at an unquoted text
     * line after points (articles), or when a text-only run grows past SPLIT_WORDS */
    size_t start = 0, gw = 0;
    int intro_done = 0;
    for (size_t i = 0; i <= p->n_items; i++) {
        int cut = 0;
        if (i == p->n_items) {
            cut = 1;
        } else if (i > start && p->items[i].kind != CMP_ITEM_FOOTNOTE) {
            /* footnotes stay with the text they annotate: a passage never starts with one */
            const cmp_item_t *it = &p->items[i];
            if ((int)it->kind == top)
                cut = 1;
            else if (it->kind == CMP_ITEM_TEXT && !it->quoted && u->kind == CMP_UNIT_ARTICLE &&
                     p->items[i - 1].kind != CMP_ITEM_TEXT)
                cut = 1;
            else if (gw + words(it->text) > SPLIT_WORDS &&
                     (it->kind == CMP_ITEM_TEXT || (int)it->kind <= top + 1))
                cut = 1;
            /* tiny groups (< 8 words) stick to the next one */
            if (cut && gw < 8 && i < p->n_items)
                cut = 0;
        }
        if (cut) {
            const cmp_item_t *first = &p->items[start];
            const char *point = first->kind != CMP_ITEM_TEXT && first->kind != CMP_ITEM_FOOTNOTE
                                    ? first->label
                                    : NULL;
            if (!intro_done && start == 0 && point == NULL) {
                add_unit_passage(ix, doc, ui, u, pi, start, i, NULL, ctx.s);
                /* the introductory words give context to every following point */
                gf_sbuf_adds(&ctx, "\n");
                for (size_t k = start; k < i && k < start + 1; k++)
                    gf_sbuf_adds(&ctx, p->items[k].text);
            } else {
                add_unit_passage(ix, doc, ui, u, pi, start, i, point, ctx.s);
            }
            intro_done = 1;
            start = i;
            gw = 0;
        }
        if (i < p->n_items)
            gw += words(p->items[i].text);
    }
    gf_sbuf_cleanup(&ctx);
}

cmp_index_t *cmp_index_build(const cmp_corpus_t *c, const cmp_bm25_params_t *params, gf_err_t *err)
{
    if (c == NULL || c->n_docs == 0) {
        gf_err_set(err, GF_EINVAL, "invalid_argument", "empty corpus");
        return NULL;
    }
    cmp_index_t *ix = cmp_index_new(params);
    if (ix == NULL) {
        gf_err_set(err, GF_EINTERNAL, "stemmer_unavailable", "cannot create the English stemmer");
        return NULL;
    }
    for (size_t d = 0; d < c->n_docs; d++) {
        const cmp_doc_t *doc = &c->docs[d];
        for (size_t a = 0; a < doc->n_articles; a++)
            for (size_t p = 0; p < doc->articles[a].n_paras; p++)
                index_para(ix, (int)d, (int)a, &doc->articles[a], (int)p);
        for (size_t a = 0; a < doc->n_annexes; a++) {
            if (doc->annexes[a].correlation)
                continue;
            for (size_t p = 0; p < doc->annexes[a].n_paras; p++)
                index_para(ix, (int)d, (int)a, &doc->annexes[a], (int)p);
        }
        for (size_t r = 0; r < doc->n_recitals; r++) {
            char ref[48], label[48];
            snprintf(ref, sizeof ref, "Recital (%s)", doc->recitals[r].num);
            snprintf(label, sizeof label, "Recital %s", doc->recitals[r].num);
            cmp_psg_meta_t m = {.kind = CMP_PSG_RECITAL,
                                .doc = (int)d,
                                .unit = (int)r,
                                .para = -1,
                                .unit_num = doc->recitals[r].num,
                                .para_num = "",
                                .point = ""};
            cmp_index_add(ix, &m, doc->recitals[r].text, NULL, ref, label);
        }
    }
    cmp_index_finish(ix);
    return ix;
}

void cmp_index_free(cmp_index_t *ix)
{
    if (ix == NULL)
        return;
    for (size_t i = 0; i < ix->n_psg; i++) {
        cmp_passage_t *p = &ix->psg[i];
        free((char *)p->meta.unit_num);
        free((char *)p->meta.para_num);
        free((char *)p->meta.point);
        free(p->text);
        free(p->ref);
        free(p->label);
        free(p->toks);
    }
    free(ix->psg);
    for (size_t t = 0; t < ix->n_terms; t++) {
        free(ix->terms[t]);
        free(ix->post[t].p);
    }
    free(ix->terms);
    free(ix->post);
    free(ix->idf);
    hmap_free(&ix->vocab, 1);
    hmap_free(&ix->stem_cache, 1);
    cmp_analyzer_free(ix->an);
    free(ix);
}

/* ------------------------------------------------------------------ getters */

size_t cmp_index_n_passages(const cmp_index_t *ix)
{
    return ix->n_psg;
}

const cmp_passage_t *cmp_index_passage(const cmp_index_t *ix, uint32_t id)
{
    return id < ix->n_psg ? &ix->psg[id] : NULL;
}

size_t cmp_index_n_terms(const cmp_index_t *ix)
{
    return ix->n_terms;
}

uint32_t cmp_index_term(const cmp_index_t *ix, const char *term)
{
    uint32_t id;
    return hmap_get(&ix->vocab, term, &id) ? id : CMP_NOTERM;
}

const char *cmp_index_term_text(const cmp_index_t *ix, uint32_t id)
{
    return id < ix->n_terms ? ix->terms[id] : "";
}

uint32_t cmp_index_df(const cmp_index_t *ix, uint32_t id)
{
    return id < ix->n_terms ? (uint32_t)ix->post[id].n : 0;
}

float cmp_index_idf(const cmp_index_t *ix, uint32_t id)
{
    return id < ix->n_terms && ix->idf ? ix->idf[id] : ix->idf_max;
}

float cmp_index_idf_max(const cmp_index_t *ix)
{
    return ix->idf_max;
}

int cmp_index_passage_has(const cmp_index_t *ix, uint32_t passage, uint32_t term)
{
    if (term >= ix->n_terms)
        return 0;
    const plist_t *pl = &ix->post[term];
    size_t lo = 0, hi = pl->n;
    while (lo < hi) { /* postings are in passage order */
        size_t mid = (lo + hi) / 2;
        if (pl->p[mid].pid < passage)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < pl->n && pl->p[lo].pid == passage;
}

/* ------------------------------------------------------------------ search */

static int hit_cmp(const void *a, const void *b)
{
    const cmp_hit_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->passage < y->passage ? -1 : x->passage > y->passage;
}

typedef struct qsorted {
    uint32_t id;
    uint32_t qi; /* index into the query array */
} qsorted_t;

static int qs_cmp(const void *a, const void *b)
{
    const qsorted_t *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Bonus for pairs of query words (different question positions, at most 3 apart in the
 * question) that occur within 4 positions of each other in the passage. */
static float proximity(const cmp_index_t *ix, const cmp_passage_t *p, const cmp_qterm_t *q,
                       const qsorted_t *qs, size_t nqs)
{
    enum { MAXOCC = 96 };
    uint32_t opos[MAXOCC], oq[MAXOCC];
    size_t no = 0;
    const uint32_t *pos = p->toks + p->n_toks;
    for (uint32_t i = 0; i < p->n_toks && no < MAXOCC; i++) {
        uint32_t t = p->toks[i];
        if (t == CMP_NOTERM)
            continue;
        size_t lo = 0, hi = nqs;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (qs[mid].id < t)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t k = lo; k < nqs && qs[k].id == t && no < MAXOCC; k++) {
            opos[no] = pos[i];
            oq[no] = qs[k].qi;
            no++;
        }
    }
    float bonus = 0;
    /* best (smallest) distance per query-position pair, accumulated once per pair */
    enum { MAXP = 32 };
    uint32_t pa[MAXP], pb[MAXP];
    float best[MAXP];
    size_t np = 0;
    for (size_t i = 0; i < no; i++) {
        for (size_t j = i + 1; j < no; j++) {
            uint32_t d = opos[j] - opos[i];
            if (d > 4)
                break;
            const cmp_qterm_t *a = &q[oq[i]], *b = &q[oq[j]];
            if (a->qpos == b->qpos || a->id == b->id)
                continue;
            uint32_t qa = a->qpos < b->qpos ? a->qpos : b->qpos;
            uint32_t qb = a->qpos < b->qpos ? b->qpos : a->qpos;
            if (qb - qa > 3)
                continue;
            float ia = cmp_index_idf(ix, a->id) * a->w, ib = cmp_index_idf(ix, b->id) * b->w;
            float v = (ia < ib ? ia : ib) / (float)(d ? d : 1);
            size_t k;
            for (k = 0; k < np; k++)
                if (pa[k] == qa && pb[k] == qb)
                    break;
            if (k == np) {
                if (np == MAXP)
                    continue;
                pa[np] = qa;
                pb[np] = qb;
                best[np++] = v;
            } else if (v > best[k]) {
                best[k] = v;
            }
        }
    }
    for (size_t k = 0; k < np; k++)
        bonus += best[k];
    return bonus;
}

size_t cmp_index_search(const cmp_index_t *ix, const cmp_qterm_t *q, size_t nq,
                        const cmp_search_opts_t *opts, cmp_hit_t *out, size_t max_out)
{
    if (ix == NULL || !ix->finished || nq == 0 || max_out == 0 || ix->n_psg == 0)
        return 0;
    cmp_search_opts_t o = {.doc = -1, .boost_doc = -1, .rerank = 100};
    if (opts)
        o = *opts;
    const cmp_bm25_params_t *pr = &ix->prm;
    float *acc = gf_xcalloc(ix->n_psg, sizeof *acc);
    uint32_t *touched = gf_xmalloc(ix->n_psg * sizeof *touched);
    uint8_t *mark = gf_xcalloc(ix->n_psg, 1); /* not acc == 0: a zero-weight term adds 0 */
    size_t nt = 0;
    for (size_t k = 0; k < nq; k++) {
        if (q[k].id >= ix->n_terms)
            continue;
        const plist_t *pl = &ix->post[q[k].id];
        float idf = ix->idf[q[k].id] * q[k].w;
        for (size_t i = 0; i < pl->n; i++) {
            const posting_t *po = &pl->p[i];
            const cmp_passage_t *p = &ix->psg[po->pid];
            float tf = (float)po->tf_body + pr->title_weight * (float)po->tf_ctx;
            float norm = pr->k1 * (1.0f - pr->b + pr->b * (float)p->len / (float)ix->avg_len);
            float s = idf * tf * (pr->k1 + 1.0f) / (tf + norm);
            if (!mark[po->pid]) {
                mark[po->pid] = 1;
                touched[nt++] = po->pid;
            }
            acc[po->pid] += s;
        }
    }
    cmp_hit_t *hits = gf_xmalloc((nt + 1) * sizeof *hits);
    size_t nh = 0;
    for (size_t i = 0; i < nt; i++) {
        uint32_t pid = touched[i];
        const cmp_passage_t *p = &ix->psg[pid];
        if (o.doc >= 0 && p->meta.doc != o.doc)
            continue;
        float s = acc[pid] * p->weight;
        if (o.boost_doc >= 0 && p->meta.doc == o.boost_doc)
            s *= o.boost_doc_factor;
        if (o.boost_unit && p->meta.kind != CMP_PSG_RECITAL && strcmp(p->label, o.boost_unit) == 0)
            s *= o.boost_unit_factor;
        hits[nh].passage = pid;
        hits[nh].bm25 = s;
        hits[nh].prox = 0;
        hits[nh].score = s;
        nh++;
    }
    qsort(hits, nh, sizeof *hits, hit_cmp);
    size_t nr = nh < o.rerank ? nh : o.rerank;
    if (nr > 0 && pr->prox_weight > 0) {
        qsorted_t *qs = gf_xmalloc(nq * sizeof *qs);
        size_t nqs = 0;
        for (size_t k = 0; k < nq; k++)
            if (q[k].id < ix->n_terms)
                qs[nqs++] = (qsorted_t){q[k].id, (uint32_t)k};
        qsort(qs, nqs, sizeof *qs, qs_cmp);
        for (size_t i = 0; i < nr; i++) {
            const cmp_passage_t *p = &ix->psg[hits[i].passage];
            float b = pr->prox_weight * proximity(ix, p, q, qs, nqs) * p->weight;
            hits[i].prox = b;
            hits[i].score = hits[i].bm25 + b;
        }
        free(qs);
        qsort(hits, nr, sizeof *hits, hit_cmp);
    }
    size_t n = nh < max_out ? nh : max_out;
    memcpy(out, hits, n * sizeof *out);
    free(hits);
    free(touched);
    free(mark);
    free(acc);
    return n;
}

typedef struct qcollect {
    const cmp_index_t *ix;
    cmp_qterm_t *q;
    size_t n, cap;
} qcollect_t;

static int qcollect_cb(void *ud, const cmp_token_t *t)
{
    qcollect_t *c = ud;
    cmp_qterm_t *qt = CMP__PUSH(c->q, c->n, c->cap);
    qt->id = cmp_index_term(c->ix, t->text);
    qt->w = 1.0f;
    qt->qpos = t->pos;
    qt->expansion = 0;
    return 0;
}

size_t cmp_index_search_text(const cmp_index_t *ix, const char *text, cmp_hit_t *out,
                             size_t max_out)
{
    cmp_analyzer_t *an = cmp_analyzer_new();
    if (an == NULL)
        return 0;
    qcollect_t c = {.ix = ix};
    cmp_analyze(an, text, strlen(text), 0, qcollect_cb, &c);
    cmp_analyzer_free(an);
    size_t n = cmp_index_search(ix, c.q, c.n, NULL, out, max_out);
    free(c.q);
    return n;
}
