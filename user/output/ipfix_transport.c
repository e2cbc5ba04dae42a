// SPDX-License-Identifier: MIT
#include "output/ipfix_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int afm_ipfix_dest_parse(struct afm_ipfix_dest *d, const char *url, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC }, *res = NULL;
	char host[256], port[16] = AFM_IPFIX_PORT;
	const char *p, *colon;
	int e;

	memset(d, 0, sizeof(*d));
	if (strncmp(url, "udp://", 6) == 0) {
		d->tcp = 0;
	} else if (strncmp(url, "tcp://", 6) == 0) {
		d->tcp = 1;
	} else {
		snprintf(err, errlen, "--ipfix: '%s' is not udp://HOST[:PORT] or tcp://HOST[:PORT]", url);
		return -1;
	}
	p = url + 6;
	if (*p == '[') {	/* [IPv6]:port */
		const char *end = strchr(p, ']');

		if (!end || (end[1] && end[1] != ':') || (size_t)(end - p - 1) >= sizeof(host)) {
			snprintf(err, errlen, "--ipfix: '%s': an IPv6 address goes in brackets: udp://[::1]:4739", url);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(end - p - 1), p + 1);
		colon = end[1] ? end + 1 : NULL;
	} else {
		colon = strchr(p, ':');
		if (colon && strchr(colon + 1, ':')) {
			snprintf(err, errlen, "--ipfix: '%s': an IPv6 address goes in brackets: udp://[::1]:4739", url);
			return -1;
		}
		size_t n = colon ? (size_t)(colon - p) : strlen(p);

		if (n >= sizeof(host)) {
			snprintf(err, errlen, "--ipfix: '%.64s...': the host name is too long", url);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)n, p);
	}
	if (colon) {
		char *end;
		long v = strtol(colon + 1, &end, 10);

		if (!colon[1] || *end || v < 1 || v > 65535) {
			snprintf(err, errlen, "--ipfix: '%s': the port must be 1 to 65535", url);
			return -1;
		}
		snprintf(port, sizeof(port), "%ld", v);
	}
	if (!*host) {
		snprintf(err, errlen, "--ipfix: '%s' names no host (udp://127.0.0.1:4739, say)", url);
		return -1;
	}
	hints.ai_socktype = d->tcp ? SOCK_STREAM : SOCK_DGRAM;
	e = getaddrinfo(host, port, &hints, &res);
	if (e) {
		snprintf(err, errlen, "--ipfix: cannot resolve '%s': %s", host, e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
		return -1;
	}
	memcpy(&d->addr, res->ai_addr, res->ai_addrlen);
	d->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	snprintf(d->text, sizeof(d->text), "%s", url);
	return 0;
}

int afm_ipfix_connect(struct afm_ipfix_conn *c, const struct afm_ipfix_dest *d, int timeout_ms)
{
	int fd = socket(d->addr.ss_family, (d->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int e = 0;

	c->fd = -1;
	c->tcp = d->tcp;
	if (fd < 0)
		return -errno;
	/* UDP too: a connected socket reports the collector's port unreachable (ICMP) */
	if (connect(fd, (const struct sockaddr *)&d->addr, d->addr_len) != 0) {
		e = errno;
		if (e == EINPROGRESS) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			socklen_t len = sizeof(e);
			int n = poll(&pfd, 1, timeout_ms);

			if (n == 0)
				e = ETIMEDOUT;
			else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
				e = errno;
		}
	}
	if (e) {
		close(fd);
		return -e;
	}
	c->fd = fd;
	return 0;
}

int afm_ipfix_send(struct afm_ipfix_conn *c, const uint8_t *msg, size_t len, int (*stop)(void *), void *ctx)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(c->fd, msg + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			if (!c->tcp)
				return (size_t)n == len ? 0 : -EMSGSIZE;
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

			if (stop(ctx))
				return -ETIMEDOUT;
			poll(&pfd, 1, 100);
			continue;
		}
		return n < 0 ? -errno : -EPIPE;
	}
	return 0;
}

int afm_ipfix_peer_gone(struct afm_ipfix_conn *c)
{
	char buf[512];

	if (c->fd < 0)
		return 1;
	if (!c->tcp)
		return 0;
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;	/* a collector says nothing in IPFIX; drop it */
		if (n == 0)
			return 1;
		return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
	}
}

void afm_ipfix_close(struct afm_ipfix_conn *c, int graceful, int timeout_ms)
{
	if (c->fd < 0)
		return;
	if (c->tcp && graceful && shutdown(c->fd, SHUT_WR) == 0) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

		while (poll(&pfd, 1, timeout_ms) > 0 && !afm_ipfix_peer_gone(c))
			;
	}
	close(c->fd);
	c->fd = -1;
}
