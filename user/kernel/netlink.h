/* SPDX-License-Identifier: MIT */
/* Just enough rtnetlink to find a container's veth peers. */
#ifndef AFM_NETLINK_H
#define AFM_NETLINK_H

#include <net/if.h>

struct afm_nl_link {
	int ifindex;
	unsigned flags;		/* IFF_* */
	char name[IF_NAMESIZE];
	char kind[16];		/* "veth", "bridge", ... ("" for a physical device) */
	int link;		/* IFLA_LINK: a veth's peer ifindex (in the peer's namespace) */
	int link_netnsid;	/* IFLA_LINK_NETNSID: that namespace's id here, or -1 */
	unsigned mtu;
};

typedef int (*afm_nl_link_fn)(const struct afm_nl_link *l, void *ctx);

/* A NETLINK_ROUTE socket in the namespace netns_fd (-1: this one). fd or -errno. */
int afm_nl_open(int netns_fd);
/* Every link of the socket's namespace; fn returning non-zero stops. 0 or -errno. */
int afm_nl_links(int fd, afm_nl_link_fn fn, void *ctx);
/* The id the socket's namespace gives the namespace target_ns_fd; -1 if none; -errno. */
int afm_nl_nsid(int fd, int target_ns_fd);

#endif
