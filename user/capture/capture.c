// SPDX-License-Identifier: MIT
#include "capture/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afm_record.h"
#include "capture/decompress.h"
#include "capture/pcap_records.h"
#include "capture/pcapng.h"
#include "output/text.h"

struct afm_capture {
	pcap_t *pcap;		/* a classic pcap */
	struct afm_pcapng *ng;	/* or a pcapng */
	FILE *file;		/* owned by pcap once opened */
	void *map;		/* the file mapped, when libpcap reads it from memory */
	struct afm_stream *stream;	/* compressed, or a pipe: what libpcap reads (owned by file) */
	enum afm_codec codec;
	struct afm_pcap_records records;	/* a mapped classic pcap: read here, not by libpcap */
	int own_records;
	uint64_t unmapped;	/* bytes at the start of map already given back */
	uint64_t populated;	/* bytes at the start of map in the page tables already */
	uint64_t packets;	/* records read */
	uint64_t clock;		/* the largest timestamp so far */
	uint64_t jumps;		/* records more than a day away from the ones before */
	char first_jump[160];
	char *path;
	uint64_t size;
	int link;
	char error[PCAP_ERRBUF_SIZE + 256];
};

int afm_capture_stream_files;

/* libpcap DLT -> the parser's link framing, or -1 when unsupported. */
static int link_of_dlt(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
		return AFM_LINK_ETHERNET;
	case DLT_LINUX_SLL:
		return AFM_LINK_SLL;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		return AFM_LINK_SLL2;
#endif
	case DLT_RAW:
	case 14:	/* DLT_RAW on OpenBSD-written files */
	case 101:	/* LINKTYPE_RAW, should libpcap pass it through */
#ifdef DLT_IPV4
	case DLT_IPV4:
#endif
#ifdef DLT_IPV6
	case DLT_IPV6:
#endif
		return AFM_LINK_RAW;
	case DLT_NULL:
	case DLT_LOOP:
		return AFM_LINK_NULL;
	default:
		return -1;
	}
}

static void unsupported_link(char *err, size_t errlen, const char *path, int type, const char *name)
{
	snprintf(err, errlen,
		 "%s: unsupported link type %d (%s); supported: Ethernet, Linux SLL/SLL2, raw IPv4/IPv6, BSD loopback",
		 path, type, name ? name : "unknown");
}

/* Reword libpcap's (and pcapng.c's) open errors; keep the text where it is already specific. */
static void explain_open_error(const struct afm_capture *c, const char *pcap_err, char *err, size_t errlen)
{
	const char *damage = c->stream ? afm_stream_error(c->stream) : NULL;
	char inside[64] = "";

	if (c->codec != AFM_CODEC_NONE)
		snprintf(inside, sizeof(inside), " inside its %s compression", afm_codec_name(c->codec));
	if (damage)
		snprintf(err, errlen, "%s: not a complete capture: %s", c->path, damage);
	else if (strstr(pcap_err, "unknown file format"))
		snprintf(err, errlen, "%s: not a pcap or pcapng capture%s (unknown file format)", c->path, inside);
	else if (strstr(pcap_err, "truncated"))
		snprintf(err, errlen, "%s: not a complete capture%s: %s", c->path, inside, pcap_err);
	else
		snprintf(err, errlen, "%s: cannot read capture: %s", c->path, pcap_err);
}

/* Read up to n bytes from fd (a pipe may give them in pieces). Bytes read, or -1. */
static ssize_t read_full(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);

		if (r < 0)	/* also EINTR: SIGINT and SIGTERM stop the reading */
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/*
 * A stream of what descriptor fd holds, decompressed when its first bytes say so
 * (*codec). The stream owns fd from then on; NULL with errno set (fd still the caller's).
 */
static FILE *descriptor_stream(int fd, struct afm_stream **s, enum afm_codec *codec)
{
	uint8_t magic[AFM_CODEC_MAGIC_MAX];
	ssize_t n = read_full(fd, magic, sizeof(magic));

	if (n < 0)
		return NULL;
	*codec = afm_codec_of(magic, (size_t)n);
	return afm_stream_open(s, *codec, NULL, 0, fd, magic, (size_t)n);
}

/*
 * What libpcap reads: a regular file mapped and handed over as a memory stream (its
 * reads become copies from the page cache, without a read() system call each), or
 * decompressed from the mapping; anything else (a pipe) through a stream that reads
 * its descriptor, decompressing when its first bytes say so. f is consumed. NULL with
 * the reason in err.
 */
