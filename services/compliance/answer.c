/*
 * answer.c - the engine behind POST /v1/ask: validation, query analysis and expansion,
 * retrieval, article grouping, refusal decision, extractive answer with citations, amendment
 * notes, and the JSON of the result.
 *
 * The engine (corpus, index, compiled synonym table, amendment table) is immutable after
 * cmp_engine_new; every cmp_ask call owns its scratch (query arrays, hits, a stemmer).
 */
#include "answer.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jscan.h"
#include "core/sbuf.h"
#include "lex.h"
#include "synonyms.h"
#include "util.h"

/* ------------------------------------------------------------------ tuning (README.md) */

#define N_HITS 200      /* passages retrieved before grouping */
#define DOC_BOOST 1.35f /* the question names an act */
#define UNIT_BOOST 2.0f /* the question names "Article N" */
#define AGG_SECOND 0.25 /* article score = best passage + AGG_SECOND * second best */
#define MAX_PER_UNIT 2  /* citations per article */
/* Refusal (calibrated on the dev + extra sets, see README.md "Refusal"): refuse when the best
 * score < MIN_SCORE / 2, or coverage < MIN_COVERAGE, or (score < MIN_SCORE and coverage <
 * SHORT_COVERAGE); a question without any domain word needs a score of 2 * MIN_SCORE. */
#define MIN_COVERAGE 0.10
#define MIN_SCORE 12.0
#define SHORT_COVERAGE 0.60
#define MAX_ANSWER_SENTENCES 3
/* A word the corpus does not have counts as this share of the rarest word's idf in the
 * question's idf mass: operator words ("landlord", "pocket") should not sink coverage,
 * but entities the corpus lacks ("PJM", "sodium") must lower it. */
#define OOV_IDF_SHARE 0.5
#define COVERAGE_HITS 5
/* A question of at least LANG_MIN_WORDS words of which under LANG_MIN_KNOWN are English
 * (stop words, words of the acts, WordNet lemmas) is refused as unsupported_language. */
#define LANG_MIN_WORDS 3
/* WordNet expansions: weight scale (on lex.h's 0.5 / 0.25 per sense), related lemmas per
 * question word, expansion terms per question. */
#define WN_WEIGHT 0.8f
/* A best article that refers to a provision of another act yields to it when that provision
 * is among the first XREF_WITHIN - 1 other candidates. */
#define XREF_WITHIN 3
#define WN_MAX_PER_WORD 4
#define WN_MAX_TOTAL 24
/* Related lemmas below WN_MIN_REL are left out: chosen on the train + dev splits, this keeps
 * the synonyms of a word's most frequent sense (0.5); hypernyms and rarer senses added noise
 * ("O.K." for sanction, "accompany" for company). */
#define WN_MIN_REL 0.3f
#define LANG_MIN_KNOWN 0.5

/* Words that are part of how a question is asked, not of what it is about. Dropped from the
 * query (surface forms, before stemming). */
static const char *const FLUFF[] = {
    "eu",         "law",         "laws",      "legislation", "legal",   "directive", "directives",
    "regulation", "regulations", "article",   "articles",    "say",     "says",      "said",
    "ask",        "asks",        "tell",      "explain",     "mean",    "means",     "meant",
    "according",  "anything",    "something", "really",      "exactly", "actually",  "please",
    "thing",      "things",      "kind",      "know",        "want",    "need",      "needs",
    "rule",       "rules",       "allowed",   "got",         "get",     "gets",      "let",
    "lets",       "us",          "ok",        "okay",        "hi",      "hello",     "thanks",
    "quickest",   "best",        "way",       "ways",        "happen",  "happens",   "there",
    "anyone",     "someone",     "somebody",  "one",         "ones",
};

/* Stems of words that place a question inside energy law (used only to tell "off_topic"
 * from "no_evidence" when a question is refused). */
static const char *const DOMAIN[] = {
    "energi",       "electr",    "electric",   "power",
    "grid",         "gas",       "heat",       "cool",
    "meter",        "tariff",    "bill",       "supplier",
    "suppli",       "custom",    "consum",     "network",
    "transmiss",    "distribut", "market",     "effici",
    "renew",        "emiss",     "climat",     "audit",
    "build",        "cogener",   "storag",     "flexibl",
    "balanc",       "capac",     "congest",    "interconnector",
    "interconnect", "bid",       "regulatori", "regul",
    "member",       "commiss",   "oper",       "tso",
    "dso",          "batteri",   "solar",      "wind",
    "fuel",         "carbon",    "co2",        "ghg",
    "nuclear",      "coal",      "plant",      "generat",
    "load",         "demand",    "price",      "auction",
    "clear",        "mw",        "mwh",        "kwh",
    "gwh",          "tj",        "ton",        "directiv",
    "entso",        "acer",      "voltag",     "frequenc",
    "reserv",       "ancillari", "aggreg",     "prosum",
    "poverti",      "vulner",    "tenant",     "landlord",
    "insul",        "renov",     "district",   "boiler",
    "pump",         "vehicl",    "charg",      "recharg",
    "hydrogen",     "lng",       "pipelin",    "transport",
    "industri",     "enterpris", "sme",        "complianc",
    "oblig",        "report",    "plan",       "strategi",
    "target",       "union",
};

/* Words of a question about the history of a provision: only then may a deleted provision
 * be cited (marked deleted, never quoted as current law). */
static const char *const HISTORY_WORDS[] = {"deleted",    "delete",     "deletion",   "repealed",
                                            "removed",    "scrapped",   "abolished",  "dropped",
                                            "history",    "historical", "originally", "original",
                                            "previously", "formerly",   "still",      "amended",
                                            "amendment",  "amendments", "amending",   "anymore",
                                            "enacted",    "longer"};

static const char *const DEFINE_WORDS[] = {"mean",    "means",      "meaning", "define",
                                           "defined", "definition", "defines"};

/* A question that is about an act newer than every act in the corpus is answered "not in
 * corpus" (the corpus README: the 2023 recast EED and 2018/2002 are not included). */
static const char *const ACT_WORDS[] = {"directive", "regulation", "recast",  "eed",
                                        "act",       "amendment",  "amended", "version"};

/* ------------------------------------------------------------------ engine */

typedef struct syn_c {
    char (*when)[CMP_TOK_MAX]; /* stems of the trigger (matched as text: may be unknown) */
    size_t n_when;
    uint32_t *add;
    size_t n_add;
    float w;
} syn_c_t;

struct cmp_engine {
    cmp_corpus_t *corpus;
    cmp_index_t *index;
    syn_c_t *syn;
    size_t n_syn;
    cmp_amendments_t *am;
    uint8_t *psg_status;            /* cmp_status_t per passage */
    const cmp_amendment_t **psg_by; /* the deciding amendment per passage, or NULL */
    char **psg_current;             /* consolidated text of an amended passage, or NULL */
    int max_year;
    double build_s;
    uint8_t *title_term; /* 1 for terms of article/annex/chapter/section titles */
    cmp_lex_t *lex;      /* WordNet, or NULL */
    cmp_reranker_t *rr;  /* learned reranker, or NULL */
    cmp_refusal_model_t rf;
    int has_rf;
    int no_synonyms;
};

typedef struct stems {
    uint32_t *ids;
    size_t n, cap;
    const cmp_index_t *ix;
} stems_t;

static int stems_cb(void *ud, const cmp_token_t *t)
{
    stems_t *s = ud;
    *CMP__PUSH(s->ids, s->n, s->cap) = cmp_index_term(s->ix, t->text);
    return 0;
}

typedef struct wstems {
    char (*s)[CMP_TOK_MAX];
    size_t n, cap;
} wstems_t;

static int wstems_cb(void *ud, const cmp_token_t *t)
{
    wstems_t *w = ud;
    memcpy(*CMP__PUSH(w->s, w->n, w->cap), t->text, t->len + 1);
    return 0;
}

static void mark_title(cmp_engine_t *e, cmp_analyzer_t *an, const char *t)
{
    if (t == NULL)
        return;
    stems_t s = {.ix = e->index};
    cmp_analyze(an, t, strlen(t), 0, stems_cb, &s);
    for (size_t i = 0; i < s.n; i++)
        if (s.ids[i] != CMP_NOTERM)
            e->title_term[s.ids[i]] = 1;
    free(s.ids);
}

/* Title words of the acts are the vocabulary of the domain ("adequacy", "metering",
 * "cogeneration"): a question that uses none of them (nor a DOMAIN stem) is off-topic. */
static void mark_titles(cmp_engine_t *e, cmp_analyzer_t *an)
{
    e->title_term = gf_xcalloc(cmp_index_n_terms(e->index) + 1, 1);
    const cmp_corpus_t *c = e->corpus;
    for (size_t d = 0; d < c->n_docs; d++) {
        const cmp_doc_t *doc = &c->docs[d];
        for (size_t a = 0; a < doc->n_articles; a++) {
            const cmp_unit_t *u = &doc->articles[a];
            if (strncasecmp(u->title, "Amendment", 9) == 0)
                continue; /* "Amendments to Directive ..." titles carry no topic */
            mark_title(e, an, u->title);
            mark_title(e, an, u->chapter);
            mark_title(e, an, u->section);
        }
        for (size_t a = 0; a < doc->n_annexes; a++)
            if (!doc->annexes[a].correlation)
                mark_title(e, an, doc->annexes[a].title);
    }
    /* generic title words that say nothing about the domain */
    static const char *const GENERIC[] =
        {"gener",   "provis",    "final",      "scope",   "subject", "matter",    "definit",
         "entri",   "forc",      "addresse",   "review",  "repeal",  "procedur",  "committe",
         "exercis", "deleg",     "transposit", "amend",   "commiss", "object",    "principl",
         "task",    "role",      "cooper",     "inform",  "public",  "other",     "certain",
         "measur",  "chapter",   "section",    "titl",    "part",    "articl",    "annex",
         "transit", "minimum",   "requir",     "rule",    "right",   "make",      "work",
         "play",    "recommend", "level",      "field",   "new",     "use",       "set",
         "time",    "year",      "good",       "support", "way",     "establish", "mission"};
    for (size_t i = 0; i < sizeof GENERIC / sizeof GENERIC[0]; i++) {
        uint32_t id = cmp_index_term(e->index, GENERIC[i]);
        if (id != CMP_NOTERM)
            e->title_term[id] = 0;
    }
}

