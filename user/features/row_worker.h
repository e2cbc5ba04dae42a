/* SPDX-License-Identifier: MIT */
/*
 * Ended flows -> features -> the sinks: the flow engine's consumer. With a thread of
 * its own, the features are computed and the rows written on the second core while
 * the first reads and meters packets; flows are handed over in batches, in order, so
 * the output stays deterministic. Every row goes to every sink.
 */
#ifndef AFM_ROW_WORKER_H
#define AFM_ROW_WORKER_H

#include <pthread.h>
#include <stddef.h>

#include "features/features.h"
#include "features/labels.h"
#include "flow/flow.h"
#include "output/sink.h"

#define AFM_ROWS_BATCH 256	/* flows per hand-over */
#define AFM_ROWS_QUEUE 64	/* batches in flight */

/* The text of the interface column for a flow seen on ifindex (live mode). */
typedef const char *(*afm_iface_name_fn)(void *ctx, uint32_t ifindex);

struct afm_row_worker_config {
	const struct afm_sink *sinks;	/* every row goes to each, in this order */
	size_t n_sinks;
	uint64_t *flows_ended;		/* counts by end reason (AFM_END_COUNT of them) */
	const char *label;		/* --label, or NULL */
	const struct afm_labels *labels;	/* --labels, or NULL */
	struct afm_features_config features;	/* --first-packets, --cic-activity-timeout */
	afm_iface_name_fn iface_name;	/* NULL: "-" */
	void *iface_ctx;
	int capture_ifaces;		/* key.ifindex is a capture's interface id: no ifindex in the row */
	int threaded;			/* a thread of its own (else rows are written at once) */
};

struct afm_row_worker {
	struct afm_row_worker_config cfg;
	struct afm_scratch scratch;
	int error;			/* first failure: -ENOMEM or a sink's -errno (atomic) */
	uint64_t unwritten;		/* rows never made: an error came first (atomic) */

	int threaded;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct afm_flow **batch;	/* the batch being filled */
	size_t batch_n;
	struct afm_flow **queue[AFM_ROWS_QUEUE];
	size_t queue_n[AFM_ROWS_QUEUE];
	size_t head, count;		/* queued batches */
	/* Written batches come back to be freed by the thread that allocated them:
	 * freeing across threads contends on the allocator's lock. */
	struct afm_flow **done[AFM_ROWS_QUEUE];
	size_t done_n[AFM_ROWS_QUEUE];
	size_t n_done;
	size_t busy;			/* the thread is writing a batch (0 or 1) */
	int closing;
};

/* 0, or -errno (no thread could be made: rows are then written at once, still 0). */
int afm_row_worker_start(struct afm_row_worker *w, const struct afm_row_worker_config *cfg);
/* afm_flow_sink: takes the flow (it is freed once its row is written). */
void afm_row_worker_flow(void *ctx, struct afm_flow *flow);
/* Hand over a partly filled batch now (live mode: rows must not wait). */
void afm_row_worker_flush(struct afm_row_worker *w);
/* Write every row handed over, stop the thread. Returns the first error (0 if none). */
int afm_row_worker_stop(struct afm_row_worker *w);
/* The first error so far (0 if none); safe to call while the thread runs. */
int afm_row_worker_error(struct afm_row_worker *w);
/* Rows that no sink got: an error came first. */
uint64_t afm_row_worker_unwritten(struct afm_row_worker *w);
void afm_row_worker_free(struct afm_row_worker *w);

#endif
