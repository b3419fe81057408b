/*
 * trn_app.c - what the service (main.c) and the --once mode (trn_once.c) set up alike: this
 * process's identity and the job defaults from the configuration.
 */
#include "trn_app.h"

#include <stdio.h>
#include <unistd.h>

#include "core/util.h"

void trn_app_identity(char *owner, size_t olen, char *instance, size_t ilen)
{
    if (gethostname(owner, olen) != 0)
        snprintf(owner, olen, "unknown");
    owner[olen - 1] = '\0';
    gf_random_hex(instance, (ilen - 1) / 2);
}

void trn_app_job_defaults(const gf_cfg_t *cfg, trn_job_opts_t *d)
{
    d->test_days = (int)gf_cfg_int(cfg, "GF_TRAINER_TEST_DAYS");
    d->val_days = (int)gf_cfg_int(cfg, "GF_TRAINER_VAL_DAYS");
    d->search = 1;
    d->max_rounds = 0;
    d->max_train_days = 0;
    d->promote = 1;
    d->min_gain_pct = 0; /* POST /v1/jobs: strictly lower is enough */
    d->scheduled = 0;
}
