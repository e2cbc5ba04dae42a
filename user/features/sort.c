// SPDX-License-Identifier: MIT
#include "features/sort.h"

#include <string.h>

#define SMALL 40

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
 * LSD radix sort of the offsets from the minimum, one pass per byte of (max - min):
 * packet lengths and their deltas take 1 or 2 passes, nanosecond gaps 3 to 5.
 */
void afm_sort_i64(int64_t *v, size_t n, int64_t *tmp)
{
	if (n < SMALL) {
		insertion_sort(v, n);
		return;
	}
	int64_t lo = v[0], hi = v[0];

	for (size_t i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	uint64_t span = (uint64_t)hi - (uint64_t)lo;
	int passes = 0;

	while (passes < 8 && (span >> (8 * passes)))
		passes++;

	int64_t *src = v, *dst = tmp;

	for (int b = 0; b < passes; b++) {
		size_t count[256] = { 0 }, sum = 0;
		const int shift = 8 * b;

		for (size_t i = 0; i < n; i++)
			count[((uint64_t)src[i] - (uint64_t)lo) >> shift & 0xff]++;
		for (int d = 0; d < 256; d++) {
			size_t k = count[d];

			count[d] = sum;
			sum += k;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[((uint64_t)src[i] - (uint64_t)lo) >> shift & 0xff]++] = src[i];
		int64_t *t = src;

		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
}

void afm_merge_i64(const int64_t *a, size_t na, const int64_t *b, size_t nb, int64_t *out)
{
	size_t i = 0, j = 0, k = 0;

	while (i < na && j < nb)
		out[k++] = b[j] < a[i] ? b[j++] : a[i++];
	while (i < na)
		out[k++] = a[i++];
	while (j < nb)
		out[k++] = b[j++];
}

/* Used only for out-of-order captures. */
AFM_DEFINE_TIME_SORT(sort_timed, struct afm_timed, ts_ns)

void afm_sort_timed(struct afm_timed *v, size_t n, struct afm_timed *tmp)
{
	struct afm_timed *sorted = sort_timed(v, tmp, n);

	if (sorted != v)
		memcpy(v, sorted, n * sizeof(*v));
}
