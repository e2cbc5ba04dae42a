// SPDX-License-Identifier: MIT
/* Statistics against hand-computed values (docs/COLUMNS.md, the nine statistics). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "features/stats.h"

static struct afm_stats run(const int64_t *in, size_t n, int exp)
{
	int64_t v[64], tmp[64];
	struct afm_stats s;

	cr_assert(n <= 64);
	for (size_t i = 0; i < n; i++)
		v[i] = in[i];
	afm_stats_compute(v, n, tmp, exp, &s);
	return s;
}

static void near_(double a, double b, const char *what)
{
	cr_assert(fabs(a - b) <= 1e-12 * fmax(1, fabs(b)), "%s = %.17g, want %.17g", what, a, b);
}

static double plain(double x)
{
	return x;
}

/* Exact statistics are decimals, the others doubles: compare either as a double. */
#define as_double(a) _Generic((a), struct afm_dec: afm_dec_double, default: plain)(a)
#define near(a, b) near_(as_double(a), (double)(b), #a)

Test(stats, two_lengths_from_the_issue)
{
	const int64_t v[] = { 102, 118 };
	struct afm_stats s = run(v, 2, 0);

	near(s.min, 102);
	near(s.max, 118);
	near(s.mean, 110);
	near(s.median, 110);
	near(s.mode, 102);
	near(s.std, 8);
	near(s.var, 64);
	near(s.cv, 8.0 / 110.0);
	cr_assert(fabs(s.cv - 0.0727272727) < 1e-10);
	near(s.skew, 0);
}

Test(stats, even_sized_median_and_positive_skew)
{
	/* mean 4; deviations -3 -2 -1 6: m2 = 50/4, m3 = 180/4 */
	const int64_t v[] = { 10, 1, 3, 2 };
	struct afm_stats s = run(v, 4, 0);

	near(s.median, 2.5);
	near(s.mean, 4);
	near(s.var, 12.5);
	near(s.std, sqrt(12.5));
	near(s.skew, 45.0 / pow(12.5, 1.5));
	near(s.skew, 1.0182337649086284);
	near(s.mode, 1);	/* all distinct: the smallest */
}

Test(stats, negative_mean_gives_negative_cv)
{
	/* mean -2; deviations -3 1 2: m2 = 14/3, m3 = -18/3 */
	const int64_t v[] = { -5, -1, 0 };
	struct afm_stats s = run(v, 3, 0);

	near(s.mean, -2);
	near(s.median, -1);
	near(s.min, -5);
	near(s.var, 14.0 / 3);
	near(s.cv, -sqrt(14.0 / 3) / 2);
	cr_assert(s.cv < 0);
	near(s.skew, -6.0 / pow(14.0 / 3, 1.5));
}

Test(stats, mode_tie_takes_the_smallest)
{
	const int64_t v[] = { 5, 3, 9, 5, 3 };
	struct afm_stats s = run(v, 5, 0);

	near(s.mode, 3);
	near(s.median, 5);
}

Test(stats, mode_takes_the_most_frequent)
{
	const int64_t v[] = { 1, 7, 7, 2, 7, 1 };

	near(run(v, 6, 0).mode, 7);
}

Test(stats, single_value)
{
	const int64_t v[] = { 42 };
	struct afm_stats s = run(v, 1, 0);

	near(s.min, 42);
	near(s.max, 42);
	near(s.mean, 42);
	near(s.median, 42);
	near(s.mode, 42);
	cr_assert(s.std == 0 && s.var == 0 && s.cv == 0 && s.skew == 0);
}

Test(stats, empty_sample_is_all_zero)
{
	struct afm_stats s = run(NULL, 0, 0);

	cr_assert(s.min.v == 0 && s.max.v == 0 && s.mean == 0 && s.median.v == 0 && s.mode.v == 0);
	cr_assert(s.std == 0 && s.var == 0 && s.cv == 0 && s.skew == 0);
}

Test(stats, zero_mean_gives_zero_cv)
{
	const int64_t v[] = { -4, 4 };
	struct afm_stats s = run(v, 2, 0);

	near(s.mean, 0);
	near(s.std, 4);
	cr_assert(s.cv == 0);
}

Test(stats, nanoseconds_to_seconds)
{
	const int64_t v[] = { 1500000000, 2500000001, 1500000000 };
	struct afm_stats s = run(v, 3, -9);

	near(s.min, 1.5);
	near(s.max, 2.500000001);
	near(s.mode, 1.5);
	near(s.median, 1.5);
	/* exact: the values in ns, as decimals of seconds */
	cr_assert(s.max.v == 2500000001 && s.max.exp == -9);
	near(s.mean, 5500000001.0 / 3e9);
	/* deviations in ns: -333333333.67, 666666667.33, -333333333.67 */
	long double m = 5500000001.0L / 3;
	long double d1 = 1500000000 - m, d2 = 2500000001 - m;
	long double var = (2 * d1 * d1 + d2 * d2) / 3;

	near(s.var, (double)(var / 1e18L));
	near(s.skew, (double)((2 * d1 * d1 * d1 + d2 * d2 * d2) / 3 / powl(var, 1.5L)));
}

Test(stats, large_sample_matches_closed_forms)
{
	/* 0, 1, ..., n-1 in a scrambled order: mean (n-1)/2, var (n^2-1)/12, skew 0 */
	enum { N = 100001 };
	int64_t *v = malloc(N * sizeof(*v)), *tmp = malloc(N * sizeof(*tmp));
	struct afm_stats s;

	for (int64_t i = 0; i < N; i++)
		v[i] = (i * 7919) % N;
	afm_stats_compute(v, N, tmp, 0, &s);
	near(s.mean, (N - 1) / 2.0);
	near(s.median, (N - 1) / 2.0);
	near(s.var, ((double)N * N - 1) / 12);
	near(s.mode, 0);
	cr_assert(fabs(s.skew) < 1e-12);
	for (int64_t i = 1; i < N; i++)
		cr_assert(v[i - 1] <= v[i]);
	free(v);
	free(tmp);
}
