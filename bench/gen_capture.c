// SPDX-License-Identifier: MIT
/*
 * gen-capture: write a large, deterministic, realistic synthetic capture for the
 * benchmark. A pool of flow generators plays flow scripts (gen_flow.c); a binary heap
 * on each one's next packet time interleaves them, so thousands of flows overlap and
 * timestamps never go backwards. When a flow ends its slot starts a new one.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen_flow.h"
#include "gen_frame.h"
#include "gen_oneflow.h"
#include "pcap_out.h"

#define EPOCH_NS 1700000000000000000ULL	/* 2023-11-14 22:13:20 UTC */
#define MEAN_GAP_NS 3000000000.0		/* a slot's pause between two flows */

struct options {
	const char *out;
	uint64_t packets, flows, seed;
	uint32_t snaplen;
	int one_flow;
};

struct slot {
	struct flow f;
	uint64_t at;		/* absolute ns of the flow's next packet */
};

struct gen {
	const struct options *opt;
	double scale;
	struct pcap_out *out;	/* NULL: a dry run, counting only */
	struct rng fill;	/* payload bytes */
	struct slot *slots;
	uint32_t *heap;		/* slot indices, earliest first */
	size_t nslots;
	uint64_t created;	/* flows drawn so far */
	uint64_t packets, flows, wire_bytes, by_kind[FLOW_KINDS], v6_flows, first_ts, last_ts;
	size_t open_now, open_max;
};

static void usage(FILE *to)
{
	fprintf(to,
		"Usage: gen-capture -o FILE [--packets N] [--flows N] [--seed S] [--snaplen N] [--one-flow]\n"
		"Write a synthetic pcap (ns timestamps, Ethernet) of N packets (default 5000000)\n"
		"in about --flows flows (default 120000), the same file for the same seed\n"
		"(default 1); frames are cut to --snaplen bytes (default 128). --one-flow: all\n"
		"of them one UDP conversation (for the memory bound of one huge flow).\n");
}

static int parse_u64(const char *name, const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || *v < min || *v > max) {
		fprintf(stderr, "gen-capture: %s must be an integer from %llu to %llu, not '%s'\n", name,
			(unsigned long long)min, (unsigned long long)max, s);
		return -1;
	}
	return 0;
}

/* Returns -1 to continue, else the exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "packets", required_argument, NULL, 'n' },
		{ "flows", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 's' },
		{ "snaplen", required_argument, NULL, 'l' },
		{ "one-flow", no_argument, NULL, '1' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	*o = (struct options){ NULL, 5000000, 120000, 1, 128, 0 };
	while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->out = optarg;
			break;
		case 'n':
			if (parse_u64("--packets", optarg, 1, 1ULL << 40, &o->packets))
				return 2;
			break;
		case 'f':
			if (parse_u64("--flows", optarg, 1, 1ULL << 32, &o->flows))
				return 2;
			break;
		case 's':
			if (parse_u64("--seed", optarg, 0, UINT64_MAX, &o->seed))
				return 2;
			break;
		case 'l':
			if (parse_u64("--snaplen", optarg, 14, 262144, &v))
				return 2;
			o->snaplen = (uint32_t)v;
			break;
		case '1':
			o->one_flow = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o->out || optind < argc) {
		fprintf(stderr, "gen-capture: %s\n", o->out ? "unexpected argument" : "-o FILE is required");
		usage(stderr);
		return 2;
	}
	return -1;
}

/*
 * Mean packets per flow grows about linearly with the tail scale: m(s) = m1 + (m2 - m1)(s - 1),
 * sampled at scales 1 and 2 with the same random numbers.
 */
struct model {
	double m1, m2;
};

static void model_fit(struct model *m, uint64_t seed)
{
	m->m1 = flow_mean_packets(seed ^ 0x5ca1e, 1.0, 100000);
	m->m2 = flow_mean_packets(seed ^ 0x5ca1e, 2.0, 100000);
}

static double model_mean(const struct model *m, double s)
{
	return m->m1 + (m->m2 - m->m1) * (s - 1.0);
}

static double model_scale(const struct model *m, double mean)
{
	double s = m->m2 > m->m1 ? 1.0 + (mean - m->m1) / (m->m2 - m->m1) : 1.0;

	return s < 0.01 ? 0.01 : s > 100 ? 100 : s;
}

static uint64_t key(const struct gen *g, uint32_t i)
{
	return g->slots[i].at;
}

/* Earlier first; ties by slot index, so the order never depends on anything else. */
static int before(const struct gen *g, uint32_t a, uint32_t b)
{
	return key(g, a) < key(g, b) || (key(g, a) == key(g, b) && a < b);
}

