/*
 * amend.c - amendment instructions of the corpus and the status of each provision (amend.h).
 */
#include "amend.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sbuf.h"
#include "util.h"

#define MAX_LIST 16

/* Where an instruction points: inherited from the enclosing point, refined by its own text. */
typedef struct loc {
    char unit[24], para[16], point[16], part[64];
    char path[24]; /* "(3)(a)" in the amending article */
} loc_t;

/* ------------------------------------------------------------------ small scanners */

static int word_at(const char *s, const char *start, const char *w)
{
    size_t n = strlen(w);
    if (strncasecmp(s, w, n) != 0)
        return 0;
    if (s > start && isalnum((unsigned char)s[-1]))
        return 0;
    return 1;
}

/* "1, 3, 4 and 11" / "(c) and (d)" / "(1) to (3)": items after *p into out (labels as written:
 * "1", "(c)"). Returns the count; *p moves past the list. */
static size_t scan_list(const char **p, char out[][16], size_t max)
{
    const char *s = *p;
    size_t n = 0;
    for (;;) {
        while (*s == ' ')
            s++;
        size_t k = 0;
        char lab[16];
        if (*s == '(') {
            while (s[k] && s[k] != ' ' && s[k] != ',' && s[k] != ';' && s[k] != ':' && k < 15)
                k++;
        } else {
            while (isalnum((unsigned char)s[k]) && k < 15)
                k++;
        }
        if (k == 0 || !(isdigit((unsigned char)s[0]) || s[0] == '('))
            break;
        memcpy(lab, s, k);
        lab[k] = '\0';
        int range = n > 0 && out[n - 1][0] == '~';
        if (range) {
            /* "(1) to (3)" or "1 to 3": expand numeric ranges */
            n--;
            const char *a = n > 0 ? out[n - 1] : "";
            int paren = a[0] == '(';
            int from = atoi(a + paren), to = atoi(lab + paren);
            for (int v = from + 1; v <= to && n < max && to - from < 50; v++)
                snprintf(out[n++], 16, paren ? "(%d)" : "%d", v);
        } else if (n < max) {
            snprintf(out[n++], 16, "%s", lab);
        }
        s += k;
        while (*s == ' ' || *s == ',')
            s++;
        if (strncmp(s, "and ", 4) == 0) {
            s += 4;
        } else if (strncmp(s, "to ", 3) == 0) {
            s += 3;
            if (n < max)
                snprintf(out[n++], 16, "~");
        } else if (!(*s == '(' || isdigit((unsigned char)*s))) {
            break;
        }
    }
    if (n > 0 && out[n - 1][0] == '~')
        n--;
    *p = s;
    return n;
}

/* "Article 9a" / "Annex XIV" at s → unit label; returns the length consumed, 0 if none. */
static size_t scan_unit(const char *s, const char *start, char *unit, size_t usz, char *para,
                        size_t psz)
{
    if (word_at(s, start, "Article ") && isdigit((unsigned char)s[8])) {
        size_t k = 8;
        while (isdigit((unsigned char)s[k]))
            k++;
        if (s[k] >= 'a' && s[k] <= 'z' && !isalpha((unsigned char)s[k + 1]))
            k++;
        snprintf(unit, usz, "Article %.*s", (int)(k - 8), s + 8);
        para[0] = '\0';
        if (s[k] == '(' && isdigit((unsigned char)s[k + 1])) {
            size_t j = k + 1;
            while (isdigit((unsigned char)s[j]))
                j++;
            if (s[j] == ')') {
                snprintf(para, psz, "%.*s", (int)(j - k - 1), s + k + 1);
                k = j + 1;
            }
        }
        return k;
    }
    if (word_at(s, start, "Annex ") && strchr("IVXLC", s[6]) && s[6]) {
        size_t k = 6;
        while (s[k] && strchr("IVXLC", s[k]))
            k++;
        if (isalpha((unsigned char)s[k]))
            return 0;
        snprintf(unit, usz, "Annex %.*s", (int)(k - 6), s + 6);
        para[0] = '\0';
        return k;
    }
    return 0;
}

