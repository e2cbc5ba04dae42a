// SPDX-License-Identifier: MIT
#include "features/stats.h"

#include <math.h>
#include <string.h>

#include "features/sort.h"

void afm_stats_sorted(const int64_t *v, size_t n, int exp, struct afm_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;

	/* One pass over the runs of equal values: the exact sum, and the mode (the longest
	 * run; the first, so the smallest value, on a tie). */
	int64_t mode = v[0];
	size_t best = 0;
	__int128 sum = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && v[j] == v[i])
			j++;
		if (j - i > best) {
			best = j - i;
			mode = v[i];
		}
		sum += (__int128)v[i] * (__int128)(j - i);
		i = j;
	}

	/* Central moments around the mean in extended precision, again run by run (packet
	 * lengths take few distinct values). */
	long double ld_n = (long double)n;
	long double mean = (long double)sum / ld_n;
	long double m2 = 0, m3 = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && v[j] == v[i])
			j++;
		long double d = (long double)v[i] - mean;
		long double w = (long double)(j - i) * d * d;

		m2 += w;
		m3 += w * d;
		i = j;
	}
	m2 /= ld_n;
	m3 /= ld_n;

	/* the unit, 10^-exp: exact from the table (every power up to 10^27 is exact in a long double) */
	static const long double p10[] = { 1e0L, 1e1L, 1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L, 1e9L,
					   1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L };
	long double u = exp <= 0 && -exp < (int)(sizeof(p10) / sizeof(p10[0])) ? p10[-exp] : powl(10.0L, -exp);
	long double std = sqrtl(m2);

	out->min = (struct afm_dec){ v[0], exp, 0 };
	out->max = (struct afm_dec){ v[n - 1], exp, 0 };
	out->mode = (struct afm_dec){ mode, exp, 0 };
	if (n & 1) {
		out->median = (struct afm_dec){ v[n / 2], exp, 0 };
	} else {	/* the mean of the two middle values: (a + b) / 2 = (a + b) x 5 / 10 */
		__int128 two = (__int128)v[n / 2 - 1] + v[n / 2];

		out->median = two % 2 == 0 ? (struct afm_dec){ two / 2, exp, 0 } : (struct afm_dec){ two * 5, exp - 1, 0 };
	}
	out->mean = (double)(mean / u);
	out->var = (double)(m2 / (u * u));
	out->std = (double)(std / u);
	out->cv = mean != 0 ? (double)(std / mean) : 0.0;
	out->skew = m2 > 0 ? (double)(m3 / (m2 * std)) : 0.0;
}

void afm_stats_compute(int64_t *v, size_t n, int64_t *tmp, int exp, struct afm_stats *out)
{
	afm_sort_i64(v, n, tmp);
	afm_stats_sorted(v, n, exp, out);
}
