/*
 * eval.c - runs a QA set through cmp_ask and computes retrieval, refusal and keyword figures.
 * See eval.h for the file format and the metrics.
 */
#include "eval.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Lowercase, decimal comma -> point, no spaces inside numbers or before '%'. */
static char *norm(const char *s)
{
    size_t n = strlen(s);
    char *o = gf_xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = (char)tolower((unsigned char)s[i]);
        if (c == ',' && k > 0 && isdigit((unsigned char)o[k - 1]) &&
            isdigit((unsigned char)s[i + 1]))
            c = '.';
        if (c == ' ' && k > 0 && isdigit((unsigned char)o[k - 1]) &&
            (isdigit((unsigned char)s[i + 1]) || s[i + 1] == '%'))
            continue;
        o[k++] = c;
    }
    o[k] = '\0';
    return o;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

const char *const CMP_EVAL_SETS[CMP_EVAL_NSETS] = {
    "services/compliance/eval/dev-qa.jsonl",
    "services/compliance/eval/extra-qa.jsonl",
    "services/compliance/eval/operator-qa.jsonl",
};

static uint32_t fnv1a(const char *s, uint32_t h)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

cmp_split_t cmp_eval_split_of(const json_t *q)
{
    const char *doc = json_string_value(json_object_get(q, "document"));
    const char *art = json_string_value(json_array_get(json_object_get(q, "expected_articles"), 0));
    uint32_t h = 2166136261u;
    if (doc && art) {
        h = fnv1a(doc, h);
        h = fnv1a(" ", h);
        h = fnv1a(art, h);
    } else {
        const char *id = json_string_value(json_object_get(q, "id"));
        h = fnv1a(id ? id : "", h);
    }
    unsigned b = h % 10;
    return b < 6 ? CMP_SPLIT_TRAIN : b < 8 ? CMP_SPLIT_DEV : CMP_SPLIT_TEST;
}

const char *cmp_split_name(cmp_split_t s)
{
    static const char *const N[] = {"all", "train", "dev", "test"};
    return s <= CMP_SPLIT_TEST ? N[s] : "?";
}

int cmp_split_parse(const char *s)
{
    for (int i = 0; i <= CMP_SPLIT_TEST; i++)
        if (strcmp(s, cmp_split_name((cmp_split_t)i)) == 0)
            return i;
    return -1;
}

int cmp_eval_run(const cmp_engine_t *e, const char *path, FILE *log, cmp_eval_t *out, gf_err_t *err)
{
    return cmp_eval_run_split(e, path, CMP_SPLIT_ALL, log, out, err);
}

