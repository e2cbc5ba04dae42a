// SPDX-License-Identifier: MIT
#include "capture/pcapng.h"

#include <stdlib.h>
#include <string.h>

#include "afm_record.h"
#include "capture/pcap_records.h"	/* AFM_PCAP_MAX_CAPLEN */
#include "log.h"

#define BOM 0x1a2b3c4du		/* the byte-order magic */
#define SHB_MIN 28u		/* header, byte-order magic, versions, section length, trailer */
#define SHB_MAX (1u << 20)	/* libpcap's BT_SHB_INSANE_MAX */

enum { BT_IDB = 1, BT_PB = 2, BT_SPB = 3, BT_EPB = 6 };
enum { OPT_END = 0, IF_NAME = 2, IF_DESCRIPTION = 3, IF_TSRESOL = 9, IF_TSOFFSET = 14 };

struct iface {
	int link;		/* enum afm_link, or -1: its packets are not read */
	uint32_t snap;		/* adjusted snapshot length */
	uint64_t units;		/* time units a second */
	int64_t offset;		/* seconds added to every time (signed) */
	uint32_t id;		/* run-wide (capture/ifaces.h) */
};

struct afm_pcapng {
	const uint8_t *map;	/* read in place, or NULL: */
	uint64_t size;
	FILE *in;		/* ... read from here into buf */
	uint8_t *buf;
	size_t cap, len;	/* buf's size, and the bytes of the current block in it */
	uint64_t pos;		/* the offset of the next block */
	uint64_t at;		/* the offset of the current block */
	int swapped;		/* this section's byte order is not ours */
	struct iface *ifs;	/* this section's interfaces */
	uint32_t n_if, cap_if;
	uint32_t linktype0;	/* the capture's first interface's link type */
	int link0;
	int noticed;		/* an interface of an unreadable link type was named */
	struct afm_ifaces *names;
	const char *path;
};

static uint16_t u16(const struct afm_pcapng *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swapped ? __builtin_bswap16(v) : v;
}

static uint32_t u32(const struct afm_pcapng *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swapped ? __builtin_bswap32(v) : v;
}

/*
 * Up to n bytes of the block at r->at: in place, or read into buf (as many as the
 * stream has). Their number; *p where they are.
 */
static size_t fetch(struct afm_pcapng *r, size_t n, const uint8_t **p)
{
	if (r->map) {
		uint64_t left = r->size - r->at;

		*p = r->map + r->at;
		return left < n ? (size_t)left : n;
	}
	while (r->len < n) {
		/* the buffer grows with what comes, not with what a block claims */
		if (r->len == r->cap) {
			size_t cap = r->cap < 4096 ? 4096 : r->cap * 2 < n ? r->cap * 2 : n;
			uint8_t *b = realloc(r->buf, cap);

			if (!b)
				break;
			r->buf = b;
			r->cap = cap;
		}
		size_t want = (n < r->cap ? n : r->cap) - r->len, got = fread(r->buf + r->len, 1, want, r->in);

		r->len += got;
		if (got < want)
			break;
	}
	*p = r->buf;
	return r->len < n ? r->len : n;
}

struct block {
	uint32_t type;
	const uint8_t *body;	/* after type and length */
	uint32_t left;		/* bytes of the body not yet taken, the trailer excluded */
};

/* n bytes from the block's body, or NULL and libpcap's message. */
static const uint8_t *take(struct block *b, uint32_t n, char *err, size_t errlen)
{
	const uint8_t *p = b->body;

	if (b->left < n) {
		snprintf(err, errlen, "block of type %u in pcapng dump file is too short", b->type);
		return NULL;
	}
	b->body += n;
	b->left -= n;
	return p;
}

