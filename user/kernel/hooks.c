// SPDX-License-Identifier: MIT
#include "kernel/hooks.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

/* enum bpf_attach_type's BPF_TCX_INGRESS, _EGRESS (Linux 6.6): the build's UAPI headers may be older. */
#define AFM_BPF_TCX_INGRESS 46
#define AFM_BPF_TCX_EGRESS 47

/* The classic TC filter's handle and priority, to find and replace our own. */
#define AFM_TC_HANDLE 0xaf1
#define AFM_TC_PRIORITY 0xaf1

void afm_hooks_init(struct afm_hooks *hs)
{
	hs->n = 0;
}

static int ifindex_of(const char *ifname, char *err, size_t errlen, const char *what)
{
	int ifindex = (int)if_nametoindex(ifname);

	if (!ifindex)
		snprintf(err, errlen, "cannot attach %s to %s: no such interface", what, ifname);
	return ifindex;
}

static struct afm_hook *new_hook(struct afm_hooks *hs, int ifindex)
{
	struct afm_hook *h;

	if (hs->n == AFM_HOOKS_MAX)
		return NULL;
	h = &hs->h[hs->n++];
	memset(h, 0, sizeof(*h));
	h->link_fd = -1;
	h->replaced_fd = -1;
	h->ifindex = ifindex;
	return h;
}

/* Name and id of the XDP program on ifindex, if any. */
static __u32 xdp_current(int ifindex, char *name, size_t len)
{
	__u32 id = 0;
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);
	int fd;

	snprintf(name, len, "?");
	if (bpf_xdp_query_id(ifindex, 0, &id) != 0 || !id)
		return 0;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &info_len) == 0)
			snprintf(name, len, "%s", info.name);
		close(fd);
	}
	return id;
}

/* The interface's driver name (ethtool), "" when unknown. */
static void driver_of(const char *ifname, char *drv, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	drv[0] = '\0';
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		snprintf(drv, len, "%s", info.driver);
	close(fd);
}

int afm_iface_is_loopback(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), lo = 0;

	if (fd < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		lo = !!(ifr.ifr_flags & IFF_LOOPBACK);
	close(fd);
	return lo;
}

int afm_iface_auto_generic(const char *ifname)
{
	char drv[32];

	/*
	 * Native XDP on a veth turns off its peer's GSO, caps the MTU and moves GRO before
	 * the program (it would see segments where the stack and tcpdump see one
	 * super-frame): generic XDP leaves a container's link as it was.
	 */
	driver_of(ifname, drv, sizeof(drv));
	return strcmp(drv, "veth") == 0 || afm_iface_is_loopback(ifname);	/* lo has generic XDP only */
}

/* Attach again the XDP program --force took the place of, as it was. */
static void put_back(const char *ifname, int ifindex, int fd, __u32 flags, const char *name, __u32 id)
{
	if (fd < 0)
		return;
	if (bpf_xdp_attach(ifindex, fd, flags, NULL) == 0)
		afm_notice("%s: XDP program %s (id %u), replaced with --force, is attached again", ifname, name, id);
	else
		afm_warn("%s: cannot attach again the XDP program %s (id %u) that --force replaced: %s; attach it "
			 "again with the tool that loaded it", ifname, name, id, strerror(errno));
	close(fd);
}

int afm_hooks_attach_xdp(struct afm_hooks *hs, int prog_fd, const char *ifname, enum afm_xdp_mode mode, int force,
			 const char **used, char *err, size_t errlen)
{
	int ifindex = ifindex_of(ifname, err, errlen, "XDP");
	char other[64];
	__u32 other_id;
	int fd;

	if (!ifindex)
		return -ENODEV;
	other_id = xdp_current(ifindex, other, sizeof(other));
	if (other_id && !force) {
		snprintf(err, errlen,
			 "cannot attach XDP to %s: another XDP program (%s, id %u) is attached; stop the tool "
			 "that attached it, or use --force to replace it", ifname, other, other_id);
		return -EBUSY;
	}
	/* --force: keep the other program (and its mode) to put it back at exit. */
	int replaced_fd = -1;
	__u32 replaced_flags = 0;

	if (other_id) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		replaced_fd = bpf_prog_get_fd_by_id(other_id);
		if (bpf_xdp_query(ifindex, 0, &q) == 0)
			replaced_flags = q.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE :
					 q.attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE : XDP_FLAGS_DRV_MODE;
		/* netlink-attached programs can be detached in either mode */
		bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
		char still[64];

		if (xdp_current(ifindex, still, sizeof(still))) {
			if (replaced_fd >= 0)
				close(replaced_fd);
			snprintf(err, errlen,
				 "cannot attach XDP to %s: the program there (%s) is held by a link of another "
				 "process; --force cannot remove it, stop that process", ifname, still);
			return -EBUSY;
		}
		afm_notice("%s: replaced XDP program %s (id %u) for the run (--force); it is put back at exit",
			   ifname, other, other_id);
	}

	if (mode == AFM_XDP_AUTO && afm_iface_auto_generic(ifname))
		mode = AFM_XDP_GENERIC;
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	opts.flags = mode == AFM_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	if (fd < 0 && mode == AFM_XDP_AUTO) {
		int native_err = errno;

		opts.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
		if (fd >= 0)
			afm_notice("%s: native XDP refused (%s); metering with generic XDP", ifname,
				   strerror(native_err));
	}
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot attach XDP to %s: %s%s", ifname, strerror(e),
			 e == EOPNOTSUPP && mode == AFM_XDP_NATIVE ? " (its driver has no native XDP: try "
									"--xdp-mode generic)" : "");
		put_back(ifname, ifindex, replaced_fd, replaced_flags, other, other_id);
		return -e;
	}
	struct afm_hook *h = new_hook(hs, ifindex);

	if (!h) {
		close(fd);
		put_back(ifname, ifindex, replaced_fd, replaced_flags, other, other_id);
		snprintf(err, errlen, "cannot attach XDP to %s: too many attachments", ifname);
		return -E2BIG;
	}
	h->link_fd = fd;
	h->replaced_fd = replaced_fd;
	h->replaced_flags = replaced_flags;
	h->replaced_id = other_id;
	snprintf(h->replaced_name, sizeof(h->replaced_name), "%s", other);
	*used = opts.flags == XDP_FLAGS_SKB_MODE ? "generic" : "native";
	return 0;
}

