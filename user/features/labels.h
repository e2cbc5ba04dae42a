/* SPDX-License-Identifier: MIT */
/*
 * --labels FILE: the label of a flow from rules over its first packet's time, its
 * endpoints, ports and protocol (docs/COLUMNS.md, "Labels from rules"). The first rule
 * that matches wins.
 */
#ifndef AFM_LABELS_H
#define AFM_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "afm_record.h"

struct afm_label_net {
	uint8_t any;		/* `*` */
	uint8_t version;	/* 4 or 6 */
	uint8_t prefix;		/* bits */
	uint8_t addr[16];	/* IPv4 in the first 4 bytes, as in a flow key */
};

struct afm_label_rule {
	uint64_t start_ns, end_ns;	/* [start, end), ns since the epoch; `*`: 0, UINT64_MAX */
	struct afm_label_net net[2];	/* src, dst */
	uint16_t port_lo, port_hi;	/* `*`: 0-65535 */
	int16_t proto;			/* -1: `*` */
	const char *label;		/* in the rules' own memory */
};

struct afm_labels {
	struct afm_label_rule *rules;
	size_t count;
	char *text;			/* the file, its labels cut out in place */
};

/*
 * Read the rules of path. 0, or -1 with "PATH: line N: what is wrong, and the form
 * expected" (or why the file cannot be read) in err.
 */
int afm_labels_load(struct afm_labels *l, const char *path, char *err, size_t errlen);
/* The same from text (malloc'd, NUL-terminated; the rules own it from then on, even on failure). */
int afm_labels_parse(struct afm_labels *l, char *text, const char *path, char *err, size_t errlen);
/* The label of the first rule that the flow (its key, its first packet's time) matches, or NULL. */
const char *afm_labels_match(const struct afm_labels *l, const struct afm_flow_key *key, uint64_t first_ns);
void afm_labels_free(struct afm_labels *l);
/* A label of --label or of a rule: 1 to AFM_LABEL_MAX bytes of UTF-8, without commas, quotes or line breaks. */
int afm_label_valid(const char *s);

#endif
