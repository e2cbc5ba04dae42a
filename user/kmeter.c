// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include "kmeter.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "afm.skel.h"
#include "log.h"

#ifndef BPF_TCX_EGRESS
#define AFM_BPF_TCX_EGRESS 47	/* Linux 6.6 UAPI; older headers lack it */
#else
#define AFM_BPF_TCX_EGRESS BPF_TCX_EGRESS
#endif

/* The classic TC filter's handle and priority, to find and replace our own. */
#define AFM_TC_HANDLE 0xaf1
#define AFM_TC_PRIORITY 0xaf1

#define MAX_HOOKS 64

struct hook {
	int link_fd;		/* XDP or TCX link, or -1 */
	int tc_classic;		/* a netlink TC filter (no link) */
	int tc_created_qdisc;	/* we created the clsact qdisc */
	int ifindex;
	int replaced_fd;	/* --force: the XDP program we took the place of, or -1 */
	__u32 replaced_flags;	/* ... its mode, to put it back as it was */
	__u32 replaced_id;
	char replaced_name[64];
};

struct afm_kmeter {
	struct afm_bpf *skel;
	struct bpf_program *xdp;	/* afm_xdp, or afm_xdp_compat (see bpf/afm.bpf.c) */
	struct ring_buffer *rb;
	afm_kevent_fn on_event;
	void *ctx;
	struct hook hooks[MAX_HOOKS];
	int n_hooks;
	int ncpus;
	uint64_t drained;	/* samples taken from the tables by afm_kmeter_drain() */
	int pinned;		/* replay: the thread was pinned to one CPU */
	cpu_set_t affinity;	/* ... and this was its affinity before */
};

static int verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose && level != LIBBPF_WARN)
		return 0;
	if (!verbose)
		return 0;	/* warnings too: without -v, our own one-line errors say it */
	return vfprintf(stderr, fmt, ap);
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
	    size < offsetof(struct afm_event, s) + ev->n * sizeof(ev->s[0]))
		return 0;	/* cannot happen: the program writes whole events */
	k->on_event(k->ctx, ev);
	return 0;
}

int afm_kmeter_open(struct afm_kmeter **out, const struct afm_kmeter_config *cfg, char *err, size_t errlen)
{
	struct afm_kmeter *k;
	int ret;

	verbose = cfg->verbose;
	libbpf_set_print(print_libbpf);
	/* CAP_PERFMON: without it the verifier refuses the pointer arithmetic of the
	 * programs (Spectre v1 hardening for unprivileged loaders). */
	if (geteuid() != 0 && !(has_capability(39 /* CAP_BPF */) && has_capability(38 /* CAP_PERFMON */) &&
				has_capability(CAP_NET_ADMIN))) {
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

	k->xdp = fast ? k->skel->progs.afm_xdp : k->skel->progs.afm_xdp_compat;
	bpf_program__set_autoload(k->skel->progs.afm_xdp, fast);
	bpf_program__set_autoload(k->skel->progs.afm_xdp_compat, !fast);
	ret = afm_bpf__load(k->skel);
	if (ret) {
		if (ret == -EPERM)
			snprintf(err, errlen, "cannot load the BPF programs: permission denied (root, or CAP_BPF, "
				 "CAP_PERFMON and CAP_NET_ADMIN, are needed)");
		else
			snprintf(err, errlen, "cannot load the BPF programs: %s%s", strerror(-ret),
				 verbose ? "" : " (run with -v to see the verifier's log)");
		goto fail;
	}
	if (verbose)
		afm_notice("XDP program %s%s", bpf_program__name(k->xdp),
			   fast ? "" : compat ? " (AFM_XDP_COMPAT=1)" : " (the kernel has no bpf_cast_to_kern_ctx, Linux 6.2)");
	/* A replay stays on one CPU: each CPU has its own flow table, and a flow's
	 * packets must meet in one batch for the replay to test the batching. */
	if (cfg->replay && sched_getaffinity(0, sizeof(k->affinity), &k->affinity) == 0) {
		cpu_set_t here;
		int cpu = sched_getcpu();

		CPU_ZERO(&here);
		CPU_SET(cpu < 0 ? 0 : cpu, &here);
		k->pinned = sched_setaffinity(0, sizeof(here), &here) == 0;
	}
	k->rb = ring_buffer__new(bpf_map__fd(k->skel->maps.events), on_ring_event, k, NULL);
	if (!k->rb) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF ring buffer: %s", strerror(-ret));
		goto fail;
	}
	*out = k;
	return 0;
fail:
	afm_bpf__destroy(k->skel);
	free(k);
	return ret;
}

static int ifindex_of(const char *ifname, char *err, size_t errlen, const char *what)
{
	int ifindex = (int)if_nametoindex(ifname);

	if (!ifindex)
		snprintf(err, errlen, "cannot attach %s to %s: no such interface", what, ifname);
	return ifindex;
}

static struct hook *new_hook(struct afm_kmeter *k, int ifindex)
{
	struct hook *h;

