// SPDX-License-Identifier: MIT
/* The row worker's thread under a producer much faster than the writer, and its sinks. */
#include <criterion/criterion.h>

#include "accounting.h"
#include "features/row_worker.h"
#include "output/file_sink.h"

static struct afm_flow *one_packet_flow(int i)
{
	struct afm_flow_key key = { .ip_version = 4, .proto = 17 };
	struct afm_flow *f;

	key.port[0] = (uint16_t)i;
	f = afm_flow_new(&key, 1, 0);
	cr_assert_not_null(f);
	cr_assert_eq(afm_flow_append(f, (uint64_t)i, 60, NULL), 0);
	f->first_ns = f->last_ns = (uint64_t)i;
	f->end_reason = AFM_END_EOF;
	return f;
}

/* N flows through a CSV sink (and more sinks): the counts that come out. */
static void run(const char *path, int n, int threaded, struct afm_sink *more, size_t n_more, struct afm_counters *c,
		int *close_error, char *err, size_t errlen)
{
	struct afm_file_options opt = { .fmt = { .schema = &afm_schema_appflowmeter, .precision = 9 }, .header = 1 };
	struct afm_file_sink csv;
	struct afm_sink sinks[4];
	struct afm_row_worker w;

	memset(c, 0, sizeof(*c));
	cr_assert_eq(afm_file_open(&csv, path, &opt, err, errlen), 0, "%s", err);
	sinks[0] = afm_file_sink(&csv);
	for (size_t i = 0; i < n_more; i++)
		sinks[1 + i] = more[i];
	struct afm_row_worker_config cfg = { .sinks = sinks, .n_sinks = 1 + n_more, .flows_ended = c->flows_ended,
					     .threaded = threaded };

	cr_assert_eq(afm_row_worker_start(&w, &cfg), 0);
	for (int i = 0; i < n; i++) {
		afm_row_worker_flow(&w, one_packet_flow(i));
		if (i % 1000 == 0)
			afm_row_worker_flush(&w);	/* live mode hands over partial batches too */
	}
	afm_row_worker_stop(&w);
	*close_error = sinks[0].ops->close(sinks[0].impl, err, errlen);
	sinks[0].ops->rows(sinks[0].impl, &c->rows_written, &c->rows_lost);
	c->rows_lost += afm_row_worker_unwritten(&w);
	afm_row_worker_free(&w);
}

Test(row_worker, every_flow_is_written_once_in_order_under_pressure)
{
	struct afm_counters c;
	char err[256];
	int e;

	run("/dev/null", 100000, 1, NULL, 0, &c, &e, err, sizeof(err));
	cr_assert_eq(e, 0, "%s", err);
	cr_assert_eq(c.flows_ended[AFM_END_EOF], 100000);
	cr_assert_eq(c.rows_written, 100000);
	cr_assert_eq(c.rows_lost, 0);
}

/* An output that refuses every byte: each row is counted lost, none written. */
Test(row_worker, rows_an_output_error_keeps_out_are_counted_lost)
{
	struct afm_counters c;
	char err[256];
	int e;

	run("/dev/full", 5000, 1, NULL, 0, &c, &e, err, sizeof(err));
	cr_assert_neq(e, 0);
	cr_assert(strstr(err, "No space left on device"), "%s", err);
	cr_assert_eq(c.flows_ended[AFM_END_EOF], 5000);
	cr_assert_eq(c.rows_written, 0);
	cr_assert_eq(c.rows_lost, 5000);
}

/* A second sink gets every row too, in the same order. */
struct recorder {
	uint64_t rows, last_port, in_order;
};

static int rec_write(void *impl, const struct afm_row *row)
{
	struct recorder *r = impl;

	r->in_order += r->rows == 0 || row->src_port == r->last_port + 1;
	r->last_port = row->src_port;
	r->rows++;
	return 0;
}

static int rec_tick(void *impl)
{
	(void)impl;
	return 0;
}

static void rec_reopen(void *impl)
{
	(void)impl;
}

static void rec_rows(void *impl, uint64_t *written, uint64_t *lost)
{
	*written = ((struct recorder *)impl)->rows;
	*lost = 0;
}

static int rec_close(void *impl, char *err, size_t errlen)
{
	(void)impl;
	(void)err;
	(void)errlen;
	return 0;
}

Test(row_worker, every_sink_gets_every_row_in_order)
{
	static const struct afm_sink_ops ops = { rec_write, rec_tick, rec_reopen, rec_rows, rec_close };
	struct recorder r = { 0 };
	struct afm_sink more = { &ops, &r };
	struct afm_counters c;
	char err[256];
	int e;

	for (int threaded = 0; threaded <= 1; threaded++) {
		memset(&r, 0, sizeof(r));
		run("/dev/null", 3000, threaded, &more, 1, &c, &e, err, sizeof(err));
		cr_assert_eq(e, 0, "%s", err);
		cr_assert_eq(r.rows, 3000);
		cr_assert_eq(r.in_order, 3000);
		cr_assert_eq(c.rows_written, 3000);
	}
}
