/*
 * h_documents.c - GET /v1/documents (the corpus's acts) and
 * GET /v1/documents/{id}/articles/{n} (one article's text as amended, with its history; also
 * under the act-number form /v1/documents/{year}/{num}/articles/{n}). Read-only, on the loop:
 * the engine is built once at start.
 */
#include "h_documents.h"

#include <stdio.h>

#include "amend.h"
#include "corpus.h"
#include "h_ask.h"

void h_documents_list(gf_req_t *r)
{
    cmp_app_t *app = r->app;
    /* Already {"documents":[…]}. */
    gf_reply_json(r, 200, cmp_corpus_documents_to_json(cmp_engine_corpus(app->engine)));
}

void h_documents_articles_get(gf_req_t *r)
{
    cmp_app_t *app = r->app;
    gf_err_t err = {0};
    json_t *out = NULL;
    /* /v1/documents/2012/27/articles/4: the act number form, whose slash splits the path
     * (also when sent as 2012%2F27, which the path decoding turns into a slash) */
    char id[64];
    const char *year = gf_req_param(r, "year");
    if (year != NULL)
        snprintf(id, sizeof id, "%.20s/%.40s", year, gf_req_param(r, "num"));
    else
        snprintf(id, sizeof id, "%.63s", gf_req_param(r, "id"));
    if (cmp_article_json(cmp_engine_corpus(app->engine), cmp_engine_amendments(app->engine), id,
                         gf_req_param(r, "n"), &out, &err) != 0) {
        gf_reply_error(r, &err);
        gf_err_cleanup(&err);
        return;
    }
    gf_reply_json(r, 200, out);
}
