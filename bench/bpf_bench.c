// SPDX-License-Identifier: MIT
/*
 * In-kernel cost per packet under BPF_PROG_TEST_RUN: the meter's XDP program (live
 * configuration: clock, parse, flow map, batch, ring buffer) beside an empty XDP_PASS
 * program and one that only reads the clock, on the same realistic packets over many
 * flows, in the same run.
 *
 * A test run with repeat > 1 adds the program to the XDP dispatcher and removes it
 * again, two RCU grace periods (about 17 ms here) per call; so each program is first
 * attached (generic XDP, a link) to an idle interface, which keeps it in the
 * dispatcher: bench/run.sh makes seven in a scratch network namespace. Both XDP programs
 * of the meter are measured: afm_xdp, and afm_xdp_compat for kernels before 6.2.
 *
 * The ring buffer is the meter's own size (16 MiB), emptied after every test run as
 * user space would, and each meter object writes one whole lap of it before it is
 * timed: the first write to each page of a new ring costs the host a page fault in a
 * virtual machine (here: 45 ns a packet, more than all the program's own work), which
 * a meter pays once in its life, not per packet.
 *
 * Steps: the meter built again with AFM_BENCH_STOP 1, 2, 3 (bpf/afm.bpf.c) stops after
 * the parse, after the hash of the key, after the slot's lookup; each is given as an
 * object and one more idle interface, and the cost of each step is the difference to
 * the one before.
 *
 * Usage: bpf-bench METER.bpf.o REF.bpf.o IF1 IF2 IF3 IF4 [STEP.bpf.o IF]...
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afm_event.h"

#define REPEAT 64	/* consecutive packets of one flow per test run */
#define MAX_STEPS 3

struct frame {
	uint8_t b[128];
	uint32_t n;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Flow i: TCP or UDP over IPv4 (one in eight over IPv6), realistic header sizes. */
static void make_frame(struct frame *f, uint32_t i)
{
	uint8_t *p = f->b;
	int v6 = i % 8 == 7, udp = i % 4 == 3;

	memset(f, 0, sizeof(*f));
	memset(p, 0x02, 12);
	put16(p + 12, v6 ? 0x86dd : 0x0800);
	p += 14;
	if (v6) {
		p[0] = 0x60;
		put16(p + 4, udp ? 8 + 32 : 32 + 12);
		p[6] = udp ? 17 : 6;
		p[7] = 64;
		p[8] = 0x20, p[9] = 0x01, p[23] = (uint8_t)i, p[22] = (uint8_t)(i >> 8);
		p[24] = 0x20, p[25] = 0x01, p[39] = 1;
		p += 40;
	} else {
		p[0] = 0x45;
		put16(p + 2, udp ? 20 + 8 + 32 : 20 + 32 + 12);
		p[8] = 64;
		p[9] = udp ? 17 : 6;
		p[12] = 10, p[13] = (uint8_t)(i >> 16), p[14] = (uint8_t)(i >> 8), p[15] = (uint8_t)i;
		p[16] = 10, p[17] = 255, p[18] = 0, p[19] = 1;
		p += 20;
	}
	put16(p, (uint16_t)(1024 + i % 50000));
	put16(p + 2, udp ? 443 : 80);
	if (udp) {
		put16(p + 4, 8 + 32);
		p += 8 + 32;
	} else {
		p[12] = 8 << 4;	/* 32-byte header: timestamps option */
		p[13] = 0x10;
		p += 32 + 12;
	}
	f->n = (uint32_t)(p - f->b);
}

/* The program's fd, after pinning it in the dispatcher through an idle interface. */
static int prog_fd(struct bpf_object *obj, const char *name, const char *ifname)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);
	int ifindex = (int)if_nametoindex(ifname);

	if (!p || !ifindex) {
		fprintf(stderr, "bpf-bench: no program %s or no interface %s\n", name, ifname);
		exit(1);
	}
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = XDP_FLAGS_SKB_MODE);
	if (bpf_link_create(bpf_program__fd(p), ifindex, BPF_XDP, &o) < 0) {
		fprintf(stderr, "bpf-bench: cannot attach %s to %s: %s\n", name, ifname, strerror(errno));
		exit(1);
	}
	return bpf_program__fd(p);
}

/* meter: an afm.bpf.o (detail: for its afm_xdp_detail), sized as the loader would. */
static struct bpf_object *load(const char *path, int meter, int detail)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (!obj) {
		fprintf(stderr, "bpf-bench: cannot open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (meter) {
		bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "flows"), 1 << 16);
		struct bpf_map *details = bpf_object__find_map_by_name(obj, "details");

		if (details)	/* an object from before the details has none */
			bpf_map__set_max_entries(details, detail ? 1 << 16 : 1);
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "bpf-bench: cannot load %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return obj;
}

/* What the verifier walked to accept each of the object's programs. */
static void print_verified(struct bpf_object *obj)
{
	struct bpf_program *p;

	printf("verified instructions (bpf_prog_info.verified_insns; the budgets: tests/unit/test_bpf.c)\n");
	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_program__fd(p) >= 0 && bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0)
			printf("  %-28s %7u  (%u after the verifier)\n", bpf_program__name(p), info.verified_insns,
			       info.xlated_prog_len / 8);
	}
	printf("\n");
}

/* The meter's ring buffer, emptied as user space would (events are not looked at). */
static struct ring_buffer *rb;