static void compile_synonyms(cmp_engine_t *e, cmp_analyzer_t *an)
{
    size_t n = sizeof CMP_SYNONYMS / sizeof CMP_SYNONYMS[0];
    e->syn = gf_xcalloc(n, sizeof *e->syn);
    for (size_t i = 0; i < n; i++) {
        wstems_t w = {0};
        stems_t a = {.ix = e->index};
        cmp_analyze(an, CMP_SYNONYMS[i].when, strlen(CMP_SYNONYMS[i].when), 0, wstems_cb, &w);
        cmp_analyze(an, CMP_SYNONYMS[i].add, strlen(CMP_SYNONYMS[i].add), 0, stems_cb, &a);
        /* expansions keep only words the corpus has */
        size_t k = 0;
        for (size_t j = 0; j < a.n; j++)
            if (a.ids[j] != CMP_NOTERM)
                a.ids[k++] = a.ids[j];
        a.n = k;
        if (w.n == 0 || a.n == 0) {
            free(w.s);
            free(a.ids);
            continue;
        }
        syn_c_t *s = &e->syn[e->n_syn++];
        s->when = w.s;
        s->n_when = w.n;
        s->add = a.ids;
        s->n_add = a.n;
        s->w = CMP_SYNONYMS[i].w;
    }
}

/* The status of every passage (in force, amended, deleted) and its text as it stands, from
 * the parsed amendments. A passage whose items are all deleted (points of a deleted
 * subparagraph, a deleted point) is deleted though its paragraph is only amended. */
static void passage_status(cmp_engine_t *e)
{
    size_t np = cmp_index_n_passages(e->index);
    e->psg_status = gf_xcalloc(np + 1, 1);
    e->psg_by = gf_xcalloc(np + 1, sizeof *e->psg_by);
    e->psg_current = gf_xcalloc(np + 1, sizeof *e->psg_current);
    for (uint32_t k = 0; k < np; k++) {
        const cmp_passage_t *ps = cmp_index_passage(e->index, k);
        const cmp_psg_meta_t *m = &ps->meta;
        if (m->kind != CMP_PSG_ARTICLE && m->kind != CMP_PSG_ANNEX)
            continue;
        e->psg_status[k] = (uint8_t)cmp_amend_status(e->am, m->doc, ps->label, m->para_num,
                                                     m->point, &e->psg_by[k]);
        if (e->psg_status[k] != CMP_ST_AMENDED)
            continue;
        const cmp_doc_t *d = &e->corpus->docs[m->doc];
        const cmp_unit_t *u = m->kind == CMP_PSG_ARTICLE ? &d->articles[m->unit]
                                                         : &d->annexes[m->unit];
        const cmp_para_t *p = &u->paras[m->para];
        char **owned = NULL;
        size_t n_owned = 0;
        const char **fate = cmp_amend_para_fate(e->am, m->doc, ps->label, p, &owned, &n_owned);
        if (fate != NULL) {
            int gone = 1;
            for (uint32_t i = m->item_from; i < m->item_to && i < p->n_items; i++)
                gone &= fate[i] != NULL && fate[i][0] == '\0';
            char *was = cmp_para_text(p, m->item_from, m->item_to);
            char *now = cmp_para_text_with(p, m->item_from, m->item_to, fate);
            size_t tl = strlen(ps->text), wl = strlen(was);
            if (gone) {
                e->psg_status[k] = CMP_ST_DELETED;
                for (size_t a = 0; a < e->am->n; a++) {
                    const cmp_amendment_t *am = &e->am->a[a];
                    if (am->action == CMP_AM_DELETED && am->target_doc == m->doc &&
                        strcmp(am->unit, ps->label) == 0 && strcmp(am->para, m->para_num) == 0) {
                        e->psg_by[k] = am;
                        break;
                    }
                }
            } else if (strcmp(was, now) != 0 && tl >= wl) {
                /* keep the passage's own prefix ("5. [...]") */
                gf_sbuf_t b = {0};
                gf_sbuf_add(&b, ps->text, tl - wl);
                gf_sbuf_adds(&b, now);
                e->psg_current[k] = gf_sbuf_take(&b);
            }
            free(was);
            free(now);
        }
        cmp_amend_fate_free(fate, owned, n_owned);
    }
}

/* The passage of the amending article that holds amendment a's instruction (its top-level
 * point), or UINT32_MAX. */
static uint32_t amending_passage(const cmp_engine_t *e, const cmp_amendment_t *a)
{
    char top[16];
    size_t k = 0;
    while (a->by_point[k] && (k == 0 || a->by_point[k] != '(') && k < sizeof top - 1)
        k++;
    snprintf(top, sizeof top, "%.*s", (int)k, a->by_point);
    uint32_t found = UINT32_MAX;
    size_t np = cmp_index_n_passages(e->index);
    for (uint32_t i = 0; i < np; i++) {
        const cmp_passage_t *ps = cmp_index_passage(e->index, i);
        if (ps->meta.kind == CMP_PSG_ARTICLE && ps->meta.doc == a->by_doc &&
            ps->meta.unit == a->by_unit && ps->meta.para == a->by_para) {
            if (found == UINT32_MAX || strcmp(ps->meta.point, top) == 0)
                found = i;
        }
    }
    return found;
}

cmp_engine_t *cmp_engine_new(const char *corpus_dir, gf_err_t *err)
{
    return cmp_engine_new_opts(corpus_dir, NULL, err);
}

cmp_engine_t *cmp_engine_new_opts(const char *corpus_dir, const cmp_engine_opts_t *o, gf_err_t *err)
{
    double t0 = cmp__now();
    cmp_corpus_t *c = cmp_corpus_load(corpus_dir, err);
    if (c == NULL)
        return NULL;
    cmp_index_t *ix = cmp_index_build(c, o ? o->bm25 : NULL, err);
    if (ix == NULL) {
        cmp_corpus_free(c);
        return NULL;
    }
    cmp_analyzer_t *an = cmp_analyzer_new();
    if (an == NULL) {
        cmp_index_free(ix);
        cmp_corpus_free(c);
        gf_err_set(err, GF_EINTERNAL, "stemmer_unavailable", "cannot create the English stemmer");
        return NULL;
    }
    cmp_engine_t *e = gf_xcalloc(1, sizeof *e);
    e->corpus = c;
    e->index = ix;
    e->no_synonyms = o && o->no_synonyms;
    {
        char path[4200];
        const char *m = o && o->rerank_model ? o->rerank_model : NULL;
        if (m == NULL) {
            snprintf(path, sizeof path, "%s/../model/rerank.json", corpus_dir);
            m = path;
        }
        if (m[0]) {
            gf_err_t rerr = {0};
            e->rr = cmp_reranker_load(m, &rerr); /* optional: without it, BM25F order */
            gf_err_cleanup(&rerr);
        }
    }
    {
        char path[4200];
        const char *m = o && o->refusal_model ? o->refusal_model : NULL;
        if (m == NULL) {
            snprintf(path, sizeof path, "%s/../model/refusal.json", corpus_dir);
            m = path;
        }
        gf_err_t rerr = {0};
        e->has_rf = m[0] && cmp_refusal_model_load(m, &e->rf, &rerr) == 0;
        gf_err_cleanup(&rerr);
    }
    const char *wn = o && o->wordnet_dir ? o->wordnet_dir : CMP_WORDNET_DIR;
    if (wn[0]) {
        gf_err_t lerr = {0};
        e->lex = cmp_lex_load(wn, &lerr); /* optional: without it, no WordNet expansion */
        gf_err_cleanup(&lerr);
    }
    if (!e->no_synonyms)
        compile_synonyms(e, an);
    mark_titles(e, an);
    cmp_analyzer_free(an);
    e->am = cmp_amendments_parse(c);
    passage_status(e);
    for (size_t d = 0; d < c->n_docs; d++) {
        int y = atoi(c->docs[d].number);
        if (y > e->max_year)
            e->max_year = y;
    }
    e->build_s = cmp__now() - t0;
    return e;
}

void cmp_engine_free(cmp_engine_t *e)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < e->n_syn; i++) {
        free(e->syn[i].when);
        free(e->syn[i].add);
    }
    free(e->syn);
    cmp_lex_free(e->lex);
    cmp_reranker_free(e->rr);
    cmp_amendments_free(e->am);
    for (size_t i = 0; e->psg_current && i < cmp_index_n_passages(e->index); i++)
        free(e->psg_current[i]);
    free(e->psg_current);
    free(e->psg_status);
    free(e->psg_by);
    free(e->title_term);
    cmp_index_free(e->index);
    cmp_corpus_free(e->corpus);
    free(e);
}

const cmp_corpus_t *cmp_engine_corpus(const cmp_engine_t *e)
{
    return e->corpus;
}

int cmp_engine_refusal_model(const cmp_engine_t *e)
{
    return e->has_rf;
}

