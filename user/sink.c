// SPDX-License-Identifier: MIT
#include "sink.h"

void afm_sink_flow(void *ctx, struct afm_flow *flow)
{
	struct afm_sink *r = ctx;
	struct afm_row row;
	int err;

	r->counters->flows_ended[flow->end_reason]++;
	err = afm_row_compute(flow, &row, &r->scratch);
	if (!err)
		err = afm_csv_write(&r->csv, &row);
	if (!err)
		r->counters->flows_written++;
	else if (!r->error)
		r->error = err;
	afm_flow_free(flow);
}