static cmp_am_action_t find_verb(const char *t, size_t *at)
{
    static const struct {
        const char *w;
        cmp_am_action_t a;
    } V[] = {
        {" is deleted", CMP_AM_DELETED},
        {" are deleted", CMP_AM_DELETED},
        {" is replaced", CMP_AM_REPLACED},
        {" are replaced", CMP_AM_REPLACED},
        {" is amended as follows", CMP_AM_AMENDED},
        {" are amended as follows", CMP_AM_AMENDED},
        {" is inserted", CMP_AM_INSERTED},
        {" are inserted", CMP_AM_INSERTED},
        {" is added", CMP_AM_INSERTED},
        {" are added", CMP_AM_INSERTED},
    };
    const char *best = NULL;
    cmp_am_action_t act = 0;
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        const char *p = strstr(t, V[i].w);
        if (p && (!best || p < best)) {
            best = p;
            act = V[i].a;
        }
    }
    *at = best ? (size_t)(best - t) : 0;
    return act;
}

/* ------------------------------------------------------------------ instructions */

typedef struct parsed {
    cmp_am_action_t action;
    loc_t loc;
    char paras[MAX_LIST][16], points[MAX_LIST][16];
    size_t n_paras, n_points;
} parsed_t;

/* Refine loc with the location words of one instruction and find its verb. Returns 0 when
 * the line holds no instruction. */
static int parse_instruction(const char *text, const loc_t *parent, parsed_t *out)
{
    memset(out, 0, sizeof *out);
    out->loc = *parent;
    size_t vat = 0;
    out->action = find_verb(text, &vat);
    if (out->action == 0)
        return 0;
    /* location words come before the verb and before any quotation */
    size_t n = vat;
    const char *q = strstr(text, "\xE2\x80\x98");
    if (q && (size_t)(q - text) < n)
        n = (size_t)(q - text);
    char *s = gf_xstrndup(text, n);
    loc_t *l = &out->loc;
    for (const char *p = s; *p;) {
        size_t k;
        if ((k = scan_unit(p, s, l->unit, sizeof l->unit, l->para, sizeof l->para)) > 0) {
            l->point[0] = l->part[0] = '\0';
            p += k;
        } else if (word_at(p, s, "paragraphs ") || word_at(p, s, "paragraph ")) {
            p += p[9] == 's' ? 11 : 10;
            out->n_paras = scan_list(&p, out->paras, MAX_LIST);
            if (out->n_paras == 1) {
                snprintf(l->para, sizeof l->para, "%s", out->paras[0]);
                l->point[0] = '\0';
            }
        } else if (word_at(p, s, "points ") || word_at(p, s, "point ")) {
            p += p[5] == 's' ? 7 : 6;
            out->n_points = scan_list(&p, out->points, MAX_LIST);
            if (out->n_points == 1)
                snprintf(l->point, sizeof l->point, "%s", out->points[0]);
        } else if (word_at(p, s, "the title")) {
            snprintf(l->part, sizeof l->part, "title");
            p += 9;
        } else if (word_at(p, s, "the introductory ")) {
            snprintf(l->part, sizeof l->part, "introductory part");
            p += 17;
        } else if (word_at(p, s, "the words")) {
            snprintf(l->part, sizeof l->part, "words");
            p += 9;
        } else if (word_at(p, s, "the ") && strstr(p, "subparagraph")) {
            /* "the first and second subparagraphs" */
            const char *e = strstr(p, "subparagraph");
            const char *z = e + 12;
            if (*z == 's')
                z++;
            snprintf(l->part, sizeof l->part, "%.*s", (int)(z - p - 4), p + 4);
            p = z;
        } else {
            p++;
        }
    }
    free(s);
    return l->unit[0] != '\0';
}

