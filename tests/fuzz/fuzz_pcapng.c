// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the pcapng reader alone (user/capture/pcapng.c), fast (no files, no
 * pipeline), over both of its backends: the input read in place (a mapped file) and
 * through a stdio stream (a pipe, a decompressor). Both must say the same: the same
 * open error, the same packets (bytes, lengths, times, link, interface), the same end
 * and the same error, and no packet longer than 262,144 bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "capture/ifaces.h"
#include "capture/pcapng.h"
#include "log.h"

#define ERR 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char e1[ERR] = "", e2[ERR] = "";
	struct afm_ifaces *t1 = afm_ifaces_new(), *t2 = afm_ifaces_new();
	FILE *f = size ? fmemopen((void *)data, size, "rb") : NULL;
	struct afm_pcapng *r1, *r2;

	afm_quiet = 1;
	if (!t1 || !t2 || !f) {
		afm_ifaces_free(t1);
		afm_ifaces_free(t2);
		if (f)
			fclose(f);
		return 0;
	}
	r1 = afm_pcapng_open(data, size, NULL, t1, "mapped", e1, sizeof(e1));
	r2 = afm_pcapng_open(NULL, 0, f, t2, "mapped", e2, sizeof(e2));
	if (!r1 != !r2 || (!r1 && strcmp(e1, e2) != 0))
		__builtin_trap();	/* the backends disagree on the opening */
	for (int k = 0; r1 && k < 1000000; k++) {
		struct afm_packet p1, p2;
		uint64_t at1, at2;
		int rc1 = afm_pcapng_next(r1, &p1, e1, sizeof(e1), &at1);
		int rc2 = afm_pcapng_next(r2, &p2, e2, sizeof(e2), &at2);

		if (rc1 != rc2)
			__builtin_trap();
		if (rc1 < 0 && strcmp(e1, e2) != 0)
			__builtin_trap();
		if (rc1 != 1)
			break;
		if (p1.caplen != p2.caplen || p1.wire_len != p2.wire_len || p1.ts_ns != p2.ts_ns || p1.link != p2.link ||
		    p1.iface != p2.iface || memcmp(p1.data, p2.data, p1.caplen) != 0 ||
		    strcmp(afm_ifaces_name(t1, p1.iface), afm_ifaces_name(t2, p2.iface)) != 0)
			__builtin_trap();
		if (p1.caplen > 262144 || (p1.data < data || p1.data + p1.caplen > data + size))
			__builtin_trap();	/* read in place: inside the input */
	}
	afm_pcapng_close(r1);
	afm_pcapng_close(r2);
	fclose(f);
	afm_ifaces_free(t1);
	afm_ifaces_free(t2);
	return 0;
}