static FILE *input_stream(struct afm_capture *c, FILE *f, char *err, size_t errlen)
{
	FILE *in = NULL;

	if (c->size && !afm_capture_stream_files) {
		c->map = mmap(NULL, c->size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
		if (c->map == MAP_FAILED)
			c->map = NULL;
	}
	if (c->map) {
		madvise(c->map, c->size, MADV_SEQUENTIAL);
		c->codec = afm_codec_of(c->map, c->size);
		in = c->codec == AFM_CODEC_NONE
			     ? fmemopen(c->map, c->size, "rb")
			     : afm_stream_open(&c->stream, c->codec, c->map, c->size, -1, NULL, 0);
		if (in) {
			fclose(f);
			return in;
		}
		munmap(c->map, c->size);
		c->map = NULL;
		c->stream = NULL;
		c->codec = AFM_CODEC_NONE;
	}
	int fd = dup(fileno(f));

	fclose(f);
	in = fd < 0 ? NULL : descriptor_stream(fd, &c->stream, &c->codec);
	if (!in) {
		snprintf(err, errlen, "cannot read capture %s: %s", c->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		c->stream = NULL;
		c->codec = AFM_CODEC_NONE;
		return NULL;
	}
	setvbuf(in, NULL, _IOFBF, 1 << 20);
	return in;
}

/*
 * Does what f reads (or the mapping) start with a pcapng Section Header Block? A
 * stream's first bytes are read and put back for libpcap.
 */
static int is_pcapng(const struct afm_capture *c, FILE *f)
{
	uint8_t b[4];
	uint32_t magic;

	if (c->map && !c->stream) {
		if (c->size < 4)
			return 0;
		memcpy(&magic, c->map, 4);
		return magic == AFM_PCAPNG_MAGIC;
	}
	size_t n = fread(b, 1, sizeof(b), f);

	for (size_t i = n; i > 0; i--)
		ungetc(b[i - 1], f);
	memcpy(&magic, b, 4);
	return n == 4 && magic == AFM_PCAPNG_MAGIC;
}

static void free_capture(struct afm_capture *c)
{
	if (c->pcap)
		pcap_close(c->pcap);	/* closes c->file */
	else if (c->file)
		fclose(c->file);
	afm_pcapng_close(c->ng);
	if (c->map)
		munmap(c->map, c->size);
	free(c->path);
	free(c);
}

/* A pcapng capture (f consumed): our reader, read in place when it is mapped and plain. */
static struct afm_capture *open_pcapng(struct afm_capture *c, FILE *f, struct afm_ifaces *ifaces, char *err,
				       size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	uint32_t linktype;

	c->file = f;
	c->ng = c->map && !c->stream ? afm_pcapng_open(c->map, c->size, NULL, ifaces, c->path, perr, sizeof(perr))
				     : afm_pcapng_open(NULL, 0, f, ifaces, c->path, perr, sizeof(perr));
	if (!c->ng) {
		explain_open_error(c, perr, err, errlen);
		free_capture(c);
		return NULL;
	}
	c->link = afm_pcapng_first_link(c->ng, &linktype);
	if (c->link < 0) {
		const char *name = pcap_datalink_val_to_name((int)linktype);

		unsupported_link(err, errlen, c->path, (int)linktype, name);
		free_capture(c);
		return NULL;
	}
	return c;
}

struct afm_capture *afm_capture_open(const char *path, struct afm_ifaces *ifaces, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct afm_capture *c;
	struct stat st;
	FILE *f;

	f = strcmp(path, "-") == 0 ? fdopen(dup(STDIN_FILENO), "rb") : fopen(path, "rb");
	if (!f) {
		int e = errno;

		snprintf(err, errlen, "cannot open capture %s: %s%s", path, strerror(e),
			 e == EACCES ? " (run as a user who can read it)" : "");
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0) {
		snprintf(err, errlen, "cannot stat capture %s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot read capture %s: it is a directory", path);
		fclose(f);
		return NULL;
	}
	if (S_ISREG(st.st_mode) && st.st_size == 0) {
		snprintf(err, errlen, "%s: empty file (0 bytes), not a capture", path);
		fclose(f);
		return NULL;
	}

	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(c);
		fclose(f);
		return NULL;
	}
	c->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	f = input_stream(c, f, err, errlen);
	if (!f) {
		free(c->path);
		free(c);
		return NULL;
	}
	if (is_pcapng(c, f))
		return open_pcapng(c, f, ifaces, err, errlen);
	c->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!c->pcap) {
		explain_open_error(c, perr, err, errlen);
		fclose(f);
		if (c->map)
			munmap(c->map, c->size);
		free(c->path);
		free(c);
		return NULL;
	}
	c->file = f;
	c->link = link_of_dlt(pcap_datalink(c->pcap));
	if (c->link < 0) {
		unsupported_link(err, errlen, path, pcap_datalink(c->pcap),
				 pcap_datalink_val_to_name(pcap_datalink(c->pcap)));
		afm_capture_close(c);
		return NULL;
	}
	/* libpcap has checked the file header; a classic pcap's records are read in place */
	if (c->map && !c->stream)
		c->own_records = afm_pcap_records_init(&c->records, c->pcap, c->map, c->size);
	return c;
}

