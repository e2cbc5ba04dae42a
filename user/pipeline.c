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

static struct afm_ipfix_options ipfix_options(const struct afm_pipeline *p, int can_wait)
{
	const struct afm_options *opt = p->opt;

	return (struct afm_ipfix_options){
		.schema = &p->schema,
		.dest = p->collector,
		.pen = opt->ipfix_pen,
		.domain = opt->ipfix_domain,
		.refresh_ns = opt->ipfix_refresh_ns,
		.mtu = opt->ipfix_mtu,
		.queue = opt->ipfix_queue,
		.wait_for_room = can_wait,
	};
}

int afm_pipeline_check(struct afm_pipeline *p, const struct afm_options *opt, char *const *inputs,
		       size_t n_inputs)
{
	struct afm_output_name outputs[2];
	size_t n_outputs = 0;
	char err[4096];

	memset(p, 0, sizeof(*p));
	p->opt = opt;
	p->t0 = afm_now();
	if (opt->output)
		outputs[n_outputs++] = (struct afm_output_name){ "-o", opt->output };
	if (opt->stats_json)
		outputs[n_outputs++] = (struct afm_output_name){ "--stats-json", opt->stats_json };
	char *rules[1] = { (char *)opt->labels };	/* the rule file is an input too: no output may be it */

	if (afm_check_outputs(inputs, n_inputs, outputs, n_outputs, err, sizeof(err)) != 0 ||
	    (opt->labels && afm_check_outputs(rules, 1, outputs, n_outputs, err, sizeof(err)) != 0) ||
	    afm_schema_build(&p->schema, opt->schema, opt->columns, opt->label || opt->labels, err, sizeof(err)) != 0 ||
	    (opt->first_packets &&
	     afm_schema_first_packets(&p->schema, (unsigned)opt->first_packets, opt->first_layout, err, sizeof(err)) != 0) ||
	    (opt->labels && afm_labels_load(&p->labels, opt->labels, err, sizeof(err)) != 0) ||
	    (opt->ipfix && afm_ipfix_dest_parse(&p->collector, opt->ipfix, err, sizeof(err)) != 0)) {
		afm_error("%s", err);
		return AFM_EXIT_USAGE;
	}
	if (opt->ipfix) {
		const struct afm_ipfix_options ipfix = ipfix_options(p, 0);

		if (afm_ipfix_check(&ipfix, err, sizeof(err)) != 0) {
			afm_error("%s", err);
			return AFM_EXIT_USAGE;
		}
	}
	return 0;
}

int afm_pipeline_start(struct afm_pipeline *p, const struct afm_pipeline_io *io)
{
	const struct afm_options *opt = p->opt;
	const struct afm_file_options file = {
		.fmt = { .schema = &p->schema, .format = opt->format, .precision = opt->precision },
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
		.detail = p->schema.detail,
	};
	struct afm_row_worker_config rows = {
		.sinks = p->sinks,
		.flows_ended = p->counters.flows_ended,
		.label = opt->label,
		.labels = opt->labels ? &p->labels : NULL,
		.features = { .first_packets = (unsigned)opt->first_packets, .cic_activity_ns = opt->cic_activity_ns },
		.iface_name = io->iface_name,
		.iface_ctx = io->iface_ctx,
		.capture_ifaces = io->capture_ifaces,
		.threaded = io->threaded,
	};
	char err[1024];

	const struct afm_ipfix_options ipfix = ipfix_options(p, io->can_wait);

	/* the exporter first: it makes no file, and a file made must not be for nothing */
	if (opt->ipfix) {
		if (afm_ipfix_open(&p->ipfix, &ipfix, err, sizeof(err)) != 0) {
			afm_error("%s", err);
			return AFM_EXIT_FAILURE;
		}
		p->sinks[p->n_sinks++] = afm_ipfix_sink(&p->ipfix);
		p->has_ipfix = 1;
	}
	if (opt->output) {
		if (afm_file_open(&p->file, opt->output, &file, err, sizeof(err)) != 0) {
			afm_error("%s", err);
			return AFM_EXIT_OUTPUT;
		}
		p->sinks[p->n_sinks++] = afm_file_sink(&p->file);
		p->has_file = 1;
	}
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

void afm_pipeline_rows(struct afm_pipeline *p, struct afm_counters *c)
{
	/* rows the worker never made (an error came first) are lost to every sink */
	uint64_t unwritten = p->rows_ready ? afm_row_worker_unwritten(&p->rows) : 0;

	c->rows_written = c->rows_lost = c->export_sent = c->export_lost = 0;
	if (p->has_file) {
		afm_file_sink(&p->file).ops->rows(&p->file, &c->rows_written, &c->rows_lost);
		c->rows_lost += unwritten;
	}
	if (p->has_ipfix) {
		afm_ipfix_counts(&p->ipfix, &c->export_sent, &c->export_lost);
		c->export_lost += unwritten;
	}
	c->has_file = p->has_file;
	c->collector = p->has_ipfix ? p->collector.text : NULL;
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
	afm_pipeline_rows(p, c);
	if (p->rows_ready)
		afm_row_worker_free(&p->rows);
	c->seconds = afm_now() - p->t0;
	if (p->started)
		status = afm_counters_report(c, p->opt->quiet, p->opt->stats_json, status);
	afm_schema_free(&p->schema);
	afm_labels_free(&p->labels);
	return status;
}
