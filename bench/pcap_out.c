// SPDX-License-Identifier: MIT
#include "pcap_out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BUF_SIZE (8u << 20)
#define MAGIC_NSEC 0xa1b23c4du
#define LINKTYPE_ETHERNET 1

static int flush(struct pcap_out *o)
{
	if (o->len && fwrite(o->buf, 1, o->len, o->file) != o->len) {
		fprintf(stderr, "gen-capture: cannot write %s: %s\n", o->part, strerror(errno));
		return -1;
	}
	o->bytes += o->len;
	o->len = 0;
	return 0;
}

/* Fields are in host byte order: readers tell it by the magic. */
static void append(struct pcap_out *o, const void *p, size_t n)
{
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

int pcap_out_open(struct pcap_out *o, const char *path, uint32_t snaplen)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t thiszone;
		uint32_t sigfigs, snaplen, linktype;
	} h = { MAGIC_NSEC, 2, 4, 0, 0, snaplen, LINKTYPE_ETHERNET };

	memset(o, 0, sizeof(*o));
	o->path = strdup(path);
	o->part = malloc(strlen(path) + 6);
	o->buf = malloc(BUF_SIZE);
	if (!o->path || !o->part || !o->buf) {
		fprintf(stderr, "gen-capture: out of memory\n");
		return -1;
	}
	sprintf(o->part, "%s.part", path);
	o->cap = BUF_SIZE;
	o->file = fopen(o->part, "wb");
	if (!o->file) {
		fprintf(stderr, "gen-capture: cannot create %s: %s\n", o->part, strerror(errno));
		return -1;
	}
	append(o, &h, sizeof(h));
	return 0;
}

int pcap_out_write(struct pcap_out *o, uint64_t ts, const uint8_t *data, uint32_t caplen, uint32_t len)
{
	uint32_t rec[4] = { (uint32_t)(ts / 1000000000), (uint32_t)(ts % 1000000000), caplen, len };

	if (o->len + sizeof(rec) + caplen > o->cap && flush(o))
		return -1;
	if (sizeof(rec) + caplen > o->cap) {
		fprintf(stderr, "gen-capture: record of %u bytes is larger than the buffer\n", caplen);
		return -1;
	}
	append(o, rec, sizeof(rec));
	append(o, data, caplen);
	return 0;
}

int pcap_out_close(struct pcap_out *o, int ok)
{
	int ret;

	if (o->file) {
		if (ok && flush(o))
			ok = 0;
		if (fclose(o->file) != 0 && ok) {
			fprintf(stderr, "gen-capture: cannot write %s: %s\n", o->part, strerror(errno));
			ok = 0;
		}
		if (ok && rename(o->part, o->path) != 0) {
			fprintf(stderr, "gen-capture: cannot rename %s to %s: %s\n", o->part, o->path,
				strerror(errno));
			ok = 0;
		}
		if (!ok)
			remove(o->part);
	}
	ret = ok ? 0 : -1;
	free(o->path);
	free(o->part);
	free(o->buf);
	o->file = NULL;
	o->path = o->part = NULL;
	o->buf = NULL;
	return ret;
}
