/*
 * llm.c - prompt building and citation checking for the optional LLM answer (see llm.h).
 */
#include "llm.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/sbuf.h"
#include "util.h"

static const char SYSTEM_PROMPT[] =
    "You answer questions about EU energy legislation for grid operators. Use ONLY the "
    "numbered passages the user gives you; never use outside knowledge. Every sentence of "
    "your answer must cite the passage(s) it rests on with their ids in square brackets, "
    "like [P1] or [P2, P3]. Quote numbers, dates and thresholds exactly as the passages give "
    "them. If the passages do not answer the question, reply exactly NO_EVIDENCE and nothing "
    "else. Keep the answer short (at most 5 sentences).";

json_t *cmp_llm_request(const char *model, const char *question, const cmp_answer_t *retrieved,
                        gf_err_t *err)
{
    if (question == NULL || retrieved == NULL || retrieved->n_citations == 0) {
        gf_err_set(err, GF_EINVAL, "no_passages", "no retrieved passages to ground an answer on");
        return NULL;
    }
    gf_sbuf_t b = {0};
    gf_sbuf_addf(&b, "Question: %s\n\nPassages:\n", question);
    for (size_t i = 0; i < retrieved->n_citations; i++) {
        const cmp_citation_t *c = &retrieved->citations[i];
        gf_sbuf_addf(&b, "\n[P%d] %s of %s", c->id, c->ref, c->doc_name);
        if (c->title && c->title[0])
            gf_sbuf_addf(&b, " (%s)", c->title);
        gf_sbuf_adds(&b, ":\n");
        gf_sbuf_adds(&b, c->text);
        gf_sbuf_adds(&b, "\n");
    }
    for (size_t i = 0; i < retrieved->n_notes; i++)
        gf_sbuf_addf(&b, "\nAmendment note: %s\n", retrieved->notes[i]);
    gf_sbuf_adds(&b, "\nAnswer from the passages only, citing passage ids like [P1].");
    char *user = gf_sbuf_take(&b);
    json_t *req = json_pack("{s:s, s:f, s:i, s:[{s:s, s:s}, {s:s, s:s}]}", "model",
                            model ? model : "gpt-4o-mini", "temperature", 0.0, "max_tokens", 600,
                            "messages", "role", "system", "content", SYSTEM_PROMPT, "role", "user",
                            "content", user);
    free(user);
    if (req == NULL)
        gf_err_set(err, GF_EINTERNAL, "json", "cannot build the request JSON");
    return req;
}

size_t cmp_llm_cited_ids(const char *text, int *ids, size_t max)
{
    size_t n = 0;
    if (text == NULL)
        return 0;
    for (const char *p = text; (p = strchr(p, '[')) != NULL; p++) {
        /* inside one bracket: P<n> separated by commas/spaces */
        const char *q = p + 1;
        int any = 0;
        while (*q) {
            while (*q == ' ' || *q == ',')
                q++;
            if ((*q != 'P' && *q != 'p') || !isdigit((unsigned char)q[1]))
                break;
            q++;
            long v = 0;
            while (isdigit((unsigned char)*q) && v < 100000)
                v = v * 10 + (*q++ - '0');
            any = 1;
            int dup = 0;
            for (size_t k = 0; k < n; k++)
                dup |= ids[k] == (int)v;
            if (!dup && n < max)
                ids[n++] = (int)v;
        }
        if (!any || *q != ']')
            continue;
    }
    return n;
}

int cmp_llm_check_answer(const char *text, const cmp_answer_t *retrieved, gf_err_t *err)
{
    if (text == NULL || retrieved == NULL)
        return gf_err_set(err, GF_EINVAL, "invalid_argument", "no answer text");
    const char *t = text;
    while (isspace((unsigned char)*t))
        t++;
    if (strncmp(t, "NO_EVIDENCE", 11) == 0)
        return gf_err_set(err, GF_EUNPROCESSABLE, "llm_no_evidence",
                          "the model found no evidence in the passages");
    int ids[CMP_LLM_MAX_IDS];
    size_t n = cmp_llm_cited_ids(text, ids, CMP_LLM_MAX_IDS);
    if (n == 0)
        return gf_err_set(err, GF_EUNPROCESSABLE, "llm_uncited",
                          "the model's answer cites no passage");
    for (size_t i = 0; i < n; i++) {
        int ok = 0;
        for (size_t k = 0; k < retrieved->n_citations; k++)
            ok |= retrieved->citations[k].id == ids[i];
        if (!ok)
            return gf_err_set(err, GF_EUNPROCESSABLE, "llm_unknown_citation",
                              "the model cites [P%d], which was not retrieved", ids[i]);
    }
    return 0;
}

const char *cmp_llm_response_text(const json_t *resp)
{
    json_t *ch = json_array_get(json_object_get(resp, "choices"), 0);
    return json_string_value(json_object_get(json_object_get(ch, "message"), "content"));
}
