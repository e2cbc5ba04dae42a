// SPDX-License-Identifier: MIT
#include "gen_addr.h"

#include <math.h>
#include <string.h>

#define N_CLIENTS 4000
#define N_SERVERS 30000

static const uint8_t router_mac[6] = { 0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e };

static uint64_t mix(uint64_t x)
{
	struct rng r = { x };

	return rng_next(&r);
}

static void set_v4(uint8_t *ip, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(ip, 0, 16);
	ip[0] = a;
	ip[1] = b;
	ip[2] = c;
	ip[3] = d;
}

/* An IPv6 address: a 64-bit prefix and a 64-bit interface identifier. */
static void set_v6(uint8_t *ip, uint64_t prefix, uint64_t iid)
{
	for (int i = 0; i < 8; i++) {
		ip[i] = (uint8_t)(prefix >> (56 - 8 * i));
		ip[8 + i] = (uint8_t)(iid >> (56 - 8 * i));
	}
}

void addr_client(struct flow *f, struct rng *r)
{
	uint32_t host = (uint32_t)rng_range(r, 1, N_CLIENTS);
	uint8_t *mac = f->mac[DIR_CLIENT];

	if (f->v6)
		set_v6(f->ip[DIR_CLIENT], 0x20010db800100000ULL, mix(host) | 0x0200000000000000ULL);
	else
		set_v4(f->ip[DIR_CLIENT], 10, 1 + host / 250 / 250, 1 + host / 250 % 250, 1 + host % 250);
	mac[0] = 0x02;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (uint8_t)(host >> 16);
	mac[4] = (uint8_t)(host >> 8);
	mac[5] = (uint8_t)host;
	f->ttl[DIR_CLIENT] = 64;
}

static void server_at(struct flow *f, uint64_t h)
{
	static const uint8_t first[] = { 23, 31, 34, 52, 104, 142, 151, 157, 185, 198 };
	static const uint8_t base_ttl[] = { 64, 128, 255 };

	if (f->v6)
		set_v6(f->ip[DIR_SERVER], 0x2a00145040000000ULL | (h >> 40), mix(h) % 0xffff + 1);
	else
		set_v4(f->ip[DIR_SERVER], first[h % 10], (uint8_t)(h >> 8), (uint8_t)(h >> 16),
		       (uint8_t)(1 + (h >> 24) % 254));
	memcpy(f->mac[DIR_SERVER], router_mac, 6);
	f->ttl[DIR_SERVER] = (uint8_t)(base_ttl[(h >> 32) % 3] - 5 - (h >> 40) % 15);
}

void addr_server(struct flow *f, struct rng *r)
{
	/* u^3 puts most flows on the first few servers: a few sites are very popular. */
	double u = rng_unit(r);
	uint32_t idx = (uint32_t)(N_SERVERS * u * u * u);

	server_at(f, mix(0x5e7e700000000000ULL + idx));
}

void addr_resolver(struct flow *f, struct rng *r)
{
	double u = rng_unit(r);

	memcpy(f->mac[DIR_SERVER], router_mac, 6);
	if (u < 0.6) {
		/* The LAN's resolver, on the router itself. */
		if (f->v6)
			set_v6(f->ip[DIR_SERVER], 0x20010db800100000ULL, 0x53);
		else
			set_v4(f->ip[DIR_SERVER], 10, 0, 0, 53);
		f->ttl[DIR_SERVER] = 64;
	} else if (u < 0.85) {
		if (f->v6)
			set_v6(f->ip[DIR_SERVER], 0x2001486048600000ULL, 0x8888);
		else
			set_v4(f->ip[DIR_SERVER], 8, 8, 8, 8);
		f->ttl[DIR_SERVER] = 117;
	} else {
		if (f->v6)
			set_v6(f->ip[DIR_SERVER], 0x2606470047000000ULL, 0x1111);
		else
			set_v4(f->ip[DIR_SERVER], 1, 1, 1, 1);
		f->ttl[DIR_SERVER] = 57;
	}
}

uint16_t addr_ephemeral(struct rng *r)
{
	uint16_t port = (uint16_t)rng_range(r, 32768, 60999);

	/* tshark takes UDP port 47000 for HCrt even beside 443, and calls QUIC malformed. */
	return port == 47000 ? 47001 : port;
}

void addr_qname(struct flow *f, struct rng *r)
{
	static const char *const tlds[] = { "com", "net", "org", "io", "de" };
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t *q = f->qname;
	size_t n = 0, tl;
	int labels = (int)rng_range(r, 1, 2);
	const char *tld;

	for (int i = 0; i < labels; i++) {
		int len = (int)rng_range(r, 3, 14);

		q[n++] = (uint8_t)len;
		for (int j = 0; j < len; j++)
			q[n++] = (uint8_t)alnum[rng_next(r) % (sizeof(alnum) - 1)];
	}
	tld = tlds[rng_next(r) % 5];
	tl = strlen(tld);
	q[n++] = (uint8_t)tl;
	memcpy(q + n, tld, tl);
	n += tl;
	q[n++] = 0;
	f->qname_len = (uint8_t)n;
}
