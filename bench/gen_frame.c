// SPDX-License-Identifier: MIT
#include "gen_frame.h"

#include <stdio.h>
#include <string.h>

#define ETH_LEN 14
#define ETH_MIN 60		/* shorter frames are padded on the wire */

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void put64le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Internet checksum: add 16-bit big-endian words; an odd last byte is padded with 0. */
static uint32_t sum16(uint32_t s, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (i < n)
		s += (uint32_t)b[i] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The pseudo-header of TCP, UDP and ICMPv6 checksums. */
static uint32_t pseudo_sum(const struct flow *f, int dir, uint8_t proto, size_t l4_len)
{
	size_t alen = f->v6 ? 16 : 4;
	uint32_t s = sum16(0, f->ip[dir], alen);

	s = sum16(s, f->ip[!dir], alen);
	return s + proto + (uint32_t)l4_len;
}

static void fill_random(uint8_t *p, size_t n, struct rng *r)
{
	while (n >= 8) {
		uint64_t v = rng_next(r);

		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = rng_next(r);

		memcpy(p, &v, n);
	}
}

static void fill_text(uint8_t *p, size_t n, size_t off)
{
	static const char text[] = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n";

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)text[(off + i) % (sizeof(text) - 1)];
}

static const char *reason(unsigned status)
{
	switch (status) {
	case 200: return "OK";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 404: return "Not Found";
	default: return "Internal Server Error";
	}
}

/* An HTTP/1.1 request or response head, padded with a cookie or body to len bytes. */
static void http_content(const struct flow *f, const struct pkt *p, uint8_t *pay, size_t room)
{
	char head[256];
	size_t hl;
	int n;

	if (!p->start) {
		fill_text(pay, room, 0);
		return;
	}
	if (p->dir == DIR_CLIENT)
		n = snprintf(head, sizeof(head),
			     "GET /assets/%08x.js HTTP/1.1\r\nHost: www.example.com\r\n"
			     "User-Agent: Mozilla/5.0\r\nAccept: */*\r\nCookie: id=",
			     (unsigned)f->seq[DIR_CLIENT]);
	else
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 %u %s\r\nServer: nginx\r\nContent-Type: text/html\r\n\r\n",
			     (unsigned)p->aux, reason(p->aux));
	if (n < 0)
		n = 0;
	hl = (size_t)n < room ? (size_t)n : room;
	memcpy(pay, head, hl);
	if (p->dir == DIR_CLIENT) {
		memset(pay + hl, 'a', room - hl);
		if (p->len <= room && p->len >= (size_t)n + 4)
			memcpy(pay + p->len - 4, "\r\n\r\n", 4);
	} else {
		fill_text(pay + hl, room - hl, 0);
	}
}

/* A DNS message: header, the question, and for a response its answers. */
static void dns_content(const struct flow *f, const struct pkt *p, struct rng *r, uint8_t *pay,
			size_t room)
{
	uint8_t m[512];
	size_t n = 12, an = p->dir == DIR_SERVER ? f->dns_answers : 0;
	size_t rdlen = f->dns_qtype == 1 ? 4 : 16;

	put16(m, f->dns_id);
	put16(m + 2, p->dir == DIR_CLIENT ? 0x0100 : an ? 0x8180 : 0x8183);
	put16(m + 4, 1);
	put16(m + 6, (uint32_t)an);
	put32(m + 8, 0);
	memcpy(m + n, f->qname, f->qname_len);
	n += f->qname_len;
	put16(m + n, f->dns_qtype);
	put16(m + n + 2, 1);
	n += 4;
	for (size_t i = 0; i < an; i++) {
		put16(m + n, 0xc00c);	/* the name: a pointer to the question's */
		put16(m + n + 2, f->dns_qtype);
		put16(m + n + 4, 1);
		put32(m + n + 6, 300);
		put16(m + n + 10, (uint32_t)rdlen);
		fill_random(m + n + 12, rdlen, r);
		n += 12 + rdlen;
	}
	memcpy(pay, m, room < n ? room : n);
}

