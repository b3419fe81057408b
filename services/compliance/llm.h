/*
 * llm.h - optional LLM step: build an OpenAI chat-completions request from the retrieved
 * passages, and check an LLM answer's citations before it may replace the extractive one.
 *
 * The passages are the citations of a cmp_answer_t (ids P1..Pn, in order). The service kit
 * does the HTTP call; these functions only build and check JSON/text, and are thread-safe.
 * Contract with the model: answer only from the passages, cite every claim with [Pn], say
 * "NO_EVIDENCE" when the passages do not answer. Anything else is rejected and the service
 * falls back to the extractive answer.
 */
#ifndef GF_COMPLIANCE_LLM_H
#define GF_COMPLIANCE_LLM_H

#include <jansson.h>
#include <stddef.h>

#include "answer.h"
#include "core/err.h"

#define CMP_LLM_MAX_IDS 64

/* New reference: {"model", "temperature":0, "max_tokens", "messages":[{"role":"system",...},
 * {"role":"user", "content": question + numbered passages]}. model NULL -> "gpt-4o-mini".
 * Returns NULL with err set (GF_EINVAL "no_passages") when the answer has no citations
 * (e.g. it was refused: there is nothing to ground an LLM answer on). */
json_t *cmp_llm_request(const char *model, const char *question, const cmp_answer_t *retrieved,
                        gf_err_t *err);

/* Extract the passage ids cited as [P3], [P1, P2] or [P1][P4] from text into ids (each id
 * once, in order of first use). Returns how many (at most max). */
size_t cmp_llm_cited_ids(const char *text, int *ids, size_t max);

/* Accept an LLM answer only if it cites at least one passage and every cited id was among
 * the retrieved ones. Returns 0 (accepted) or GF_EUNPROCESSABLE with err code
 * "llm_no_evidence" (the model said NO_EVIDENCE), "llm_uncited" (no [Pn] at all) or
 * "llm_unknown_citation" (an id that was not retrieved); GF_EINVAL for NULL text. */
int cmp_llm_check_answer(const char *text, const cmp_answer_t *retrieved, gf_err_t *err);

/* Take the assistant text out of a chat-completions response ({"choices":[{"message":
 * {"content": ...}}]}); borrowed from resp, or NULL. */
const char *cmp_llm_response_text(const json_t *resp);

#endif
