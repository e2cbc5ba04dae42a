// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Reference programs for the in-kernel cost of the meter (make bench). */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

__u64 sink;

/* The floor: an XDP program that only passes the packet. */
SEC("xdp")
int ref_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

/* One clock read, the single dearest thing a meter does per packet. */
SEC("xdp")
int ref_clock(struct xdp_md *ctx)
{
	(void)ctx;
	sink = bpf_ktime_get_ns();
	return XDP_PASS;
}
