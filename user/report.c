// SPDX-License-Identifier: MIT
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

int afm_report(const struct afm_options *opt, const struct afm_counters *c, int status)
{
	if (!opt->quiet)
		afm_counters_print(c, stderr);
	if (opt->stats_json) {
		int e = afm_counters_write_json(c, opt->stats_json);

		if (e) {
			afm_error("cannot write statistics %s: %s", opt->stats_json, strerror(-e));
			if (status == AFM_EXIT_OK)
				status = AFM_EXIT_OUTPUT;
		}
	}
	return status;
}
