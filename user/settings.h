/* SPDX-License-Identifier: MIT */
/* From the command line to the parts' settings, the same for captures and live. */
#ifndef AFM_SETTINGS_H
#define AFM_SETTINGS_H

#include "cli.h"
#include "csv.h"
#include "engine.h"

/* A quarter of the available memory at 1 KiB a flow (at least 10,000). */
uint64_t afm_default_max_flows(void);
void afm_engine_settings(const struct afm_options *opt, struct afm_engine_config *cfg);
void afm_csv_settings(const struct afm_options *opt, const struct afm_schema *schema, int line_buffered,
		      struct afm_csv_options *csv);
/* SIGHUP: the writer ends its current file (rotation) or reopens it (logrotate). */
void afm_reopen_on_sighup(struct afm_csv *w);

#endif