static int rf_array(json_t *o, const char *key, double *out, size_t n)
{
    json_t *a = json_object_get(o, key);
    if (!json_is_array(a) || json_array_size(a) != n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_number(v))
            return -1;
        out[i] = json_number_value(v);
    }
    return 0;
}

int cmp_refusal_model_load(const char *path, cmp_refusal_model_t *m, gf_err_t *err)
{
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    if (o == NULL)
        return gf_err_set(err, GF_ENOTFOUND, "refusal_model_missing", "cannot read %s: %s", path,
                          je.text);
    json_t *b = json_object_get(o, "b"), *t = json_object_get(o, "threshold");
    int bad = rf_array(o, "mean", m->mean, CMP_RF_NFEAT) ||
              rf_array(o, "sd", m->sd, CMP_RF_NFEAT) || rf_array(o, "w", m->w, CMP_RF_NFEAT) ||
              !json_is_number(b) || !json_is_number(t);
    if (!bad) {
        m->b = json_number_value(b);
        m->threshold = json_number_value(t);
        for (size_t i = 0; i < CMP_RF_NFEAT; i++)
            bad |= !(m->sd[i] > 0);
    }
    json_decref(o);
    if (bad)
        return gf_err_set(err, GF_EINVAL, "refusal_model_invalid",
                          "%s: want mean, sd (> 0), w (%d numbers each), b, threshold", path,
                          CMP_RF_NFEAT);
    return 0;
}

int cmp_refusal_model_save(const char *path, const cmp_refusal_model_t *m, gf_err_t *err)
{
    json_t *o = json_object(), *mean = json_array(), *sd = json_array(), *w = json_array();
    for (size_t i = 0; i < CMP_RF_NFEAT; i++) {
        json_array_append_new(mean, json_real(m->mean[i]));
        json_array_append_new(sd, json_real(m->sd[i]));
        json_array_append_new(w, json_real(m->w[i]));
    }
    json_object_set_new(o, "features",
                        json_string("log1p(top score), coverage, domain word, share of words "
                                    "unknown to the acts, reranker score of the best article, "
                                    "content words, best article's coverage, its title coverage"));
    json_object_set_new(o, "mean", mean);
    json_object_set_new(o, "sd", sd);
    json_object_set_new(o, "w", w);
    json_object_set_new(o, "b", json_real(m->b));
    json_object_set_new(o, "threshold", json_real(m->threshold));
    int rc = json_dump_file(o, path, JSON_INDENT(1)) == 0
                 ? 0
                 : gf_err_set(err, GF_EINTERNAL, "write_failed", "cannot write %s", path);
    json_decref(o);
    return rc;
}

double cmp_refusal_model_p(const cmp_refusal_model_t *m, const double *x)
{
    double z = m->b;
    for (size_t i = 0; i < CMP_RF_NFEAT; i++)
        z += m->w[i] * (x[i] - m->mean[i]) / m->sd[i];
    return 1.0 / (1.0 + exp(-z));
}

int cmp_engine_reranker(const cmp_engine_t *e)
{
    return e->rr != NULL;
}

int cmp_engine_wordnet(const cmp_engine_t *e)
{
    return e->lex != NULL;
}

const cmp_amendments_t *cmp_engine_amendments(const cmp_engine_t *e)
{
    return e->am;
}

const cmp_index_t *cmp_engine_index(const cmp_engine_t *e)
{
    return e->index;
}

double cmp_engine_build_seconds(const cmp_engine_t *e)
{
    return e->build_s;
}

/* ------------------------------------------------------------------ query analysis */

typedef struct qword {
    char surface[CMP_TOK_MAX];
    char stem[CMP_TOK_MAX];
    uint32_t id, pos;
    int stop;
} qword_t;

typedef struct qctx {
    cmp_analyzer_t *an;
    qword_t *w;
    size_t n, cap;
} qctx_t;

static int is_in(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w, list[i]) == 0)
            return 1;
    return 0;
}

static int qword_cb(void *ud, const cmp_token_t *t)
{
    qctx_t *c = ud;
    if (c->n >= 256)
        return 1; /* long questions: the first 256 words are plenty */
    qword_t *q = CMP__PUSH(c->w, c->n, c->cap);
    memset(q, 0, sizeof *q);
    memcpy(q->surface, t->text, t->len + 1);
    q->pos = t->pos;
    if (t->kind == CMP_TOK_WORD && t->alpha) {
        q->stop = cmp_is_stopword(t->text) || is_in(t->text, FLUFF, sizeof FLUFF / sizeof FLUFF[0]);
        cmp_stem(c->an, t->text, t->len, q->stem);
    } else {
        memcpy(q->stem, t->text, t->len + 1);
    }
    return 0;
}

/* ------------------------------------------------------------------ helpers */

static int doc_index(const cmp_corpus_t *c, const cmp_doc_t *d)
{
    return d ? (int)(d - c->docs) : -1;
}

/* Which act the question names, if any ("efficiency directive", "2019/944", "EED"). */
static int mentioned_doc(const cmp_engine_t *e, const char *lq)
{
    static const struct {
        const char *pat, *id;
    } PAT[] = {
        {"efficiency directive", "32012L0027"},
        {"eed", "32012L0027"},
        {"2012/27", "32012L0027"},
        {"electricity directive", "32019L0944"},
        {"2019/944", "32019L0944"},
        {"electricity regulation", "32019R0943"},
        {"2019/943", "32019R0943"},
        {"governance regulation", "32018R1999"},
        {"2018/1999", "32018R1999"},
        {"governance of the energy union", "32018R1999"},
    };
    for (size_t i = 0; i < sizeof PAT / sizeof PAT[0]; i++) {
        const char *p = strstr(lq, PAT[i].pat);
        if (p == NULL)
            continue;
        size_t l = strlen(PAT[i].pat);
        if ((p > lq && isalnum((unsigned char)p[-1])) || isalnum((unsigned char)p[l]))
            continue;
        return doc_index(e->corpus, cmp_corpus_find_doc(e->corpus, PAT[i].id));
    }
    return -1;
}

/* "Article 7" / "Annex XIV" named in the question → the label to boost. */
static int mentioned_article(const char *lq, char *out, size_t outsz)
{
    const char *p = strstr(lq, "article ");
    if (p != NULL) {
        p += 8;
        size_t k = 0;
        while (isdigit((unsigned char)p[k]) && k < 4)
            k++;
        if (k > 0) {
            if (p[k] >= 'a' && p[k] <= 'c' && !isalpha((unsigned char)p[k + 1]))
                k++;
            snprintf(out, outsz, "Article %.*s", (int)k, p);
            return 1;
        }
    }
    p = strstr(lq, "annex ");
    if (p != NULL) {
        p += 6;
        size_t k = strspn(p, "ivxlc");
        if (k > 0 && k < 8 && !isalpha((unsigned char)p[k])) {
            char r[8];
            for (size_t i = 0; i < k; i++)
                r[i] = (char)toupper((unsigned char)p[i]);
            snprintf(out, outsz, "Annex %.*s", (int)k, r);
            return 1;
        }
    }
    return 0;
}

/* The question names an act newer than the corpus: "2023/1791", "2023 recast", "recast
 * efficiency directive of 2023". */
static int newer_act(const cmp_engine_t *e, const qword_t *w, size_t n)
{
    int act = 0, newer = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_in(w[i].surface, ACT_WORDS, sizeof ACT_WORDS / sizeof ACT_WORDS[0]))
            act = 1;
        const char *s = w[i].surface;
        if (strlen(s) >= 4 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
            isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) &&
            (s[4] == '\0' || s[4] == '/')) {
            int y = atoi(s);
            if (y > e->max_year && y < 2100) {
                int second = s[4] == '/' ? atoi(s + 5) : 0;
                int period = second == y + 1 || second == (y + 1) % 100;
                if (s[4] == '/' && !period)
                    act = newer = 1; /* an act number such as 2023/1791 */
                else if (s[4] == '/')
                    ; /* "2025/2026" is a period */
                else if (i > 0 && is_in(w[i - 1].surface, ACT_WORDS, 8))
                    newer = 1;
                else if (i + 1 < n && is_in(w[i + 1].surface, ACT_WORDS, 8))
                    newer = 1;
                else if (i > 1 && strcmp(w[i - 1].surface, "of") == 0 &&
                         is_in(w[i - 2].surface, ACT_WORDS, 8))
                    newer = 1;
            }
        }
    }
    return act && newer;
}

/* An all-capitals word of the question ("PJM", "FERC") that the corpus does not contain and
 * the synonym table does not know: the question is about something the acts do not cover.
 * Writes the word to out and returns 1. */
