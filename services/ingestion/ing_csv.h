/*
 * ing_csv.h - a push (streaming) CSV tokenizer: feed chunks as they arrive, get one
 * callback per record.
 *
 * RFC 4180 with the usual tolerance: quoted fields ("a,b", "say ""hi""", embedded
 * newlines), \n or \r\n record ends, blank lines ignored, a UTF-8 BOM at the start ignored,
 * a last record without a newline (delivered by ing_csv_finish). The field separator is ','
 * or, after ing_csv_auto_delim, whichever of ',' and ';' the first record uses (';' only
 * when that record has a ';' and no ',' outside quotes: the European convention). The result does
 * not depend on how the input is split into chunks. Memory is bounded: only a record that straddles
 * a chunk boundary is copied (at most ING_CSV_MAX_RECORD bytes); longer records are reported as
 * errors and skipped.
 *
 * Ownership: ing_csv_t is caller storage; init allocates two buffers, cleanup frees them.
 * Field pointers given to the callback are valid only during the callback.
 */
#ifndef GF_INGESTION_ING_CSV_H
#define GF_INGESTION_ING_CSV_H

#include <stddef.h>
#include <stdint.h>

#define ING_CSV_MAX_FIELDS 16
#define ING_CSV_MAX_RECORD 16384

typedef struct ing_csv_field {
    const char *p;
    size_t n;
} ing_csv_field_t;

/* One record. line: 1-based line where the record starts. err: NULL, or a stable code for
 * a malformed record ("bad_quote", "unterminated_quote", "record_too_long",
 * "too_many_fields"), in which case nf is 0. Return 0 to go on; anything else stops the
 * parse and is returned by ing_csv_feed/ing_csv_finish. */
typedef int (*ing_csv_record_cb)(void *ud, size_t line, const ing_csv_field_t *f, size_t nf,
                                 const char *err);

typedef struct ing_csv {
    ing_csv_record_cb cb;
    void *ud;
    char *carry; /* record straddling a chunk boundary */
    size_t carry_len;
    char *scratch;   /* unquoted field text */
    size_t line;     /* line number of the next unread byte */
    size_t rec_line; /* line where the carried record started */
    int qstate;      /* quote scan state at the end of the carried bytes */
    int carrying;    /* a record is open in carry */
    int too_long;    /* the open record overflowed: skip to its end */
    size_t nrecords; /* records delivered so far (including malformed ones) */
    char delim;      /* ',' or ';'; 0 = not decided yet (auto, before the first record) */
} ing_csv_t;

/* Prepare p. Returns 0 (allocation failure aborts, gf_xmalloc style). */
int ing_csv_init(ing_csv_t *p, ing_csv_record_cb cb, void *ud);
void ing_csv_cleanup(ing_csv_t *p);
/* Before the first feed: take the separator from the first record (see above). */
void ing_csv_auto_delim(ing_csv_t *p);
/* The separator in use: ',' or ';' (',' while an auto parser has seen no record). */
char ing_csv_delim(const ing_csv_t *p);

/* Feed the next chunk (any size, including 0). Returns 0 or the callback's stop value. */
int ing_csv_feed(ing_csv_t *p, const char *data, size_t len);
/* End of input: delivers a last record that has no newline. Returns 0 or the stop value. */
int ing_csv_finish(ing_csv_t *p);

#endif
