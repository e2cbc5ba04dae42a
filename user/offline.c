// SPDX-License-Identifier: MIT
#include "offline.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "afm_parse.h"
#include "capture/ifaces.h"
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

enum { READ_END = -1, READ_NONE = 0, READ_RECORD = 1 };

/*
 * The next packet of the captures, counted in c: READ_RECORD with its record in rec;
 * READ_NONE when it was skipped, replayed (--via-xdp) or damage was met (*status);
 * READ_END at the end of the input, a stop, a stage's failure (or a replay's: *status).
 */
static int read_packet(struct offline *o, struct afm_counters *c, struct afm_record *rec, int *status)
{
	const struct afm_capture *cap;	/* (the packet says its link and interface) */
	struct afm_packet pkt;
	char err[256];
	int rc;

	if (afm_stop_requested() || afm_pipeline_failed(&o->pipe))
		return READ_END;
	rc = afm_merge_next(o->merge, &pkt, &cap);
	if (rc == AFM_CAPTURE_EOF || afm_stop_requested())	/* a read cut short by the signal */
		return READ_END;
	if (rc == AFM_CAPTURE_DAMAGED) {
		afm_progress_end(&o->progress);
		afm_warn("%s; the flows metered so far are still written", afm_merge_error(o->merge));
		*status = AFM_EXIT_DAMAGED;
		return READ_NONE;
	}
	c->packets++;
	c->bytes += pkt.wire_len;
	if ((c->packets & 4095) == 0)
		afm_progress_update(&o->progress, afm_merge_done(o->merge), c->packets);
	if (pkt.wire_len > AFM_WIRE_LEN_MAX) {
		c->skipped[AFM_SKIP_OVERSIZED]++;
		return READ_NONE;
	}
	if (pkt.link < 0) {	/* a pcapng interface of a link type not read (a notice named it) */
		c->skipped[AFM_SKIP_NOT_IP]++;
		return READ_NONE;
	}
	if (o->replay) {
		if (afm_replay_packet(o->replay, &pkt, c, err, sizeof(err)) != 0) {
			afm_progress_end(&o->progress);
			afm_error("--via-xdp: %s", err);
			*status = AFM_EXIT_FAILURE;
			return READ_END;
		}
		return READ_NONE;
	}
	int verdict = afm_parse(pkt.data, pkt.data + pkt.caplen, pkt.link, rec, o->pipe.schema.detail,
				!o->pipe.opt->outer_tunnels, NULL);

	if (verdict != AFM_OK) {
		c->skipped[verdict]++;
		return READ_NONE;
	}
	rec->key.ifindex = pkt.iface;	/* each interface of a pcapng its own flows, as live */
	rec->ts_ns = pkt.ts_ns;
	afm_record_wire(rec, pkt.wire_len);
	return READ_RECORD;
}

static void meter_records(struct offline *o, const struct afm_record *recs, size_t n)
{
	struct afm_counters *c = &o->pipe.counters;

	for (size_t i = 0; i < n; i += AFM_ENGINE_BATCH)
		c->metered += (uint64_t)afm_engine_packets(&o->pipe.engine, recs + i,
							   n - i < AFM_ENGINE_BATCH ? n - i : AFM_ENGINE_BATCH,
							   &c->lost[AFM_LOST_NO_MEMORY]);
}

/*
 * Reading ahead (capture files): a thread reads and parses the captures into blocks of
 * records while this one meters them, in their order; the features and rows are the
 * row worker's, on a third. The blocks go round a ring: filled by the reader, metered
 * and handed back here.
 */
#define AHEAD_BLOCK 8192	/* records: a hand-over costs a futex wake, 5-10 us in a VM */
#define AHEAD_BLOCKS 4

struct ahead {
	struct offline *o;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct afm_record (*rec)[AHEAD_BLOCK];
	size_t n[AHEAD_BLOCKS];
	size_t head, count;	/* the blocks filled, in order from head */
	int done;		/* the reader has filled its last block */
	int status;		/* the reader's: 0 or AFM_EXIT_DAMAGED */
	struct afm_counters c;	/* the reader's packets, bytes and skips, added at the end */
};