static int unknown_acronym(const cmp_engine_t *e, cmp_analyzer_t *an, const char *q, size_t len,
                           char *out, size_t outsz)
{
    size_t i = 0;
    while (i < len) {
        if (!isupper((unsigned char)q[i]) || (i > 0 && isalnum((unsigned char)q[i - 1]))) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && (isupper((unsigned char)q[j]) || isdigit((unsigned char)q[j])))
            j++;
        int word_end = j >= len || !isalpha((unsigned char)q[j]) || q[j] == 's';
        if (j - i >= 2 && j - i < 16 && word_end) {
            char w[16], st[CMP_TOK_MAX];
            for (size_t k = 0; k < j - i; k++)
                w[k] = (char)tolower((unsigned char)q[i + k]);
            w[j - i] = '\0';
            cmp_stem(an, w, j - i, st);
            int known = cmp_index_term(e->index, st) != CMP_NOTERM ||
                        cmp_index_term(e->index, w) != CMP_NOTERM || cmp_is_stopword(w);
            for (size_t s = 0; s < e->n_syn && !known; s++)
                known = e->syn[s].n_when == 1 &&
                        (strcmp(e->syn[s].when[0], st) == 0 || strcmp(e->syn[s].when[0], w) == 0);
            /* Roman numerals ("Annex IX") are structure, not entities */
            int roman = strspn(w, "ivxlc") == strlen(w);
            if (!known && !roman) {
                snprintf(out, outsz, "%s", w);
                for (char *c = out; *c; c++)
                    *c = (char)toupper((unsigned char)*c);
                return 1;
            }
        }
        i = j + 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ sentences */

typedef struct sent {
    const char *s;
    size_t n;
    double score;
    int cit; /* citation index */
} sent_t;

typedef struct sscore {
    const cmp_index_t *ix;
    const cmp_qterm_t *q;
    size_t nq;
    uint8_t *seen;
    double score;
    size_t nwords;
} sscore_t;

static int sscore_cb(void *ud, const cmp_token_t *t)
{
    sscore_t *s = ud;
    s->nwords++;
    uint32_t id = cmp_index_term(s->ix, t->text);
    if (id == CMP_NOTERM)
        return 0;
    for (size_t k = 0; k < s->nq; k++) {
        if (s->q[k].id == id && !s->seen[k]) {
            s->seen[k] = 1;
            s->score += cmp_index_idf(s->ix, id) * s->q[k].w;
        }
    }
    return 0;
}

static double sentence_score(const cmp_index_t *ix, cmp_analyzer_t *an, const cmp_qterm_t *q,
                             size_t nq, const char *s, size_t n)
{
    uint8_t seen[256] = {0};
    sscore_t sc = {ix, q, nq < 256 ? nq : 256, seen, 0, 0};
    cmp_analyze(an, s, n, 0, sscore_cb, &sc);
    if (sc.nwords < 3)
        return 0;
    /* mild preference for compact sentences */
    return sc.score / (1.0 + 0.004 * (double)sc.nwords);
}

/* Split passage text into sentences: lines, then ". " / "; " followed by an upper-case
 * letter or a point label. */
static size_t split_sentences(const char *t, sent_t *out, size_t max, int cit)
{
    size_t n = 0;
    const char *start = t;
    for (const char *p = t;; p++) {
        int end = *p == '\0' || *p == '\n';
        if (!end && (p[0] == '.' || p[0] == ';') && p[1] == ' ' &&
            (isupper((unsigned char)p[2]) || p[2] == '(') && p - start > 40) {
            /* not after abbreviations like "No." or "p." */
            if (!(p - start >= 2 && (strncmp(p - 2, "No", 2) == 0 || p[-1] == 'p'))) {
                p++;
                end = 2;
            }
        }
        if (end) {
            const char *e = end == 2 ? p : p;
            while (start < e && (*start == ' '))
                start++;
            if (e > start && n < max) {
                out[n].s = start;
                out[n].n = (size_t)(e - start);
                out[n].score = 0;
                out[n].cit = cit;
                n++;
            }
            if (*p == '\0')
                break;
            start = p + 1;
        }
    }
    return n;
}

/* ------------------------------------------------------------------ ask */

static void fill_citation(const cmp_engine_t *e, cmp_citation_t *c, int id, uint32_t pid,
                          double score)
{
    const cmp_passage_t *p = cmp_index_passage(e->index, pid);
    const cmp_doc_t *d = &e->corpus->docs[p->meta.doc];
    c->id = id;
    c->passage = pid;
    c->document = d->celex;
    c->doc_name = d->name;
    c->article = p->label;
    c->paragraph = p->meta.para_num[0] ? p->meta.para_num : NULL;
    c->point = p->meta.point[0] ? p->meta.point : NULL;
    c->ref = p->ref;
    c->title = "";
    if (p->meta.kind == CMP_PSG_ARTICLE)
        c->title = d->articles[p->meta.unit].title;
    else if (p->meta.kind == CMP_PSG_ANNEX)
        c->title = d->annexes[p->meta.unit].title;
    c->text = e->psg_current[pid] ? e->psg_current[pid] : p->text;
    c->enacted = e->psg_current[pid] ? p->text : NULL;
    c->score = score;
    c->amendment = 0;
    c->status = e->psg_status[pid];
    const cmp_amendment_t *by = e->psg_by[pid];
    c->status_by = by ? by->by_ref : NULL;
    c->status_from = by && by->applies_from[0] ? by->applies_from : NULL;
}

typedef struct unit_rank {
    int doc;
    const char *label;
    double best, second, score;
    size_t first_hit, n_hits;
    float rr; /* reranker score */
} unit_rank_t;

/* by reranker score, then by the BM25F order it came in (first_hit) */
static int unit_rr_cmp(const void *a, const void *b)
{
    const unit_rank_t *x = a, *y = b;
    if (x->rr != y->rr)
        return x->rr < y->rr ? 1 : -1;
    return x->first_hit < y->first_hit ? -1 : x->first_hit > y->first_hit;
}

static const char *const FINAL_WORDS[] = {"transpose", "transposed", "transposition", "force",
                                          "repeal",    "repealed",   "repeals",       "replaced",
                                          "replace",   "deadline",   "effective",     "apply",
                                          "applies",   "scrap",      "scrapped",      "national"};

/* Features of the best nc candidate units (rerank.h, README "Learned ranking"). */
static void unit_features(const cmp_engine_t *e, cmp_analyzer_t *an, const qword_t *qw, size_t nqw,
                          const cmp_qterm_t *qt, size_t nqt, size_t n_orig, double q_idf,
                          const cmp_hit_t *hits, size_t nh, const unit_rank_t *units, size_t nc,
                          const cmp_search_opts_t *so, float *x)
{
    const cmp_index_t *ix = e->index;
    int final_q = 0;
    for (size_t i = 0; i < nqw; i++)
        final_q |= is_in(qw[i].surface, FINAL_WORDS, sizeof FINAL_WORDS / sizeof FINAL_WORDS[0]);
    double exp_mass = 0;
    for (size_t k = n_orig; k < nqt; k++)
        exp_mass += qt[k].w * cmp_index_idf(ix, qt[k].id);
    for (size_t u = 0; u < nc; u++) {
        float *f = x + u * CMP_RR_NFEAT;
        const unit_rank_t *ur = &units[u];
        const cmp_hit_t *h = &hits[ur->first_hit];
        const cmp_passage_t *p = cmp_index_passage(ix, h->passage);
        const cmp_doc_t *d = &e->corpus->docs[ur->doc];
        const cmp_unit_t *cu = p->meta.kind == CMP_PSG_ARTICLE ? &d->articles[p->meta.unit]
                                                               : &d->annexes[p->meta.unit];
        double cov = 0, tcov = 0, ecov = 0;
        for (size_t k = 0; k < nqt; k++) {
            if (qt[k].id == CMP_NOTERM || !cmp_index_passage_has(ix, h->passage, qt[k].id))
                continue;
            if (k < n_orig)
                cov += cmp_index_idf(ix, qt[k].id);
            else
                ecov += qt[k].w * cmp_index_idf(ix, qt[k].id);
        }
        stems_t ts = {.ix = ix};
        cmp_analyze(an, cu->title, strlen(cu->title), 0, stems_cb, &ts);
        for (size_t k = 0; k < n_orig; k++)
            for (size_t t = 0; t < ts.n; t++)
                if (ts.ids[t] == qt[k].id && qt[k].id != CMP_NOTERM) {
                    tcov += cmp_index_idf(ix, qt[k].id);
                    break;
                }
        free(ts.ids);
        size_t nhits = 0;
        for (size_t i = 0; i < nh; i++) {
            const cmp_passage_t *q = cmp_index_passage(ix, hits[i].passage);
            nhits += q->meta.doc == ur->doc && strcmp(q->label, ur->label) == 0;
        }
        const char *t = cu->title;
        f[0] = (float)ur->score;
        f[1] = (float)ur->best;
        f[2] = (float)ur->second;
        f[3] = (float)u;
        f[4] = units[0].score > 0 ? (float)(ur->score / units[0].score) : 0;
        f[5] = h->prox;
        f[6] = q_idf > 0 ? (float)(cov / q_idf) : 0;
        f[7] = q_idf > 0 ? (float)(tcov / q_idf) : 0;
        f[8] = exp_mass > 0 ? (float)(ecov / exp_mass) : 0;
        f[9] = p->meta.kind == CMP_PSG_ANNEX;
        f[10] = strncmp(t, "Definitions", 11) == 0;
        f[11] = (float)cmp_amend_status(e->am, ur->doc, ur->label, "", "", NULL);
        f[12] = strstr(t, "mendment") != NULL;
        f[13] = so->boost_doc >= 0 && so->boost_doc == ur->doc;
        f[14] = so->boost_unit != NULL && strcmp(so->boost_unit, ur->label) == 0;
        f[15] = (float)nhits;
        f[16] = (float)n_orig;
        f[17] = strstr(t, "Entry into force") || strstr(t, "Transposition") ||
                strstr(t, "Repeal") || strstr(t, "repeal") || strstr(t, "Addressees");
        f[18] = (float)final_q;
    }
}

static int unit_cmp(const void *a, const void *b)
{
    const unit_rank_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->first_hit < y->first_hit ? -1 : x->first_hit > y->first_hit;
}

static void note_expansion(const cmp_engine_t *e, cmp_answer_t *out, const char *word,
                           uint32_t term, float w, const char *source)
{
    if (out->n_expansions >= 64)
        return;
    if (out->expansions == NULL)
        out->expansions = gf_xcalloc(64, sizeof *out->expansions);
    cmp_expansion_t *x = &out->expansions[out->n_expansions++];
    snprintf(x->word, sizeof x->word, "%.31s", word);
    snprintf(x->term, sizeof x->term, "%.31s", cmp_index_term_text(e->index, term));
    /* never end inside a UTF-8 sequence */
    for (char *f = x->word; f; f = f == x->word ? x->term : NULL) {
        size_t n = strlen(f);
        while (n > 0 && ((unsigned char)f[n - 1] & 0x80)) {
            size_t k = n - 1;
            while (k > 0 && ((unsigned char)f[k] & 0xC0) == 0x80)
                k--;
            unsigned char c = (unsigned char)f[k];
            size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            if (n - k == need)
                break;
            f[k] = '\0';
            n = k;
        }
    }
    x->w = w;
    x->source = source;
}

static void refuse(cmp_answer_t *out, const char *reason, const char *msg)
{
    out->refused = 1;
    out->reason = reason;
    out->reason_message = gf_xstrdup(msg);
    free(out->answer);
    out->answer = NULL;
    out->n_citations = 0;
}

/* The working state of one question, handed from phase to phase of cmp_ask. */
typedef struct ask {
    const cmp_engine_t *e;
    cmp_answer_t *out;
    cmp_analyzer_t *an;
    char *lq;        /* the question in lower case */
    qctx_t qc;       /* its words */
    cmp_qterm_t *qt; /* query terms: the question's own (n_orig first), then expansions */
    size_t nqt, cap_qt, n_orig;
    double q_idf;        /* idf mass of the question's own words */
    int domain;          /* a word of the energy domain or of an act's title */
    char unit_label[32]; /* "Article N" the question names */
    cmp_search_opts_t so;
    cmp_hit_t *hits; /* passages retrieved, best first */
    size_t nh;
    unit_rank_t *units; /* the articles / annexes of the hits, best first */
    size_t nu;
    float best_rr; /* the reranker's best score (a feature of the refusal decision) */
} ask_t;

/* unit_features of the first n candidate units of aq. */
static void ask_unit_features(const ask_t *aq, size_t n, float *x)
{
    unit_features(aq->e, aq->an, aq->qc.w, aq->qc.n, aq->qt, aq->nqt, aq->n_orig, aq->q_idf,
                  aq->hits, aq->nh, aq->units, n, &aq->so, x);
}

/* The question and its options: 0 with *top_k_out and *filter_doc_out (-1: every act) set, or
 * GF_EINVAL / GF_ENOTFOUND with err set. */
static int ask_validate(const cmp_engine_t *e, const char *q, size_t len,
                        const cmp_ask_opts_t *opts, int *top_k_out, int *filter_doc_out,
                        gf_err_t *err)
{
    if (e == NULL)
        return gf_err_set(err, GF_EINVAL, "invalid_argument", "no engine");
    if (q == NULL || len == 0)
        return gf_err_set(err, GF_EINVAL, "empty_question", "the question is empty");
    if (len > CMP_QUESTION_MAX)
        return gf_err_set(err, GF_EINVAL, "question_too_long",
                          "the question is %zu bytes; at most %d bytes are accepted", len,
                          CMP_QUESTION_MAX);
    if (!gf_utf8_valid(q, len))
        return gf_err_set(err, GF_EINVAL, "invalid_utf8",
                          "the question is not valid UTF-8 text (or contains NUL bytes)");
    int blank = 1;
    for (size_t i = 0; i < len && blank; i++)
        blank = isspace((unsigned char)q[i]) != 0;
    if (blank)
        return gf_err_set(err, GF_EINVAL, "empty_question", "the question is empty");
    int top_k = opts && opts->top_k ? opts->top_k : CMP_TOPK_DEFAULT;
    if (top_k < 1 || top_k > CMP_TOPK_MAX)
        return gf_err_set(err, GF_EINVAL, "invalid_top_k", "top_k must be between 1 and %d",
                          CMP_TOPK_MAX);
    int filter_doc = -1;
    if (opts && opts->document && opts->document[0]) {
        filter_doc = doc_index(e->corpus, cmp_corpus_find_doc(e->corpus, opts->document));
        if (filter_doc < 0)
            return gf_err_set(err, GF_ENOTFOUND, "unknown_document",
                              "document '%.64s' is not in the corpus", opts->document);
    }
    *top_k_out = top_k;
    *filter_doc_out = filter_doc;
    return 0;
}

/* Query terms: the question's content words (their idf mass, whether one is of the energy
 * domain). */
static void ask_terms(ask_t *aq)
{
    const cmp_engine_t *e = aq->e;
    const cmp_index_t *ix = aq->e->index;
    for (size_t i = 0; i < aq->qc.n; i++) {
        qword_t *w = &aq->qc.w[i];
        w->id = cmp_index_term(ix, w->stem);
        if (w->stop)
            continue;
        if (is_in(w->stem, DOMAIN, sizeof DOMAIN / sizeof DOMAIN[0]) ||
            is_in(w->surface, DOMAIN, sizeof DOMAIN / sizeof DOMAIN[0]) ||
            (w->id != CMP_NOTERM && e->title_term[w->id] && !isdigit((unsigned char)w->stem[0]))) {
            aq->domain = 1;
        }
        int dup = 0;
        for (size_t k = 0; k < aq->nqt; k++)
            if (!aq->qt[k].expansion && aq->qt[k].id == w->id && w->id != CMP_NOTERM)
                dup = 1;
        if (dup)
            continue;
        /* idf mass of the question: unknown words count as the rarest words */
        aq->q_idf += w->id == CMP_NOTERM ? OOV_IDF_SHARE * cmp_index_idf_max(ix)
                                         : cmp_index_idf(ix, w->id);
        cmp_qterm_t *t = CMP__PUSH(aq->qt, aq->nqt, aq->cap_qt);
        *t = (cmp_qterm_t){.id = w->id, .w = 1.0f, .qpos = w->pos, .expansion = 0};
    }
    aq->n_orig = aq->nqt;
}

/* Expansions from the built-in synonym list: stem sequences matched over the non-stop words. */
static void ask_synonyms(ask_t *aq)
{
    const cmp_engine_t *e = aq->e;
    cmp_answer_t *out = aq->out;
    for (size_t s = 0; s < e->n_syn; s++) {
        const syn_c_t *sy = &e->syn[s];
        for (size_t i = 0; i < aq->qc.n; i++) {
            if (aq->qc.w[i].stop)
                continue;
            size_t k = 0, j = i;
            int gap = 0;
            while (k < sy->n_when && j < aq->qc.n) {
                if (aq->qc.w[j].stop && j > i) {
                    j++;
                    continue;
                }
                if (strcmp(aq->qc.w[j].stem, sy->when[k]) != 0) {
                    /* "change of electricity supplier" matches "change supplier" */
                    if (k > 0 && !gap) {
                        gap = 1;
                        j++;
                        continue;
                    }
                    break;
                }
                k++;
                j++;
            }
            int match = k == sy->n_when;
            if (!match)
                continue;
            for (size_t a = 0; a < sy->n_add; a++) {
                int have = 0;
                for (size_t m = 0; m < aq->nqt; m++)
                    if (aq->qt[m].id == sy->add[a]) {
                        have = 1;
                        if (aq->qt[m].expansion && aq->qt[m].w < sy->w)
                            aq->qt[m].w = sy->w;
                    }
                if (have || aq->nqt >= 128)
                    continue;
                cmp_qterm_t *t = CMP__PUSH(aq->qt, aq->nqt, aq->cap_qt);
                *t = (cmp_qterm_t){.id = sy->add[a],
                                   .w = sy->w,
                                   .qpos = aq->qc.w[i].pos,
                                   .expansion = 1};
                note_expansion(e, out, aq->qc.w[i].surface, sy->add[a], sy->w, "synonyms.h");
            }
            break;
        }
    }
}

/* WordNet expansions: synonyms and hypernyms of the question's words that the acts use. */
static void ask_wordnet(ask_t *aq)
{
    const cmp_engine_t *e = aq->e;
    const cmp_index_t *ix = aq->e->index;
    cmp_answer_t *out = aq->out;
    if (e->lex != NULL) {
        size_t added = 0;
        for (size_t i = 0; i < aq->qc.n && aq->nqt < 128 && added < WN_MAX_TOTAL; i++) {
            const qword_t *w = &aq->qc.w[i];
            if (w->stop || !isalpha((unsigned char)w->surface[0]) || strlen(w->surface) < 3)
                continue;
            cmp_lex_rel_t rel[48];
            size_t nr = cmp_lex_expand(e->lex, w->surface, rel, 48);
            size_t per = 0;
            for (size_t r = 0; r < nr && per < WN_MAX_PER_WORD && aq->nqt < 128; r++) {
                stems_t st = {.ix = ix};
                cmp_analyze(aq->an, rel[r].lemma, strlen(rel[r].lemma), 0, stems_cb, &st);
                float wt = rel[r].w * WN_WEIGHT * (st.n > 1 ? 0.5f : 1.0f);
                /* only lemmas whose words the acts use (stems of 3+ letters) */
                int usable = st.n > 0 && st.n <= 3 && rel[r].w >= WN_MIN_REL;
                for (size_t k = 0; k < st.n; k++)
                    usable &= st.ids[k] != CMP_NOTERM &&
                              strlen(cmp_index_term_text(ix, st.ids[k])) >= 3;
                for (size_t k = 0; usable && k < st.n && aq->nqt < 128; k++) {
                    int have = 0;
                    for (size_t m = 0; m < aq->nqt; m++)
                        have |= aq->qt[m].id == st.ids[k];
                    if (have)
                        continue;
                    cmp_qterm_t *t = CMP__PUSH(aq->qt, aq->nqt, aq->cap_qt);
                    *t = (cmp_qterm_t){.id = st.ids[k], .w = wt, .qpos = w->pos, .expansion = 1};
                    note_expansion(e, out, w->surface, st.ids[k], wt,
                                   rel[r].kind == CMP_LEX_SYNONYM ? "wordnet:synonym"
                                                                  : "wordnet:hypernym");
                    added++;
                }
                per += usable;
                free(st.ids);
            }
        }
    }
}

/* Definition questions ("what does X mean", "what is an aggregator") look in the
 * definitions articles first: their context field holds the title "Definitions". */
static void ask_definition(ask_t *aq)
{
    const cmp_engine_t *e = aq->e;
    const cmp_index_t *ix = aq->e->index;
    cmp_answer_t *out = aq->out;
    const char *lq = aq->lq;
    int def = strstr(lq, "what is a ") == lq || strstr(lq, "what is an ") == lq ||
              strstr(lq, "what are ") == lq;
    for (size_t i = 0; i < aq->qc.n && !def; i++)
        def = is_in(aq->qc.w[i].surface, DEFINE_WORDS,
                    sizeof DEFINE_WORDS / sizeof DEFINE_WORDS[0]);
    uint32_t id = cmp_index_term(ix, "definit");
    if (def && !e->no_synonyms && id != CMP_NOTERM && aq->nqt < 128) {
        cmp_qterm_t *t = CMP__PUSH(aq->qt, aq->nqt, aq->cap_qt);
        *t = (cmp_qterm_t){.id = id, .w = 0.6f, .qpos = 0, .expansion = 1};
        note_expansion(e, out, "(question form)", id, 0.6f, "definition-intent");
    }
}

/* 1 (refused, out says why) for a question in another language: most of its words are
 * neither English function words nor words of the (English) acts nor of the English lexicon. */
static int ask_language(ask_t *aq)
{
    const cmp_engine_t *e = aq->e;
    const cmp_index_t *ix = aq->e->index;
    cmp_answer_t *out = aq->out;
    size_t words = 0, known = 0;
    for (size_t i = 0; i < aq->qc.n; i++) {
        const qword_t *w = &aq->qc.w[i];
        if (!isalpha((unsigned char)w->surface[0]) && !((unsigned char)w->surface[0] & 0x80))
            continue;
        words++;
        known += w->stop || w->id != CMP_NOTERM || cmp_index_term(ix, w->surface) != CMP_NOTERM ||
                 (e->lex != NULL && cmp_lex_known(e->lex, w->surface));
    }
    out->english = words ? (double)known / (double)words : 1.0;
    if (words >= LANG_MIN_WORDS && out->english < LANG_MIN_KNOWN) {
        refuse(out, "unsupported_language",
               "only questions in English are supported (the corpus is the English text of "
               "the acts); please ask in English");
        return 1;
    }
    return 0;
}

/* 1 (refused, out says why) for a question about an act newer than the corpus. */
static int ask_newer_act(ask_t *aq)
{
    const cmp_engine_t *e = aq->e;
    cmp_answer_t *out = aq->out;
    if (newer_act(e, aq->qc.w, aq->qc.n)) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "the question refers to an act adopted after %d; the corpus holds the EU energy "
                 "acts up to %d only (the 2023 recast Energy Efficiency Directive is not included)",
                 e->max_year, e->max_year);
        refuse(out, "not_in_corpus", msg);
        return 1;
    }
    return 0;
}