static void sift_down(struct gen *g, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		uint32_t t;

		if (l < g->nslots && before(g, g->heap[l], g->heap[m]))
			m = l;
		if (l + 1 < g->nslots && before(g, g->heap[l + 1], g->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		t = g->heap[i];
		g->heap[i] = g->heap[m];
		g->heap[m] = t;
		i = m;
	}
}

/*
 * Start the slot's next flow after a pause from time at. Each flow draws from its own
 * generator, seeded by its number: the same flows at any scale, only longer or shorter.
 */
static int start_flow(struct gen *g, struct slot *s, uint64_t at)
{
	struct rng r = { g->opt->seed ^ (++g->created * 0xd1b54a32d192ed03ULL) };

	at += (uint64_t)rng_exp(&r, MEAN_GAP_NS);
	do {
		if (flow_create(&s->f, &r, g->scale)) {
			fprintf(stderr, "gen-capture: out of memory for a flow script\n");
			return -1;
		}
	} while (s->f.n == 0);
	s->f.start = at;
	s->at = at;
	return 0;
}

static int setup(struct gen *g)
{
	uint64_t n = g->opt->flows / 30;

	g->nslots = n < 16 ? 16 : n > 6000 ? 6000 : (size_t)n;
	g->slots = calloc(g->nslots, sizeof(*g->slots));
	g->heap = calloc(g->nslots, sizeof(*g->heap));
	if (!g->slots || !g->heap) {
		fprintf(stderr, "gen-capture: out of memory for %zu flow slots\n", g->nslots);
		return -1;
	}
	g->fill.s = g->opt->seed ^ 0xf111f111f111f111ULL;
	for (size_t i = 0; i < g->nslots; i++) {
		if (start_flow(g, &g->slots[i], EPOCH_NS))
			return -1;
		g->heap[i] = (uint32_t)i;
	}
	for (size_t i = g->nslots / 2; i-- > 0;)
		sift_down(g, i);
	return 0;
}

/* Write the earliest pending packet; start the slot's next flow when this one is done. */
static int step(struct gen *g)
{
	static uint8_t frame[FRAME_MAX];
	struct slot *s = &g->slots[g->heap[0]];
	struct flow *f = &s->f;
	const struct pkt *p = &f->pkts[f->next];
	uint32_t wire = 0;
	size_t cap;

	if (f->next == 0) {
		g->flows++;
		g->by_kind[f->kind]++;
		g->v6_flows += (uint64_t)f->v6;
		if (++g->open_now > g->open_max)
			g->open_max = g->open_now;
	}
	if (g->out) {
		cap = frame_build(f, p, &g->fill, frame, g->opt->snaplen, &wire);
		if (pcap_out_write(g->out, s->at, frame, (uint32_t)cap, wire))
			return -1;
	}
	if (g->packets++ == 0)
		g->first_ts = s->at;
	g->last_ts = s->at;
	g->wire_bytes += wire;
	if (++f->next < f->n) {
		s->at = f->start + f->pkts[f->next].t;
	} else {
		g->open_now--;
		flow_trim(f);
		if (start_flow(g, s, s->at))
			return -1;
	}
	sift_down(g, 0);
	return 0;
}

/* Play flows at the scale until opt->packets packets; write them to out unless NULL. */
static int generate(struct gen *g, const struct options *opt, double scale, struct pcap_out *out)
{
	int ret;

	memset(g, 0, sizeof(*g));
	g->opt = opt;
	g->scale = scale;
	g->out = out;
	ret = setup(g);
	while (ret == 0 && g->packets < opt->packets)
		ret = step(g);
	for (size_t i = 0; g->slots && i < g->nslots; i++)
		free(g->slots[i].f.pkts);
	free(g->slots);
	free(g->heap);
	g->slots = NULL;
	g->heap = NULL;
	return ret;
}

/*
 * The tail scale for the target flow count. The sampled mean says how long flows are;
 * a dry run (no frames) says how many flows the cut at the last packet adds, since the
 * flows still running then (the long ones, most likely) end early.
 */
static int calibrate(const struct options *opt, double *scale)
{
	struct model m;
	struct gen dry;
	double s0;

	model_fit(&m, opt->seed);
	s0 = model_scale(&m, (double)opt->packets / (double)opt->flows);
	if (generate(&dry, opt, s0, NULL))
		return -1;
	*scale = model_scale(&m, model_mean(&m, s0) * (double)dry.flows / (double)opt->flows);
	return 0;
}

static void report(const struct gen *g, const struct pcap_out *out, double secs)
{
	double span = (double)(g->last_ts - g->first_ts) / 1e9;
	double f = g->flows ? (double)g->flows : 1;

	fprintf(stderr,
		"gen-capture: wrote %s: %llu packets, %llu flows, %llu bytes (%.1f MB; %.2f GB on the wire)\n"
		"gen-capture: flows: TCP %.1f%%, DNS %.1f%%, QUIC %.1f%%, RTP %.1f%%, ICMP %.1f%%; IPv6 %.1f%%\n"
		"gen-capture: %.0f s of traffic, up to %zu flows active at once, tail scale %.3f; took %.2f s\n",
		g->opt->out, (unsigned long long)g->packets, (unsigned long long)g->flows,
		(unsigned long long)out->bytes, (double)out->bytes / 1e6, (double)g->wire_bytes / 1e9,
		100 * g->by_kind[FLOW_TCP] / f, 100 * g->by_kind[FLOW_DNS] / f, 100 * g->by_kind[FLOW_QUIC] / f,
		100 * g->by_kind[FLOW_RTP] / f, 100 * g->by_kind[FLOW_ICMP] / f, 100 * g->v6_flows / f, span,
		g->open_max, g->scale, secs);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct pcap_out out;
	struct timespec t0;
	struct gen g;
	double scale;
	int ret, ok;

	ret = parse_options(argc, argv, &opt);
	if (ret >= 0)
		return ret;
	if (opt.one_flow) {
		ok = pcap_out_open(&out, opt.out, opt.snaplen) == 0 &&
		     one_flow_write(&out, opt.packets, opt.seed, opt.snaplen) == 0;
		if (pcap_out_close(&out, ok) != 0)
			ok = 0;
		if (ok)
			fprintf(stderr, "gen-capture: wrote %s: %llu packets of one flow\n", opt.out,
				(unsigned long long)opt.packets);
		return ok ? 0 : 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (calibrate(&opt, &scale))
		return 1;
	ok = pcap_out_open(&out, opt.out, opt.snaplen) == 0 && generate(&g, &opt, scale, &out) == 0;
	if (pcap_out_close(&out, ok) != 0)
		ok = 0;
	if (ok)
		report(&g, &out, seconds_since(&t0));
	return ok ? 0 : 1;
}
