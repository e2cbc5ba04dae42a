/* SPDX-License-Identifier: MIT */
/*
 * The kernel meter: loads the BPF programs (bpf/afm.bpf.c, through the bpftool
 * skeleton), runs the sweep, reads the ring buffer and the per-CPU counters, runs the
 * XDP program on replayed frames. Attaching the programs to interfaces is
 * kernel/hooks.h's.
 */
#ifndef AFM_LOADER_H
#define AFM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "afm_event.h"

struct afm_kmeter;

/* Called for every ring buffer event, in ring order. */
typedef void (*afm_kevent_fn)(void *ctx, const struct afm_event *ev);

struct afm_kmeter_config {
	int replay;			/* load for --via-xdp */
	uint32_t slots;			/* flow table slots per CPU, a power of two (0: AFM_FLOW_SLOTS) */
	uint32_t ringbuf_bytes;		/* ring buffer size, a power of two >= page size (0: AFM_RINGBUF_BYTES) */
	int compat_xdp;			/* afm_xdp_compat even where afm_xdp would load (tests) */
	int detail;			/* samples carry their detail (the CIC schemas: afm_event.h) */
	int outer_tunnels;		/* --tunnels outer: the programs open no tunnel */
	int segments;			/* --segments: TC splits GSO/GRO super-frames (afm_event.h) */
	afm_kevent_fn on_event;
	void *ctx;
};

/*
 * libbpf's messages through the program's log: its warnings as warnings; with verbose,
 * its debug messages and the verifier's logs too. Called once, by the program.
 */
void afm_kmeter_logging(int verbose);
/* Check privileges and kernel features, load the programs. -errno with err set. */
int afm_kmeter_open(struct afm_kmeter **out, const struct afm_kmeter_config *cfg, char *err, size_t errlen);
/* The programs to attach (kernel/hooks.h): the XDP one loaded, and TC egress. */
int afm_kmeter_xdp_fd(const struct afm_kmeter *k);
int afm_kmeter_tc_fd(const struct afm_kmeter *k);
/* Wait up to timeout_ms for events and deliver them; returns events or -errno. */
int afm_kmeter_poll(struct afm_kmeter *k, int timeout_ms);
/*
 * On every CPU, ship the batches whose first packet is at least flush_after old (now
 * and flush_after on the clock of the stamps). Moves the calling thread from CPU to
 * CPU, and back.
 */
int afm_kmeter_sweep(struct afm_kmeter *k, uint64_t now, uint64_t flush_after);
/*
 * Once the hooks are detached: deliver every event still in the ring buffer, then
 * every batch still in a CPU's table (read from user space: nothing writes them any
 * more).
 */
int afm_kmeter_drain(struct afm_kmeter *k);
/* The XDP program loaded: "afm_xdp", or "afm_xdp_compat" on kernels before 6.2. */
const char *afm_kmeter_xdp_program(const struct afm_kmeter *k);
/* Samples afm_kmeter_drain() took from the tables (the kernel counted them batched). */
uint64_t afm_kmeter_drained(const struct afm_kmeter *k);
/* Run the XDP program on one replayed frame. */
int afm_kmeter_replay(struct afm_kmeter *k, const void *frame, uint32_t len, const struct afm_replay *r);
/* Sum of the per-CPU counters. */
int afm_kmeter_counters(struct afm_kmeter *k, struct afm_kcounters *sum);

/* What the verifier took to accept a loaded program (bpf_prog_info). */
struct afm_kprogram {
	char name[32];
	uint32_t verified_insns;	/* instructions the verifier walked (Linux 5.16) */
	uint32_t xlated_insns;		/* the program's length after the verifier's rewrites */
};

/* The loaded programs into out[0..max); returns how many, or -errno. */
int afm_kmeter_programs(const struct afm_kmeter *k, struct afm_kprogram *out, int max);
void afm_kmeter_close(struct afm_kmeter *k);

/* Largest frame BPF_PROG_TEST_RUN takes for XDP (one page minus head and tail room). */
#define AFM_REPLAY_FRAME_MAX 3000

/* Sample i of an event as a packet record (ts: the sample's stamp, unconverted). */
void afm_kevent_record(const struct afm_event *ev, uint32_t i, struct afm_record *rec);
/* The same, with a tunnelled flow's carrier and identifiers from the tunnels table. */
void afm_kmeter_record(struct afm_kmeter *k, const struct afm_event *ev, uint32_t i, struct afm_record *rec);
/* afm_kevent_segment(), with a tunnelled flow's carrier and identifiers likewise. */
void afm_kmeter_segment(struct afm_kmeter *k, const struct afm_event *ev, uint32_t i, uint32_t j,
			struct afm_record *rec);
/* Tunnelled samples whose flow had left the tunnels table (their tunnel columns: -). */
uint64_t afm_kmeter_tunnel_misses(const struct afm_kmeter *k);
/*
 * The packets sample i of an event stands for: 1; a super-frame's segments
 * (--segments, AFM_KS_SEGMENTS); 0 for the extension sample that follows one.
 */
uint32_t afm_kevent_packets(const struct afm_event *ev, uint32_t i);
/* Packet j (< afm_kevent_packets()) of sample i as a record: segment j of a super-frame. */
void afm_kevent_segment(const struct afm_event *ev, uint32_t i, uint32_t j, struct afm_record *rec);

#endif
