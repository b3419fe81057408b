/*
 * fc_tree.c - native XGBoost tree evaluator (see fc_tree.h for the semantics it copies).
 *
 * Layout: nodes of all trees in one array; tree t starts at roots[t]. For a split, the right
 * child is left + 1: the flattening renumbers nodes breadth-first so siblings are adjacent,
 * whatever XGBoost's own numbering after pruning was. While flattening, a leaf is marked
 * left == 0 (no node but a root has index 0 or is nobody's child); finish_layout() then makes
 * every leaf a self-loop (left == its own index, NaN condition, default left) with its value
 * in leafv[], so a tree is walked exactly depth[t] steps with no data-dependent loop exit:
 * the walks of a block of rows overlap in the CPU instead of stalling on mispredictions.
 */
#include "fc_tree.h"
#include "core/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LEFT 0x80000000u
#define FEAT_MASK 0x7fffffffu

typedef struct node {
    float value;   /* split condition, or leaf value */
    uint32_t feat; /* split feature | DEFAULT_LEFT */
    uint32_t left; /* index of left child (right = left + 1); 0 for a leaf */
} node_t;

typedef enum { LINK_IDENTITY, LINK_SIGMOID, LINK_EXP } link_t;

struct fc_forest {
    node_t *nodes;
    size_t nnodes;
    uint32_t *roots;
    uint32_t *depth; /* per tree: longest root-to-leaf path */
    float *leafv;    /* per node: leaf value (leaves only) */
    size_t ntrees;
    size_t nfeat;
    float base_margin;
    double base_score;
    link_t link;
    char objective[48];
};

static const struct {
    const char *name;
    link_t link;
} objectives[] = {
    {"reg:squarederror", LINK_IDENTITY},
    {"reg:squaredlogerror", LINK_IDENTITY},
    {"reg:pseudohubererror", LINK_IDENTITY},
    {"reg:absoluteerror", LINK_IDENTITY},
    {"binary:logitraw", LINK_IDENTITY},
    {"reg:logistic", LINK_SIGMOID},
    {"binary:logistic", LINK_SIGMOID},
    {"count:poisson", LINK_EXP},
    {"reg:gamma", LINK_EXP},
    {"reg:tweedie", LINK_EXP},
};

/* ------------------------------------------------------------------ parse helpers */

static int bad(gf_err_t *err, const char *path, const char *what)
{
    gf_err_set(err, GF_EINVAL, "bad_model_json", "XGBoost model JSON: %s %s", path, what);
    gf_err_add_field(err, path, what);
    return GF_EINVAL;
}

static int unsupported(gf_err_t *err, const char *fmt, const char *what)
{
    gf_err_set(err, GF_EUNPROCESSABLE, "unsupported_model", fmt, what);
    return GF_EUNPROCESSABLE;
}

/* XGBoost writes most scalars of its params as strings ("5E-1", "0"); accept both forms. */
static int num_of(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    const char *s = json_string_value(v);
    if (s == NULL || *s == '\0')
        return -1;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = d;
    return 0;
}

static json_t *path_get(json_t *j, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n && j != NULL; i++)
        j = json_object_get(j, keys[i]);
    return j;
}

