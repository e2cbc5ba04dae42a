// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include "kernel/loader.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "afm.skel.h"
#include "log.h"

struct afm_kmeter {
	struct afm_bpf *skel;
	struct bpf_program *xdp;	/* afm_xdp, or afm_xdp_compat (see bpf/afm.bpf.c), or their _detail */
	struct bpf_program *tc;		/* afm_tc, or afm_tc_detail */
	struct ring_buffer *rb;
	afm_kevent_fn on_event;
	void *ctx;
	int ncpus;
	int detail;		/* events carry details (afm_kmeter_config.detail) */
	uint64_t drained;	/* samples taken from the tables by afm_kmeter_drain() */
	uint64_t tunnel_misses;	/* tunnelled samples whose flow the tunnels table had lost */
	struct {		/* the tunnels table's entry of the last event looked up */
		const struct afm_event *ev;
		uint64_t base;
		uint32_t n;
		int found;
		struct afm_ktunnel t;
	} tun;
	int pinned;		/* replay: the thread was pinned to one CPU */
	cpu_set_t affinity;	/* ... and this was its affinity before */
};

static int libbpf_verbose;

/*
 * libbpf's messages through the program's: its warnings always (as warnings), its
 * debug messages with -v. A program's load log (the verifier's, thousands of lines)
 * only with -v: without it, the one-line error that follows says to use -v.
 */
static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	if (libbpf_verbose && (level != LIBBPF_WARN || strstr(fmt, "LOAD LOG")))
		return vfprintf(stderr, fmt, ap);	/* as it comes: a log can be megabytes */
	if (level != LIBBPF_WARN || strstr(fmt, "LOAD LOG"))
		return 0;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	while (n > 0 && (size_t)n < sizeof(line) && line[n - 1] == '\n')
		line[--n] = '\0';
	afm_warn("libbpf: %s", line);
	return 0;
}

void afm_kmeter_logging(int verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(print_libbpf);
}

/* Does the running kernel have the kfunc `name`? (its BTF names it) */
static int kernel_has_kfunc(const char *name)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int found;

	if (!vmlinux)
		return 0;
	found = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return found;
}

static int has_capability(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0)
		return 0;
	return !!(data[cap / 32].effective & (1u << (cap % 32)));
}

static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct afm_kmeter *k = ctx;
	const struct afm_event *ev = data;

	if (size < offsetof(struct afm_event, s) || ev->n > AFM_BATCH ||
	    size < offsetof(struct afm_event, s) + ev->n * sizeof(ev->s[0]) ||
	    ((ev->reason & AFM_EVENT_DETAILED) && size < sizeof(struct afm_event_detailed)))
		return 0;	/* cannot happen: the program writes whole events */
	k->on_event(k->ctx, ev);
	return 0;
}

