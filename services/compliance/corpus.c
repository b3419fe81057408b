/*
 * corpus.c - parser of the plain-text EU acts into title / recitals / articles / annexes,
 * and the browse API (documents list, one article as JSON).
 *
 * The file text is copied into one buffer and split into lines in place; every string of the
 * parsed structure points into that buffer or into a string the document owns (_owned), so
 * freeing a document is two loops. The parser is a line state machine:
 *   TITLE -> PREAMBLE ("Whereas:") -> RECITALS ("HAVE ADOPTED") -> BODY ("Done at")
 *   -> SIGNATURE (skip, incl. OJ footnotes) -> ANNEXES.
 * See corpus.h for the structure rules and README.md for why they are what they are.
 */
#include "corpus.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sbuf.h"
#include "util.h"

/* ------------------------------------------------------------------ known acts */

/* Common names an operator uses for the acts; only metadata, the parser does not need it. */
static const struct {
    const char *celex, *short_name, *aliases[6];
} KNOWN[] = {
    {"32012L0027",
     "Energy Efficiency Directive (EED)",
     {"eed", "energy efficiency directive", "efficiency directive", NULL}},
    {"32019L0944",
     "Electricity Directive (recast)",
     {"electricity directive", "electricity market directive", "emd", NULL}},
    {"32019R0943",
     "Electricity Regulation (recast)",
     {"electricity regulation", "electricity market regulation", "emr", NULL}},
    {"32018R1999",
     "Governance Regulation",
     {"governance regulation", "energy union governance", NULL}},
};

/* ------------------------------------------------------------------ helpers */

static const char *own(cmp_doc_t *d, char *s)
{
    *CMP__PUSH(d->_owned, d->_n_owned, d->_cap_owned) = s;
    return s;
}

static int starts(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static int is_roman_str(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("IVXLC", s[i]))
            return 0;
    return 1;
}

/* "Article 7" / "Article 9a" exactly; *num points at the number. */
static int article_heading(const char *l, const char **num)
{
    if (!starts(l, "Article "))
        return 0;
    const char *p = l + 8;
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p >= 'a' && *p <= 'z')
        p++;
    if (*p != '\0')
        return 0;
    *num = l + 8;
    return 1;
}

static int annex_heading(const char *l, const char **num)
{
    if (strcmp(l, "ANNEX") == 0) {
        *num = l + 5;
        return 1;
    }
    if (!starts(l, "ANNEX "))
        return 0;
    if (!is_roman_str(l + 6, strlen(l + 6)))
        return 0;
    *num = l + 6;
    return 1;
}

/* "CHAPTER IV" / "CHAPTER 4" / "Section 2" / "SECTION 1" exactly. */
static int heading_line(const char *l, const char *word)
{
    size_t w = strlen(word);
    if (strncasecmp(l, word, w) != 0 || l[w] != ' ' || !isupper((unsigned char)l[0]))
        return 0;
    const char *p = l + w + 1;
    if (*p == '\0')
        return 0;
    for (; *p; p++)
        if (!isalnum((unsigned char)*p))
            return 0;
    return 1;
}

static int opens_quote(const char *l)
{
    return starts(l, "\xE2\x80\x98"); /* U+2018 */
}

/* Quoted text ends with U+2019 followed only by punctuation. */
static int closes_quote(const char *l)
{
    size_t n = strlen(l);
    while (n > 0 && strchr(".;,:\" ", l[n - 1]))
        n--;
    return n >= 3 && memcmp(l + n - 3, "\xE2\x80\x99", 3) == 0;
}

static int roman_value(const char *s, size_t n)
{
    int v = 0, prev = 0;
    for (size_t i = n; i-- > 0;) {
        int c;
        switch (s[i]) {
        case 'i':
            c = 1;
            break;
        case 'v':
            c = 5;
            break;
        case 'x':
            c = 10;
            break;
        case 'l':
            c = 50;
            break;
        default:
            return 0;
        }
        if (c < prev)
            v -= c;
        else {
            v += c;
            prev = c;
        }
    }
    return v;
}

