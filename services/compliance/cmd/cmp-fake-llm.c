/*
 * cmp-fake-llm: a stand-in for an OpenAI-compatible chat-completions endpoint, for the
 * compliance service's tests (no LLM runs on the test machines). It answers
 * POST /v1/chat/completions according to GF_FAKE_LLM_MODE:
 *   cited    an answer citing [P1] (accepted by the service)
 *   uncited  an answer without any [Pn] (the service must fall back)
 *   unknown  an answer citing [P99], a passage that was never retrieved (fall back)
 *   slow     no answer for 30 s (the service's timeout must fire)
 *   error    HTTP 500
 * It also checks that the request carries the retrieved passages ("[P1]" in a message).
 */
#include <stdlib.h>
#include <string.h>

#include "core/svc.h"

static const gf_cfg_opt_t opts[] = {
    {"GF_FAKE_LLM_MODE", GF_CFG_STR, "cited", 0, -1, "cited|uncited|unknown|slow|error"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static void reply_text(gf_req_t *r, const char *text)
{
    json_t *o = json_pack("{s:s,s:s,s:[{s:i,s:{s:s,s:s},s:s}]}", "id", "fake-1", "object",
                          "chat.completion", "choices", "index", 0, "message", "role", "assistant",
                          "content", text, "finish_reason", "stop");
    gf_reply_json(r, 200, o);
}

static void on_late(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    reply_text(arg, "Too late [P1].");
}

static void h_chat_completions_post(gf_req_t *r)
{
    gf_err_t err = {0};
    json_t *body = gf_req_json(r, &err);
    if (body == NULL) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    char *dump = json_dumps(body, JSON_COMPACT);
    int has_passages = dump && strstr(dump, "[P1]") != NULL;
    free(dump);
    if (!has_passages) {
        gf_reply_errorf(r, GF_EINVAL, "no_passages", "the prompt carries no [P1] passage");
        return;
    }
    const char *mode = gf_cfg_str(&gf_req_service(r)->cfg, "GF_FAKE_LLM_MODE");
    if (!strcmp(mode, "uncited"))
        reply_text(r, "Member States must do many things.");
    else if (!strcmp(mode, "unknown"))
        reply_text(r, "This is required by the directive [P99].");
    else if (!strcmp(mode, "error"))
        gf_reply_errorf(r, GF_EINTERNAL, "fake_failure", "the fake LLM fails on purpose");
    else if (!strcmp(mode, "slow")) {
        struct timeval tv = {30, 0};
        if (event_base_once(gf_req_service(r)->base, -1, EV_TIMEOUT, on_late, r, &tv) != 0)
            gf_reply_errorf(r, GF_EINTERNAL, "timer", "cannot schedule");
    } else
        reply_text(r, "LLM: the answer rests on the first passage [P1].");
}

static const gf_route_t routes[] = {
    {"POST", "/v1/chat/completions", h_chat_completions_post, 1 << 20, "application/json"},
};

static const gf_service_def_t def = {
    .name = "fake-llm",
    .version = "0.1.0",
    .default_port = 0,
    .routes = routes,
    .nroutes = 1,
    .opts = opts,
};

int main(int argc, char **argv)
{
    return gf_service_main(&def, argc, argv);
}