/* Echo payload as Linux ping writes it: a struct timeval, then bytes 0x10, 0x11, ... */
static void ping_content(const struct flow *f, const struct pkt *p, uint8_t *pay, size_t room)
{
	uint8_t m[56];
	uint64_t ns = f->start + p->t;

	put64le(m, ns / 1000000000);
	put64le(m + 8, ns % 1000000000 / 1000);
	for (size_t i = 16; i < sizeof(m); i++)
		m[i] = (uint8_t)(0x10 + i - 16);
	memcpy(pay, m, room < sizeof(m) ? room : sizeof(m));
}

/* RTP version 2, payload type 0 (PCMU), then mu-law silence. */
static void rtp_content(const struct flow *f, const struct pkt *p, uint8_t *pay, size_t room)
{
	uint8_t m[12];

	m[0] = 0x80;
	m[1] = p->aux == 0 ? 0x80 : 0x00;	/* marker on the first packet */
	put16(m + 2, p->aux);
	put32(m + 4, (uint32_t)p->aux * 160);
	put32(m + 8, f->ssrc + p->dir);
	memcpy(pay, m, room < 12 ? room : 12);
	if (room > 12)
		memset(pay + 12, 0xff, room - 12);
}

/*
 * QUIC version 1: a long-header Initial (client to server's random ID, server back to
 * the client's ID), else a short header to the peer's ID; then protected bytes.
 */
static void quic_content(const struct flow *f, const struct pkt *p, struct rng *r, uint8_t *pay,
			 size_t room)
{
	uint8_t m[32];
	size_t n = 0;
	int d = p->dir;

	if (p->aux == QUIC_INITIAL) {
		m[n++] = 0xc3;	/* long header, fixed bit, Initial, 4-byte packet number */
		put32(m + n, 1);
		n += 4;
		m[n++] = 8;
		memcpy(m + n, d == DIR_CLIENT ? f->quic_odcid : f->quic_cid[DIR_CLIENT], 8);
		n += 8;
		m[n++] = 8;
		memcpy(m + n, f->quic_cid[d], 8);
		n += 8;
		m[n++] = 0;	/* token length */
		put16(m + n, 0x4000 | (uint32_t)(p->len - n - 2));	/* 2-byte varint */
		n += 2;
	} else {
		m[n++] = (uint8_t)(0x40 | (rng_next(r) & 0x3f));
		memcpy(m + n, f->quic_cid[!d], 8);
		n += 8;
	}
	if (n > p->len)
		n = p->len;
	memcpy(pay, m, room < n ? room : n);
	if (room > n)
		fill_random(pay + n, room - n, r);
}

/* TLS application data: a record header sized to the segment, then ciphertext. */
static void tls_content(const struct pkt *p, struct rng *r, uint8_t *pay, size_t room)
{
	uint8_t m[5] = { 0x17, 0x03, 0x03 };

	put16(m + 3, p->len >= 5 ? p->len - 5u : 0);
	memcpy(pay, m, room < 5 ? room : 5);
	if (room > 5)
		fill_random(pay + 5, room - 5, r);
}

static void content(const struct flow *f, const struct pkt *p, struct rng *r, uint8_t *pay, size_t room)
{
	if (room == 0)
		return;
	switch (f->kind) {
	case FLOW_DNS:
		dns_content(f, p, r, pay, room);
		break;
	case FLOW_ICMP:
		ping_content(f, p, pay, room);
		break;
	case FLOW_RTP:
		rtp_content(f, p, pay, room);
		break;
	case FLOW_QUIC:
		quic_content(f, p, r, pay, room);
		break;
	case FLOW_TCP:
		if (f->port[DIR_SERVER] == 80 || f->port[DIR_SERVER] == 8080)
			http_content(f, p, pay, room);
		else if (f->port[DIR_SERVER] == 443 || f->port[DIR_SERVER] == 8443 ||
			 f->port[DIR_SERVER] == 993)
			tls_content(p, r, pay, room);
		else
			fill_random(pay, room, r);
		break;
	default:
		memset(pay, 0, room);
	}
}

static uint8_t proto_of(const struct flow *f)
{
	switch (f->kind) {
	case FLOW_TCP:
		return 6;
	case FLOW_ICMP:
		return f->v6 ? 58 : 1;
	default:
		return 17;
	}
}

