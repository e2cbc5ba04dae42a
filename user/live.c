// SPDX-License-Identifier: MIT
#include "live.h"

#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kernel/container.h"
#include "kernel/hooks.h"
#include "kernel/loader.h"
#include "kernel/reorder.h"
#include "log.h"
#include "pipeline.h"
#include "progress.h"
#include "stop.h"

#define MS 1000000ULL
/* The sweep ships batches that waited this long, and runs this often. */
#define FLUSH_AFTER_NS (100 * MS)
#define SWEEP_EVERY_NS (100 * MS)
/*
 * Samples are put back in time order and handed to the engine once they are this
 * old: a sample reaches user space at most FLUSH_AFTER + SWEEP_EVERY (plus a poll)
 * after the packet, so none comes after the ones it should precede.
 */
#define REORDER_WINDOW_NS (500 * MS)
#define RELEASE_EVERY_NS (20 * MS)
/* An interface that went away: its flows end once its last samples are surely in. */
#define GONE_GRACE_NS (REORDER_WINDOW_NS + FLUSH_AFTER_NS + 2 * SWEEP_EVERY_NS)
#define MAX_ATTACH 64
#define POLL_MS 50

struct live {
	const struct afm_options *opt;
	struct afm_kmeter *k;
	struct afm_hooks hooks;
	struct afm_reorder reorder;
	struct afm_pipeline pipe;
	int64_t mono_to_real;	/* add to CLOCK_MONOTONIC ns (bpf_ktime_get_ns) for UTC ns */
	uint64_t received;	/* samples from the ring buffer */
	struct afm_attach att[MAX_ATTACH];
	uint64_t gone_at[MAX_ATTACH];	/* monotonic ns when the interface went away, 0 */
	int ended[MAX_ATTACH];		/* ... and its flows were written */
	int n_att, n_present;
	double started;			/* afm_now() at start */
	double status_time;		/* the last status line: when, and the packets then */
	uint64_t status_packets;
	char iface_text[MAX_ATTACH][AFM_INTERFACE_TEXT];	/* the interface column */
};

/* The interface column: the attachment's host-side name, and the container's side. */
static const char *iface_name(void *ctx, uint32_t ifindex)
{
	const struct live *l = ctx;

	for (int i = 0; i < l->n_att; i++)
		if ((uint32_t)l->att[i].host_ifindex == ifindex)
			return l->iface_text[i];
	return "-";
}