/* ------------------------------------------------------------------ parser state */

typedef struct parser {
    cmp_doc_t *d;
    cmp_unit_t *unit; /* current article or annex, or NULL */
    int last_para;    /* number of the last numbered paragraph of the current article */
    char last_letter; /* last lettered point in the current paragraph */
    int roman_next;   /* expected next roman point value */
    int in_quote;
    const char *chapter, *section;
} parser_t;

static cmp_para_t *new_para(parser_t *ps, const char *num)
{
    cmp_unit_t *u = ps->unit;
    cmp_para_t *p = CMP__PUSH(u->paras, u->n_paras, u->_cap);
    memset(p, 0, sizeof *p);
    p->num = num;
    ps->last_letter = 0;
    ps->roman_next = 0;
    return p;
}

static void add_item(parser_t *ps, cmp_item_kind_t kind, const char *label, const char *text,
                     int quoted)
{
    if (ps->unit->n_paras == 0)
        new_para(ps, "");
    cmp_para_t *p = &ps->unit->paras[ps->unit->n_paras - 1];
    cmp_item_t *it = CMP__PUSH(p->items, p->n_items, p->_cap);
    it->kind = kind;
    it->label = label;
    it->text = text;
    it->quoted = quoted;
}

/* Split "(a) text" / "(12) text" / "— text" labels off line l (modified in place). */
static void add_content_line(parser_t *ps, char *l, int quoted)
{
    if (quoted) {
        add_item(ps, CMP_ITEM_TEXT, "", l, 1);
        return;
    }
    if (l[0] == '(') {
        char *e = strchr(l, ')');
        size_t n = e ? (size_t)(e - l - 1) : 0;
        if (e && n >= 1 && n <= 5 && (e[1] == ' ' || e[1] == '\0')) {
            int alldig = 1, allalpha = 1;
            for (size_t i = 1; i <= n; i++) {
                alldig &= isdigit((unsigned char)l[i]) != 0;
                allalpha &= (l[i] >= 'a' && l[i] <= 'z');
            }
            if (alldig || allalpha) {
                char *text = e[1] ? e + 2 : e + 1;
                /* the label keeps its parentheses: copy it before cutting the line */
                char *label = (char *)own(ps->d, gf_xstrndup(l, n + 2));
                cmp_item_kind_t kind;
                if (alldig) {
                    kind = CMP_ITEM_NUM;
                    ps->last_letter = 0;
                    ps->roman_next = 0;
                } else {
                    int v = roman_value(l + 1, n);
                    int letter_ok = n == 1 && (l[1] == 'a' || ps->last_letter == l[1] - 1);
                    if (v > 0 && (v == ps->roman_next || (v == 1 && ps->last_letter != 'h')))
                        kind = CMP_ITEM_ROMAN;
                    else if (letter_ok)
                        kind = CMP_ITEM_LETTER;
                    else if (v > 0)
                        kind = CMP_ITEM_ROMAN;
                    else
                        kind = CMP_ITEM_LETTER;
                    if (kind == CMP_ITEM_ROMAN) {
                        ps->roman_next = v + 1;
                    } else {
                        ps->last_letter = l[1];
                        ps->roman_next = 0;
                    }
                }
                add_item(ps, kind, label, text, 0);
                return;
            }
        }
    }
    if (starts(l, "\xE2\x80\x94 ")) { /* em dash indent */
        add_item(ps, CMP_ITEM_INDENT, "\xE2\x80\x94", l + 4, 0);
        return;
    }
    add_item(ps, CMP_ITEM_TEXT, "", l, 0);
}