/* Retrieval (boosting an act or article the question names), the law as it stands (a deleted
 * provision is evidence only for a question about history), and the evidence: how much of the
 * question the best passages cover. */
static void ask_retrieve(ask_t *aq, int filter_doc)
{
    const cmp_engine_t *e = aq->e;
    const cmp_index_t *ix = aq->e->index;
    cmp_answer_t *out = aq->out;
    aq->hits = gf_xmalloc(N_HITS * sizeof *aq->hits);
    int names_unit = mentioned_article(aq->lq, aq->unit_label, sizeof aq->unit_label);
    aq->so = (cmp_search_opts_t){.doc = filter_doc,
                                 .boost_doc = filter_doc < 0 ? mentioned_doc(e, aq->lq) : -1,
                                 .boost_doc_factor = DOC_BOOST,
                                 .boost_unit = names_unit ? aq->unit_label : NULL,
                                 .boost_unit_factor = UNIT_BOOST,
                                 .rerank = 100};
    aq->nh = cmp_index_search(ix, aq->qt, aq->nqt, &aq->so, aq->hits, N_HITS);
    /* the law as it stands: a deleted provision is not evidence of current law */
    int history = 0;
    for (size_t i = 0; i < aq->qc.n && !history; i++)
        history = is_in(aq->qc.w[i].surface, HISTORY_WORDS,
                        sizeof HISTORY_WORDS / sizeof HISTORY_WORDS[0]);
    if (!history) {
        size_t k = 0;
        for (size_t i = 0; i < aq->nh; i++)
            if (e->psg_status[aq->hits[i].passage] != CMP_ST_DELETED)
                aq->hits[k++] = aq->hits[i];
        aq->nh = k;
    }

    /* evidence: how much of the question the best passage covers */
    if (aq->nh > 0) {
        out->top_score = aq->hits[0].score;
        double best = 0;
        for (size_t h = 0; h < aq->nh && h < COVERAGE_HITS; h++) {
            double matched = 0;
            for (size_t k = 0; k < aq->n_orig; k++)
                if (aq->qt[k].id != CMP_NOTERM &&
                    cmp_index_passage_has(ix, aq->hits[h].passage, aq->qt[k].id))
                    matched += cmp_index_idf(ix, aq->qt[k].id);
            if (matched > best)
                best = matched;
        }
        out->coverage = aq->q_idf > 0 ? best / aq->q_idf : 0;
    }
}

