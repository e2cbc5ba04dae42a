/* SPDX-License-Identifier: MIT */
/*
 * The file sink of -o: one line per flow (output/format.h: CSV or JSON lines). To a file, to
 * standard output, or to a series of files (rotation): with --rotate-rows N or
 * --rotate-seconds S, OUT.csv becomes OUT.000001.csv, OUT.000002.csv, ... numbered on
 * after the highest such file already there (a file is never overwritten); each is
 * written as NAME.part and renamed when complete, so that a reader never sees half a
 * file. A reopen (SIGHUP, for logrotate) ends the current file and starts anew.
 *
 * Rows are buffered here and written with write(2), so that the writer knows which
 * rows reached the output: `rows` counts those, `rows_lost` those an output error
 * kept from it.
 */
#ifndef AFM_FILE_SINK_H
#define AFM_FILE_SINK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "features/features.h"
#include "output/format.h"
#include "output/sink.h"

struct afm_file_options {
	struct afm_format_options fmt;	/* the rows' format (CSV or JSON lines) */
	int header;		/* write the CSV header line (in every file) */
	int line_buffered;	/* write every row at once (live mode on a pipe) */
	uint64_t rotate_rows;	/* 0: no limit */
	uint64_t rotate_ns;	/* 0: no limit (wall-clock time) */
};

struct afm_file_sink {
	struct afm_file_options opt;
	int fd;			/* the current file, -1 when none is open */
	char *path;		/* "-" for stdout */
	char part[4096];	/* the file being written, while rotating */
	char *buf;		/* rows formatted, not yet written */
	size_t len, cap;
	char *line;		/* one row's line (afm_format_line_max bytes) */
	char *header;		/* the CSV header line, written at the top of each file */
	size_t header_len;
	uint64_t buf_rows;	/* whole rows in buf */
	uint64_t rows;		/* rows written in all (they reached the output) */
	uint64_t rows_lost;	/* rows an output error kept from the output */
	uint64_t file_rows;	/* ... rows in the current file */
	uint64_t opened_ns;	/* when the current file was opened */
	uint64_t seq;		/* number of the current file (rotation) */
	uint64_t files;		/* files completed */
	int rotating;
	int reopen;		/* set by afm_file_request_reopen(), any thread */
	int error;		/* first write errno, 0 if none */
	pthread_mutex_t lock;	/* rows (writer thread) against reopen and tick (main) */
};

/*
 * Opens path ("-": stdout). A single file is locked (another writer with the same
 * path is refused) and then truncated. On failure returns -errno with a one-line
 * reason in err, and leaves any existing file as it was.
 */
int afm_file_open(struct afm_file_sink *w, const char *path, const struct afm_file_options *opt, char *err,
		 size_t errlen);
/* Returns 0 or -errno (the writer then stays failed, and counts the row lost). */
int afm_file_write(struct afm_file_sink *w, const struct afm_row *row);
/* Ask for the current file to be ended and a new one begun (async-signal-safe). */
void afm_file_request_reopen(struct afm_file_sink *w);
/* Let time pass: rotates on --rotate-seconds, reopens when asked, writes what waits. */
int afm_file_tick(struct afm_file_sink *w);
/* The first error so far, as a one-line reason; "" when none. */
const char *afm_file_error(const struct afm_file_sink *w, char *buf, size_t len);
/* Writes what waits and closes (renaming the last part); 0 or -errno with the reason in err. */
int afm_file_close(struct afm_file_sink *w, char *err, size_t errlen);
/* The writer as a sink (output/sink.h), for the row worker. */
struct afm_sink afm_file_sink(struct afm_file_sink *w);

#endif
