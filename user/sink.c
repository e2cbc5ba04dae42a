// SPDX-License-Identifier: MIT
#include "sink.h"

#include <errno.h>
#include <stdlib.h>

static void set_error(struct afm_sink *s, int err)
{
	int none = 0;

	__atomic_compare_exchange_n(&s->error, &none, err, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

int afm_sink_error(struct afm_sink *s)
{
	return __atomic_load_n(&s->error, __ATOMIC_RELAXED);
}

/* Statistics and row: the work that can run on the other core. */
static void write_row(struct afm_sink *s, struct afm_flow *flow)
{
	struct afm_row row;
	int err;

	s->counters->flows_ended[flow->end_reason]++;
	if (afm_sink_error(s)) {	/* after an error, no row gets out any more */
		__atomic_add_fetch(&s->unwritten, 1, __ATOMIC_RELAXED);
		return;
	}
	err = afm_row_compute(flow, &row, &s->scratch);
	if (err) {
		__atomic_add_fetch(&s->unwritten, 1, __ATOMIC_RELAXED);
		set_error(s, err);
		return;
	}
	row.label = s->label ? s->label : "-";
	row.interface = s->iface_name ? s->iface_name(s->iface_ctx, flow->key.ifindex) : "-";
	err = afm_csv_write(&s->csv, &row);	/* it counts the row written or lost */
	if (err)
		set_error(s, err);
}

static void write_flow(struct afm_sink *s, struct afm_flow *flow)
{
	write_row(s, flow);
	afm_flow_free(flow);
}

static void free_batch(struct afm_flow **batch, size_t n)
{
	for (size_t i = 0; i < n; i++)
		afm_flow_free(batch[i]);
	free(batch);
}

/* Free what the worker has written (called with the lock held). */
static void reclaim(struct afm_sink *s)
{
	for (size_t i = 0; i < s->n_done; i++)
		free_batch(s->done[i], s->done_n[i]);
	s->n_done = 0;
}

static void *worker(void *arg)
{
	struct afm_sink *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->count && !s->closing)
			pthread_cond_wait(&s->changed, &s->lock);
		if (!s->count)
			break;
		struct afm_flow **batch = s->queue[s->head];
		size_t n = s->queue_n[s->head];

		s->head = (s->head + 1) % AFM_SINK_QUEUE;
		s->count--;
		s->busy = 1;	/* in no list while it is written: still counts for room */
		pthread_cond_broadcast(&s->changed);
		pthread_mutex_unlock(&s->lock);
		for (size_t i = 0; i < n; i++)
			write_row(s, batch[i]);
		pthread_mutex_lock(&s->lock);
		/* room is certain: queued + busy + done batches never exceed the queue */
		s->done[s->n_done] = batch;
		s->done_n[s->n_done++] = n;
		s->busy = 0;
		pthread_cond_broadcast(&s->changed);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int afm_sink_start(struct afm_sink *s, int threaded)
{
	s->threaded = 0;
	s->batch = NULL;
	s->batch_n = s->head = s->count = s->n_done = s->busy = 0;
	s->closing = 0;
	if (!threaded)
		return 0;
	if (pthread_mutex_init(&s->lock, NULL) != 0)
		return -ENOMEM;
	if (pthread_cond_init(&s->changed, NULL) != 0) {
		pthread_mutex_destroy(&s->lock);
		return -ENOMEM;
	}
	if (pthread_create(&s->worker, NULL, worker, s) != 0) {
		pthread_cond_destroy(&s->changed);
		pthread_mutex_destroy(&s->lock);
		return -EAGAIN;	/* the caller writes inline instead */
	}
	s->threaded = 1;
	return 0;
}

void afm_sink_flush(struct afm_sink *s)
{
	if (!s->threaded || !s->batch_n)
		return;
	pthread_mutex_lock(&s->lock);
	while (s->count + s->busy + s->n_done >= AFM_SINK_QUEUE) {	/* the writer is behind */
		reclaim(s);
		if (s->count + s->busy + s->n_done >= AFM_SINK_QUEUE)
			pthread_cond_wait(&s->changed, &s->lock);
	}
	reclaim(s);
	size_t tail = (s->head + s->count) % AFM_SINK_QUEUE;

	s->queue[tail] = s->batch;
	s->queue_n[tail] = s->batch_n;
	s->count++;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	s->batch = NULL;
	s->batch_n = 0;
}

void afm_sink_flow(void *ctx, struct afm_flow *flow)
{
	struct afm_sink *s = ctx;

	if (s->threaded && !s->batch) {
		s->batch = malloc(AFM_SINK_BATCH * sizeof(*s->batch));
		if (!s->batch) {	/* no memory for a batch: write this one here */
			afm_sink_stop(s);
			write_flow(s, flow);
			return;
		}
	}
	if (!s->threaded) {
		write_flow(s, flow);
		return;
	}
	s->batch[s->batch_n++] = flow;
	if (s->batch_n == AFM_SINK_BATCH)
		afm_sink_flush(s);
}

void afm_sink_rows(struct afm_sink *s, struct afm_counters *c)
{
	int open = s->csv.path != NULL;	/* once closed, the counts are final */

	if (open)
		pthread_mutex_lock(&s->csv.lock);
	c->rows_written = s->csv.rows;
	c->rows_lost = s->csv.rows_lost;
	if (open)
		pthread_mutex_unlock(&s->csv.lock);
	c->rows_lost += __atomic_load_n(&s->unwritten, __ATOMIC_RELAXED);
}

int afm_sink_stop(struct afm_sink *s)
{
	if (s->threaded) {
		afm_sink_flush(s);
		pthread_mutex_lock(&s->lock);
		s->closing = 1;
		pthread_cond_broadcast(&s->changed);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->worker, NULL);
		reclaim(s);
		pthread_cond_destroy(&s->changed);
		pthread_mutex_destroy(&s->lock);
		s->threaded = 0;
	}
	return afm_sink_error(s);
}