static void article_line(parser_t *ps, char *l)
{
    if (ps->in_quote) {
        add_content_line(ps, l, 1);
        if (closes_quote(l))
            ps->in_quote = 0;
        return;
    }
    if (opens_quote(l)) {
        add_content_line(ps, l, 1);
        if (!closes_quote(l))
            ps->in_quote = 1;
        return;
    }
    if (isdigit((unsigned char)l[0])) {
        char *p = l;
        int v = 0;
        while (isdigit((unsigned char)*p) && v < 100000)
            v = v * 10 + (*p++ - '0');
        if (p[0] == '.' && p[1] == ' ' && v == ps->last_para + 1) {
            *p = '\0';
            ps->last_para = v;
            new_para(ps, l);
            add_item(ps, CMP_ITEM_TEXT, "", p + 2, 0);
            return;
        }
    }
    add_content_line(ps, l, 0);
}

static void annex_line(parser_t *ps, char *l)
{
    if (starts(l, "[footnote ")) {
        char *e = strchr(l, ']');
        if (e && e[1] == ' ') {
            e[1] = '\0';
            add_item(ps, CMP_ITEM_FOOTNOTE, l, e + 2, 0);
            return;
        }
    }
    /* "Part 1" / "PART I" / "SECTION A: NATIONAL PLAN" open a new block */
    if (((starts(l, "Part ") || starts(l, "PART ")) && strlen(l) <= 10) ||
        (starts(l, "SECTION ") && strchr(l, ':'))) {
        new_para(ps, l);
        return;
    }
    /* "1. ", "1.1. ", "2.3 " numbered blocks */
    if (isdigit((unsigned char)l[0])) {
        char *p = l;
        while (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1])))
            p++;
        if ((p[0] == '.' && (p[1] == ' ' || p[1] == '\0')) ||
            (p[0] == ' ' && strchr(l, '.') && strchr(l, '.') < p)) {
            int dotted = p[0] == '.';
            *p = '\0';
            new_para(ps, l);
            char *rest = dotted ? (p[1] ? p + 2 : p + 1) : p + 1;
            if (*rest)
                add_item(ps, CMP_ITEM_TEXT, "", rest, 0);
            return;
        }
    }
    add_content_line(ps, l, 0);
}

/* ------------------------------------------------------------------ document */

static char *doc_name(const char *first)
{
    const char *end = strstr(first, " OF THE ");
    size_t n = end ? (size_t)(end - first) : strlen(first);
    char *s = gf_xstrndup(first, n);
    /* "DIRECTIVE" -> "Directive", "REGULATION (EU)" -> "Regulation (EU)" */
    for (char *w = s; *w;) {
        char *e = w;
        while (*e && *e != ' ')
            e++;
        int alpha = 1;
        for (char *q = w; q < e; q++)
            alpha &= isalpha((unsigned char)*q) != 0;
        if (alpha && e - w > 2)
            for (char *q = w + 1; q < e; q++)
                *q = (char)tolower((unsigned char)*q);
        w = *e ? e + 1 : e;
    }
    return s;
}

static char *doc_number(const char *first)
{
    for (const char *p = first; *p; p++) {
        if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
            isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) && p[4] == '/' &&
            isdigit((unsigned char)p[5]) && (p == first || !isdigit((unsigned char)p[-1]))) {
            const char *e = p + 5;
            while (isdigit((unsigned char)*e))
                e++;
            return gf_xstrndup(p, (size_t)(e - p));
        }
    }
    return gf_xstrdup("");
}

static cmp_unit_t *new_unit(parser_t *ps, cmp_unit_kind_t kind, const char *num)
{
    cmp_doc_t *d = ps->d;
    cmp_unit_t *u = kind == CMP_UNIT_ARTICLE
                        ? CMP__PUSH(d->articles, d->n_articles, d->_cap_articles)
                        : CMP__PUSH(d->annexes, d->n_annexes, d->_cap_annexes);
    memset(u, 0, sizeof *u);
    u->kind = kind;
    u->num = num;
    u->title = "";
    if (kind == CMP_UNIT_ARTICLE) {
        u->chapter = ps->chapter;
        u->section = ps->section;
    }
    ps->unit = u;
    ps->last_para = 0;
    ps->in_quote = 0;
    ps->last_letter = 0;
    ps->roman_next = 0;
    return u;
}

