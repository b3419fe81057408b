/*
 * h_ask.h - the compliance service's application state and POST /v1/ask (the document
 * routes: h_documents.h). The engine (answer.h) does the work; the handlers parse, call,
 * reply, and drive the optional LLM step asynchronously.
 */
#ifndef GF_COMPLIANCE_H_ASK_H
#define GF_COMPLIANCE_H_ASK_H

#include "answer.h"
#include "core/http.h"

/* Application state shared by the handlers (built once at start, read-only afterwards). */
typedef struct cmp_app {
    cmp_engine_t *engine;
    struct event_base *base;
    const char *llm_url; /* base URL of an OpenAI-compatible API ("" = no LLM) */
    const char *llm_model;
    const char *llm_key;
    double llm_timeout;
} cmp_app_t;

void cmp_metrics_init(void);
void h_ask_post(gf_req_t *r);

#endif
