/*
 * case.c - MATPOWER (version 2) case parser.
 *
 * The text is read by a small lexer that splits it into words and punctuation, tracking
 * line numbers; `%` starts a comment and `...` continues a line. Top-level statements are
 * `function mpc = NAME` and `mpc.FIELD = VALUE;` where VALUE is a number, a quoted string,
 * a matrix `[ ... ]` or a cell array `{ ... }` (skipped). Known matrices (bus, gen, branch,
 * gencost) are collected with the line of every row, then checked and turned into a
 * gf_pf_case_t. Nothing here trusts the input: every size comes from what was actually
 * read, every number is range-checked before it is cast, and the input need not be
 * NUL-terminated.
 */
#include "powerflow/case.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* ------------------------------------------------------------------ lexer */

enum tok { T_EOF, T_WORD, T_STRING, T_NL, T_PUNCT };

typedef struct lexer {
    const char *s;
    size_t len, pos;
    int line;
    /* current token */
    enum tok t;
    const char *w; /* word/string start */
    size_t wlen;
    char p; /* punctuation char */
    int tline;
} lexer_t;

static bool is_punct(char c)
{
    return c == '=' || c == ';' || c == ',' || c == '[' || c == ']' || c == '{' || c == '}' ||
           c == '(' || c == ')';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Advance to the next token. Returns 0, or -1 on an unterminated string. */
static int lex_next(lexer_t *lx)
{
    for (;;) {
        while (lx->pos < lx->len && is_space(lx->s[lx->pos]))
            lx->pos++;
        if (lx->pos >= lx->len) {
            lx->t = T_EOF;
            lx->tline = lx->line;
            return 0;
        }
        char c = lx->s[lx->pos];
        if (c == '%' || c == '#') {
            while (lx->pos < lx->len && lx->s[lx->pos] != '\n')
                lx->pos++;
            continue;
        }
        /* "..." continues the line: skip to and past the newline */
        if (c == '.' && lx->pos + 2 < lx->len && lx->s[lx->pos + 1] == '.' &&
            lx->s[lx->pos + 2] == '.') {
            while (lx->pos < lx->len && lx->s[lx->pos] != '\n')
                lx->pos++;
            if (lx->pos < lx->len) {
                lx->pos++;
                lx->line++;
            }
            continue;
        }
        lx->tline = lx->line;
        if (c == '\n') {
            lx->pos++;
            lx->line++;
            lx->t = T_NL;
            return 0;
        }
        if (is_punct(c)) {
            lx->pos++;
            lx->t = T_PUNCT;
            lx->p = c;
            return 0;
        }
        if (c == '\'' || c == '"') {
            size_t start = ++lx->pos;
            while (lx->pos < lx->len && lx->s[lx->pos] != c && lx->s[lx->pos] != '\n')
                lx->pos++;
            if (lx->pos >= lx->len || lx->s[lx->pos] != c)
                return -1;
            lx->t = T_STRING;
            lx->w = lx->s + start;
            lx->wlen = lx->pos - start;
            lx->pos++;
            return 0;
        }
        size_t start = lx->pos;
        while (lx->pos < lx->len) {
            char d = lx->s[lx->pos];
            if (is_space(d) || d == '\n' || d == '%' || d == '#' || d == '\'' || d == '"' ||
                is_punct(d))
                break;
            lx->pos++;
        }
        lx->t = T_WORD;
        lx->w = lx->s + start;
        lx->wlen = lx->pos - start;
        return 0;
    }
}

static bool word_is(const lexer_t *lx, const char *s)
{
    size_t n = strlen(s);
    return lx->t == T_WORD && lx->wlen == n && memcmp(lx->w, s, n) == 0;
}

/* Parse a word as a number: decimal only (digits, sign, '.', exponent) or [+-]Inf.
 * Returns false for anything else (hex, nan, identifiers, overlong words). */
static bool word_number(const char *w, size_t n, double *out)
{
    char buf[80];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, w, n);
    buf[n] = '\0';
    const char *p = buf;
    double sign = 1.0;
    if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1.0 : 1.0;
        p++;
    }
    if (strcmp(p, "Inf") == 0 || strcmp(p, "inf") == 0) {
        *out = sign * HUGE_VAL;
        return true;
    }
    bool digit = false;
    for (const char *q = buf; *q; q++) {
        char c = *q;
        if (c >= '0' && c <= '9')
            digit = true;
        else if (!(c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E'))
            return false;
    }
    if (!digit)
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == NULL || *end != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* ------------------------------------------------------------------ matrices */

typedef struct mat {
    bool present;
    int line; /* line of `mpc.x =` */
    size_t rows, cols, cap;
    double *v; /* rows*cols, row-major */
    int *row_line;
} mat_t;

static void mat_cleanup(mat_t *m)
{
    free(m->v);
    free(m->row_line);
    memset(m, 0, sizeof *m);
}

static int perr(gf_err_t *err, int rc, const char *code, int line, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int perr(gf_err_t *err, int rc, const char *code, int line, const char *field,
                const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        gf_err_set(err, rc, code, "line %d: %s", line, msg);
    else
        gf_err_set(err, rc, code, "%s", msg);
    json_t *d = json_object();
    if (d != NULL) {
        if (line > 0)
            json_object_set_new(d, "line", json_integer(line));
        if (field != NULL)
            json_object_set_new(d, "field", json_string(field));
        gf_err_add_detail(err, d);
    }
    return rc;
}

/* Read a matrix body after '['. Rows end at ';' or newline; ']' ends the matrix. */
static int parse_matrix(lexer_t *lx, mat_t *m, const char *field, gf_err_t *err)
{
    size_t ncol = 0; /* columns in the current row */
    int row_line = 0;
    size_t n = 0; /* values stored */
    for (;;) {
        if (lex_next(lx) != 0)
            return perr(err, GF_EINVAL, GF_PF_ECASE_TRUNCATED, lx->line, field,
                        "unterminated string in %s", field);
        bool end_row = false, end_mat = false;
        switch (lx->t) {
        case T_EOF:
            return perr(err, GF_EINVAL, GF_PF_ECASE_TRUNCATED, lx->tline, field,
                        "%s: text ends inside the matrix opened on line %d", field, m->line);
        case T_NL:
            end_row = true;
            break;
        case T_STRING:
            return perr(err, GF_EINVAL, GF_PF_ECASE_NUMBER, lx->tline, field,
                        "%s: a string is not a number", field);
        case T_PUNCT:
            if (lx->p == ';')
                end_row = true;
            else if (lx->p == ']')
                end_mat = true;
            else if (lx->p != ',')
                return perr(err, GF_EINVAL, GF_PF_ECASE_SYNTAX, lx->tline, field,
                            "%s: unexpected '%c' in matrix", field, lx->p);
            break;
        case T_WORD: {
            double v;
            if (!word_number(lx->w, lx->wlen, &v)) {
                int k = lx->wlen > 32 ? 32 : (int)lx->wlen;
                return perr(err, GF_EINVAL, GF_PF_ECASE_NUMBER, lx->tline, field,
                            "%s: '%.*s' is not a number", field, k, lx->w);
            }
            if (ncol == 0)
                row_line = lx->tline;
            if (m->rows > 0 && ncol >= m->cols)
                return perr(err, GF_EINVAL, GF_PF_ECASE_COLUMNS, row_line, field,
                            "%s: row has more than the %zu columns of the first row", field,
                            m->cols);
            if (n == m->cap) {
                m->cap = m->cap ? 2 * m->cap : 256;
                m->v = gf_xrealloc(m->v, m->cap * sizeof *m->v);
            }
            m->v[n++] = v;
            ncol++;
            break;
        }
        }
        if ((end_row || end_mat) && ncol > 0) {
            if (m->rows == 0)
                m->cols = ncol;
            else if (ncol != m->cols)
                return perr(err, GF_EINVAL, GF_PF_ECASE_COLUMNS, row_line, field,
                            "%s: row has %zu columns, the first row has %zu", field, ncol, m->cols);
            m->row_line = gf_xrealloc(m->row_line, (m->rows + 1) * sizeof *m->row_line);
            m->row_line[m->rows++] = row_line;
            ncol = 0;
        }
        if (end_mat)
            return 0;
    }
}

/* Skip a cell array after '{' up to the matching '}' (nesting allowed). */
static int skip_cell(lexer_t *lx, const char *field, gf_err_t *err)
{
    int depth = 1, line = lx->tline;
    while (depth > 0) {
        if (lex_next(lx) != 0)
            return perr(err, GF_EINVAL, GF_PF_ECASE_TRUNCATED, lx->line, field,
                        "unterminated string in %s", field);
        if (lx->t == T_EOF)
            return perr(err, GF_EINVAL, GF_PF_ECASE_TRUNCATED, lx->tline, field,
                        "%s: text ends inside the cell array opened on line %d", field, line);
        if (lx->t == T_PUNCT && lx->p == '{')
            depth++;
        else if (lx->t == T_PUNCT && lx->p == '}')
            depth--;
    }
    return 0;
}

/* ------------------------------------------------------------------ statements */

typedef struct pstate {
    mat_t bus, gen, branch, gencost, other;
    bool have_base;
    double base_mva;
    int base_line;
    char name[64];
} pstate_t;

static int expect_stmt_end(lexer_t *lx, const char *field, gf_err_t *err)
{
    if (lex_next(lx) != 0)
        return perr(err, GF_EINVAL, GF_PF_ECASE_TRUNCATED, lx->line, field, "unterminated string");
    if (lx->t == T_EOF || lx->t == T_NL || (lx->t == T_PUNCT && (lx->p == ';' || lx->p == ',')))
        return 0;
    return perr(err, GF_EINVAL, GF_PF_ECASE_SYNTAX, lx->tline, field,
                "expected ';' or end of line after %s", field);
}

static int parse_assignment(lexer_t *lx, pstate_t *ps, gf_err_t *err)
{
    char field[40];
    int k = lx->wlen >= sizeof field ? (int)sizeof field - 1 : (int)lx->wlen;
    memcpy(field, lx->w, (size_t)k);
    field[k] = '\0';
    int line = lx->tline;
    if (lex_next(lx) != 0 || lx->t != T_PUNCT || lx->p != '=')
        return perr(err, GF_EINVAL, GF_PF_ECASE_SYNTAX, line, NULL, "expected '=' after '%s'",
                    field);
    if (lex_next(lx) != 0)
        return perr(err, GF_EINVAL, GF_PF_ECASE_TRUNCATED, lx->line, field,
                    "unterminated string in %s", field);
    mat_t *m = NULL;
    if (strcmp(field, "mpc.bus") == 0)
        m = &ps->bus;
    else if (strcmp(field, "mpc.gen") == 0)
        m = &ps->gen;
    else if (strcmp(field, "mpc.branch") == 0)
        m = &ps->branch;
    else if (strcmp(field, "mpc.gencost") == 0)
        m = &ps->gencost;

    if (lx->t == T_PUNCT && lx->p == '[') {
        if (m == NULL) {
            m = &ps->other; /* parsed for syntax, then dropped */
            mat_cleanup(m);
        } else if (m->present) {
            return perr(err, GF_EINVAL, GF_PF_ECASE_SYNTAX, line, field, "%s assigned twice",
                        field);
        }
        m->present = true;
        m->line = line;
        int rc = parse_matrix(lx, m, field, err);
        if (rc != 0)
            return rc;
        return expect_stmt_end(lx, field, err);
    }
    if (m != NULL)
        return perr(err, GF_EINVAL, GF_PF_ECASE_SYNTAX, line, field,
                    "%s must be a matrix '[ ... ]'", field);
    if (lx->t == T_PUNCT && lx->p == '{') {
        int rc = skip_cell(lx, field, err);
        return rc != 0 ? rc : expect_stmt_end(lx, field, err);
    }
    if (strcmp(field, "mpc.version") == 0) {
        double v = 0;
        bool ok = (lx->t == T_STRING && lx->wlen == 1 && lx->w[0] == '2') ||
                  (lx->t == T_WORD && word_number(lx->w, lx->wlen, &v) && v == 2.0);
        if (!ok)
            return perr(err, GF_EINVAL, GF_PF_ECASE_VERSION, line, field,
                        "only MATPOWER case format version '2' is supported");
        return expect_stmt_end(lx, field, err);
    }
    if (strcmp(field, "mpc.baseMVA") == 0) {
        double v;
        if (lx->t != T_WORD || !word_number(lx->w, lx->wlen, &v))
            return perr(err, GF_EINVAL, GF_PF_ECASE_NUMBER, line, field,
                        "mpc.baseMVA is not a number");
        if (!(v > 0) || !isfinite(v))
            return perr(err, GF_EINVAL, GF_PF_ECASE_VALUE, line, field,
                        "mpc.baseMVA must be positive and finite");
        ps->have_base = true;
        ps->base_mva = v;
        ps->base_line = line;
        return expect_stmt_end(lx, field, err);
    }
    /* any other scalar or string field: accepted and ignored */
    if (lx->t == T_WORD || lx->t == T_STRING)
        return expect_stmt_end(lx, field, err);
    return perr(err, GF_EINVAL, GF_PF_ECASE_SYNTAX, line, field, "bad value for %s", field);
}

/* `function mpc = NAME` (or `function NAME`): keep the name, skip the rest of the line. */
static int parse_function(lexer_t *lx, pstate_t *ps, gf_err_t *err)
{
    for (;;) {
        if (lex_next(lx) != 0)
            return perr(err, GF_EINVAL, GF_PF_ECASE_TRUNCATED, lx->line, NULL,
                        "unterminated string");
        if (lx->t == T_EOF || lx->t == T_NL)
            return 0;
        if (lx->t == T_WORD) {
            size_t k = lx->wlen < sizeof ps->name ? lx->wlen : sizeof ps->name - 1;
            memcpy(ps->name, lx->w, k);
            ps->name[k] = '\0';
        }
    }
}

/* ------------------------------------------------------------------ building the case */

static int cmp_bus_id(const void *a, const void *b, void *ctx)
{
    const gf_pf_bus_t *bus = ctx;
    int ia = bus[*(const int *)a].id, ib = bus[*(const int *)b].id;
    return (ia > ib) - (ia < ib);
}

long gf_pf_case_bus_index(const gf_pf_case_t *c, int id)
{
    size_t lo = 0, hi = c->n_bus;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int mid_id = c->bus[c->_bus_sorted[mid]].id;
        if (mid_id == id)
            return c->_bus_sorted[mid];
        if (mid_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* An integer-valued entry that fits in int (bus numbers, types, status). */
static bool as_int(double v, int *out)
{
    if (!(v >= -2147483647.0 && v <= 2147483647.0) || v != floor(v))
        return false;
    *out = (int)v;
    return true;
}

#define CHECK_INT(val, dst, fieldname, line, what)                                                 \
    do {                                                                                           \
        if (!as_int((val), (dst))) {                                                               \
            rc = perr(err, GF_EINVAL, GF_PF_ECASE_VALUE, (line), (fieldname),                      \
                      "%s: %s must be an integer", (fieldname), (what));                           \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

#define CHECK_FINITE(val, fieldname, line, what)                                                   \
    do {                                                                                           \
        if (!isfinite(val)) {                                                                      \
            rc = perr(err, GF_EINVAL, GF_PF_ECASE_VALUE, (line), (fieldname),                      \
                      "%s: %s must be finite", (fieldname), (what));                               \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

static int build_case(pstate_t *ps, gf_pf_case_t **out, gf_err_t *err)
{
    int rc = 0;
    gf_pf_case_t *c = NULL;
    if (!ps->have_base)
        return perr(err, GF_EINVAL, GF_PF_ECASE_NO_BASEMVA, 0, "mpc.baseMVA",
                    "mpc.baseMVA is missing");
    const struct {
        mat_t *m;
        const char *name;
        size_t min_cols;
    } req[] = {{&ps->bus, "mpc.bus", 13},
               {&ps->gen, "mpc.gen", 10},
               {&ps->branch, "mpc.branch", 13}};
    for (size_t i = 0; i < 3; i++) {
        if (!req[i].m->present || req[i].m->rows == 0)
            return perr(err, GF_EINVAL, GF_PF_ECASE_MISSING, req[i].m->present ? req[i].m->line : 0,
                        req[i].name, "%s is missing or empty", req[i].name);
        if (req[i].m->cols < req[i].min_cols)
            return perr(err, GF_EINVAL, GF_PF_ECASE_COLUMNS, req[i].m->row_line[0], req[i].name,
                        "%s needs at least %zu columns, has %zu", req[i].name, req[i].min_cols,
                        req[i].m->cols);
    }
    if (ps->gen.cols > 10 && ps->gen.cols < 21)
        return perr(err, GF_EINVAL, GF_PF_ECASE_COLUMNS, ps->gen.row_line[0], "mpc.gen",
                    "mpc.gen has %zu columns; MATPOWER needs 10 or at least 21", ps->gen.cols);

    c = gf_xcalloc(1, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", ps->name);
    c->base_mva = ps->base_mva;

    /* buses */
    mat_t *m = &ps->bus;
    c->n_bus = m->rows;
    c->bus = gf_xcalloc(m->rows, sizeof *c->bus);
    bool have_ref = false;
    for (size_t i = 0; i < m->rows; i++) {
        const double *r = m->v + i * m->cols;
        int line = m->row_line[i];
        gf_pf_bus_t *b = &c->bus[i];
        CHECK_INT(r[0], &b->id, "mpc.bus", line, "bus_i");
        CHECK_INT(r[1], &b->type, "mpc.bus", line, "type");
        CHECK_INT(r[6], &b->area, "mpc.bus", line, "area");
        CHECK_INT(r[10], &b->zone, "mpc.bus", line, "zone");
        if (b->type < 1 || b->type > 4) {
            rc = perr(err, GF_EINVAL, GF_PF_ECASE_VALUE, line, "mpc.bus",
                      "mpc.bus: bus %d has type %d (1..4 allowed)", b->id, b->type);
            goto fail;
        }
        for (int k = 2; k <= 12; k++)
            if (k != 6 && k != 10 && k != 11)
                CHECK_FINITE(r[k], "mpc.bus", line, "Pd, Qd, Gs, Bs, Vm, Va, baseKV, Vmin");
        b->pd = r[2];
        b->qd = r[3];
        b->gs = r[4];
        b->bs = r[5];
        b->vm = r[7];
        b->va = r[8];
        b->base_kv = r[9];
        b->vmax = r[11];
        b->vmin = r[12];
        if (isnan(b->vmax) || b->vmax < b->vmin) {
            rc = perr(err, GF_EINVAL, GF_PF_ECASE_VALUE, line, "mpc.bus",
                      "mpc.bus: bus %d has Vmax < Vmin", b->id);
            goto fail;
        }
        if (b->type == GF_PF_REF)
            have_ref = true;
    }
    c->_bus_sorted = gf_xmalloc(c->n_bus * sizeof *c->_bus_sorted);
    for (size_t i = 0; i < c->n_bus; i++)
        c->_bus_sorted[i] = (int)i;
    qsort_r(c->_bus_sorted, c->n_bus, sizeof *c->_bus_sorted, cmp_bus_id, c->bus);
    for (size_t i = 1; i < c->n_bus; i++) {
        int a = c->_bus_sorted[i - 1], b = c->_bus_sorted[i];
        if (c->bus[a].id == c->bus[b].id) {
            int second = a > b ? a : b;
            rc = perr(err, GF_EUNPROCESSABLE, GF_PF_ECASE_DUP_BUS, m->row_line[second], "mpc.bus",
                      "mpc.bus: bus %d appears twice", c->bus[a].id);
            goto fail;
        }
    }
    if (!have_ref) {
        rc = perr(err, GF_EUNPROCESSABLE, GF_PF_ECASE_NO_REF, m->line, "mpc.bus",
                  "mpc.bus has no reference bus (type 3)");
        goto fail;
    }

    /* generators */
    m = &ps->gen;
    c->n_gen = m->rows;
    c->gen = gf_xcalloc(m->rows, sizeof *c->gen);
    for (size_t i = 0; i < m->rows; i++) {
        const double *r = m->v + i * m->cols;
        int line = m->row_line[i];
        gf_pf_gen_t *g = &c->gen[i];
        CHECK_INT(r[0], &g->bus, "mpc.gen", line, "bus");
        CHECK_INT(r[7], &g->status, "mpc.gen", line, "status");
        CHECK_FINITE(r[1], "mpc.gen", line, "Pg");
        CHECK_FINITE(r[2], "mpc.gen", line, "Qg");
        CHECK_FINITE(r[5], "mpc.gen", line, "Vg");
        g->pg = r[1];
        g->qg = r[2];
        g->qmax = r[3];
        g->qmin = r[4];
        g->vg = r[5];
        g->mbase = r[6];
        g->pmax = r[8];
        g->pmin = r[9];
        if (g->qmax < g->qmin || g->pmax < g->pmin || g->pmin == HUGE_VAL || g->qmin == HUGE_VAL ||
            g->pmax == -HUGE_VAL || g->qmax == -HUGE_VAL) {
            rc = perr(err, GF_EINVAL, GF_PF_ECASE_VALUE, line, "mpc.gen",
                      "mpc.gen: generator %zu has max < min", i + 1);
            goto fail;
        }
        if (gf_pf_case_bus_index(c, g->bus) < 0) {
            rc = perr(err, GF_EUNPROCESSABLE, GF_PF_ECASE_UNKNOWN_BUS, line, "mpc.gen",
                      "mpc.gen: generator %zu is at bus %d, which is not in mpc.bus", i + 1,
                      g->bus);
            goto fail;
        }
    }

    /* branches */
    m = &ps->branch;
    c->n_branch = m->rows;
    c->branch = gf_xcalloc(m->rows, sizeof *c->branch);
    for (size_t i = 0; i < m->rows; i++) {
        const double *r = m->v + i * m->cols;
        int line = m->row_line[i];
        gf_pf_branch_t *br = &c->branch[i];
        CHECK_INT(r[0], &br->fbus, "mpc.branch", line, "fbus");
        CHECK_INT(r[1], &br->tbus, "mpc.branch", line, "tbus");
        CHECK_INT(r[10], &br->status, "mpc.branch", line, "status");
        for (int k = 2; k <= 9; k++)
            if (k < 5 || k > 7)
                CHECK_FINITE(r[k], "mpc.branch", line, "r, x, b, ratio, angle");
        br->r = r[2];
        br->x = r[3];
        br->b = r[4];
        br->rate_a = r[5];
        br->rate_b = r[6];
        br->rate_c = r[7];
        br->ratio = r[8];
        br->angle = r[9];
        br->angmin = r[11];
        br->angmax = r[12];
        if (isnan(br->angmin) || isnan(br->angmax) || br->rate_a < 0) {
            rc = perr(err, GF_EINVAL, GF_PF_ECASE_VALUE, line, "mpc.branch",
                      "mpc.branch: branch %zu has a negative rateA or bad angle limits", i + 1);
            goto fail;
        }
        if (br->r == 0 && br->x == 0) {
            rc = perr(err, GF_EUNPROCESSABLE, GF_PF_ECASE_VALUE, line, "mpc.branch",
                      "mpc.branch: branch %zu has zero impedance (r = x = 0)", i + 1);
            goto fail;
        }
        const char *which = NULL;
        if (gf_pf_case_bus_index(c, br->fbus) < 0)
            which = "fbus";
        else if (gf_pf_case_bus_index(c, br->tbus) < 0)
            which = "tbus";
        if (which != NULL) {
            rc = perr(err, GF_EUNPROCESSABLE, GF_PF_ECASE_UNKNOWN_BUS, line, "mpc.branch",
                      "mpc.branch: branch %zu %s %d is not in mpc.bus", i + 1, which,
                      which[0] == 'f' ? br->fbus : br->tbus);
            goto fail;
        }
        if (br->fbus == br->tbus) {
            rc = perr(err, GF_EUNPROCESSABLE, GF_PF_ECASE_VALUE, line, "mpc.branch",
                      "mpc.branch: branch %zu connects bus %d to itself", i + 1, br->fbus);
            goto fail;
        }
    }

    /* generator costs (optional) */
    m = &ps->gencost;
    if (m->present && m->rows > 0) {
        if (m->rows != c->n_gen && m->rows != 2 * c->n_gen) {
            rc = perr(err, GF_EINVAL, GF_PF_ECASE_GENCOST, m->row_line[0], "mpc.gencost",
                      "mpc.gencost has %zu rows; expected %zu (or %zu with Q costs)", m->rows,
                      c->n_gen, 2 * c->n_gen);
            goto fail;
        }
        if (m->cols < 4) {
            rc = perr(err, GF_EINVAL, GF_PF_ECASE_COLUMNS, m->row_line[0], "mpc.gencost",
                      "mpc.gencost needs at least 4 columns");
            goto fail;
        }
        c->gencost = gf_xcalloc(c->n_gen, sizeof *c->gencost);
        c->_coef = gf_xcalloc(c->n_gen * (m->cols - 4) + 1, sizeof *c->_coef);
        size_t used = 0;
        for (size_t i = 0; i < c->n_gen; i++) {
            const double *r = m->v + i * m->cols;
            int line = m->row_line[i];
            gf_pf_gencost_t *gc = &c->gencost[i];
            CHECK_INT(r[0], &gc->model, "mpc.gencost", line, "model");
            CHECK_INT(r[3], &gc->n, "mpc.gencost", line, "n");
            gc->startup = r[1];
            gc->shutdown = r[2];
            size_t need;
            if (gc->model == GF_PF_COST_POLY && gc->n >= 0 && (size_t)gc->n <= m->cols - 4) {
                need = (size_t)gc->n;
            } else if (gc->model == GF_PF_COST_PWL && gc->n >= 2 &&
                       (size_t)gc->n <= (m->cols - 4) / 2) {
                need = 2 * (size_t)gc->n;
            } else {
                rc = perr(err, GF_EINVAL, GF_PF_ECASE_GENCOST, line, "mpc.gencost",
                          "mpc.gencost: row %zu has model %d with n = %d, which does not fit "
                          "its %zu columns (model 1 needs n >= 2 points, model 2 n >= 0 "
                          "coefficients)",
                          i + 1, gc->model, gc->n, m->cols);
                goto fail;
            }
            double *dst = c->_coef + used;
            for (size_t k = 0; k < need; k++) {
                CHECK_FINITE(r[4 + k], "mpc.gencost", line, "cost data");
                dst[k] = r[4 + k];
            }
            if (gc->model == GF_PF_COST_PWL)
                for (int k = 1; k < gc->n; k++)
                    if (!(dst[2 * k] > dst[2 * k - 2])) {
                        rc = perr(err, GF_EINVAL, GF_PF_ECASE_GENCOST, line, "mpc.gencost",
                                  "mpc.gencost: row %zu: piecewise-linear x values must "
                                  "increase",
                                  i + 1);
                        goto fail;
                    }
            gc->c = dst;
            used += need;
        }
    }
    *out = c;
    return 0;
fail:
    gf_pf_case_free(c);
    return rc;
}

int gf_pf_case_parse(const char *text, size_t len, gf_pf_case_t **out, gf_err_t *err)
{
    *out = NULL;
    if (text == NULL && len > 0)
        return gf_err_set(err, GF_EINVAL, GF_PF_ECASE_SYNTAX, "no text");
    if (len > GF_PF_CASE_MAX_BYTES)
        return gf_err_set(err, GF_ETOOBIG, GF_PF_ECASE_TOO_BIG,
                          "case text is %zu bytes; the limit is %zu", len, GF_PF_CASE_MAX_BYTES);
    lexer_t lx = {.s = text, .len = len, .line = 1};
    pstate_t ps;
    memset(&ps, 0, sizeof ps);
    int rc = 0;
    for (;;) {
        if (lex_next(&lx) != 0) {
            rc = perr(err, GF_EINVAL, GF_PF_ECASE_TRUNCATED, lx.line, NULL, "unterminated string");
            goto out;
        }
        if (lx.t == T_EOF)
            break;
        if (lx.t == T_NL || (lx.t == T_PUNCT && (lx.p == ';' || lx.p == ',')))
            continue;
        if (lx.t == T_WORD && word_is(&lx, "function")) {
            rc = parse_function(&lx, &ps, err);
        } else if (lx.t == T_WORD && (word_is(&lx, "end") || word_is(&lx, "return"))) {
            continue;
        } else if (lx.t == T_WORD && lx.wlen > 4 && memcmp(lx.w, "mpc.", 4) == 0) {
            rc = parse_assignment(&lx, &ps, err);
        } else {
            const char *what = lx.t == T_WORD ? "word" : lx.t == T_STRING ? "string" : "character";
            int k = lx.t == T_PUNCT ? 1 : (lx.wlen > 32 ? 32 : (int)lx.wlen);
            rc = perr(err, GF_EINVAL, GF_PF_ECASE_SYNTAX, lx.tline, NULL,
                      "unexpected %s '%.*s' (expected mpc.FIELD = VALUE)", what, k,
                      lx.t == T_PUNCT ? &lx.p : lx.w);
        }
        if (rc != 0)
            goto out;
    }
    rc = build_case(&ps, out, err);
out:
    mat_cleanup(&ps.bus);
    mat_cleanup(&ps.gen);
    mat_cleanup(&ps.branch);
    mat_cleanup(&ps.gencost);
    mat_cleanup(&ps.other);
    return rc;
}

int gf_pf_case_load(const char *path, gf_pf_case_t **out, gf_err_t *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return gf_err_set(err, GF_ENOTFOUND, "case_not_found", "cannot open '%s': %s", path,
                          strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (cap - len < 65536) {
            cap = cap ? 2 * cap : 262144;
            buf = gf_xrealloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len > GF_PF_CASE_MAX_BYTES) {
            rc = gf_err_set(err, GF_ETOOBIG, GF_PF_ECASE_TOO_BIG, "'%s' is larger than %zu bytes",
                            path, GF_PF_CASE_MAX_BYTES);
            goto out;
        }
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        rc = gf_err_set(err, GF_EUNAVAIL, "case_read_error", "error reading '%s'", path);
        goto out;
    }
    rc = gf_pf_case_parse(buf, len, out, err);
out:
    free(buf);
    fclose(f);
    return rc;
}

gf_pf_case_t *gf_pf_case_dup(const gf_pf_case_t *c)
{
    gf_pf_case_t *d = gf_xcalloc(1, sizeof *d);
    memcpy(d->name, c->name, sizeof d->name);
    d->base_mva = c->base_mva;
    d->n_bus = c->n_bus;
    d->n_gen = c->n_gen;
    d->n_branch = c->n_branch;
    d->bus = gf_xmalloc((c->n_bus + 1) * sizeof *d->bus);
    memcpy(d->bus, c->bus, c->n_bus * sizeof *d->bus);
    d->gen = gf_xmalloc((c->n_gen + 1) * sizeof *d->gen);
    memcpy(d->gen, c->gen, c->n_gen * sizeof *d->gen);
    d->branch = gf_xmalloc((c->n_branch + 1) * sizeof *d->branch);
    memcpy(d->branch, c->branch, c->n_branch * sizeof *d->branch);
    d->_bus_sorted = gf_xmalloc((c->n_bus + 1) * sizeof *d->_bus_sorted);
    memcpy(d->_bus_sorted, c->_bus_sorted, c->n_bus * sizeof *d->_bus_sorted);
    if (c->gencost != NULL) {
        size_t total = 0;
        for (size_t i = 0; i < c->n_gen; i++)
            total += (size_t)c->gencost[i].n * (c->gencost[i].model == GF_PF_COST_PWL ? 2 : 1);
        d->gencost = gf_xmalloc(c->n_gen * sizeof *d->gencost);
        d->_coef = gf_xmalloc((total + 1) * sizeof *d->_coef);
        size_t used = 0;
        for (size_t i = 0; i < c->n_gen; i++) {
            d->gencost[i] = c->gencost[i];
            size_t k = (size_t)c->gencost[i].n * (c->gencost[i].model == GF_PF_COST_PWL ? 2 : 1);
            if (k > 0)
                memcpy(d->_coef + used, c->gencost[i].c, k * sizeof *d->_coef);
            d->gencost[i].c = d->_coef + used;
            used += k;
        }
    }
    return d;
}

void gf_pf_case_free(gf_pf_case_t *c)
{
    if (c == NULL)
        return;
    free(c->bus);
    free(c->gen);
    free(c->branch);
    free(c->gencost);
    free(c->_coef);
    free(c->_bus_sorted);
    free(c);
}
