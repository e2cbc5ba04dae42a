/* SPDX-License-Identifier: MIT */
/*
 * pcapng captures, read here rather than by libpcap (which gives a whole capture one
 * link type): every interface with its own link type, snapshot length, time
 * resolution and offset, several sections each with its own byte order and
 * interfaces, and each interface's name and id (capture/ifaces.h). Two backends hand
 * the same checks each block: a mapped file (blocks read in place) and a stdio stream
 * (a pipe, or a decompressor). libpcap 1.10.3's checks and messages are kept for every
 * file it reads (docs/METERING.md, 0).
 */
#ifndef AFM_PCAPNG_H
#define AFM_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"
#include "capture/ifaces.h"

#define AFM_PCAPNG_MAGIC 0x0a0d0d0au	/* a Section Header Block: the same in both byte orders */
#define AFM_PCAPNG_MAX_BLOCK (16u << 20)	/* libpcap's limit */
#define AFM_PCAPNG_MAX_IFACES 65536u	/* in a section */

struct afm_pcapng;

/*
 * Read a pcapng capture up to its first Interface Description Block, from map (size
 * bytes, read in place) or, when map is NULL, from in (not owned). path names it in
 * notices. NULL with libpcap's message for the same file in err ("unknown file
 * format", "truncated ...", ...).
 */
struct afm_pcapng *afm_pcapng_open(const uint8_t *map, uint64_t size, FILE *in, struct afm_ifaces *ifaces,
				   const char *path, char *err, size_t errlen);
/* The first interface's link (enum afm_link), or -1 and its link type in *linktype. */
int afm_pcapng_first_link(const struct afm_pcapng *r, uint32_t *linktype);
/*
 * The next packet (data valid until the next call): 1; 0 at the end; -1 when the rest
 * cannot be read, the reason in err and, read in place, the offset of the block in *at.
 */
int afm_pcapng_next(struct afm_pcapng *r, struct afm_packet *pkt, char *err, size_t errlen, uint64_t *at);
/* Bytes of the capture read (in place: the offset of the next block). */
uint64_t afm_pcapng_offset(const struct afm_pcapng *r);
void afm_pcapng_close(struct afm_pcapng *r);

#endif