int afm_kmeter_open(struct afm_kmeter **out, const struct afm_kmeter_config *cfg, char *err, size_t errlen)
{
	struct afm_kmeter *k;
	int ret;

	/* CAP_PERFMON: without it the verifier refuses the pointer arithmetic of the
	 * programs (Spectre v1 hardening for unprivileged loaders). */
	if (geteuid() != 0 &&
	    !(has_capability(CAP_BPF) && has_capability(CAP_PERFMON) && has_capability(CAP_NET_ADMIN))) {
		snprintf(err, errlen, "the kernel meter needs root, or the capabilities CAP_BPF, CAP_PERFMON and "
			 "CAP_NET_ADMIN (try sudo)");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		snprintf(err, errlen,
			 "this kernel has no BTF (/sys/kernel/btf/vmlinux): it needs CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		snprintf(err, errlen, "this kernel has no BPF ring buffer (Linux 5.8 or later is needed)");
		return -ENOTSUP;
	}

	k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	k->on_event = cfg->on_event;
	k->ctx = cfg->ctx;
	k->ncpus = libbpf_num_possible_cpus();
	k->skel = afm_bpf__open();
	if (!k->skel || k->ncpus <= 0) {
		ret = -errno ? -errno : -EINVAL;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-ret));
		goto fail;
	}
	k->skel->rodata->cfg_replay = cfg->replay ? 1 : 0;
	k->skel->rodata->cfg_detail = cfg->detail ? 1 : 0;
	k->skel->rodata->cfg_tunnels = cfg->outer_tunnels ? 0 : 1;
	k->skel->rodata->cfg_segments = cfg->segments ? 1 : 0;
	k->detail = cfg->detail;
	/* the tunnelled flows' table: one entry with --tunnels outer */
	bpf_map__set_max_entries(k->skel->maps.tunnels, cfg->outer_tunnels ? 1 : AFM_TUNNEL_FLOWS);
	/* the details table has the flow table's slots, or one entry when unused */
	bpf_map__set_max_entries(k->skel->maps.details, !cfg->detail ? 1 : cfg->slots ? cfg->slots : AFM_FLOW_SLOTS);
	if (cfg->slots) {
		if (cfg->slots & (cfg->slots - 1)) {
			ret = -EINVAL;
			snprintf(err, errlen, "the flow table size %u is not a power of two", cfg->slots);
			goto fail;
		}
		k->skel->rodata->cfg_slot_mask = cfg->slots - 1;
		bpf_map__set_max_entries(k->skel->maps.flows, cfg->slots);
	}
	if (cfg->ringbuf_bytes) {
		bpf_map__set_max_entries(k->skel->maps.events, cfg->ringbuf_bytes);
		k->skel->rodata->cfg_wakeup_bytes = cfg->ringbuf_bytes / 4;
	}
	/* One XDP program: the fast one where the kernel has its kfunc (Linux 6.2); the
	 * environment variable AFM_XDP_COMPAT=1 takes the other (for the tests). */
	const char *env = getenv("AFM_XDP_COMPAT");
	int compat = cfg->compat_xdp || (env && strcmp(env, "1") == 0);
	int fast = !compat && kernel_has_kfunc("bpf_cast_to_kern_ctx");

	/* ... and the programs with details for the CIC schemas, or those without. */
	struct bpf_program *xdp[2][2] = {
		{ k->skel->progs.afm_xdp_compat, k->skel->progs.afm_xdp },
		{ k->skel->progs.afm_xdp_compat_detail, k->skel->progs.afm_xdp_detail },
	};
	const int d = cfg->detail != 0;

	k->xdp = xdp[d][fast];
	k->tc = d ? k->skel->progs.afm_tc_detail : k->skel->progs.afm_tc;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			bpf_program__set_autoload(xdp[i][j], i == d && j == fast);
	bpf_program__set_autoload(k->skel->progs.afm_tc, !d);
	bpf_program__set_autoload(k->skel->progs.afm_tc_detail, d);
	ret = afm_bpf__load(k->skel);
	if (ret) {
		if (ret == -EPERM)
			snprintf(err, errlen, "cannot load the BPF programs: permission denied (root, or CAP_BPF, "
				 "CAP_PERFMON and CAP_NET_ADMIN, are needed)");
		else
			snprintf(err, errlen, "cannot load the BPF programs: %s%s", strerror(-ret),
				 libbpf_verbose ? "" : " (run with -v to see the verifier's log)");
		goto fail;
	}
	if (libbpf_verbose)
		afm_notice("XDP program %s%s", bpf_program__name(k->xdp),
			   fast ? "" : compat ? " (AFM_XDP_COMPAT=1)" : " (the kernel has no bpf_cast_to_kern_ctx, Linux 6.2)");
	k->rb = ring_buffer__new(bpf_map__fd(k->skel->maps.events), on_ring_event, k, NULL);
	if (!k->rb) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF ring buffer: %s", strerror(-ret));
		goto fail;
	}
	/* A replay stays on one CPU: each CPU has its own flow table, and a flow's
	 * packets must meet in one batch for the replay to test the batching. (Last:
	 * nothing fails after it, so no failure leaves the thread pinned.) */
	if (cfg->replay && sched_getaffinity(0, sizeof(k->affinity), &k->affinity) == 0) {
		cpu_set_t here;
		int cpu = sched_getcpu();

		CPU_ZERO(&here);
		CPU_SET(cpu < 0 ? 0 : cpu, &here);
		k->pinned = sched_setaffinity(0, sizeof(here), &here) == 0;
	}
	*out = k;
	return 0;
