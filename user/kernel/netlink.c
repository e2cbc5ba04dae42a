// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* setns */
#include "kernel/netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int afm_nl_open(int netns_fd)
{
	int self = -1, fd, err = 0;

	if (netns_fd >= 0) {
		/* A netlink socket belongs to the namespace it was made in. */
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			return -errno;
		if (setns(netns_fd, CLONE_NEWNET) != 0) {
			err = -errno;
			close(self);
			return err;
		}
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		err = -errno;
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET) != 0 && !err)
			err = -errno;	/* cannot happen: we came from there */
		close(self);
	}
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

static int send_request(int fd, struct nlmsghdr *h)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
}

/* Read replies until NLMSG_DONE (dump) or one message (single); call fn on each. */
static int read_replies(int fd, uint32_t seq, int dump, int (*fn)(struct nlmsghdr *, void *), void *ctx)
{
	static char buf[1 << 16] __attribute__((aligned(8)));

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error;
			}
			int r = fn(h, ctx);

			if (r || !dump)
				return r;
		}
	}
}

struct link_ctx {
	afm_nl_link_fn fn;
	void *ctx;
};

static int on_link(struct nlmsghdr *h, void *arg)
{
	struct link_ctx *lc = arg;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct afm_nl_link l = { .ifindex = ifi->ifi_index, .flags = ifi->ifi_flags, .link_netnsid = -1 };
	int len = (int)IFLA_PAYLOAD(h);

	if (h->nlmsg_type != RTM_NEWLINK)
		return 0;
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case IFLA_IFNAME:
			snprintf(l.name, sizeof(l.name), "%s", (char *)RTA_DATA(a));
			break;
		case IFLA_LINK:
			l.link = *(int *)RTA_DATA(a);
			break;
		case IFLA_LINK_NETNSID:
			l.link_netnsid = *(int *)RTA_DATA(a);
			break;
		case IFLA_MTU:
			l.mtu = *(unsigned *)RTA_DATA(a);
			break;
		case IFLA_LINKINFO: {
			int ilen = (int)RTA_PAYLOAD(a);

			for (struct rtattr *b = RTA_DATA(a); RTA_OK(b, ilen); b = RTA_NEXT(b, ilen))
				if (b->rta_type == IFLA_INFO_KIND)
					snprintf(l.kind, sizeof(l.kind), "%s", (char *)RTA_DATA(b));
			break;
		}
		}
	}
	return lc->fn(&l, lc->ctx);
}

int afm_nl_links(int fd, afm_nl_link_fn fn, void *ctx)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	struct link_ctx lc = { fn, ctx };
	int r = send_request(fd, &req.h);

	return r ? r : read_replies(fd, 1, 1, on_link, &lc);
}

static int on_nsid(struct nlmsghdr *h, void *arg)
{
	struct rtgenmsg *g = NLMSG_DATA(h);
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*g))));

	for (struct rtattr *a = (struct rtattr *)((char *)g + NLMSG_ALIGN(sizeof(*g))); RTA_OK(a, len);
	     a = RTA_NEXT(a, len))
		if (a->rta_type == NETNSA_NSID)
			*(int *)arg = *(int *)RTA_DATA(a);
	return 0;
}

int afm_nl_nsid(int fd, int target_ns_fd)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
		char pad[3];
		struct rtattr a;
		int fd;
	} req;
	int nsid = -1, r;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETNSID;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 2;
	req.g.rtgen_family = AF_UNSPEC;
	req.a.rta_type = NETNSA_FD;
	req.a.rta_len = RTA_LENGTH(sizeof(int));
	req.fd = target_ns_fd;
	r = send_request(fd, &req.h);
	if (!r)
		r = read_replies(fd, 2, 0, on_nsid, &nsid);
	return r ? r : nsid;
}
