// SPDX-License-Identifier: MIT
/*
 * libFuzzer: capture files (pcap or pcapng, plain or gzip/zstd/xz-compressed) through
 * the capture reader (user/capture/: capture.c, decompress.c, libpcap underneath), the
 * merge of several captures (merge.c), the parser, the engine and the statistics.
 * Input: one byte, then the capture; when the byte is odd, the capture is cut in two at
 * an offset taken from it, and both halves (the second with the first's file header)
 * are merged by time. When the capture's size has bit 1 set, its files are read as
 * streams (as pipes are: pcapng.c's and libpcap's stdio backends), else mapped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/merge.h"
#include "fuzz_run.h"

static int write_file(const char *path, const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -1;
	fwrite(a, 1, na, f);
	fwrite(b, 1, nb, f);
	return fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[2][64];
	char *paths[2] = { path[0], path[1] };
	const struct afm_capture *cap;
	struct afm_merge *m;
	struct afm_packet pkt;
	struct fuzz_run p;
	char err[1024];
	size_t n = 1;

	if (size < 1)
		return 0;
	if (!*path[0])
		for (int i = 0; i < 2; i++)
			snprintf(path[i], sizeof(path[i]), "/tmp/afm-fuzz-capture-%d.%d", (int)getpid(), i);
	uint8_t mode = data[0];

	data++;
	size--;
	if ((mode & 1) && size > 24) {	/* two captures: the file header, then each half */
		size_t cut = 24 + (size_t)(mode >> 1) * (size - 24) / 128;

		if (write_file(path[0], data, cut, NULL, 0) || write_file(path[1], data, 24, data + cut, size - cut))
			return 0;
		n = 2;
	} else if (write_file(path[0], data, size, NULL, 0)) {
		return 0;
	}
	afm_capture_stream_files = (size >> 1) & 1;
	(void)afm_capture_sniff(path[0]);	/* a directory's look at it: compressed, through a descriptor */
	if (afm_merge_open(&m, paths, n, err, sizeof(err)) != 0)
		return 0;	/* a clean refusal is a fine outcome */
	if (pipeline_start(&p, (size & 1) ? "cic" : "extended") == 0) {
		int rc, k = 0;

		while ((rc = afm_merge_next(m, &pkt, &cap)) != AFM_CAPTURE_EOF && k++ < 200000) {
			if (rc != AFM_CAPTURE_PACKET)
				continue;	/* a damaged capture: the other goes on */
			if (pkt.caplen > 262144)
				__builtin_trap();	/* libpcap promised a bound, and pcapng.c */
			(void)cap;
			if (pkt.link < 0) {	/* a pcapng interface of a link type not read */
				p.pipe.counters.packets++;
				p.pipe.counters.skipped[AFM_SKIP_NOT_IP]++;
				continue;
			}
			pipeline_frame(&p, pkt.data, pkt.caplen, pkt.wire_len, pkt.ts_ns, pkt.link, pkt.iface);
		}
		pipeline_end(&p);
	}
	afm_merge_close(m);
	return 0;
}
