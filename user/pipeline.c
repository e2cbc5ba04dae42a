// SPDX-License-Identifier: MIT
#include "pipeline.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "output/overwrite.h"
#include "progress.h"

/* --max-flows by default: a quarter of the available memory at 1 KiB a flow (at least 10,000). */
static uint64_t default_max_flows(void)
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

/* SIGHUP: each sink ends its current file (rotation) or reopens it (logrotate). */
static struct afm_pipeline *hup_pipeline;

static void on_hup(int sig)
{
	(void)sig;
	for (size_t i = 0; hup_pipeline && i < hup_pipeline->n_sinks; i++)
		hup_pipeline->sinks[i].ops->request_reopen(hup_pipeline->sinks[i].impl);
}

static void catch_hup(struct afm_pipeline *p)
{
	struct sigaction sa = { .sa_handler = p ? on_hup : SIG_DFL, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	hup_pipeline = p;
	sigaction(SIGHUP, &sa, NULL);
}

int afm_pipeline_check(struct afm_pipeline *p, const struct afm_options *opt, char *const *inputs,
		       size_t n_inputs)
{
	const struct afm_output_name outputs[] = { { "-o", opt->output }, { "--stats-json", opt->stats_json } };
	char err[4096];

	memset(p, 0, sizeof(*p));
	p->opt = opt;
	p->t0 = afm_now();
	if (afm_check_outputs(inputs, n_inputs, outputs, opt->stats_json ? 2 : 1, err, sizeof(err)) != 0 ||
	    afm_schema_build(&p->schema, opt->schema, opt->columns, opt->label != NULL, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		return AFM_EXIT_USAGE;
	}
	return 0;
}

int afm_pipeline_start(struct afm_pipeline *p, const struct afm_pipeline_io *io)
{
	const struct afm_options *opt = p->opt;
	const struct afm_csv_options csv = {
		.schema = &p->schema,
		.precision = opt->precision,
		.header = !opt->no_header,
		.line_buffered = io->stream,
		.rotate_rows = opt->rotate_rows,
		.rotate_ns = opt->rotate_ns,
	};
	const struct afm_engine_config engine = {
		.idle_ns = opt->idle_ns,
		.dns_idle_ns = opt->dns_idle_ns,
		.active_ns = opt->active_ns,
		.linger_ns = opt->linger_ns,
		.max_flows = opt->max_flows ? opt->max_flows : default_max_flows(),
	};
	struct afm_row_worker_config rows = {
		.sinks = p->sinks,
		.flows_ended = p->counters.flows_ended,
		.label = opt->label,
		.iface_name = io->iface_name,
		.iface_ctx = io->iface_ctx,
		.threaded = io->threaded,
	};
	char err[1024];

	if (afm_csv_open(&p->csv, opt->output, &csv, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		return AFM_EXIT_OUTPUT;
	}
	p->sinks[p->n_sinks++] = afm_csv_sink(&p->csv);
	p->started = 1;
	rows.n_sinks = p->n_sinks;
	afm_row_worker_start(&p->rows, &rows);	/* without a thread it writes at once */
	p->rows_ready = 1;
	if (afm_engine_init(&p->engine, &engine, afm_row_worker_flow, &p->rows) != 0) {
		afm_error("out of memory");
		return AFM_EXIT_FAILURE;
	}
	p->engine_ready = 1;
	catch_hup(p);
	return 0;
}

void afm_pipeline_tick(struct afm_pipeline *p)
{
	afm_row_worker_flush(&p->rows);
	for (size_t i = 0; i < p->n_sinks; i++)
		p->sinks[i].ops->tick(p->sinks[i].impl);
}

int afm_pipeline_failed(struct afm_pipeline *p)
{
	return p->rows_ready && afm_row_worker_error(&p->rows) != 0;
}

void afm_pipeline_rows(struct afm_pipeline *p, uint64_t *written, uint64_t *lost)
{
	*written = *lost = 0;
	if (!p->n_sinks)
		return;
	p->sinks[0].ops->rows(p->sinks[0].impl, written, lost);
	*lost += p->rows_ready ? afm_row_worker_unwritten(&p->rows) : 0;
}

int afm_pipeline_close(struct afm_pipeline *p, int end_reason, int status)
{
	struct afm_counters *c = &p->counters;
	char err[1024];

	if (p->engine_ready) {
		afm_engine_flush(&p->engine, end_reason);
		c->flows_open_max = p->engine.open_max;
		c->sample_bytes = p->engine.sample_bytes;
		c->samples = p->engine.samples;
		afm_engine_free(&p->engine);
	}
	if (p->rows_ready && afm_row_worker_stop(&p->rows) == -ENOMEM) {
		afm_error("out of memory while computing flow statistics");
		status = AFM_EXIT_FAILURE;
	}
	if (c->lost[AFM_LOST_NO_MEMORY]) {
		afm_error("out of memory: %llu packets could not be metered",
			  (unsigned long long)c->lost[AFM_LOST_NO_MEMORY]);
		status = AFM_EXIT_FAILURE;
	}
	catch_hup(NULL);
	for (size_t i = 0; i < p->n_sinks; i++)
		if (p->sinks[i].ops->close(p->sinks[i].impl, err, sizeof(err)) != 0) {
			afm_error("%s", err);
			if (status != AFM_EXIT_FAILURE)
				status = AFM_EXIT_OUTPUT;
		}
	afm_pipeline_rows(p, &c->rows_written, &c->rows_lost);
	if (p->rows_ready)
		afm_row_worker_free(&p->rows);
	c->seconds = afm_now() - p->t0;
	if (p->started)
		status = afm_counters_report(c, p->opt->quiet, p->opt->stats_json, status);
	afm_schema_free(&p->schema);
	return status;
}
