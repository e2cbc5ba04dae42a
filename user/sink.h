/* SPDX-License-Identifier: MIT */
/* Ended flows -> statistics -> CSV rows: the engine's sink. */
#ifndef AFM_SINK_H
#define AFM_SINK_H

#include "counters.h"
#include "csv.h"
#include "row.h"

struct afm_sink {
	struct afm_csv csv;
	struct afm_scratch scratch;
	struct afm_counters *counters;
	int error;		/* first failure: -ENOMEM or a write -errno */
};

/* afm_flow_sink: computes the flow's row, writes it, frees the flow. */
void afm_sink_flow(void *ctx, struct afm_flow *flow);

#endif
