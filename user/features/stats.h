/* SPDX-License-Identifier: MIT */
/* The nine distribution statistics of docs/COLUMNS.md, exact on every value. */
#ifndef AFM_STATS_H
#define AFM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "output/text.h"

struct afm_stats {
	struct afm_dec min, max, median, mode;	/* exact: sample values, or the mean of two */
	double mean, std, var, cv, skew;	/* the nearest doubles */
};

/*
 * Statistics of v[0..n), each value meaning v x 10^exp (exp 0 for lengths, -9 for
 * nanoseconds as seconds). Sorts v in place; tmp is n values of scratch. n == 0 gives
 * all zeros.
 */
void afm_stats_compute(int64_t *v, size_t n, int64_t *tmp, int exp, struct afm_stats *out);
/* The same on values already sorted ascending. */
void afm_stats_sorted(const int64_t *v, size_t n, int exp, struct afm_stats *out);

#endif