enum { S_TITLE, S_PREAMBLE, S_RECITALS, S_BODY, S_SIGNATURE, S_ANNEX };

cmp_doc_t *cmp_doc_parse(const char *celex, const char *text, size_t n, gf_err_t *err)
{
    cmp_doc_t *d = gf_xcalloc(1, sizeof *d);
    d->_buf = gf_xstrndup(text, n);
    d->celex = own(d, gf_xstrdup(celex));
    parser_t ps = {.d = d};
    gf_sbuf_t title = {0};
    size_t rec_cap = 0;
    int state = S_TITLE;
    enum { W_NONE, W_UNIT, W_CHAPTER, W_SECTION } want_title = W_NONE;
    char *heading = NULL;
    const char *first = NULL;

    char *line = d->_buf;
    while (line != NULL) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t len = strlen(line);
        while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = '\0';
        char *l = line;
        line = nl ? nl + 1 : NULL;
        if (*l == '\0')
            continue;

        const char *num;
        if (want_title != W_NONE) {
            if (want_title == W_UNIT) {
                ps.unit->title = l;
            } else {
                gf_sbuf_t b = {0};
                gf_sbuf_addf(&b, "%s \xE2\x80\x94 %s", heading, l);
                const char *h = own(d, gf_sbuf_take(&b));
                if (want_title == W_CHAPTER)
                    ps.chapter = h;
                else
                    ps.section = h;
            }
            want_title = W_NONE;
            continue;
        }
        switch (state) {
        case S_TITLE:
            if (starts(l, "THE EUROPEAN PARLIAMENT") || starts(l, "Having regard")) {
                state = S_PREAMBLE;
                break;
            }
            if (first == NULL)
                first = l;
            if (strcmp(l, "(Text with EEA relevance)") != 0) {
                if (title.len)
                    gf_sbuf_adds(&title, " ");
                gf_sbuf_adds(&title, l);
            }
            break;
        case S_PREAMBLE:
            if (strcmp(l, "Whereas:") == 0)
                state = S_RECITALS;
            else if (starts(l, "HAVE ADOPTED"))
                state = S_BODY;
            break;
        case S_RECITALS:
            if (starts(l, "HAVE ADOPTED")) {
                state = S_BODY;
                break;
            }
            if (l[0] == '(' && isdigit((unsigned char)l[1])) {
                char *e = l + 1;
                while (isdigit((unsigned char)*e))
                    e++;
                if (e[0] == ')' && e[1] == ' ') {
                    *e = '\0';
                    cmp_recital_t *r = CMP__PUSH(d->recitals, d->n_recitals, rec_cap);
                    r->num = l + 1;
                    r->text = e + 2;
                    break;
                }
            }
            if (d->n_recitals > 0) { /* continuation line of the last recital */
                cmp_recital_t *r = &d->recitals[d->n_recitals - 1];
                gf_sbuf_t b = {0};
                gf_sbuf_addf(&b, "%s\n%s", r->text, l);
                r->text = own(d, gf_sbuf_take(&b));
            }
            break;
        case S_BODY:
            if (article_heading(l, &num)) {
                new_unit(&ps, CMP_UNIT_ARTICLE, num);
                want_title = W_UNIT;
            } else if (!ps.in_quote && heading_line(l, "CHAPTER")) {
                heading = l;
                ps.section = NULL;
                want_title = W_CHAPTER;
            } else if (!ps.in_quote && heading_line(l, "SECTION")) {
                heading = l;
                want_title = W_SECTION;
            } else if (starts(l, "Done at ")) {
                state = S_SIGNATURE;
                ps.unit = NULL;
            } else if (annex_heading(l, &num)) {
                state = S_ANNEX;
                new_unit(&ps, CMP_UNIT_ANNEX, num);
                want_title = W_UNIT;
            } else if (ps.unit != NULL) {
                article_line(&ps, l);
            }
            break;
        case S_SIGNATURE:
        case S_ANNEX:
            if (annex_heading(l, &num)) {
                state = S_ANNEX;
                new_unit(&ps, CMP_UNIT_ANNEX, num);
                want_title = W_UNIT;
            } else if (state == S_ANNEX) {
                annex_line(&ps, l);
            }
            break;
        }
    }
    d->title = own(d, gf_sbuf_take(&title));
    d->name = own(d, doc_name(first ? first : celex));
    d->number = own(d, doc_number(first ? first : ""));
    d->short_name = d->name;
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (strcmp(KNOWN[i].celex, celex) == 0)
            d->short_name = KNOWN[i].short_name;
    for (size_t i = 0; i < d->n_annexes; i++) {
        cmp_unit_t *u = &d->annexes[i];
        u->correlation = strcasestr(u->title, "correlation table") != NULL;
    }
    if (d->n_articles == 0) {
        gf_err_set(err, GF_EINVAL, "corpus_parse", "document %s: no article found", celex);
        cmp_doc_free(d);
        return NULL;
    }
    return d;
}

