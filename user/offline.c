// SPDX-License-Identifier: MIT
#include "offline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "afm_parse.h"
#include "counters.h"
#include "engine.h"
#include "inputs.h"
#include "log.h"
#include "merge.h"
#include "overwrite.h"
#include "progress.h"
#include "replay.h"
#include "report.h"
#include "settings.h"
#include "sink.h"
#include "stop.h"

struct offline {
	const struct afm_options *opt;
	struct afm_inputs inputs;	/* the capture files */
	struct afm_merge *merge;	/* ... as one stream in time order */
	struct afm_counters counters;
	struct afm_sink sink;
	struct afm_engine engine;
	struct afm_progress progress;
	struct afm_replay_run *replay;	/* --via-xdp */
};

/* Read and meter until the end of the input or a stop. Returns 0, AFM_EXIT_DAMAGED or AFM_EXIT_FAILURE. */
static int meter_inputs(struct offline *o)
{
	struct afm_counters *c = &o->counters;
	struct afm_record recs[AFM_ENGINE_BATCH];
	const size_t batch = afm_merge_streaming(o->merge) ? 1 : AFM_ENGINE_BATCH;
	const struct afm_capture *cap;
	struct afm_packet pkt;
	size_t n = 0;
	char err[256];
	int status = 0, rc;

	while (!afm_stop_requested() && !afm_sink_error(&o->sink)) {
		rc = afm_merge_next(o->merge, &pkt, &cap);
		if (rc == AFM_CAPTURE_EOF || afm_stop_requested())	/* a read cut short by the signal */
			break;
		if (rc == AFM_CAPTURE_DAMAGED) {
			afm_progress_end(&o->progress);
			afm_warn("%s; the flows metered so far are still written", afm_merge_error(o->merge));
			status = AFM_EXIT_DAMAGED;
			continue;
		}
		c->packets++;
		c->bytes += pkt.wire_len;
		if ((c->packets & 4095) == 0)
			afm_progress_update(&o->progress, afm_merge_done(o->merge), c->packets);
		if (pkt.wire_len > AFM_WIRE_LEN_MAX) {
			c->skipped[AFM_SKIP_OVERSIZED]++;
			continue;
		}
		if (o->replay) {
			if (afm_replay_packet(o->replay, &pkt, afm_capture_link(cap), c, err, sizeof(err)) != 0) {
				afm_progress_end(&o->progress);
				afm_error("--via-xdp: %s", err);
				return AFM_EXIT_FAILURE;
			}
			continue;
		}

		int verdict = afm_parse(pkt.data, pkt.data + pkt.caplen, afm_capture_link(cap), &recs[n]);

		if (verdict != AFM_OK) {
			c->skipped[verdict]++;
			continue;
		}
		recs[n].ts_ns = pkt.ts_ns;
		recs[n].wire_len = pkt.wire_len;
		if (++n == batch) {
			c->metered += (uint64_t)afm_engine_packets(&o->engine, recs, n, &c->lost[AFM_LOST_NO_MEMORY]);
			n = 0;
		}
	}
	c->metered += (uint64_t)afm_engine_packets(&o->engine, recs, n, &c->lost[AFM_LOST_NO_MEMORY]);
	return status;
}