fail:
	afm_bpf__destroy(k->skel);
	free(k);
	return ret;
}


int afm_kmeter_poll(struct afm_kmeter *k, int timeout_ms)
{
	/* Events are mostly sent without a wake-up: wait, then read whatever is there. */
	int n = ring_buffer__poll(k->rb, timeout_ms);

	if (n < 0 && n != -EINTR)
		return n;
	int m = ring_buffer__consume(k->rb);

	return m < 0 ? m : (n > 0 ? n : 0) + m;
}


static int test_run(int prog_fd, const void *data, uint32_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = len, .repeat = 1);

	return bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0;
}

int afm_kmeter_sweep(struct afm_kmeter *k, uint64_t now, uint64_t flush_after)
{
	static const uint8_t frame[64];	/* XDP test runs want at least an Ethernet header */
	int fd = bpf_program__fd(k->skel->progs.afm_sweep);
	cpu_set_t saved, one;
	int ret = 0;

	k->skel->bss->sweep_args.now = now;
	k->skel->bss->sweep_args.flush_after = flush_after;
	/* Each CPU's table is swept on that CPU, where no hook can run meanwhile. */
	if (sched_getaffinity(0, sizeof(saved), &saved) != 0)
		return -errno;
	for (int cpu = 0; cpu < k->ncpus && cpu < CPU_SETSIZE; cpu++) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) != 0)
			continue;	/* offline CPU: its table cannot be written either */
		int r = test_run(fd, frame, sizeof(frame));

		if (r && !ret)
			ret = r;
	}
	sched_setaffinity(0, sizeof(saved), &saved);
	return ret;
}

/* Slots read at once by afm_kmeter_drain(): one system call for this many. */
#define DRAIN_BATCH 128

/* One slot's waiting batch of CPU c (per: that slot's values, one a CPU) to on_event. */
static int drain_slot(struct afm_kmeter *k, uint32_t slot, struct afm_kslot *per, struct afm_kdetails *dper)
{
	int have_details = 0;

	for (int c = 0; c < k->ncpus; c++) {
		struct afm_event_detailed dev;

		if (!per[c].ev.n || per[c].ev.n > AFM_BATCH)
			continue;
		per[c].ev.reason = AFM_FLUSH_SWEEP;
		if (dper && !have_details) {	/* the slot's details, once, when it holds a batch */
			if (bpf_map_lookup_elem(bpf_map__fd(k->skel->maps.details), &slot, dper) != 0)
				return -errno;
			have_details = 1;
		}
		if (dper) {
			dev.ev = per[c].ev;
			dev.ev.reason |= AFM_EVENT_DETAILED;
			memcpy(dev.d, dper[c].d, sizeof(dev.d));
			k->on_event(k->ctx, &dev.ev);
		} else {
			k->on_event(k->ctx, &per[c].ev);
		}
		k->drained += per[c].ev.n;
	}
	return 0;
}

int afm_kmeter_drain(struct afm_kmeter *k)
{
	int fd = bpf_map__fd(k->skel->maps.flows);
	struct afm_kslot *per = calloc((size_t)k->ncpus * DRAIN_BATCH, sizeof(*per));
	struct afm_kdetails *dper = k->detail ? calloc((size_t)k->ncpus, sizeof(*dper)) : NULL;
	uint32_t keys[DRAIN_BATCH], next = 0;
	void *from = NULL;
	int ret = 0;

	if (!per || (k->detail && !dper)) {
		free(per);
		free(dper);
		return -ENOMEM;
	}
	while (afm_kmeter_poll(k, 0) > 0)
		;
	/* With the hooks gone, the tables are read from here: every CPU's, even one
	 * this process may not run on; DRAIN_BATCH slots a system call (a table of
	 * 16,384 slots, read one by one, cost a quarter of a second). */
	for (int end = 0; !end && !ret;) {
		uint32_t count = DRAIN_BATCH;

		if (bpf_map_lookup_batch(fd, from, &next, keys, per, &count, NULL) != 0) {
			if (errno != ENOENT) {
				ret = -errno;
				break;
			}
			end = 1;	/* the last slots are in this answer */
		}
		for (uint32_t i = 0; i < count && !ret; i++)
			ret = drain_slot(k, keys[i], per + (size_t)i * k->ncpus, dper);
		from = &next;
	}
	free(per);
	free(dper);
	return ret;
}

