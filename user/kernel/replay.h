/* SPDX-License-Identifier: MIT */
/*
 * --via-xdp: the packets of a capture go through the kernel's XDP program (with
 * BPF_PROG_TEST_RUN) instead of the user-space parser; the ring buffer's samples come
 * back with the replay sequence number as their stamp, and are handed to the flow
 * engine in capture order, so the CSV must be the same as plain -r.
 */
#ifndef AFM_REPLAY_H
#define AFM_REPLAY_H

#include <stdint.h>

#include "capture/capture.h"
#include "accounting.h"
#include "flow/engine.h"

struct afm_replay_run;

/* detail: samples carry their details (a CIC schema); outer_tunnels: --tunnels outer. */
int afm_replay_open(struct afm_replay_run **out, int detail, int outer_tunnels, char *err, size_t errlen);
/* One capture packet; link-layer verdicts are counted here, the rest in the kernel. */
int afm_replay_packet(struct afm_replay_run *r, const struct afm_packet *pkt, struct afm_counters *c, char *err,
		      size_t errlen);
/* Flush the kernel, then give every sample to the engine in capture order. */
int afm_replay_finish(struct afm_replay_run *r, struct afm_engine *e, struct afm_counters *c, char *err,
		      size_t errlen);
void afm_replay_close(struct afm_replay_run *r);

#endif