/* A timestamp far from the capture's others is damage: it moves the capture clock. */
static void check_time(struct afm_capture *c, uint64_t t)
{
	const uint64_t day = 86400ULL * 1000000000ULL;

	if (c->clock && (t > c->clock + day || t + day < c->clock) && c->jumps++ == 0) {
		char when[AFM_TIME_TEXT];

		afm_fmt_time(when, t);
		snprintf(c->first_jump, sizeof(c->first_jump), "record %llu at %s UTC, %.0f days %s the records before it",
			 (unsigned long long)c->packets, when,
			 (double)(t > c->clock ? t - c->clock : c->clock - t) / 864e11, t > c->clock ? "after" : "before");
	}
	if (t > c->clock)
		c->clock = t;
}

/*
 * Enter the pages ahead of the reader into the page tables a few MiB at a time, with
 * one system call, instead of a page fault every 64 KiB (each about 10 us in a virtual
 * machine); then the prefetches of the records ahead find them. Linux 5.14 and later:
 * before, the call fails and the pages fault in as they are read.
 */
#define POPULATE_AHEAD (2u << 20)
#define POPULATE_STEP (4u << 20)

static void populate_ahead(struct afm_capture *c)
{
	if (afm_capture_offset(c) + POPULATE_AHEAD <= c->populated || c->populated >= c->size)
		return;
	uint64_t len = c->size - c->populated < POPULATE_STEP ? c->size - c->populated : POPULATE_STEP;

	madvise((char *)c->map + c->populated, len, MADV_POPULATE_READ);
	c->populated += len;
}

#define GIVE_BACK (16u << 20)	/* bytes of pages read, given back at once */

/* A record was read: the mapping's pages ahead entered, those behind given back. */
static void packet_read(struct afm_capture *c)
{
	if (c->map)
		populate_ahead(c);
	/* Give back the pages read (they stay in the page cache): the meter's
	 * resident memory stays its own, however large the capture. GIVE_BACK at a
	 * time: each call flushes the TLBs of every CPU the meter's threads run on. */
	if (c->map && (c->packets & 0x3fff) == 0) {
		uint64_t off = afm_capture_offset(c) & ~(uint64_t)0xfffff;

		if (off >= c->unmapped + GIVE_BACK) {
			madvise((char *)c->map + c->unmapped, off - c->unmapped, MADV_DONTNEED);
			c->unmapped = off;
		}
	}
	c->packets++;
}

/*
 * A stream's end: the end of the capture (clean, and the decompressor has no error),
 * or damage, why (the decompressor's reason first) and where: a compressed file's
 * offset is where the decoder stopped.
 */
static int stream_end(struct afm_capture *c, int clean, const char *why)
{
	const char *damage = c->stream ? afm_stream_error(c->stream) : NULL;

	if (clean && !damage)
		return AFM_CAPTURE_EOF;
	snprintf(c->error, sizeof(c->error), "%s: damaged at byte %llu%s: %s", c->path,
		 (unsigned long long)afm_capture_offset(c), c->codec ? " of the compressed file" : "",
		 damage ? damage : why);
	return AFM_CAPTURE_DAMAGED;
}