/* The next block (libpcap's read_block): 1, 0 at a clean end, -1 with the reason. */
static int next_block(struct afm_pcapng *r, struct block *b, char *err, size_t errlen)
{
	const uint8_t *p;
	size_t got;

	r->at = r->pos;
	r->len = 0;
	got = fetch(r, 8, &p);
	if (got == 0)
		return 0;
	if (got < 8) {
		snprintf(err, errlen, "truncated pcapng dump file; tried to read 8 bytes, only got %zu", got);
		return -1;
	}
	memcpy(&b->type, p, 4);	/* the SHB's reads the same in both orders */
	if (r->swapped)
		b->type = __builtin_bswap32(b->type);
	if (b->type == AFM_PCAPNG_MAGIC && fetch(r, 12, &p) == 12) {
		/* a new section: its length is in its own byte order */
		uint32_t bom;

		memcpy(&bom, p + 8, 4);
		if (bom == BOM)
			r->swapped = 0;
		else if (bom == __builtin_bswap32(BOM))
			r->swapped = 1;
	}
	uint32_t len = u32(r, p + 4);

	if (len < 12) {
		snprintf(err, errlen, "block in pcapng dump file has a length of %u < 12", len);
		return -1;
	}
	if (len % 4) {
		snprintf(err, errlen, "block in pcapng dump file has a length of %u that is not a multiple of 4", len);
		return -1;
	}
	if (len > AFM_PCAPNG_MAX_BLOCK) {
		snprintf(err, errlen, "pcapng block size %u > maximum %u", len, AFM_PCAPNG_MAX_BLOCK);
		return -1;
	}
	got = fetch(r, len, &p);
	if (got < len) {
		snprintf(err, errlen, "truncated pcapng dump file; tried to read %u bytes, only got %zu", len - 8,
			 got - 8);
		return -1;
	}
	if (u32(r, p + len - 4) != len) {
		snprintf(err, errlen, "block total length in header and trailer don't match");
		return -1;
	}
	r->pos = r->at + len;
	b->body = p + 8;
	b->left = len - 12;
	return 1;
}

/* A later Section Header Block: its byte order (already taken), version, no interfaces. */
static int section(struct afm_pcapng *r, struct block *b, char *err, size_t errlen)
{
	const uint8_t *p = take(b, 16, err, errlen);
	uint32_t bom;

	if (!p)
		return -1;
	memcpy(&bom, p, 4);
	if (bom != BOM && bom != __builtin_bswap32(BOM)) {
		snprintf(err, errlen, "the file has a section with a bad byte order magic field");
		return -1;
	}
	if (u16(r, p + 4) != 1) {
		snprintf(err, errlen, "unknown pcapng savefile major version number %u", u16(r, p + 4));
		return -1;
	}
	r->n_if = 0;
	return 0;
}

static int link_of(uint32_t linktype)
{
	switch (linktype) {
	case 1:
		return AFM_LINK_ETHERNET;
	case 113:
		return AFM_LINK_SLL;
	case 276:
		return AFM_LINK_SLL2;
	case 12:	/* DLT_RAW, as some writers put it */
	case 14:	/* DLT_RAW on OpenBSD */
	case 101:	/* LINKTYPE_RAW */
	case 228:	/* IPv4 */
	case 229:	/* IPv6 */
		return AFM_LINK_RAW;
	case 0:		/* BSD loopback */
	case 108:	/* OpenBSD loopback */
		return AFM_LINK_NULL;
	default:
		return -1;
	}
}

/*
 * An option's text as a column can hold it: at most max - 1 bytes of UTF-8 (cut at a
 * character), control bytes, invalid UTF-8 and the CSV's ',' and '"' as '_'. Its length.
 */
