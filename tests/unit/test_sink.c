// SPDX-License-Identifier: MIT
/* The sink's worker thread under a producer much faster than the writer. */
#include <criterion/criterion.h>

#include "sink.h"

Test(sink, every_flow_is_written_once_in_order_under_pressure)
{
	struct afm_counters counters = { 0 };
	struct afm_sink sink = { .counters = &counters };
	struct afm_csv_options opt = { .schema = &afm_schema_appflowmeter, .precision = 9, .header = 1 };
	char err[256];
	enum { N = 100000 };

	cr_assert_eq(afm_csv_open(&sink.csv, "/dev/null", &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(afm_sink_start(&sink, 1), 0);
	for (int i = 0; i < N; i++) {
		struct afm_flow_key key = { .ip_version = 4, .proto = 17 };
		struct afm_flow *f;

		key.port[0] = (uint16_t)i;
		f = afm_flow_new(&key, 1);
		cr_assert_not_null(f);
		cr_assert_eq(afm_flow_append(f, (uint64_t)i, 60), 0);
		f->first_ns = f->last_ns = (uint64_t)i;
		f->end_reason = AFM_END_EOF;
		afm_sink_flow(&sink, f);
		if (i % 1000 == 0)
			afm_sink_flush(&sink);	/* live mode hands over partial batches too */
	}
	cr_assert_eq(afm_sink_stop(&sink), 0);
	cr_assert_eq(counters.flows_ended[AFM_END_EOF], N);
	cr_assert_eq(afm_csv_close(&sink.csv, err, sizeof(err)), 0);
	afm_sink_rows(&sink, &counters);
	cr_assert_eq(counters.rows_written, N);
	cr_assert_eq(counters.rows_lost, 0);
	afm_scratch_free(&sink.scratch);
}

/* An output that refuses every byte: each row is counted lost, none written. */
Test(sink, rows_an_output_error_keeps_out_are_counted_lost)
{
	struct afm_counters counters = { 0 };
	struct afm_sink sink = { .counters = &counters };
	struct afm_csv_options opt = { .schema = &afm_schema_appflowmeter, .precision = 9, .header = 1 };
	char err[256];
	enum { N = 5000 };

	cr_assert_eq(afm_csv_open(&sink.csv, "/dev/full", &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(afm_sink_start(&sink, 1), 0);
	for (int i = 0; i < N; i++) {
		struct afm_flow_key key = { .ip_version = 4, .proto = 17 };
		struct afm_flow *f;

		key.port[0] = (uint16_t)i;
		f = afm_flow_new(&key, 1);
		cr_assert_not_null(f);
		cr_assert_eq(afm_flow_append(f, (uint64_t)i, 60), 0);
		f->first_ns = f->last_ns = (uint64_t)i;
		f->end_reason = AFM_END_EOF;
		afm_sink_flow(&sink, f);
	}
	afm_sink_stop(&sink);
	cr_assert_neq(afm_csv_close(&sink.csv, err, sizeof(err)), 0);
	cr_assert(strstr(err, "No space left on device"), "%s", err);
	afm_sink_rows(&sink, &counters);
	cr_assert_eq(counters.flows_ended[AFM_END_EOF], N);
	cr_assert_eq(counters.rows_written, 0);
	cr_assert_eq(counters.rows_lost, N);
	afm_scratch_free(&sink.scratch);
}
