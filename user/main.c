// SPDX-License-Identifier: MIT
/*
 * app-flow-meter: packets -> flows -> one CSV row of features per flow.
 * The data path, one way: capture/kernel -> parser (include/afm_parse.h) -> packet
 * record -> flow engine (engine.c) -> statistics (features.c, stats.c) -> writer (csv.c).
 */
#include <signal.h>

#include "cli.h"
#include "log.h"
#include "offline.h"

int main(int argc, char **argv)
{
	struct afm_options opt;
	int ret = afm_cli_parse(argc, argv, &opt);

	if (ret >= 0)
		return ret;
	afm_quiet = opt.quiet;
	/* A closed pipe on stdout is a write error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	return afm_offline_run(&opt);
}