static void add_entry(cmp_amendments_t *t, const parsed_t *pi, const char *para, const char *point,
                      int target, int d, const cmp_doc_t *doc, int ai, int pidx, const char *path,
                      const char *instruction)
{
    cmp_amendment_t *a = CMP__PUSH(t->a, t->n, t->cap);
    memset(a, 0, sizeof *a);
    a->target_doc = target;
    snprintf(a->unit, sizeof a->unit, "%s", pi->loc.unit);
    snprintf(a->para, sizeof a->para, "%s", para);
    snprintf(a->point, sizeof a->point, "%s", point);
    snprintf(a->part, sizeof a->part, "%s", pi->loc.part);
    a->action = pi->action;
    a->by_doc = d;
    a->by = &doc->articles[ai];
    a->by_unit = ai;
    a->by_para = pidx;
    snprintf(a->by_point, sizeof a->by_point, "%s", path);
    snprintf(a->by_ref, sizeof a->by_ref, "Article %s%s of %s", doc->articles[ai].num, path,
             doc->name);
    a->instruction = instruction;
}

/* The corpus act named in text (not doc itself), or -1. */
static int named_target(const cmp_corpus_t *c, int self, const char *text)
{
    for (size_t t = 0; t < c->n_docs; t++) {
        const char *num = c->docs[t].number;
        if ((int)t == self || num == NULL || !num[0])
            continue;
        const char *p = strstr(text, num);
        if (p && !isdigit((unsigned char)p[strlen(num)]))
            return (int)t;
    }
    return -1;
}

static int level_of(cmp_item_kind_t k)
{
    switch (k) {
    case CMP_ITEM_TEXT:
        return 0;
    case CMP_ITEM_NUM:
        return 1;
    case CMP_ITEM_LETTER:
        return 2;
    case CMP_ITEM_ROMAN:
        return 3;
    default:
        return -1;
    }
}

static void parse_article(cmp_amendments_t *t, const cmp_corpus_t *c, int d, int ai)
{
    const cmp_doc_t *doc = &c->docs[d];
    const cmp_unit_t *u = &doc->articles[ai];
    int target = -1;
    if (strstr(u->title, "mendment"))
        target = named_target(c, d, u->title);
    loc_t ctx[4];
    size_t last_from = t->n; /* entries of the last instruction: they get its quoted text */
    for (size_t p = 0; p < u->n_paras; p++) {
        memset(ctx, 0, sizeof ctx);
        for (size_t i = 0; i < u->paras[p].n_items; i++) {
            const cmp_item_t *it = &u->paras[p].items[i];
            if (it->quoted) {
                /* new text of the instructions just read (one or several entries) */
                for (size_t k = last_from; k < t->n; k++) {
                    cmp_amendment_t *a = &t->a[k];
                    if (a->action != CMP_AM_REPLACED && a->action != CMP_AM_INSERTED)
                        continue;
                    gf_sbuf_t b = {0};
                    if (a->new_text) {
                        gf_sbuf_adds(&b, a->new_text);
                        gf_sbuf_adds(&b, "\n");
                        free(a->new_text);
                    }
                    if (it->label[0]) {
                        gf_sbuf_adds(&b, it->label);
                        gf_sbuf_adds(&b, " ");
                    }
                    /* without the quotation marks and the punctuation after the closing one */
                    const char *x = it->text;
                    size_t n = strlen(x);
                    if (strncmp(x, "\xE2\x80\x98", 3) == 0) {
                        x += 3;
                        n -= 3;
                    }
                    while (n > 0 && strchr(".;,", x[n - 1]))
                        n--;
                    if (n >= 3 && strncmp(x + n - 3, "\xE2\x80\x99", 3) == 0)
                        n -= 3;
                    else
                        n = strlen(x);
                    gf_sbuf_add(&b, x, n);
                    a->new_text = gf_sbuf_take(&b);
                }
                continue;
            }
            int lv = level_of(it->kind);
            if (lv < 0)
                continue;
            /* the act this article amends: "Directive 2012/27/EU is amended as follows:" or
             * "In Article 25 of Directive 2013/30/EU, paragraph 1 is replaced ..." */
            if (lv == 0) {
                int nt = named_target(c, d, it->text);
                if (nt >= 0)
                    target = nt;
                memset(ctx, 0, sizeof ctx);
            }
            if (target < 0)
                continue;
            loc_t parent = lv > 0 ? ctx[lv - 1] : (loc_t){0};
            parsed_t pi;
            char path[24];
            snprintf(path, sizeof path, "%s%s", parent.path, lv > 0 ? it->label : "");
            int ok = parse_instruction(it->text, &parent, &pi);
            snprintf(pi.loc.path, sizeof pi.loc.path, "%s", path);
            ctx[lv] = pi.loc;
            for (int k = lv + 1; k < 4; k++)
                ctx[k] = ctx[lv];
            if (!ok)
                continue;
            last_from = t->n;
            if (pi.n_paras > 1) {
                for (size_t k = 0; k < pi.n_paras; k++)
                    add_entry(t, &pi, pi.paras[k], "", target, d, doc, ai, (int)p, path, it->text);
            } else if (pi.n_points > 1) {
                for (size_t k = 0; k < pi.n_points; k++)
                    add_entry(t, &pi, pi.loc.para, pi.points[k], target, d, doc, ai, (int)p, path,
                              it->text);
            } else {
                add_entry(t, &pi, pi.loc.para, pi.loc.point, target, d, doc, ai, (int)p, path,
                          it->text);
            }
        }
    }
}