/* Group the passages by article / annex, best first. */
static void ask_units(ask_t *aq)
{
    const cmp_index_t *ix = aq->e->index;
    aq->units = gf_xcalloc(aq->nh + 1, sizeof *aq->units);
    for (size_t i = 0; i < aq->nh; i++) {
        const cmp_passage_t *p = cmp_index_passage(ix, aq->hits[i].passage);
        if (p->meta.kind == CMP_PSG_RECITAL)
            continue;
        size_t u;
        for (u = 0; u < aq->nu; u++)
            if (aq->units[u].doc == p->meta.doc && strcmp(aq->units[u].label, p->label) == 0)
                break;
        if (u == aq->nu) {
            aq->units[aq->nu++] = (unit_rank_t){.doc = p->meta.doc,
                                                .label = p->label,
                                                .best = aq->hits[i].score,
                                                .first_hit = i};
        } else if (aq->units[u].second == 0) {
            aq->units[u].second = aq->hits[i].score;
        }
    }
    for (size_t u = 0; u < aq->nu; u++)
        aq->units[u].score = aq->units[u].best + AGG_SECOND * aq->units[u].second;
    qsort(aq->units, aq->nu, sizeof *aq->units, unit_cmp);
}

/* A best article that only refers to a provision of another act of the corpus
 * ("... to which Article 8(4) of Directive 2012/27/EU is applicable"), when that
 * provision is a close candidate too: the provision referred to is the rule. */
static void ask_follow_xref(ask_t *aq, size_t nc)
{
    const cmp_engine_t *e = aq->e;
    const cmp_index_t *ix = aq->e->index;
    const cmp_passage_t *bp = cmp_index_passage(ix, aq->hits[aq->units[0].first_hit].passage);
    for (const char *r = strstr(bp->text, "Article "); r; r = strstr(r + 8, "Article ")) {
        char lab[24];
        size_t k = 8;
        while (isdigit((unsigned char)r[k]) && k < 12)
            k++;
        if (k == 8)
            continue;
        snprintf(lab, sizeof lab, "Article %.*s", (int)(k - 8), r + 8);
        while (r[k] == '(' || isalnum((unsigned char)r[k]) || r[k] == ')')
            k++;
        if (strncmp(r + k, " of ", 4) != 0)
            continue;
        const char *act = r + k + 4;
        int rd = -1;
        for (size_t d = 0; d < e->corpus->n_docs; d++) {
            const char *num = e->corpus->docs[d].number;
            const char *m = num[0] ? strstr(act, num) : NULL;
            if (m && m - act < 24 && (int)d != aq->units[0].doc)
                rd = (int)d;
        }
        for (size_t u = 1; rd >= 0 && u < nc && u < XREF_WITHIN; u++)
            if (aq->units[u].doc == rd && strcmp(aq->units[u].label, lab) == 0) {
                unit_rank_t t = aq->units[u];
                memmove(aq->units + 1, aq->units, u * sizeof *aq->units);
                aq->units[0] = t;
                rd = -1;
                r = NULL;
                break;
            }
        if (r == NULL)
            break;
    }
}

/* Learned ranking of the best candidates (rerank.h); a provision the question names stays
 * first, and so does a provision of another act that the best article only refers to. */
