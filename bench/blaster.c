// SPDX-License-Identifier: MIT
/*
 * blaster IFACE SECONDS FLOWS [PKTS_PER_FLOW [PPS]]: send UDP frames through a packet
 * socket on IFACE for SECONDS. For the live tests and make bench (a veth pair).
 *
 * Without PKTS_PER_FLOW (or 0): as fast as possible, cycling over FLOWS flows (distinct
 * source ports and addresses, 10.66.x.y -> 10.66.0.1:9), frame sizes from 64 to 1024
 * bytes. Prints the number of frames sent.
 *
 * Churn mode, PKTS_PER_FLOW > 0: every flow gets exactly PKTS_PER_FLOW frames and is
 * then never used again. FLOWS flows are in flight at a time, their frames interleaved
 * round-robin; when they are done the next FLOWS flows start. Flow k (0, 1, 2, ...)
 * is 10.88.(k>>8 & 255).(k & 255):(20000 + k>>16) -> 10.89.0.1:9, unique for
 * k < 2^16 * 45536; frame j (0-based) of flow k is 64 + ((k * PKTS_PER_FLOW + j) * 37)
 * % 961 bytes long. Sending stops at the first boundary of a batch of FLOWS flows after
 * SECONDS, so every flow is complete. Prints "FRAMES FLOWS": frames sent and flows
 * created.
 *
 * PPS > 0 (either mode) limits the rate to PPS frames per second on average.
 */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BURST 64
#define CHURN_MAX_FLOWS (65536ULL * 45536ULL)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t };

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec > 999999999L)
		ts.tv_nsec = 999999999L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A UDP frame of len bytes, src:sport -> dst:9 (addresses in host order). */
static void frame(uint8_t *f, uint32_t len, uint32_t src, uint32_t dst, uint16_t sport)
{
	uint8_t *ip = f + 14, *udp = ip + 20;

	memset(f, 0, len);
	memset(f, 0xff, 6);	/* broadcast destination: the peer takes it */
	f[6] = 0x02;
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((len - 14) >> 8);
	ip[3] = (uint8_t)(len - 14);
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = (uint8_t)(src >> 24), ip[13] = (uint8_t)(src >> 16);
	ip[14] = (uint8_t)(src >> 8), ip[15] = (uint8_t)src;
	ip[16] = (uint8_t)(dst >> 24), ip[17] = (uint8_t)(dst >> 16);
	ip[18] = (uint8_t)(dst >> 8), ip[19] = (uint8_t)dst;
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[3] = 9;
	udp[4] = (uint8_t)((len - 34) >> 8);
	udp[5] = (uint8_t)(len - 34);
}

/* Churn mode: the flow of frame n and the frame's number j in that flow. */
static unsigned long long churn_flow(unsigned long long n, uint32_t flows, uint32_t per_flow,
				     unsigned long long *j)
{
	unsigned long long batch = (unsigned long long)flows * per_flow, in_batch = n % batch;

	*j = in_batch / flows;
	return n / batch * flows + in_batch % flows;
}

/* Frame number n of the run (the frames' order on the wire) in either mode. */
static uint32_t make_frame(uint8_t *f, unsigned long long n, uint32_t flows, uint32_t per_flow)
{
	uint32_t len;

	if (per_flow == 0) {
		uint32_t flow = (uint32_t)(n % flows);

		len = 64 + (uint32_t)((n * 37) % 961);
		frame(f, len, 0x0a420000u | (flow & 0xffff), 0x0a420001u,
		      (uint16_t)(10000 + flow % 50000));
		return len;
	}
	unsigned long long j, k = churn_flow(n, flows, per_flow, &j);

	len = 64 + (uint32_t)(((k * per_flow + j) * 37) % 961);
	frame(f, len, 0x0a580000u | (uint32_t)(k & 0xffff), 0x0a590001u, (uint16_t)(20000 + (k >> 16)));
	return len;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: blaster IFACE SECONDS FLOWS [PKTS_PER_FLOW [PPS]]\n");
		return 2;
	}
	int ifindex = (int)if_nametoindex(argv[1]);
	double secs = atof(argv[2]);
	uint32_t flows = (uint32_t)atoi(argv[3]);
	uint32_t per_flow = argc > 4 ? (uint32_t)atoi(argv[4]) : 0;
	double pps = argc > 5 ? atof(argv[5]) : 0;
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	static uint8_t frames[BURST][1024];
	struct mmsghdr msgs[BURST];
	struct iovec iov[BURST];
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };
	unsigned long long sent = 0, limit = 0, batch = (unsigned long long)flows * per_flow;

	if (!ifindex || fd < 0 || flows == 0) {
		fprintf(stderr, "blaster: %s: %s\n", argv[1],
			!ifindex ? "no such interface" : fd < 0 ? strerror(errno) : "FLOWS must be > 0");
		return 1;
	}
	memset(to.sll_addr, 0xff, 6);
	memset(msgs, 0, sizeof(msgs));
	double start = now(), end = start + secs;

	for (;;) {
		double t = now();
		int burst = BURST;

		if (t >= end && !limit) {
			if (!per_flow)
				break;
			/* churn: finish the current batch of flows, then stop */
			limit = (sent + batch - 1) / batch * batch;
		}
		if (limit) {
			if (sent >= limit)
				break;
			if (t > end + 10) {
				fprintf(stderr, "blaster: could not finish the last flows (%llu of %llu frames)\n",
					sent, limit);
				return 1;
			}
			if (limit - sent < (unsigned long long)burst)
				burst = (int)(limit - sent);
		}
		if (pps > 0) {
			double due = (t - start) * pps - (double)sent;

			if (due < 1) {
				sleep_until(start + ((double)sent + 1) / pps);
				continue;
			}
			if (due < burst)
				burst = (int)due;
		}
		unsigned long long j;

		if (per_flow && churn_flow(sent + (unsigned long long)burst - 1, flows, per_flow, &j) >=
					CHURN_MAX_FLOWS) {
			fprintf(stderr, "blaster: out of unique flows\n");
			return 1;
		}
		for (int i = 0; i < burst; i++) {
			uint32_t len = make_frame(frames[i], sent + (unsigned long long)i, flows, per_flow);

			iov[i] = (struct iovec){ frames[i], len };
			msgs[i].msg_hdr = (struct msghdr){ .msg_name = &to, .msg_namelen = sizeof(to),
							   .msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		/* a frame the kernel refused is built and sent again next time */
		int n = sendmmsg(fd, msgs, (unsigned int)burst, 0);

		if (n > 0)
			sent += (unsigned long long)n;
	}
	if (per_flow)
		printf("%llu %llu\n", sent, sent / per_flow);
	else
		printf("%llu\n", sent);
	close(fd);
	return 0;
}
