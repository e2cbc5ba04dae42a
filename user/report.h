/* SPDX-License-Identifier: MIT */
/* The end of a run: the summary on stderr and --stats-json. */
#ifndef AFM_REPORT_H
#define AFM_REPORT_H

#include "cli.h"
#include "counters.h"

/* Prints/writes the counters as the options ask; returns the (possibly worse) status. */
int afm_report(const struct afm_options *opt, const struct afm_counters *c, int status);

#endif
