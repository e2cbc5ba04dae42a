// SPDX-License-Identifier: MIT
#include "capture/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/ifaces.h"

struct input {
	const char *path;
	struct afm_capture *cap;	/* open, or NULL (not yet, or done) */
	uint64_t first_ts;		/* its first packet's time; 0 if that cannot be read */
	uint64_t size;			/* file bytes, 0 for a stream */
	size_t rank;			/* by (first_ts, path): breaks ties between captures */
	int stream;			/* a pipe: open from the start */
	int has_head;			/* head holds its next packet */
	int peeked;			/* a stream's first read, not yet taken: its status */
	struct afm_packet head;
};

struct afm_merge {
	struct input *in;
	size_t n;
	struct input **due;	/* not yet opened, by (first_ts, rank) */
	size_t n_due, next_due;
	struct input **heap;	/* open, with a head: a min-heap by (head time, first_ts, rank) */
	size_t n_heap;
	struct input *last;	/* gave its head last time: read on from it first */
	struct afm_ifaces *ifaces;	/* the pcapng interfaces of every capture */
	uint64_t total, finished;	/* file bytes: all, of the captures done */
	uint64_t jumps;			/* time jumps of the captures done */
	char first_jump[1024];
	int streaming;
	char error[1024];
};

/* The order of the stream: time, then the capture that started first, then its rank. */
static int before(uint64_t ts_a, const struct input *a, uint64_t ts_b, const struct input *b)
{
	if (ts_a != ts_b)
		return ts_a < ts_b;
	if (a->first_ts != b->first_ts)
		return a->first_ts < b->first_ts;
	return a->rank < b->rank;
}

static int head_before(const struct input *a, const struct input *b)
{
	return before(a->head.ts_ns, a, b->head.ts_ns, b);
}