int cmp_eval_run_split(const cmp_engine_t *e, const char *path, cmp_split_t split, FILE *log,
                       cmp_eval_t *out, gf_err_t *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return gf_err_set(err, GF_ENOTFOUND, "eval_missing", "cannot open %s", path);
    char *line = NULL;
    size_t cap = 0;
    double *lat = NULL;
    size_t nlat = 0, cap_lat = 0;
    int kw_total = 0, kw_found = 0, rc = 0, lineno = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        if (j == NULL) {
            if (strspn(line, " \t\r\n") == strlen(line))
                continue;
            rc = gf_err_set(err, GF_EINVAL, "eval_parse", "%s:%d: %s", path, lineno, je.text);
            break;
        }
        const char *id = json_string_value(json_object_get(j, "id"));
        const char *q = json_string_value(json_object_get(j, "question"));
        const char *expected = json_string_value(json_object_get(j, "expected"));
        const char *doc = json_string_value(json_object_get(j, "document"));
        json_t *arts = json_object_get(j, "expected_articles");
        if (q == NULL || (split != CMP_SPLIT_ALL && cmp_eval_split_of(j) != split)) {
            json_decref(j);
            continue;
        }
        cmp_answer_t a;
        gf_err_t qe = {0};
        double t0 = cmp__now();
        int r = cmp_ask(e, q, strlen(q), NULL, &a, &qe);
        *CMP__PUSH(lat, nlat, cap_lat) = (cmp__now() - t0) * 1000.0;
        if (r != 0) {
            rc = gf_err_set(err, r, qe.code, "%s: %s", id ? id : "?", qe.message);
            cmp_answer_cleanup(&a);
            json_decref(j);
            break;
        }
        int rank = 0;
        if (arts && doc) {
            out->n_answerable++;
            for (size_t u = 0; u < a.n_ranked_units && u < 10 && rank == 0; u++) {
                size_t i;
                json_t *v;
                json_array_foreach(arts, i, v)
                {
                    char want[96];
                    snprintf(want, sizeof want, "%s %s", doc, json_string_value(v));
                    if (strcmp(a.ranked_units[u], want) == 0)
                        rank = (int)u + 1;
                }
            }
            if (rank == 1)
                out->recall1 += 1;
            if (rank >= 1 && rank <= 5) {
                out->recall5 += 1;
                if (!a.refused)
                    out->answered_recall5 += 1;
            }
            if (rank >= 1)
                out->mrr += 1.0 / rank;
            if (a.refused)
                out->refused_answerable++;
            json_t *kws = json_object_get(j, "answer_keywords");
            size_t i;
            json_t *v;
            char *ans = norm(a.answer ? a.answer : "");
            json_array_foreach(kws, i, v)
            {
                char *k = norm(json_string_value(v) ? json_string_value(v) : "");
                kw_total++;
                if (strstr(ans, k))
                    kw_found++;
                free(k);
            }
            free(ans);
        } else if (expected && strcmp(expected, "refuse") == 0) {
            out->n_offtopic++;
            out->refused_offtopic += a.refused;
        } else if (expected && strcmp(expected, "refuse_language") == 0) {
            out->n_lang++;
            out->refused_lang_right += a.refused && a.reason &&
                                       strcmp(a.reason, "unsupported_language") == 0;
        } else {
            out->n_near++;
            out->refused_near += a.refused;
        }
        if (log) {
            fprintf(log, "%-6s %-4s rank=%-2d refused=%d %-13s cov=%.2f top=%.1f | %s | %s\n",
                    id ? id : "?",
                    arts       ? "ans"
                    : expected ? expected
                               : "?",
                    rank, a.refused, a.reason ? a.reason : "-", a.coverage, a.top_score,
                    a.n_ranked_units ? a.ranked_units[0] : "-", q);
        }
        cmp_answer_cleanup(&a);
        json_decref(j);
    }
    free(line);
    fclose(f);
    if (out->n_answerable) {
        out->recall1 /= out->n_answerable;
        out->recall5 /= out->n_answerable;
        out->answered_recall5 /= out->n_answerable;
        out->mrr /= out->n_answerable;
    }
    out->keyword_recall = kw_total ? (double)kw_found / kw_total : 0;
    if (nlat) {
        qsort(lat, nlat, sizeof *lat, cmp_dbl);
        out->lat_p50_ms = lat[nlat / 2];
        size_t i99 = (size_t)((double)nlat * 0.99);
        out->lat_p99_ms = lat[i99 < nlat ? i99 : nlat - 1];
        out->lat_max_ms = lat[nlat - 1];
    }
    free(lat);
    return rc;
}

void cmp_eval_merge(cmp_eval_t *sum, const cmp_eval_t *r)
{
    int n = sum->n_answerable + r->n_answerable;
    if (n > 0) {
        double a = sum->n_answerable, b = r->n_answerable;
        sum->recall1 = (sum->recall1 * a + r->recall1 * b) / n;
        sum->recall5 = (sum->recall5 * a + r->recall5 * b) / n;
        sum->mrr = (sum->mrr * a + r->mrr * b) / n;
        sum->answered_recall5 = (sum->answered_recall5 * a + r->answered_recall5 * b) / n;
    }
    sum->n_answerable = n;
    sum->n_offtopic += r->n_offtopic;
    sum->n_near += r->n_near;
    sum->n_lang += r->n_lang;
    sum->refused_answerable += r->refused_answerable;
    sum->refused_offtopic += r->refused_offtopic;
    sum->refused_near += r->refused_near;
    sum->refused_lang_right += r->refused_lang_right;
}

void cmp_eval_print(const cmp_eval_t *r, const char *name, FILE *f)
{
    fprintf(f, "== %s: %d answerable, %d off-topic, %d near-domain, %d other-language\n", name,
            r->n_answerable, r->n_offtopic, r->n_near, r->n_lang);
    fprintf(f, "   recall@1 %.3f  recall@5 %.3f  MRR@10 %.3f  answered recall@5 %.3f\n", r->recall1,
            r->recall5, r->mrr, r->answered_recall5);
    fprintf(f,
            "   off-topic refused %d/%d  near-domain refused %d/%d  false refusals %d/%d "
            "(%.1f%%)\n",
            r->refused_offtopic, r->n_offtopic, r->refused_near, r->n_near, r->refused_answerable,
            r->n_answerable,
            r->n_answerable ? 100.0 * r->refused_answerable / r->n_answerable : 0.0);
    if (r->n_lang)
        fprintf(f, "   other-language refused as unsupported_language %d/%d\n",
                r->refused_lang_right, r->n_lang);
    fprintf(f, "   answer keyword recall %.3f  latency p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
            r->keyword_recall, r->lat_p50_ms, r->lat_p99_ms, r->lat_max_ms);
}
