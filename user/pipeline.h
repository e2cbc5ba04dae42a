/* SPDX-License-Identifier: MIT */
/*
 * The stages every run wires the same way, in the order a flow goes through them: the
 * flow engine (flow/), whose ended flows go to the row worker (features/, off the
 * packet thread), whose rows go to the sinks (output/: the file of -o, the IPFIX
 * exporter of --ipfix); and the
 * accounting of all of it. A driver (offline.c, live.c, the fuzzers) checks, opens
 * its inputs, starts the pipeline, gives the engine packet records, and closes it.
 */
#ifndef AFM_PIPELINE_H
#define AFM_PIPELINE_H

#include "accounting.h"
#include "cli.h"
#include "features/labels.h"
#include "features/row_worker.h"
#include "flow/engine.h"
#include "output/file_sink.h"
#include "output/ipfix.h"
#include "output/schema.h"
#include "output/sink.h"

#define AFM_PIPELINE_SINKS 4

struct afm_pipeline {
	const struct afm_options *opt;
	struct afm_schema schema;
	struct afm_labels labels;	/* --labels */
	struct afm_counters counters;	/* the driver's packets, the stages' flows and rows */
	struct afm_engine engine;
	struct afm_row_worker rows;
	struct afm_file_sink file;	/* -o */
	struct afm_ipfix ipfix;		/* --ipfix */
	struct afm_ipfix_dest collector;
	int has_file, has_ipfix;
	struct afm_sink sinks[AFM_PIPELINE_SINKS];
	size_t n_sinks;
	int started;			/* the outputs exist: the run is accounted for */
	int engine_ready, rows_ready;
	double t0;
};

/* What a driver tells the pipeline about its run. */
struct afm_pipeline_io {
	int stream;			/* packets come as they come (a pipe, live): rows at once */
	int threaded;			/* features and rows on a thread of their own */
	int can_wait;			/* capture files: a slow collector paces the run (else: loss) */
	afm_iface_name_fn iface_name;	/* the interface column, or NULL */
	void *iface_ctx;
	int capture_ifaces;		/* the keys' interfaces are a capture's (pcapng) ids, not ifindexes */
};

/*
 * What can be refused before anything is opened: the schema, an output that is an
 * input or another output. Prints the reason; 0 or AFM_EXIT_USAGE.
 */
int afm_pipeline_check(struct afm_pipeline *p, const struct afm_options *opt, char *const *inputs,
		       size_t n_inputs);
/* Once the inputs are open (or the hooks attached): open the outputs, start the stages.
 * Prints the reason; 0 or an exit status. */
int afm_pipeline_start(struct afm_pipeline *p, const struct afm_pipeline_io *io);
/* Live, as time passes: rows of ended flows out, rotation, SIGHUP's reopen. */
void afm_pipeline_tick(struct afm_pipeline *p);
/* A stage failed (an output error, no memory): the driver stops reading. */
int afm_pipeline_failed(struct afm_pipeline *p);
/* Rows so far into c: -o's written and lost, --ipfix's records sent and lost. */
void afm_pipeline_rows(struct afm_pipeline *p, struct afm_counters *c);
/*
 * End every open flow with end_reason, write every row, close the outputs; then the
 * summary and --stats-json (for a run that started), and free. Returns the worse of
 * status and what the stages met. For any pipeline afm_pipeline_check() was called on
 * (or one zeroed).
 */
int afm_pipeline_close(struct afm_pipeline *p, int end_reason, int status);

#endif
