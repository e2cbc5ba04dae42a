/* SPDX-License-Identifier: MIT */
/*
 * --netns / --pid: a container's interfaces, and the host-side veth peer of each,
 * found through netlink (the peer's ifindex and namespace id, not its name). The meter
 * attaches on the peer: XDP there sees what the container sends, TC egress what it
 * receives.
 */
#ifndef AFM_CONTAINER_H
#define AFM_CONTAINER_H

#include <net/if.h>

struct afm_attach {
	char host_if[IF_NAMESIZE];	/* where the hooks go (this namespace) */
	int host_ifindex;
	char inner_if[IF_NAMESIZE];	/* the container's side, "" for a plain -i */
	char container[64];		/* "netns NAME", "pid N" or a path; "" for a plain -i */
};

/*
 * kind "netns" (a name under /run/netns, or a path) or "pid"; names: the container's
 * interfaces to meter (n_names 0: all but lo). Fills out; returns how many, or -errno
 * with a one-line reason in err.
 */
int afm_container_find(const char *kind, const char *spec, const char *const *names, int n_names,
		       struct afm_attach *out, int max, char *err, size_t errlen);

#endif
