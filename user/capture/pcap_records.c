// SPDX-License-Identifier: MIT
#include "capture/pcap_records.h"

#include <stdio.h>
#include <string.h>

#define MAGIC_MICRO 0xa1b2c3d4u
#define MAGIC_NANO 0xa1b23c4du
#define MAGIC_KUZNETZOV 0xa1b2cd34u	/* 24-byte record headers */
#define FILE_HEADER 24

static uint32_t swap32(uint32_t v)
{
	return __builtin_bswap32(v);
}

static uint32_t word(const struct afm_pcap_records *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swapped ? swap32(v) : v;
}

int afm_pcap_records_init(struct afm_pcap_records *r, pcap_t *p, const uint8_t *map, uint64_t size)
{
	uint32_t magic;

	memset(r, 0, sizeof(*r));
	if (!map || size < FILE_HEADER)
		return 0;
	memcpy(&magic, map, 4);
	if (magic != MAGIC_MICRO && magic != MAGIC_NANO && magic != MAGIC_KUZNETZOV) {
		magic = swap32(magic);
		if (magic != MAGIC_MICRO && magic != MAGIC_NANO && magic != MAGIC_KUZNETZOV)
			return 0;	/* pcapng */
		r->swapped = 1;
	}
	int major = pcap_major_version(p), minor = pcap_minor_version(p);

	r->map = map;
	r->size = size;
	r->pos = FILE_HEADER;
	r->hdrsize = magic == MAGIC_KUZNETZOV ? 24 : 16;
	r->snapshot = (uint32_t)pcap_snapshot(p);
	r->nano = magic == MAGIC_NANO;
	/* version 2.3 interchanged caplen and len; some files have 2.3 and the old order */
	r->lengths = (major == 2 && minor < 3) || major == 543 ? 1 : major == 2 && minor == 3 ? 2 : 0;
	return 1;
}

int afm_pcap_records_next(struct afm_pcap_records *r, struct pcap_pkthdr *h, const uint8_t **data, char *err,
			  size_t errlen, uint64_t *offset)
{
	uint64_t left = r->size - r->pos;
	const uint8_t *rec = r->map + r->pos;

	if (left == 0)
		return 0;
	/* The records ahead are read next: a new page of the mapping does not wait for memory. */
	__builtin_prefetch(rec + 1024);
	if (left < r->hdrsize) {
		snprintf(err, errlen, "truncated dump file; tried to read %u header bytes, only got %llu", r->hdrsize,
			 (unsigned long long)left);
		*offset = r->size;
		return -1;
	}
	/* as libpcap: the header's fields are signed 32-bit seconds and (micro|nano)seconds */
	h->ts.tv_sec = (int32_t)word(r, rec);
	h->ts.tv_usec = (int32_t)word(r, rec + 4);
	if (!r->nano)
		h->ts.tv_usec *= 1000;	/* nanoseconds, as the capture was opened */
	h->caplen = word(r, rec + 8);
	h->len = word(r, rec + 12);
	if (r->lengths == 1 || (r->lengths == 2 && h->caplen > h->len)) {
		uint32_t t = h->caplen;

		h->caplen = h->len;
		h->len = t;
	}
	r->pos += r->hdrsize;
	left -= r->hdrsize;
	if (h->caplen > AFM_PCAP_MAX_CAPLEN) {
		if (h->caplen > r->snapshot)
			snprintf(err, errlen, "invalid packet capture length %u, bigger than snaplen of %d", h->caplen,
				 (int)r->snapshot);
		else
			snprintf(err, errlen, "invalid packet capture length %u, bigger than maximum of %u", h->caplen,
				 AFM_PCAP_MAX_CAPLEN);
		*offset = r->pos;
		return -1;
	}
	if (h->caplen > r->snapshot) {
		/* the first snapshot bytes, the rest passed over (libpcap's rule) */
		if (left < h->caplen) {
			if (left < r->snapshot)
				snprintf(err, errlen, "truncated dump file; tried to read %u captured bytes, only got %llu",
					 r->snapshot, (unsigned long long)left);
			else
				snprintf(err, errlen, "truncated dump file; tried to read %u captured bytes, only got %llu",
					 h->caplen, (unsigned long long)left);
			*offset = r->size;
			return -1;
		}
		*data = r->map + r->pos;
		r->pos += h->caplen;
		h->caplen = r->snapshot;
		return 1;
	}
	if (left < h->caplen) {
		snprintf(err, errlen, "truncated dump file; tried to read %u captured bytes, only got %llu", h->caplen,
			 (unsigned long long)left);
		*offset = r->size;
		return -1;
	}
	*data = r->map + r->pos;
	r->pos += h->caplen;
	return 1;
}
