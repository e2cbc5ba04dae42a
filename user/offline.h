/* SPDX-License-Identifier: MIT */
/* Offline mode: capture files -> parser -> flow engine -> rows. */
#ifndef AFM_OFFLINE_H
#define AFM_OFFLINE_H

#include "cli.h"

/* Returns the process exit status (enum afm_exit). */
int afm_offline_run(const struct afm_options *opt);

#endif