static void heap_push(struct afm_merge *m, struct input *x)
{
	size_t i = m->n_heap++;

	while (i > 0 && head_before(x, m->heap[(i - 1) / 2])) {
		m->heap[i] = m->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	m->heap[i] = x;
}

static struct input *heap_pop(struct afm_merge *m)
{
	struct input *top = m->heap[0], *x = m->heap[--m->n_heap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= m->n_heap)
			break;
		if (c + 1 < m->n_heap && head_before(m->heap[c + 1], m->heap[c]))
			c++;
		if (!head_before(m->heap[c], x))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	if (m->n_heap)
		m->heap[i] = x;
	return top;
}

static void finish(struct afm_merge *m, struct input *x)
{
	const char *first;
	uint64_t jumps = x->cap ? afm_capture_time_jumps(x->cap, &first) : 0;

	if (jumps && !m->jumps)
		snprintf(m->first_jump, sizeof(m->first_jump), "%s %s", x->path, first);
	m->jumps += jumps;
	afm_capture_close(x->cap);
	x->cap = NULL;
	x->has_head = 0;
	m->finished += x->size;
}

/* Read x's next packet: into the heap, or x is done. AFM_CAPTURE_DAMAGED with the error. */
static int advance(struct afm_merge *m, struct input *x)
{
	int rc = x->has_head ? AFM_CAPTURE_PACKET : x->peeked ? x->peeked : afm_capture_next(x->cap, &x->head);

	x->has_head = 0;
	x->peeked = 0;
	if (rc == AFM_CAPTURE_PACKET) {
		x->has_head = 1;
		heap_push(m, x);
		return 0;
	}
	if (rc == AFM_CAPTURE_DAMAGED)
		snprintf(m->error, sizeof(m->error), "%s", afm_capture_error(x->cap));
	finish(m, x);
	return rc == AFM_CAPTURE_DAMAGED ? AFM_CAPTURE_DAMAGED : 0;
}

static int by_first_packet(const void *a, const void *b)
{
	const struct input *x = *(struct input *const *)a, *y = *(struct input *const *)b;

	if (x->first_ts != y->first_ts)
		return x->first_ts < y->first_ts ? -1 : 1;
	return strcmp(x->path, y->path);
}

int afm_merge_open(struct afm_merge **out, char *const *paths, size_t n, char *err, size_t errlen)
{
	struct afm_merge *m = calloc(1, sizeof(*m));

	if (!m || !(m->in = calloc(n ? n : 1, sizeof(*m->in))) || !(m->due = calloc(n ? n : 1, sizeof(*m->due))) ||
	    !(m->heap = calloc(n ? n : 1, sizeof(*m->heap))) || !(m->ifaces = afm_ifaces_new())) {
		snprintf(err, errlen, "out of memory");
		afm_merge_close(m);
		return -1;
	}
	m->n = n;
	for (size_t i = 0; i < n; i++) {
		struct input *x = &m->in[i];
		struct afm_capture *cap = afm_capture_open(paths[i], m->ifaces, err, errlen);
		int rc;

		x->path = paths[i];
		if (!cap) {
			afm_merge_close(m);
			return -1;
		}
		x->size = afm_capture_size(cap);
		x->stream = x->size == 0;	/* a regular file's size is known; a pipe's is not */
		rc = afm_capture_next(cap, &x->head);
		x->has_head = rc == AFM_CAPTURE_PACKET;
		x->first_ts = x->has_head ? x->head.ts_ns : rc == AFM_CAPTURE_EOF ? UINT64_MAX : 0;
		if (x->stream) {	/* read once only: it stays open, its first packet kept */
			m->streaming = 1;
			x->cap = cap;
			x->peeked = x->has_head ? 0 : rc;
		} else {		/* reopened when its first packet is due */
			afm_capture_close(cap);
			x->has_head = 0;
		}
		m->total += x->size;
		m->due[m->n_due++] = x;
	}
	qsort(m->due, m->n_due, sizeof(*m->due), by_first_packet);
	for (size_t i = 0; i < m->n_due; i++)
		m->due[i]->rank = i;
	*out = m;
	return 0;
}

int afm_merge_next(struct afm_merge *m, struct afm_packet *pkt, const struct afm_capture **from)
{
	if (m->last) {
		struct input *x = m->last;

		m->last = NULL;
		if (advance(m, x))
			return AFM_CAPTURE_DAMAGED;
	}
	/* Open the captures whose first packet comes before every packet waiting. */
	while (m->next_due < m->n_due) {
		struct input *x = m->due[m->next_due];

		if (m->n_heap && !before(x->first_ts, x, m->heap[0]->head.ts_ns, m->heap[0]))
			break;
		m->next_due++;
		if (x->first_ts == UINT64_MAX) {	/* no packet in it */
			finish(m, x);
			continue;
		}
		if (!x->cap) {
			char err[sizeof(m->error)];

			x->cap = afm_capture_open(x->path, m->ifaces, err, sizeof(err));
			if (!x->cap) {	/* it was readable a moment ago */
				snprintf(m->error, sizeof(m->error), "%s", err);
				finish(m, x);
				return AFM_CAPTURE_DAMAGED;
			}
		}
		if (advance(m, x))
			return AFM_CAPTURE_DAMAGED;
	}
	if (!m->n_heap)
		return AFM_CAPTURE_EOF;
	m->last = heap_pop(m);
	m->last->has_head = 0;	/* handed out: valid until its capture is read again */
	*pkt = m->last->head;
	*from = m->last->cap;
	return AFM_CAPTURE_PACKET;
}

struct afm_ifaces *afm_merge_ifaces(const struct afm_merge *m)
{
	return m->ifaces;
}

const char *afm_merge_error(const struct afm_merge *m)
{
	return m->error;
}

int afm_merge_streaming(const struct afm_merge *m)
{
	return m->streaming;
}

uint64_t afm_merge_time_jumps(const struct afm_merge *m, const char **first)
{
	*first = m->first_jump;
	return m->jumps;
}

uint64_t afm_merge_size(const struct afm_merge *m)
{
	return m->total;
}

uint64_t afm_merge_done(const struct afm_merge *m)
{
	uint64_t done = m->finished;

	for (size_t i = 0; i < m->n_heap; i++)
		if (!m->heap[i]->stream)
			done += afm_capture_offset(m->heap[i]->cap);
	if (m->last && !m->last->stream)
		done += afm_capture_offset(m->last->cap);
	return done;
}

void afm_merge_close(struct afm_merge *m)
{
	if (!m)
		return;
	for (size_t i = 0; m->in && i < m->n; i++)
		afm_capture_close(m->in[i].cap);
	free(m->in);
	free(m->due);
	free(m->heap);
	afm_ifaces_free(m->ifaces);
	free(m);
}
