// SPDX-License-Identifier: MIT
/*
 * A classic pcap writer (nanosecond magic, Ethernet) with one large buffer. The file
 * is written as PATH.part and renamed to PATH when closed without error.
 */
#ifndef PCAP_OUT_H
#define PCAP_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pcap_out {
	FILE *file;
	char *path, *part;
	uint8_t *buf;
	size_t len, cap;
	uint64_t bytes;		/* written to the file so far */
};

/* Returns 0, or -1 with a message on stderr. */
int pcap_out_open(struct pcap_out *o, const char *path, uint32_t snaplen);

/* One record: ts in ns, caplen bytes of data, wire length len. */
int pcap_out_write(struct pcap_out *o, uint64_t ts, const uint8_t *data, uint32_t caplen, uint32_t len);

/*
 * Flush, close and rename into place (ok != 0), or remove the partial file (ok == 0).
 * Frees the buffers; o->bytes stays. Returns 0, or -1 with a message on stderr.
 */
int pcap_out_close(struct pcap_out *o, int ok);

#endif
