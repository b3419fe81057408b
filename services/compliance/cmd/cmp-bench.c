/*
 * cmp-bench - timing and quality figures of the compliance engine.
 *
 *   build/bin/cmp-bench [-c corpus_dir] [-r rounds] [-s train|dev|test] [-b] [-v] [-a]
 *                       [-q "question"] [qa.jsonl ...]
 *
 * -b: the baseline engine (no WordNet, no learned reranker, the fixed refusal rule).
 *
 * Builds the engine (reports load + index time, best of 5 builds), runs each QA file once
 * for the quality figures (-v: one line per question), then runs all their questions
 * `rounds` times (default 20) and reports per-question latency percentiles. -q answers one
 * question and prints the result JSON; -a prints an ablation table (quality of ranking
 * variants). Defaults: corpus services/compliance/corpus, QA files
 * services/compliance/eval/dev-qa.jsonl and extra-qa.jsonl. Figures go to
 * tests/bench/results/compliance.md.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../answer.h"
#include "core/util.h"
#include "../eval.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *dir = "services/compliance/corpus";
    const char *files[16];
    const char *one = NULL;
    int nf = 0, rounds = 20, verbose = 0, ablation = 0;
    cmp_split_t split = CMP_SPLIT_ALL;
    int baseline = 0; /* -b: without WordNet, reranker and refusal model */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "-q") == 0 && i + 1 < argc)
            one = argv[++i];
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
            int sp = cmp_split_parse(argv[++i]);
            if (sp < 0) {
                fprintf(stderr, "cmp-bench: -s train|dev|test|all\n");
                return 2;
            }
            split = (cmp_split_t)sp;
        } else if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "-a") == 0)
            ablation = 1;
        else if (strcmp(argv[i], "-b") == 0)
            baseline = 1;
        else if (nf < 16)
            files[nf++] = argv[i];
    }
    for (size_t k = 0; nf == 0 && k < CMP_EVAL_NSETS; k++)
        files[k] = (char *)CMP_EVAL_SETS[k];
    if (nf == 0)
        nf = (int)CMP_EVAL_NSETS;
    gf_err_t err = {0};
    if (ablation) {
        /* what each part of the ranking contributes (quality only) */
        static const struct {
            const char *name;
            float title_w, prox_w;
            int no_syn;
        } V[] = {
            {"plain BM25 (no title field, no proximity, no synonyms)", 0, 0, 1},
            {"+ title field", 1.5f, 0, 1},
            {"+ proximity", 1.5f, 0.25f, 1},
            {"+ synonyms and definition intent (= default)", 1.5f, 0.25f, 0},
        };
        for (size_t v = 0; v < sizeof V / sizeof V[0]; v++) {
            cmp_bm25_params_t p = CMP_BM25_DEFAULT;
            p.title_weight = V[v].title_w;
            p.prox_weight = V[v].prox_w;
            cmp_engine_opts_t o = {.bm25 = &p, .no_synonyms = V[v].no_syn};
            cmp_engine_t *ae = cmp_engine_new_opts(dir, &o, &err);
            if (ae == NULL)
                return 1;
            printf("-- %s\n", V[v].name);
            for (int f = 0; f < nf; f++) {
                cmp_eval_t r;
                if (cmp_eval_run_split(ae, files[f], split, NULL, &r, &err) == 0)
                    cmp_eval_print(&r, files[f], stdout);
            }
            cmp_engine_free(ae);
        }
        return 0;
    }
    double best_build = 1e9;
    cmp_engine_t *e = NULL;
    for (int b = 0; b < 5; b++) {
        cmp_engine_free(e);
        double t0 = now();
        cmp_engine_opts_t bo = {.rerank_model = "", .refusal_model = "", .wordnet_dir = ""};
        e = baseline ? cmp_engine_new_opts(dir, &bo, &err) : cmp_engine_new(dir, &err);
        double dt = now() - t0;
        if (e == NULL) {
            fprintf(stderr, "cmp-bench: %s: %s\n", err.code, err.message);
            return 1;
        }
        if (dt < best_build)
            best_build = dt;
    }
    if (one) {
        cmp_answer_t a;
        int rc = cmp_ask(e, one, strlen(one), NULL, &a, &err);
        if (rc != 0) {
            fprintf(stderr, "cmp-bench: %s: %s\n", err.code, err.message);
        } else {
            json_t *j = cmp_answer_to_json(&a);
            char *s = json_dumps(j, JSON_INDENT(2));
            printf("%s\n", s);
            free(s);
            json_decref(j);
            printf("ranked:");
            for (size_t i = 0; i < a.n_ranked_units && i < 10; i++)
                printf(" [%s]", a.ranked_units[i]);
            printf("\ncoverage %.3f top %.2f\n", a.coverage, a.top_score);
        }
        cmp_answer_cleanup(&a);
        cmp_engine_free(e);
        return rc != 0;
    }
    printf("corpus %s: %zu passages, %zu terms; build (load + parse + index) best of 5: %.1f ms\n",
           dir, cmp_index_n_passages(cmp_engine_index(e)), cmp_index_n_terms(cmp_engine_index(e)),
           best_build * 1000);

    /* quality */
    cmp_eval_t all = {0};
    char **qs = NULL;
    size_t nq = 0;
    for (int f = 0; f < nf; f++) {
        cmp_eval_t r;
        int rc = cmp_eval_run_split(e, files[f], split, verbose ? stdout : NULL, &r, &err);
        if (rc != 0) {
            fprintf(stderr, "cmp-bench: %s: %s\n", err.code, err.message);
            continue;
        }
        cmp_eval_print(&r, files[f], stdout);
        cmp_eval_merge(&all, &r);
        FILE *fh = fopen(files[f], "r");
        char *line = NULL;
        size_t cap = 0;
        while (fh && getline(&line, &cap, fh) > 0) {
            json_t *j = json_loads(line, 0, NULL);
            const char *q = j ? json_string_value(json_object_get(j, "question")) : NULL;
            if (q && (split == CMP_SPLIT_ALL || cmp_eval_split_of(j) == split)) {
                qs = gf_xrealloc(qs, (nq + 1) * sizeof *qs);
                qs[nq++] = gf_xstrdup(q);
            }
            json_decref(j);
        }
        free(line);
        if (fh)
            fclose(fh);
    }

    if (nf > 1)
        cmp_eval_print(&all, "all sets", stdout);

    /* latency */
    if (nq > 0 && rounds > 0) {
        size_t n = nq * (size_t)rounds;
        double *lat = gf_xmalloc(n * sizeof *lat), *cpu = gf_xmalloc(n * sizeof *cpu);
        size_t k = 0;
        double t_all = now();
        for (int r = 0; r < rounds; r++) {
            for (size_t i = 0; i < nq; i++) {
                cmp_answer_t a;
                double t0 = now(), c0 = cpu_now();
                cmp_ask(e, qs[i], strlen(qs[i]), NULL, &a, &err);
                cpu[k] = (cpu_now() - c0) * 1000;
                lat[k++] = (now() - t0) * 1000;
                cmp_answer_cleanup(&a);
            }
        }
        t_all = now() - t_all;
        qsort(lat, n, sizeof *lat, cmp_d);
        printf("latency over %zu asks (%zu questions x %d rounds, 1 thread): p50 %.3f ms  p90 "
               "%.3f ms  p99 %.3f ms  max %.3f ms  (%.0f asks/s)\n",
               n, nq, rounds, lat[n / 2], lat[(size_t)(n * 0.9)], lat[(size_t)(n * 0.99)],
               lat[n - 1], (double)n / t_all);
        qsort(cpu, n, sizeof *cpu, cmp_d);
        printf("cpu time per ask (immune to other load on the machine): p50 %.3f ms  p90 %.3f ms  "
               "p99 %.3f ms  max %.3f ms\n",
               cpu[n / 2], cpu[(size_t)(n * 0.9)], cpu[(size_t)(n * 0.99)], cpu[n - 1]);
        free(lat);
        free(cpu);
    }
    for (size_t i = 0; i < nq; i++)
        free(qs[i]);
    free(qs);
    cmp_engine_free(e);
    return 0;
}
