// SPDX-License-Identifier: MIT
#include "offline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "afm_parse.h"
#include "capture.h"
#include "counters.h"
#include "engine.h"
#include "inputs.h"
#include "log.h"
#include "progress.h"
#include "replay.h"
#include "report.h"
#include "settings.h"
#include "sink.h"

struct offline {
	const struct afm_options *opt;
	struct afm_inputs inputs;	/* the capture files, in order */
	struct afm_counters counters;
	struct afm_sink sink;
	struct afm_engine engine;
	struct afm_progress progress;
	uint64_t bytes_before;	/* file bytes of the captures already read */
	struct afm_replay_run *replay;	/* --via-xdp */
	int streaming;			/* an input is a pipe: packets are taken one by one */
};

/* Meter one capture to its end. Returns 0, AFM_EXIT_DAMAGED or AFM_EXIT_FAILURE. */
static int meter_capture(struct offline *o, struct afm_capture *cap)
{
	const int link = afm_capture_link(cap);
	struct afm_counters *c = &o->counters;
	struct afm_record recs[AFM_ENGINE_BATCH];
	struct afm_packet pkt;
	size_t n = 0;
	char err[256];
	int status;

	int first = 1;

	while ((status = afm_capture_next(cap, &pkt)) == AFM_CAPTURE_PACKET) {
		c->packets++;
		c->bytes += pkt.wire_len;
		/* Captures are one stream of time: one that starts well before the end of
		 * those read before it cuts every flow short. Say so. */
		if (first && o->engine.clock > pkt.ts_ns + o->opt->idle_ns)
			afm_warn("%s starts %.0f s before the end of the captures before it: its flows end at "
				 "once (give the captures in time order)", afm_capture_path(cap),
				 (double)(o->engine.clock - pkt.ts_ns) / 1e9);
		first = 0;
		if (o->replay) {
			if (afm_replay_packet(o->replay, &pkt, link, c, err, sizeof(err)) != 0) {
				afm_progress_end(&o->progress);
				afm_error("--via-xdp: %s", err);
				return AFM_EXIT_FAILURE;
			}
			continue;
		}

		int verdict = afm_parse(pkt.data, pkt.data + pkt.caplen, link, &recs[n]);

		if (verdict != AFM_OK) {
			c->skipped[verdict]++;
		} else {
			recs[n].ts_ns = pkt.ts_ns;
			recs[n].wire_len = pkt.wire_len;
			if (++n == (o->streaming ? 1 : AFM_ENGINE_BATCH)) {
				c->metered += (uint64_t)afm_engine_packets(&o->engine, recs, n,
									   &c->lost[AFM_LOST_NO_MEMORY]);
				n = 0;
			}
		}
		if ((c->packets & 4095) == 0)
			afm_progress_update(&o->progress, o->bytes_before + afm_capture_offset(cap),
					    c->packets);
	}
	c->metered += (uint64_t)afm_engine_packets(&o->engine, recs, n, &c->lost[AFM_LOST_NO_MEMORY]);
	o->bytes_before += afm_capture_size(cap);
	if (status == AFM_CAPTURE_DAMAGED) {
		afm_progress_end(&o->progress);
		afm_warn("%s; the flows metered so far are still written", afm_capture_error(cap));
		return AFM_EXIT_DAMAGED;
	}
	return 0;
}

int afm_offline_run(const struct afm_options *opt)
{
	struct offline o = { .opt = opt };
	struct afm_csv_options csv_opt;
	struct afm_engine_config ecfg;
	char err[512];
	uint64_t total = 0;
	struct afm_schema schema = { 0 };
	int status = AFM_EXIT_OK, ran = 0, streaming = 0;
	double t0 = afm_now();

	/* Every input is checked before the output is created. */
	if (afm_inputs_expand(&o.inputs, opt->captures, opt->n_captures, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		status = AFM_EXIT_INPUT;
		goto out_caps;
	}
	for (size_t i = 0; i < o.inputs.count; i++) {
		struct stat st;

		/* A pipe can be read once only: it is checked when its turn comes. Its
		 * packets come as they come: rows are then written as flows end. */
		if (strcmp(o.inputs.paths[i], "-") == 0 ||
		    (stat(o.inputs.paths[i], &st) == 0 && !S_ISREG(st.st_mode))) {
			streaming = 1;
			continue;
		}

		struct afm_capture *cap = afm_capture_open(o.inputs.paths[i], err, sizeof(err));

		if (!cap) {
			afm_error("%s", err);
			status = AFM_EXIT_INPUT;
			goto out_caps;
		}
		total += afm_capture_size(cap);
		afm_capture_close(cap);
	}
	if (afm_schema_build(&schema, opt->schema, opt->columns, opt->label != NULL, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		status = AFM_EXIT_USAGE;
		goto out_caps;
	}
	o.streaming = streaming;
	afm_csv_settings(opt, &schema, streaming, &csv_opt);
	afm_engine_settings(opt, &ecfg);
	o.sink.label = opt->label;
	if (afm_csv_open(&o.sink.csv, opt->output, &csv_opt, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		status = AFM_EXIT_OUTPUT;
		goto out_caps;
	}
	o.sink.counters = &o.counters;
	if (afm_engine_init(&o.engine, &ecfg, afm_sink_flow, &o.sink) != 0) {
		afm_error("out of memory");
		status = AFM_EXIT_FAILURE;
		goto out_csv;
	}
	/* Rows are computed on the other core; from a pipe, at once (no batches). */
	afm_sink_start(&o.sink, !streaming);
	afm_reopen_on_sighup(&o.sink.csv);
	if (opt->via_xdp && afm_replay_open(&o.replay, opt->verbose, err, sizeof(err)) != 0) {
		afm_error("--via-xdp: %s", err);
		status = AFM_EXIT_KERNEL;
		afm_engine_free(&o.engine);
		goto out_csv;
	}
	afm_progress_init(&o.progress, opt->quiet, total);
	ran = 1;

	/* One at a time, in order: one stream of time. */
	for (size_t i = 0; i < o.inputs.count && !afm_sink_error(&o.sink) && status != AFM_EXIT_FAILURE; i++) {
		struct afm_capture *cap = afm_capture_open(o.inputs.paths[i], err, sizeof(err));
		int s;

		if (!cap) {	/* it was readable a moment ago */
			afm_error("%s", err);
			status = AFM_EXIT_INPUT;
			continue;
		}
		s = meter_capture(&o, cap);
		afm_capture_close(cap);
		if (s)
			status = s;
	}
	if (o.replay && status != AFM_EXIT_FAILURE &&
	    afm_replay_finish(o.replay, &o.engine, &o.counters, err, sizeof(err)) != 0) {
		afm_error("--via-xdp: %s", err);
		status = AFM_EXIT_FAILURE;
	}
	afm_replay_close(o.replay);
	afm_engine_flush(&o.engine, AFM_END_EOF);
	o.counters.flows_open_max = o.engine.open_max;
	o.counters.sample_bytes = o.engine.sample_bytes;
	o.counters.samples = o.engine.samples;
	afm_engine_free(&o.engine);
	afm_sink_stop(&o.sink);
	afm_progress_end(&o.progress);
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
	afm_scratch_free(&o.sink.scratch);
	o.counters.seconds = afm_now() - t0;
	if (ran)
		status = afm_report(opt, &o.counters, status);
out_caps:
	afm_inputs_free(&o.inputs);
	afm_schema_free(&schema);
	return status;
}
