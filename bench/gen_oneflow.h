// SPDX-License-Identifier: MIT
/* gen-capture --one-flow: a capture that is one huge UDP conversation. */
#ifndef GEN_ONEFLOW_H
#define GEN_ONEFLOW_H

#include <stdint.h>

#include "pcap_out.h"

/*
 * packets frames of one IPv4 UDP flow, both ways (a third from the server), lengths
 * 60 to 1514 and gaps drawn from seed, cut to snaplen. 0, or -1 with a message.
 */
int one_flow_write(struct pcap_out *out, uint64_t packets, uint64_t seed, uint32_t snaplen);

#endif
