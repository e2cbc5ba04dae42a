// SPDX-License-Identifier: MIT
#include "sort.h"

#include <string.h>

#define SMALL 48

static void insertion_sort(int64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		int64_t x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/*
 * LSD radix sort on the 8 bytes of the value with its sign bit flipped. One pass
 * counts every byte position; positions where all values share the byte are skipped,
 * so packet lengths (2 varying bytes) cost 2 passes and nanosecond gaps 4 to 6.
 */
void afm_sort_i64(int64_t *v, size_t n, int64_t *tmp)
{
	size_t count[8][256];
	const uint64_t flip = 1ULL << 63;

	if (n < SMALL) {
		insertion_sort(v, n);
		return;
	}
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++) {
		uint64_t u = (uint64_t)v[i] ^ flip;

		for (int b = 0; b < 8; b++)
			count[b][(u >> (8 * b)) & 0xff]++;
	}

	int64_t *src = v, *dst = tmp;

	for (int b = 0; b < 8; b++) {
		size_t *c = count[b], sum = 0;
		uint64_t one = ((uint64_t)src[0] ^ flip) >> (8 * b) & 0xff;

		if (c[one] == n)
			continue;
		for (int d = 0; d < 256; d++) {
			size_t k = c[d];

			c[d] = sum;
			sum += k;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t u = (uint64_t)src[i] ^ flip;

			dst[c[(u >> (8 * b)) & 0xff]++] = src[i];
		}
		int64_t *t = src;

		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
}

void afm_sort_timed(struct afm_timed *v, size_t n, struct afm_timed *tmp)
{
	/* Bottom-up merge sort: stable, O(n log n), used only for out-of-order captures. */
	struct afm_timed *src = v, *dst = tmp;

	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				dst[k++] = src[j].ts_ns < src[i].ts_ns ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		struct afm_timed *t = src;

		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
}