/* Everything that can be refused is checked before an output is created. */
static int start(struct offline *o, struct afm_schema *schema)
{
	const struct afm_options *opt = o->opt;
	const struct afm_output_name outputs[] = { { "-o", opt->output }, { "--stats-json", opt->stats_json } };
	char err[1024];

	if (afm_inputs_expand(&o->inputs, opt->captures, opt->n_captures, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		return AFM_EXIT_INPUT;
	}
	if (afm_inputs_distinct(&o->inputs, err, sizeof(err)) != 0 ||
	    afm_check_outputs(o->inputs.paths, o->inputs.count, outputs, opt->stats_json ? 2 : 1, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		return AFM_EXIT_USAGE;
	}
	if (afm_merge_open(&o->merge, o->inputs.paths, o->inputs.count, err, sizeof(err)) != 0) {
		if (afm_stop_requested())
			return -1;
		afm_error("%s", err);
		return AFM_EXIT_INPUT;
	}
	if (afm_schema_build(schema, opt->schema, opt->columns, opt->label != NULL, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		return AFM_EXIT_USAGE;
	}
	if (opt->via_xdp && afm_replay_open(&o->replay, opt->verbose, err, sizeof(err)) != 0) {
		afm_error("--via-xdp: %s", err);
		return AFM_EXIT_KERNEL;
	}
	return 0;
}

int afm_offline_run(const struct afm_options *opt)
{
	struct offline o = { .opt = opt };
	struct afm_csv_options csv_opt;
	struct afm_engine_config ecfg;
	struct afm_schema schema = { 0 };
	char err[512];
	int status, stopped, ran = 0;
	double t0 = afm_now();

	afm_stop_catch();
	status = start(&o, &schema);
	if (status) {
		if (status < 0) {	/* a signal while a pipe was opened: nothing was read */
			afm_notice("%s before any packet was read: nothing written", strsignal(afm_stop_requested()));
			status = AFM_EXIT_OK;
		}
		goto out;
	}
	afm_csv_settings(opt, &schema, afm_merge_streaming(o.merge), &csv_opt);
	afm_engine_settings(opt, &ecfg);
	o.sink.label = opt->label;
	if (afm_csv_open(&o.sink.csv, opt->output, &csv_opt, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		status = AFM_EXIT_OUTPUT;
		goto out;
	}
	ran = 1;
	o.sink.counters = &o.counters;
	if (afm_engine_init(&o.engine, &ecfg, afm_sink_flow, &o.sink) != 0) {
		afm_error("out of memory");
		status = AFM_EXIT_FAILURE;
		goto out_csv;
	}
	/* Rows are computed on the other core; from a pipe, at once (no batches). */
	afm_sink_start(&o.sink, !afm_merge_streaming(o.merge));
	afm_reopen_on_sighup(&o.sink.csv);
	afm_progress_init(&o.progress, opt->quiet, afm_merge_size(o.merge));

	status = meter_inputs(&o);
	stopped = afm_stop_requested();
	if (stopped) {
		afm_progress_end(&o.progress);
		afm_notice("%s: stopped reading; writing the open flows", strsignal(stopped));
		o.counters.stopped_by = stopped;
	}
	if (o.replay && status != AFM_EXIT_FAILURE &&
	    afm_replay_finish(o.replay, &o.engine, &o.counters, err, sizeof(err)) != 0) {
		afm_error("--via-xdp: %s", err);
		status = AFM_EXIT_FAILURE;
	}
	afm_engine_flush(&o.engine, stopped ? AFM_END_SHUTDOWN : AFM_END_EOF);
	o.counters.flows_open_max = o.engine.open_max;
	o.counters.sample_bytes = o.engine.sample_bytes;
	o.counters.samples = o.engine.samples;
	afm_engine_free(&o.engine);
	afm_sink_stop(&o.sink);
	afm_progress_end(&o.progress);
	const char *first;
	uint64_t jumps = afm_merge_time_jumps(o.merge, &first);

	if (jumps)
		afm_warn("%llu %s more than a day away in time from the others of %s capture (%s%s): check the "
			 "capture's clock; a jump like that ends every open flow", (unsigned long long)jumps,
			 jumps == 1 ? "packet is" : "packets are", jumps == 1 ? "its" : "their", jumps == 1 ? "" : "the first: ",
			 first);
	if (o.counters.lost[AFM_LOST_NO_MEMORY]) {
		afm_error("out of memory: %llu packets could not be metered",
			  (unsigned long long)o.counters.lost[AFM_LOST_NO_MEMORY]);
		status = AFM_EXIT_FAILURE;
	}
	if (afm_sink_error(&o.sink) == -ENOMEM) {
		afm_error("out of memory while computing flow statistics");
		status = AFM_EXIT_FAILURE;
	}

out_csv:
	if (afm_csv_close(&o.sink.csv, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		status = AFM_EXIT_OUTPUT;
	}
	afm_sink_rows(&o.sink, &o.counters);
	afm_scratch_free(&o.sink.scratch);
	o.counters.seconds = afm_now() - t0;
	if (ran)
		status = afm_report(opt, &o.counters, status);
out:
	afm_replay_close(o.replay);
	afm_merge_close(o.merge);
	afm_inputs_free(&o.inputs);
	afm_schema_free(&schema);
	return status;
}
