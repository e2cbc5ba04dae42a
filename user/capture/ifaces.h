/* SPDX-License-Identifier: MIT */
/*
 * The interfaces of a run's pcapng captures, each given a small run-wide id: the
 * flow key's ifindex offline (docs/METERING.md, 2) and the text of the `interface`
 * column (docs/COLUMNS.md). An id is interned by the interface's link type and its
 * column text, across every capture of the run: the pieces of a capture cut in pieces
 * repeat its interfaces and get the same ids. Id 0 is a classic pcap's one link and a
 * pcapng section's unnamed first interface (column `-`).
 */
#ifndef AFM_IFACES_H
#define AFM_IFACES_H

#include <stdint.h>

#include "features/features.h"	/* AFM_INTERFACE_TEXT */

#define AFM_IFACES_MAX (1u << 20)	/* ids in a run */

struct afm_ifaces;

struct afm_ifaces *afm_ifaces_new(void);
/*
 * The id of (linktype, text), new or known; text NULL or "" is id 0. UINT32_MAX when
 * the run has AFM_IFACES_MAX already, or no memory. Called by the reading thread only.
 */
uint32_t afm_ifaces_intern(struct afm_ifaces *t, uint16_t linktype, const char *text);
/* 1 the first time it is asked for (id, linktype) in the run (a notice's once), else 0. */
int afm_ifaces_first(struct afm_ifaces *t, uint32_t id, uint16_t linktype);
/*
 * The column text of id ("-" for 0 or an id not given out): any thread, while the
 * reading thread interns (afm_iface_name_fn, ctx the table).
 */
const char *afm_ifaces_name(void *t, uint32_t id);
void afm_ifaces_free(struct afm_ifaces *t);

#endif