/* The TC program on one side of ifname (ingress: --segments, in place of generic XDP). */
static int attach_tc(struct afm_hooks *hs, int prog_fd, const char *ifname, int ingress, char *err, size_t errlen)
{
	const char *what = ingress ? "TC ingress" : "TC egress";
	int ifindex = ifindex_of(ifname, err, errlen, what);
	struct afm_hook *h;
	int fd, ret;

	if (!ifindex)
		return -ENODEV;
	h = new_hook(hs, ifindex);
	if (!h) {
		snprintf(err, errlen, "cannot attach %s to %s: too many attachments", what, ifname);
		return -E2BIG;
	}
	h->tc_ingress = ingress;
	/* TCX (Linux 6.6+): a link, removed by the kernel however the process ends. */
	fd = bpf_link_create(prog_fd, ifindex, ingress ? AFM_BPF_TCX_INGRESS : AFM_BPF_TCX_EGRESS, NULL);
	if (fd >= 0) {
		h->link_fd = fd;
		return 0;
	}
	/* Older kernels: a clsact qdisc and a filter, removed at exit. */
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = AFM_TC_HANDLE, .priority = AFM_TC_PRIORITY,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST) {
		hs->n--;
		snprintf(err, errlen, "cannot attach %s to %s: cannot create its clsact qdisc: %s", what, ifname,
			 strerror(-ret));
		return ret;
	}
	h->tc_created_qdisc = ret == 0;
	ret = bpf_tc_attach(&hook, &opts);
	if (ret) {
		if (h->tc_created_qdisc)
			bpf_tc_hook_destroy(&hook);
		hs->n--;
		snprintf(err, errlen, "cannot attach %s to %s: %s", what, ifname, strerror(-ret));
		return ret;
	}
	h->tc_classic = 1;
	return 0;
}

int afm_hooks_attach_tc_egress(struct afm_hooks *hs, int prog_fd, const char *ifname, char *err, size_t errlen)
{
	return attach_tc(hs, prog_fd, ifname, 0, err, errlen);
}

int afm_hooks_attach_tc_ingress(struct afm_hooks *hs, int prog_fd, const char *ifname, char *err, size_t errlen)
{
	return attach_tc(hs, prog_fd, ifname, 1, err, errlen);
}

void afm_hooks_detach(struct afm_hooks *hs)
{
	for (int i = hs->n - 1; i >= 0; i--) {
		struct afm_hook *h = &hs->h[i];

		if (h->link_fd >= 0)
			close(h->link_fd);
		if (h->replaced_fd >= 0) {
			char ifname[IF_NAMESIZE];

			if (!if_indextoname((unsigned)h->ifindex, ifname))
				snprintf(ifname, sizeof(ifname), "ifindex %d", h->ifindex);
			put_back(ifname, h->ifindex, h->replaced_fd, h->replaced_flags, h->replaced_name, h->replaced_id);
			h->replaced_fd = -1;
		}
		if (h->tc_classic) {
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex,
				    .attach_point = h->tc_ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
			LIBBPF_OPTS(bpf_tc_opts, opts, .handle = AFM_TC_HANDLE, .priority = AFM_TC_PRIORITY);

			bpf_tc_detach(&hook, &opts);
			if (h->tc_created_qdisc)
				bpf_tc_hook_destroy(&hook);
		}
	}
	hs->n = 0;
}
