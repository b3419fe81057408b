/*
 * cmp-train-refusal - fits the compliance engine's calibrated refusal decision.
 *
 *   build/bin/cmp-train-refusal [-c corpus_dir] [-o services/compliance/model/refusal.json]
 *
 * Runs every question of the train split (eval.h; the three question sets) that reaches the
 * refusal decision through the engine (with its reranker, without a refusal model) and keeps
 * the decision's features (answer.h CMP_RF_NFEAT): label 1 for off-topic and near-domain
 * questions, 0 for answerable ones. Fits a logistic regression on standardised features
 * (batch gradient descent, L2 0.01, classes weighted to balance), then picks the threshold on
 * the dev split: the one with the fewest wrong decisions (answerable refused + refusals
 * answered, each class weighted by its size), ties to the lower false-refusal rate. Writes the
 * model and prints the dev figures. The test split is never read.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../answer.h"
#include "../eval.h"
#include "../util.h"

typedef struct set {
    double *x; /* n x CMP_RF_NFEAT */
    int *y;
    size_t n;
} set_t;

static void collect(const cmp_engine_t *e, cmp_split_t split, set_t *s)
{
    for (size_t f = 0; f < CMP_EVAL_NSETS; f++) {
        FILE *fh = fopen(CMP_EVAL_SETS[f], "r");
        if (fh == NULL) {
            fprintf(stderr, "cmp-train-refusal: cannot open %s\n", CMP_EVAL_SETS[f]);
            exit(1);
        }
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, fh) > 0) {
            json_t *j = json_loads(line, 0, NULL);
            const char *q = j ? json_string_value(json_object_get(j, "question")) : NULL;
            const char *exp = j ? json_string_value(json_object_get(j, "expected")) : NULL;
            int answerable = j && json_object_get(j, "expected_articles") != NULL;
            int refuse = exp &&
                         (strcmp(exp, "refuse") == 0 || strcmp(exp, "refuse_or_no_evidence") == 0);
            if (q == NULL || (!answerable && !refuse) || cmp_eval_split_of(j) != split) {
                json_decref(j);
                continue;
            }
            cmp_answer_t a;
            gf_err_t err = {0};
            if (cmp_ask(e, q, strlen(q), NULL, &a, &err) == 0 && a.has_refusal_x) {
                s->x = gf_xrealloc(s->x, (s->n + 1) * CMP_RF_NFEAT * sizeof *s->x);
                s->y = gf_xrealloc(s->y, (s->n + 1) * sizeof *s->y);
                memcpy(s->x + s->n * CMP_RF_NFEAT, a.refusal_x, sizeof a.refusal_x);
                s->y[s->n++] = refuse;
            }
            cmp_answer_cleanup(&a);
            gf_err_cleanup(&err);
            json_decref(j);
        }
        free(line);
        fclose(fh);
    }
}

static void fit(const set_t *s, cmp_refusal_model_t *m)
{
    size_t n1 = 0;
    for (size_t i = 0; i < s->n; i++)
        n1 += s->y[i];
    double w1 = n1 ? (double)s->n / (2.0 * (double)n1) : 1,
           w0 = (double)s->n / (2.0 * (double)(s->n - n1));
    for (size_t k = 0; k < CMP_RF_NFEAT; k++) {
        double sum = 0, sq = 0;
        for (size_t i = 0; i < s->n; i++)
            sum += s->x[i * CMP_RF_NFEAT + k];
        m->mean[k] = sum / (double)s->n;
        for (size_t i = 0; i < s->n; i++) {
            double d = s->x[i * CMP_RF_NFEAT + k] - m->mean[k];
            sq += d * d;
        }
        m->sd[k] = sqrt(sq / (double)s->n);
        if (!(m->sd[k] > 1e-9))
            m->sd[k] = 1;
        m->w[k] = 0;
    }
    m->b = 0;
    for (int it = 0; it < 5000; it++) {
        double g[CMP_RF_NFEAT] = {0}, gb = 0;
        for (size_t i = 0; i < s->n; i++) {
            double p = cmp_refusal_model_p(m, s->x + i * CMP_RF_NFEAT);
            double r = (p - s->y[i]) * (s->y[i] ? w1 : w0);
            for (size_t k = 0; k < CMP_RF_NFEAT; k++)
                g[k] += r * (s->x[i * CMP_RF_NFEAT + k] - m->mean[k]) / m->sd[k];
            gb += r;
        }
        for (size_t k = 0; k < CMP_RF_NFEAT; k++)
            m->w[k] -= 0.1 * (g[k] / (double)s->n + 0.01 * m->w[k]);
        m->b -= 0.1 * gb / (double)s->n;
    }
}

int main(int argc, char **argv)
{
    const char *dir = "services/compliance/corpus";
    const char *out = "services/compliance/model/refusal.json";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
    }
    gf_err_t err = {0};
    cmp_engine_opts_t o = {.refusal_model = ""};
    cmp_engine_t *e = cmp_engine_new_opts(dir, &o, &err);
    if (e == NULL) {
        fprintf(stderr, "cmp-train-refusal: %s: %s\n", err.code, err.message);
        return 1;
    }
    set_t tr = {0}, dv = {0};
    collect(e, CMP_SPLIT_TRAIN, &tr);
    collect(e, CMP_SPLIT_DEV, &dv);
    cmp_engine_free(e);
    cmp_refusal_model_t m;
    fit(&tr, &m);
    size_t d1 = 0;
    for (size_t i = 0; i < dv.n; i++)
        d1 += dv.y[i];
    size_t d0 = dv.n - d1;
    printf("train: %zu questions reach the decision; dev: %zu (%zu answerable, %zu to refuse)\n",
           tr.n, dv.n, d0, d1);
    double best = 1e9, best_fr = 1;
    for (int t = 5; t <= 95; t++) {
        double th = t / 100.0;
        size_t fr = 0, miss = 0;
        for (size_t i = 0; i < dv.n; i++) {
            int refuse = cmp_refusal_model_p(&m, dv.x + i * CMP_RF_NFEAT) >= th;
            fr += refuse && !dv.y[i];
            miss += !refuse && dv.y[i];
        }
        double frr = d0 ? (double)fr / (double)d0 : 0, mr = d1 ? (double)miss / (double)d1 : 0;
        if (frr + mr < best - 1e-9 || (fabs(frr + mr - best) < 1e-9 && frr < best_fr)) {
            best = frr + mr;
            best_fr = frr;
            m.threshold = th;
        }
    }
    size_t fr = 0, miss = 0;
    for (size_t i = 0; i < dv.n; i++) {
        int refuse = cmp_refusal_model_p(&m, dv.x + i * CMP_RF_NFEAT) >= m.threshold;
        fr += refuse && !dv.y[i];
        miss += !refuse && dv.y[i];
    }
    printf("threshold %.2f chosen on dev: answerable refused %zu/%zu, to-refuse answered %zu/%zu\n",
           m.threshold, fr, d0, miss, d1);
    if (cmp_refusal_model_save(out, &m, &err) != 0) {
        fprintf(stderr, "cmp-train-refusal: %s\n", err.message);
        return 1;
    }
    printf("-> %s\n", out);
    free(tr.x);
    free(tr.y);
    free(dv.x);
    free(dv.y);
    return 0;
}
