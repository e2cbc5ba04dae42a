// SPDX-License-Identifier: MIT
/* Endpoints of synthetic flows: a LAN of clients behind one router, and the Internet. */
#ifndef GEN_ADDR_H
#define GEN_ADDR_H

#include "gen_flow.h"

/* A client host on the LAN: address, MAC, TTL of its packets (direction client). */
void addr_client(struct flow *f, struct rng *r);

/* A server, popular ones more often: address, router MAC, TTL (direction server). */
void addr_server(struct flow *f, struct rng *r);

/* A DNS resolver: the LAN's own or a public one. */
void addr_resolver(struct flow *f, struct rng *r);

/* A random ephemeral port (Linux's default range). */
uint16_t addr_ephemeral(struct rng *r);

/* A random DNS question name in wire format into f->qname. */
void addr_qname(struct flow *f, struct rng *r);

#endif
