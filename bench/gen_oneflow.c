// SPDX-License-Identifier: MIT
#include "gen_oneflow.h"

#include <string.h>

#include "gen_rng.h"

#define T0_NS 1700000000000000000ULL

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet, IPv4 and UDP headers of a frame of wire bytes; server: from 10.9.0.2:4433. */
static void headers(uint8_t *f, uint32_t wire, int server)
{
	static const uint8_t mac[2][6] = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } };
	uint8_t ip[2][4] = { { 10, 9, 0, 1 }, { 10, 9, 0, 2 } };
	uint16_t port[2] = { 50000, 4433 };
	uint32_t sum = 0;

	memcpy(f, mac[!server], 6);
	memcpy(f + 6, mac[server], 6);
	put16(f + 12, 0x0800);
	uint8_t *h = f + 14;

	memset(h, 0, 20);
	h[0] = 0x45;
	put16(h + 2, (uint16_t)(wire - 14));
	h[8] = 64;
	h[9] = 17;
	memcpy(h + 12, ip[server], 4);
	memcpy(h + 16, ip[!server], 4);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(h + 10, (uint16_t)~sum);
	uint8_t *u = h + 20;

	put16(u, port[server]);
	put16(u + 2, port[!server]);
	put16(u + 4, (uint16_t)(wire - 34));
	put16(u + 6, 0);	/* no UDP checksum: allowed over IPv4 */
}

int one_flow_write(struct pcap_out *out, uint64_t packets, uint64_t seed, uint32_t snaplen)
{
	struct rng r = { seed ^ 0x0ef1 };
	uint8_t frame[1514] = { 0 };
	uint64_t t = T0_NS;

	for (uint64_t i = 0; i < packets; i++) {
		int server = i > 0 && rng_chance(&r, 1.0 / 3);
		uint32_t wire = (uint32_t)rng_range(&r, 60, 1514);

		headers(frame, wire, server);
		if (pcap_out_write(out, t, frame, wire < snaplen ? wire : snaplen, wire) != 0)
			return -1;
		t += 1000 + rng_next(&r) % 200000;	/* 1 to 201 us: never idle, 5 M packets in 8 min */
	}
	return 0;
}