/* ------------------------------------------------------------------ application dates */

typedef struct ref {
    char art[8];
    char path[24];
} ref_t;

/* "(5)(b)" at s: the label run; returns its length. */
static size_t label_run(const char *s)
{
    size_t k = 0;
    while (s[k] == '(') {
        size_t j = k + 1;
        while (isalnum((unsigned char)s[j]))
            j++;
        if (s[j] != ')')
            break;
        k = j + 1;
    }
    return k;
}

/* The references of "<refs> shall apply from <date>": "Article 40, Article 53(2), (3) and
 * (4), point (a) of Article 54(3), Article 54(4), and Article 55", "Points (1) to (3), (5)(b)
 * and (6) of Article 70". */
static size_t parse_refs(const char *s, size_t n, ref_t *out, size_t max)
{
    char *buf = gf_xstrndup(s, n);
    size_t nr = 0, pend_from = 0;
    int in_points = 0;
    char last_art[8] = "";
    char *save = NULL;
    /* segments: split at ", " and " and " */
    for (char *p = buf; *p; p++)
        if (strncmp(p, " and ", 5) == 0) {
            p[0] = ',';
            p[1] = ' ';
            memset(p + 2, ' ', 3);
        }
    for (char *seg = strtok_r(buf, ",", &save); seg; seg = strtok_r(NULL, ",", &save)) {
        while (*seg == ' ')
            seg++;
        if (strncasecmp(seg, "points ", 7) == 0 || strncasecmp(seg, "point ", 6) == 0) {
            seg += seg[5] == 's' || seg[5] == 'S' ? 7 : 6;
            in_points = 1;
            pend_from = nr;
        }
        const char *of = strstr(seg, " of Article ");
        if (seg[0] == '(' && nr < max) {
            /* labels: "(1) to (3)", "(5)(b)", "(6) of Article 70", or "(3)" after Article 53(2) */
            char lab[MAX_LIST][16];
            const char *q = seg;
            size_t nl;
            if (strstr(seg, " to ")) {
                nl = scan_list(&q, lab, MAX_LIST);
            } else {
                size_t k = label_run(seg);
                snprintf(lab[0], 16, "%.*s", (int)(k < 15 ? k : 15), seg);
                nl = k > 0;
            }
            for (size_t i = 0; i < nl && nr < max; i++) {
                ref_t *r = &out[nr++];
                snprintf(r->art, sizeof r->art, "%s", in_points ? "" : last_art);
                snprintf(r->path, sizeof r->path, "%.15s", lab[i]);
            }
        }
        if (of) {
            const char *a = of + 12;
            size_t k = 0;
            while (isalnum((unsigned char)a[k]) && k < 7)
                k++;
            char art[8], base[16] = "";
            snprintf(art, sizeof art, "%.*s", (int)k, a);
            size_t lr = label_run(a + k);
            if (lr)
                snprintf(base, sizeof base, "%.*s", (int)(lr < 15 ? lr : 15), a + k);
            for (size_t i = in_points ? pend_from : nr; i < nr; i++) {
                char path[24];
                snprintf(path, sizeof path, "%s%s", base, out[i].path);
                snprintf(out[i].path, sizeof out[i].path, "%s", path);
                snprintf(out[i].art, sizeof out[i].art, "%s", art);
            }
            in_points = 0;
        } else if (strncmp(seg, "Article ", 8) == 0 && nr < max) {
            const char *a = seg + 8;
            size_t k = 0;
            while (isalnum((unsigned char)a[k]) && k < 7)
                k++;
            snprintf(last_art, sizeof last_art, "%.*s", (int)k, a);
            ref_t *r = &out[nr++];
            snprintf(r->art, sizeof r->art, "%s", last_art);
            size_t lr = label_run(a + k);
            snprintf(r->path, sizeof r->path, "%.*s", (int)(lr < 23 ? lr : 23), a + k);
            in_points = 0;
        }
    }
    free(buf);
    return nr;
}

