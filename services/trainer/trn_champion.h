/*
 * trn_champion.h - champion/challenger: score the current production model (the champion) on
 * the new run's held-back test period, with its own feature spec and the same hours the new
 * model (the challenger) was scored on, and decide whether the challenger replaces it.
 *
 * Rule: promote when there is no production version, when the champion cannot be scored on
 * the new data (its bytes or spec do not load, or no test hour could be predicted: it cannot
 * serve this data either), or when the challenger's day-ahead MAPE is strictly lower on the
 * common hours. Otherwise the challenger is aliased "staging". A run without test hours never
 * promotes. Both scores are kept (trn_cc_to_json) in the job result and the version metrics.
 *
 * A champion refitted on all data at its promotion (trn_refit_full) has seen the start of a
 * later run's test period. Its score there is partly in-sample, so only the hours after the
 * last one it was fitted on count (both models), when at least TRN_CC_MIN_UNSEEN_HOURS of them
 * are scored; with fewer, every test hour counts and champion_saw_test_period says so.
 *
 * Ownership: trn_cc_t is caller storage with no heap parts.
 */
#ifndef GF_TRAINER_TRN_CHAMPION_H
#define GF_TRAINER_TRN_CHAMPION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "trn_data.h"
#include "trn_train.h"

typedef struct trn_cc {
    int has_champion;         /* a production version existed */
    int64_t champion_version; /* its number (0 when none) */
    int scored;               /* the champion was scored */
    double champion_mape;     /* on the common hours (NaN when not scored) */
    double challenger_mape;   /* on the common hours (the backtest MAPE when not scored) */
    size_t hours;             /* common hours scored */
    int champion_saw_test;    /* the champion's training range reaches into the test period */
    int unseen_only;          /* scored only on the hours after the champion's data_to */
    char note[200];           /* why the champion was not scored ("" otherwise) */
    int promote;              /* the decision */
    char reason[200];         /* the decision in words */
} trn_cc_t;

#define TRN_CC_MIN_UNSEEN_HOURS 72

/* Score a champion model (blob of blob_len bytes, feature spec JSON text, fitted on target
 * hours up to seen_to) on res's test period over data d: one forecast per test day at each
 * origin, only on hours where res->test_skip is 0 and both models predicted, and only on
 * hours after seen_to when at least TRN_CC_MIN_UNSEEN_HOURS such hours exist (cc->unseen_only).
 * Fills cc->champion_mape, cc->challenger_mape, cc->hours and sets cc->scored = 1. Returns 0, or
 * GF_EUNPROCESSABLE "champion_unusable" (spec does not parse, XGBoost cannot load the bytes,
 * feature counts differ, or no hour could be predicted) with the reason in err. */
int trn_cc_score(const trn_data_t *d, const trn_result_t *res, const char *spec_json,
                 const unsigned char *blob, size_t blob_len, int64_t seen_to, trn_cc_t *cc,
                 gf_err_t *err);

/* The decision (pure): sets cc->promote and cc->reason from has_champion, scored, the two
 * MAPEs, allow_promote (0 = the job asked for staging only) and min_gain_pct: a scored
 * champion is replaced only when the challenger's MAPE is strictly lower and at most
 * champion_mape * (1 - min_gain_pct / 100) (0 = strictly lower is enough). */
void trn_cc_decide(trn_cc_t *cc, int allow_promote, double min_gain_pct);

/* New reference: {"champion_version":n|null,"champion_mape":x|null,"challenger_mape":x,
 * "hours":n,"champion_scored":bool,"champion_saw_test_period":bool,
 * "unseen_hours_only":bool,"note":s|null,
 * "promote":bool,"reason":s}. */
json_t *trn_cc_to_json(const trn_cc_t *cc);

#endif
