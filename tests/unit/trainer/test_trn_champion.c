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
#include "core/util.h"

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

/* NYIS 2016-06-01 .. 2017-05-31, 14 test days, default parameters capped at 60 rounds. */
static void train_nyis(trn_data_t *d, trn_config_t *cfg, trn_result_t *r)
{
    char csv[512], flags[512];
    data_path(csv, sizeof csv, "eia930_train.csv");
    data_path(flags, sizeof flags, "eia930_train_flags.csv");
    gf_err_t err = {0};
    assert_int_equal(trn_data_load_csv(d, csv, flags, "NYIS", "America/New_York", 1464739200,
                                       1496275199, &err),
                     0);
    trn_config_default(cfg);
    cfg->test_days = 14;
    cfg->val_days = 28;
    cfg->search = 0;
    cfg->nthread = 1;
    cfg->max_rounds = 60;
    assert_int_equal(trn_train_region(d, cfg, r, &err), 0);
}

static void test_trn_cc_score_self_is_a_tie(void **state)
{
    (void)state;
    gf_err_t err = {0};
    trn_data_t d;
    trn_config_t cfg;
    trn_result_t r;
    train_nyis(&d, &cfg, &r);
    assert_int_equal(r.test_n, 14 * 24);
    char *spec = gf_feat_spec_dumps(r.spec);

    trn_cc_t cc = {0};
    cc.has_champion = 1;
    cc.champion_version = 1;
    assert_int_equal(trn_cc_score(&d, &r, spec, r.model, r.model_len, r.train_to, &cc, &err), 0);
    assert_true(cc.scored);
    assert_false(cc.unseen_only);
    assert_int_equal(cc.hours, r.m_model.n);
    assert_true(fabs(cc.champion_mape - r.m_model.mape) < 1e-9);
    assert_true(fabs(cc.challenger_mape - r.m_model.mape) < 1e-9);
    trn_cc_decide(&cc, 1, 0);
    assert_false(cc.promote);

    /* unusable champions */
    trn_cc_t bad = {0};
    static const unsigned char junk[] = "not a model";
    assert_int_equal(trn_cc_score(&d, &r, spec, junk, sizeof junk, r.train_to, &bad, &err),
                     GF_EUNPROCESSABLE);
    assert_string_equal(err.code, "champion_unusable");
    assert_false(bad.scored);
    gf_err_cleanup(&err);
    assert_int_equal(trn_cc_score(&d, &r, "{\"nope\":1}", r.model, r.model_len, r.train_to, &bad,
                                  &err),
                     GF_EUNPROCESSABLE);
    gf_err_cleanup(&err);

    /* a champion that saw the first 10 test days is scored on the last 4 only */
    trn_cc_t part = {.has_champion = 1, .champion_version = 1};
    int64_t seen_to = r.test_from + 10 * 86400 - 3600;
    assert_int_equal(trn_cc_score(&d, &r, spec, r.model, r.model_len, seen_to, &part, &err), 0);
    assert_true(part.unseen_only);
    assert_true(part.hours > 0 && part.hours <= 4 * 24 && part.hours < cc.hours);
    trn_cc_decide(&part, 1, 0);
    assert_non_null(strstr(part.reason, "it never saw"));
    /* one that saw all but 2 days (< 72 hours unseen): every test hour counts */
    part = (trn_cc_t){.has_champion = 1, .champion_version = 1};
    seen_to = r.test_from + 12 * 86400 - 3600;
    assert_int_equal(trn_cc_score(&d, &r, spec, r.model, r.model_len, seen_to, &part, &err), 0);
    assert_false(part.unseen_only);
    assert_int_equal(part.hours, cc.hours);

    free(spec);
    trn_result_cleanup(&r);
    trn_data_cleanup(&d);
}

/* Progress hook: every report names its stage; counts the final refit's. */
static int count_final_refit(void *arg, const trn_progress_t *p)
{
    assert_non_null(p->stage);
    if (strcmp(p->stage, "final_refit") == 0)
        (*(int *)arg)++;
    return 0;
}

/* The final refit: the same parameters on every row up to the newest hour, rounds scaled to
 * the rows; the backtested model's figures are kept; a second refit on the same data is a
 * no-op. */
static void test_trn_refit_full_uses_every_hour(void **state)
{
    (void)state;
    gf_err_t err = {0};
    trn_data_t d;
    trn_config_t cfg;
    trn_result_t r;
    train_nyis(&d, &cfg, &r);
    int eval_rounds = r.rounds; /* 60 on the search rows, scaled to train + val */
    assert_true(eval_rounds >= 60);
    int64_t train_to = r.train_to;
    size_t rows = r.n_train_rows;
    unsigned char *before = gf_xmalloc(r.model_len);
    size_t before_len = r.model_len;
    memcpy(before, r.model, before_len);
    double mape = r.m_model.mape;
    int reports = 0;
    cfg.progress = count_final_refit;
    cfg.progress_arg = &reports;
    assert_int_equal(trn_refit_full(&d, &cfg, &r, &err), 0);
    assert_true(reports > 1); /* the stage and its boosting rounds */
    assert_true(r.refit);
    assert_int_equal(r.eval_rounds, eval_rounds);
    assert_int_equal(r.eval_train_to, train_to);
    assert_int_equal(r.eval_rows, rows);
    assert_int_equal(r.train_to, 1496275200 - 3600); /* the newest hour */
    assert_true(r.n_train_rows > rows);
    assert_int_equal(r.rounds, (int)lround(eval_rounds * (double)r.n_train_rows / (double)rows));
    assert_true(r.rounds > eval_rounds);
    assert_true(r.model_len != before_len || memcmp(r.model, before, before_len) != 0);
    assert_true(r.m_model.mape == mape); /* the metrics stay the backtested model's */
    /* it loads and predicts like any model */
    char *spec = gf_feat_spec_dumps(r.spec);
    trn_cc_t cc = {.has_champion = 1, .champion_version = 1};
    assert_int_equal(trn_cc_score(&d, &r, spec, r.model, r.model_len, r.train_to, &cc, &err), 0);
    assert_true(cc.scored);
    /* the refit saw the test period: it scores better there than the evaluated model did */
    assert_true(cc.champion_mape < cc.challenger_mape);
    json_t *j = trn_result_to_json(&r, 0);
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(j, "refit"), "evaluated_rounds")),
                     eval_rounds);
    json_decref(j);
    /* nothing newer: unchanged */
    int rounds = r.rounds;
    assert_int_equal(trn_refit_full(&d, &cfg, &r, &err), 0);
    assert_int_equal(r.rounds, rounds);
    free(spec);
    free(before);
    trn_result_cleanup(&r);
    trn_data_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trn_cc_decide_table),
        cmocka_unit_test(test_trn_cc_score_self_is_a_tie),
        cmocka_unit_test(test_trn_refit_full_uses_every_hour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
