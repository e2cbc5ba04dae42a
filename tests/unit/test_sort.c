// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdlib.h>

#include "features/sort.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

Test(sort, radix_matches_qsort_on_mixed_signs_and_sizes)
{
	static const size_t sizes[] = { 0, 1, 2, 47, 48, 49, 1000, 65536 };
	static const uint64_t masks[] = { 0xff, 0xffff, 0xffffffffULL, ~0ULL };

	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
		for (size_t mi = 0; mi < 4; mi++) {
			size_t n = sizes[si];
			int64_t *a = malloc((n + 1) * 8), *b = malloc((n + 1) * 8), *t = malloc((n + 1) * 8);

			for (size_t i = 0; i < n; i++)
				a[i] = b[i] = (int64_t)((next() & masks[mi]) - masks[mi] / 2);	/* wraps: no UB */
			afm_sort_i64(a, n, t);
			qsort(b, n, 8, cmp);
			for (size_t i = 0; i < n; i++)
				cr_assert_eq(a[i], b[i], "n=%zu mask=%zu i=%zu", n, mi, i);
			free(a);
			free(b);
			free(t);
		}
}

Test(sort, timed_sort_is_stable)
{
	enum { N = 1000 };
	struct afm_timed v[N], tmp[N];

	for (int i = 0; i < N; i++) {
		v[i].ts_ns = next() % 50;	/* many equal timestamps */
		v[i].len = i;			/* arrival order */
	}
	afm_sort_timed(v, N, tmp);
	for (int i = 1; i < N; i++) {
		cr_assert(v[i - 1].ts_ns <= v[i].ts_ns);
		if (v[i - 1].ts_ns == v[i].ts_ns)
			cr_assert(v[i - 1].len < v[i].len, "equal timestamps keep arrival order");
	}
}
