/* SPDX-License-Identifier: MIT */
/*
 * A row as text, in the format of -o: a CSV line (the header names the columns) or a
 * JSON line (one object per flow, keys the CSV's column names, numbers as JSON numbers
 * with the CSV's digits, text as JSON strings). The file sink (output/file_sink.h)
 * decides where the lines go.
 */
#ifndef AFM_FORMAT_H
#define AFM_FORMAT_H

#include <stddef.h>

#include "features/features.h"
#include "output/schema.h"

enum afm_format {
	AFM_FORMAT_CSV,
	AFM_FORMAT_JSONL,
};

struct afm_format_options {
	const struct afm_schema *schema;
	int format;		/* enum afm_format */
	int precision;		/* significant digits of numbers that are not whole */
};

/* The longest line a row of this schema can make, with its newline. */
size_t afm_format_line_max(const struct afm_format_options *o);
/* The header line (CSV) into buf (afm_format_line_max bytes); its length, 0 for none. */
size_t afm_format_header(const struct afm_format_options *o, char *buf);
/* The row's line into buf (afm_format_line_max bytes); its length. */
size_t afm_format_row(const struct afm_format_options *o, const struct afm_row *row, char *buf);
/* "csv" -> AFM_FORMAT_CSV, "jsonl" -> AFM_FORMAT_JSONL; -1 for anything else. */
int afm_format_parse(const char *name);

#endif
