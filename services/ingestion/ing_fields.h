/*
 * ing_fields.h - field checks shared by the row importers (demand history, temperature):
 * printable copies of input text for reasons, blank trimming, strict decimals, and source
 * stamps -> UTC hour starts under the import's conventions (zone, hour label).
 *
 * All allocation-free and thread-safe.
 */
#ifndef GF_INGESTION_ING_FIELDS_H
#define GF_INGESTION_ING_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "ing_time.h"

typedef enum { ING_HOUR_BEGINNING = 0, ING_HOUR_ENDING = 1 } ing_hour_label_t;

/* Copy at most n bytes of src into dst[cap] as printable ASCII ('?' for anything else), so
 * a JSON answer can always carry it. Returns dst. */
const char *ing_printable(char *dst, size_t cap, const char *src, size_t n);

/* Drop blanks (space, tab) at both ends of p[0..*n). */
void ing_trim(const char **p, size_t *n);

/* Decimal text -> finite double: 1 on success, 0 when refused. Hex, inf and nan are
 * refused. The decimal separator is '.', or ',' when dec_comma (';'-separated CSV), where a
 * '.' is refused: it may be a thousands separator (1.234,5), so it is never guessed at;
 * neither is a ',' otherwise. On refusal *why (may be NULL) may get a static reason. */
int ing_parse_decimal(const char *p, size_t n, int dec_comma, const char **why, double *v);

/* Stamp text -> UTC epoch seconds: a zone in the stamp is taken as it is; without one the
 * stamp is local time in tz (NULL: UTC). Returns NULL, or the rejection code
 * "invalid_timestamp" / "nonexistent_local_time". */
const char *ing_instant_of(const ing_tz_t *tz, const char *s, size_t n, int64_t *t);

/* The same, then hour-ending stamps moved to the hour start; must be a whole hour. NULL, or
 * "invalid_timestamp" / "nonexistent_local_time" / "not_on_hour". */
const char *ing_hour_of(const ing_tz_t *tz, ing_hour_label_t label, const char *s, size_t n,
                        int64_t *hour);

/* The reason text of those codes ("is not on a whole hour", ...). */
const char *ing_stamp_reason(const char *code);

#endif