int afm_kmeter_xdp_fd(const struct afm_kmeter *k)
{
	return bpf_program__fd(k->xdp);
}

int afm_kmeter_tc_fd(const struct afm_kmeter *k)
{
	return bpf_program__fd(k->tc);
}

int afm_kmeter_replay(struct afm_kmeter *k, const void *frame, uint32_t len, const struct afm_replay *r)
{
	k->skel->bss->replay = *r;
	return test_run(bpf_program__fd(k->xdp), frame, len);
}

const char *afm_kmeter_xdp_program(const struct afm_kmeter *k)
{
	return bpf_program__name(k->xdp);
}

uint64_t afm_kmeter_drained(const struct afm_kmeter *k)
{
	return k->drained;
}

int afm_kmeter_counters(struct afm_kmeter *k, struct afm_kcounters *sum)
{
	struct afm_kcounters *per = calloc((size_t)k->ncpus, sizeof(*per));
	__u32 zero = 0;
	int ret = 0;

	memset(sum, 0, sizeof(*sum));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(k->skel->maps.counters), &zero, per) != 0) {
		ret = -errno;
	} else {
		const size_t words = sizeof(*sum) / sizeof(__u64);

		for (int c = 0; c < k->ncpus; c++)
			for (size_t w = 0; w < words; w++)
				((__u64 *)sum)[w] += ((const __u64 *)&per[c])[w];
	}
	free(per);
	return ret;
}

int afm_kmeter_programs(const struct afm_kmeter *k, struct afm_kprogram *out, int max)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, k->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || n == max)
			continue;	/* not loaded (the other XDP program) */
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
			return -errno;
		snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(prog));
		out[n].verified_insns = info.verified_insns;
		out[n].xlated_insns = info.xlated_prog_len / 8;
		n++;
	}
	return n;
}

void afm_kmeter_close(struct afm_kmeter *k)
{
	if (!k)
		return;
	ring_buffer__free(k->rb);
	afm_bpf__destroy(k->skel);
	if (k->pinned)
		sched_setaffinity(0, sizeof(k->affinity), &k->affinity);
	free(k);
}

/* A tunnelled flow's carrier and identifiers into its record, from the tunnels table. */
static void tunnel_fill(struct afm_kmeter *k, const struct afm_event *ev, struct afm_record *rec)
{
	if (!ev->key.tunnel[0])
		return;
	/* one lookup an event: its samples are one flow's */
	if (k->tun.ev != ev || k->tun.base != ev->base || k->tun.n != ev->n) {
		k->tun.ev = ev;
		k->tun.base = ev->base;
		k->tun.n = ev->n;
		k->tun.found = bpf_map_lookup_elem(bpf_map__fd(k->skel->maps.tunnels), &ev->key, &k->tun.t) == 0;
	}
	if (!k->tun.found) {
		k->tunnel_misses++;
		return;
	}
	const struct afm_ktunnel *t = &k->tun.t;
	const uint32_t e = rec->dir & 1;

	memcpy(rec->outer[0], t->outer[e], 16);	/* the sender's side */
	memcpy(rec->outer[1], t->outer[!e], 16);
	rec->outer_ver = t->outer_ver;
	rec->tunnel_has_id = (t->has_id >> e) & 1;
	rec->tunnel_id = t->id[e];
}

