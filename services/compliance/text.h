/*
 * text.h - tokenizer and analyzer shared by the index (corpus side) and the query side.
 *
 * cmp_tokenize splits UTF-8 text into lowercase surface tokens:
 *   - words: maximal runs of ASCII letters/digits and non-ASCII letters (quotes, dashes and
 *     other U+2000..U+206F punctuation separate words); "Union's" gives "union" (the
 *     possessive s is dropped);
 *   - numbers keep their value in one normal form: decimal comma or point -> ".", thousands
 *     groups separated by a space are joined ("1 474" -> "1474", "1,5" -> "1.5");
 *   - "%" is the token "percent";
 *   - compounds, emitted in addition at the same position: a number followed by a unit
 *     ("85 TJ" -> "85", "tj", "85tj"; "50 %" -> "50", "percent", "50percent") and
 *     act numbers ("2012/27/EU" -> "2012", "27", "2012/27", "eu").
 * cmp_analyze then drops stop words and Snowball-stems (English) alphabetic words; numbers,
 * alphanumerics ("co2", "m2") and compounds are kept unstemmed, so "85 TJ" and "2027" stay
 * searchable.
 *
 * Thread-safety: cmp_analyzer_t holds a Snowball stemmer, which is not thread-safe; make one
 * per thread or per call (cheap: one allocation). The tokenizer itself is reentrant.
 */
#ifndef GF_COMPLIANCE_TEXT_H
#define GF_COMPLIANCE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define CMP_TOK_MAX 64

typedef enum cmp_tok_kind { CMP_TOK_WORD, CMP_TOK_NUM, CMP_TOK_COMPOUND } cmp_tok_kind_t;

typedef struct cmp_token {
    char text[CMP_TOK_MAX]; /* lowercase, NUL-terminated (longer words are cut) */
    size_t len;
    cmp_tok_kind_t kind;
    uint32_t pos; /* ordinal position; a compound shares the position of its last part */
    int alpha;    /* only letters */
    int stop;     /* set by cmp_analyze: the word is a stop word */
} cmp_token_t;

/* Called once per token; return non-zero to stop. */
typedef int (*cmp_tok_cb)(void *ud, const cmp_token_t *t);

/* Tokenize s[0..n) (need not be NUL-terminated). Returns the number of positions used. */
uint32_t cmp_tokenize(const char *s, size_t n, cmp_tok_cb cb, void *ud);

typedef struct cmp_analyzer cmp_analyzer_t;

/* New analyzer (English Snowball stemmer + stop list); caller frees with cmp_analyzer_free.
 * Returns NULL only when libstemmer cannot create the stemmer. */
cmp_analyzer_t *cmp_analyzer_new(void);
void cmp_analyzer_free(cmp_analyzer_t *a);

/* Tokenize and normalise: cb receives terms with text replaced by the stemmed form. Stop
 * words are skipped unless keep_stop is set (then they arrive with stop=1, unstemmed). */
uint32_t cmp_analyze(cmp_analyzer_t *a, const char *s, size_t n, int keep_stop, cmp_tok_cb cb,
                     void *ud);

/* Stem one lowercase word into out (size CMP_TOK_MAX). Returns out. */
const char *cmp_stem(cmp_analyzer_t *a, const char *word, size_t len, char *out);

/* 1 when the lowercase word is an English stop word. */
int cmp_is_stopword(const char *w);

#endif