static void application_dates(cmp_amendments_t *t, const cmp_corpus_t *c)
{
    for (size_t d = 0; d < c->n_docs; d++) {
        const cmp_doc_t *doc = &c->docs[d];
        for (size_t a = 0; a < doc->n_articles; a++) {
            const cmp_unit_t *u = &doc->articles[a];
            if (strncasecmp(u->title, "Entry into force", 16) != 0)
                continue;
            for (size_t p = 0; p < u->n_paras; p++)
                for (size_t i = 0; i < u->paras[p].n_items; i++) {
                    const char *x = u->paras[p].items[i].text;
                    if (strstr(x, "shall enter into force"))
                        for (size_t m = 0; m < t->n; m++)
                            if (t->a[m].by_doc == (int)d)
                                t->a[m].entry_into_force = x;
                    const char *w = strstr(x, " shall apply from ");
                    if (w == NULL)
                        continue;
                    char date[32];
                    const char *dt = w + 18;
                    size_t k = 0;
                    while (dt[k] && dt[k] != '.' && dt[k] != ',' && k < 31)
                        k++;
                    snprintf(date, sizeof date, "%.*s", (int)k, dt);
                    ref_t refs[64];
                    size_t nr = parse_refs(x, (size_t)(w - x), refs, 64);
                    for (size_t m = 0; m < t->n; m++) {
                        cmp_amendment_t *am = &t->a[m];
                        if (am->by_doc != (int)d || am->applies_from[0])
                            continue;
                        for (size_t r = 0; r < nr; r++) {
                            size_t pl = strlen(refs[r].path);
                            if (strcmp(refs[r].art, am->by->num) == 0 &&
                                strncmp(refs[r].path, am->by_point, pl) == 0) {
                                snprintf(am->applies_from, sizeof am->applies_from, "%s", date);
                                break;
                            }
                        }
                    }
                }
        }
    }
}

/* ------------------------------------------------------------------ API */

cmp_amendments_t *cmp_amendments_parse(const cmp_corpus_t *c)
{
    cmp_amendments_t *t = gf_xcalloc(1, sizeof *t);
    for (size_t d = 0; d < c->n_docs; d++)
        for (size_t a = 0; a < c->docs[d].n_articles; a++) {
            const cmp_unit_t *u = &c->docs[d].articles[a];
            /* an amending article says so in its title ("Amendment(s) to ...") */
            if (strstr(u->title, "mendment") == NULL)
                continue;
            parse_article(t, c, (int)d, (int)a);
        }
    application_dates(t, c);
    return t;
}

void cmp_amendments_free(cmp_amendments_t *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->a[i].new_text);
    free(t->a);
    free(t);
}

