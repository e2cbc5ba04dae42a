// SPDX-License-Identifier: MIT
#include "kernel/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/netlink.h"

struct find {
	const char *const *names;	/* interfaces named with -i, or none: all but lo */
	int n_names;
	const char *label;
	struct afm_attach *out;
	int max, count;
	int host_nsid;			/* this namespace's id inside the container's */
	char *err;
	size_t errlen;
	int failed;
};

static int wanted(const struct find *f, const struct afm_nl_link *l)
{
	if (!f->n_names)
		return !(l->flags & IFF_LOOPBACK);
	for (int i = 0; i < f->n_names; i++)
		if (strcmp(f->names[i], l->name) == 0)
			return 1;
	return 0;
}

static int on_container_link(const struct afm_nl_link *l, void *ctx)
{
	struct find *f = ctx;
	char host[IF_NAMESIZE];

	if (!wanted(f, l))
		return 0;
	if (strcmp(l->kind, "veth") != 0) {
		snprintf(f->err, f->errlen,
			 "cannot meter %s in %s: it is %s%s, not a veth (only a veth has a peer here to attach to)",
			 l->name, f->label, *l->kind ? "a " : "a physical device", l->kind);
		f->failed = -EOPNOTSUPP;
		return 1;
	}
	/* The peer must live in this namespace: its namespace id, as the container
	 * numbers it, is the one the container gives ours. */
	if (l->link_netnsid < 0 || l->link_netnsid != f->host_nsid || !if_indextoname((unsigned)l->link, host)) {
		snprintf(f->err, f->errlen,
			 "cannot meter %s in %s: its veth peer is not in this meter's network namespace "
			 "(run the meter where the peer is, e.g. the host)", l->name, f->label);
		f->failed = -ENODEV;
		return 1;
	}
	if (f->count == f->max) {
		snprintf(f->err, f->errlen, "cannot meter %s: too many interfaces in one run", f->label);
		f->failed = -E2BIG;
		return 1;
	}
	struct afm_attach *a = &f->out[f->count++];

	memset(a, 0, sizeof(*a));
	snprintf(a->host_if, sizeof(a->host_if), "%s", host);
	a->host_ifindex = l->link;
	snprintf(a->inner_if, sizeof(a->inner_if), "%s", l->name);
	snprintf(a->container, sizeof(a->container), "%s", f->label);
	return 0;
}

/* The namespace file of a --netns or --pid argument, and its label. */
static int open_netns(const char *kind, const char *spec, char *label, size_t llen, char *err, size_t errlen)
{
	char path[256];
	int fd;

	if (strcmp(kind, "pid") == 0) {
		char *end;
		long pid = strtol(spec, &end, 10);

		if (*spec == '\0' || *end || pid <= 0) {
			snprintf(err, errlen, "--pid: '%s' is not a process id", spec);
			return -EINVAL;
		}
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		snprintf(label, llen, "pid %ld", pid);
	} else if (strchr(spec, '/')) {
		snprintf(path, sizeof(path), "%s", spec);
		snprintf(label, llen, "%s", spec);
	} else {
		snprintf(path, sizeof(path), "/run/netns/%s", spec);
		snprintf(label, llen, "netns %s", spec);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT && strcmp(kind, "pid") == 0)
			snprintf(err, errlen, "cannot meter %s: no such process", label);
		else if (e == ENOENT)
			snprintf(err, errlen, "cannot meter %s: no such network namespace (%s; see 'ip netns "
				 "list', or give a path such as /proc/PID/ns/net)", label, path);
		else
			snprintf(err, errlen, "cannot meter %s: %s: %s", label, path, strerror(e));
		return -e;
	}
	return fd;
}

static int ignore_link(const struct afm_nl_link *l, void *ctx)
{
	(void)l;
	(void)ctx;
	return 0;
}

int afm_container_find(const char *kind, const char *spec, const char *const *names, int n_names,
		       struct afm_attach *out, int max, char *err, size_t errlen)
{
	char label[sizeof(out->container)];
	struct stat ours, theirs;
	int ns, self, sock = -1, ret;
	struct find f = { .names = names, .n_names = n_names, .out = out, .max = max, .err = err,
			  .errlen = errlen };

	ns = open_netns(kind, spec, label, sizeof(label), err, errlen);
	if (ns < 0)
		return ns;
	f.label = label;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || fstat(self, &ours) != 0 || fstat(ns, &theirs) != 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot meter %s: %s", label, strerror(errno));
		goto out;
	}
	if (ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev) {
		snprintf(err, errlen, "cannot meter %s: it is this meter's own network namespace (use -i IFACE)",
			 label);
		ret = -EINVAL;
		goto out;
	}
	sock = afm_nl_open(ns);
	if (sock < 0) {
		ret = sock;
		snprintf(err, errlen, "cannot enter the network namespace of %s: %s%s", label, strerror(-ret),
			 ret == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		goto out;
	}
	/* Listing the links first makes the container number our namespace. */
	ret = afm_nl_links(sock, ignore_link, NULL);
	if (ret == 0)
		f.host_nsid = afm_nl_nsid(sock, self);
	if (ret == 0 && f.host_nsid < -1)
		ret = f.host_nsid;
	if (ret == 0)
		ret = afm_nl_links(sock, on_container_link, &f);
	if (ret < 0) {
		snprintf(err, errlen, "cannot list the interfaces of %s: %s", label, strerror(-ret));
		goto out;
	}
	if (f.failed) {
		ret = f.failed;
		goto out;
	}
	for (int i = 0; i < n_names; i++) {
		int found = 0;

		for (int j = 0; j < f.count; j++)
			found |= strcmp(out[j].inner_if, names[i]) == 0;
		if (!found) {
			snprintf(err, errlen, "cannot meter %s in %s: no such interface there", names[i], label);
			ret = -ENODEV;
			goto out;
		}
	}
	if (!f.count) {
		snprintf(err, errlen, "cannot meter %s: it has no interface but lo", label);
		ret = -ENODEV;
		goto out;
	}
	ret = f.count;
out:
	if (sock >= 0)
		close(sock);
	if (self >= 0)
		close(self);
	close(ns);
	return ret;
}
