// SPDX-License-Identifier: MIT
/*
 * pcap-floor FILE: the bare libpcap read loop (pcap_open_offline, nanosecond precision,
 * pcap_next_ex until the end). Its packets/s is the floor the meter's throughput is
 * compared with. (The meter itself hands libpcap a memory map of the file: see
 * user/capture.c.)
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long long packets = 0, caplen = 0, len = 0, first = 0;
	double t0, secs;
	pcap_t *p;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "Usage: pcap-floor FILE\n");
		return 2;
	}
	t0 = now();
	p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
	if (!p) {
		fprintf(stderr, "pcap-floor: cannot read %s: %s\n", argv[1], err);
		return 1;
	}
	/* Touch what the meter reads of every packet: lengths, time and the first byte. */
	while ((ret = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		caplen += h->caplen;
		len += h->len + (unsigned long long)h->ts.tv_usec;
		first += h->caplen ? data[0] : 0;
	}
	if (ret != PCAP_ERROR_BREAK) {
		fprintf(stderr, "pcap-floor: %s: damaged after %llu packets: %s\n", argv[1], packets,
			pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	secs = now() - t0;
	printf("packets %llu seconds %.3f packets_per_second %.0f checksum %llu\n", packets, secs,
	       secs > 0 ? (double)packets / secs : 0.0, (caplen + len + first) & 0xffff);
	return 0;
}