static void ask_rerank(ask_t *aq, const cmp_ask_opts_t *opts)
{
    const cmp_engine_t *e = aq->e;
    cmp_answer_t *out = aq->out;
    if (aq->nu > 1 && (e->rr != NULL || (opts && opts->features))) {
        size_t nc = aq->nu < CMP_RR_TOP ? aq->nu : CMP_RR_TOP;
        float *x = gf_xcalloc(nc * CMP_RR_NFEAT, sizeof *x);
        ask_unit_features(aq, nc, x);
        if (opts && opts->features) {
            out->cand_units = gf_xcalloc(nc, sizeof *out->cand_units);
            for (size_t u = 0; u < nc; u++)
                if (asprintf(&out->cand_units[u], "%s %s", e->corpus->docs[aq->units[u].doc].celex,
                             aq->units[u].label) < 0)
                    out->cand_units[u] = gf_xstrdup("?");
            out->cand_x = gf_xmalloc(nc * CMP_RR_NFEAT * sizeof *x);
            memcpy(out->cand_x, x, nc * CMP_RR_NFEAT * sizeof *x);
            out->n_cand = nc;
        }
        float *sc = gf_xmalloc(nc * sizeof *sc);
        gf_err_t rerr = {0};
        if (e->rr != NULL && cmp_reranker_score(e->rr, x, nc, sc, &rerr) == 0) {
            for (size_t u = 0; u < nc; u++)
                aq->units[u].rr = sc[u];
            qsort(aq->units, nc, sizeof *aq->units, unit_rr_cmp);
            aq->best_rr = aq->units[0].rr;
            /* a provision the question names ("Annex XIV", "Article 7") stays first: the
             * training questions rarely name one, so the model cannot have learnt it */
            for (size_t u = 1; aq->so.boost_unit && u < nc; u++)
                if (strcmp(aq->units[u].label, aq->so.boost_unit) == 0 &&
                    (aq->so.boost_doc < 0 || aq->so.boost_doc == aq->units[u].doc)) {
                    unit_rank_t t = aq->units[u];
                    memmove(aq->units + 1, aq->units, u * sizeof *aq->units);
                    aq->units[0] = t;
                    break;
                }
        }
        if (!aq->so.boost_unit && nc > 1)
            ask_follow_xref(aq, nc);
        gf_err_cleanup(&rerr);
        free(sc);
        free(x);
    }
}

/* The ranked articles of the answer; an amending article follows the article it amends (top 3
 * only): the answer cites it. */
static void ask_ranked_units(ask_t *aq)
{
    const cmp_engine_t *e = aq->e;
    cmp_answer_t *out = aq->out;
    out->ranked_units = gf_xcalloc(aq->nu + 3 * e->am->n + 2, sizeof *out->ranked_units);
    for (size_t u = 0; u < aq->nu && out->n_ranked_units < 20; u++) {
        char *s = NULL;
        const unit_rank_t *ur = &aq->units[u];
        if (asprintf(&s, "%s %s", e->corpus->docs[ur->doc].celex, ur->label) >= 0) {
            int have = 0;
            for (size_t k = 0; k < out->n_ranked_units; k++)
                have |= strcmp(out->ranked_units[k], s) == 0;
            if (have)
                free(s);
            else
                out->ranked_units[out->n_ranked_units++] = s;
        }
        for (size_t a = 0; u < 3 && a < e->am->n; a++) {
            const cmp_amendment_t *am = &e->am->a[a];
            if (am->target_doc != aq->units[u].doc || strcmp(am->unit, aq->units[u].label) != 0)
                continue;
            char *m = NULL;
            if (asprintf(&m, "%s Article %s", e->corpus->docs[am->by_doc].celex, am->by->num) < 0)
                continue;
            int have = 0;
            for (size_t k = 0; k < out->n_ranked_units; k++)
                have |= strcmp(out->ranked_units[k], m) == 0;
            if (have)
                free(m);
            else
                out->ranked_units[out->n_ranked_units++] = m;
        }
    }
}

/* The refusal decision (the calibrated model when loaded, else fixed thresholds): 1 when the
 * question is refused (out says why): too little evidence, off topic. */
static int ask_refusal(ask_t *aq, const char *q, size_t len)
{
    const cmp_engine_t *e = aq->e;
    cmp_answer_t *out = aq->out;
    double conf_cov = out->coverage;
    double conf_score = out->top_score / (2.0 * MIN_SCORE);
    out->confidence = conf_cov * (conf_score > 1 ? 1 : conf_score);
    char acro[16];
    if (aq->nh > 0 && out->top_score < 2 * MIN_SCORE &&
        unknown_acronym(e, aq->an, q, len, acro, sizeof acro)) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "the question is about '%s', which the corpus (EU energy acts) does not mention",
                 acro);
        refuse(out, "no_evidence", msg);
        return 1;
    }
    int weak;
    if (aq->nh > 0 && aq->nu > 0) {
        /* features of the calibrated decision (cmp-train-refusal) */
        size_t oov = 0;
        for (size_t k = 0; k < aq->n_orig; k++)
            oov += aq->qt[k].id == CMP_NOTERM;
        float f0[CMP_RR_NFEAT];
        ask_unit_features(aq, 1, f0);
        double *x = out->refusal_x;
        x[0] = log1p(out->top_score);
        x[1] = out->coverage;
        x[2] = aq->domain;
        x[3] = aq->n_orig ? (double)oov / (double)aq->n_orig : 1.0;
        x[4] = aq->best_rr;
        x[5] = (double)aq->n_orig;
        x[6] = f0[6];
        x[7] = f0[7];
        out->has_refusal_x = 1;
    }
    if (e->has_rf && out->has_refusal_x) {
        out->refusal_p = cmp_refusal_model_p(&e->rf, out->refusal_x);
        weak = out->refusal_p >= e->rf.threshold;
    } else {
        weak = aq->nh == 0 || out->top_score < MIN_SCORE / 2 || out->coverage < MIN_COVERAGE ||
               (out->top_score < MIN_SCORE && out->coverage < SHORT_COVERAGE);
        if (!aq->domain && out->top_score < 2 * MIN_SCORE)
            weak = 1;
    }
    if (weak) {
        if (!aq->domain)
            refuse(out, "off_topic",
                   "the question is not about EU energy legislation covered by this service");
        else
            refuse(out, "no_evidence",
                   "the corpus (EED 2012/27/EU, 2019/944, 2019/943, 2018/1999) holds no passage "
                   "that answers this question");
        return 1;
    }
    return 0;
}

/* Citations: passages of the best articles, at most MAX_PER_UNIT per article; the article
 * that amends a cited provision is cited right after it (within top_k). */
static void ask_citations(ask_t *aq, int top_k)
{
    const cmp_engine_t *e = aq->e;
    const cmp_index_t *ix = aq->e->index;
    cmp_answer_t *out = aq->out;
    out->citations = gf_xcalloc((size_t)top_k + 1, sizeof *out->citations);
    for (size_t u = 0; u < aq->nu && out->n_citations < (size_t)top_k; u++) {
        int taken = 0;
        for (size_t i = 0; i < aq->nh && taken < MAX_PER_UNIT && out->n_citations < (size_t)top_k;
             i++) {
            const cmp_passage_t *p = cmp_index_passage(ix, aq->hits[i].passage);
            if (p->meta.kind == CMP_PSG_RECITAL || p->meta.doc != aq->units[u].doc ||
                strcmp(p->label, aq->units[u].label) != 0)
                continue;
            /* a second passage of the same article only when it is nearly as good */
            if (taken == 1 && aq->hits[i].score < 0.6 * aq->units[u].best)
                break;
            fill_citation(e, &out->citations[out->n_citations], (int)out->n_citations + 1,
                          aq->hits[i].passage, aq->hits[i].score);
            out->n_citations++;
            taken++;
            const cmp_amendment_t *by = e->psg_by[aq->hits[i].passage];
            if (by == NULL || out->n_citations >= (size_t)top_k)
                continue;
            uint32_t ap = amending_passage(e, by);
            int have = 0;
            for (size_t k = 0; k < out->n_citations; k++)
                have |= out->citations[k].passage == ap;
            if (ap == UINT32_MAX || have)
                continue;
            cmp_citation_t *nc = &out->citations[out->n_citations];
            fill_citation(e, nc, (int)out->n_citations + 1, ap, 0);
            nc->amendment = 1;
            out->n_citations++;
        }
    }
}

/* The extractive answer: best sentences of the top citations. 1 when no sentence answers
 * (the question is then refused). */
static int ask_answer_text(ask_t *aq)
{
    const cmp_index_t *ix = aq->e->index;
    cmp_answer_t *out = aq->out;
    enum { MAXS = 400 };
    sent_t *ss = gf_xmalloc(MAXS * sizeof *ss);
    size_t ns = 0;
    size_t use = out->n_citations < 3 ? out->n_citations : 3;
    for (size_t c = 0; c < use; c++)
        if (out->citations[c].status != CMP_ST_DELETED && !out->citations[c].amendment)
            ns += split_sentences(out->citations[c].text, ss + ns, MAXS - ns, (int)c);
    double best = 0;
    for (size_t i = 0; i < ns; i++) {
        ss[i].score = sentence_score(ix, aq->an, aq->qt, aq->nqt, ss[i].s, ss[i].n);
        /* sentences of better passages weigh more */
        ss[i].score *= 1.0 - 0.15 * ss[i].cit;
        if (ss[i].score > best)
            best = ss[i].score;
    }
    gf_sbuf_t b = {0};
    /* a deleted provision (cited for a question about history) is named, not quoted */
    for (size_t c = 0; c < out->n_citations; c++) {
        const cmp_citation_t *ct = &out->citations[c];
        if (ct->status != CMP_ST_DELETED)
            continue;
        if (b.len)
            gf_sbuf_adds(&b, "\n");
        gf_sbuf_addf(&b, "%s of %s is no longer in force: it was deleted by %s%s%s [P%d]", ct->ref,
                     ct->doc_name, ct->status_by, ct->status_from ? ", with effect from " : "",
                     ct->status_from ? ct->status_from : "", ct->id);
    }
    int chosen[MAX_ANSWER_SENTENCES];
    size_t nc = 0;
    while (nc < MAX_ANSWER_SENTENCES) {
        int bi = -1;
        for (size_t i = 0; i < ns; i++) {
            int used = 0;
            for (size_t k = 0; k < nc; k++)
                used |= chosen[k] == (int)i;
            if (!used && ss[i].score > 0 && (bi < 0 || ss[i].score > ss[bi].score))
                bi = (int)i;
        }
        if (bi < 0 || (nc > 0 && ss[bi].score < 0.5 * best))
            break;
        chosen[nc++] = bi;
    }
    /* keep document order within a citation for readability */
    for (size_t a = 0; a < nc; a++)
        for (size_t c = a + 1; c < nc; c++)
            if (chosen[c] < chosen[a]) {
                int t = chosen[a];
                chosen[a] = chosen[c];
                chosen[c] = t;
            }
    for (size_t k = 0; k < nc; k++) {
        const sent_t *s = &ss[chosen[k]];
        const cmp_citation_t *ct = &out->citations[s->cit];
        if (b.len)
            gf_sbuf_adds(&b, "\n");
        gf_sbuf_addf(&b, "%s of %s: \xE2\x80\x9C", ct->ref, ct->doc_name);
        gf_sbuf_add(&b, s->s, s->n);
        gf_sbuf_addf(&b, "\xE2\x80\x9D [P%d]", ct->id);
    }
    free(ss);
    out->answer = gf_sbuf_take(&b);
    if (out->answer[0] == '\0') {
        refuse(out, "no_evidence", "no sentence of the retrieved passages answers this");
        return 1;
    }
    return 0;
}

