/*
 * trn_once.h - the trainer's command-line mode `gf-trainer --once` (trn_once.c).
 */
#ifndef GF_TRAINER_TRN_ONCE_H
#define GF_TRAINER_TRN_ONCE_H

#include "core/cfg.h"

/* Run `gf-trainer --once ...` (argv as main got it) with the service's configuration table
 * svc_opts: 0 when every region trained, 1 when one failed or Redis could not be used, 2 on
 * a usage or configuration error. Prints progress on stdout and errors on stderr. */
int trn_once_main(int argc, char **argv, const gf_cfg_opt_t *svc_opts);

#endif
