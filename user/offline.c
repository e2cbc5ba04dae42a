// SPDX-License-Identifier: MIT
#include "offline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "afm_parse.h"
#include "capture.h"
#include "counters.h"
#include "engine.h"
#include "log.h"
#include "progress.h"
#include "replay.h"
#include "report.h"
#include "sink.h"

struct offline {
	const struct afm_options *opt;
	struct afm_capture *caps[AFM_MAX_INPUTS];
	struct afm_counters counters;
	struct afm_sink sink;
	struct afm_engine engine;
	struct afm_progress progress;
	uint64_t bytes_before;	/* file bytes of the captures already read */
	struct afm_replay_run *replay;	/* --via-xdp */
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

	while ((status = afm_capture_next(cap, &pkt)) == AFM_CAPTURE_PACKET) {
		c->packets++;
		c->bytes += pkt.wire_len;
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
			if (++n == AFM_ENGINE_BATCH) {
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
	struct afm_csv_options csv_opt = {
		.precision = opt->precision,
		.header = !opt->no_header,
	};
	struct afm_engine_config ecfg = {
		.idle_ns = opt->idle_ns,
		.dns_idle_ns = opt->dns_idle_ns,
		.active_ns = opt->active_ns,
		.linger_ns = opt->linger_ns,
	};
	char err[512];
	uint64_t total = 0;
	struct afm_schema schema = { 0 };
	int status = AFM_EXIT_OK, ran = 0;
	double t0 = afm_now();

	/* Every input is checked before the output is created. */
	for (int i = 0; i < opt->n_captures; i++) {
		o.caps[i] = afm_capture_open(opt->captures[i], err, sizeof(err));
		if (!o.caps[i]) {
			afm_error("%s", err);
			status = AFM_EXIT_INPUT;
			goto out_caps;
		}
		total += afm_capture_size(o.caps[i]);
	}
	if (afm_schema_build(&schema, opt->schema, opt->columns, opt->label != NULL, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		status = AFM_EXIT_USAGE;
		goto out_caps;
	}
	csv_opt.schema = &schema;
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
	afm_sink_start(&o.sink, 1);	/* without a thread, rows are written inline */
	if (opt->via_xdp && afm_replay_open(&o.replay, opt->verbose, err, sizeof(err)) != 0) {
		afm_error("--via-xdp: %s", err);
		status = AFM_EXIT_KERNEL;
		afm_engine_free(&o.engine);
		goto out_csv;
	}
	afm_progress_init(&o.progress, opt->quiet, total);
	ran = 1;

	for (int i = 0; i < opt->n_captures && !afm_sink_error(&o.sink) && status != AFM_EXIT_FAILURE; i++) {
		int s = meter_capture(&o, o.caps[i]);

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
	for (int i = 0; i < opt->n_captures; i++)
		afm_capture_close(o.caps[i]);
	afm_schema_free(&schema);
	return status;
}
