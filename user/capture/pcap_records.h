/* SPDX-License-Identifier: MIT */
/*
 * The records of a classic pcap file read in place from its mapping, without copying
 * a byte: what libpcap hands out for the same file (pcap_next_ex over a FILE), the same
 * lengths, times, truncation rules and errors, for a file libpcap has opened and
 * validated the header of. Pipes and compressed classic captures stay with libpcap;
 * pcapng is pcapng.c's.
 */
#ifndef AFM_PCAP_RECORDS_H
#define AFM_PCAP_RECORDS_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

/*
 * libpcap's largest sane captured length (MAXIMUM_SNAPLEN) for every link type the
 * meter reads: a record that claims more is damage.
 */
#define AFM_PCAP_MAX_CAPLEN 262144

struct afm_pcap_records {
	const uint8_t *map;
	uint64_t size, pos;	/* the file, and the offset of the next record */
	uint32_t hdrsize;	/* 16, or 24 for Kuznetzov's modified format */
	uint32_t snapshot;	/* pcap_snapshot() */
	int swapped;		/* written in the other byte order */
	int nano;		/* nanosecond timestamps */
	int lengths;		/* caplen and len: 0 as they are, 1 swapped, 2 maybe (version 2.3) */
};

/*
 * For a file of size bytes mapped at map that libpcap opened as p: 1 when it is a
 * classic pcap file (its records are read here from then on), 0 when it is not.
 */
int afm_pcap_records_init(struct afm_pcap_records *r, pcap_t *p, const uint8_t *map, uint64_t size);
/*
 * The next record: 1 with *h and *data (pointing into the mapping), 0 at the end, -1
 * when the file is damaged (libpcap's message in err, the offset libpcap would be at
 * in *offset).
 */
int afm_pcap_records_next(struct afm_pcap_records *r, struct pcap_pkthdr *h, const uint8_t **data, char *err,
			  size_t errlen, uint64_t *offset);

#endif