/* Notes on the amendments of cited provisions (the EED is amended by 2018/1999 and
 * 2019/944). */
static void ask_amendment_notes(ask_t *aq)
{
    const cmp_engine_t *e = aq->e;
    const cmp_index_t *ix = aq->e->index;
    cmp_answer_t *out = aq->out;
    gf_sbuf_t nb = {0};
    for (size_t c = 0; c < out->n_citations; c++) {
        const cmp_citation_t *ct = &out->citations[c];
        if (ct->amendment || ct->status != CMP_ST_AMENDED)
            continue;
        const cmp_passage_t *p = cmp_index_passage(ix, ct->passage);
        for (size_t a = 0; a < e->am->n; a++) {
            const cmp_amendment_t *am = &e->am->a[a];
            if (am->action == CMP_AM_AMENDED || am->target_doc != p->meta.doc ||
                strcmp(am->unit, ct->article) != 0 ||
                (am->para[0] && p->meta.para_num[0] && strcmp(am->para, p->meta.para_num)))
                continue;
            char prov[96];
            cmp_amendment_provision(am, prov, sizeof prov);
            char *note = NULL;
            if (asprintf(&note, "%s%s%s%s of %s: %s by %s%s%s%s%s", prov, am->part[0] ? " (" : "",
                         am->part, am->part[0] ? ")" : "", ct->doc_name,
                         cmp_am_action_name(am->action), am->by_ref,
                         am->applies_from[0] ? " (from " : "", am->applies_from,
                         am->applies_from[0] ? ")" : "", am->new_text ? ": \xE2\x80\x98" : "") < 0)
                continue;
            if (am->new_text) {
                gf_sbuf_t w = {0};
                gf_sbuf_adds(&w, note);
                size_t n = strlen(am->new_text);
                size_t cut = n > 300 ? 300 : n;
                while (cut > 0 && cut < n && ((unsigned char)am->new_text[cut] & 0xC0) == 0x80)
                    cut--;
                gf_sbuf_add(&w, am->new_text, cut);
                gf_sbuf_adds(&w, cut < n ? " [...]\xE2\x80\x99" : "\xE2\x80\x99");
                free(note);
                note = gf_sbuf_take(&w);
            }
            int dup = 0;
            for (size_t k = 0; k < out->n_notes; k++)
                dup |= strcmp(out->notes[k], note) == 0;
            if (dup || out->n_notes >= 8) {
                free(note);
                continue;
            }
            out->notes = gf_xrealloc(out->notes, (out->n_notes + 1) * sizeof *out->notes);
            out->notes[out->n_notes++] = note;
        }
    }
    if (out->n_notes > 0) {
        gf_sbuf_adds(&nb, out->answer);
        for (size_t k = 0; k < out->n_notes; k++)
            gf_sbuf_addf(&nb, "\nNote: %s", out->notes[k]);
        free(out->answer);
        out->answer = gf_sbuf_take(&nb);
    }
}

int cmp_ask(const cmp_engine_t *e, const char *q, size_t len, const cmp_ask_opts_t *opts,
            cmp_answer_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    out->refusal_p = -1;
    int top_k = 0, filter_doc = -1;
    int rc = ask_validate(e, q, len, opts, &top_k, &filter_doc, err);
    if (rc != 0)
        return rc;
    ask_t aq = {.e = e, .out = out};
    aq.an = cmp_analyzer_new();
    if (aq.an == NULL) {
        rc = gf_err_set(err, GF_EINTERNAL, "stemmer_unavailable", "cannot create the stemmer");
        goto out;
    }
    aq.lq = gf_xmalloc(len + 1);
    for (size_t i = 0; i < len; i++)
        aq.lq[i] = (char)tolower((unsigned char)q[i]);
    aq.lq[len] = '\0';
    aq.qc.an = aq.an;
    cmp_tokenize(q, len, qword_cb, &aq.qc);

    ask_terms(&aq);
    ask_synonyms(&aq);
    ask_wordnet(&aq);
    ask_definition(&aq);
    if (ask_language(&aq) || ask_newer_act(&aq)) {
        out->confidence = 0;
        goto out;
    }
    ask_retrieve(&aq, filter_doc);
    ask_units(&aq);
    ask_rerank(&aq, opts);
    ask_ranked_units(&aq);
    if (ask_refusal(&aq, q, len))
        goto out;
    ask_citations(&aq, top_k);
    if (ask_answer_text(&aq))
        goto out;
    ask_amendment_notes(&aq);
out:
    free(aq.units);
    free(aq.hits);
    free(aq.qt);
    free(aq.qc.w);
    free(aq.lq);
    cmp_analyzer_free(aq.an);
    return rc;
}

void cmp_answer_cleanup(cmp_answer_t *a)
{
    if (a == NULL)
        return;
    free(a->answer);
    free(a->citations);
    free(a->reason_message);
    for (size_t i = 0; i < a->n_notes; i++)
        free(a->notes[i]);
    free(a->notes);
    for (size_t i = 0; i < a->n_ranked_units; i++)
        free(a->ranked_units[i]);
    free(a->ranked_units);
    free(a->expansions);
    for (size_t i = 0; i < a->n_cand; i++)
        free(a->cand_units[i]);
    free(a->cand_units);
    free(a->cand_x);
    memset(a, 0, sizeof *a);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *cmp_answer_to_json(const cmp_answer_t *a)
{
    json_t *cits = json_array();
    for (size_t i = 0; i < a->n_citations; i++) {
        const cmp_citation_t *c = &a->citations[i];
        char id[16];
        snprintf(id, sizeof id, "P%d", c->id);
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(id));
        json_object_set_new(o, "document", json_string(c->document));
        json_object_set_new(o, "celex", json_string(c->document));
        json_object_set_new(o, "document_name", json_string(c->doc_name));
        json_object_set_new(o, "article", json_string(c->article));
        json_object_set_new(o, "paragraph", str_or_null(c->paragraph));
        json_object_set_new(o, "point", str_or_null(c->point));
        json_object_set_new(o, "ref", json_string(c->ref));
        json_object_set_new(o, "title", json_string(c->title));
        json_object_set_new(o, "text", json_string(c->text));
        json_object_set_new(o, "score", json_real(round(c->score * 1000) / 1000));
        json_object_set_new(o, "amendment", json_boolean(c->amendment));
        json_object_set_new(o, "status", json_string(cmp_status_name(c->status)));
        json_object_set_new(o, "status_by", str_or_null(c->status_by));
        json_object_set_new(o, "status_from", str_or_null(c->status_from));
        if (c->enacted)
            json_object_set_new(o, "text_as_enacted", json_string(c->enacted));
        json_array_append_new(cits, o);
    }
    json_t *notes = json_array();
    for (size_t i = 0; i < a->n_notes; i++)
        json_array_append_new(notes, json_string(a->notes[i]));
    json_t *j = json_object();
    json_object_set_new(j, "answer", str_or_null(a->answer));
    json_object_set_new(j, "citations", cits);
    json_object_set_new(j, "confidence", json_real(round(a->confidence * 1000) / 1000));
    json_object_set_new(j, "refused", json_boolean(a->refused));
    json_object_set_new(j, "reason", str_or_null(a->reason));
    json_object_set_new(j, "reason_message", str_or_null(a->reason_message));
    json_object_set_new(j, "notes", notes);
    json_t *ex = json_array();
    for (size_t i = 0; i < a->n_expansions; i++) {
        const cmp_expansion_t *x = &a->expansions[i];
        json_array_append_new(ex,
                              json_pack("{s:s, s:s, s:f, s:s}", "word", x->word, "term", x->term,
                                        "weight", round(x->w * 1000) / 1000, "source", x->source));
    }
    json_t *dbg = json_object();
    json_object_set_new(dbg, "expansions", ex);
    json_object_set_new(dbg, "top_score", json_real(round(a->top_score * 1000) / 1000));
    json_object_set_new(dbg, "coverage", json_real(round(a->coverage * 1000) / 1000));
    json_object_set_new(dbg, "english", json_real(round(a->english * 1000) / 1000));
    json_object_set_new(dbg, "refusal_p",
                        a->refusal_p >= 0 ? json_real(round(a->refusal_p * 1000) / 1000)
                                          : json_null());
    json_object_set_new(j, "debug", dbg);
    return j;
}
