// SPDX-License-Identifier: MIT
/* Ethernet frames of synthetic flows: headers, payload content and checksums. */
#ifndef GEN_FRAME_H
#define GEN_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "gen_flow.h"

/* Every frame fits: 1514 bytes at most. */
#define FRAME_MAX 2048

/*
 * Build the frame of the flow's packet p into buf (FRAME_MAX bytes): all headers, and
 * payload content for the first snaplen bytes only (the rest is not written, so counts
 * as zeros for the checksums). Advances the flow's TCP sequence numbers and IP IDs.
 * Returns the captured length, min(wire length, snaplen); *wire gets the wire length.
 */
size_t frame_build(struct flow *f, const struct pkt *p, struct rng *r, uint8_t *buf, size_t snaplen,
		   uint32_t *wire);

#endif
