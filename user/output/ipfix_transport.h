/* SPDX-License-Identifier: MIT */
/*
 * Where IPFIX messages go (RFC 7011, 10): a collector over UDP (one message a datagram)
 * or TCP (a stream of messages). Connections are made, and remade, by the exporter
 * thread (output/ipfix.c); nothing here blocks without a way out.
 */
#ifndef AFM_IPFIX_TRANSPORT_H
#define AFM_IPFIX_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define AFM_IPFIX_PORT "4739"	/* RFC 7011, 10.3.6: IANA's port for IPFIX */

struct afm_ipfix_dest {
	int tcp;			/* 0: UDP */
	char text[300];			/* as given: udp://HOST:PORT */
	struct sockaddr_storage addr;	/* resolved once, at the start */
	socklen_t addr_len;
};

/*
 * "udp://HOST[:PORT]" or "tcp://HOST[:PORT]" (an IPv6 address in brackets), resolved.
 * 0, or -1 with a one-line reason in err.
 */
int afm_ipfix_dest_parse(struct afm_ipfix_dest *d, const char *url, char *err, size_t errlen);

struct afm_ipfix_conn {
	int fd;				/* -1: not connected */
	int tcp;
};

/* A socket to the collector (TCP: connected within timeout_ms). 0 or -errno. */
int afm_ipfix_connect(struct afm_ipfix_conn *c, const struct afm_ipfix_dest *d, int timeout_ms);
/*
 * One message. UDP: one datagram. TCP: all of it, waiting for room while stop(ctx) is
 * 0 (checked every 100 ms). 0, or -errno: the message is lost and, on TCP, the stream
 * broken (reconnect).
 */
int afm_ipfix_send(struct afm_ipfix_conn *c, const uint8_t *msg, size_t len, int (*stop)(void *), void *ctx);
/* TCP: the collector closed the connection or reset it (read and dropped what it sent). */
int afm_ipfix_peer_gone(struct afm_ipfix_conn *c);
/* Close; TCP with graceful set: shut down the sending side, wait up to timeout_ms for the
 * collector to close its side (it has read everything), then close. */
void afm_ipfix_close(struct afm_ipfix_conn *c, int graceful, int timeout_ms);

#endif
