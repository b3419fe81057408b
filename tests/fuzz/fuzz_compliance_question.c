/*
 * fuzz_compliance_question.c - feeds arbitrary bytes as a question to cmp_ask, the function
 * behind POST /v1/ask, on an engine built once. The first byte picks top_k and an optional
 * document filter, so those paths are fuzzed too; the result is rendered to JSON as the
 * handler would. The corpus is found through GF_COMPLIANCE_CORPUS, else
 * $GF_TEST_ROOT/services/compliance/corpus, else services/compliance/corpus (run from the
 * repository root, as `make test` and tests/fuzz/run.sh do).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/compliance/answer.h"

static cmp_engine_t *engine;

static void load(void)
{
    char dir[4096];
    const char *c = getenv("GF_COMPLIANCE_CORPUS");
    const char *root = getenv("GF_TEST_ROOT");
    if (c)
        snprintf(dir, sizeof dir, "%s", c);
    else
        snprintf(dir, sizeof dir, "%s/services/compliance/corpus", root ? root : ".");
    gf_err_t err = {0};
    engine = cmp_engine_new(dir, &err);
    if (engine == NULL) {
        fprintf(stderr, "fuzz_compliance_question: %s: %s\n", err.code, err.message);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const DOCS[] = {NULL, "32012L0027", "2019/944", "EED", "unknown"};
    if (engine == NULL)
        load();
    cmp_ask_opts_t o = {0};
    if (size > 0 && data[0] == 0x01 && size > 1) { /* control byte: options */
        o.top_k = data[1] % 24;
        o.document = DOCS[data[1] % 5];
        data += 2;
        size -= 2;
    }
    cmp_answer_t a;
    gf_err_t err = {0};
    int rc = cmp_ask(engine, (const char *)data, size, &o, &a, &err);
    if (rc == 0) {
        json_t *j = cmp_answer_to_json(&a);
        char *s = json_dumps(j, 0);
        if (s == NULL)
            abort(); /* every string in the answer must be valid UTF-8 */
        free(s);
        json_decref(j);
        if (a.refused && (a.answer != NULL || a.n_citations != 0 || a.reason == NULL))
            abort();
    } else if (err.code[0] == '\0') {
        abort(); /* every error carries a code */
    }
    cmp_answer_cleanup(&a);
    gf_err_cleanup(&err);
    return 0;
}
