// SPDX-License-Identifier: MIT
#include "offline.h"

#include <string.h>

#include "afm_parse.h"
#include "capture/inputs.h"
#include "capture/merge.h"
#include "kernel/replay.h"
#include "log.h"
#include "pipeline.h"
#include "progress.h"
#include "stop.h"

struct offline {
	const struct afm_options *opt;
	struct afm_inputs inputs;	/* the capture files */
	struct afm_merge *merge;	/* ... as one stream in time order */
	struct afm_pipeline pipe;
	struct afm_progress progress;
	struct afm_replay_run *replay;	/* --via-xdp */
};

/* Read and meter until the end of the input or a stop. Returns 0, AFM_EXIT_DAMAGED or AFM_EXIT_FAILURE. */
static int meter_inputs(struct offline *o)
{
	struct afm_counters *c = &o->pipe.counters;
	struct afm_record recs[AFM_ENGINE_BATCH];
	const size_t batch = afm_merge_streaming(o->merge) ? 1 : AFM_ENGINE_BATCH;
	const struct afm_capture *cap;
	struct afm_packet pkt;
	size_t n = 0;
	char err[256];
	int status = 0, rc;

	while (!afm_stop_requested() && !afm_pipeline_failed(&o->pipe)) {
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
			c->metered += (uint64_t)afm_engine_packets(&o->pipe.engine, recs, n, &c->lost[AFM_LOST_NO_MEMORY]);
			n = 0;
		}
	}
	c->metered += (uint64_t)afm_engine_packets(&o->pipe.engine, recs, n, &c->lost[AFM_LOST_NO_MEMORY]);
	return status;
}

/* Everything that can be refused is checked, and every input opened, before the outputs. */
static int start(struct offline *o)
{
	const struct afm_options *opt = o->opt;
	char err[1024];
	int status;

	if (afm_inputs_expand(&o->inputs, opt->captures, opt->n_captures, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		return AFM_EXIT_INPUT;
	}
	if (afm_inputs_distinct(&o->inputs, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		return AFM_EXIT_USAGE;
	}
	status = afm_pipeline_check(&o->pipe, opt, o->inputs.paths, o->inputs.count);
	if (status)
		return status;
	if (afm_merge_open(&o->merge, o->inputs.paths, o->inputs.count, err, sizeof(err)) != 0) {
		if (afm_stop_requested()) {	/* a signal while a pipe was opened: nothing was read */
			afm_notice("%s before any packet was read: nothing written", strsignal(afm_stop_requested()));
			return -1;
		}
		afm_error("%s", err);
		return AFM_EXIT_INPUT;
	}
	if (opt->via_xdp && afm_replay_open(&o->replay, err, sizeof(err)) != 0) {
		afm_error("--via-xdp: %s", err);
		return AFM_EXIT_KERNEL;
	}
	const int stream = afm_merge_streaming(o->merge);
	/* Rows are computed on the other core; from a pipe, at once. */
	const struct afm_pipeline_io io = { .stream = stream, .threaded = !stream, .can_wait = !stream };

	return afm_pipeline_start(&o->pipe, &io);
}

int afm_offline_run(const struct afm_options *opt)
{
	struct offline o = { .opt = opt };
	int status, stopped;
	char err[512];

	afm_stop_catch();
	status = start(&o);
	if (status == 0) {
		afm_progress_init(&o.progress, opt->quiet, afm_merge_size(o.merge));
		status = meter_inputs(&o);
		afm_progress_end(&o.progress);
		stopped = afm_stop_requested();
		if (stopped) {
			afm_notice("%s: stopped reading; writing the open flows", strsignal(stopped));
			o.pipe.counters.stopped_by = stopped;
		}
		if (o.replay && status != AFM_EXIT_FAILURE &&
		    afm_replay_finish(o.replay, &o.pipe.engine, &o.pipe.counters, err, sizeof(err)) != 0) {
			afm_error("--via-xdp: %s", err);
			status = AFM_EXIT_FAILURE;
		}
	}
	if (o.merge) {
		const char *first;
		uint64_t jumps = afm_merge_time_jumps(o.merge, &first);

		if (jumps)
			afm_warn("%llu %s more than a day away in time from the others of %s capture (%s%s): check "
				 "the capture's clock; a jump like that ends every open flow", (unsigned long long)jumps,
				 jumps == 1 ? "packet is" : "packets are", jumps == 1 ? "its" : "their",
				 jumps == 1 ? "" : "the first: ", first);
	}
	if (status < 0)
		status = AFM_EXIT_OK;
	status = afm_pipeline_close(&o.pipe, afm_stop_requested() ? AFM_END_SHUTDOWN : AFM_END_EOF, status);
	afm_replay_close(o.replay);
	afm_merge_close(o.merge);
	afm_inputs_free(&o.inputs);
	return status;
}
