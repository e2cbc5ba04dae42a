// SPDX-License-Identifier: MIT
/*
 * libFuzzer: one frame through the parser alone (include/afm_parse.h), fast enough for
 * tens of millions of runs: the tunnel parsers' every cut and value. Input: u8 link
 * (mod 5), u8 mode (bit 0: details), then the frame. Checked, beyond ASan/UBSan's
 * reads past the frame: the verdict is one of the parser's, a record points inside the
 * frame, tunnels are recorded outermost first, and a frame that holds no tunnel parses
 * with --tunnels decap exactly as with outer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "afm_parse.h"

static int parse(const uint8_t *frame, size_t n, int link, struct afm_record *rec, int detail, int tunnels)
{
	return detail ? afm_parse(frame, frame + n, link, rec, 1, tunnels, NULL)
		      : afm_parse(frame, frame + n, link, rec, 0, tunnels, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct afm_record decap, outer;

	if (size < 2)
		return 0;
	int link = data[0] % 5, detail = data[1] & 1;
	size_t n = size - 2;
	uint8_t *frame = malloc(n ? n : 1);	/* exactly n bytes: ASan sees any read past them */

	if (!frame)
		return 0;
	memcpy(frame, data + 2, n);
	memset(&decap, 0xa5, sizeof(decap));	/* what the parse leaves unwritten stays visible */
	int v = parse(frame, n, link, &decap, detail, 1);
	int w = parse(frame, n, link, &outer, detail, 0);

	if (v < 0 || v >= AFM_VERDICT_COUNT || w < 0 || w >= AFM_VERDICT_COUNT || w == AFM_SKIP_TUNNEL)
		__builtin_trap();
	if (w == AFM_OK && (outer.key.tunnel[0] || outer.frame_off || outer.key.tunnel_key))
		__builtin_trap();	/* outer opens nothing */
	if (v == AFM_OK) {
		if (decap.frame_off > n || decap.frame_off > AFM_TUNNEL_OFF_MAX || decap.frame_off + decap.l3_off > n)
			__builtin_trap();
		for (int i = 1; i < AFM_TUNNEL_MAX; i++)
			if (decap.key.tunnel[i] && !decap.key.tunnel[i - 1])
				__builtin_trap();
		for (int i = 0; i < AFM_TUNNEL_MAX; i++)
			if (decap.key.tunnel[i] >= AFM_TUN_COUNT)
				__builtin_trap();
		if (!decap.key.tunnel[0] && (decap.frame_off || decap.key.tunnel_key))
			__builtin_trap();
		/* no tunnel in it: the same record either way (the part every parse writes) */
		if (!decap.key.tunnel[0] && (w != AFM_OK || memcmp(&decap, &outer, __builtin_offsetof(struct afm_record, frame_off)) != 0))
			__builtin_trap();
		afm_record_wire(&decap, n);
		if (afm_ip_octets(&decap) > n)
			__builtin_trap();
	}
	free(frame);
	return 0;
}