cmp_status_t cmp_amend_status(const cmp_amendments_t *t, int doc, const char *unit,
                              const char *para, const char *point, const cmp_amendment_t **by)
{
    const cmp_amendment_t *amended = NULL;
    if (by)
        *by = NULL;
    if (t == NULL || unit == NULL)
        return CMP_ST_IN_FORCE;
    para = para ? para : "";
    point = point ? point : "";
    for (size_t i = 0; i < t->n; i++) {
        const cmp_amendment_t *a = &t->a[i];
        if (a->target_doc != doc || strcmp(a->unit, unit) != 0)
            continue;
        /* does a cover the provision (or a provision that contains it)? */
        int covers = (!a->para[0] || strcmp(a->para, para) == 0) &&
                     (!a->point[0] || strcmp(a->point, point) == 0) && !a->part[0];
        if (a->action == CMP_AM_DELETED && covers) {
            if (by)
                *by = a;
            return CMP_ST_DELETED;
        }
        /* an amendment inside the provision, or of the provision as a whole */
        int touches = (!a->para[0] || !para[0] || strcmp(a->para, para) == 0) &&
                      (!a->point[0] || !point[0] || strcmp(a->point, point) == 0);
        /* a new title or an added paragraph changes the unit, not its other paragraphs */
        if ((strcmp(a->part, "title") == 0 || (a->action == CMP_AM_INSERTED && !a->para[0])) &&
            para[0])
            touches = 0;
        if (touches && amended == NULL && a->action != CMP_AM_AMENDED)
            amended = a;
    }
    if (amended && by)
        *by = amended;
    return amended ? CMP_ST_AMENDED : CMP_ST_IN_FORCE;
}

const char *cmp_status_name(cmp_status_t s)
{
    return s == CMP_ST_DELETED ? "deleted" : s == CMP_ST_AMENDED ? "amended" : "in_force";
}

const char *cmp_am_action_name(cmp_am_action_t a)
{
    switch (a) {
    case CMP_AM_DELETED:
        return "deleted";
    case CMP_AM_REPLACED:
        return "replaced";
    case CMP_AM_AMENDED:
        return "amended";
    case CMP_AM_INSERTED:
        return "inserted";
    }
    return "amended";
}

void cmp_amendment_provision(const cmp_amendment_t *a, char *out, size_t outsz)
{
    if (a->para[0] && a->point[0])
        snprintf(out, outsz, "%s(%s), point %s", a->unit, a->para, a->point);
    else if (a->para[0])
        snprintf(out, outsz, "%s(%s)", a->unit, a->para);
    else if (a->point[0])
        snprintf(out, outsz, "%s, point %s", a->unit, a->point);
    else
        snprintf(out, outsz, "%s", a->unit);
}

json_t *cmp_amendment_to_json(const cmp_corpus_t *c, const cmp_amendment_t *a)
{
    char prov[96];
    cmp_amendment_provision(a, prov, sizeof prov);
    json_t *o = json_object();
    json_object_set_new(o, "action", json_string(cmp_am_action_name(a->action)));
    json_object_set_new(o, "provision", json_string(prov));
    json_object_set_new(o, "part", a->part[0] ? json_string(a->part) : json_null());
    json_object_set_new(o, "by", json_string(a->by_ref));
    json_object_set_new(o, "by_document", json_string(c->docs[a->by_doc].celex));
    json_object_set_new(o, "applies_from",
                        a->applies_from[0] ? json_string(a->applies_from) : json_null());
    if (!a->applies_from[0] && a->entry_into_force)
        json_object_set_new(o, "applies_with", json_string(a->entry_into_force));
    json_object_set_new(o, "instruction", json_string(a->instruction));
    json_object_set_new(o, "text", a->new_text ? json_string(a->new_text) : json_null());
    return o;
}

void cmp_amend_fate_free(const char **fate, char **owned, size_t n_owned)
{
    for (size_t i = 0; i < n_owned; i++)
        free(owned[i]);
    free(owned);
    free(fate);
}

static void set_status(json_t *o, cmp_status_t s, const cmp_amendment_t *by)
{
    json_object_set_new(o, "status", json_string(cmp_status_name(s)));
    json_object_set_new(o, "status_by", by ? json_string(by->by_ref) : json_null());
    json_object_set_new(o, "status_from",
                        by && by->applies_from[0] ? json_string(by->applies_from) : json_null());
}

