/* SPDX-License-Identifier: MIT */
/*
 * Where rows go: a sink takes one flow's row at a time (the CSV writer is one; JSON
 * lines and IPFIX are others) and accounts for each: written, or lost to an error of
 * its own. The row worker (features/row_worker.h) hands every row to every sink, in
 * order, from one thread.
 */
#ifndef AFM_SINK_H
#define AFM_SINK_H

#include <stddef.h>
#include <stdint.h>

struct afm_row;

struct afm_sink_ops {
	/* Take a row. 0, or -errno: the sink has failed for good (and counts its rows lost). */
	int (*write)(void *impl, const struct afm_row *row);
	/* Time passes (live): rotate, write what waits. 0 or -errno. */
	int (*tick)(void *impl);
	/* SIGHUP: end the current file at the next chance (async-signal-safe). */
	void (*request_reopen)(void *impl);
	/* Rows that reached the output, and rows an error kept from it, so far. */
	void (*rows)(void *impl, uint64_t *written, uint64_t *lost);
	/* Write what waits and close. 0, or -errno with a one-line reason in err. */
	int (*close)(void *impl, char *err, size_t errlen);
};

struct afm_sink {
	const struct afm_sink_ops *ops;
	void *impl;
};

#endif