#define PATH(j, ...)                                                                               \
    path_get((j), (const char *const[]){__VA_ARGS__},                                              \
             sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* ------------------------------------------------------------------ parse */

typedef struct tree_src {
    json_t *left, *right, *feat, *cond, *dleft;
    size_t n;
} tree_src_t;

static int tree_src_get(json_t *t, size_t ti, size_t nfeat, tree_src_t *s, gf_err_t *err)
{
    char path[64];
    snprintf(path, sizeof path, "trees[%zu]", ti);
    s->left = json_object_get(t, "left_children");
    s->right = json_object_get(t, "right_children");
    s->feat = json_object_get(t, "split_indices");
    s->cond = json_object_get(t, "split_conditions");
    s->dleft = json_object_get(t, "default_left");
    if (!json_is_array(s->left) || !json_is_array(s->right) || !json_is_array(s->feat) ||
        !json_is_array(s->cond) || !json_is_array(s->dleft))
        return bad(err, path,
                   "lacks one of left_children, right_children, split_indices, "
                   "split_conditions, default_left");
    s->n = json_array_size(s->left);
    if (s->n == 0 || s->n > (1u << 26) || json_array_size(s->right) != s->n ||
        json_array_size(s->feat) != s->n || json_array_size(s->cond) != s->n ||
        json_array_size(s->dleft) != s->n)
        return bad(err, path, "has node arrays of different or zero length");
    json_t *st = json_object_get(t, "split_type");
    size_t i;
    json_t *v;
    json_array_foreach(st, i, v)
    {
        if (json_integer_value(v) != 0)
            return unsupported(err, "categorical splits are not supported (%s)", path);
    }
    json_t *tp = json_object_get(t, "tree_param");
    double slv = 0;
    if (num_of(json_object_get(tp, "size_leaf_vector"), &slv) == 0 && slv > 1)
        return unsupported(err, "vector leaves are not supported (%s)", path);
    (void)nfeat;
    return 0;
}

static int int_at(json_t *a, size_t i, long long *out)
{
    json_t *v = json_array_get(a, i);
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    return -1;
}

/* Append tree `s` to f->nodes breadth-first; *cap is the capacity of f->nodes. */
static int tree_flatten(fc_forest_t *f, size_t *cap, const tree_src_t *s, size_t ti, gf_err_t *err)
{
    char path[64];
    snprintf(path, sizeof path, "trees[%zu]", ti);
    /* queue of source node ids; out[k] = slot in f->nodes for queue entry k */
    uint32_t *queue = gf_xmalloc(s->n * sizeof *queue);
    uint32_t *slot = gf_xmalloc(s->n * sizeof *slot);
    unsigned char *seen = gf_xcalloc(s->n, 1);
    int rc = 0;
    size_t head = 0, tail = 0;
    if (f->nnodes + 1 > *cap) {
        *cap = (*cap + 1) * 2;
        f->nodes = gf_xrealloc(f->nodes, *cap * sizeof *f->nodes);
    }
    queue[tail] = 0;
    slot[tail++] = (uint32_t)f->nnodes++;
    seen[0] = 1;
    while (head < tail) {
        uint32_t src = queue[head];
        uint32_t dst = slot[head++];
        long long l, r, fe, dl;
        double cond = json_number_value(json_array_get(s->cond, src));
        if (int_at(s->left, src, &l) || int_at(s->right, src, &r) || int_at(s->feat, src, &fe) ||
            int_at(s->dleft, src, &dl) || !json_is_number(json_array_get(s->cond, src))) {
            rc = bad(err, path, "has a non-integer child/feature or non-number condition");
            goto out;
        }
        if (!isfinite(cond) || fabs(cond) > 3.4e38) {
            rc = bad(err, path, "has a non-finite split condition or leaf value");
            goto out;
        }
        node_t *nd = &f->nodes[dst];
        nd->value = (float)cond;
        if (l == -1) { /* leaf */
            nd->feat = 0;
            nd->left = 0;
            continue;
        }
        if (l < 0 || r < 0 || (size_t)l >= s->n || (size_t)r >= s->n || l == r) {
            rc = bad(err, path, "has a child index out of range");
            goto out;
        }
        if (seen[l] || seen[r]) {
            rc = bad(err, path, "is not a tree (a node is reached twice)");
            goto out;
        }
        if (fe < 0 || (size_t)fe >= f->nfeat) {
            rc = bad(err, path, "splits on a feature index >= num_feature");
            goto out;
        }
        seen[l] = seen[r] = 1;
        if (f->nnodes + 2 > *cap) {
            *cap = (*cap + 2) * 2;
            f->nodes = gf_xrealloc(f->nodes, *cap * sizeof *f->nodes);
            nd = &f->nodes[dst];
        }
        nd->feat = (uint32_t)fe | (dl ? DEFAULT_LEFT : 0);
        nd->left = (uint32_t)f->nnodes;
        queue[tail] = (uint32_t)l;
        slot[tail++] = (uint32_t)f->nnodes++;
        queue[tail] = (uint32_t)r;
        slot[tail++] = (uint32_t)f->nnodes++;
    }
out:
    free(queue);
    free(slot);
    free(seen);
    return rc;
}

/* Turn leaves into self-loops so every tree can be walked a fixed number of steps without a
 * loop-exit branch: a leaf keeps its value in leafv, points left at itself, has a NaN
 * condition (x >= NaN is false for every x: stay) and default-left (NaN input: stay). */
static void finish_layout(fc_forest_t *f)
{
    f->leafv = gf_xmalloc((f->nnodes ? f->nnodes : 1) * sizeof *f->leafv);
    f->depth = gf_xcalloc(f->ntrees ? f->ntrees : 1, sizeof *f->depth);
    uint32_t *nd = gf_xcalloc(f->nnodes ? f->nnodes : 1, sizeof *nd);
    for (size_t t = 0; t < f->ntrees; t++) {
        size_t end = t + 1 < f->ntrees ? f->roots[t + 1] : f->nnodes;
        for (size_t i = f->roots[t]; i < end; i++) { /* BFS order: parents first */
            node_t *n = &f->nodes[i];
            if (n->left == 0) {
                f->leafv[i] = n->value;
                n->value = NAN;
                n->feat = DEFAULT_LEFT;
                n->left = (uint32_t)i;
                if (nd[i] > f->depth[t])
                    f->depth[t] = nd[i];
            } else {
                nd[n->left] = nd[n->left + 1] = nd[i] + 1;
            }
        }
    }
    free(nd);
}

fc_forest_t *fc_forest_parse(const char *json, size_t len, gf_err_t *err)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (root == NULL) {
        gf_err_set(err, GF_EINVAL, "bad_model_json",
                   "XGBoost model JSON does not parse: %s "
                   "(line %d)",
                   je.text, je.line);
        return NULL;
    }
    fc_forest_t *f = gf_xcalloc(1, sizeof *f);
    size_t cap = 0;
    json_t *learner = json_object_get(root, "learner");
    json_t *gb = json_object_get(learner, "gradient_booster");
    json_t *lmp = json_object_get(learner, "learner_model_param");
    if (!json_is_object(learner) || !json_is_object(gb) || !json_is_object(lmp)) {
        bad(err, "learner", "lacks gradient_booster or learner_model_param");
        goto fail;
    }
    const char *booster = json_string_value(json_object_get(gb, "name"));
    if (booster == NULL || strcmp(booster, "gbtree") != 0) {
        unsupported(err, "booster '%s' is not supported (only gbtree)", booster ? booster : "?");
        goto fail;
    }
    const char *obj = json_string_value(PATH(learner, "objective", "name"));
    if (obj == NULL) {
        bad(err, "learner.objective.name", "is missing");
        goto fail;
    }
    size_t oi = 0;
    while (oi < sizeof objectives / sizeof objectives[0] && strcmp(objectives[oi].name, obj) != 0)
        oi++;
    if (oi == sizeof objectives / sizeof objectives[0]) {
        unsupported(err, "objective '%s' is not supported", obj);
        goto fail;
    }
    snprintf(f->objective, sizeof f->objective, "%s", obj);
    f->link = objectives[oi].link;
    double nclass = 0, ntarget = 1, nfeat = 0, base = 0;
    num_of(json_object_get(lmp, "num_class"), &nclass);
    num_of(json_object_get(lmp, "num_target"), &ntarget);
    if (nclass > 1 || ntarget > 1) {
        unsupported(err, "%s models are not supported (one output only)", "multi-output");
        goto fail;
    }
    if (num_of(json_object_get(lmp, "num_feature"), &nfeat) != 0 || nfeat < 1 || nfeat > 1e6 ||
        nfeat != floor(nfeat)) {
        bad(err, "learner.learner_model_param.num_feature", "is missing or invalid");
        goto fail;
    }
    f->nfeat = (size_t)nfeat;
    if (num_of(json_object_get(lmp, "base_score"), &base) != 0 || !isfinite(base)) {
        bad(err, "learner.learner_model_param.base_score", "is missing or invalid");
        goto fail;
    }
    f->base_score = base;
    float bf = (float)base;
    switch (f->link) {
    case LINK_IDENTITY:
        f->base_margin = bf;
        break;
    case LINK_SIGMOID:
        if (!(bf > 0.0f && bf < 1.0f)) {
            bad(err, "learner.learner_model_param.base_score", "must be in (0,1) for logistic");
            goto fail;
        }
        f->base_margin = -logf(1.0f / bf - 1.0f);
        break;
    case LINK_EXP:
        if (!(bf > 0.0f)) {
            bad(err, "learner.learner_model_param.base_score", "must be > 0 for a log link");
            goto fail;
        }
        f->base_margin = logf(bf);
        break;
    }
    json_t *model = json_object_get(gb, "model");
    json_t *trees = json_object_get(model, "trees");
    json_t *info = json_object_get(model, "tree_info");
    if (!json_is_array(trees) || !json_is_array(info) ||
        json_array_size(info) != json_array_size(trees)) {
        bad(err, "learner.gradient_booster.model", "lacks trees/tree_info of equal length");
        goto fail;
    }
    f->ntrees = json_array_size(trees);
    f->roots = gf_xmalloc((f->ntrees ? f->ntrees : 1) * sizeof *f->roots);
    for (size_t t = 0; t < f->ntrees; t++) {
        if (json_integer_value(json_array_get(info, t)) != 0) {
            unsupported(err, "%s models are not supported (tree_info != 0)", "multi-group");
            goto fail;
        }
        tree_src_t src;
        if (tree_src_get(json_array_get(trees, t), t, f->nfeat, &src, err) != 0)
            goto fail;
        f->roots[t] = (uint32_t)f->nnodes;
        if (tree_flatten(f, &cap, &src, t, err) != 0)
            goto fail;
    }
    finish_layout(f);
    json_decref(root);
    if (f->nnodes > 0 && cap > f->nnodes) /* the growth slack: up to half the array */
        f->nodes = gf_xrealloc(f->nodes, f->nnodes * sizeof *f->nodes);
    return f;
fail:
    json_decref(root);
    fc_forest_free(f);
    return NULL;
}

