/*
 * test_fc_tree.c - the native evaluator on hand-written XGBoost JSON: branch semantics
 * (x < cond goes left, equality goes right, NaN takes the default), base score and links,
 * non-adjacent child numbering, and refusal of unsupported or malformed models.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "../../../services/forecast/fc_tree.h"

/* One tree:  node0: f1 < 2.5 (default right) -> left node 4, right node 1
 *            node4: f0 < -1 (default left)  -> left node 3 (leaf 10), right node 2 (leaf 20)
 *            node1: leaf 30
 * Children are deliberately not adjacent in XGBoost's numbering. */
static const char *model_fmt =
    "{\"learner\":{\"attributes\":{},\"feature_names\":[],\"feature_types\":[],"
    "\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{\"num_parallel_tree\":\"1\","
    "\"num_trees\":\"2\",\"size_leaf_vector\":\"0\"},\"tree_info\":[0,0],\"trees\":["
    "{\"base_weights\":[0,0,0,0,0],\"categories\":[],\"categories_nodes\":[],"
    "\"categories_segments\":[],\"categories_sizes\":[],\"default_left\":[0,0,0,0,1],\"id\":0,"
    "\"left_children\":[4,-1,-1,-1,3],\"loss_changes\":[0,0,0,0,0],\"parents\":[2147483647,0,4,4,0],"
    "\"right_children\":[1,-1,-1,-1,2],\"split_conditions\":[2.5,30,20,10,-1],"
    "\"split_indices\":[1,0,0,0,0],\"split_type\":[0,0,0,0,0],\"sum_hessian\":[1,1,1,1,1],"
    "\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"2\",\"num_nodes\":\"5\","
    "\"size_leaf_vector\":\"0\"}},"
    "{\"default_left\":[0],\"id\":1,\"left_children\":[-1],\"right_children\":[-1],"
    "\"split_conditions\":[0.5],\"split_indices\":[0],\"split_type\":[0],"
    "\"tree_param\":{\"num_feature\":\"2\",\"num_nodes\":\"1\",\"size_leaf_vector\":\"0\"}}]},"
    "\"name\":\"%s\"},\"learner_model_param\":{\"base_score\":\"%s\",\"boost_from_average\":\"1\","
    "\"num_class\":\"%s\",\"num_feature\":\"2\",\"num_target\":\"1\"},"
    "\"objective\":{\"name\":\"%s\",\"reg_loss_param\":{\"scale_pos_weight\":\"1\"}}},"
    "\"version\":[1,7,4]}";

static fc_forest_t *make(const char *booster, const char *base, const char *nclass, const char *obj,
                         gf_err_t *err)
{
    char buf[4096];
    int n = snprintf(buf, sizeof buf, model_fmt, booster, base, nclass, obj);
    return fc_forest_parse(buf, (size_t)n, err);
}

static void test_tree_branch_semantics(void **state)
{
    (void)state;
    gf_err_t err = {0};
    fc_forest_t *f = make("gbtree", "5E-1", "0", "reg:squarederror", &err);
    if (f == NULL)
        fail_msg("%s %s", err.code, err.message);
    assert_int_equal(fc_forest_num_features(f), 2);
    assert_int_equal(fc_forest_num_trees(f), 2);
    assert_int_equal(fc_forest_num_nodes(f), 6);
    static const struct {
        float x0, x1, want;
    } t[] = {
        {-5, 0, 0.5f + 10 + 0.5f},   /* f1 < 2.5 left; f0 < -1 left */
        {-1, 0, 0.5f + 20 + 0.5f},   /* f0 == -1: not <, right */
        {0, 2.5f, 0.5f + 30 + 0.5f}, /* f1 == 2.5: right */
        {0, NAN, 0.5f + 30 + 0.5f},  /* f1 missing: default right */
        {NAN, 1, 0.5f + 10 + 0.5f},  /* f0 missing: default left */
        {NAN, NAN, 0.5f + 30 + 0.5f}, {-1.0000001f, 2.4999998f, 0.5f + 10 + 0.5f},
    };
    float x[2 * 7], out[7];
    for (size_t i = 0; i < 7; i++) {
        x[2 * i] = t[i].x0;
        x[2 * i + 1] = t[i].x1;
    }
    fc_forest_predict(f, x, 7, 2, out);
    for (size_t i = 0; i < 7; i++)
        if (out[i] != t[i].want)
            fail_msg("row %zu: got %g want %g", i, out[i], t[i].want);
    /* stride larger than the feature count */
    float wide[3] = {-5, 0, 99};
    fc_forest_predict(f, wide, 1, 3, out);
    assert_true(out[0] == 11.0f);
    float chk[8 * 2];
    fc_forest_check_rows(f, 8, 1, chk);
    assert_true(isnan(chk[0]) && isnan(chk[1]));
    fc_forest_free(f);
}