static int discard(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

/* Mean ns per packet of prog over every frame, REPEAT packets per flow at a time. */
static double run(int fd, const struct frame *frames, uint32_t nflows, int rounds)
{
	double total = 0;
	uint64_t packets = 0;

	for (int r = 0; r < rounds; r++)
		for (uint32_t i = 0; i < nflows; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frames[i].b, .data_size_in = frames[i].n,
				    .repeat = REPEAT);

			if (bpf_prog_test_run_opts(fd, &o) != 0) {
				fprintf(stderr, "bpf-bench: test run failed: %s\n", strerror(errno));
				exit(1);
			}
			total += (double)o.duration * REPEAT;
			packets += REPEAT;
			if (rb)
				ring_buffer__consume(rb);
		}
	return total / (double)packets;
}

int main(int argc, char **argv)
{
	if (argc < 9 || (argc - 9) % 2 || (argc - 9) / 2 > MAX_STEPS) {
		fprintf(stderr, "usage: bpf-bench METER.bpf.o REF.bpf.o IF1 IF2 IF3 IF4 METER.bpf.o IF5 "
			"[STEP.bpf.o IF]... (at most %d; the second meter: its afm_xdp_detail)\n", MAX_STEPS);
		return 2;
	}
	uint32_t nflows = 4096;
	int rounds = 3, nsteps = (argc - 9) / 2;
	struct frame *frames = calloc(nflows, sizeof(*frames));

	if (!frames)
		return 1;
	for (uint32_t i = 0; i < nflows; i++)
		make_frame(&frames[i], i);

	struct bpf_object *meter = load(argv[1], 1, 0), *ref = load(argv[2], 0, 0), *detailed = load(argv[7], 1, 1);

	print_verified(meter);
	int f_meter = prog_fd(meter, "afm_xdp", argv[3]), f_pass = prog_fd(ref, "ref_pass", argv[4]);
	int f_clock = prog_fd(ref, "ref_clock", argv[5]), f_compat = prog_fd(meter, "afm_xdp_compat", argv[6]);
	int f_detail = prog_fd(detailed, "afm_xdp_detail", argv[8]);

	struct bpf_object *step_obj[MAX_STEPS];
	int f_step[MAX_STEPS];
	double step[MAX_STEPS] = { 0 };

	for (int i = 0; i < nsteps; i++) {
		step_obj[i] = load(argv[9 + 2 * i], 1, 0);
		f_step[i] = prog_fd(step_obj[i], "afm_xdp", argv[10 + 2 * i]);
	}
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(meter, "events")), discard, NULL, NULL);
	if (!rb || ring_buffer__add(rb, bpf_map__fd(bpf_object__find_map_by_name(detailed, "events")), discard, NULL)) {
		fprintf(stderr, "bpf-bench: cannot open the ring buffer: %s\n", strerror(errno));
		return 1;
	}
	/* interleave the three so that drifts of the machine hit them alike */
	double pass = 0, clock = 0, m = 0, compat = 0, detail = 0;

	/* Warm: each object's slots filled and its ring written once round (see the top). */
	int laps = (int)(AFM_RINGBUF_BYTES / ((uint64_t)nflows * (REPEAT / AFM_BATCH) * sizeof(struct afm_event))) + 1;

	run(f_meter, frames, nflows, laps);
	run(f_detail, frames, nflows, laps * (int)(sizeof(struct afm_event_detailed) / sizeof(struct afm_event) + 1));
	for (int i = 0; i < nsteps; i++)
		run(f_step[i], frames, nflows, laps);
	for (int r = 0; r < rounds; r++) {
		pass += run(f_pass, frames, nflows, 1);
		clock += run(f_clock, frames, nflows, 1);
		m += run(f_meter, frames, nflows, 1);
		compat += run(f_compat, frames, nflows, 1);
		detail += run(f_detail, frames, nflows, 1);
		for (int i = 0; i < nsteps; i++)
			step[i] += run(f_step[i], frames, nflows, 1);
	}
	pass /= rounds, clock /= rounds, m /= rounds, compat /= rounds, detail /= rounds;
	printf("in-kernel ns/packet (BPF_PROG_TEST_RUN, %u flows x %d packets, %d rounds)\n", nflows, REPEAT,
	       rounds);
	printf("  %-28s %7.1f\n", "empty XDP_PASS", pass);
	printf("  %-28s %7.1f\n", "clock read only", clock);
	printf("  %-28s %7.1f\n", "app-flow-meter afm_xdp", m);
	printf("  %-28s %7.2f  (target <= 1.5)\n", "meter / clock-only", m / clock);
	printf("  %-28s %7.1f\n", "meter work beyond the clock", m - clock);
	printf("  %-28s %7.1f  (%.2f x clock-only)\n", "afm_xdp_compat (Linux < 6.2)", compat, compat / clock);
	printf("  %-28s %7.1f  (%+.1f: what a CIC schema adds; without one, nothing)\n", "afm_xdp with CIC details",
	       detail, detail - m);
	if (nsteps) {
		static const char *const names[MAX_STEPS] = { "the parse", "counters, slot index (hash)",
							      "the slot's lookup" };
		double before = clock;

		printf("afm_xdp step by step: ns/packet up to the end of each step, and the step's own cost\n");
		for (int i = 0; i < nsteps; i++) {
			step[i] /= rounds;
			printf("  %-28s %7.1f  %+6.1f\n", names[i], step[i], step[i] - before);
			before = step[i];
		}
		printf("  %-28s %7.1f  %+6.1f\n", "batch, ship (the meter)", m, m - before);
	}
	for (int i = 0; i < nsteps; i++)
		bpf_object__close(step_obj[i]);
	ring_buffer__free(rb);
	bpf_object__close(detailed);
	bpf_object__close(meter);
	bpf_object__close(ref);
	free(frames);
	return 0;
}