static size_t clean_text(char *out, size_t max, const uint8_t *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < max;) {
		unsigned c = s[i], k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
						(c & 0xf8) == 0xf0 ? 4 : 0;
		int ok = k > 0 && i + k <= n && (k == 1 || c >= 0xc2) && c <= 0xf4;

		for (unsigned j = 1; ok && j < k; j++)
			ok = (s[i + j] & 0xc0) == 0x80;
		if (ok && k == 3)	/* no overlong forms, no surrogates */
			ok = !(c == 0xe0 && s[i + 1] < 0xa0) && !(c == 0xed && s[i + 1] >= 0xa0);
		if (ok && k == 4)
			ok = !(c == 0xf0 && s[i + 1] < 0x90) && !(c == 0xf4 && s[i + 1] >= 0x90);
		if (!ok || k == 1) {
			out[o++] = !ok || c < 0x20 || c == 0x7f || c == ',' || c == '"' ? '_' : (char)c;
			i++;
			continue;
		}
		if (o + k >= max)
			break;
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = 0;
	return o;
}

/*
 * The interface column's text (docs/COLUMNS.md, interface): if_name, or
 * if_description, or "NAME (DESCRIPTION)" when both are there and differ; "#N" for an
 * unnamed interface N > 0 of its section; "" (id 0, `-`) for an unnamed first one.
 */
static void column_text(char *out, size_t max, const uint8_t *name, size_t nlen, const uint8_t *desc, size_t dlen,
			uint32_t index)
{
	if (nlen && dlen && (nlen != dlen || memcmp(name, desc, nlen) != 0)) {
		size_t o = clean_text(out, max, name, nlen);

		if (o + 3 < max) {
			memcpy(out + o, " (", 2);
			o += 2 + clean_text(out + o + 2, max - o - 3, desc, dlen);
			out[o++] = ')';
			out[o] = 0;
		}
	} else if (nlen || dlen) {
		clean_text(out, max, nlen ? name : desc, nlen ? nlen : dlen);
	} else if (index) {
		snprintf(out, max, "#%u", index);
	} else {
		*out = 0;
	}
}

/* if_tsresol or if_tsoffset: of its length, and only one (libpcap's words). */
static int time_option(const char *name, uint16_t olen, uint16_t want, int *seen, char *err, size_t errlen)
{
	if (olen != want) {
		snprintf(err, errlen, "Interface Description Block has %s option with length %u != %u", name, olen, want);
		return -1;
	}
	if ((*seen)++) {
		snprintf(err, errlen, "Interface Description Block has more than one %s option", name);
		return -1;
	}
	return 0;
}