void cmp_doc_free(cmp_doc_t *d)
{
    if (d == NULL)
        return;
    cmp_unit_t *arrs[2] = {d->articles, d->annexes};
    size_t ns[2] = {d->n_articles, d->n_annexes};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < ns[k]; i++) {
            for (size_t j = 0; j < arrs[k][i].n_paras; j++)
                free(arrs[k][i].paras[j].items);
            free(arrs[k][i].paras);
        }
        free(arrs[k]);
    }
    free(d->recitals);
    for (size_t i = 0; i < d->_n_owned; i++)
        free(d->_owned[i]);
    free(d->_owned);
    free(d->_buf);
    free(d);
}

/* ------------------------------------------------------------------ corpus */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_celex_file(const char *name)
{
    size_t n = strlen(name);
    if (n != 14 || strcmp(name + 10, ".txt") != 0)
        return 0;
    for (size_t i = 0; i < 10; i++)
        if (!isalnum((unsigned char)name[i]))
            return 0;
    return 1;
}

cmp_corpus_t *cmp_corpus_load(const char *dir, gf_err_t *err)
{
    DIR *dh = dir ? opendir(dir) : NULL;
    if (dh == NULL) {
        gf_err_set(err, GF_ENOTFOUND, "corpus_missing", "cannot open corpus directory '%s'",
                   dir ? dir : "(null)");
        return NULL;
    }
    char **names = NULL;
    size_t nn = 0, cn = 0;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL)
        if (is_celex_file(e->d_name))
            *CMP__PUSH(names, nn, cn) = gf_xstrdup(e->d_name);
    closedir(dh);
    cmp_corpus_t *c = NULL;
    if (nn == 0) {
        gf_err_set(err, GF_ENOTFOUND, "corpus_missing", "no <CELEX>.txt file in '%s'", dir);
        goto out;
    }
    qsort(names, nn, sizeof *names, cmp_str);
    c = gf_xcalloc(1, sizeof *c);
    c->docs = gf_xcalloc(nn, sizeof *c->docs);
    for (size_t i = 0; i < nn; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
            gf_err_set(err, GF_ENOTFOUND, "corpus_missing", "cannot read '%s'", path);
            goto fail;
        }
        gf_sbuf_t b = {0};
        char chunk[65536];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            gf_sbuf_add(&b, chunk, got);
        fclose(f);
        char celex[11];
        memcpy(celex, names[i], 10);
        celex[10] = '\0';
        cmp_doc_t *d = cmp_doc_parse(celex, b.s ? b.s : "", b.len, err);
        gf_sbuf_cleanup(&b);
        if (d == NULL)
            goto fail;
        c->docs[c->n_docs++] = *d; /* move the struct; the buffers stay put */
        free(d);
    }
    goto out;
fail:
    cmp_corpus_free(c);
    c = NULL;
out:
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    return c;
}

