/* SPDX-License-Identifier: MIT */
/*
 * The kernel meter's programs on interfaces: XDP on the receive side, TC on the send
 * side. XDP and TCX attachments are links, which the kernel removes however the
 * process ends; a classic TC filter (before Linux 6.6) is removed by
 * afm_hooks_detach(). An XDP program that --force replaced is attached again there.
 */
#ifndef AFM_HOOKS_H
#define AFM_HOOKS_H

#include <stddef.h>
#include <stdint.h>

enum afm_xdp_mode {
	AFM_XDP_AUTO = 0,	/* generic on a veth or loopback, else native, else generic */
	AFM_XDP_NATIVE,
	AFM_XDP_GENERIC,
};

#define AFM_HOOKS_MAX 64

struct afm_hook {
	int link_fd;		/* XDP or TCX link, or -1 */
	int tc_classic;		/* a netlink TC filter (no link) */
	int tc_created_qdisc;	/* we created the clsact qdisc */
	int tc_ingress;		/* a TC program on the receive side (--segments) */
	int ifindex;
	int replaced_fd;	/* --force: the XDP program we took the place of, or -1 */
	uint32_t replaced_flags;	/* ... its mode, to put it back as it was */
	uint32_t replaced_id;
	char replaced_name[64];
};

struct afm_hooks {
	struct afm_hook h[AFM_HOOKS_MAX];
	int n;
};

void afm_hooks_init(struct afm_hooks *hs);
/* The XDP program prog_fd on ifname. On success *used is the mode the kernel took:
 * "native" or "generic". 0 or -errno with a one-line reason in err. */
int afm_hooks_attach_xdp(struct afm_hooks *hs, int prog_fd, const char *ifname, enum afm_xdp_mode mode, int force,
			 const char **used, char *err, size_t errlen);
int afm_hooks_attach_tc_egress(struct afm_hooks *hs, int prog_fd, const char *ifname, char *err, size_t errlen);
/* The TC program on the receive side (--segments, where XDP would be generic). */
int afm_hooks_attach_tc_ingress(struct afm_hooks *hs, int prog_fd, const char *ifname, char *err, size_t errlen);
/* Every hook off (packets stop arriving), replaced programs back. */
void afm_hooks_detach(struct afm_hooks *hs);
/* A loopback interface (IFF_LOOPBACK): what it sends, it receives. */
int afm_iface_is_loopback(const char *ifname);
/* --xdp-mode auto takes generic XDP here: a veth or a loopback interface. */
int afm_iface_auto_generic(const char *ifname);

#endif
