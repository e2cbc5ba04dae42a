/* SPDX-License-Identifier: MIT */
/* The CSV schema: column names, in order, and where each value lives in a row. */
#ifndef AFM_COLUMNS_H
#define AFM_COLUMNS_H

#include <stddef.h>
#include <stdint.h>

enum afm_column_kind {
	AFM_COL_FLOW_ID,	/* composed: "<timestamp>--src--sport--dst--dport" */
	AFM_COL_TEXT,		/* char array in the row */
	AFM_COL_TEXT_PTR,	/* const char * in the row */
	AFM_COL_U64,
	AFM_COL_F64,
};

struct afm_column {
	const char *name;
	uint8_t kind;
	uint16_t offset;	/* offsetof(struct afm_row, ...) */
};

struct afm_schema {
	const struct afm_column *columns;
	size_t count;
};

/* The 78 columns of the original AppFlowMeter, verbatim (docs/METERING.md, 6). */
extern const struct afm_schema afm_schema_appflowmeter;

#endif