void cmp_corpus_free(cmp_corpus_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_docs; i++) {
        cmp_doc_t *d = gf_xmalloc(sizeof *d);
        *d = c->docs[i];
        cmp_doc_free(d);
    }
    free(c->docs);
    free(c);
}

const cmp_doc_t *cmp_corpus_find_doc(const cmp_corpus_t *c, const char *id)
{
    if (c == NULL || id == NULL)
        return NULL;
    for (size_t i = 0; i < c->n_docs; i++) {
        const cmp_doc_t *d = &c->docs[i];
        if (strcasecmp(id, d->celex) == 0 || (d->number[0] && strcasecmp(id, d->number) == 0))
            return d;
        /* "2012/27/EU", "(EU) 2019/944" */
        if (d->number[0] && strstr(id, d->number) && strlen(id) <= strlen(d->number) + 8)
            return d;
        for (size_t k = 0; k < sizeof KNOWN / sizeof KNOWN[0]; k++) {
            if (strcmp(KNOWN[k].celex, d->celex) != 0)
                continue;
            for (size_t a = 0; KNOWN[k].aliases[a]; a++)
                if (strcasecmp(id, KNOWN[k].aliases[a]) == 0)
                    return d;
        }
    }
    return NULL;
}

static const cmp_unit_t *find_unit(const cmp_unit_t *arr, size_t n, const char *num)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(arr[i].num, num) == 0)
            return &arr[i];
    return NULL;
}

const cmp_unit_t *cmp_doc_find_article(const cmp_doc_t *doc, const char *num)
{
    if (doc == NULL || num == NULL)
        return NULL;
    if (strncasecmp(num, "article ", 8) == 0)
        num += 8;
    return find_unit(doc->articles, doc->n_articles, num);
}

const cmp_unit_t *cmp_doc_find_annex(const cmp_doc_t *doc, const char *num)
{
    if (doc == NULL || num == NULL)
        return NULL;
    if (strncasecmp(num, "annex ", 6) == 0)
        num += 6;
    return find_unit(doc->annexes, doc->n_annexes, num);
}

static int numeric_label(const char *s)
{
    if (!isdigit((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != '.')
            return 0;
    return 1;
}

char *cmp_para_text(const cmp_para_t *p, size_t from, size_t to)
{
    return cmp_para_text_with(p, from, to, NULL);
}

char *cmp_para_text_with(const cmp_para_t *p, size_t from, size_t to, const char *const *over)
{
    gf_sbuf_t b = {0};
    if (to > p->n_items)
        to = p->n_items;
    if (from == 0 && numeric_label(p->num))
        gf_sbuf_addf(&b, "%s. ", p->num);
    else if (from == 0 && p->num[0])
        gf_sbuf_addf(&b, "%s\n", p->num);
    int first = 1;
    for (size_t i = from; i < to; i++) {
        const cmp_item_t *it = &p->items[i];
        const char *text = over && over[i] ? over[i] : it->text;
        if (over && over[i] && !over[i][0])
            continue; /* deleted */
        if (!first)
            gf_sbuf_adds(&b, "\n");
        first = 0;
        if (it->label[0]) {
            gf_sbuf_adds(&b, it->label);
            gf_sbuf_adds(&b, " ");
        }
        gf_sbuf_adds(&b, text);
    }
    return gf_sbuf_take(&b);
}

/* ------------------------------------------------------------------ browse JSON */

json_t *cmp_corpus_documents_to_json(const cmp_corpus_t *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; c && i < c->n_docs; i++) {
        const cmp_doc_t *d = &c->docs[i];
        json_array_append_new(arr,
                              json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "id",
                                        d->celex, "celex", d->celex, "name", d->name, "short_name",
                                        d->short_name, "number", d->number, "title", d->title,
                                        "recitals", (json_int_t)d->n_recitals, "articles",
                                        (json_int_t)d->n_articles, "annexes",
                                        (json_int_t)d->n_annexes));
    }
    return json_pack("{s:o}", "documents", arr);
}

