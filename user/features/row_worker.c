// SPDX-License-Identifier: MIT
#include "features/row_worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void set_error(struct afm_row_worker *w, int err)
{
	int none = 0;

	__atomic_compare_exchange_n(&w->error, &none, err, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

int afm_row_worker_error(struct afm_row_worker *w)
{
	return __atomic_load_n(&w->error, __ATOMIC_RELAXED);
}

/* Features and row: the work that can run on the other core. */
static void write_row(struct afm_row_worker *w, struct afm_flow *flow)
{
	struct afm_row row;
	int err;

	w->cfg.flows_ended[flow->end_reason]++;
	if (afm_row_worker_error(w)) {	/* after an error, no row gets out any more */
		__atomic_add_fetch(&w->unwritten, 1, __ATOMIC_RELAXED);
		return;
	}
	err = afm_features_compute(flow, &row, &w->scratch, &w->cfg.features);
	if (err) {
		__atomic_add_fetch(&w->unwritten, 1, __ATOMIC_RELAXED);
		set_error(w, err);
		return;
	}
	const char *label = w->cfg.labels ? afm_labels_match(w->cfg.labels, &flow->key, flow->first_ns) : NULL;

	row.label = label ? label : w->cfg.label ? w->cfg.label : "-";
	row.interface = w->cfg.iface_name ? w->cfg.iface_name(w->cfg.iface_ctx, flow->key.ifindex) : "-";
	if (w->cfg.capture_ifaces)	/* IPFIX's ingressInterface: an index of this host's, or 0 */
		row.ifindex = 0;
	for (size_t i = 0; i < w->cfg.n_sinks; i++) {	/* each counts the row written or lost */
		err = w->cfg.sinks[i].ops->write(w->cfg.sinks[i].impl, &row);
		if (err)
			set_error(w, err);
	}
}

static void write_flow(struct afm_row_worker *w, struct afm_flow *flow)
{
	write_row(w, flow);
	afm_flow_free(flow);
}

static void free_batch(struct afm_flow **batch, size_t n)
{
	for (size_t i = 0; i < n; i++)
		afm_flow_free(batch[i]);
	free(batch);
}

/* Free what the worker has written (called with the lock held). */
static void reclaim(struct afm_row_worker *w)
{
	for (size_t i = 0; i < w->n_done; i++)
		free_batch(w->done[i], w->done_n[i]);
	w->n_done = 0;
}

static void *worker(void *arg)
{
	struct afm_row_worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->count && !w->closing)
			pthread_cond_wait(&w->changed, &w->lock);
		if (!w->count)
			break;
		struct afm_flow **batch = w->queue[w->head];
		size_t n = w->queue_n[w->head];

		w->head = (w->head + 1) % AFM_ROWS_QUEUE;
		w->count--;
		w->busy = 1;	/* in no list while it is written: still counts for room */
		pthread_cond_broadcast(&w->changed);
		pthread_mutex_unlock(&w->lock);
		for (size_t i = 0; i < n; i++)
			write_row(w, batch[i]);
		pthread_mutex_lock(&w->lock);
		/* room is certain: queued + busy + done batches never exceed the queue */
		w->done[w->n_done] = batch;
		w->done_n[w->n_done++] = n;
		w->busy = 0;
		pthread_cond_broadcast(&w->changed);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int afm_row_worker_start(struct afm_row_worker *w, const struct afm_row_worker_config *cfg)
{
	memset(w, 0, sizeof(*w));
	w->cfg = *cfg;
	if (!cfg->threaded)
		return 0;
	if (pthread_mutex_init(&w->lock, NULL) != 0)
		return -ENOMEM;
	if (pthread_cond_init(&w->changed, NULL) != 0) {
		pthread_mutex_destroy(&w->lock);
		return -ENOMEM;
	}
	if (pthread_create(&w->thread, NULL, worker, w) != 0) {
		pthread_cond_destroy(&w->changed);
		pthread_mutex_destroy(&w->lock);
		return -EAGAIN;	/* rows are written at once instead */
	}
	w->threaded = 1;
	return 0;
}

void afm_row_worker_flush(struct afm_row_worker *w)
{
	if (!w->threaded || !w->batch_n)
		return;
	pthread_mutex_lock(&w->lock);
	while (w->count + w->busy + w->n_done >= AFM_ROWS_QUEUE) {	/* the writer is behind */
		reclaim(w);
		if (w->count + w->busy + w->n_done >= AFM_ROWS_QUEUE)
			pthread_cond_wait(&w->changed, &w->lock);
	}
	reclaim(w);
	size_t tail = (w->head + w->count) % AFM_ROWS_QUEUE;

	w->queue[tail] = w->batch;
	w->queue_n[tail] = w->batch_n;
	w->count++;
	pthread_cond_broadcast(&w->changed);
	pthread_mutex_unlock(&w->lock);
	w->batch = NULL;
	w->batch_n = 0;
}

void afm_row_worker_flow(void *ctx, struct afm_flow *flow)
{
	struct afm_row_worker *w = ctx;

	if (w->threaded && !w->batch) {
		w->batch = malloc(AFM_ROWS_BATCH * sizeof(*w->batch));
		if (!w->batch) {	/* no memory for a batch: write this one here */
			afm_row_worker_stop(w);
			write_flow(w, flow);
			return;
		}
	}
	if (!w->threaded) {
		write_flow(w, flow);
		return;
	}
	w->batch[w->batch_n++] = flow;
	if (w->batch_n == AFM_ROWS_BATCH)
		afm_row_worker_flush(w);
}

int afm_row_worker_stop(struct afm_row_worker *w)
{
	if (w->threaded) {
		afm_row_worker_flush(w);
		pthread_mutex_lock(&w->lock);
		w->closing = 1;
		pthread_cond_broadcast(&w->changed);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		reclaim(w);
		pthread_cond_destroy(&w->changed);
		pthread_mutex_destroy(&w->lock);
		w->threaded = 0;
	}
	return afm_row_worker_error(w);
}

uint64_t afm_row_worker_unwritten(struct afm_row_worker *w)
{
	return __atomic_load_n(&w->unwritten, __ATOMIC_RELAXED);
}

void afm_row_worker_free(struct afm_row_worker *w)
{
	afm_row_worker_stop(w);
	afm_scratch_free(&w->scratch);
}
