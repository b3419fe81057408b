/*
 * h_ask.h - HTTP handlers of the compliance service: POST /v1/ask, GET /v1/documents,
 * GET /v1/documents/{id}/articles/{n}. The engine (answer.h) does the work; these parse,
 * call, reply, and drive the optional LLM step asynchronously.
 */
#ifndef GF_COMPLIANCE_H_ASK_H
#define GF_COMPLIANCE_H_ASK_H

#include "answer.h"
#include "core/http.h"

/* Application state shared by the handlers (built once at start, read-only afterwards). */
typedef struct cmp_app {
    cmp_engine_t *engine;
    struct event_base *base;
    const char *llm_url;    /* base URL of an OpenAI-compatible API ("" = no LLM) */
    const char *llm_model;
    const char *llm_key;
    double llm_timeout;
} cmp_app_t;

void cmp_metrics_init(void);
void h_ask_post(gf_req_t *r);
void h_documents_list(gf_req_t *r);
void h_documents_articles_get(gf_req_t *r);

#endif
