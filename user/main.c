// SPDX-License-Identifier: MIT
/*
 * app-flow-meter: packets -> flows -> one CSV row of features per flow.
 * The data path, one way: capture files (capture/, offline.c) or the kernel (bpf/,
 * kernel/, live.c) -> parser (include/afm_parse.h) -> packet record -> flow engine
 * (flow/) -> features (features/) -> sinks (output/); pipeline.c wires the stages.
 */
#include <signal.h>
#include <stdio.h>

#include "cli.h"
#include "kernel/loader.h"
#include "live.h"
#include "log.h"
#include "offline.h"
#include "output/ipfix_elements.h"

/* --ipfix-elements: what the templates of this schema hold. */
static int print_elements(const struct afm_options *opt)
{
	struct afm_schema s;
	char err[4096];

	if (afm_schema_build(&s, opt->schema, opt->columns, opt->label || opt->labels, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		return AFM_EXIT_USAGE;
	}
	int e = afm_ipfix_print_elements(stdout, &s, opt->ipfix_pen);

	afm_schema_free(&s);
	return e || fflush(stdout) ? AFM_EXIT_OUTPUT : AFM_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct afm_options opt;
	int ret = afm_cli_parse(argc, argv, &opt);

	if (ret >= 0)
		return ret;
	if (opt.ipfix_elements)
		return print_elements(&opt);
	afm_quiet = opt.quiet;
	afm_kmeter_logging(opt.verbose);
	/* A closed pipe on stdout is a write error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	return opt.n_captures ? afm_offline_run(&opt) : afm_live_run(&opt);
}