void fc_forest_free(fc_forest_t *f)
{
    if (f == NULL)
        return;
    free(f->nodes);
    free(f->roots);
    free(f->depth);
    free(f->leafv);
    free(f);
}

size_t fc_forest_num_features(const fc_forest_t *f)
{
    return f->nfeat;
}

size_t fc_forest_num_trees(const fc_forest_t *f)
{
    return f->ntrees;
}

size_t fc_forest_num_nodes(const fc_forest_t *f)
{
    return f->nnodes;
}

const char *fc_forest_objective(const fc_forest_t *f)
{
    return f->objective;
}

double fc_forest_base_score(const fc_forest_t *f)
{
    return f->base_score;
}

/* ------------------------------------------------------------------ evaluate */

static inline float leaf_of(const fc_forest_t *f, size_t t, const float *x)
{
    const node_t *nodes = f->nodes;
    uint32_t i = f->roots[t];
    for (unsigned d = f->depth[t]; d > 0; d--) {
        const node_t *n = &nodes[i];
        float v = x[n->feat & FEAT_MASK];
        /* branch-free: x >= cond is false for NaN, which then goes right unless default-left */
        uint32_t right = (uint32_t)(v >= n->value) | ((uint32_t)(v != v) & ((n->feat >> 31) ^ 1u));
        i = n->left + right;
    }
    return f->leafv[i];
}

