/* SPDX-License-Identifier: MIT */
/*
 * The IPFIX sink of --ipfix (RFC 7011, docs/EXPORT.md): each row becomes one data
 * record (output/ipfix_elements.h), encoded by libfixbuf and sent to a collector over
 * UDP or TCP (output/ipfix_transport.h) by a thread of its own.
 *
 * The sink never stalls metering and never loses in silence. Rows wait in a bounded
 * queue of records; when it is full a live run counts the record lost, a run over
 * captures waits for room while the collector is reachable and takes records. A
 * record is `sent` when its message was handed to the network (UDP: the datagram
 * left; TCP: the kernel took the bytes), `lost` when it could not be queued, its
 * message could not be sent, or it still waited when the run ended and the collector
 * had taken nothing for AFM_IPFIX_GIVE_UP_S seconds. sent + lost = rows given.
 *
 * Templates (and the RFC 5610 records that name and type the enterprise elements) go
 * first on every connection; over UDP again every --ipfix-template-refresh seconds
 * and after a send error (a collector that restarts learns them soon). TCP reconnects
 * with a backoff from 0.25 s to 8 s; records wait in the queue meanwhile.
 */
#ifndef AFM_IPFIX_H
#define AFM_IPFIX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "output/ipfix_elements.h"
#include "output/ipfix_transport.h"
#include "output/sink.h"

#define AFM_IPFIX_MTU_DEFAULT 1400	/* UDP: bytes of one message (a datagram) */
#define AFM_IPFIX_TCP_MESSAGE 65535	/* TCP: the largest message RFC 7011 allows */
#define AFM_IPFIX_QUEUE_DEFAULT 4096	/* records */
#define AFM_IPFIX_REFRESH_DEFAULT 60	/* UDP: seconds between template sets */
#define AFM_IPFIX_GIVE_UP_S 5		/* at the end: seconds without progress, then the rest is lost */

struct afm_ipfix_options {
	const struct afm_schema *schema;
	struct afm_ipfix_dest dest;
	uint32_t pen;			/* --ipfix-pen */
	uint32_t domain;		/* --ipfix-domain: the observation domain */
	uint64_t refresh_ns;		/* --ipfix-template-refresh (UDP) */
	uint32_t mtu;			/* --ipfix-mtu (UDP) */
	size_t queue;			/* --ipfix-queue: records */
	int wait_for_room;		/* captures: wait for the collector rather than lose */
};

struct afm_ipfix_fixbuf;	/* libfixbuf's state: the exporter thread's alone */

struct afm_ipfix {
	struct afm_ipfix_options opt;
	struct afm_ipfix_layout layout[2];	/* [0] IPv4, [1] IPv6 template */
	struct afm_ipfix_fixbuf *fb;
	struct afm_ipfix_conn conn;

	uint8_t *slots;			/* the queue: opt.queue slots of slot_size bytes */
	size_t slot_size, head, count;
	pthread_mutex_t lock;
	pthread_cond_t work, room;
	pthread_t thread;
	int started, closing;
	int connected;			/* the exporter can send (atomic) */
	uint64_t progress_ns;		/* when a message last went out, or a connection was made */
	uint64_t sent, lost;		/* records (atomic) */
};

/* What can be refused before anything opens (a message too small for a record). 0, or -1
 * with the reason in err. */
int afm_ipfix_check(const struct afm_ipfix_options *o, char *err, size_t errlen);
/* Build the templates, open the queue, start the exporter. 0, or -1 with the reason in err. */
int afm_ipfix_open(struct afm_ipfix *x, const struct afm_ipfix_options *o, char *err, size_t errlen);
/* Records sent and lost so far (any thread). */
void afm_ipfix_counts(struct afm_ipfix *x, uint64_t *sent, uint64_t *lost);
/* The sink (output/sink.h): rows written are records sent. */
struct afm_sink afm_ipfix_sink(struct afm_ipfix *x);

#endif
