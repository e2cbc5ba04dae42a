/* SPDX-License-Identifier: MIT */
/* Live mode: interfaces -> kernel meter -> ring buffer -> flow engine -> rows. */
#ifndef AFM_LIVE_H
#define AFM_LIVE_H

#include "cli.h"

/* Meters opt->interfaces until SIGINT/SIGTERM; returns the exit status. */
int afm_live_run(const struct afm_options *opt);

#endif