static void ip_header(struct flow *f, int d, uint8_t proto, size_t l4_len, uint8_t *ip)
{
	if (f->v6) {
		put32(ip, 6u << 28 | f->label);
		put16(ip + 4, (uint32_t)l4_len);
		ip[6] = proto;
		ip[7] = f->ttl[d];
		memcpy(ip + 8, f->ip[d], 16);
		memcpy(ip + 24, f->ip[!d], 16);
		return;
	}
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint32_t)(20 + l4_len));
	put16(ip + 4, f->ipid[d]++);
	put16(ip + 6, proto == 6 ? 0x4000 : 0);	/* DF on TCP */
	ip[8] = f->ttl[d];
	ip[9] = proto;
	put16(ip + 10, 0);
	memcpy(ip + 12, f->ip[d], 4);
	memcpy(ip + 16, f->ip[!d], 4);
	put16(ip + 10, fold(sum16(0, ip, 20)));
}

static size_t l4_header(struct flow *f, const struct pkt *p, uint8_t *l4)
{
	int d = p->dir;

	switch (f->kind) {
	case FLOW_TCP:
		/* A retransmitted SYN carries the first one's sequence number again. */
		if ((p->flags & TH_SYN) && f->syn_sent[d])
			f->seq[d]--;
		f->syn_sent[d] |= !!(p->flags & TH_SYN);
		put16(l4, f->port[d]);
		put16(l4 + 2, f->port[!d]);
		put32(l4 + 4, f->seq[d]);
		put32(l4 + 8, p->flags & TH_ACK ? f->seq[!d] : 0);
		l4[12] = 5 << 4;
		l4[13] = p->flags;
		put16(l4 + 14, p->flags & TH_SYN ? 64240 : 65535);	/* no window scaling */
		put32(l4 + 16, 0);	/* checksum, urgent pointer */
		f->seq[d] += p->len + !!(p->flags & TH_SYN) + !!(p->flags & TH_FIN);
		return 20;
	case FLOW_ICMP:
		l4[0] = f->v6 ? (d == DIR_CLIENT ? 128 : 129) : (d == DIR_CLIENT ? 8 : 0);
		l4[1] = 0;
		put16(l4 + 2, 0);
		put16(l4 + 4, f->icmp_id);
		put16(l4 + 6, p->aux);
		return 8;
	default:
		put16(l4, f->port[d]);
		put16(l4 + 2, f->port[!d]);
		put16(l4 + 4, 8u + p->len);
		put16(l4 + 6, 0);
		return 8;
	}
}

static void l4_checksum(const struct flow *f, int d, uint8_t proto, uint8_t *l4, size_t l4_len,
			size_t summed)
{
	uint32_t s = sum16(proto == 1 ? 0 : pseudo_sum(f, d, proto, l4_len), l4, summed);
	uint16_t c = fold(s);

	if (proto == 17 && c == 0)
		c = 0xffff;	/* 0 would mean "no checksum" */
	put16(l4 + (proto == 6 ? 16 : proto == 17 ? 6 : 2), c);
}

size_t frame_build(struct flow *f, const struct pkt *p, struct rng *r, uint8_t *buf, size_t snaplen,
		   uint32_t *wire)
{
	uint8_t proto = proto_of(f);
	size_t ip_hlen = f->v6 ? 40 : 20;
	size_t l4_hlen = f->kind == FLOW_TCP ? 20 : 8;
	size_t l4_len = l4_hlen + p->len;
	size_t ip_end = ETH_LEN + ip_hlen + l4_len;
	size_t hdr_end = ETH_LEN + ip_hlen + l4_hlen;
	size_t len = ip_end < ETH_MIN ? ETH_MIN : ip_end;
	size_t cap = len < snaplen ? len : snaplen;
	size_t room = cap > hdr_end ? cap - hdr_end : 0;
	uint8_t *l4 = buf + ETH_LEN + ip_hlen;

	if (room > p->len)
		room = p->len;
	memcpy(buf, f->mac[!p->dir], 6);
	memcpy(buf + 6, f->mac[p->dir], 6);
	put16(buf + 12, f->v6 ? 0x86dd : 0x0800);
	ip_header(f, p->dir, proto, l4_len, buf + ETH_LEN);
	l4_header(f, p, l4);
	content(f, p, r, l4 + l4_hlen, room);
	if (cap > hdr_end + room)
		memset(buf + hdr_end + room, 0, cap - hdr_end - room);	/* Ethernet padding */
	l4_checksum(f, p->dir, proto, l4, l4_len, l4_hlen + room);
	*wire = (uint32_t)len;
	return cap;
}
