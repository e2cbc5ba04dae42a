/* SPDX-License-Identifier: MIT */
/*
 * What the kernel's flow table and user space's both do with flow keys: compare them,
 * and make the identity of a fragmented datagram, under which its first fragment's
 * key waits for the later ones (docs/METERING.md, 1).
 */
#ifndef AFM_KEY_H
#define AFM_KEY_H

#include "afm_record.h"

/* Equal keys: seven 64-bit words, no branch per word. */
static __always_inline int afm_key_equal(const struct afm_flow_key *a, const struct afm_flow_key *b)
{
	__u64 d = 0;

	_Static_assert(sizeof(*a) == 7 * sizeof(__u64), "a flow key is seven words");
	for (int i = 0; i < 7; i++)
		d |= afm_load64((const __u8 *)a + 8 * i) ^ afm_load64((const __u8 *)b + 8 * i);
	return d == 0;
}

/*
 * A datagram's identity, as a key: its VLAN IDs, source and destination (in that
 * order, not canonical), protocol and fragment ID, the interface it came on and the
 * tunnels it came through;
 * AFM_KEY_FRAG_IDENT keeps it apart from every flow key.
 */
static __always_inline void afm_frag_ident(const struct afm_record *rec, struct afm_flow_key *id)
{
	__builtin_memset(id, 0, sizeof(*id));
	__builtin_memcpy(id->addr[0], rec->key.addr[rec->dir & 1], 16);	/* source */
	__builtin_memcpy(id->addr[1], rec->key.addr[!(rec->dir & 1)], 16);	/* destination */
	id->vlan[0] = rec->key.vlan[0];
	id->vlan[1] = rec->key.vlan[1];
	id->port[0] = (__u16)(rec->frag_id >> 16);
	id->port[1] = (__u16)rec->frag_id;
	id->proto = rec->key.proto;
	id->ip_version = rec->key.ip_version;
	id->ifindex = rec->key.ifindex;
	__builtin_memcpy(id->tunnel, rec->key.tunnel, sizeof(id->tunnel));
	id->tunnel_key = rec->key.tunnel_key;
	id->flags = AFM_KEY_FRAG_IDENT;
}

#endif /* AFM_KEY_H */