static void *read_ahead(void *arg)
{
	struct ahead *a = arg;
	size_t slot = 0, n = 0;
	int r;

	do {
		if (n == 0) {	/* a block to fill: wait for one to come back */
			pthread_mutex_lock(&a->lock);
			while (a->count == AHEAD_BLOCKS)
				pthread_cond_wait(&a->changed, &a->lock);
			slot = (a->head + a->count) % AHEAD_BLOCKS;
			pthread_mutex_unlock(&a->lock);
		}
		r = read_packet(a->o, &a->c, &a->rec[slot][n], &a->status);
		if ((r == READ_RECORD && ++n == AHEAD_BLOCK) || (r == READ_END && n)) {
			pthread_mutex_lock(&a->lock);
			a->n[slot] = n;
			a->count++;
			pthread_cond_signal(&a->changed);
			pthread_mutex_unlock(&a->lock);
			n = 0;
		}
	} while (r != READ_END);
	pthread_mutex_lock(&a->lock);
	a->done = 1;
	pthread_cond_signal(&a->changed);
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* Meter with a reader thread: 1, and its status in *status; 0 when no thread could be made. */
static int meter_ahead(struct offline *o, int *status)
{
	struct afm_counters *c = &o->pipe.counters;
	struct ahead a = { .o = o };
	pthread_t reader;

	a.rec = malloc(AHEAD_BLOCKS * sizeof(*a.rec));
	if (!a.rec)
		return 0;
	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.changed, NULL);
	int started = pthread_create(&reader, NULL, read_ahead, &a) == 0;

	pthread_mutex_lock(&a.lock);
	while (started) {
		while (!a.count && !a.done)
			pthread_cond_wait(&a.changed, &a.lock);
		if (!a.count)
			break;
		size_t slot = a.head;

		pthread_mutex_unlock(&a.lock);
		meter_records(o, a.rec[slot], a.n[slot]);
		pthread_mutex_lock(&a.lock);
		a.head = (a.head + 1) % AHEAD_BLOCKS;
		a.count--;
		pthread_cond_signal(&a.changed);
	}
	pthread_mutex_unlock(&a.lock);
	if (started) {
		pthread_join(reader, NULL);
		c->packets += a.c.packets;
		c->bytes += a.c.bytes;
		for (int v = 0; v < AFM_VERDICT_COUNT; v++)
			c->skipped[v] += a.c.skipped[v];
		*status = a.status;
	}
	pthread_cond_destroy(&a.changed);
	pthread_mutex_destroy(&a.lock);
	free(a.rec);
	return started;
}

/* Read and meter until the end of the input or a stop. Returns 0, AFM_EXIT_DAMAGED or AFM_EXIT_FAILURE. */
static int meter_inputs(struct offline *o)
{
	/* from a pipe, each packet at once (rows as they come); with --via-xdp, one thread */
	const int streaming = afm_merge_streaming(o->merge);
	const size_t batch = streaming ? 1 : AFM_ENGINE_BATCH;
	struct afm_record recs[AFM_ENGINE_BATCH];
	size_t n = 0;
	int status = 0, r;

	if (!streaming && !o->replay && meter_ahead(o, &status))
		return status;
	while ((r = read_packet(o, &o->pipe.counters, &recs[n], &status)) != READ_END)
		if (r == READ_RECORD && ++n == batch) {
			meter_records(o, recs, n);
			n = 0;
		}
	meter_records(o, recs, n);
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
	if (opt->via_xdp &&
	    afm_replay_open(&o->replay, o->pipe.schema.detail, opt->outer_tunnels, err, sizeof(err)) != 0) {
		afm_error("--via-xdp: %s", err);
		return AFM_EXIT_KERNEL;
	}
	const int stream = afm_merge_streaming(o->merge);
	/* Rows are computed on the other core; from a pipe, at once. */
	const struct afm_pipeline_io io = { .stream = stream, .threaded = !stream, .can_wait = !stream,
					    .iface_name = afm_ifaces_name, .iface_ctx = afm_merge_ifaces(o->merge),
					    .capture_ifaces = 1 };

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