	if (k->n_hooks == MAX_HOOKS)
		return NULL;
	h = &k->hooks[k->n_hooks++];
	memset(h, 0, sizeof(*h));
	h->link_fd = -1;
	h->replaced_fd = -1;
	h->ifindex = ifindex;
	return h;
}

/* Name and id of the XDP program on ifindex, if any. */
static __u32 xdp_current(int ifindex, char *name, size_t len)
{
	__u32 id = 0;
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);
	int fd;

	snprintf(name, len, "?");
	if (bpf_xdp_query_id(ifindex, 0, &id) != 0 || !id)
		return 0;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &info_len) == 0)
			snprintf(name, len, "%s", info.name);
		close(fd);
	}
	return id;
}

/* The interface's driver name (ethtool), "" when unknown. */
static void driver_of(const char *ifname, char *drv, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	drv[0] = '\0';
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		snprintf(drv, len, "%s", info.driver);
	close(fd);
}

int afm_iface_is_loopback(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), lo = 0;

	if (fd < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		lo = !!(ifr.ifr_flags & IFF_LOOPBACK);
	close(fd);
	return lo;
}

/* Attach again the XDP program --force took the place of, as it was. */
static void put_back(const char *ifname, int ifindex, int fd, __u32 flags, const char *name, __u32 id)
{
	if (fd < 0)
		return;
	if (bpf_xdp_attach(ifindex, fd, flags, NULL) == 0)
		afm_notice("%s: XDP program %s (id %u), replaced with --force, is attached again", ifname, name, id);
	else
		afm_warn("%s: cannot attach again the XDP program %s (id %u) that --force replaced: %s; attach it "
			 "again with the tool that loaded it", ifname, name, id, strerror(errno));
	close(fd);
}

int afm_kmeter_attach_xdp(struct afm_kmeter *k, const char *ifname, enum afm_xdp_mode mode, int force,
			  const char **used, char *err, size_t errlen)
{
	int ifindex = ifindex_of(ifname, err, errlen, "XDP");
	int prog_fd = bpf_program__fd(k->xdp);
	char other[64];
	__u32 other_id;
	int fd;

	if (!ifindex)
		return -ENODEV;
	other_id = xdp_current(ifindex, other, sizeof(other));
	if (other_id && !force) {
		snprintf(err, errlen,
			 "cannot attach XDP to %s: another XDP program (%s, id %u) is attached; stop the tool "
			 "that attached it, or use --force to replace it", ifname, other, other_id);
		return -EBUSY;
	}
	/* --force: keep the other program (and its mode) to put it back at exit. */
	int replaced_fd = -1;
	__u32 replaced_flags = 0;

	if (other_id) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		replaced_fd = bpf_prog_get_fd_by_id(other_id);
		if (bpf_xdp_query(ifindex, 0, &q) == 0)
			replaced_flags = q.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE :
					 q.attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE : XDP_FLAGS_DRV_MODE;
		/* netlink-attached programs can be detached in either mode */
		bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
		char still[64];

		if (xdp_current(ifindex, still, sizeof(still))) {
			if (replaced_fd >= 0)
				close(replaced_fd);
			snprintf(err, errlen,
				 "cannot attach XDP to %s: the program there (%s) is held by a link of another "
				 "process; --force cannot remove it, stop that process", ifname, still);
			return -EBUSY;
		}
		afm_notice("%s: replaced XDP program %s (id %u) for the run (--force); it is put back at exit",
			   ifname, other, other_id);
	}

	if (mode == AFM_XDP_AUTO) {
		char drv[32];

		/*
		 * Native XDP on a veth turns off its peer's GSO, caps the MTU and moves GRO
		 * before the program (it would see segments where the stack and tcpdump see
		 * one super-frame): generic XDP leaves a container's link as it was.
		 */
		driver_of(ifname, drv, sizeof(drv));
		if (strcmp(drv, "veth") == 0)
			mode = AFM_XDP_GENERIC;
	}
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	opts.flags = mode == AFM_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	if (fd < 0 && mode == AFM_XDP_AUTO) {
		int native_err = errno;

		opts.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
		if (fd >= 0)
			afm_notice("%s: native XDP refused (%s); metering with generic XDP", ifname,
				   strerror(native_err));
	}
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot attach XDP to %s: %s%s", ifname, strerror(e),
			 e == EOPNOTSUPP && mode == AFM_XDP_NATIVE ? " (its driver has no native XDP: try "
									"--xdp-mode generic)" : "");
		put_back(ifname, ifindex, replaced_fd, replaced_flags, other, other_id);
		return -e;
	}
	struct hook *h = new_hook(k, ifindex);

	if (!h) {
		close(fd);
		put_back(ifname, ifindex, replaced_fd, replaced_flags, other, other_id);
		snprintf(err, errlen, "cannot attach XDP to %s: too many attachments", ifname);
		return -E2BIG;
	}
	h->link_fd = fd;
	h->replaced_fd = replaced_fd;
	h->replaced_flags = replaced_flags;
	h->replaced_id = other_id;
	snprintf(h->replaced_name, sizeof(h->replaced_name), "%s", other);
	*used = opts.flags == XDP_FLAGS_SKB_MODE ? "generic" : "native";
	return 0;
}

