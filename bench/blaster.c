// SPDX-License-Identifier: MIT
/*
 * blaster IFACE SECONDS FLOWS: send UDP frames as fast as possible through a packet
 * socket on IFACE for SECONDS, cycling over FLOWS flows (distinct source ports and
 * addresses, 10.66.x.y -> 10.66.0.1:9), frame sizes from 64 to 1024 bytes. Prints
 * the number of frames sent. For the live rate test of make bench (a veth pair).
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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void frame(uint8_t *f, uint32_t len, uint32_t flow)
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
	ip[12] = 10, ip[13] = 66, ip[14] = (uint8_t)(flow >> 8), ip[15] = (uint8_t)flow;
	ip[16] = 10, ip[17] = 66, ip[18] = 0, ip[19] = 1;
	udp[0] = (uint8_t)((10000 + flow % 50000) >> 8);
	udp[1] = (uint8_t)(10000 + flow % 50000);
	udp[3] = 9;
	udp[4] = (uint8_t)((len - 34) >> 8);
	udp[5] = (uint8_t)(len - 34);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: blaster IFACE SECONDS FLOWS\n");
		return 2;
	}
	int ifindex = (int)if_nametoindex(argv[1]);
	double secs = atof(argv[2]);
	uint32_t flows = (uint32_t)atoi(argv[3]);
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	static uint8_t frames[BURST][1024];
	struct mmsghdr msgs[BURST];
	struct iovec iov[BURST];
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };
	unsigned long long sent = 0;
	uint32_t next = 0;

	if (!ifindex || fd < 0 || flows == 0) {
		fprintf(stderr, "blaster: %s: %s\n", argv[1], !ifindex ? "no such interface" : strerror(errno));
		return 1;
	}
	memset(to.sll_addr, 0xff, 6);
	memset(msgs, 0, sizeof(msgs));
	double end = now() + secs;

	while (now() < end) {
		for (int i = 0; i < BURST; i++, next++) {
			uint32_t flow = next % flows, len = 64 + (next * 37) % 961;

			frame(frames[i], len, flow);
			iov[i] = (struct iovec){ frames[i], len };
			msgs[i].msg_hdr = (struct msghdr){ .msg_name = &to, .msg_namelen = sizeof(to),
							   .msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		int n = sendmmsg(fd, msgs, BURST, 0);

		if (n > 0)
			sent += (unsigned long long)n;
		next -= (uint32_t)(BURST - (n > 0 ? n : 0));
	}
	printf("%llu\n", sent);
	close(fd);
	return 0;
}
