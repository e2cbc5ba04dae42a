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

#endif
