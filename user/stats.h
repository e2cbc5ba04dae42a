/* SPDX-License-Identifier: MIT */
/* The nine distribution statistics of FEATURES.md, section 5, exact on every value. */
#ifndef AFM_STATS_H
#define AFM_STATS_H

#include <stddef.h>
#include <stdint.h>

struct afm_stats {
	double min, max, mean, median, mode;
	double std, var, cv, skew;
};

/*
 * Statistics of v[0..n), expressed in v's unit divided by `unit` (1 for lengths,
 * 1e9 to turn nanoseconds into seconds). Sorts v in place; tmp is n values of
 * scratch. n == 0 gives all zeros.
 */
void afm_stats_compute(int64_t *v, size_t n, int64_t *tmp, double unit, struct afm_stats *out);
/* The same on values already sorted ascending. */
void afm_stats_sorted(const int64_t *v, size_t n, double unit, struct afm_stats *out);

#endif