#define BLOCK 64

void fc_forest_predict(const fc_forest_t *f, const float *x, size_t rows, size_t stride, float *out)
{
    /* Blocks of rows, trees outer: a tree's nodes stay in cache across the block, and each
     * row still sums base + tree 0 + tree 1 + ... in float, in XGBoost's order. */
    for (size_t r0 = 0; r0 < rows; r0 += BLOCK) {
        size_t nb = rows - r0 < BLOCK ? rows - r0 : BLOCK;
        float acc[BLOCK];
        for (size_t i = 0; i < nb; i++)
            acc[i] = f->base_margin;
        for (size_t t = 0; t < f->ntrees; t++) {
            for (size_t i = 0; i < nb; i++)
                acc[i] += leaf_of(f, t, x + (r0 + i) * stride);
        }
        for (size_t i = 0; i < nb; i++) {
            float m = acc[i];
            switch (f->link) {
            case LINK_IDENTITY:
                out[r0 + i] = m;
                break;
            case LINK_SIGMOID:
                out[r0 + i] = 1.0f / (1.0f + expf(-m));
                break;
            case LINK_EXP:
                out[r0 + i] = expf(m);
                break;
            }
        }
    }
}

/* ------------------------------------------------------------------ check rows */

static uint64_t next_rand(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void fc_forest_check_rows(const fc_forest_t *f, size_t rows, uint64_t seed, float *out)
{
    size_t nf = f->nfeat;
    /* thresholds per feature: count, then fill */
    size_t *cnt = gf_xcalloc(nf + 1, sizeof *cnt);
    for (size_t i = 0; i < f->nnodes; i++)
        if (f->nodes[i].left != i)
            cnt[(f->nodes[i].feat & FEAT_MASK) + 1]++;
    for (size_t j = 0; j < nf; j++)
        cnt[j + 1] += cnt[j];
    float *thr = gf_xmalloc((cnt[nf] ? cnt[nf] : 1) * sizeof *thr);
    size_t *fill = gf_xcalloc(nf, sizeof *fill);
    for (size_t i = 0; i < f->nnodes; i++)
        if (f->nodes[i].left != i) {
            size_t j = f->nodes[i].feat & FEAT_MASK;
            thr[cnt[j] + fill[j]++] = f->nodes[i].value;
        }
    uint64_t s = seed;
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < nf; j++) {
            float *o = &out[r * nf + j];
            size_t k = cnt[j + 1] - cnt[j];
            uint64_t u = next_rand(&s);
            if (r == 0 || u % 10 == 0) {
                *o = NAN;
                continue;
            }
            if (k == 0) {
                *o = (float)((double)(u >> 11) / 9007199254740992.0 * 2.0 - 1.0);
                continue;
            }
            float t = thr[cnt[j] + (u >> 8) % k];
            float v;
            switch ((u >> 40) % 5) {
            case 0:
                v = t;
                break;
            case 1:
                v = nextafterf(t, -INFINITY);
                break;
            case 2:
                v = nextafterf(t, INFINITY);
                break;
            case 3:
                v = t - 1.0f - fabsf(t);
                break;
            default:
                v = t + 1.0f + fabsf(t);
                break;
            }
            *o = isfinite(v) ? v : t; /* XGBoost refuses inf input */
        }
    }
    free(cnt);
    free(thr);
    free(fill);
}
