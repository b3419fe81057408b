/*
 * lex.h - the English lexicon (WordNet 3.0, Debian's wordnet-base) for query expansion and
 * for telling English questions from others.
 *
 * cmp_lex_load reads the index.{noun,verb,adj,adv} and data.{noun,verb,adj,adv} files and the
 * *.exc exception lists of a WordNet dict directory into memory (about 28 MB, read once at
 * start-up; nothing is parsed until a word is looked up). The index files are sorted, so a
 * lemma is found by binary search over their lines; a data line is found by its byte offset.
 * Inflected forms are reduced to lemmas with WordNet's "morphy" rules and exception lists.
 *
 * Expansion of a word: for each part of speech, its first CMP_LEX_SENSES senses (WordNet
 * orders senses by frequency); sense k (0-based) gives its synonyms (the other lemmas of the
 * synset) at weight 0.5 / (k + 1) and, for nouns and verbs, the lemmas of its hypernym
 * synsets at 0.25 / (k + 1). The caller keeps the ones that matter for its corpus.
 *
 * After cmp_lex_load the lexicon is read-only: any number of threads may look words up.
 */
#ifndef GF_COMPLIANCE_LEX_H
#define GF_COMPLIANCE_LEX_H

#include <stddef.h>

#include "core/err.h"

#define CMP_LEX_SENSES 3

typedef struct cmp_lex cmp_lex_t;

typedef enum cmp_lex_kind { CMP_LEX_SYNONYM = 0, CMP_LEX_HYPERNYM = 1 } cmp_lex_kind_t;

typedef struct cmp_lex_rel {
    char lemma[64]; /* "recharging point" (underscores as spaces) */
    float w;        /* weight (see above) */
    cmp_lex_kind_t kind;
} cmp_lex_rel_t;

/* Load the WordNet files of dir (e.g. /usr/share/wordnet). Returns a new lexicon, or NULL with
 * err: GF_ENOTFOUND "wordnet_missing" when a file cannot be read. */
cmp_lex_t *cmp_lex_load(const char *dir, gf_err_t *err);
void cmp_lex_free(cmp_lex_t *l);

/* Bytes held in memory (for the figures in README.md). */
size_t cmp_lex_bytes(const cmp_lex_t *l);

/* 1 when the word (lower case ASCII/UTF-8) or its base form is an English lemma. */
int cmp_lex_known(const cmp_lex_t *l, const char *word);

/* Related lemmas of word, best first by weight, without word itself and without duplicates
 * (the highest weight wins). Writes up to max into out and returns how many. */
size_t cmp_lex_expand(const cmp_lex_t *l, const char *word, cmp_lex_rel_t *out, size_t max);

#endif
