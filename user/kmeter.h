/* SPDX-License-Identifier: MIT */
/*
 * The kernel meter: loads the BPF programs (bpf/afm.bpf.c, through the bpftool
 * skeleton), attaches them to interfaces, runs the sweep, reads the ring buffer and
 * the per-CPU counters. Everything it attached goes away with afm_kmeter_close(), and
 * the XDP (and TCX) attachments are links that the kernel removes when the process dies.
 */
#ifndef AFM_KMETER_H
#define AFM_KMETER_H

#include <stddef.h>
#include <stdint.h>

#include "afm_event.h"

struct afm_kmeter;

/* Called for every ring buffer event, in ring order. */
typedef void (*afm_kevent_fn)(void *ctx, const struct afm_event *ev);

enum afm_xdp_mode {
	AFM_XDP_AUTO = 0,	/* native, or generic with a notice when native is refused */
	AFM_XDP_NATIVE,
	AFM_XDP_GENERIC,
};

struct afm_kmeter_config {
	int replay;			/* load for --via-xdp */
	uint32_t slots;			/* flow table slots per CPU: a power of two */
	uint32_t ringbuf_bytes;		/* ring buffer size, a power of two >= page size */
	int verbose;			/* print libbpf's and the verifier's messages */
	int compat_xdp;			/* afm_xdp_compat even where afm_xdp would load (tests) */
	afm_kevent_fn on_event;
	void *ctx;
};

/* Check privileges and kernel features, load the programs. -errno with err set. */
int afm_kmeter_open(struct afm_kmeter **out, const struct afm_kmeter_config *cfg, char *err, size_t errlen);
/* On success *used says which mode the kernel took: "native" or "generic". */
int afm_kmeter_attach_xdp(struct afm_kmeter *k, const char *ifname, enum afm_xdp_mode mode, int force,
			  const char **used, char *err, size_t errlen);
int afm_kmeter_attach_tc_egress(struct afm_kmeter *k, const char *ifname, char *err, size_t errlen);
/* Detach every hook (packets stop arriving); maps and ring buffer stay readable. */
void afm_kmeter_detach(struct afm_kmeter *k);
/* Wait up to timeout_ms for events and deliver them; returns events or -errno. */
int afm_kmeter_poll(struct afm_kmeter *k, int timeout_ms);
/*
 * On every CPU, ship the batches whose first packet is at least flush_after old (now
 * and flush_after on the clock of the stamps). Moves the calling thread from CPU to
 * CPU, and back.
 */
int afm_kmeter_sweep(struct afm_kmeter *k, uint64_t now, uint64_t flush_after);
/*
 * After afm_kmeter_detach(): deliver every event still in the ring buffer, then every
 * batch still in a CPU's table (read from user space: nothing writes them any more).
 */
int afm_kmeter_drain(struct afm_kmeter *k);
/* The XDP program loaded: "afm_xdp", or "afm_xdp_compat" on kernels before 6.2. */
const char *afm_kmeter_xdp_program(const struct afm_kmeter *k);
/* Samples afm_kmeter_drain() took from the tables (the kernel counted them batched). */
uint64_t afm_kmeter_drained(const struct afm_kmeter *k);
/* A loopback interface (IFF_LOOPBACK): what it sends, it receives. */
int afm_iface_is_loopback(const char *ifname);
/* Run the XDP program on one replayed frame. */
int afm_kmeter_replay(struct afm_kmeter *k, const void *frame, uint32_t len, const struct afm_replay *r);
/* Sum of the per-CPU counters. */
int afm_kmeter_counters(struct afm_kmeter *k, struct afm_kcounters *sum);
void afm_kmeter_close(struct afm_kmeter *k);

/* Largest frame BPF_PROG_TEST_RUN takes for XDP (one page minus head and tail room). */
#define AFM_REPLAY_FRAME_MAX 3000

/* Sample i of an event as a packet record (ts: the sample's stamp, unconverted). */
void afm_kevent_record(const struct afm_event *ev, uint32_t i, struct afm_record *rec);

#endif
