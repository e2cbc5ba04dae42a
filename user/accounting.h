/* SPDX-License-Identifier: MIT */
/*
 * Accounting: every packet read is metered, skipped (with its reason) or lost (with its
 * reason); every flow ended is a row written or a row lost. The summary at exit prints
 * them all.
 */
#ifndef AFM_ACCOUNTING_H
#define AFM_ACCOUNTING_H

#include <stdint.h>
#include <stdio.h>

#include "afm_record.h"
#include "flow/flow.h"

enum afm_loss {
	AFM_LOST_NO_MEMORY = 0,	/* user space could not allocate for the packet */
	AFM_LOST_RINGBUF,	/* the kernel's ring buffer was full */
	AFM_LOSS_COUNT,
};

struct afm_counters {
	uint64_t packets;			/* read from the capture or seen by the kernel */
	uint64_t bytes;				/* their wire length */
	uint64_t metered;
	uint64_t skipped[AFM_VERDICT_COUNT];	/* index: enum afm_verdict (0 unused) */
	uint64_t lost[AFM_LOSS_COUNT];
	uint64_t flows_ended[AFM_END_COUNT];	/* by end reason */
	uint64_t rows_written;			/* rows that reached the output */
	uint64_t rows_lost;			/* rows of ended flows an error kept from it */
	uint64_t export_sent;			/* --ipfix: records handed to the network */
	uint64_t export_lost;			/* ... records the collector could not be given */
	int has_file;				/* -o: rows_* count */
	const char *collector;			/* --ipfix URL: export_* count; NULL: none */
	uint64_t flows_open;			/* still open (live status) */
	uint64_t flows_open_max;		/* the most open at once */
	uint64_t sample_bytes, samples;		/* per-flow sample storage: bytes held, samples */
	double seconds;				/* wall-clock time of the run */
	int stopped_by;				/* SIGINT or SIGTERM stopped the run, else 0 */
	int segments_on;			/* --segments: the three below are reported */
	uint64_t superframes, segments;		/* super-frames split, the segments they made */
	uint64_t gso_segs_mismatch;		/* ... of which the kernel's gso_segs said another count */
};

const char *afm_verdict_name(int verdict);
uint64_t afm_counters_ended(const struct afm_counters *c);
const char *afm_loss_name(int loss);
uint64_t afm_counters_skipped(const struct afm_counters *c);
uint64_t afm_counters_lost(const struct afm_counters *c);
/* "N rows written, M lost" (-o) and "N exported to URL, M export lost" (--ipfix), after lead. */
void afm_counters_print_rows(const struct afm_counters *c, FILE *f, const char *lead);
/* The human summary, a few lines on f. */
void afm_counters_print(const struct afm_counters *c, FILE *f);
/* The same as one JSON object (--stats-json; "-": a line on stdout); 0 or -errno. */
int afm_counters_write_json(const struct afm_counters *c, const char *path);
/*
 * The end of a run: the summary on stderr (unless quiet) and --stats-json (when a
 * path). Returns status, or AFM_EXIT_OUTPUT when it was 0 and the JSON cannot be
 * written.
 */
int afm_counters_report(const struct afm_counters *c, int quiet, const char *stats_json, int status);

#endif
