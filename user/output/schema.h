/* SPDX-License-Identifier: MIT */
/* The CSV schema: column names, in order, and where each value lives in a row. */
#ifndef AFM_SCHEMA_H
#define AFM_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

enum afm_column_kind {
	AFM_COL_FLOW_ID,	/* composed: "<timestamp>--src--sport--dst--dport" */
	AFM_COL_TEXT,		/* char array in the row */
	AFM_COL_TEXT_PTR,	/* const char * in the row */
	AFM_COL_U64,
	AFM_COL_F64,
	AFM_COL_DEC,		/* struct afm_dec: an exact decimal */
	/* --first-packets: row->first; offset is the packet's index, or AFM_COL_ALL for an array */
	AFM_COL_FIRST_DIR,	/* 0 receiving, 1 sending, -1 past the flow's last packet */
	AFM_COL_FIRST_LEN,	/* wire length, or -1 */
	AFM_COL_FIRST_PIAT,	/* seconds since the packet before (0 for the first), or -1 */
};

#define AFM_COL_ALL 0xffff

/* --first-packets-layout */
enum afm_first_layout {
	AFM_FIRST_ARRAYS = 0,	/* splt_direction, splt_ps, splt_piat: [v1,...,vN] each */
	AFM_FIRST_COLUMNS,	/* splt_direction_1 ... splt_direction_N, splt_ps_1 ..., splt_piat_1 ... */
};

struct afm_column {
	const char *name;
	uint8_t kind;
	uint16_t offset;	/* offsetof(struct afm_row, ...) */
	const char *json;	/* its key in JSON lines when not its name (a name twice), else NULL */
};

struct afm_schema {
	const struct afm_column *columns;
	size_t count;
	struct afm_column *owned;	/* built by afm_schema_build(), else NULL */
	unsigned first_packets;		/* --first-packets N: the packets its columns hold */
	char *names;			/* the names of the columns layout's columns */
	uint8_t detail;			/* a CIC schema: flows keep their samples' details */
	int8_t time_exp;		/* its time unit: -9 seconds, -3 microseconds (from ns) */
};

/* The CIC schemas' columns (docs/CIC.md), at most this many. */
#define AFM_CIC_COLUMNS_MAX 94

/* The columns of CIC schema name ("cic", "cic-ids2017", "cic-ids2018") into out; how many, or -1. */
int afm_schema_cic(struct afm_column *out, const char *name);

/* The 78 columns of the original AppFlowMeter, verbatim (docs/METERING.md, 6). */
extern const struct afm_schema afm_schema_appflowmeter;
/* The 78, then the columns of docs/COLUMNS.md. */
extern const struct afm_schema afm_schema_extended;

/*
 * A schema from the command line: base "appflowmeter", "extended" or a CIC schema; or, when list is
 * not NULL, the comma-separated columns it names, in its order (any column of the
 * extended schema); with_label appends `label` when the schema lacks it. 0, or -1 with
 * a one-line reason (listing the valid names for an unknown one) in err.
 */
int afm_schema_build(struct afm_schema *out, const char *base, const char *list, int with_label, char *err,
		     size_t errlen);
/*
 * --first-packets N (1 to 255): the first packets' columns after those of the schema
 * built, in the layout given. 0, or -1 with the reason in err.
 */
int afm_schema_first_packets(struct afm_schema *s, unsigned n, int layout, char *err, size_t errlen);
void afm_schema_free(struct afm_schema *s);
/* A column of the extended schema by name, or NULL. */
const struct afm_column *afm_column_find(const char *name);
/* A column's number in docs/COLUMNS.md (1 to 113), 0 for an unknown name. */
int afm_column_number(const char *name);

#endif
