// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a stream of frames through the parser (include/afm_parse.h), the flow
 * engine and the statistics. Input: records of
 *   u8 link (mod 5), u8 dt (time step, in units of 10 ms), u16 caplen (little endian),
 *   u16 wire-length surplus, then caplen bytes of frame;
 * an input cut short ends the stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_run p;
	uint64_t ts = 1600000000000000000ULL;

	if (pipeline_start(&p, (size & 1) ? "cic" : "extended") != 0)
		return 0;
	while (size >= 6) {
		int link = data[0] % 5;
		uint64_t dt = (uint64_t)data[1] * 10000000ULL;
		uint32_t caplen = (uint32_t)data[2] | (uint32_t)data[3] << 8;
		uint32_t extra = (uint32_t)data[4] | (uint32_t)data[5] << 8;

		data += 6;
		size -= 6;
		if (caplen > size)
			caplen = (uint32_t)size;
		/* a copy of exactly caplen bytes: ASan sees any read past the frame */
		uint8_t *frame = malloc(caplen ? caplen : 1);

		if (!frame)
			break;
		memcpy(frame, data, caplen);
		/* time mostly forward, now and then back (captures are not always in order) */
		ts = (dt & 1) ? ts - dt / 2 : ts + dt;
		pipeline_frame(&p, frame, caplen, caplen + extra, ts, link, 0);
		free(frame);
		data += caplen;
		size -= caplen;
	}
	pipeline_end(&p);
	return 0;
}
