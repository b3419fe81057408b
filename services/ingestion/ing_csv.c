/*
 * ing_csv.c - streaming CSV tokenizer (see ing_csv.h).
 *
 * Records that lie wholly inside a chunk are split in place (no copy); only quoted fields
 * with doubled quotes are rewritten into scratch. Record ends are found with memchr, and a
 * quote inside the span switches to the byte loop that tracks quote state.
 */
#include "ing_csv.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int ing_csv_init(ing_csv_t *p, ing_csv_record_cb cb, void *ud)
{
    memset(p, 0, sizeof *p);
    p->cb = cb;
    p->ud = ud;
    p->carry = gf_xmalloc(ING_CSV_MAX_RECORD);
    p->scratch = gf_xmalloc(ING_CSV_MAX_RECORD);
    p->line = 1;
    p->delim = ',';
    return 0;
}

void ing_csv_auto_delim(ing_csv_t *p)
{
    p->delim = 0;
}

char ing_csv_delim(const ing_csv_t *p)
{
    return p->delim ? p->delim : ',';
}

/* A field separator: d, or (d == 0, the separator not decided yet) ',' and ';'. */
static inline int is_sep(char c, char d)
{
    return d ? c == d : c == ',' || c == ';';
}

void ing_csv_cleanup(ing_csv_t *p)
{
    free(p->carry);
    free(p->scratch);
    memset(p, 0, sizeof *p);
}

/* Scan states: a quote opens a quoted field only at the start of a field, so a stray quote
 * inside an unquoted field cannot swallow the following lines. */
enum { Q_MID = 0, Q_START = 1, Q_IN = 2, Q_CLOSED = 3 };

/* Find the newline ending the record in s[0..n) given the scan state on entry. Returns its
 * index, or n when the record continues; updates *st and counts newlines inside quotes in
 * *inner. */
static size_t find_end(const char *s, size_t n, char d, int *st, size_t *inner)
{
    if (*st != Q_IN) {
        const char *nl = memchr(s, '\n', n);
        size_t lim = nl ? (size_t)(nl - s) : n;
        if (memchr(s, '"', lim) == NULL) {
            if (lim > 0)
                *st = is_sep(s[lim - 1], d) ? Q_START : Q_MID;
            return lim;
        }
    }
    int q = *st;
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        if (q == Q_IN) {
            if (c == '"')
                q = Q_CLOSED;
            else if (c == '\n')
                (*inner)++;
            continue;
        }
        if (c == '\n') {
            *st = q;
            return k;
        }
        if (is_sep(c, d))
            q = Q_START;
        else if (c == '"' && q != Q_MID)
            q = Q_IN;
        else
            q = Q_MID;
    }
    *st = q;
    return n;
}

/* The separator of the first record: ';' when it has one and no ',' outside quotes. */
static char pick_delim(const char *r, size_t n)
{
    int in = 0, semi = 0;
    for (size_t k = 0; k < n; k++) {
        if (r[k] == '"')
            in = !in;
        else if (!in && r[k] == ',')
            return ',';
        else if (!in && r[k] == ';')
            semi = 1;
    }
    return semi ? ';' : ',';
}

