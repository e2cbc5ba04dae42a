// SPDX-License-Identifier: MIT
/* Deterministic random numbers for the capture generator (splitmix64). */
#ifndef GEN_RNG_H
#define GEN_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [lo, hi]. */
static inline uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_next(r) % (hi - lo + 1);
}

/* True with probability p. */
static inline int rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

/* Log-uniform in [lo, hi]: as many values per decade. */
static inline double rng_logu(struct rng *r, double lo, double hi)
{
	return lo * exp(rng_unit(r) * log(hi / lo));
}

/* Exponential with the given mean. */
static inline double rng_exp(struct rng *r, double mean)
{
	return -mean * log(1.0 - rng_unit(r));
}

/* Bounded Pareto in [lo, hi] with shape a: heavy-tailed sizes. */
static inline double rng_pareto(struct rng *r, double lo, double hi, double a)
{
	double u = rng_unit(r);
	double k = 1.0 - pow(lo / hi, a);

	return lo / pow(1.0 - u * k, 1.0 / a);
}

#endif