/* The next packet of a pcapng capture; damage read in place is named at its block. */
static int next_pcapng(struct afm_capture *c, struct afm_packet *pkt)
{
	char why[PCAP_ERRBUF_SIZE];
	uint64_t at;
	int ret = afm_pcapng_next(c->ng, pkt, why, sizeof(why), &at);

	if (ret == 1) {
		packet_read(c);
		check_time(c, pkt->ts_ns);
		return AFM_CAPTURE_PACKET;
	}
	if (ret < 0 && c->map && !c->stream) {
		snprintf(c->error, sizeof(c->error), "%s: damaged at byte %llu: %s", c->path, (unsigned long long)at,
			 why);
		return AFM_CAPTURE_DAMAGED;
	}
	return stream_end(c, ret == 0, why);
}

int afm_capture_next(struct afm_capture *c, struct afm_packet *pkt)
{
	struct pcap_pkthdr own, *h;
	const u_char *data;
	int ret;

	if (c->ng)
		return next_pcapng(c, pkt);
	if (c->own_records) {
		uint64_t at;
		char why[PCAP_ERRBUF_SIZE];

		h = &own;
		ret = afm_pcap_records_next(&c->records, h, &data, why, sizeof(why), &at);
		if (ret < 0) {
			snprintf(c->error, sizeof(c->error), "%s: damaged at byte %llu: %s", c->path,
				 (unsigned long long)at, why);
			return AFM_CAPTURE_DAMAGED;
		}
		if (ret == 0)
			return AFM_CAPTURE_EOF;
	} else {
		ret = pcap_next_ex(c->pcap, &h, &data);
	}

	if (ret == 1) {
		packet_read(c);
		pkt->data = data;
		pkt->caplen = h->caplen;
		pkt->wire_len = h->len;
		/* With nanosecond precision libpcap puts nanoseconds in tv_usec. A pcap
		 * record's seconds are an unsigned 32-bit number that libpcap reads as
		 * signed: from 2038 on they come negative. */
		int64_t sec = (int64_t)h->ts.tv_sec;

		if (sec < 0)
			sec = (int64_t)(uint32_t)sec;
		pkt->ts_ns = (uint64_t)sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
		pkt->link = c->link;
		pkt->iface = 0;
		check_time(c, pkt->ts_ns);
		return AFM_CAPTURE_PACKET;
	}
	return stream_end(c, ret == PCAP_ERROR_BREAK, pcap_geterr(c->pcap));
}

const char *afm_capture_error(const struct afm_capture *c)
{
	return c->error;
}

uint64_t afm_capture_records(const struct afm_capture *c)
{
	return c->packets;
}

uint64_t afm_capture_time_jumps(const struct afm_capture *c, const char **first)
{
	*first = c->first_jump;
	return c->jumps;
}

/* Do the first 4 bytes of b open a capture (a pcap or pcapng magic number)? */
static int capture_magic(const unsigned char *b)
{
	static const uint32_t magics[] = {
		0xa1b2c3d4, 0xa1b23c4d,	/* pcap, microseconds and nanoseconds */
		0xa1b2cd34, 0xa1b234cd,	/* modified pcap (Kuznetzov, FMESQUITA) */
		0xa12b3c4d,		/* Navtel */
		0x0a0d0d0a,		/* pcapng section header (the same in both byte orders) */
	};
	uint32_t be = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	uint32_t le = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];

	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (be == magics[i] || le == magics[i])
			return 1;
	return 0;
}

int afm_capture_sniff(const char *path)
{
	/* compressed or not: a capture when what it holds starts like one */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct afm_stream *s;
	enum afm_codec codec;
	FILE *in = fd < 0 ? NULL : descriptor_stream(fd, &s, &codec);
	unsigned char b[4];

	if (!in) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return -e;
	}
	size_t n = fread(b, 1, sizeof(b), in);

	fclose(in);
	return n == sizeof(b) && capture_magic(b);
}

const char *afm_capture_path(const struct afm_capture *c)
{
	return c->path;
}

uint64_t afm_capture_size(const struct afm_capture *c)
{
	return c->size;
}

uint64_t afm_capture_offset(const struct afm_capture *c)
{
	if (c->own_records)
		return c->records.pos;
	if (c->ng && !c->stream)
		return afm_pcapng_offset(c->ng);
	if (c->stream)
		return afm_stream_offset(c->stream);
	long off = ftell(c->file);

	return off < 0 ? 0 : (uint64_t)off;
}

void afm_capture_close(struct afm_capture *c)
{
	if (c)
		free_capture(c);
}