/* An Interface Description Block (libpcap's add_interface and its option checks). */
static int interface(struct afm_pcapng *r, struct block *b, char *err, size_t errlen)
{
	const uint8_t *p = take(b, 8, err, errlen), *name = NULL, *desc = NULL;
	uint16_t nlen = 0, dlen = 0;
	int saw_tsresol = 0, saw_tsoffset = 0;
	struct iface f = { .units = 1000000 };

	if (!p)
		return -1;
	uint16_t linktype = u16(r, p);

	f.snap = u32(r, p + 4);
	if (f.snap == 0 || f.snap > AFM_PCAP_MAX_CAPLEN)
		f.snap = AFM_PCAP_MAX_CAPLEN;
	f.link = link_of(linktype);
	while (b->left) {
		const uint8_t *h = take(b, 4, err, errlen), *v;

		if (!h)
			return -1;
		uint16_t code = u16(r, h), olen = u16(r, h + 2);

		if (!(v = take(b, (olen + 3u) & ~3u, err, errlen)))
			return -1;
		if (code == OPT_END) {
			if (olen != 0) {
				snprintf(err, errlen,
					 "Interface Description Block has opt_endofopt option with length %u != 0", olen);
				return -1;
			}
			break;
		}
		if (code == IF_NAME && !name) {
			name = v;
			nlen = olen;
		} else if (code == IF_DESCRIPTION && !desc) {
			desc = v;
			dlen = olen;
		} else if (code == IF_TSRESOL) {
			if (time_option("if_tsresol", olen, 1, &saw_tsresol, err, errlen) != 0)
				return -1;
			if (*v & 0x80) {
				if ((*v & 0x7f) > 63) {
					snprintf(err, errlen,
						 "Interface Description Block if_tsresol option resolution 2^-%u is too high",
						 *v & 0x7f);
					return -1;
				}
				f.units = 1ull << (*v & 0x7f);
			} else {
				if (*v > 19) {
					snprintf(err, errlen,
						 "Interface Description Block if_tsresol option resolution 10^-%u is too high",
						 *v);
					return -1;
				}
				f.units = 1;
				for (int i = 0; i < *v; i++)
					f.units *= 10;
			}
		} else if (code == IF_TSOFFSET) {
			if (time_option("if_tsoffset", olen, 8, &saw_tsoffset, err, errlen) != 0)
				return -1;
			uint64_t o;

			memcpy(&o, v, 8);
			f.offset = (int64_t)(r->swapped ? __builtin_bswap64(o) : o);
		}
	}
	if (r->n_if >= AFM_PCAPNG_MAX_IFACES) {
		snprintf(err, errlen, "more than %u interfaces in the file", AFM_PCAPNG_MAX_IFACES);
		return -1;
	}
	char text[AFM_INTERFACE_TEXT];

	column_text(text, sizeof(text), name, nlen, desc, dlen, r->n_if);
	f.id = afm_ifaces_intern(r->names, linktype, text);
	if (f.id == UINT32_MAX) {
		snprintf(err, errlen, "more than %u interfaces in the captures", AFM_IFACES_MAX);
		return -1;
	}
	if (r->n_if == r->cap_if) {
		uint32_t n = r->cap_if ? r->cap_if * 2 : 8;
		struct iface *ifs = realloc(r->ifs, n * sizeof(*ifs));

		if (!ifs) {
			snprintf(err, errlen, "out of memory for per-interface information (%u interfaces)", r->n_if + 1);
			return -1;
		}
		r->ifs = ifs;
		r->cap_if = n;
	}
	/* named once a run (a capture is opened twice: merge.c), and once a capture */
	if (f.link < 0 && r->link0 >= 0 && afm_ifaces_first(r->names, f.id, linktype) && !r->noticed++)
		afm_notice("%s: interface %u%s%s%s has link type %u, which the meter does not read: its packets are "
			   "skipped as not_ip", r->path, r->n_if, *text ? " (" : "", text, *text ? ")" : "", linktype);
	if (r->link0 == -2) {
		r->link0 = f.link;
		r->linktype0 = linktype;
	}
	r->ifs[r->n_if++] = f;
	return 0;
}

/*
 * t units of interface f as nanoseconds since 1970: exact, from 0 to 2^64 - 2 (2554;
 * 2^64 - 1 is the merge's "no packet").
 */
static uint64_t time_of(const struct iface *f, uint64_t t)
{
	__int128 ns = (__int128)((unsigned __int128)t * 1000000000u / f->units) + (__int128)f->offset * 1000000000;

	return ns < 0 ? 0 : ns >= (__int128)UINT64_MAX ? UINT64_MAX - 1 : (uint64_t)ns;
}

