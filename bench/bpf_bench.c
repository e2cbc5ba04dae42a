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
 * TC (afm_tc, the send side) is timed too, without the dispatcher (a TC test run reuses
 * one skb): on the same packets, and with --segments (cfg_segments) on them and on
 * super-frames of three segments (gso_size in the test run's context).
 *
 * Usage: bpf-bench METER.bpf.o REF.bpf.o IF1 IF2 IF3 IF4 [STEP.bpf.o IF]...
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
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
	uint8_t b[192];	/* the largest: three tunnels around an IPv6 packet */
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

/* Set the one-byte constant `name` of the object's .rodata (before load); 0 if it has none. */
static int set_rodata_u8(struct bpf_object *obj, const char *name, uint8_t value)
{
	struct bpf_map *map = NULL, *m;
	const struct btf *btf = bpf_object__btf(obj);

	bpf_object__for_each_map(m, obj)
		if (strstr(bpf_map__name(m), ".rodata"))
			map = m;
	int id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;

	if (!map || id < 0)
		return 0;
	const struct btf_type *sec = btf__type_by_id(btf, (__u32)id);
	const struct btf_var_secinfo *v = btf_var_secinfos(sec);
	size_t size;
	const void *now = bpf_map__initial_value(map, &size);
	uint8_t *data = now ? malloc(size) : NULL;
	int done = 0;

	if (data)
		memcpy(data, now, size);
	for (int i = 0; data && !done && i < btf_vlen(sec); i++, v++)
		if (strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, v->type)->name_off), name) == 0 &&
		    v->offset < size) {
			data[v->offset] = value;
			done = bpf_map__set_initial_value(map, data, size) == 0;
		}
	free(data);
	return done;
}

