/* SPDX-License-Identifier: MIT */
/* Sorting of the statistics samples. */
#ifndef AFM_SORT_H
#define AFM_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Sort v[0..n) ascending; tmp holds at least n values of scratch. */
void afm_sort_i64(int64_t *v, size_t n, int64_t *tmp);
/* Merge the sorted a[0..na) and b[0..nb) into out. */
void afm_merge_i64(const int64_t *a, size_t na, const int64_t *b, size_t nb, int64_t *out);

/* One packet of one direction, for ordering by time. */
struct afm_timed {
	uint64_t ts_ns;
	int64_t len;
};

/* Stable sort by ts_ns (equal timestamps keep their order); tmp holds n entries. */
void afm_sort_timed(struct afm_timed *v, size_t n, struct afm_timed *tmp);

/*
 * AFM_DEFINE_TIME_SORT(name, type, key) defines
 *     static type *name(type *v, type *tmp, size_t n)
 * a stable bottom-up merge sort of v[0..n) by its uint64_t member `key` (equal keys
 * keep their order), with tmp as scratch for n entries; it returns v or tmp, whichever
 * holds the result. For the few arrays sorted by time: packets, released samples.
 */
#define AFM_DEFINE_TIME_SORT(name, type, key)                                           \
	static type *name(type *v, type *tmp, size_t n)                                 \
	{                                                                                \
		type *src = v, *dst = tmp, *t;                                           \
                                                                                         \
		for (size_t width = 1; width < n; width *= 2) {                          \
			for (size_t lo = 0; lo < n; lo += 2 * width) {                   \
				size_t mid = lo + width < n ? lo + width : n;            \
				size_t hi = lo + 2 * width < n ? lo + 2 * width : n;     \
				size_t i = lo, j = mid, k = lo;                          \
                                                                                         \
				while (i < mid && j < hi)                                \
					dst[k++] = src[j].key < src[i].key ? src[j++] : src[i++]; \
				while (i < mid)                                          \
					dst[k++] = src[i++];                             \
				while (j < hi)                                           \
					dst[k++] = src[j++];                             \
			}                                                                \
			t = src;                                                         \
			src = dst;                                                       \
			dst = t;                                                         \
		}                                                                        \
		return src;                                                              \
	}

#endif
