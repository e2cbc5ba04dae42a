/* SPDX-License-Identifier: MIT */
/*
 * Ended flows -> statistics -> CSV rows: the engine's sink. With a worker thread, the
 * statistics and the writing run on the second core while the first one reads and
 * meters packets; flows are handed over in batches, in order, so the output stays
 * deterministic.
 */
#ifndef AFM_SINK_H
#define AFM_SINK_H

#include <pthread.h>
#include <stddef.h>

#include "counters.h"
#include "csv.h"
#include "row.h"

#define AFM_SINK_BATCH 256	/* flows per hand-over */
#define AFM_SINK_QUEUE 64	/* batches in flight */

/* The text of the interface column for a flow seen on ifindex (live mode). */
typedef const char *(*afm_iface_name_fn)(void *ctx, uint32_t ifindex);

struct afm_sink {
	struct afm_csv csv;
	struct afm_scratch scratch;
	struct afm_counters *counters;	/* flows_ended is the sink's */
	const char *label;		/* --label, or NULL */
	afm_iface_name_fn iface_name;	/* NULL: "-" */
	void *iface_ctx;
	int error;			/* first failure: -ENOMEM or a write -errno (atomic) */
	uint64_t unwritten;		/* rows never formatted: an error came first (atomic) */

	int threaded;
	pthread_t worker;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct afm_flow **batch;	/* the batch being filled */
	size_t batch_n;
	struct afm_flow **queue[AFM_SINK_QUEUE];
	size_t queue_n[AFM_SINK_QUEUE];
	size_t head, count;		/* queued batches */
	/* Written batches come back to be freed by the thread that allocated them:
	 * freeing across threads contends on the allocator's lock. */
	struct afm_flow **done[AFM_SINK_QUEUE];
	size_t done_n[AFM_SINK_QUEUE];
	size_t n_done;
	size_t busy;			/* the worker is writing a batch (0 or 1) */
	int closing;
};

/* csv and counters must be set first. threaded: use a worker thread. 0 or -errno. */
int afm_sink_start(struct afm_sink *s, int threaded);
/* afm_flow_sink: takes the flow (it is freed once written). */
void afm_sink_flow(void *ctx, struct afm_flow *flow);
/* Hand over a partly filled batch now (live mode: rows must not wait). */
void afm_sink_flush(struct afm_sink *s);
/* Write everything handed over, stop the worker. Returns the sink's error (0 if none). */
int afm_sink_stop(struct afm_sink *s);
/* Rows written and lost so far into c (after afm_csv_close: the final counts). */
void afm_sink_rows(struct afm_sink *s, struct afm_counters *c);
/* The first error so far (0 if none); safe to call while the worker runs. */
int afm_sink_error(struct afm_sink *s);

#endif
