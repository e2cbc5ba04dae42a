/* SPDX-License-Identifier: MIT */
/* The CSV writer: one line per flow, columns as the schema says. */
#ifndef AFM_CSV_H
#define AFM_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "columns.h"
#include "row.h"

struct afm_csv {
	FILE *out;
	char *path;		/* "-" for stdout */
	const struct afm_schema *schema;
	int precision;
	uint64_t rows;
	int error;		/* first write errno, 0 if none */
};

struct afm_csv_options {
	const struct afm_schema *schema;
	int precision;		/* significant digits of non-integer numbers */
	int header;		/* write the header line */
	int line_buffered;	/* flush every row (live mode on a pipe) */
};

/* Opens path ("-": stdout). On failure returns -errno with a one-line reason in err. */
int afm_csv_open(struct afm_csv *w, const char *path, const struct afm_csv_options *opt, char *err,
		 size_t errlen);
/* Returns 0 or -errno (the writer then stays failed; see afm_csv_close). */
int afm_csv_write(struct afm_csv *w, const struct afm_row *row);
/* Flushes and closes; returns 0 or -errno with the reason in err. */
int afm_csv_close(struct afm_csv *w, char *err, size_t errlen);

#endif