static void points_status(const cmp_amendments_t *t, int doc, const char *unit, const char *para,
                          json_t *points)
{
    size_t i;
    json_t *pt;
    json_array_foreach(points, i, pt)
    {
        const char *label = json_string_value(json_object_get(pt, "label"));
        const cmp_amendment_t *by = NULL;
        cmp_status_t s = cmp_amend_status(t, doc, unit, para, label ? label : "", &by);
        set_status(pt, s, by);
    }
}

int cmp_article_json(const cmp_corpus_t *c, const cmp_amendments_t *t, const char *doc_id,
                     const char *num, json_t **out, gf_err_t *err)
{
    int rc = cmp_corpus_article_json(c, doc_id, num, out, err);
    if (rc != 0)
        return rc;
    const cmp_doc_t *d = cmp_corpus_find_doc(c, doc_id);
    int doc = (int)(d - c->docs);
    const char *kind = json_string_value(json_object_get(*out, "kind"));
    const char *n = json_string_value(json_object_get(*out, "number"));
    char unit[48];
    snprintf(unit, sizeof unit, "%s %s", kind && strcmp(kind, "annex") == 0 ? "Annex" : "Article",
             n ? n : "");
    const cmp_amendment_t *by = NULL;
    cmp_status_t us = cmp_amend_status(t, doc, unit, "", "", &by);
    set_status(*out, us, by);
    json_t *list = json_array();
    for (size_t i = 0; t && i < t->n; i++)
        if (t->a[i].target_doc == doc && strcmp(t->a[i].unit, unit) == 0)
            json_array_append_new(list, cmp_amendment_to_json(c, &t->a[i]));
    json_object_set_new(*out, "amendments", list);
    const cmp_unit_t *u = kind && strcmp(kind, "annex") == 0 ? cmp_doc_find_annex(d, n)
                                                             : cmp_doc_find_article(d, n);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(*out, "paragraphs"), i, p)
    {
        const char *pn = json_string_value(json_object_get(p, "number"));
        pn = pn ? pn : "";
        /* the paragraph as it stands, when amendments changed its text */
        if (u && i < u->n_paras && us != CMP_ST_DELETED) {
            char **owned = NULL;
            size_t n_owned = 0;
            const char **fate = cmp_amend_para_fate(t, doc, unit, &u->paras[i], &owned, &n_owned);
            if (fate) {
                char *was = cmp_para_text(&u->paras[i], 0, u->paras[i].n_items);
                char *now = cmp_para_text_with(&u->paras[i], 0, u->paras[i].n_items, fate);
                if (strcmp(was, now) != 0)
                    json_object_set_new(p, "text_in_force", json_string(now));
                free(was);
                free(now);
            }
            cmp_amend_fate_free(fate, owned, n_owned);
        }
        cmp_status_t ps = cmp_amend_status(t, doc, unit, pn, "", &by);
        set_status(p, ps, by);
        points_status(t, doc, unit, pn, json_object_get(p, "points"));
    }
    return 0;
}

/* ------------------------------------------------------------------ consolidation */

static int ordinal(const char *w, size_t n)
{
    static const char *const ORD[] = {"first", "second",  "third",  "fourth", "fifth",
                                      "sixth", "seventh", "eighth", "ninth",  "tenth"};
    for (int i = 0; i < 10; i++)
        if (strlen(ORD[i]) == n && strncmp(w, ORD[i], n) == 0)
            return i + 1;
    return 0;
}

/* "first and second subparagraphs" → bit set of 1-based subparagraph numbers */
static unsigned ordinals(const char *part)
{
    unsigned set = 0;
    const char *p = part;
    while (*p) {
        size_t n = strcspn(p, " ");
        int o = ordinal(p, n);
        if (o)
            set |= 1u << o;
        p += n;
        while (*p == ' ')
            p++;
    }
    return set;
}

/* "the words ‘X’ are replaced by the words ‘Y’" → X and Y (borrowed spans) */
static int quoted_words(const char *s, const char **x, size_t *xn, const char **y, size_t *yn)
{
    const char *a = strstr(s, "\xE2\x80\x98");
    const char *b = a ? strstr(a + 3, "\xE2\x80\x99") : NULL;
    const char *c = b ? strstr(b + 3, "\xE2\x80\x98") : NULL;
    const char *d = c ? strstr(c + 3, "\xE2\x80\x99") : NULL;
    if (d == NULL)
        return 0;
    *x = a + 3;
    *xn = (size_t)(b - a - 3);
    *y = c + 3;
    *yn = (size_t)(d - c - 3);
    return 1;
}