void afm_kmeter_record(struct afm_kmeter *k, const struct afm_event *ev, uint32_t i, struct afm_record *rec)
{
	afm_kevent_record(ev, i, rec);
	tunnel_fill(k, ev, rec);
}

void afm_kmeter_segment(struct afm_kmeter *k, const struct afm_event *ev, uint32_t i, uint32_t j,
			struct afm_record *rec)
{
	afm_kevent_segment(ev, i, j, rec);
	tunnel_fill(k, ev, rec);
}

uint64_t afm_kmeter_tunnel_misses(const struct afm_kmeter *k)
{
	return k->tunnel_misses;
}

void afm_kevent_record(const struct afm_event *ev, uint32_t i, struct afm_record *rec)
{
	uint32_t info = ev->s[i].info;

	memset(rec, 0, sizeof(*rec));
	rec->key = ev->key;
	rec->ts_ns = ev->base + ev->s[i].stamp;
	rec->wire_len = info & AFM_KS_LEN_MASK;
	/* the IP octets, as the program found them (afm_ip_octets() gives them back) */
	rec->ip_len = rec->wire_len > ev->overhead[i] ? rec->wire_len - ev->overhead[i] : 0;
	rec->dir = (info & AFM_KS_DIR) ? 1 : 0;
	rec->tcp_flags = (uint8_t)(info >> AFM_KS_FLAGS_SHIFT);
	rec->http_status = (info & AFM_KS_HTTP_2XX) ? 200 : 0;
	rec->payload = (info & AFM_KS_PAYLOAD) ? 1 : 0;
	if (ev->reason & AFM_EVENT_DETAILED) {
		const struct afm_kdetail *d = &((const struct afm_event_detailed *)(const void *)ev)->d[i];

		rec->tcp_seq = d->seq;
		rec->tcp_ack = d->ack;
		rec->headers = d->headers;
		rec->l4_hlen = d->l4_hlen;
		if (rec->key.proto == AFM_IPPROTO_TCP) {
			rec->tcp_window = d->window;
		} else {
			rec->icmp_type = (uint8_t)(d->window >> 8);
			rec->icmp_code = (uint8_t)d->window;
		}
	}
}

uint32_t afm_kevent_packets(const struct afm_event *ev, uint32_t i)
{
	if (i > 0 && (ev->s[i - 1].info & AFM_KS_SEGMENTS))
		return 0;	/* an extension (its info never has the bit) */
	if (!(ev->s[i].info & AFM_KS_SEGMENTS) || i + 1 >= ev->n)
		return 1;
	return AFM_KX_SEGS(&ev->s[i + 1]);
}

/*
 * As the kernel's segmentation makes them (tcp_gso_segment(), docs/METERING.md):
 * every segment repeats the headers and carries gso_size bytes, the last one what is
 * left; FIN and PSH are on the last, CWR on the first, an HTTP status line in the
 * first; segment j's sequence number is the super-frame's plus j * gso_size.
 */
void afm_kevent_segment(const struct afm_event *ev, uint32_t i, uint32_t j, struct afm_record *rec)
{
	afm_kevent_record(ev, i, rec);
	uint32_t segs = afm_kevent_packets(ev, i);

	if (segs < 2 || j >= segs)
		return;
	const struct afm_ksample *x = &ev->s[i + 1];
	uint32_t gso = AFM_KX_GSO_SIZE(x), hdr = AFM_KX_HEADERS(x);
	uint32_t last = rec->wire_len - hdr - (segs - 1) * gso;

	rec->wire_len = hdr + (j + 1 < segs ? gso : last);
	rec->ip_len = rec->wire_len > ev->overhead[i] ? rec->wire_len - ev->overhead[i] : 0;
	if (j + 1 < segs)
		rec->tcp_flags &= (uint8_t)~(AFM_TCP_FIN | AFM_TCP_PSH);
	if (j > 0) {
		rec->tcp_flags &= (uint8_t)~AFM_TCP_CWR;
		rec->http_status = 0;
	}
	if (rec->key.proto == AFM_IPPROTO_TCP)
		rec->tcp_seq += j * gso;
}
