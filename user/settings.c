// SPDX-License-Identifier: MIT
#include "settings.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

uint64_t afm_default_max_flows(void)
{
	unsigned long long kb = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	uint64_t n = (uint64_t)kb / 4;	/* kB / 4 / (1 KiB a flow) */

	return n < 10000 ? 10000 : n;
}

void afm_engine_settings(const struct afm_options *opt, struct afm_engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->idle_ns = opt->idle_ns;
	cfg->dns_idle_ns = opt->dns_idle_ns;
	cfg->active_ns = opt->active_ns;
	cfg->linger_ns = opt->linger_ns;
	cfg->max_flows = opt->max_flows ? opt->max_flows : afm_default_max_flows();
}

void afm_csv_settings(const struct afm_options *opt, const struct afm_schema *schema, int line_buffered,
		      struct afm_csv_options *csv)
{
	memset(csv, 0, sizeof(*csv));
	csv->schema = schema;
	csv->precision = opt->precision;
	csv->header = !opt->no_header;
	csv->line_buffered = line_buffered;
	csv->rotate_rows = opt->rotate_rows;
	csv->rotate_ns = opt->rotate_ns;
}

static struct afm_csv *hup_writer;

static void on_hup(int sig)
{
	(void)sig;
	if (hup_writer)
		afm_csv_request_reopen(hup_writer);
}

void afm_reopen_on_sighup(struct afm_csv *w)
{
	struct sigaction sa = { .sa_handler = on_hup, .sa_flags = SA_RESTART };

	hup_writer = w;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
}
