/*
 * h_ask.c - POST /v1/ask (see h_ask.h).
 *
 * POST /v1/ask: validate the body, retrieve with cmp_ask (sub-millisecond, on the loop
 * thread), refuse or answer. With an LLM configured, the retrieved passages go to the
 * chat-completions endpoint; its answer is used only when every [Pn] it cites was retrieved,
 * otherwise (error, timeout, uncited) the extractive answer is returned with the reason in
 * "llm": {"used": false, "fallback": "<code>"}.
 */
#include "h_ask.h"

#include <stdlib.h>
#include <string.h>

#include "core/httpc.h"
#include "core/jscan.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"
#include "llm.h"
#include "util.h"

static gf_metric_t *m_questions, *m_refusals, *m_retrieval, *m_llm;

void cmp_metrics_init(void)
{
    m_questions = gf_metric_counter("gf_compliance_questions_total",
                                    "Questions answered or refused.", "outcome");
    m_refusals = gf_metric_counter("gf_compliance_refusals_total", "Refusals by reason.", "reason");
    static const double b[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05};
    m_retrieval = gf_metric_histogram("gf_compliance_retrieval_seconds",
                                      "Time to retrieve and rank passages for a question.", NULL, b,
                                      sizeof b / sizeof b[0]);
    m_llm = gf_metric_counter("gf_compliance_llm_calls_total",
                              "LLM calls by outcome (answered, or the fallback reason).",
                              "outcome");
}

typedef struct ask_ctx {
    gf_req_t *r;
    cmp_answer_t ans;
} ask_ctx_t;

static void reply_answer(gf_req_t *r, cmp_answer_t *ans, const char *llm_text, const char *fallback)
{
    json_t *o = cmp_answer_to_json(ans);
    if (llm_text != NULL)
        json_object_set_new(o, "answer", json_string(llm_text));
    cmp_app_t *app = r->app;
    if (app->llm_url[0]) {
        json_t *l = json_object();
        json_object_set_new(l, "used", json_boolean(llm_text != NULL));
        json_object_set_new(l, "model", json_string(app->llm_model));
        if (fallback)
            json_object_set_new(l, "fallback", json_string(fallback));
        json_object_set_new(o, "llm", l);
    }
    json_object_set_new(o, "answered_by", json_string(llm_text ? "llm" : "extractive"));
    gf_metric_add(m_questions, 1, ans->refused ? "refused" : "answered");
    if (ans->refused)
        gf_metric_add(m_refusals, 1, ans->reason ? ans->reason : "unknown");
    gf_reply_json(r, 200, o);
}

static void on_llm(int status, const char *body, size_t len, const gf_err_t *err, void *arg)
{
    ask_ctx_t *c = arg;
    const char *fallback = NULL;
    char *text = NULL;
    gf_err_t e = {0};
    if (err != NULL) {
        fallback = err->rc == GF_ETIMEOUT ? "llm_timeout" : "llm_unavailable";
    } else if (status != 200) {
        fallback = "llm_http_error";
    } else {
        json_t *resp = json_loadb(body, len, 0, NULL);
        const char *t = resp ? cmp_llm_response_text(resp) : NULL;
        if (t == NULL)
            fallback = "llm_bad_response";
        else if (cmp_llm_check_answer(t, &c->ans, &e) != 0)
            fallback = e.code[0] ? e.code : "llm_rejected";
        else
            text = gf_xstrdup(t);
        json_decref(resp);
    }
    /* Keep the code text alive past gf_err_cleanup. */
    char fb[48] = "";
    if (fallback)
        snprintf(fb, sizeof fb, "%s", fallback);
    gf_err_cleanup(&e);
    gf_metric_add(m_llm, 1, text ? "answered" : fb);
    if (!text)
        GF_LOG(GF_LOG_WARN, "llm_fallback", "%s (req %s)", fb, c->r->id);
    reply_answer(c->r, &c->ans, text, text ? NULL : fb);
    free(text);
    cmp_answer_cleanup(&c->ans);
    free(c);
}

static int body_fail(gf_req_t *r, const char *code, const char *field, const char *msg)
{
    gf_err_t e = {0};
    gf_err_set(&e, GF_EINVAL, code, "%s", msg);
    gf_err_add_field(&e, field, msg);
    gf_reply_error(r, &e);
    gf_err_cleanup(&e);
    return -1;
}

