// SPDX-License-Identifier: MIT
#include "stats.h"

#include <math.h>
#include <string.h>

#include "sort.h"

void afm_stats_sorted(const int64_t *v, size_t n, double unit, struct afm_stats *out)
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

	long double median = (n & 1) ? (long double)v[n / 2]
				     : ((long double)v[n / 2 - 1] + (long double)v[n / 2]) / 2;
	long double u = unit;
	long double std = sqrtl(m2);

	out->min = (double)((long double)v[0] / u);
	out->max = (double)((long double)v[n - 1] / u);
	out->mean = (double)(mean / u);
	out->median = (double)(median / u);
	out->mode = (double)((long double)mode / u);
	out->var = (double)(m2 / (u * u));
	out->std = (double)(std / u);
	out->cv = mean != 0 ? (double)(std / mean) : 0.0;
	out->skew = m2 > 0 ? (double)(m3 / (m2 * std)) : 0.0;
}

void afm_stats_compute(int64_t *v, size_t n, int64_t *tmp, double unit, struct afm_stats *out)
{
	afm_sort_i64(v, n, tmp);
	afm_stats_sorted(v, n, unit, out);
}