static json_t *para_to_json(const cmp_para_t *p, int annex)
{
    char *text = cmp_para_text(p, 0, p->n_items);
    json_t *subs = json_array(), *points = json_array();
    /* stack of open points: rank and the json object */
    json_t *stack[8];
    int rank[8];
    int depth = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        const cmp_item_t *it = &p->items[i];
        if (it->kind == CMP_ITEM_TEXT || it->kind == CMP_ITEM_FOOTNOTE) {
            int attach = depth > 0 && (it->quoted || annex) && it->kind == CMP_ITEM_TEXT;
            if (attach) {
                json_t *o = stack[depth - 1];
                const char *old = json_string_value(json_object_get(o, "text"));
                gf_sbuf_t b = {0};
                gf_sbuf_addf(&b, "%s\n%s", old ? old : "", it->text);
                char *s = gf_sbuf_take(&b);
                json_object_set_new(o, "text", json_string(s));
                free(s);
            } else {
                depth = 0;
                if (it->kind == CMP_ITEM_FOOTNOTE) {
                    char *s = NULL;
                    if (asprintf(&s, "%s %s", it->label, it->text) < 0)
                        s = NULL;
                    json_array_append_new(subs, json_string(s ? s : it->text));
                    free(s);
                } else {
                    json_array_append_new(subs, json_string(it->text));
                }
            }
            continue;
        }
        int r = (int)it->kind;
        while (depth > 0 && rank[depth - 1] >= r)
            depth--;
        json_t *o = json_pack("{s:s, s:s}", "label", it->label, "text", it->text);
        if (depth == 0) {
            json_array_append_new(points, o);
        } else {
            json_t *parent = stack[depth - 1];
            json_t *kids = json_object_get(parent, "points");
            if (kids == NULL) {
                kids = json_array();
                json_object_set_new(parent, "points", kids);
            }
            json_array_append_new(kids, o);
        }
        if (depth < 8) {
            stack[depth] = o;
            rank[depth] = r;
            depth++;
        }
    }
    json_t *j = json_pack("{s:s, s:s, s:o, s:o}", "number", p->num, "text", text, "subparagraphs",
                          subs, "points", points);
    free(text);
    return j;
}

json_t *cmp_unit_to_json(const cmp_doc_t *doc, const cmp_unit_t *u)
{
    json_t *paras = json_array();
    for (size_t i = 0; i < u->n_paras; i++)
        json_array_append_new(paras, para_to_json(&u->paras[i], u->kind == CMP_UNIT_ANNEX));
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "document", doc->celex, "celex",
                          doc->celex, "kind", u->kind == CMP_UNIT_ARTICLE ? "article" : "annex",
                          "number", u->num, "title", u->title, "paragraphs", paras);
    json_object_set_new(j, "document_name", json_string(doc->name));
    json_object_set_new(j, "chapter", u->chapter ? json_string(u->chapter) : json_null());
    json_object_set_new(j, "section", u->section ? json_string(u->section) : json_null());
    return j;
}

int cmp_corpus_article_json(const cmp_corpus_t *c, const char *doc_id, const char *num,
                            json_t **out, gf_err_t *err)
{
    *out = NULL;
    if (c == NULL || doc_id == NULL || num == NULL || !*doc_id || !*num)
        return gf_err_set(err, GF_EINVAL, "invalid_argument",
                          "document id and article number are required");
    const cmp_doc_t *d = cmp_corpus_find_doc(c, doc_id);
    if (d == NULL)
        return gf_err_set(err, GF_ENOTFOUND, "unknown_document", "document '%.64s' is not known",
                          doc_id);
    const cmp_unit_t *u = NULL;
    if (strncasecmp(num, "annex", 5) == 0)
        u = cmp_doc_find_annex(d, num);
    else
        u = cmp_doc_find_article(d, num);
    if (u == NULL)
        return gf_err_set(err, GF_ENOTFOUND, "unknown_article",
                          "document %s has no article or annex '%.64s'", d->celex, num);
    *out = cmp_unit_to_json(d, u);
    return 0;
}
