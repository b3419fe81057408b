/*
 * cmp-train-rerank - trains the compliance engine's learned reranker (rerank.h).
 *
 *   build/bin/cmp-train-rerank [-c corpus_dir] [-o services/compliance/model/rerank.json]
 *                              [qa.jsonl ...]
 *
 * Runs every answerable question of the train split (eval.h) through the engine without a
 * reranker and keeps the features of its best CMP_RR_TOP candidate articles / annexes, labelled
 * 1 when the candidate is an expected article of the question. Trains XGBoost rank:pairwise
 * for each setting of a small grid (rounds x depth), measures each on the dev split (MRR@10,
 * recall@5 of the reranked engine), keeps the best by dev MRR and writes it to the output
 * file. The test split is never read. Default QA files: services/compliance/eval/{dev-qa,
 * extra-qa,operator-qa}.jsonl. Deterministic (one thread, fixed seed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../answer.h"
#include "../eval.h"
#include "../util.h"

typedef struct data {
    float *x, *y; /* rows x CMP_RR_NFEAT features, rows labels */
    size_t rows;
    unsigned *groups;
    size_t n_groups, cap_g;
} data_t;

static int collect(const cmp_engine_t *e, const char *path, data_t *d)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cmp-train-rerank: cannot open %s\n", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        const char *q = j ? json_string_value(json_object_get(j, "question")) : NULL;
        const char *doc = j ? json_string_value(json_object_get(j, "document")) : NULL;
        json_t *arts = j ? json_object_get(j, "expected_articles") : NULL;
        if (q == NULL || doc == NULL || arts == NULL || cmp_eval_split_of(j) != CMP_SPLIT_TRAIN) {
            json_decref(j);
            continue;
        }
        cmp_answer_t a;
        gf_err_t err = {0};
        cmp_ask_opts_t o = {.features = 1};
        if (cmp_ask(e, q, strlen(q), &o, &a, &err) == 0 && a.n_cand > 0) {
            int pos = 0;
            float lab[CMP_RR_TOP];
            for (size_t c = 0; c < a.n_cand; c++) {
                lab[c] = 0;
                size_t i;
                json_t *v;
                json_array_foreach(arts, i, v)
                {
                    char want[96];
                    snprintf(want, sizeof want, "%s %s", doc, json_string_value(v));
                    if (strcmp(a.cand_units[c], want) == 0)
                        lab[c] = 1;
                }
                pos |= lab[c] > 0;
            }
            if (pos) { /* a group without a relevant candidate teaches nothing */
                d->x = gf_xrealloc(d->x, (d->rows + a.n_cand) * CMP_RR_NFEAT * sizeof *d->x);
                d->y = gf_xrealloc(d->y, (d->rows + a.n_cand) * sizeof *d->y);
                memcpy(d->x + d->rows * CMP_RR_NFEAT, a.cand_x,
                       a.n_cand * CMP_RR_NFEAT * sizeof *d->x);
                memcpy(d->y + d->rows, lab, a.n_cand * sizeof *d->y);
                d->rows += a.n_cand;
                *CMP__PUSH(d->groups, d->n_groups, d->cap_g) = (unsigned)a.n_cand;
            }
        }
        cmp_answer_cleanup(&a);
        gf_err_cleanup(&err);
        json_decref(j);
    }
    free(line);
    fclose(f);
    return 0;
}

static int dev_eval(const char *dir, const char *model, char **files, int nf, cmp_eval_t *sum)
{
    gf_err_t err = {0};
    cmp_engine_opts_t o = {.rerank_model = model};
    cmp_engine_t *e = cmp_engine_new_opts(dir, &o, &err);
    if (e == NULL || !cmp_engine_reranker(e)) {
        fprintf(stderr, "cmp-train-rerank: %s\n", e ? "model not loaded" : err.message);
        cmp_engine_free(e);
        return -1;
    }
    memset(sum, 0, sizeof *sum);
    for (int f = 0; f < nf; f++) {
        cmp_eval_t r;
        if (cmp_eval_run_split(e, files[f], CMP_SPLIT_DEV, NULL, &r, &err) != 0) {
            fprintf(stderr, "cmp-train-rerank: %s\n", err.message);
            cmp_engine_free(e);
            return -1;
        }
        cmp_eval_merge(sum, &r);
    }
    cmp_engine_free(e);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = "services/compliance/corpus";
    const char *out = "services/compliance/model/rerank.json";
    char *files[16];
    int nf = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (nf < 16)
            files[nf++] = argv[i];
    }
    for (size_t k = 0; nf == 0 && k < CMP_EVAL_NSETS; k++)
        files[k] = (char *)CMP_EVAL_SETS[k];
    if (nf == 0)
        nf = (int)CMP_EVAL_NSETS;
    gf_err_t err = {0};
    cmp_engine_opts_t o = {.rerank_model = ""};
    cmp_engine_t *e = cmp_engine_new_opts(dir, &o, &err);
    if (e == NULL) {
        fprintf(stderr, "cmp-train-rerank: %s: %s\n", err.code, err.message);
        return 1;
    }
    data_t d = {0};
    for (int f = 0; f < nf; f++)
        if (collect(e, files[f], &d) != 0)
            return 1;
    cmp_engine_free(e);
    printf("train split: %zu questions with a relevant candidate, %zu candidate rows\n", d.n_groups,
           d.rows);
    /* baseline: the engine without a reranker on the dev split */
    {
        cmp_engine_t *b = cmp_engine_new_opts(dir, &o, &err);
        cmp_eval_t sum = {0};
        for (int f = 0; b && f < nf; f++) {
            cmp_eval_t r;
            if (cmp_eval_run_split(b, files[f], CMP_SPLIT_DEV, NULL, &r, &err) == 0)
                cmp_eval_merge(&sum, &r);
        }
        printf("dev, no reranker:            MRR@10 %.3f  recall@1 %.3f  recall@5 %.3f\n", sum.mrr,
               sum.recall1, sum.recall5);
        cmp_engine_free(b);
    }
    static const int ROUNDS[] = {50, 100, 200}, DEPTH[] = {2, 3, 4};
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.candidate", out);
    double best = -1;
    int br = 0, bd = 0;
    for (size_t r = 0; r < 3; r++)
        for (size_t k = 0; k < 3; k++) {
            if (cmp_reranker_train(d.x, d.y, d.rows, d.groups, d.n_groups, ROUNDS[r], DEPTH[k], 0.1,
                                   tmp, &err) != 0) {
                fprintf(stderr, "cmp-train-rerank: %s\n", err.message);
                return 1;
            }
            cmp_eval_t sum;
            if (dev_eval(dir, tmp, files, nf, &sum) != 0)
                return 1;
            printf("dev, rounds %3d depth %d:     MRR@10 %.3f  recall@1 %.3f  recall@5 %.3f\n",
                   ROUNDS[r], DEPTH[k], sum.mrr, sum.recall1, sum.recall5);
            if (sum.mrr > best + 1e-9) {
                best = sum.mrr;
                br = ROUNDS[r];
                bd = DEPTH[k];
            }
        }
    remove(tmp);
    if (cmp_reranker_train(d.x, d.y, d.rows, d.groups, d.n_groups, br, bd, 0.1, out, &err) != 0) {
        fprintf(stderr, "cmp-train-rerank: %s\n", err.message);
        return 1;
    }
    printf("chosen on dev: rounds %d, depth %d, eta 0.1 (dev MRR@10 %.3f) -> %s\n", br, bd, best,
           out);
    free(d.x);
    free(d.y);
    free(d.groups);
    return 0;
}
