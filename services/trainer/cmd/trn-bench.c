/*
 * trn-bench - train and backtest the headline regions straight from the CSV files and print
 * one table: day-ahead MAPE of the model vs the two seasonal-naive baselines, training time,
 * and feature rows built per second.
 *
 *   build/bin/trn-bench [-d DATA_DIR] [-r CISO,ERCO,...] [-t NTHREAD] [-s STRIDE_H]
 *                       [-v VAL_DAYS] [-T TEST_DAYS] [-n] [-j OUT_DIR] [-w TEMP]
 *
 * Default: the seven ISOs from eia930_train.csv plus NYC (with temperature) from
 * nyc_train.csv; backtest = the last 365 days of the training data (00:00 UTC issue,
 * hours 1..24), everything before it for training and validation. -n disables the parameter
 * search; -j writes each region's result JSON (without the model) to OUT_DIR/<R>.json.
 * -w picks the temperature inputs (trn_weather.h): `none` (no temperature at all), `past`
 * (the default: lagged temperature where the data has it), `obs` (plus the target-hour
 * columns from the observed temperature: the perfect-forecast bound), `fc:SIGMA` (plus the
 * target-hour columns from day-ahead forecasts made of the observations with an AR(1) error
 * of SIGMA degC, issued 23:00 UTC; fixed seed).
 * Re-executes itself once with OMP_WAIT_POLICY=passive (see trn_xgb.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../trn_data.h"
#include "../trn_train.h"
#include "../trn_weather.h"
#include "../trn_xgb.h"

static void usage(void)
{
    fprintf(stderr, "usage: trn-bench [-d DATA_DIR] [-r R1,R2] [-t NTHREAD] [-s STRIDE_H] "
                    "[-v VAL_DAYS] [-T TEST_DAYS] [-n] [-j OUT_DIR] [-w none|past|obs|fc:SIGMA]\n");
}

int main(int argc, char **argv)
{
    gf_xgb_passive_reexec(argv);
    const char *dir = "/work/shared/data/demand";
    char regions_buf[512] = "CISO,ERCO,ISNE,MISO,NYIS,PJM,SWPP,NYC";
    const char *json_dir = NULL;
    const char *temp_mode = "past";
    trn_config_t cfg;
    trn_config_default(&cfg);
    cfg.test_days = 365;
    cfg.val_days = 91;
    cfg.nthread = 2;
    int opt;
    while ((opt = getopt(argc, argv, "d:r:t:s:v:T:nj:w:h")) != -1) {
        switch (opt) {
        case 'd':
            dir = optarg;
            break;
        case 'r':
            snprintf(regions_buf, sizeof regions_buf, "%s", optarg);
            break;
        case 't':
            cfg.nthread = atoi(optarg);
            break;
        case 's':
            cfg.train_stride_h = atoi(optarg);
            break;
        case 'v':
            cfg.val_days = atoi(optarg);
            break;
        case 'T':
            cfg.test_days = atoi(optarg);
            break;
        case 'n':
            cfg.search = 0;
            break;
        case 'j':
            json_dir = optarg;
            break;
        case 'w':
            temp_mode = optarg;
            if (!trn_temp_mode_valid(temp_mode)) {
                usage();
                return 2;
            }
            break;
        default:
            usage();
            return 2;
        }
    }
    printf("temperature=%s ", temp_mode);
    printf("OMP_WAIT_POLICY=%s nthread=%d stride=%dh val=%dd test=%dd search=%d\n",
           getenv("OMP_WAIT_POLICY") ? getenv("OMP_WAIT_POLICY") : "(unset)", cfg.nthread,
           cfg.train_stride_h, cfg.val_days, cfg.test_days, cfg.search);
    printf(
        "| region | test period (UTC) | hours | model MAPE %% | same-hour-yesterday MAPE %% "
        "| same-hour-last-week MAPE %% | model MAE MW | params (depth/eta/obj/rounds) "
        "| val MAE | train s | p10-p90 coverage %% / mean width MW (conformal, validation-calibrated) "
        "| the same, per-horizon 28-day quantiles |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    double feat_s = 0;
    size_t feat_rows = 0;
    int failures = 0;
    char *save = NULL;
    for (char *r = strtok_r(regions_buf, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
        gf_err_t err = {0};
        trn_data_t d;
        trn_result_t res;
        memset(&d, 0, sizeof d);
        memset(&res, 0, sizeof res);
        int rc = trn_data_load_bundled(&d, dir, r, &err);
        if (rc == 0)
            trn_data_temp_mode(&d, temp_mode, cfg.issue_hour_utc);
        if (rc == 0)
            rc = trn_train_region(&d, &cfg, &res, &err);
        if (rc) {
            printf("| %s | error %s: %s |\n", r, err.code, err.message);
            failures++;
        } else {
            json_t *tr = trn_result_to_json(&res, 0);
            json_t *rng = json_object_get(tr, "test_range");
            printf("| %s | %.10s .. %.10s | %zu | **%.2f** | %.2f | %.2f | %.0f | %d/%.2g/%s/%d | "
                   "%.4f | %.1f | %.1f / %.0f | %.1f / %.0f |\n",
                   r, json_string_value(json_object_get(rng, "from")),
                   json_string_value(json_object_get(rng, "to")), res.m_model.n, res.m_model.mape,
                   res.m_naive_day.mape, res.m_naive_week.mape, res.m_model.mae,
                   res.params.max_depth, res.params.eta,
                   strcmp(res.params.objective, "reg:absoluteerror") == 0 ? "abs" : "sq",
                   res.rounds, res.val_mae, res.train_seconds, 100 * res.iv_test_coverage,
                   res.iv_test_width, 100 * res.iv_old_coverage, res.iv_old_width);
            fflush(stdout);
            if (json_dir) {
                char path[600];
                snprintf(path, sizeof path, "%s/%s.json", json_dir, r);
                if (json_dump_file(tr, path, JSON_INDENT(1) | JSON_SORT_KEYS) != 0)
                    fprintf(stderr, "cannot write %s\n", path);
            }
            json_decref(tr);
            feat_s += res.feature_seconds;
            feat_rows += res.feature_rows;
        }
        trn_result_cleanup(&res);
        trn_data_cleanup(&d);
        gf_err_cleanup(&err);
    }
    printf("\nfeature rows built: %zu in %.3f s = %.0f rows/s\n", feat_rows, feat_s,
           feat_s > 0 ? feat_rows / feat_s : 0.0);
    return failures ? 1 : 0;
}
