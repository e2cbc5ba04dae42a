// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a --labels rule file (user/features/labels.c): parsed, and when it parses,
 * matched against flow keys of both IP versions taken from the input's last bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "features/labels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct afm_labels l;
	char err[512];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (afm_labels_parse(&l, text, "fuzz.csv", err, sizeof(err)) != 0) {
		if (!err[0] || !memchr(err, '\0', sizeof(err)))
			abort();	/* a failure always says why */
		return 0;
	}
	struct afm_flow_key key;

	memset(&key, 0, sizeof(key));
	for (int i = 0; i < 2; i++) {
		size_t take = size < sizeof(key.addr) ? size : sizeof(key.addr);

		memcpy(key.addr, data + size - take, take);
		key.ip_version = i ? 6 : 4;
		if (!i)
			memset(key.addr[0] + 4, 0, 12), memset(key.addr[1] + 4, 0, 12);
		key.port[0] = (uint16_t)(size * 7);
		key.port[1] = (uint16_t)(size >> 3);
		key.proto = (uint8_t)size;
		const char *label = afm_labels_match(&l, &key, (uint64_t)size * 1000000007ULL * 1000000000ULL);

		if (label && !afm_label_valid(label))
			abort();
	}
	afm_labels_free(&l);
	return 0;
}
