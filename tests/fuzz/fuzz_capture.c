// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a whole capture file (pcap or pcapng) through the capture reader
 * (user/capture.c, libpcap underneath), the parser, the engine and the statistics.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "capture.h"
#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct afm_capture *cap;
	struct afm_packet pkt;
	struct pipeline p;
	char err[512];
	FILE *f;

	if (!*path)
		snprintf(path, sizeof(path), "/tmp/afm-fuzz-capture-%d", (int)getpid());
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	cap = afm_capture_open(path, err, sizeof(err));
	if (!cap)
		return 0;	/* a clean refusal is a fine outcome */
	if (pipeline_start(&p) == 0) {
		int link = afm_capture_link(cap), n = 0;

		while (afm_capture_next(cap, &pkt) == AFM_CAPTURE_PACKET && n++ < 100000) {
			if (pkt.caplen > 262144)
				__builtin_trap();	/* libpcap promised a bound */
			pipeline_frame(&p, pkt.data, pkt.caplen, pkt.wire_len, pkt.ts_ns, link);
		}
		pipeline_end(&p);
	}
	afm_capture_close(cap);
	return 0;
}