static int rank_of(const cmp_item_t *it)
{
    return it->kind == CMP_ITEM_TEXT ? 0 : (int)it->kind;
}

const char **cmp_amend_para_fate(const cmp_amendments_t *t, int doc, const char *unit,
                                 const cmp_para_t *p, char ***owned, size_t *n_owned)
{
    *owned = NULL;
    *n_owned = 0;
    if (t == NULL || p->n_items == 0)
        return NULL;
    const char **fate = NULL;
    int *sub = gf_xcalloc(p->n_items, sizeof *sub);
    int s = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        if (p->items[i].kind == CMP_ITEM_TEXT && !p->items[i].quoted)
            s++;
        sub[i] = s;
    }
    for (size_t m = 0; m < t->n; m++) {
        const cmp_amendment_t *a = &t->a[m];
        if (a->target_doc != doc || strcmp(a->unit, unit) != 0 || a->action == CMP_AM_AMENDED ||
            a->action == CMP_AM_INSERTED)
            continue;
        if (a->para[0] ? strcmp(a->para, p->num) != 0 : strcmp(a->part, "words") != 0)
            continue;
        if (fate == NULL)
            fate = gf_xcalloc(p->n_items, sizeof *fate);
        if (strcmp(a->part, "words") == 0) {
            const char *x, *y;
            size_t xn, yn;
            if (!quoted_words(a->instruction, &x, &xn, &y, &yn) || xn == 0)
                continue;
            char *xs = gf_xstrndup(x, xn);
            for (size_t i = 0; i < p->n_items; i++) {
                const char *cur = fate[i] ? fate[i] : p->items[i].text;
                const char *f = cur[0] ? strstr(cur, xs) : NULL;
                if (f == NULL)
                    continue;
                gf_sbuf_t b = {0};
                gf_sbuf_add(&b, cur, (size_t)(f - cur));
                gf_sbuf_add(&b, y, yn);
                gf_sbuf_adds(&b, f + xn);
                *owned = gf_xrealloc(*owned, (*n_owned + 1) * sizeof **owned);
                fate[i] = (*owned)[(*n_owned)++] = gf_sbuf_take(&b);
            }
            free(xs);
            continue;
        }
        if (a->point[0]) {
            /* a deleted point, with the points below it */
            for (size_t i = 0; i < p->n_items; i++) {
                if (strcmp(p->items[i].label, a->point) != 0 || a->action != CMP_AM_DELETED)
                    continue;
                int r = rank_of(&p->items[i]);
                fate[i] = "";
                for (size_t j = i + 1; j < p->n_items && rank_of(&p->items[j]) > r; j++)
                    fate[j] = "";
            }
            continue;
        }
        /* the new text without the paragraph number it repeats ("1. Member States ...") */
        const char *nt = a->new_text;
        size_t pl = strlen(p->num);
        if (nt && pl && strncmp(nt, p->num, pl) == 0 && nt[pl] == '.' && nt[pl + 1] == ' ')
            nt += pl + 2;
        if (strcmp(a->part, "introductory part") == 0) {
            if (a->action == CMP_AM_REPLACED && nt && p->items[0].kind == CMP_ITEM_TEXT)
                fate[0] = nt;
            continue;
        }
        unsigned set = a->part[0] ? ordinals(a->part) : ~0u;
        int first = 1;
        for (size_t i = 0; i < p->n_items; i++) {
            if (sub[i] >= 32 || !(set & (1u << sub[i])))
                continue;
            if (a->action == CMP_AM_REPLACED && nt && first && p->items[i].kind == CMP_ITEM_TEXT) {
                fate[i] = nt;
                first = 0;
            } else {
                fate[i] = "";
            }
        }
    }
    free(sub);
    return fate;
}