int afm_kmeter_attach_tc_egress(struct afm_kmeter *k, const char *ifname, char *err, size_t errlen)
{
	int ifindex = ifindex_of(ifname, err, errlen, "TC egress");
	int prog_fd = bpf_program__fd(k->skel->progs.afm_tc);
	struct hook *h;
	int fd, ret;

	if (!ifindex)
		return -ENODEV;
	h = new_hook(k, ifindex);
	if (!h) {
		snprintf(err, errlen, "cannot attach TC egress to %s: too many attachments", ifname);
		return -E2BIG;
	}
	/* TCX (Linux 6.6+): a link, removed by the kernel however the process ends. */
	fd = bpf_link_create(prog_fd, ifindex, AFM_BPF_TCX_EGRESS, NULL);
	if (fd >= 0) {
		h->link_fd = fd;
		return 0;
	}
	/* Older kernels: a clsact qdisc and a filter, removed at exit. */
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = AFM_TC_HANDLE, .priority = AFM_TC_PRIORITY,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST) {
		k->n_hooks--;
		snprintf(err, errlen, "cannot attach TC egress to %s: cannot create its clsact qdisc: %s", ifname,
			 strerror(-ret));
		return ret;
	}
	h->tc_created_qdisc = ret == 0;
	ret = bpf_tc_attach(&hook, &opts);
	if (ret) {
		if (h->tc_created_qdisc)
			bpf_tc_hook_destroy(&hook);
		k->n_hooks--;
		snprintf(err, errlen, "cannot attach TC egress to %s: %s", ifname, strerror(-ret));
		return ret;
	}
	h->tc_classic = 1;
	return 0;
}

void afm_kmeter_detach(struct afm_kmeter *k)
{
	for (int i = k->n_hooks - 1; i >= 0; i--) {
		struct hook *h = &k->hooks[i];

		if (h->link_fd >= 0)
			close(h->link_fd);
		if (h->replaced_fd >= 0) {
			char ifname[IF_NAMESIZE];

			if (!if_indextoname((unsigned)h->ifindex, ifname))
				snprintf(ifname, sizeof(ifname), "ifindex %d", h->ifindex);
			put_back(ifname, h->ifindex, h->replaced_fd, h->replaced_flags, h->replaced_name, h->replaced_id);
			h->replaced_fd = -1;
		}
		if (h->tc_classic) {
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex, .attach_point = BPF_TC_EGRESS);
			LIBBPF_OPTS(bpf_tc_opts, opts, .handle = AFM_TC_HANDLE, .priority = AFM_TC_PRIORITY);

			bpf_tc_detach(&hook, &opts);
			if (h->tc_created_qdisc)
				bpf_tc_hook_destroy(&hook);
		}
	}
	k->n_hooks = 0;
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

int afm_kmeter_drain(struct afm_kmeter *k)
{
	int fd = bpf_map__fd(k->skel->maps.flows);
	uint32_t slots = bpf_map__max_entries(k->skel->maps.flows);
	struct afm_kslot *per = calloc((size_t)k->ncpus, sizeof(*per));
	int ret = 0;

	if (!per)
		return -ENOMEM;
	while (afm_kmeter_poll(k, 0) > 0)
		;
	/* With the hooks gone, the tables are read from here: every CPU's, even one
	 * this process may not run on. */
	for (uint32_t i = 0; i < slots; i++) {
		if (bpf_map_lookup_elem(fd, &i, per) != 0) {
			ret = -errno;
			break;
		}
		for (int c = 0; c < k->ncpus; c++)
			if (per[c].ev.n && per[c].ev.n <= AFM_BATCH) {
				per[c].ev.reason = AFM_FLUSH_SWEEP;
				k->on_event(k->ctx, &per[c].ev);
				k->drained += per[c].ev.n;
			}
	}
	free(per);
	return ret;
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

void afm_kmeter_close(struct afm_kmeter *k)
{
	if (!k)
		return;
	afm_kmeter_detach(k);
	ring_buffer__free(k->rb);
	afm_bpf__destroy(k->skel);
	if (k->pinned)
		sched_setaffinity(0, sizeof(k->affinity), &k->affinity);
	free(k);
}

void afm_kevent_record(const struct afm_event *ev, uint32_t i, struct afm_record *rec)
{
	uint32_t info = ev->s[i].info;

	memset(rec, 0, sizeof(*rec));
	rec->key = ev->key;
	rec->ts_ns = ev->base + ev->s[i].stamp;
	rec->wire_len = info & AFM_KS_LEN_MASK;
	rec->dir = (info & AFM_KS_DIR) ? 1 : 0;
	rec->tcp_flags = (uint8_t)(info >> AFM_KS_FLAGS_SHIFT);
	rec->http_status = (info & AFM_KS_HTTP_2XX) ? 200 : 0;
	rec->payload = (info & AFM_KS_PAYLOAD) ? 1 : 0;
}