/* meter: an afm.bpf.o (detail: for its afm_xdp_detail; segments: --segments), sized as the loader would. */
static struct bpf_object *load_segments(const char *path, int meter, int detail, int segments)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (!obj) {
		fprintf(stderr, "bpf-bench: cannot open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (segments && !set_rodata_u8(obj, "cfg_segments", 1)) {
		fprintf(stderr, "bpf-bench: %s has no cfg_segments\n", path);
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

static struct bpf_object *load(const char *path, int meter, int detail)
{
	return load_segments(path, meter, detail, 0);
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

/*
 * Mean ns per packet of prog over every frame (frames[i], len[i] bytes), REPEAT
 * packets per flow at a time; gso_size (a TC program's test run context): the frames
 * are super-frames.
 */
static double run(int fd, uint8_t *const *frames, const uint32_t *len, uint32_t nflows, int rounds,
		  uint32_t gso_size)
{
	double total = 0;
	uint64_t packets = 0;

	for (int r = 0; r < rounds; r++)
		for (uint32_t i = 0; i < nflows; i++) {
			struct __sk_buff ctx = { .gso_size = gso_size };
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frames[i], .data_size_in = len[i], .repeat = REPEAT,
				    .ctx_in = gso_size ? &ctx : NULL, .ctx_size_in = gso_size ? sizeof(ctx) : 0);

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

#define SUPER_PAYLOAD (2 * 1448 + 100)	/* three segments of a 1448-byte MSS */

/* Flow i's TCP frame (one in eight over IPv6) as a super-frame of SUPER_PAYLOAD bytes of data. */
static uint32_t make_super(uint8_t *b, uint32_t i)
{
	struct frame f;

	i &= ~3u;	/* TCP flows only */
	make_frame(&f, i);
	uint32_t hdr = f.n - 12;	/* the frame's 12 bytes of payload replaced */
	int v6 = i % 8 == 7;

	memcpy(b, f.b, hdr);
	memset(b + hdr, 'x', SUPER_PAYLOAD);
	put16(b + 14 + (v6 ? 4 : 2), (uint16_t)(hdr + SUPER_PAYLOAD - 14 - (v6 ? 40 : 0)));
	return hdr + SUPER_PAYLOAD;
}

/* afm_tc of the meter object at path: without and with --segments; super-frames too. */
static void bench_tc(const char *path, uint8_t *const *small, const uint32_t *small_len, uint32_t nflows,
		     int rounds)
{
	struct bpf_object *plain = load(path, 1, 0), *seg = load_segments(path, 1, 0, 1);
	int f_plain = bpf_program__fd(bpf_object__find_program_by_name(plain, "afm_tc"));
	int f_seg = bpf_program__fd(bpf_object__find_program_by_name(seg, "afm_tc"));
	uint8_t **big = calloc(nflows, sizeof(*big));
	uint32_t *big_len = calloc(nflows, sizeof(*big_len));
	uint8_t *store = calloc(nflows, 128 + SUPER_PAYLOAD);

	if (!big || !big_len || !store || f_plain < 0 || f_seg < 0 ||
	    ring_buffer__add(rb, bpf_map__fd(bpf_object__find_map_by_name(plain, "events")), discard, NULL) ||
	    ring_buffer__add(rb, bpf_map__fd(bpf_object__find_map_by_name(seg, "events")), discard, NULL)) {
		fprintf(stderr, "bpf-bench: cannot set up the TC runs\n");
		exit(1);
	}
	for (uint32_t i = 0; i < nflows; i++) {
		big[i] = store + (size_t)i * (128 + SUPER_PAYLOAD);
		big_len[i] = make_super(big[i], i);
	}
	int laps = (int)(AFM_RINGBUF_BYTES / ((uint64_t)nflows * (REPEAT / AFM_BATCH) * sizeof(struct afm_event))) + 1;

	run(f_plain, small, small_len, nflows, laps, 0);
	run(f_seg, small, small_len, nflows, laps, 0);
	double p = 0, s = 0, p_big = 0, s_big = 0;

	for (int r = 0; r < rounds; r++) {
		p += run(f_plain, small, small_len, nflows, 1, 0);
		s += run(f_seg, small, small_len, nflows, 1, 0);
		p_big += run(f_plain, big, big_len, nflows, 1, 1448);
		s_big += run(f_seg, big, big_len, nflows, 1, 1448);
	}
	p /= rounds, s /= rounds, p_big /= rounds, s_big /= rounds;
	printf("TC (afm_tc) ns/packet, the same flows; super-frames: %d bytes of TCP data, gso_size 1448\n",
	       SUPER_PAYLOAD);
	printf("  %-28s %7.1f\n", "afm_tc", p);
	printf("  %-28s %7.1f  (%+.1f)\n", "afm_tc --segments", s, s - p);
	printf("  %-28s %7.1f\n", "afm_tc, super-frames", p_big);
	printf("  %-28s %7.1f  (%+.1f for 3 segments: one sample more)\n", "afm_tc --segments, super", s_big,
	       s_big - p_big);
	free(store);
	free(big), free(big_len);
	bpf_object__close(seg);
	bpf_object__close(plain);
}

/*
 * Tunnels (issue 14): the same flows' frames inside VXLAN, keyed GRE (an Ethernet frame),
 * GTP-U (the IP packet) and three nested tunnels (keyed GRE, VXLAN, IP-in-IP), over an
 * IPv4 underlay. out gets the tunnelled frame of in.
 */
enum { TUN_VXLAN, TUN_GRE, TUN_GTPU, TUN_NESTED, TUN_KINDS };

static uint8_t *put_ipv4(uint8_t *p, uint8_t proto, uint8_t last, uint32_t payload)
{
	p[0] = 0x45;
	put16(p + 2, (uint16_t)(20 + payload));
	p[8] = 64;
	p[9] = proto;
	p[12] = 192, p[13] = 168, p[14] = 0, p[15] = 1;
	p[16] = 192, p[17] = 168, p[18] = 0, p[19] = last;
	return p + 20;
}

static void tunnel_frame(struct frame *out, const struct frame *in, int kind)
{
	uint8_t *p = out->b;
	const uint8_t *ip = in->b + 14;	/* the inner IP packet */
	uint32_t eth_len = in->n, ip_len = in->n - 14;

	memset(out, 0, sizeof(*out));
	memset(p, 0x04, 12);
	put16(p + 12, 0x0800);
	p += 14;
	switch (kind) {
	case TUN_VXLAN:
		p = put_ipv4(p, 17, 2, 8 + 8 + eth_len);
		put16(p, 49152), put16(p + 2, 4789), put16(p + 4, (uint16_t)(16 + eth_len));
		p[8] = 0x08, p[14] = 42;	/* I, VNI 42 */
		p += 16;
		memcpy(p, in->b, eth_len);
		p += eth_len;
		break;
	case TUN_GRE:
		p = put_ipv4(p, 47, 2, 8 + eth_len);
		put16(p, 0x2000), put16(p + 2, 0x6558), p[7] = 7;	/* key 7 */
		p += 8;
		memcpy(p, in->b, eth_len);
		p += eth_len;
		break;
	case TUN_GTPU:
		p = put_ipv4(p, 17, 2, 8 + 8 + ip_len);
		put16(p, 2152), put16(p + 2, 2152), put16(p + 4, (uint16_t)(16 + ip_len));
		p[8] = 0x30, p[9] = 255, put16(p + 10, (uint16_t)ip_len), p[15] = 9;	/* G-PDU, TEID 9 */
		p += 16;
		memcpy(p, ip, ip_len);
		p += ip_len;
		break;
	default: /* TUN_NESTED */
		p = put_ipv4(p, 47, 2, 8 + 20 + 16 + 14 + 20 + ip_len);
		put16(p, 0x2000), put16(p + 2, 0x0800), p[7] = 7;
		p = put_ipv4(p + 8, 17, 3, 16 + 14 + 20 + ip_len);
		put16(p, 49152), put16(p + 2, 4789), put16(p + 4, (uint16_t)(16 + 14 + 20 + ip_len));
		p[8] = 0x08, p[14] = 42;
		p += 16;
		memset(p, 0x06, 12);
		put16(p + 12, 0x0800);
		p = put_ipv4(p + 14, 4, 4, ip_len);
		memcpy(p, ip, ip_len);
		p += ip_len;
		break;
	}
	out->n = (uint32_t)(p - out->b);
}

/*
 * Untunnelled packets through the meter before tunnels (base: an afm.bpf.o of the last
 * commit without them, built by make bench), through this one and through this one
 * with --tunnels outer (outer: built with AFM_CFG_TUNNELS=0), interleaved; then this
 * one on the four tunnelled forms of the same flows. ifs: four idle interfaces.
 */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of n values (sorted in place). */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void bench_tunnels(int f_meter, const char *base_path, const char *outer_path, char **ifs,
			  uint8_t *const *fp, const uint32_t *fl, const struct frame *frames, uint32_t nflows, int rounds)
{
	static const char *const names[TUN_KINDS] = { "VXLAN", "GRE (key, Ethernet)", "GTP-U",
						      "GRE > VXLAN > IP-in-IP" };
	struct bpf_object *base = load(base_path, 1, 0), *outer = load(outer_path, 1, 0);
	int f_base = prog_fd(base, "afm_xdp", ifs[0]), f_outer = prog_fd(outer, "afm_xdp", ifs[1]);
	struct frame *tf = calloc((size_t)nflows * TUN_KINDS, sizeof(*tf));
	uint8_t **tp = calloc((size_t)nflows * TUN_KINDS, sizeof(*tp));
	uint32_t *tl = calloc((size_t)nflows * TUN_KINDS, sizeof(*tl));
	if (!tf || !tp || !tl) {
		fprintf(stderr, "bpf-bench: out of memory\n");
		exit(1);
	}
	for (int k = 0; k < TUN_KINDS; k++)
		for (uint32_t i = 0; i < nflows; i++) {
			tunnel_frame(&tf[k * nflows + i], &frames[i], k);
			tp[k * nflows + i] = tf[k * nflows + i].b;
			tl[k * nflows + i] = tf[k * nflows + i].n;
		}
	ring_buffer__add(rb, bpf_map__fd(bpf_object__find_map_by_name(base, "events")), discard, NULL);
	ring_buffer__add(rb, bpf_map__fd(bpf_object__find_map_by_name(outer, "events")), discard, NULL);
	run(f_base, fp, fl, nflows, 8, 0);	/* warm, as the others were */
	run(f_outer, fp, fl, nflows, 8, 0);
	/* the median of 9 rounds, each program in turn within a round: the host's speed
	 * drifts by a tenth within seconds, which a mean of a few rounds would keep */
	enum { ROUNDS = 21 };
	double b[ROUNDS], m[ROUNDS], o[ROUNDS], t[TUN_KINDS][ROUNDS];

	(void)rounds;
	for (int r = 0; r < ROUNDS; r++) {
		b[r] = run(f_base, fp, fl, nflows, 1, 0);
		m[r] = run(f_meter, fp, fl, nflows, 1, 0);
		o[r] = run(f_outer, fp, fl, nflows, 1, 0);
		for (int k = 0; k < TUN_KINDS; k++)
			t[k][r] = run(f_meter, tp + k * nflows, tl + k * nflows, nflows, 1, 0);
	}
	double mb = median(b, ROUNDS), mm = median(m, ROUNDS), mo = median(o, ROUNDS);

	printf("tunnels: afm_xdp ns/packet, medians of %d rounds in one run (before: %s)\n", ROUNDS, base_path);
	printf("  %-28s %7.1f\n", "untunnelled, before tunnels", mb);
	printf("  %-28s %7.1f  (%.2f x before)\n", "untunnelled, now", mm, mm / mb);
	printf("  %-28s %7.1f  (%.2f x before)\n", "untunnelled, --tunnels outer", mo, mo / mb);
	for (int k = 0; k < TUN_KINDS; k++) {
		double mk = median(t[k], ROUNDS);

		printf("  %-28s %7.1f  (%+.1f a tunnelled packet)\n", names[k], mk, mk - mm);
	}
	free(tf), free(tp), free(tl);
	bpf_object__close(outer);
	bpf_object__close(base);
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
	uint8_t **fp = calloc(nflows, sizeof(*fp));
	uint32_t *fl = calloc(nflows, sizeof(*fl));

	if (!fp || !fl)
		return 1;
	for (uint32_t i = 0; i < nflows; i++) {
		make_frame(&frames[i], i);
		fp[i] = frames[i].b;
		fl[i] = frames[i].n;
	}

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

	run(f_meter, fp, fl, nflows, laps, 0);
	run(f_detail, fp, fl, nflows, laps * (int)(sizeof(struct afm_event_detailed) / sizeof(struct afm_event) + 1),
	    0);
	for (int i = 0; i < nsteps; i++)
		run(f_step[i], fp, fl, nflows, laps, 0);
	for (int r = 0; r < rounds; r++) {
		pass += run(f_pass, fp, fl, nflows, 1, 0);
		clock += run(f_clock, fp, fl, nflows, 1, 0);
		m += run(f_meter, fp, fl, nflows, 1, 0);
		compat += run(f_compat, fp, fl, nflows, 1, 0);
		detail += run(f_detail, fp, fl, nflows, 1, 0);
		for (int i = 0; i < nsteps; i++)
			step[i] += run(f_step[i], fp, fl, nflows, 1, 0);
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
	bench_tc(argv[1], fp, fl, nflows, rounds);
	const char *base = getenv("AFM_BENCH_BASE"), *outer = getenv("AFM_BENCH_OUTER");
	char *ifs[2] = { getenv("AFM_BENCH_IF1"), getenv("AFM_BENCH_IF2") };

	if (base && outer && ifs[0] && ifs[1])
		bench_tunnels(f_meter, base, outer, ifs, fp, fl, frames, nflows, rounds);
	for (int i = 0; i < nsteps; i++)
		bpf_object__close(step_obj[i]);
	ring_buffer__free(rb);
	bpf_object__close(detailed);
	bpf_object__close(meter);
	bpf_object__close(ref);
	free(fp), free(fl);
	free(frames);
	return 0;
}
