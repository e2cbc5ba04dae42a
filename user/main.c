// SPDX-License-Identifier: MIT
/*
 * app-flow-meter: packets -> flows -> one CSV row of features per flow.
 * The data path, one way: capture files (capture/, offline.c) or the kernel (bpf/,
 * kernel/, live.c) -> parser (include/afm_parse.h) -> packet record -> flow engine
 * (flow/) -> features (features/) -> sinks (output/); pipeline.c wires the stages.
 */
#include <signal.h>

#include "cli.h"
#include "kernel/loader.h"
#include "live.h"
#include "log.h"
#include "offline.h"

int main(int argc, char **argv)
{
	struct afm_options opt;
	int ret = afm_cli_parse(argc, argv, &opt);

	if (ret >= 0)
		return ret;
	afm_quiet = opt.quiet;
	afm_kmeter_logging(opt.verbose);
	/* A closed pipe on stdout is a write error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	return opt.n_captures ? afm_offline_run(&opt) : afm_live_run(&opt);
}