/* The request body is UTF-8 text (RFC 8259): bytes that are not, and JSON escapes that make a
 * string that is not (a lone surrogate, \u0000), are "invalid_utf8", not "invalid_json". */
static int body_utf8_fail(gf_req_t *r, const gf_err_t *jerr)
{
    if (!gf_utf8_valid(r->body, r->body_len))
        return body_fail(r, "invalid_utf8", "body", "the body is not valid UTF-8 text");
    if (jerr && (strstr(jerr->message, "Unicode") || strstr(jerr->message, "\\u0000") ||
                 strstr(jerr->message, "NUL")))
        return body_fail(r, "invalid_utf8", "question",
                         "the question holds an escape that is not a character (a lone "
                         "surrogate or NUL)");
    return 0;
}

void h_ask_post(gf_req_t *r)
{
    static const char *const KNOWN[] = {"question", "top_k", "document", NULL};
    cmp_app_t *app = r->app;
    gf_err_t err = {0};
    if (body_utf8_fail(r, NULL))
        return;
    json_t *body = gf_req_json(r, &err);
    if (body == NULL) {
        if (!body_utf8_fail(r, &err))
            gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    if (!json_is_object(body)) {
        body_fail(r, "invalid_body", "body", "the body must be a JSON object");
        return;
    }
    const char *key;
    json_t *val;
    json_object_foreach(body, key, val)
    {
        int ok = 0;
        for (size_t i = 0; KNOWN[i]; i++)
            ok |= strcmp(key, KNOWN[i]) == 0;
        if (!ok) {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown member '%.64s' (known: question, top_k, document)",
                     key);
            body_fail(r, "unknown_field", key, msg);
            return;
        }
    }
    json_t *q = json_object_get(body, "question");
    if (q == NULL) {
        body_fail(r, "missing_question", "question", "'question' is required");
        return;
    }
    if (!json_is_string(q)) {
        body_fail(r, "invalid_question", "question", "'question' must be a string");
        return;
    }
    cmp_ask_opts_t opts = {0};
    json_t *k = json_object_get(body, "top_k");
    if (k != NULL && !json_is_null(k)) {
        /* 0 (like an absent top_k) means the default, CMP_TOPK_DEFAULT */
        if (!json_is_integer(k) || json_integer_value(k) < 0 ||
            json_integer_value(k) > CMP_TOPK_MAX) {
            body_fail(r, "invalid_top_k", "top_k",
                      "'top_k' must be an integer from 1 to 20 (0 or absent: 5)");
            return;
        }
        opts.top_k = (int)json_integer_value(k);
    }
    json_t *d = json_object_get(body, "document");
    if (d != NULL && !json_is_null(d)) {
        if (!json_is_string(d)) {
            body_fail(r, "invalid_document", "document", "'document' must be a string");
            return;
        }
        opts.document = json_string_value(d);
    }
    ask_ctx_t *c = gf_xcalloc(1, sizeof *c);
    c->r = r;
    double t0 = gf_now_mono();
    int rc = cmp_ask(app->engine, json_string_value(q), json_string_length(q), &opts, &c->ans,
                     &err);
    gf_metric_observe(m_retrieval, gf_now_mono() - t0);
    if (rc != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        cmp_answer_cleanup(&c->ans);
        free(c);
        return;
    }
    if (!app->llm_url[0] || c->ans.refused) {
        reply_answer(r, &c->ans, NULL, NULL);
        cmp_answer_cleanup(&c->ans);
        free(c);
        return;
    }
    json_t *req = cmp_llm_request(app->llm_model, json_string_value(q), &c->ans, &err);
    char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    char url[600], auth[300];
    snprintf(url, sizeof url, "%s/chat/completions", app->llm_url);
    snprintf(auth, sizeof auth, "Bearer %s", app->llm_key);
    const char *headers[] = {"Authorization", auth, NULL};
    if (text == NULL || gf_httpc_request(app->base, "POST", url, app->llm_key[0] ? headers : NULL,
                                         "application/json", text, strlen(text), app->llm_timeout,
                                         on_llm, c, &err) != 0) {
        gf_metric_add(m_llm, 1, "llm_unavailable");
        reply_answer(r, &c->ans, NULL, "llm_unavailable");
        cmp_answer_cleanup(&c->ans);
        free(c);
    }
    free(text);
    gf_err_cleanup(&err);
}
