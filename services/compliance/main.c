/*
 * gf-compliance: grounded question answering over EU energy legislation. Wiring only: the
 * kit runs config, loop, standard routes, signals and drain; the engine is built once at
 * start (under 0.1 s) and read by every request.
 */
#include <stdlib.h>

#include "answer.h"
#include "core/util.h"
#include "core/log.h"
#include "core/svc.h"
#include "h_ask.h"
#include "h_documents.h"

static const gf_cfg_opt_t opts[] = {
    {"GF_COMPLIANCE_CORPUS_DIR", GF_CFG_STR, "services/compliance/corpus", 0, -1,
     "directory holding the acts as <CELEX>.txt"},
    {"GF_COMPLIANCE_WORDNET_DIR", GF_CFG_STR, CMP_WORDNET_DIR, 0, -1,
     "WordNet 3.0 dict directory (wordnet-base) for query expansion; empty = none"},
    {"GF_COMPLIANCE_RERANK_MODEL", GF_CFG_STR, "services/compliance/model/rerank.json", 0, -1,
     "learned reranker (XGBoost JSON from cmp-train-rerank); empty = BM25F order"},
    {"GF_COMPLIANCE_REFUSAL_MODEL", GF_CFG_STR, "services/compliance/model/refusal.json", 0, -1,
     "calibrated refusal decision (from cmp-train-refusal); empty = fixed score rule"},
    {"GF_COMPLIANCE_LLM_URL", GF_CFG_STR, "", 0, -1,
     "base URL of an OpenAI-compatible API (e.g. http://host:8000/v1); empty = no LLM"},
    {"GF_COMPLIANCE_LLM_MODEL", GF_CFG_STR, "gpt-4o-mini", 0, -1, "model name sent to the LLM"},
    {"GF_COMPLIANCE_LLM_API_KEY", GF_CFG_STR, "", 0, -1, "bearer key for the LLM endpoint"},
    {"GF_COMPLIANCE_LLM_TIMEOUT", GF_CFG_DOUBLE, "20", 0.1, 300,
     "seconds to wait for the LLM before answering extractively"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static const gf_route_t routes[] = {
    {"POST", "/v1/ask", h_ask_post, 64 * 1024, "application/json"},
    {"GET", "/v1/documents", h_documents_list, 0, NULL},
    {"GET", "/v1/documents/{id}/articles/{n}", h_documents_articles_get, 0, NULL},
    {"GET", "/v1/documents/{year}/{num}/articles/{n}", h_documents_articles_get, 0, NULL},
};

static bool index_ready(gf_service_t *svc, void *arg, char *why, size_t whylen)
{
    (void)arg;
    cmp_app_t *app = svc->app;
    if (app != NULL && app->engine != NULL)
        return true;
    snprintf(why, whylen, "the index is not built");
    return false;
}

static int init(gf_service_t *svc, void **app_out, gf_err_t *err)
{
    cmp_app_t *app = gf_xcalloc(1, sizeof *app);
    app->base = svc->base;
    app->llm_url = gf_cfg_str(&svc->cfg, "GF_COMPLIANCE_LLM_URL");
    app->llm_model = gf_cfg_str(&svc->cfg, "GF_COMPLIANCE_LLM_MODEL");
    app->llm_key = gf_cfg_str(&svc->cfg, "GF_COMPLIANCE_LLM_API_KEY");
    app->llm_timeout = gf_cfg_double(&svc->cfg, "GF_COMPLIANCE_LLM_TIMEOUT");
    cmp_engine_opts_t eo = {
        .wordnet_dir = gf_cfg_str(&svc->cfg, "GF_COMPLIANCE_WORDNET_DIR"),
        .rerank_model = gf_cfg_str(&svc->cfg, "GF_COMPLIANCE_RERANK_MODEL"),
        .refusal_model = gf_cfg_str(&svc->cfg, "GF_COMPLIANCE_REFUSAL_MODEL"),
    };
    app->engine = cmp_engine_new_opts(gf_cfg_str(&svc->cfg, "GF_COMPLIANCE_CORPUS_DIR"), &eo, err);
    if (app->engine == NULL) {
        free(app);
        return err->rc ? err->rc : GF_EINTERNAL;
    }
    GF_LOG(GF_LOG_INFO, "index_built", "corpus indexed in %.1f ms%s%s%s%s",
           cmp_engine_build_seconds(app->engine) * 1000,
           app->llm_url[0] ? " (LLM configured)" : " (extractive answers, no LLM)",
           cmp_engine_wordnet(app->engine) ? ", WordNet loaded" : ", no WordNet (expansion off)",
           cmp_engine_reranker(app->engine) ? ", reranker loaded" : ", no reranker model",
           cmp_engine_refusal_model(app->engine) ? ", refusal model loaded"
                                                 : ", fixed refusal rule");
    cmp_metrics_init();
    gf_service_add_check(svc, "index", index_ready, NULL);
    *app_out = app;
    return 0;
}

static void cleanup(gf_service_t *svc, void *app_)
{
    (void)svc;
    cmp_app_t *app = app_;
    if (app == NULL)
        return;
    cmp_engine_free(app->engine);
    free(app);
}

static json_t *info(gf_service_t *svc, void *app_)
{
    (void)svc;
    cmp_app_t *app = app_;
    json_t *o = json_object();
    json_object_set_new(o, "llm", json_boolean(app && app->llm_url[0]));
    json_object_set_new(o, "wordnet", json_boolean(app && cmp_engine_wordnet(app->engine)));
    json_object_set_new(o, "reranker", json_boolean(app && cmp_engine_reranker(app->engine)));
    json_object_set_new(o, "refusal_model",
                        json_boolean(app && cmp_engine_refusal_model(app->engine)));
    json_object_set_new(o, "index_build_ms",
                        json_real(app ? cmp_engine_build_seconds(app->engine) * 1000 : 0));
    return o;
}

static const gf_service_def_t def = {
    .name = "compliance",
    .version = "0.1.0",
    .default_port = 8105,
    .uses_redis = false,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .opts = opts,
    .init = init,
    .cleanup = cleanup,
    .info = info,
};

int main(int argc, char **argv)
{
    return gf_service_main(&def, argc, argv);
}