/* Split one complete record r[0..n) (no newline) and deliver it. */
static int deliver(ing_csv_t *p, const char *r, size_t n, size_t line)
{
    ing_csv_field_t f[ING_CSV_MAX_FIELDS];
    size_t nf = 0;
    if (n > 0 && r[n - 1] == '\r')
        n--;
    if (p->nrecords == 0 && n >= 3 && memcmp(r, "\xef\xbb\xbf", 3) == 0) {
        r += 3;
        n -= 3;
    }
    if (n == 0)
        return 0; /* blank line */
    p->nrecords++;
    if (p->delim == 0)
        p->delim = pick_delim(r, n);
    const char d = p->delim;
    size_t k = 0, so = 0;
    const char *err = NULL;
    for (;;) {
        if (nf == ING_CSV_MAX_FIELDS) {
            err = "too_many_fields";
            break;
        }
        if (k < n && r[k] == '"') {
            /* quoted field: copy into scratch, undoubling quotes */
            size_t start = so;
            k++;
            for (;;) {
                const char *q = k < n ? memchr(r + k, '"', n - k) : NULL;
                if (q == NULL) {
                    err = "unterminated_quote";
                    break;
                }
                size_t m = (size_t)(q - (r + k));
                memcpy(p->scratch + so, r + k, m);
                so += m;
                k += m + 1;
                if (k < n && r[k] == '"') {
                    p->scratch[so++] = '"';
                    k++;
                    continue;
                }
                break;
            }
            if (err)
                break;
            if (k < n && r[k] != d) {
                err = "bad_quote";
                break;
            }
            f[nf].p = p->scratch + start;
            f[nf].n = so - start;
        } else {
            size_t s = k;
            while (k < n && r[k] != d && r[k] != '"')
                k++;
            if (k < n && r[k] == '"') {
                err = "bad_quote";
                break;
            }
            f[nf].p = r + s;
            f[nf].n = k - s;
        }
        nf++;
        if (k >= n)
            break;
        k++; /* the separator; a trailing one gives a last empty field */
        if (k == n) {
            if (nf == ING_CSV_MAX_FIELDS) {
                err = "too_many_fields";
                break;
            }
            f[nf].p = r + k;
            f[nf].n = 0;
            nf++;
            break;
        }
    }
    if (err)
        return p->cb(p->ud, line, f, 0, err);
    return p->cb(p->ud, line, f, nf, NULL);
}

static int carry_append(ing_csv_t *p, const char *s, size_t n)
{
    if (p->too_long)
        return 0;
    if (p->carry_len + n > ING_CSV_MAX_RECORD) {
        p->too_long = 1;
        return 0;
    }
    memcpy(p->carry + p->carry_len, s, n);
    p->carry_len += n;
    return 0;
}

static int close_carry(ing_csv_t *p)
{
    int rc;
    if (p->too_long) {
        p->nrecords++;
        rc = p->cb(p->ud, p->rec_line, NULL, 0, "record_too_long");
    } else {
        rc = deliver(p, p->carry, p->carry_len, p->rec_line);
    }
    p->carry_len = 0;
    p->carrying = 0;
    p->too_long = 0;
    p->qstate = Q_START;
    return rc;
}

int ing_csv_feed(ing_csv_t *p, const char *data, size_t len)
{
    size_t i = 0;
    int rc;
    if (p->carrying) {
        size_t inner = 0;
        size_t e = find_end(data, len, p->delim, &p->qstate, &inner);
        carry_append(p, data, e);
        p->line += inner;
        if (e == len)
            return 0;
        if ((rc = close_carry(p)) != 0)
            return rc;
        p->line++;
        i = e + 1;
    }
    while (i < len) {
        size_t inner = 0;
        int q = Q_START;
        size_t e = find_end(data + i, len - i, p->delim, &q, &inner);
        if (i + e == len) {
            p->carrying = 1;
            p->qstate = q;
            p->rec_line = p->line;
            p->line += inner;
            carry_append(p, data + i, len - i);
            return 0;
        }
        if (e > ING_CSV_MAX_RECORD) {
            p->nrecords++;
            rc = p->cb(p->ud, p->line, NULL, 0, "record_too_long");
        } else {
            rc = deliver(p, data + i, e, p->line);
        }
        p->line += inner + 1;
        if (rc != 0)
            return rc;
        i += e + 1;
    }
    return 0;
}

int ing_csv_finish(ing_csv_t *p)
{
    if (!p->carrying)
        return 0;
    if (p->qstate == Q_IN && !p->too_long) {
        p->nrecords++;
        int rc = p->cb(p->ud, p->rec_line, NULL, 0, "unterminated_quote");
        p->carry_len = 0;
        p->carrying = 0;
        p->qstate = Q_START;
        return rc;
    }
    return close_carry(p);
}
