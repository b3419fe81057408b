/*
 * test_trn_champion.c - the champion/challenger decision table, and scoring on real data:
 * a model scored as its own champion gets exactly its backtest MAPE on the same hours (so the
 * challenger does not beat it and stays staging); unusable champions are reported.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../services/trainer/trn_champion.h"

static void test_trn_cc_decide_table(void **state)
{
    (void)state;
    static const struct {
        int has, scored, allow;
        double chall, champ, gain;
        int promote;
        const char *reason_part;
    } cases[] = {
        {0, 0, 1, 3.0, NAN, 0, 1, "no production version"},
        {1, 1, 1, 3.0, 3.5, 0, 1, "beats production v7"},
        {1, 1, 1, 3.5, 3.0, 0, 0, "does not beat"},
        {1, 1, 1, 3.0, 3.0, 0, 0, "does not beat"}, /* a tie keeps the champion */
        {1, 0, 1, 3.0, NAN, 0, 1, "cannot be scored"},
        {0, 0, 0, 3.0, NAN, 0, 0, "disabled"},
        {1, 1, 0, 1.0, 3.0, 0, 0, "disabled"},
        {0, 0, 1, NAN, NAN, 0, 0, "no test score"},
        /* min_gain_pct: 3.0 vs 3.1 is 3.2 % lower */
        {1, 1, 1, 3.0, 3.1, 3.0, 1, "beats production v7"},
        {1, 1, 1, 3.0, 3.1, 5.0, 0, "not by the required 5.00 %"},
        {1, 1, 1, 3.1, 3.0, 1.0, 0, "does not beat"},
        {0, 0, 1, 3.0, NAN, 50.0, 1, "no production version"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        trn_cc_t cc = {0};
        cc.has_champion = cases[i].has;
        cc.champion_version = cases[i].has ? 7 : 0;
        cc.scored = cases[i].scored;
        cc.challenger_mape = cases[i].chall;
        cc.champion_mape = cases[i].champ;
        cc.hours = 100;
        trn_cc_decide(&cc, cases[i].allow, cases[i].gain);
        if (cc.promote != cases[i].promote || strstr(cc.reason, cases[i].reason_part) == NULL)
            fail_msg("case %zu: promote %d (%s)", i, cc.promote, cc.reason);
        json_t *j = trn_cc_to_json(&cc);
        assert_true(json_is_boolean(json_object_get(j, "promote")));
        assert_int_equal(json_is_true(json_object_get(j, "promote")), cases[i].promote);
        if (!cases[i].scored)
            assert_true(json_is_null(json_object_get(j, "champion_mape")));
        json_decref(j);
    }
}

static void data_path(char *buf, size_t len, const char *file)
{
    const char *root = getenv("GF_TEST_ROOT");
    snprintf(buf, len, "%s/services/ingestion/data/%s", root ? root : ".", file);
}

static void test_trn_cc_score_self_is_a_tie(void **state)
{
    (void)state;
    char csv[512], flags[512];
    data_path(csv, sizeof csv, "eia930_train.csv");
    data_path(flags, sizeof flags, "eia930_train_flags.csv");
    gf_err_t err = {0};
    trn_data_t d;
    /* 2016-06-01 .. 2017-05-31 */
    assert_int_equal(trn_data_load_csv(&d, csv, flags, "NYIS", "America/New_York", 1464739200,
                                       1496275199, &err),
                     0);
    trn_config_t cfg;
    trn_config_default(&cfg);
    cfg.test_days = 14;
    cfg.val_days = 28;
    cfg.search = 0;
    cfg.nthread = 1;
    cfg.max_rounds = 60;
    trn_result_t r;
    assert_int_equal(trn_train_region(&d, &cfg, &r, &err), 0);
    assert_int_equal(r.test_n, 14 * 24);
    char *spec = gf_feat_spec_dumps(r.spec);

    trn_cc_t cc = {0};
    cc.has_champion = 1;
    cc.champion_version = 1;
    assert_int_equal(trn_cc_score(&d, &r, spec, r.model, r.model_len, &cc, &err), 0);
    assert_true(cc.scored);
    assert_int_equal(cc.hours, r.m_model.n);
    assert_true(fabs(cc.champion_mape - r.m_model.mape) < 1e-9);
    assert_true(fabs(cc.challenger_mape - r.m_model.mape) < 1e-9);
    trn_cc_decide(&cc, 1, 0);
    assert_false(cc.promote);

    /* unusable champions */
    trn_cc_t bad = {0};
    static const unsigned char junk[] = "not a model";
    assert_int_equal(trn_cc_score(&d, &r, spec, junk, sizeof junk, &bad, &err),
                     GF_EUNPROCESSABLE);
    assert_string_equal(err.code, "champion_unusable");
    assert_false(bad.scored);
    gf_err_cleanup(&err);
    assert_int_equal(trn_cc_score(&d, &r, "{\"nope\":1}", r.model, r.model_len, &bad, &err),
                     GF_EUNPROCESSABLE);
    gf_err_cleanup(&err);

    free(spec);
    trn_result_cleanup(&r);
    trn_data_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trn_cc_decide_table),
        cmocka_unit_test(test_trn_cc_score_self_is_a_tie),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
