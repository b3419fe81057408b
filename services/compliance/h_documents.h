/*
 * h_documents.h - the compliance service's document routes (h_documents.c); the application
 * state they read is cmp_app_t (h_ask.h).
 */
#ifndef GF_COMPLIANCE_H_DOCUMENTS_H
#define GF_COMPLIANCE_H_DOCUMENTS_H

#include "core/http.h"

void h_documents_list(gf_req_t *r);
void h_documents_articles_get(gf_req_t *r);

#endif