static void test_tree_links(void **state)
{
    (void)state;
    gf_err_t err = {0};
    float x[2] = {-5, 0}, out;
    fc_forest_t *f = make("gbtree", "5E-1", "0", "binary:logistic", &err);
    assert_non_null(f);
    fc_forest_predict(f, x, 1, 2, &out); /* margin 0 + 10 + 0.5 */
    assert_true(fabs(out - 1.0 / (1.0 + exp(-10.5))) < 1e-6);
    fc_forest_free(f);
    f = make("gbtree", "2", "0", "count:poisson", &err);
    assert_non_null(f);
    fc_forest_predict(f, x, 1, 2, &out); /* log 2 + 10.5 */
    assert_true(fabs(out / (2.0 * exp(10.5)) - 1.0) < 1e-5);
    fc_forest_free(f);
}

static void test_tree_refusals(void **state)
{
    (void)state;
    gf_err_t err = {0};
    assert_null(make("dart", "0.5", "0", "reg:squarederror", &err));
    assert_string_equal(err.code, "unsupported_model");
    assert_null(make("gbtree", "0.5", "0", "multi:softprob", &err));
    assert_string_equal(err.code, "unsupported_model");
    assert_null(make("gbtree", "0.5", "3", "reg:squarederror", &err));
    assert_string_equal(err.code, "unsupported_model");
    assert_null(make("gbtree", "1.5", "0", "binary:logistic", &err));
    assert_string_equal(err.code, "bad_model_json");
    assert_null(make("gbtree", "x", "0", "reg:squarederror", &err));
    assert_string_equal(err.code, "bad_model_json");
    assert_null(fc_forest_parse("{", 1, &err));
    assert_string_equal(err.code, "bad_model_json");
    assert_null(fc_forest_parse("{}", 2, &err));
    assert_string_equal(err.code, "bad_model_json");

    /* structural damage on the valid model text */
    char buf[4096];
    int n = snprintf(buf, sizeof buf, model_fmt, "gbtree", "0.5", "0", "reg:squarederror");
    static const struct {
        const char *from, *to, *code;
    } dmg[] = {
        {"\"left_children\":[4,", "\"left_children\":[9,", "bad_model_json"}, /* out of range */
        {"\"left_children\":[4,-1,-1,-1,3]", "\"left_children\":[4,-1,-1,-1,0]",
         "bad_model_json"},                                                   /* cycle */
        {"\"split_indices\":[1,", "\"split_indices\":[7,", "bad_model_json"}, /* feature */
        {"\"split_type\":[0,0,0,0,0]", "\"split_type\":[1,0,0,0,0]", "unsupported_model"},
        {"\"split_conditions\":[2.5,", "\"split_conditions\":[\"a\",", "bad_model_json"},
        {"\"right_children\":[1,-1,-1,-1,2]", "\"right_children\":[1,-1,-1,2]",
         "bad_model_json"}, /* lengths */
        {"\"tree_info\":[0,0]", "\"tree_info\":[0,1]", "unsupported_model"},
    };
    for (size_t i = 0; i < sizeof dmg / sizeof dmg[0]; i++) {
        char copy[4096];
        char *p = strstr(buf, dmg[i].from);
        assert_non_null(p);
        size_t pre = (size_t)(p - buf);
        int m = snprintf(copy, sizeof copy, "%.*s%s%s", (int)pre, buf, dmg[i].to,
                         p + strlen(dmg[i].from));
        fc_forest_t *f = fc_forest_parse(copy, (size_t)m, &err);
        if (f != NULL || strcmp(err.code, dmg[i].code) != 0)
            fail_msg("damage %zu: %s (%s)", i, f ? "accepted" : err.code, err.message);
    }
    (void)n;
    gf_err_cleanup(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_branch_semantics),
        cmocka_unit_test(test_tree_links),
        cmocka_unit_test(test_tree_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