struct afm_pcapng *afm_pcapng_open(const uint8_t *map, uint64_t size, FILE *in, struct afm_ifaces *ifaces,
				   const char *path, char *err, size_t errlen)
{
	struct afm_pcapng *r = calloc(1, sizeof(*r));
	const uint8_t *p;
	struct block b;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->map = map;
	r->size = size;
	r->in = in;
	r->names = ifaces;
	r->path = path;
	r->link0 = -2;	/* no interface yet */
	/* libpcap's pcap_ng_check_header: no byte-order magic, not pcapng */
	if (fetch(r, 12, &p) < 12 || (memcpy(&b.type, p + 8, 4), b.type != BOM && b.type != __builtin_bswap32(BOM))) {
		snprintf(err, errlen, "unknown file format");
		goto fail;
	}
	r->swapped = b.type != BOM;
	uint32_t len = u32(r, p + 4);
	size_t got;

	if (len < SHB_MIN || len > SHB_MAX) {
		snprintf(err, errlen,
			 "Section Header Block in pcapng dump file has invalid length %u < _%u_ < %u (BT_SHB_INSANE_MAX)",
			 SHB_MIN, len, SHB_MAX);
		goto fail;
	}
	got = fetch(r, len, &p);
	if (got < len) {
		snprintf(err, errlen, "truncated pcapng dump file; tried to read %u bytes, only got %zu", len - 12,
			 got - 12);
		goto fail;
	}
	uint16_t major = u16(r, p + 12), minor = u16(r, p + 14);

	if (major != 1 || (minor != 0 && minor != 2)) {
		snprintf(err, errlen, "unsupported pcapng savefile version %u.%u", major, minor);
		goto fail;
	}
	r->pos = len;
	/* up to the first interface, as libpcap: what comes before it decides how the file opens */
	for (;;) {
		int rc = next_block(r, &b, err, errlen);

		if (rc == 0)
			snprintf(err, errlen, "the capture file has no Interface Description Blocks");
		if (rc <= 0)
			goto fail;
		if (b.type == BT_EPB || b.type == BT_SPB || b.type == BT_PB) {
			snprintf(err, errlen, "the capture file has a packet block before any Interface Description Blocks");
			goto fail;
		}
		if ((b.type == AFM_PCAPNG_MAGIC && section(r, &b, err, errlen) != 0) ||
		    (b.type == BT_IDB && interface(r, &b, err, errlen) != 0))
			goto fail;
		if (b.type == BT_IDB)
			return r;
	}
fail:
	afm_pcapng_close(r);
	return NULL;
}

int afm_pcapng_first_link(const struct afm_pcapng *r, uint32_t *linktype)
{
	*linktype = r->linktype0;
	return r->link0;
}

int afm_pcapng_next(struct afm_pcapng *r, struct afm_packet *pkt, char *err, size_t errlen, uint64_t *at)
{
	struct block b;
	int rc;

	for (;;) {
		rc = next_block(r, &b, err, errlen);
		*at = r->at;
		if (rc <= 0)
			return rc;
		if (b.type == BT_EPB || b.type == BT_SPB || b.type == BT_PB)
			break;
		if ((b.type == AFM_PCAPNG_MAGIC && section(r, &b, err, errlen) != 0) ||
		    (b.type == BT_IDB && interface(r, &b, err, errlen) != 0))
			return -1;
	}
	const uint8_t *p = take(&b, b.type == BT_SPB ? 4 : 20, err, errlen);
	uint32_t id = 0, caplen, len;
	uint64_t t = 0;

	if (!p)
		return -1;
	if (b.type == BT_SPB) {	/* always interface 0; no time; as much as its snapshot length holds */
		len = u32(r, p);
		caplen = r->n_if && len > r->ifs[0].snap ? r->ifs[0].snap : len;
	} else {
		id = b.type == BT_PB ? u16(r, p) : u32(r, p);
		t = (uint64_t)u32(r, p + 4) << 32 | u32(r, p + 8);
		caplen = u32(r, p + 12);
		len = u32(r, p + 16);
	}
	if (id >= r->n_if) {
		snprintf(err, errlen,
			 "a packet arrived on interface %u, but there's no Interface Description Block for that interface",
			 id);
		return -1;
	}
	const struct iface *f = &r->ifs[id];

	if (caplen > f->snap) {
		snprintf(err, errlen, "invalid packet capture length %u, bigger than snaplen of %d", caplen, (int)f->snap);
		return -1;
	}
	if (!(pkt->data = take(&b, caplen, err, errlen)))
		return -1;
	pkt->caplen = caplen;
	pkt->wire_len = len;
	pkt->ts_ns = time_of(f, t);
	pkt->link = f->link;
	pkt->iface = f->id;
	return 1;
}

uint64_t afm_pcapng_offset(const struct afm_pcapng *r)
{
	return r->pos;
}

void afm_pcapng_close(struct afm_pcapng *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r->ifs);
	free(r);
}