/* "veth1", or "veth1 (netns web, eth0)" for a container's peer. */
static const char *describe(const struct afm_attach *a, char *buf, size_t len)
{
	if (*a->container)
		snprintf(buf, len, "%s (%s, %s)", a->host_if, a->container, a->inner_if);
	else
		snprintf(buf, len, "%s", a->host_if);
	return buf;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Wall clock minus the kernel's monotonic clock, read tightly around each other. */
static int64_t mono_to_real_offset(void)
{
	int64_t best = 0;
	uint64_t best_span = UINT64_MAX;

	for (int i = 0; i < 5; i++) {
		uint64_t m0 = clock_ns(CLOCK_MONOTONIC), r = clock_ns(CLOCK_REALTIME);
		uint64_t m1 = clock_ns(CLOCK_MONOTONIC);

		if (m1 - m0 < best_span) {
			best_span = m1 - m0;
			best = (int64_t)r - (int64_t)(m0 + (m1 - m0) / 2);
		}
	}
	return best;
}

static void on_event(void *ctx, const struct afm_event *ev)
{
	struct live *l = ctx;

	l->received += ev->n;
	if (afm_reorder_push(&l->reorder, ev) != 0)
		l->pipe.counters.lost[AFM_LOST_NO_MEMORY] += ev->n;
}

/* A sample in time order: to the engine, on the wall clock; a super-frame as its segments. */
static void on_sample(void *ctx, const struct afm_event *ev, uint32_t i)
{
	struct live *l = ctx;
	struct afm_record rec;
	uint32_t n = afm_kevent_packets(ev, i);

	for (uint32_t j = 0; j < n; j++) {
		afm_kmeter_segment(l->k, ev, i, j, &rec);
		rec.ts_ns = (uint64_t)((int64_t)rec.ts_ns + l->mono_to_real);
		if (afm_engine_packet(&l->pipe.engine, &rec) == 0)
			l->pipe.counters.metered++;
		else
			l->pipe.counters.lost[AFM_LOST_NO_MEMORY]++;
	}
}

/* Samples older than the horizon (kernel clock) go to the engine; time passes there. */
static void release(struct live *l, uint64_t horizon)
{
	afm_reorder_release(&l->reorder, horizon, on_sample, l);
	if (horizon != UINT64_MAX)
		afm_engine_advance(&l->pipe.engine, (uint64_t)((int64_t)horizon + l->mono_to_real));
}

/* The interfaces to meter: -i names, or the veth peers of the containers' interfaces. */
static int find_attachments(struct live *l)
{
	const struct afm_options *opt = l->opt;
	char err[512];

	if (!opt->n_containers) {
		for (int i = 0; i < opt->n_interfaces && l->n_att < MAX_ATTACH; i++) {
			struct afm_attach *a = &l->att[l->n_att++];

			memset(a, 0, sizeof(*a));
			snprintf(a->host_if, sizeof(a->host_if), "%s", opt->interfaces[i]);
			a->host_ifindex = (int)if_nametoindex(opt->interfaces[i]);
		}
		return 0;
	}
	for (int c = 0; c < opt->n_containers; c++) {
		int n = afm_container_find(opt->container_kind[c], opt->containers[c], opt->interfaces,
					   opt->n_interfaces, l->att + l->n_att, MAX_ATTACH - l->n_att, err,
					   sizeof(err));

		if (n < 0) {
			afm_error("%s", err);
			return AFM_EXIT_KERNEL;
		}
		l->n_att += n;
	}
	/* One interface twice would meter each packet twice. */
	for (int i = 0; i < l->n_att; i++)
		for (int j = 0; j < i; j++)
			if (l->att[i].host_ifindex && l->att[i].host_ifindex == l->att[j].host_ifindex) {
				afm_error("%s is given twice%s: each packet would be metered twice", l->att[i].host_if,
					  *l->att[i].container ? " (two containers share it)" : "");
				return AFM_EXIT_USAGE;
			}
	return 0;
}

static int attach_all(struct live *l)
{
	const struct afm_options *opt = l->opt;
	char err[512], what[128];

	for (int i = 0; i < l->n_att; i++) {
		const char *ifname = l->att[i].host_if, *mode = "";
		/* What a loopback interface sends it receives: XDP sees every packet once. */
		int egress = !opt->ingress_only && !afm_iface_is_loopback(ifname);
		/*
		 * --segments: generic XDP sees a GRO'd super-frame without its gso_size, so TC
		 * ingress (which has it) takes its place: on a veth or lo, with --xdp-mode
		 * generic, or where native XDP is refused. Native XDP sees wire frames.
		 */
		int auto_mode = opt->xdp_mode == AFM_XDP_AUTO;
		int tc_in = opt->segments && (opt->xdp_mode == AFM_XDP_GENERIC || (auto_mode && afm_iface_auto_generic(ifname)));
		int r = 0;

		if (!tc_in) {
			r = afm_hooks_attach_xdp(&l->hooks, afm_kmeter_xdp_fd(l->k), ifname,
						 opt->segments && auto_mode ? AFM_XDP_NATIVE : opt->xdp_mode, opt->force, &mode,
						 err, sizeof(err));
			if (r && opt->segments && auto_mode && r != -EBUSY && r != -ENODEV && r != -E2BIG) {
				afm_notice("%s: native XDP refused (%s); with --segments, TC ingress takes the place of "
					   "generic XDP", ifname, strerror(-r));
				tc_in = 1;
				r = 0;
			}
		}
		if (r == 0 && tc_in)
			r = afm_hooks_attach_tc_ingress(&l->hooks, afm_kmeter_tc_fd(l->k), ifname, err, sizeof(err));
		if (r != 0 ||
		    (egress && afm_hooks_attach_tc_egress(&l->hooks, afm_kmeter_tc_fd(l->k), ifname, err, sizeof(err)) != 0)) {
			afm_error("%s", err);
			return -1;
		}
		if (tc_in)
			afm_notice("metering %s: TC ingress (--segments, in place of generic XDP)%s",
				   describe(&l->att[i], what, sizeof(what)),
				   egress ? ", TC egress" : opt->ingress_only ? "" : " (a loopback interface: what it sends, "
				   "it receives)");
		else
			afm_notice("metering %s: %s XDP ingress%s", describe(&l->att[i], what, sizeof(what)), mode,
				   egress ? ", TC egress" : opt->ingress_only ? "" : " (a loopback interface: what it sends, it "
				   "receives)");
	}
	l->n_present = l->n_att;
	for (int i = 0; i < l->n_att; i++) {
		const struct afm_attach *a = &l->att[i];
		char text[sizeof(l->iface_text[0])];

		if (*a->container)
			snprintf(text, sizeof(text), "%s/%s/%s", a->host_if, a->container, a->inner_if);
		else
			snprintf(text, sizeof(text), "%s", a->host_if);
		/* a path as container could hold a comma: the CSV must not */
		for (char *c = text; *c; c++)
			if (*c == ',' || *c == '"')
				*c = '_';
		memcpy(l->iface_text[i], text, sizeof(text));
	}
	return 0;
}

/*
 * A container that went away took its veth with it (and the kernel the hooks): once
 * its last samples are surely in, its open flows are written. Returns 0 when no
 * interface is left to meter.
 */
static int check_interfaces(struct live *l, uint64_t mono)
{
	char name[IF_NAMESIZE], what[128];

	for (int i = 0; i < l->n_att; i++) {
		struct afm_attach *a = &l->att[i];

		if (!l->gone_at[i]) {
			if (if_indextoname((unsigned)a->host_ifindex, name) && strcmp(name, a->host_if) == 0)
				continue;
			l->gone_at[i] = mono;
			l->n_present--;
			afm_notice("%s is gone; its open flows are written in a moment%s",
				   describe(a, what, sizeof(what)), l->n_present ? "" : " (nothing else to meter)");
		} else if (!l->ended[i] && mono - l->gone_at[i] >= GONE_GRACE_NS) {
			uint64_t n = afm_engine_end_interface(&l->pipe.engine, (uint32_t)a->host_ifindex, AFM_END_SHUTDOWN);

			l->ended[i] = 1;
			afm_notice("%s: %llu open flows written", describe(a, what, sizeof(what)),
				   (unsigned long long)n);
		}
	}
	for (int i = 0; i < l->n_att; i++)
		if (!l->ended[i])
			return 1;
	return 0;
}

/* The kernel's counters into the run's; at the end, check that none is missing. */
static void collect_counters(struct live *l, int final)
{
	struct afm_kcounters kc;
	struct afm_counters *c = &l->pipe.counters;

	if (afm_kmeter_counters(l->k, &kc) != 0) {
		afm_warn("cannot read the kernel's packet counters: %s", strerror(errno));
		return;
	}
	c->packets = kc.packets;
	c->bytes = kc.bytes;
	for (int v = 1; v < AFM_VERDICT_COUNT; v++)
		c->skipped[v] = kc.skipped[v];
	c->lost[AFM_LOST_RINGBUF] = kc.lost_ringbuf + kc.lost_ringbuf_extra;	/* packets, not samples */
	c->segments_on = l->opt->segments;
	c->superframes = kc.superframes;
	c->segments = kc.segments;
	c->gso_segs_mismatch = kc.gso_segs_mismatch;
	c->flows_open = afm_engine_open_flows(&l->pipe.engine);
	if (final && (kc.len_clamped || kc.overhead_clamped))
		afm_warn("the kernel saw %llu frames longer than 1 MiB (their length counts as 1 MiB) and %llu with "
			 "more than 64 KiB around their IP packet (their IP octets are off by that)",
			 (unsigned long long)kc.len_clamped, (unsigned long long)kc.overhead_clamped);
	/* Every batched sample came to user space or was counted lost on the way. */
	if (final && kc.batched != l->received + kc.lost_ringbuf)
		afm_warn("kernel accounting: %llu samples batched, %llu received, %llu lost",
			 (unsigned long long)kc.batched, (unsigned long long)l->received,
			 (unsigned long long)kc.lost_ringbuf);
}

/* --stats-interval: a line on stderr (when line), and --stats-json rewritten. */
static void status(struct live *l, double now, bool line)
{
	struct afm_counters *c = &l->pipe.counters;

	collect_counters(l, 0);
	afm_pipeline_rows(&l->pipe, c);
	c->seconds = now - l->started;
	c->flows_open_max = l->pipe.engine.open_max;
	if (line && !afm_quiet) {
		double dt = now - (l->status_time ? l->status_time : l->started);

		fprintf(stderr, "app-flow-meter: %.0f s: %.0f packets/s, %llu packets lost, %llu flows open",
			c->seconds, dt > 0 ? (double)(c->packets - l->status_packets) / dt : 0.0,
			(unsigned long long)afm_counters_lost(c), (unsigned long long)c->flows_open);
		afm_counters_print_rows(c, stderr, ", ");
		fputc('\n', stderr);
	}
	l->status_packets = c->packets;
	l->status_time = now;
	if (l->opt->stats_json && afm_counters_write_json(c, l->opt->stats_json) != 0)
		afm_warn("cannot write statistics %s: %s", l->opt->stats_json, strerror(errno));
}

static void run_loop(struct live *l)
{
	uint64_t last_sweep = 0, last_release = 0, last_status = clock_ns(CLOCK_MONOTONIC);

	if (l->opt->stats_json)
		status(l, afm_now(), false);	/* there from the start, for monitoring */
	while (!afm_stop_requested() && !afm_pipeline_failed(&l->pipe)) {
		int n = afm_kmeter_poll(l->k, POLL_MS);

		if (n < 0) {
			afm_error("reading the BPF ring buffer failed: %s", strerror(-n));
			break;
		}
		uint64_t mono = clock_ns(CLOCK_MONOTONIC);

		if (mono - last_sweep >= SWEEP_EVERY_NS) {
			int e = afm_kmeter_sweep(l->k, mono, FLUSH_AFTER_NS);

			if (e)
				afm_warn("the BPF sweep failed: %s", strerror(-e));
			last_sweep = mono;
		}
		if (mono - last_release >= RELEASE_EVERY_NS) {
			release(l, mono - REORDER_WINDOW_NS);
			if (!check_interfaces(l, mono))
				break;
			afm_pipeline_tick(&l->pipe);	/* rows out now; rotation in time, SIGHUP */
			last_release = mono;
		}
		if (l->opt->stats_interval_ns && mono - last_status >= l->opt->stats_interval_ns) {
			status(l, afm_now(), true);
			last_status = mono;
		}
	}
}

/* After the hooks are gone: every sample out of the kernel and into the engine. */
static void drain(struct live *l)
{
	int e = afm_kmeter_drain(l->k);

	if (e)
		afm_warn("cannot read what is left in the BPF flow table: %s", strerror(-e));
	release(l, UINT64_MAX);
}

static int output_is_a_stream(const char *path)
{
	struct stat st;

	if (!path)	/* --ipfix alone */
		return 1;
	if (strcmp(path, "-") == 0)
		return fstat(STDOUT_FILENO, &st) != 0 || !S_ISREG(st.st_mode);
	return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

int afm_live_run(const struct afm_options *opt)
{
	struct live l = { .opt = opt };
	struct afm_kmeter_config kcfg = { .on_event = on_event, .ctx = &l };
	const struct afm_pipeline_io io = {
		.stream = output_is_a_stream(opt->output),
		.threaded = 1,
		.iface_name = iface_name,
		.iface_ctx = &l,
	};
	char err[1024];
	int status, ran = 0;

	afm_hooks_init(&l.hooks);
	/* Everything that can be refused is checked, and every hook attached, before an
	 * output is created. */
	status = afm_pipeline_check(&l.pipe, opt, NULL, 0);
	if (status)
		goto out;
	kcfg.detail = l.pipe.schema.detail;
	kcfg.outer_tunnels = opt->outer_tunnels;
	kcfg.segments = opt->segments;
	if (afm_kmeter_open(&l.k, &kcfg, err, sizeof(err)) != 0) {
		afm_error("%s", err);
		status = AFM_EXIT_KERNEL;
		goto out;
	}
	status = find_attachments(&l);
	if (status)
		goto out;
	afm_stop_catch();	/* no SA_RESTART: the ring buffer poll returns at once on a signal */
	l.mono_to_real = mono_to_real_offset();
	l.started = afm_now();
	if (attach_all(&l) != 0) {
		status = AFM_EXIT_KERNEL;
		goto out;
	}
	status = afm_pipeline_start(&l.pipe, &io);
	if (status)
		goto out;
	ran = 1;
	run_loop(&l);
	if (afm_stop_requested()) {
		afm_notice("%s: stopping; writing the open flows", strsignal(afm_stop_requested()));
		l.pipe.counters.stopped_by = afm_stop_requested();
	}
out:
	/* One way down for every run: hooks off, the kernel's last samples in, flows out. */
	afm_hooks_detach(&l.hooks);
	if (ran) {
		drain(&l);
		collect_counters(&l, 1);
		if (l.reorder.late)
			afm_warn("%llu samples reached user space after younger ones had been metered "
				 "(they are metered all the same)", (unsigned long long)l.reorder.late);
		if (afm_kmeter_tunnel_misses(l.k))
			afm_warn("%llu tunnelled samples came after their flow had left the kernel's table of %u "
				 "tunnelled flows: their rows have '-' for the tunnel's addresses and identifiers",
				 (unsigned long long)afm_kmeter_tunnel_misses(l.k), AFM_TUNNEL_FLOWS);
		if (llabs(mono_to_real_offset() - l.mono_to_real) > 10 * (long long)MS)
			afm_warn("the wall clock moved by %.3f s against the kernel's clock during the run "
				 "(NTP step?); times are from the clock at start",
				 (double)(mono_to_real_offset() - l.mono_to_real) / 1e9);
	}
	status = afm_pipeline_close(&l.pipe, AFM_END_SHUTDOWN, status);
	afm_reorder_free(&l.reorder);
	afm_kmeter_close(l.k);
	return status;
}
